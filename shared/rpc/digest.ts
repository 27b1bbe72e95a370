/**
 * HTTP Digest access authentication (RFC 7616, MD5 with qop="auth"), the scheme monero-wallet-rpc (epee) requires
 * when it runs with `--rpc-login user:pass`. The server's 401 carries one WWW-Authenticate challenge per algorithm
 * (`MD5` and `MD5-sess`, same nonce); we answer the MD5 one. The nonce is cached and the nonce count (`nc`)
 * incremented per request, so a handshake costs one extra round trip only when the server asks again (401).
 * epee keeps the session per TCP connection (a nonce is rejected on another socket), so the transport sends an
 * authenticated client's requests over a single keep-alive connection.
 *
 * Data model: DigestChallenge {realm, nonce, qop?, algorithm, opaque?, stale}; DigestSession keeps the current
 * challenge and nc.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  algorithm: string;
  opaque?: string;
  stale: boolean;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Splits a header value into `key=value` pairs, honouring quoted strings (with backslash escapes). */
function parseParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) break;
    const key = (m[1] ?? '').toLowerCase();
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    out.set(key, value);
  }
  return out;
}

/**
 * Parses WWW-Authenticate header value(s) into Digest challenges. Accepts one header per challenge or several
 * joined with ", " (how some HTTP stacks fold repeated headers).
 */
export function parseDigestChallenges(header: string | readonly string[] | undefined): DigestChallenge[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  const out: DigestChallenge[] = [];
  for (const value of values) {
    for (const part of value.split(/(?:^|,)\s*(?=Digest\s)/i)) {
      const m = /^\s*Digest\s+(.*)$/is.exec(part);
      if (!m) continue;
      const p = parseParams(m[1] ?? '');
      const realm = p.get('realm');
      const nonce = p.get('nonce');
      if (realm === undefined || nonce === undefined) continue;
      const qop = p.get('qop');
      const opaque = p.get('opaque');
      out.push({
        realm,
        nonce,
        ...(qop !== undefined ? { qop } : {}),
        algorithm: p.get('algorithm') ?? 'MD5',
        ...(opaque !== undefined ? { opaque } : {}),
        stale: (p.get('stale') ?? '').toLowerCase() === 'true',
      });
    }
  }
  return out;
}

/** Picks the challenge we can answer: MD5 (preferred) or MD5-sess, with qop auth or no qop. */
export function pickChallenge(challenges: readonly DigestChallenge[]): DigestChallenge | undefined {
  const usable = challenges.filter(
    (c) =>
      ['md5', 'md5-sess'].includes(c.algorithm.toLowerCase()) &&
      (c.qop === undefined ||
        c.qop
          .split(',')
          .map((q) => q.trim())
          .includes('auth')),
  );
  return usable.find((c) => c.algorithm.toLowerCase() === 'md5') ?? usable[0];
}

export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly makeCnonce: () => string = () => randomBytes(8).toString('hex'),
  ) {}

  get ready(): boolean {
    return this.challenge !== undefined;
  }

  /** Takes a new challenge from a 401; returns false when none is usable. */
  accept(header: string | readonly string[] | undefined): boolean {
    const c = pickChallenge(parseDigestChallenges(header));
    if (!c) return false;
    this.challenge = c;
    this.nc = 0;
    return true;
  }

  forget(): void {
    this.challenge = undefined;
    this.nc = 0;
  }

  /** The Authorization header for one request (increments nc). */
  authorization(method: string, uri: string): string {
    const c = this.challenge;
    if (!c) throw new Error('digest: no challenge yet');
    this.nc += 1;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = this.makeCnonce();
    const sess = c.algorithm.toLowerCase() === 'md5-sess';
    let ha1 = md5(`${this.user}:${c.realm}:${this.password}`);
    if (sess) ha1 = md5(`${ha1}:${c.nonce}:${cnonce}`);
    const ha2 = md5(`${method}:${uri}`);
    const useQop = c.qop !== undefined;
    const response = useQop ? md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${c.nonce}:${ha2}`);
    const q = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;
    const parts = [
      `username=${q(this.user)}`,
      `realm=${q(c.realm)}`,
      `nonce=${q(c.nonce)}`,
      `uri=${q(uri)}`,
      `algorithm=${c.algorithm}`,
      `response=${q(response)}`,
    ];
    if (useQop) parts.push('qop=auth', `nc=${nc}`, `cnonce=${q(cnonce)}`);
    if (c.opaque !== undefined) parts.push(`opaque=${q(c.opaque)}`);
    return `Digest ${parts.join(', ')}`;
  }
}
