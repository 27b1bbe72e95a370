/**
 * Readers for raw Storage replies (shared/storage/port.ts returns strings, numbers, null and arrays as Redis sent
 * them). Shared by the unlocker and payments; a malformed reply is a PoolError E_STORAGE, never a silent default.
 */
import { ERRORS, PoolError } from '../../shared/errors.js';
import type { StorageReply } from '../../shared/storage/port.js';

/** HGETALL reply -> record (an empty hash gives {}). */
export function asHash(reply: StorageReply): Record<string, string> {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw badReply('a flat field/value array', reply);
  const out: Record<string, string> = {};
  for (let i = 0; i < reply.length; i += 2) out[asString(reply[i] ?? null)] = asString(reply[i + 1] ?? null);
  return out;
}

/** ZRANGE ... WITHSCORES reply -> [{member, score}]. */
export function asScored(reply: StorageReply): { member: string; score: number }[] {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw badReply('a member/score array', reply);
  const out: { member: string; score: number }[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    out.push({ member: asString(reply[i] ?? null), score: Number(asString(reply[i + 1] ?? null)) });
  }
  return out;
}

export function asString(reply: StorageReply): string {
  if (typeof reply === 'string') return reply;
  if (typeof reply === 'number') return String(reply);
  throw badReply('a string', reply);
}

export function asStrings(reply: StorageReply): string[] {
  if (!Array.isArray(reply)) throw badReply('an array', reply);
  return reply.map((r) => asString(r));
}

/** A stored integer (money, counters): decimal digits with an optional minus; missing -> 0n. */
export function asBigint(value: string | null | undefined): bigint {
  if (value === null || value === undefined || value === '') return 0n;
  if (!/^-?\d+$/.test(value)) throw badReply('a decimal integer', value);
  return BigInt(value);
}

export function asInt(reply: StorageReply): number {
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'string' && /^-?\d+$/.test(reply)) return Number(reply);
  throw badReply('an integer', reply);
}

function badReply(expected: string, got: unknown): PoolError {
  return new PoolError(ERRORS.STORAGE, `unexpected storage reply: expected ${expected}`, {
    got: JSON.stringify(got)?.slice(0, 200),
  });
}
