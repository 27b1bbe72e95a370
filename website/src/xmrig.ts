/**
 * The xmrig setup generator: from a payout address, a worker name and an optional fixed difficulty, the xmrig
 * command line and the matching config.json for one of the pool's ports. Pure functions (unit-tested in Node).
 *
 * Login string, as stratum-node/login.ts parses it: `[solo:]address[.worker][+difficulty]` when the worker name goes
 * in the login, `[solo:]address[+difficulty]` with `--rig-id worker` otherwise (xmrig sends rig-id as `rigid` in its
 * login request, which the pool prefers). The fixed-difficulty separator is the pool's
 * `poolServer.fixedDiffSeparator` ("+"); the pool takes 1 to 15 digits.
 *
 * Data model: MinerSetup (input), XmrigOutput {login, pass, commandLine, configJson}.
 */
export type WorkerStyle = 'rigid' | 'login';

export interface MinerSetup {
  host: string;
  port: number;
  tls: boolean;
  address: string;
  /** Worker (rig) name; "" for none. */
  worker: string;
  workerStyle: WorkerStyle;
  /** Fixed difficulty; null for the port's variable difficulty. */
  fixedDiff: number | null;
  /** Solo mining: the finder of a block takes its whole reward (less the solo fee). */
  solo?: boolean;
  /** The pool's fixed-difficulty separator (config poolServer.fixedDiffSeparator); "+" when not given. */
  separator?: string;
}

export interface XmrigOutput {
  login: string;
  pass: string;
  commandLine: string;
  configJson: string;
}

export const WORKER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const FIXED_DIFF_SEPARATOR = '+';
export const MIN_FIXED_DIFF = 1;
export const MAX_FIXED_DIFF = 999_999_999_999_999;

/** Validate the worker name; null when fine. */
export function checkWorkerName(name: string): string | null {
  if (name === '') return null;
  return WORKER_NAME_PATTERN.test(name)
    ? null
    : 'Worker names use letters, digits, "-" and "_" only (at most 64 characters).';
}

/** Parse the fixed-difficulty field: "" -> null (variable difficulty). */
export function parseFixedDiff(text: string): { ok: true; value: number | null } | { ok: false; message: string } {
  const t = text.trim();
  if (t === '') return { ok: true, value: null };
  if (!/^[0-9]+$/.test(t)) return { ok: false, message: 'Fixed difficulty must be a whole number, e.g. 50000.' };
  const v = Number(t);
  if (t.length > 15 || v < MIN_FIXED_DIFF || v > MAX_FIXED_DIFF) {
    return { ok: false, message: 'Fixed difficulty must be a whole number from 1 to 999999999999999.' };
  }
  return { ok: true, value: v };
}

export function buildXmrig(s: MinerSetup): XmrigOutput {
  const workerInLogin = s.workerStyle === 'login' && s.worker !== '';
  const login =
    (s.solo === true ? 'solo:' : '') +
    s.address +
    (workerInLogin ? `.${s.worker}` : '') +
    (s.fixedDiff !== null ? `${s.separator ?? FIXED_DIFF_SEPARATOR}${s.fixedDiff}` : '');
  const rigId = s.workerStyle === 'rigid' && s.worker !== '' ? s.worker : null;
  const pass = 'x';
  const url = `${s.host}:${s.port}`;
  const args = ['./xmrig', '-o', url, '-u', login, '-p', pass];
  if (rigId !== null) args.push('--rig-id', rigId);
  args.push('-k', '--coin', 'monero');
  if (s.tls) args.push('--tls');
  const config = {
    autosave: true,
    cpu: true,
    opencl: false,
    cuda: false,
    pools: [
      {
        url,
        user: login,
        pass,
        'rig-id': rigId,
        keepalive: true,
        tls: s.tls,
        coin: 'monero',
      },
    ],
  };
  return { login, pass, commandLine: args.join(' '), configJson: `${JSON.stringify(config, null, 2)}\n` };
}
