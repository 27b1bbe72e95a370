/**
 * Bulk reads over the Storage port: commands in bounded pipelines, and every key under a prefix through SCAN.
 * Used by the stats function and the API's admin routes. Replies are parsed by shared/storage/replies.ts.
 *
 * Data model: none (reads only).
 */
import { commandOnSlot } from '../redis/routed.js';
import type { Storage, StorageReply } from './port.js';
import { asOptString, asStrings } from './replies.js';
import { ERRORS, PoolError } from '../errors.js';

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
 * All keys matching `prefix*` through SCAN (never KEYS). Used only on admin routes and by the periodic stats run.
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
    if (!Array.isArray(r) || r.length !== 2) {
      throw new PoolError(ERRORS.STORAGE, 'unexpected storage reply for SCAN: expected [cursor, keys]', {
        got: JSON.stringify(r)?.slice(0, 200),
      });
    }
    cursor = asOptString(r[0], 'SCAN cursor') ?? '0';
    for (const k of asStrings(r[1], 'SCAN keys')) keys.add(k);
  } while (cursor !== '0');
  return [...keys];
}
