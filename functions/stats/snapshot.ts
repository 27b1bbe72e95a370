/**
 * PoolStatsSnapshot: what the stats function stores (JSON) in `statsSnapshot` (TTL 1 h) and the API serves.
 * Integers that can outgrow 2^53 (difficulties, rewards, round hashes) are decimal strings here; the API writes them
 * as exact JSON integer literals (functions/api/json.ts). Block and payment lists are already in the seed's flat
 * `[member, score, ...]` format so the API does no per-request work for /stats.
 */
import { z } from 'zod';

export const SNAPSHOT_VERSION = 1;

const decimal = z.string().regex(/^-?\d+$/);

export const snapshotSchema = z.object({
  version: z.literal(SNAPSHOT_VERSION),
  /** unix ms the snapshot was built */
  time: z.number().int(),
  pool: z.object({
    /** H/s over api.hashrateWindow */
    hashrate: z.number(),
    /** logins with shares in the window */
    miners: z.number().int(),
    /** (login, rig) pairs with shares in the window */
    workers: z.number().int(),
    /** roundTotal: summed share difficulty of the open round */
    roundHashes: decimal,
    /** roundHashes / network.difficulty, the current template's (1 = one expected block's work); null when unknown */
    effort: z.number().nullable(),
    /** unix ms the open round started (stats.roundStart), null before the first block */
    roundStart: z.number().int().nullable(),
    /** unix ms as a decimal string, as the seed's Redis hash value; null when the pool never found a block */
    lastBlockFound: z.string().nullable(),
    lastBlockFoundHeight: z.number().int().nullable(),
    /** the public fields of the Redis `stats` hash (run.ts PUBLIC_STATS_FIELDS; the seed's pool.stats) */
    stats: z.record(z.string()),
    /** flat [member, height, ...]: every candidate, then the newest api.blocks matured blocks */
    blocks: z.array(z.string()),
    /** candidates + matured */
    totalBlocks: z.number().int(),
    blocksCandidates: z.number().int(),
    blocksUnlocked: z.number().int(),
    blocksOrphaned: z.number().int(),
    /** flat [member, time, ...]: newest api.payments entries of paymentsAll */
    payments: z.array(z.string()),
    totalPayments: z.number().int(),
    /** addresses with a payments(addr) history */
    totalMinersPaid: z.number().int(),
  }),
  network: z.object({
    /** the NEXT block's difficulty (get_info): what the current template is mined at */
    difficulty: decimal,
    /** height, timestamp, reward and hash of the last block (get_last_block_header) */
    height: z.number().int(),
    timestamp: z.number().int(),
    reward: decimal,
    hash: z.string(),
    /** difficulty / 120 s, H/s */
    hashrate: z.number(),
  }),
});

export type PoolStatsSnapshot = z.infer<typeof snapshotSchema>;

/** Parses the stored JSON; null when absent or not a snapshot of this version. */
export function parseSnapshot(raw: string | null): PoolStatsSnapshot | null {
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const r = snapshotSchema.safeParse(value);
  return r.success ? r.data : null;
}
