/**
 * Admin authentication (RELIABILITY.md section 1, "Admin API brute force").
 *
 * - The token is `api.password`. It is read from `Authorization: Bearer <token>`, or from `?password=` because
 *   the seed's admin pages (website/pages/admin/*.html) send it that way; the query form is kept for them only.
 *   The API never logs request URLs with their query strings, so the password does not land in our logs.
 * - The comparison hashes both sides with SHA-256 and compares the digests with crypto.timingSafeEqual: constant
 *   time, and no length leak.
 * - Failures are counted per client IP in `adminFail(ip)` (TTL ADMIN_FAIL_WINDOW_SECONDS from the first failure).
 *   Once an IP reached the limit, every admin request from it gets 429 without its token being checked, until the
 *   window expires, so guessing cannot continue behind the limit. A success does not reset the counter.
 * - api.password null: the admin routes are off (403), whatever is sent.
 * - No localhost bypass (the seed let 127.0.0.1 in without a password, which X-Forwarded-For could fake).
 *   Which address counts as the client's follows api.trustProxy.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeySchema } from '../../shared/redis/keys.js';
import type { Storage } from '../../shared/storage/port.js';
import { intReply, optString } from '../stats/replies.js';

export const ADMIN_FAIL_WINDOW_SECONDS = 15 * 60;
export const ADMIN_FAIL_LIMIT = 10;

/** INCR, and start the window's TTL on the first failure, atomically. */
const RECORD_FAIL = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of a presented token with the configured one. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token from `Authorization: Bearer ...`, else from `?password=`, else null. */
export function presentedToken(authorization: string | undefined, queryPassword: string | undefined): string | null {
  if (authorization !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (m?.[1] !== undefined) return m[1];
  }
  return queryPassword !== undefined && queryPassword !== '' ? queryPassword : null;
}

export type AdminCheck =
  | { ok: true }
  | { ok: false; status: 401 | 403 | 429; error: string; retryAfter?: number };

export async function checkAdmin(
  storage: Storage,
  keys: KeySchema,
  password: string | null,
  ip: string,
  token: string | null,
  limit: number,
): Promise<AdminCheck> {
  if (password === null || password === '') {
    return { ok: false, status: 403, error: 'admin API disabled: api.password is not set' };
  }
  const key = keys.adminFail(ip);
  const [countReply, ttlReply] = await storage.pipeline([
    ['GET', key],
    ['TTL', key],
  ]);
  const count = Number(optString(countReply) ?? '0');
  if (count >= limit) {
    const ttl = intReply(ttlReply);
    return {
      ok: false,
      status: 429,
      error: 'too many failed admin logins from this address; try again later',
      retryAfter: ttl > 0 ? ttl : ADMIN_FAIL_WINDOW_SECONDS,
    };
  }
  if (token !== null && tokenMatches(token, password)) return { ok: true };
  await storage.evalScript(RECORD_FAIL, [key], [String(ADMIN_FAIL_WINDOW_SECONDS)]);
  return { ok: false, status: 401, error: 'invalid password' };
}
