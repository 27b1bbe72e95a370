/**
 * Per-miner routes.
 *
 * GET /stats_address?address=&longpoll=true|false
 *   200 {stats: {hashes, lastShare?, balance, paid, hashrate, + pending, threshold?, hashrateHs}, payments: [member,
 *        time, ...]} or 200 {error: "not found"} (the seed's shapes; no leading "\n": JSON parsers and jQuery skip
 *   it, and fetch().json() does too, so nothing needs it). Values from the miner's Redis hash are strings, exactly
 *   as the seed sent them (balances stay exact above 2^53); `hashrate` is the seed's readable string ("1.17 KH"),
 *   `hashrateHs` the same as a number (H/s). lastShare is left out until the first share (the seed's page shows
 *   "Never" for it). longpoll=true waits for the next snapshot (see live.ts) when longPoll is on.
 * GET /workers?address=  ->  {address, workers: [{name, hashrate (H/s), lastShare (unix s)}]} sorted by name.
 * GET /get_payments?time=&address=  ->  flat [member, time, ...] older than `time` (unix s; all when absent),
 *   newest first, at most api.payments; address absent = the pool's paymentsAll.
 * POST /set_payout_threshold {address, threshold}  ->  {status: "OK", address, threshold: "<atomic units>"}.
 *   `threshold` is atomic units (a decimal string, or a JSON integer up to 2^53); at least payments.minPayment.
 *   Allowed only when the caller's IP mined to the address within THRESHOLD_IP_WINDOW_MS (minerIps(address),
 *   written by the stratum node; dvandal's minerSeenWithIPForAddress). 403 otherwise.
 */
import type { FastifyInstance } from 'fastify';
import { bucketWindow, hashrateOf, readableHashrate } from '../../stats/index.js';
import { hashReply, optString, stringList, toBigInt } from '../../stats/replies.js';
import type { ApiContext } from '../context.js';
import { ApiError, cache, minerAddress, sendJson } from '../http.js';
import type { Json } from '../json.js';

/** How recently the caller's IP must have mined to the address to change its payout threshold. */
export const THRESHOLD_IP_WINDOW_MS = 24 * 3600 * 1000;

const addressProp = { type: 'string', minLength: 1, maxLength: 256 } as const;

const statsAddressSchema = {
  querystring: {
    type: 'object',
    required: ['address'],
    properties: { address: addressProp, longpoll: { type: 'string', enum: ['true', 'false'] } },
  },
} as const;

const workersSchema = {
  querystring: { type: 'object', required: ['address'], properties: { address: addressProp } },
} as const;

const paymentsSchema = {
  querystring: {
    type: 'object',
    properties: { time: { type: 'integer', minimum: 0 }, address: addressProp },
  },
} as const;

const thresholdSchema = {
  body: {
    type: 'object',
    required: ['address', 'threshold'],
    additionalProperties: false,
    properties: {
      address: addressProp,
      threshold: { type: 'string', pattern: '^[0-9]{1,19}$' },
    },
  },
} as const;

interface StatsAddressQuery {
  address: string;
  longpoll?: 'true' | 'false';
}
interface AddressQuery {
  address: string;
}
interface PaymentsQuery {
  time?: number;
  address?: string;
}
interface ThresholdBody {
  address: string;
  threshold: string;
}

/** The forms an IP may have been stored in (plain IPv4 or IPv4-mapped IPv6). */
function ipForms(ip: string): string[] {
  const forms = new Set([ip]);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] !== undefined) forms.add(mapped[1]);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) forms.add(`::ffff:${ip}`);
  return [...forms];
}

export function registerMinerRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { deps, keys } = ctx;
  const { config, storage } = deps;
  const maxAge = cache.stats(config.api.updateInterval);

  async function addressStats(address: string): Promise<Json> {
    const win = bucketWindow(Math.floor(deps.now() / 1000), config.api.hashrateWindow);
    const replies = await storage.pipeline([
      ['HGETALL', keys.worker(address)],
      ['ZREVRANGE', keys.payments(address), '0', String(config.api.payments - 1), 'WITHSCORES'],
      ...win.starts.map((t) => ['HGET', keys.hashrateBucket(t), `m:${address}`]),
    ]);
    const w = hashReply(replies[0], 'worker');
    if (Object.keys(w).length === 0) return { error: 'not found' };
    let sum = 0n;
    for (const r of replies.slice(2)) sum += toBigInt(optString(r));
    const hs = hashrateOf(sum, win.span);
    return {
      stats: {
        hashes: w.hashes ?? '0',
        lastShare: w.lastShare,
        balance: w.balance ?? '0',
        paid: w.paid ?? '0',
        pending: w.pending ?? '0',
        threshold: w.threshold,
        hashrate: readableHashrate(hs),
        hashrateHs: hs,
      },
      payments: stringList(replies[1]),
    };
  }

  app.get<{ Querystring: StatsAddressQuery }>('/stats_address', { schema: statsAddressSchema }, async (req, reply) => {
    const { address } = minerAddress(config, req.query.address);
    if (req.query.longpoll === 'true' && deps.longPoll) {
      const exists = await storage.command(['EXISTS', keys.worker(address)]);
      if (exists !== 1) return sendJson(reply, { error: 'not found' }, cache.noCache);
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      await ctx.snapshots.waitForChange(await ctx.snapshots.read(), ctx.longPollTimeoutMs, gone.signal);
      return sendJson(reply, await addressStats(address), cache.noCache);
    }
    return sendJson(reply, await addressStats(address), req.query.longpoll === 'true' ? cache.noCache : maxAge);
  });

  app.get<{ Querystring: AddressQuery }>('/workers', { schema: workersSchema }, async (req, reply) => {
    const { address } = minerAddress(config, req.query.address);
    const rigs = hashReply(await storage.command(['HGETALL', keys.workerRigs(address)]), 'workerRigs');
    const names = Object.keys(rigs).sort();
    const win = bucketWindow(Math.floor(deps.now() / 1000), config.api.hashrateWindow);
    const sums = new Map<string, bigint>(names.map((n) => [n, 0n]));
    if (names.length > 0) {
      const fields = names.map((n) => `w:${address}:${n}`);
      const replies = await storage.pipeline(win.starts.map((t) => ['HMGET', keys.hashrateBucket(t), ...fields]));
      for (const r of replies) {
        stringList(r).forEach((v, i) => {
          const n = names[i] as string;
          sums.set(n, (sums.get(n) ?? 0n) + toBigInt(v));
        });
      }
    }
    return sendJson(
      reply,
      {
        address,
        workers: names.map((name) => ({
          name,
          hashrate: hashrateOf(sums.get(name) ?? 0n, win.span),
          lastShare: Number(toBigInt(rigs[name])),
        })),
      },
      maxAge,
    );
  });

  app.get<{ Querystring: PaymentsQuery }>('/get_payments', { schema: paymentsSchema }, async (req, reply) => {
    const key = req.query.address === undefined ? keys.paymentsAll : keys.payments(minerAddress(config, req.query.address).address);
    const max = req.query.time === undefined ? '+inf' : `(${req.query.time}`;
    const r = await storage.command([
      'ZREVRANGEBYSCORE', key, max, '-inf', 'WITHSCORES', 'LIMIT', '0', String(config.api.payments),
    ]);
    return sendJson(reply, stringList(r), maxAge);
  });

  app.post<{ Body: ThresholdBody }>('/set_payout_threshold', { schema: thresholdSchema }, async (req, reply) => {
    const { address } = minerAddress(config, req.body.address);
    const threshold = BigInt(req.body.threshold);
    const min = config.payments.minPayment;
    if (threshold < min) {
      throw new ApiError(400, `threshold must be at least payments.minPayment = ${min} atomic units, got ${threshold}`);
    }
    const forms = ipForms(req.ip);
    const scores = await storage.pipeline(forms.map((ip) => ['ZSCORE', keys.minerIps(address), ip]));
    const lastSeen = Math.max(0, ...scores.map((s) => Number(optString(s) ?? '0')));
    if (lastSeen < deps.now() - THRESHOLD_IP_WINDOW_MS) {
      throw new ApiError(
        403,
        'this IP address has not mined to that address in the last 24 hours; change the threshold from a machine that mines to it',
      );
    }
    await storage.command(['HSET', keys.worker(address), 'threshold', threshold.toString()]);
    deps.log.info({ address, threshold: threshold.toString() }, 'api: payout threshold set');
    return sendJson(reply, { status: 'OK', address, threshold: threshold.toString() }, cache.noStore);
  });
}
