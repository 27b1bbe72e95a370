/**
 * The stats function: builds the pool/network snapshot the API serves and appends chart points.
 *
 * Reads (keys from shared/redis/keys.ts): hashrateBucket(t) for the buckets in api.hashrateWindow, roundTotal,
 * stats, blocksCandidates, blocksMatured (newest api.blocks) and their block(hash) records, paymentsAll (newest
 * api.payments), creditedAddresses + worker(addr).paid (miners paid), the previous statsSnapshot; the daemon's last
 * block header and get_info (whose difficulty is the next block's: the difficulty of the template being mined).
 * Writes (skipped on dryRun): statsSnapshot (JSON PoolStatsSnapshot, EX 3600), heartbeat("stats") = unix ms, and
 * once per stats.chartInterval slot the chart points: chart(hashrate|miners|workers|difficulty) and minerChart(addr)
 * per miner active in the window (functions/stats/charts.ts for trimming and TTLs). Miner points go in MULTIs of
 * 100 miners, then one MULTI holds the pool points, the snapshot and the heartbeat.
 * Cost per run: O(buckets + listed blocks + credited addresses) commands, pipelined; no KEYS or SCAN.
 *
 * Recipe:
 *  1. one pipeline of reads (+ the daemon header in parallel);
 *  2. sum the buckets: pool hashrate = total / span, miners = distinct m: fields, workers = distinct w: fields;
 *  3. one pipeline for the listed blocks' records and the credited addresses' `paid`;
 *  4. network: the last header's height, timestamp, reward, hash; difficulty = get_info's (the next block's, i.e. the
 *     current template's); hashrate = difficulty / 120. If the daemon fails, the previous snapshot's network is kept
 *     (logged) so pool stats stay fresh; with none, the run fails;
 *  5. effort = roundTotal / that template difficulty (the work the open round is mining against);
 *  6. write snapshot, heartbeat and (new slot only) chart points atomically.
 * Logging: the whole snapshot at debug on every run; at most one one-line info summary a minute per logger.
 */
import { keySchema } from '../../shared/redis/keys.js';
import type { BlockHeader } from '../../shared/rpc/daemon.js';
import { chunkedPipeline } from '../../shared/storage/bulk.js';
import { asBigint, asHash, asInt, asOptInt, asOptString, asPairs, asStrings } from '../../shared/storage/replies.js';
import { flatBlocks, loadBlocks } from './blocks.js';
import { CHART_POINT_COMMANDS, POOL_CHARTS, chartPointCommands, chartSlot, type PoolChartName } from './charts.js';
import type { StatsDeps, StatsInput } from './deps.js';
import { bucketWindow, hashrateOf, sumBuckets } from './hashrate.js';
import { SNAPSHOT_VERSION, parseSnapshot, type PoolStatsSnapshot } from './snapshot.js';

/** Monero's target block time (s), the seed's `blockTime` and the network hashrate divisor. */
export const BLOCK_TIME_SECONDS = 120;
/** statsSnapshot lifetime (s): a stale snapshot disappears rather than being served for ever. */
export const SNAPSHOT_TTL_SECONDS = 3600;
export const HEARTBEAT_NAME = 'stats';
/** Miners whose chart points go in one MULTI. */
const MINER_CHART_CHUNK = 100;

/**
 * Fields of the Redis `stats` hash published as pool.stats (the seed published the whole hash, then only
 * lastBlockFound). The unlocker's and payer's ledger totals (pool fee revenue, tx fees) stay private.
 */
export const PUBLIC_STATS_FIELDS: readonly string[] = [
  'lastBlockFound',
  'lastBlockFoundHeight',
  'roundStart',
  'totalShares',
  'totalInvalid',
];

function publicStats(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of PUBLIC_STATS_FIELDS) {
    const v = h[f];
    if (v !== undefined) out[f] = v;
  }
  return out;
}

export async function run(deps: StatsDeps, input: StatsInput = {}): Promise<PoolStatsSnapshot> {
  const { storage, config, log } = deps;
  const keys = keySchema(config.coin);
  const nowMs = deps.now();
  const nowSec = Math.floor(nowMs / 1000);
  const win = bucketWindow(nowSec, config.api.hashrateWindow);
  const slot = chartSlot(nowSec, config.stats.chartInterval);
  const slotText = String(slot);

  // 1. reads
  const fixed: string[][] = [
    ['GET', keys.statsSnapshot],
    ['GET', keys.roundTotal],
    ['HGETALL', keys.stats],
    ['ZRANGE', keys.blocksCandidates, '0', '-1', 'WITHSCORES'],
    ['ZREVRANGE', keys.blocksMatured, '0', String(config.api.blocks - 1), 'WITHSCORES'],
    ['ZCARD', keys.blocksMatured],
    ['ZREVRANGE', keys.paymentsAll, '0', String(config.api.payments - 1), 'WITHSCORES'],
    ['ZCARD', keys.paymentsAll],
    ['SMEMBERS', keys.creditedAddresses],
    ['ZRANGEBYSCORE', keys.chart('hashrate'), slotText, slotText, 'LIMIT', '0', '1'],
  ];
  const bucketCmds = win.starts.map((t) => ['HGETALL', keys.hashrateBucket(t)]);
  const [replies, chain] = await Promise.all([
    storage.pipeline([...fixed, ...bucketCmds]),
    Promise.all([deps.daemon.getLastBlockHeader(), deps.daemon.getInfo()]).then(
      ([h, info]) => ({ ok: true as const, h, info }),
      (e: unknown) => ({ ok: false as const, e }),
    ),
  ]);
  const previous = parseSnapshot(asOptString(replies[0], 'statsSnapshot'));
  const roundTotal = asBigint(asOptString(replies[1], 'roundTotal'), 'roundTotal');
  const statsHash = asHash(replies[2], 'stats');
  const candidates = asPairs(replies[3], 'blocksCandidates');
  const matured = asPairs(replies[4], 'blocksMatured');
  const maturedCount = asInt(replies[5], 'ZCARD blocksMatured');
  const payments = asStrings(replies[6], 'paymentsAll');
  const paymentsCount = asInt(replies[7], 'ZCARD paymentsAll');
  const credited = asStrings(replies[8], 'creditedAddresses');
  const slotTaken = asStrings(replies[9], 'chart slot').length > 0;

  // 2. buckets
  const sums = sumBuckets(win.starts.map((_, i) => asHash(replies[fixed.length + i], 'hashrate bucket')));
  const hashrate = hashrateOf(sums.total, win.span);

  // 3. block records and miners paid
  const blocks = await loadBlocks(storage, keys, [...candidates, ...matured]);
  const paidReplies = await chunkedPipeline(
    storage,
    credited.map((a) => ['HGET', keys.worker(a), 'paid']),
  );
  const minersPaid = paidReplies.filter((r) => asBigint(asOptString(r, 'worker paid'), 'worker paid') > 0n).length;

  // 4. network
  let network: PoolStatsSnapshot['network'];
  if (chain.ok) {
    network = networkOf(chain.h, chain.info.difficulty);
  } else if (previous !== null) {
    log.error({ err: chain.e }, 'stats: daemon unreachable, keeping the previous network stats');
    network = previous.network;
  } else {
    throw chain.e;
  }

  // 5. snapshot
  const difficulty = BigInt(network.difficulty);
  const snapshot: PoolStatsSnapshot = {
    version: SNAPSHOT_VERSION,
    time: nowMs,
    pool: {
      hashrate,
      miners: sums.miners.size,
      workers: sums.workers.size,
      roundHashes: roundTotal.toString(),
      effort: roundEffort(roundTotal, difficulty),
      roundStart: asOptInt(statsHash.roundStart, 'stats.roundStart'),
      lastBlockFound: statsHash.lastBlockFound ?? null,
      lastBlockFoundHeight: asOptInt(statsHash.lastBlockFoundHeight, 'stats.lastBlockFoundHeight'),
      stats: publicStats(statsHash),
      blocks: flatBlocks(blocks),
      totalBlocks: maturedCount + candidates.length,
      blocksCandidates: candidates.length,
      blocksUnlocked: asOptInt(statsHash.blocksUnlocked, 'stats.blocksUnlocked') ?? 0,
      blocksOrphaned: asOptInt(statsHash.blocksOrphaned, 'stats.blocksOrphaned') ?? 0,
      payments,
      totalPayments: paymentsCount,
      totalMinersPaid: minersPaid,
    },
    network,
  };

  if (input.dryRun === true) return snapshot;

  // 6. writes: miner chart points first (in atomic chunks, one miner's commands never split), then one MULTI with
  // the pool points (the hashrate point marks the slot done), the snapshot and the heartbeat. A run that dies in
  // between leaves the slot open, and the next run rewrites the miners' points in place.
  const writes: string[][] = [];
  let chartPoints = 0;
  if (!slotTaken) {
    const { chartInterval, chartRetention } = config.stats;
    const minerCmds: string[][] = [];
    for (const [login, sum] of sums.miners) {
      const v = hashrateOf(sum, win.span);
      minerCmds.push(...chartPointCommands(keys.minerChart(login), slot, v, nowSec, chartRetention, chartInterval));
    }
    const perMiner = CHART_POINT_COMMANDS;
    for (let i = 0; i < minerCmds.length; i += MINER_CHART_CHUNK * perMiner) {
      await storage.multi(minerCmds.slice(i, i + MINER_CHART_CHUNK * perMiner));
    }
    const values: Record<PoolChartName, number | bigint> = {
      hashrate,
      miners: sums.miners.size,
      workers: sums.workers.size,
      difficulty,
    };
    for (const name of POOL_CHARTS) {
      writes.push(...chartPointCommands(keys.chart(name), slot, values[name], nowSec, chartRetention, chartInterval));
    }
    chartPoints = POOL_CHARTS.length + sums.miners.size;
  }
  writes.push(
    ['SET', keys.statsSnapshot, JSON.stringify(snapshot), 'EX', String(SNAPSHOT_TTL_SECONDS)],
    ['SET', keys.heartbeat(HEARTBEAT_NAME), String(nowMs)],
  );
  await storage.multi(writes);
  log.debug({ snapshot, chartPoints }, 'stats: snapshot written');
  if (summaryDue(log, nowMs)) {
    log.info(
      {
        hashrate,
        miners: snapshot.pool.miners,
        workers: snapshot.pool.workers,
        height: network.height,
        effort: snapshot.pool.effort,
      },
      'stats: snapshot written',
    );
  }
  return snapshot;
}

/** Unix ms of the last info summary per logger: at most one a SUMMARY_EVERY_MS (the snapshot itself is at debug). */
const lastSummary = new WeakMap<object, number>();
export const SUMMARY_EVERY_MS = 60_000;

function summaryDue(log: object, nowMs: number): boolean {
  const last = lastSummary.get(log);
  if (last !== undefined && nowMs - last < SUMMARY_EVERY_MS && nowMs >= last) return false;
  lastSummary.set(log, nowMs);
  return true;
}

/**
 * The snapshot's network: the last block's height, timestamp, reward and hash, and the difficulty of the NEXT block
 * (get_info's difficulty, the one the pool's current template is mined at), from which hashrate and effort follow.
 */
export function networkOf(
  last: Pick<BlockHeader, 'height' | 'timestamp' | 'reward' | 'hash'>,
  nextDifficulty: bigint,
): PoolStatsSnapshot['network'] {
  return {
    difficulty: nextDifficulty.toString(),
    height: last.height,
    timestamp: last.timestamp,
    reward: last.reward.toString(),
    hash: last.hash,
    hashrate: Math.round(Number(nextDifficulty) / BLOCK_TIME_SECONDS),
  };
}

/** Round effort: the round's summed share difficulty over the current template's difficulty; null when unknown. */
export function roundEffort(roundHashes: bigint, templateDifficulty: bigint): number | null {
  return templateDifficulty > 0n ? Number(roundHashes) / Number(templateDifficulty) : null;
}
