/**
 * Admin authentication (docs/api.md, "Security rules": why each rule is there).
 *
 * - The token is `api.password`. It is read from `Authorization: Bearer <token>`, or from `?password=` because
 *   the seed's admin pages (website/pages/admin/*.html) send it that way; the query form is kept for them only.
 *   The API never logs request URLs with their query strings, so the password does not land in our logs.
 * - The comparison hashes both sides with SHA-256 and compares the digests with crypto.timingSafeEqual: constant
 *   time, and no length leak.
 * - Failures are counted per client IP in `adminFail(ip)` (TTL ADMIN_FAIL_WINDOW_SECONDS from the first failure).
 *   Each attempt is counted atomically before its token is checked (a correct one is refunded), so even a burst
 *   of parallel guesses gets at most `limit` checks. Once an IP reached the limit, every admin request from it
 *   gets 429 without its token being checked until the window expires. A success does not reset the counter.
 * - api.password null: the admin routes are off (403), whatever is sent.
 * - No localhost bypass (the seed let 127.0.0.1 in without a password, which X-Forwarded-For could fake).
 *   Which address counts as the client's follows api.trustProxy.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeySchema } from '../../shared/redis/keys.js';
import type { Storage } from '../../shared/storage/port.js';
import { asInt } from '../../shared/storage/replies.js';

export const ADMIN_FAIL_WINDOW_SECONDS = 15 * 60;
export const ADMIN_FAIL_LIMIT = 10;

/**
 * TAKE_ATTEMPT: atomically refuse (return -ttl) when the IP already has `limit` failures, else count this attempt
 * in advance (INCR, starting the window's TTL) and return the new count. Counting before the token is checked
 * means a burst of parallel guesses cannot all slip past the limit; a correct token refunds its attempt.
 * KEYS: 1 adminFail(ip). ARGV: 1 limit, 2 window seconds.
 */
const TAKE_ATTEMPT = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 1 then ttl = 1 end
  return -ttl
end
n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return n`;

/** REFUND_ATTEMPT: takes back the attempt a correct token counted (never below 0, never creating the key). */
const REFUND_ATTEMPT = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

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

export type AdminCheck = { ok: true } | { ok: false; status: 401 | 403 | 429; error: string; retryAfter?: number };

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
  const taken = asInt(
    await storage.evalScript(TAKE_ATTEMPT, [key], [String(limit), String(ADMIN_FAIL_WINDOW_SECONDS)]),
    'admin attempt',
  );
  if (taken < 0) {
    return {
      ok: false,
      status: 429,
      error: 'too many failed admin logins from this address; try again later',
      retryAfter: -taken,
    };
  }
  if (token !== null && tokenMatches(token, password)) {
    await storage.evalScript(REFUND_ATTEMPT, [key], []);
    return { ok: true };
  }
  return { ok: false, status: 401, error: 'invalid password' };
}
