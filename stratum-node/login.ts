/**
 * Parsing a stratum login into payout address, worker name, fixed difficulty and solo flag.
 *
 * Accepted forms of params.login (sep = poolServer.fixedDiffSeparator, "+" by default):
 *   [solo:]ADDRESS[.WORKER][+DIFF]      e.g. "4Abc...", "4Abc....rig1", "4Abc...+50000", "solo:4Abc....rig1+2000"
 * Worker name precedence: params.rigid, then ".WORKER" in the login, then params.pass unless it is empty or "x".
 * Worker names are reduced to [A-Za-z0-9_-] and 64 characters so they are safe as Redis hash fields.
 */
export interface ParsedLogin {
  readonly address: string;
  readonly worker: string;
  readonly fixedDiff: number | null;
  readonly solo: boolean;
}

export class LoginError extends Error {}

const MAX_LOGIN = 512;

export function parseLogin(login: unknown, pass: unknown, rigid: unknown, separator: string): ParsedLogin {
  if (typeof login !== 'string' || login.trim() === '') throw new LoginError('missing login');
  if (login.length > MAX_LOGIN) throw new LoginError('login too long');
  let rest = login.trim();
  let solo = false;
  if (rest.toLowerCase().startsWith('solo:')) {
    solo = true;
    rest = rest.slice(5);
  }
  let fixedDiff: number | null = null;
  const sepAt = separator ? rest.lastIndexOf(separator) : -1;
  if (sepAt > 0) {
    const diffText = rest.slice(sepAt + separator.length);
    if (!/^\d{1,15}$/.test(diffText) || Number(diffText) < 1) {
      throw new LoginError(`invalid fixed difficulty "${diffText}"`);
    }
    fixedDiff = Number(diffText);
    rest = rest.slice(0, sepAt);
  }
  let worker = '';
  const dot = rest.indexOf('.');
  if (dot >= 0) {
    worker = rest.slice(dot + 1);
    rest = rest.slice(0, dot);
  }
  if (typeof rigid === 'string' && rigid.trim() !== '') worker = rigid;
  else if (worker === '' && typeof pass === 'string' && pass !== '' && pass !== 'x') worker = pass;
  return { address: rest, worker: sanitizeWorker(worker), fixedDiff, solo };
}

export function sanitizeWorker(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
  return clean === '' ? 'default' : clean;
}
