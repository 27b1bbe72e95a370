/**
 * Readers for raw Storage replies: the one place the back office turns what Redis sent (shared/storage/port.ts:
 * StorageReply = string | number | null | StorageReply[]) into typed values. Used by the unlocker, payments, stats
 * and the API; nobody else pairs HGETALL or WITHSCORES arrays by hand.
 *
 * Data model of the replies read here (RESP2, as both adapters return them):
 * - bulk string -> string; integer -> number; nil -> null; array -> array (nested as sent).
 * - HGETALL -> flat [field, value, field, value, ...]; an absent key is [] (never nil).
 * - ZRANGE/ZREVRANGE/ZRANGEBYSCORE ... WITHSCORES -> flat [member, score, ...]; a score is decimal text or
 *   "inf"/"-inf".
 * - Stored integers (money, heights, counters, unix times) are decimal text with an optional minus.
 *
 * Behaviour, one rule for every reader: a reply of the wrong shape (not an array where one is expected, an odd
 * HGETALL/WITHSCORES length, a nil or nested array where a string belongs, an integer field that is not decimal
 * digits) is a PoolError E_STORAGE naming what was expected, never a silent default. Only an ABSENT value has a
 * default, and only through the readers that say so (asOptString -> null, asBigint -> 0n, asOptInt -> null).
 * Hash fields are data, not object keys: asHash returns a null-prototype record, so a field named `__proto__`,
 * `constructor` or `toString` is an ordinary own entry (never a prototype change, never an inherited value).
 */
import { ERRORS, PoolError } from '../errors.js';
import type { StorageReply } from './port.js';

/** A stored record: HGETALL's fields as own, null-prototype entries (absent fields read as undefined). */
export type StoredHash = Record<string, string>;

/** A bulk string (or an integer reply as its decimal text). */
export function asString(reply: StorageReply | undefined, what = 'string'): string {
  if (typeof reply === 'string') return reply;
  if (typeof reply === 'number' && Number.isFinite(reply)) return String(reply);
  throw badReply(what, 'a string', reply);
}

/** A bulk string or nil (GET, HGET): nil -> null. */
export function asOptString(reply: StorageReply | undefined, what = 'string or nil'): string | null {
  if (reply === null) return null;
  return asString(reply, what);
}

/** An array of strings (ZRANGE without scores, SMEMBERS, LRANGE, SCAN keys). */
export function asStrings(reply: StorageReply | undefined, what = 'string array'): string[] {
  if (!Array.isArray(reply)) throw badReply(what, 'an array', reply);
  return reply.map((r) => asString(r, what));
}

/** An array of strings or nils (HMGET, MGET): a missing field/key -> null. */
export function asOptStrings(reply: StorageReply | undefined, what = 'string-or-nil array'): (string | null)[] {
  if (!Array.isArray(reply)) throw badReply(what, 'an array', reply);
  return reply.map((r) => asOptString(r, what));
}

/** An integer reply (or a decimal string holding a safe integer). */
export function asInt(reply: StorageReply | undefined, what = 'integer'): number {
  if (typeof reply === 'number' && Number.isSafeInteger(reply)) return reply;
  if (typeof reply === 'string' && /^-?\d+$/.test(reply)) {
    const n = Number(reply);
    if (Number.isSafeInteger(n)) return n;
  }
  throw badReply(what, 'an integer', reply);
}

/** An HGETALL reply as a null-prototype record (an absent key gives an empty record). */
export function asHash(reply: StorageReply | undefined, what = 'hash'): StoredHash {
  const flat = flatPairs(reply, what, 'a flat field/value array');
  const out: StoredHash = Object.create(null) as StoredHash;
  for (let i = 0; i < flat.length; i += 2) {
    // on a null-prototype object plain assignment defines an own property, "__proto__" included
    out[flat[i] as string] = flat[i + 1] as string;
  }
  return out;
}

/** A WITHSCORES reply as [member, score text] pairs, in reply order (scores kept as Redis sent them). */
export function asPairs(reply: StorageReply | undefined, what = 'scored list'): [member: string, score: string][] {
  const flat = flatPairs(reply, what, 'a flat member/score array');
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

/** A WITHSCORES reply as {member, score} with numeric scores ("inf"/"-inf" -> +-Infinity). */
export function asScored(reply: StorageReply | undefined, what = 'scored list'): { member: string; score: number }[] {
  return asPairs(reply, what).map(([member, score]) => ({ member, score: scoreOf(score, what) }));
}

/** A stored integer (money, counters) as bigint: absent (undefined, nil, '') -> 0n; anything but digits -> E_STORAGE. */
export function asBigint(value: string | null | undefined, what = 'decimal integer'): bigint {
  if (value === null || value === undefined || value === '') return 0n;
  if (!/^-?\d+$/.test(value)) throw badReply(what, 'a decimal integer', value);
  return BigInt(value);
}

/** A stored integer field as a safe JS number: absent -> null; garbage or beyond 2^53 -> E_STORAGE. */
export function asOptInt(value: string | null | undefined, what = 'decimal integer'): number | null {
  if (value === null || value === undefined || value === '') return null;
  return asInt(value, what);
}

function flatPairs(reply: StorageReply | undefined, what: string, expected: string): string[] {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw badReply(what, expected, reply);
  return reply.map((r) => asString(r, what));
}

function scoreOf(text: string, what: string): number {
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n)) throw badReply(what, 'a numeric score', text);
  return n;
}

function badReply(what: string, expected: string, got: unknown): PoolError {
  let shown: string;
  try {
    shown = (JSON.stringify(got) ?? String(got)).slice(0, 200);
  } catch {
    shown = String(got).slice(0, 200);
  }
  return new PoolError(ERRORS.STORAGE, `unexpected storage reply for ${what}: expected ${expected}`, {
    what,
    got: shown,
  });
}
