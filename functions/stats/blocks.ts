/**
 * Pool blocks in the seed's API format. Our store keeps one `block(hash)` hash per block (BlockRecord in
 * shared/redis/keys.ts: hash, height, time ms, difficulty, shares, finder, scheme, status, reward?) and the zsets
 * `blocksCandidates` / `blocksMatured` (score = height, member = hash). The seed's front-ends expect flat
 * `[member, score, ...]` lists whose member is
 *   candidate:  "hash:time:difficulty:shares"
 *   unlocked:   "hash:time:difficulty:shares:0:reward"
 *   orphaned:   "hash:time:difficulty:shares:1"
 * with `time` in unix SECONDS (the seed's pages do `new Date(time * 1000)`) and score = height as a string (what
 * Redis WITHSCORES returned to the seed).
 */
import type { KeySchema } from '../../shared/redis/keys.js';
import type { Storage } from '../../shared/storage/port.js';
import { chunkedPipeline } from '../../shared/storage/bulk.js';
import { asBigint, asHash, asOptInt, asOptStrings, asStrings } from '../../shared/storage/replies.js';

export type BlockStatus = 'candidate' | 'unlocked' | 'orphaned';

export interface BlockView {
  hash: string;
  height: number;
  /** unix ms the pool found it */
  timeMs: number;
  difficulty: bigint;
  shares: bigint;
  status: BlockStatus;
  reward: bigint | null;
}

/** A block record as the API shows it; an absent field takes the zset's value or zero, a garbled one is E_STORAGE. */
export function blockView(hash: string, height: number, rec: Record<string, string>): BlockView {
  const status: BlockStatus = rec.status === 'unlocked' || rec.status === 'orphaned' ? rec.status : 'candidate';
  return {
    hash: rec.hash ?? hash,
    height: asOptInt(rec.height, 'block height') ?? height,
    timeMs: asOptInt(rec.time, 'block time') ?? 0,
    difficulty: asBigint(rec.difficulty, 'block difficulty'),
    shares: asBigint(rec.shares, 'block shares'),
    status,
    reward: rec.reward === undefined ? null : asBigint(rec.reward, 'block reward'),
  };
}

/** The seed's member string for a block. */
export function blockMember(b: BlockView): string {
  const base = `${b.hash}:${Math.floor(b.timeMs / 1000)}:${b.difficulty}:${b.shares}`;
  if (b.status === 'orphaned') return `${base}:1`;
  if (b.status === 'unlocked') return `${base}:0:${b.reward ?? 0n}`;
  return base;
}

/** Loads the block records for [hash, heightScore] pairs, in order. */
export async function loadBlocks(
  storage: Storage,
  keys: KeySchema,
  entries: readonly (readonly [string, string])[],
): Promise<BlockView[]> {
  const replies = await chunkedPipeline(
    storage,
    entries.map(([hash]) => ['HGETALL', keys.block(hash)]),
  );
  return entries.map(([hash, score], i) => blockView(hash, Number(score), asHash(replies[i], 'block')));
}

/** Flat seed list [member, score, member, score, ...] for blocks. */
export function flatBlocks(blocks: readonly BlockView[]): string[] {
  return blocks.flatMap((b) => [blockMember(b), String(b.height)]);
}

export interface MaturedTotals {
  unlocked: number;
  orphaned: number;
  /** Sum of rewards of unlocked blocks (atomic units). */
  revenue: bigint;
  /** Sum of network difficulty of unlocked blocks. */
  difficulty: bigint;
  /** Sum of round shares of unlocked blocks. */
  shares: bigint;
}

/**
 * Totals over every matured block (the seed's /admin_stats and the stats snapshot's orphan count). Reads each
 * block's status, reward, difficulty and shares: O(blocks found), pipelined in chunks.
 */
export async function maturedTotals(storage: Storage, keys: KeySchema): Promise<MaturedTotals> {
  const hashes = asStrings(await storage.command(['ZRANGE', keys.blocksMatured, '0', '-1']), 'blocksMatured');
  const replies = await chunkedPipeline(
    storage,
    hashes.map((h) => ['HMGET', keys.block(h), 'status', 'reward', 'difficulty', 'shares']),
  );
  const t: MaturedTotals = { unlocked: 0, orphaned: 0, revenue: 0n, difficulty: 0n, shares: 0n };
  for (const r of replies) {
    const [status, reward, difficulty, shares] = asOptStrings(r, 'block fields');
    if (status === 'orphaned') t.orphaned++;
    else if (status === 'unlocked') {
      t.unlocked++;
      t.revenue += asBigint(reward, 'block reward');
      t.difficulty += asBigint(difficulty, 'block difficulty');
      t.shares += asBigint(shares, 'block shares');
    }
  }
  return t;
}
