/**
 * Narrowing helpers for raw storage replies (shared/storage/port.ts: string | number | null | arrays), so the stats
 * function and the API read Redis without casts. Integers are stored as decimal strings; money is read as bigint.
 */
import { ERRORS, PoolError } from '../../shared/errors.js';
import type { Storage, StorageReply } from '../../shared/storage/port.js';
import { commandOnSlot } from '../../shared/redis/routed.js';

function unexpected(what: string, r: StorageReply): never {
  throw new PoolError(ERRORS.STORAGE, `unexpected storage reply for ${what}`, { reply: JSON.stringify(r).slice(0, 200) });
}

/** A bulk string or nil. Integer replies are turned into their decimal text. */
export function optString(r: StorageReply | undefined, what = 'string'): string | null {
  if (r === null || r === undefined) return null;
  if (typeof r === 'string') return r;
  if (typeof r === 'number') return String(r);
  return unexpected(what, r);
}

/** An array reply of strings (ZRANGE, SMEMBERS, HGETALL before pairing). nil counts as empty. */
export function stringList(r: StorageReply | undefined, what = 'list'): string[] {
  if (r === null || r === undefined) return [];
  if (!Array.isArray(r)) return unexpected(what, r);
  return r.map((x) => optString(x, what) ?? '');
}

/** An integer reply (or a decimal string, or nil = 0) as a JS number. */
export function intReply(r: StorageReply | undefined, what = 'integer'): number {
  if (r === null || r === undefined) return 0;
  if (typeof r === 'number') return r;
  if (typeof r === 'string' && /^-?\d+$/.test(r)) return Number(r);
  return unexpected(what, r);
}

/** A flat [field, value, ...] HGETALL reply as a plain record (null-prototype free: a Map-backed copy). */
export function hashReply(r: StorageReply | undefined, what = 'hash'): Record<string, string> {
  const flat = stringList(r, what);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i] as string;
    Object.defineProperty(out, k, { value: flat[i + 1] as string, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Decimal integer text (possibly signed) to bigint; anything else (absent, garbage) is `fallback`. */
export function toBigInt(v: string | null | undefined, fallback = 0n): bigint {
  if (v === null || v === undefined || !/^-?\d+$/.test(v)) return fallback;
  return BigInt(v);
}

/** Decimal integer text to a safe JS number, or null when absent or not an integer. */
export function toIntOrNull(v: string | null | undefined): number | null {
  if (v === null || v === undefined || !/^-?\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** Runs commands in pipelines of at most `chunk` commands (keeps REST bodies and Redis replies bounded). */
export async function chunkedPipeline(
  storage: Storage,
  cmds: readonly (readonly string[])[],
  chunk = 500,
): Promise<StorageReply[]> {
  const out: StorageReply[] = [];
  for (let i = 0; i < cmds.length; i += chunk) {
    out.push(...(await storage.pipeline(cmds.slice(i, i + chunk))));
  }
  return out;
}

/**
 * All keys matching `pattern` through SCAN (never KEYS). Used only on admin routes and by the periodic stats run.
 * A pattern's `{`/`}` are literal for Redis globbing; `*`, `?`, `[` and `\` in the fixed part are escaped.
 * `prefix` starts with the pool's `{coin}` hash tag: the scan runs on the node owning that slot (shared/redis/routed.ts).
 */
export async function scanKeys(storage: Storage, prefix: string, count = 1000): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  const keys = new Set<string>();
  let cursor = '0';
  do {
    // on the node that owns the prefix's slot (a Redis Cluster node scans only its own keys)
    const r = await commandOnSlot(storage, prefix, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(count)]);
    if (!Array.isArray(r) || r.length !== 2) unexpected('SCAN', r);
    cursor = optString(r[0], 'SCAN cursor') ?? '0';
    for (const k of stringList(r[1], 'SCAN keys')) keys.add(k);
  } while (cursor !== '0');
  return [...keys];
}
