/**
 * GET /stats and GET /live_stats: the seed's body, built from the stats function's snapshot.
 *
 * {
 *   pool: { stats: {<public fields of the Redis stats hash, strings>}, blocks: [member, height, ...], totalBlocks, payments: [member,
 *           time, ...], totalPayments, totalMinersPaid, miners, workers, hashrate, roundHashes,
 *           lastBlockFound: "<unix ms>" | null,
 *           + effort, roundStart, lastBlockFoundHeight, blocksUnlocked, blocksOrphaned, updated (snapshot unix ms) },
 *   network: { difficulty (the next block's: the template's), height, timestamp, reward, hash (the last block's),
 *              + hashrate },
 *   config: { see public-config.ts }
 * }
 * /live_stats answers with the same body once the snapshot changed (or after the long-poll timeout); with
 * longPoll off (Lambda) it answers at once. Before the first stats run both answer 503 {error}.
 */
import type { FastifyInstance } from 'fastify';
import { parseSnapshot, type PoolStatsSnapshot } from '../../stats/index.js';
import type { ApiContext } from '../context.js';
import { ApiError, cache, sendJson } from '../http.js';
import { toJson, type Json } from '../json.js';

export function statsBody(s: PoolStatsSnapshot, config: Json): Json {
  const p = s.pool;
  return {
    pool: {
      stats: p.stats,
      blocks: p.blocks,
      totalBlocks: p.totalBlocks,
      payments: p.payments,
      totalPayments: p.totalPayments,
      totalMinersPaid: p.totalMinersPaid,
      miners: p.miners,
      workers: p.workers,
      hashrate: p.hashrate,
      roundHashes: BigInt(p.roundHashes),
      lastBlockFound: p.lastBlockFound,
      effort: p.effort,
      roundStart: p.roundStart,
      lastBlockFoundHeight: p.lastBlockFoundHeight,
      blocksUnlocked: p.blocksUnlocked,
      blocksOrphaned: p.blocksOrphaned,
      updated: s.time,
    },
    network: {
      difficulty: BigInt(s.network.difficulty),
      height: s.network.height,
      timestamp: s.network.timestamp,
      reward: BigInt(s.network.reward),
      hash: s.network.hash,
      hashrate: s.network.hashrate,
    },
    config,
  };
}

export const NOT_READY = 'stats are not ready yet: the stats function has not written a snapshot';

export function registerStatsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  let memoRaw: string | null = null;
  let memoBody = '';
  const bodyFor = (raw: string | null): string => {
    if (raw !== null && raw === memoRaw) return memoBody;
    const snap = parseSnapshot(raw);
    if (snap === null) throw new ApiError(503, NOT_READY);
    memoRaw = raw;
    memoBody = toJson(statsBody(snap, ctx.publicConfig));
    return memoBody;
  };
  const maxAge = cache.stats(ctx.deps.config.api.updateInterval);

  app.get('/stats', async (_req, reply) => {
    return sendJson(reply, bodyFor(await ctx.snapshots.read()), maxAge);
  });

  app.get('/live_stats', async (_req, reply) => {
    // the response's 'close' before we answered = the client went away (the request's own 'close' fires as
    // soon as its body was read); listen before the first await so an early disconnect is not missed
    const gone = new AbortController();
    if (ctx.deps.longPoll) reply.raw.once('close', () => gone.abort());
    let raw = await ctx.snapshots.read();
    if (ctx.deps.longPoll) {
      raw = await ctx.snapshots.waitForChange(raw, ctx.longPollTimeoutMs, gone.signal);
    }
    return sendJson(reply, bodyFor(raw), cache.noCache);
  });
}
