/**
 * Admin routes (auth.ts: token in `Authorization: Bearer`, or the seed pages' `?password=`; no CORS; no-store).
 *
 * GET /admin_stats -> the seed's {totalOwed, totalPaid, totalRevenue, totalDiff, totalShares, blocksOrphaned,
 *   blocksUnlocked, totalWorkers} as JSON numbers (money exact on the wire, json.ts) + totalPending.
 *   totalOwed = balance + pending (reserved by an unfinished payout) over every miner hash; totalPaid = sum of
 *   paid; totalRevenue = sum of the rewards of unlocked blocks (what the seed's "Total Mined" shows); totalDiff and
 *   totalShares = sums of network difficulty and round shares of unlocked blocks; totalWorkers = miner hashes.
 * GET /admin_users -> {"<address>": {pending (= balance, the seed's name), paid, lastShare, hashes, hashrate (H/s
 *   number), + balance, inFlight (our `pending`), threshold?}}; Redis values as strings like the seed's HMGET.
 * GET /admin_monitoring -> {monitoring: {daemon: {lastCheck, lastStatus, lastResponse, lastFail?,
 *   lastFailResponse?}, wallet: {}}, logs: {}, heartbeats: {<fn>: {at (unix ms), ageSeconds}}, failStop:
 *   {reason, batchId?, at} | null, openBatches: [{id, created (unix ms), status, total, payees, txHash?, ...}]}
 *   (an allow-list of payBatch fields: never txKey or txMetadata). The seed's page reads
 *   monitoring.daemon/wallet and logs; the daemon is probed (get_info) per request; the wallet is not reachable
 *   from the API (the payments function checks it), so `wallet` stays empty and its state shows through the
 *   payments heartbeat and failStop.
 *
 * Miner hashes are found by SCAN over the worker key prefix: admin-only (never on a public or periodic path).
 */
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../../../shared/errors.js';
import { bucketWindow, hashrateOf, maturedTotals, sumBuckets } from '../../stats/index.js';
import { chunkedPipeline, scanKeys } from '../../../shared/storage/bulk.js';
import { asBigint, asHash, asOptString, asOptStrings, asScored } from '../../../shared/storage/replies.js';
import { ADMIN_FAIL_LIMIT, checkAdmin, presentedToken } from '../auth.js';
import type { ApiContext } from '../context.js';
import { cache, sendJson } from '../http.js';
import type { Json } from '../json.js';

/**
 * payBatch fields shown for open batches (functions/payments/batch.ts). An allow-list: txKey and txMetadata are
 * secrets (the tx private key, the signed tx) and never leave Redis through the API.
 */
const BATCH_FIELDS: readonly string[] = [
  'status',
  'created',
  'updated',
  'feePayer',
  'total',
  'payees',
  'txHash',
  'fee',
  'feeCharged',
  'submitStarted',
  'lastSubmit',
  'relayAttempts',
  'relayedAt',
  'sentAt',
  'lastError',
];

const adminSchema = {
  querystring: { type: 'object', properties: { password: { type: 'string', maxLength: 1024 } } },
} as const;

export function registerAdminRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { deps, keys } = ctx;
  const { storage, config } = deps;

  app.addHook<{ Querystring: { password?: string } }>('preHandler', async (req, reply) => {
    const token = presentedToken(req.headers.authorization, req.query.password);
    const check = await checkAdmin(
      storage,
      keys,
      config.api.password,
      req.ip,
      token,
      deps.adminFailLimit ?? ADMIN_FAIL_LIMIT,
    );
    if (check.ok) return;
    if (check.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="pool admin"');
    if (check.retryAfter !== undefined) reply.header('Retry-After', String(check.retryAfter));
    deps.log.warn({ ip: req.ip, status: check.status }, 'api: admin access refused');
    return sendJson(reply, { error: check.error }, cache.noStore, check.status);
  });

  /** Addresses with a worker(addr) hash (not the :rigs/:ips keys beside it). */
  async function minerAddresses(): Promise<string[]> {
    const prefix = keys.worker('');
    const found = await scanKeys(storage, prefix);
    return found
      .map((k) => k.slice(prefix.length))
      .filter((a) => a.length > 0 && !a.includes(':'))
      .sort();
  }

  async function windowHashrates(): Promise<Map<string, number>> {
    const win = bucketWindow(Math.floor(deps.now() / 1000), config.api.hashrateWindow);
    const replies = await storage.pipeline(win.starts.map((t) => ['HGETALL', keys.hashrateBucket(t)]));
    const sums = sumBuckets(replies.map((r) => asHash(r, 'hashrate bucket')));
    return new Map([...sums.miners].map(([a, s]) => [a, hashrateOf(s, win.span)]));
  }

  app.get('/admin_stats', { schema: adminSchema }, async (_req, reply) => {
    const addresses = await minerAddresses();
    const rows = await chunkedPipeline(
      storage,
      addresses.map((a) => ['HMGET', keys.worker(a), 'balance', 'pending', 'paid']),
    );
    let balance = 0n;
    let pending = 0n;
    let paid = 0n;
    for (const r of rows) {
      const [b, p, d] = asOptStrings(r, 'worker balance/pending/paid');
      balance += asBigint(b, 'worker balance');
      pending += asBigint(p, 'worker pending');
      paid += asBigint(d, 'worker paid');
    }
    const blocks = await maturedTotals(storage, keys);
    return sendJson(
      reply,
      {
        totalOwed: balance + pending,
        totalPaid: paid,
        totalRevenue: blocks.revenue,
        totalDiff: blocks.difficulty,
        totalShares: blocks.shares,
        blocksOrphaned: blocks.orphaned,
        blocksUnlocked: blocks.unlocked,
        totalWorkers: addresses.length,
        totalPending: pending,
      },
      cache.noStore,
    );
  });

  app.get('/admin_users', { schema: adminSchema }, async (_req, reply) => {
    const [addresses, rates] = await Promise.all([minerAddresses(), windowHashrates()]);
    const rows = await chunkedPipeline(
      storage,
      addresses.map((a) => ['HMGET', keys.worker(a), 'balance', 'paid', 'lastShare', 'hashes', 'pending', 'threshold']),
    );
    const users: Record<string, Json> = {};
    addresses.forEach((a, i) => {
      const [balance, paid, lastShare, hashes, pending, threshold] = asOptStrings(rows[i], 'worker');
      Object.defineProperty(users, a, {
        enumerable: true,
        value: {
          pending: balance || '0',
          paid: paid || '0',
          lastShare: lastShare || null,
          hashes: hashes || '0',
          hashrate: rates.get(a) ?? 0,
          balance: balance || '0',
          inFlight: pending || '0',
          threshold: threshold || undefined,
        },
      });
    });
    return sendJson(reply, users, cache.noStore);
  });

  app.get('/admin_monitoring', { schema: adminSchema }, async (_req, reply) => {
    const nowMs = deps.now();
    const nowSec = Math.floor(nowMs / 1000);
    const daemonProbe = deps.daemon.getInfo().then(
      (info) => ({
        lastCheck: nowSec,
        lastStatus: 'ok',
        lastResponse: JSON.stringify({
          height: info.height,
          targetHeight: info.targetHeight,
          synchronized: info.synchronized,
        }),
      }),
      (e: unknown) => ({
        lastCheck: nowSec,
        lastStatus: 'fail',
        lastResponse: errorMessage(e),
        lastFail: nowSec,
        lastFailResponse: errorMessage(e),
      }),
    );
    const hbPrefix = keys.heartbeat('');
    const [hbKeys, [failStopRaw, openRaw]] = await Promise.all([
      scanKeys(storage, hbPrefix),
      storage.pipeline([
        ['GET', keys.payFailStop],
        ['ZRANGE', keys.payBatchesOpen, '0', '-1', 'WITHSCORES'],
      ]),
    ]);
    hbKeys.sort();
    const ids = asScored(openRaw, 'payBatchesOpen').map(({ member, score }) => [member, score] as const);
    const [hbValues, batchRecords] = await Promise.all([
      hbKeys.length > 0 ? storage.pipeline(hbKeys.map((k) => ['GET', k])) : Promise.resolve([]),
      ids.length > 0
        ? chunkedPipeline(
            storage,
            ids.map(([id]) => ['HGETALL', keys.payBatch(id)]),
          )
        : Promise.resolve([]),
    ]);
    const heartbeats: Record<string, Json> = {};
    hbKeys.forEach((k, i) => {
      const at = Number(asBigint(asOptString(hbValues[i], 'heartbeat'), 'heartbeat'));
      Object.defineProperty(heartbeats, k.slice(hbPrefix.length), {
        enumerable: true,
        value: { at, ageSeconds: Math.max(0, Math.round((nowMs - at) / 1000)) },
      });
    });
    const openBatches = ids.map(([id, created], i) => {
      const rec = asHash(batchRecords[i], 'payBatch');
      const fields: Record<string, Json> = {};
      for (const f of BATCH_FIELDS) {
        const v = rec[f];
        if (v !== undefined) Object.defineProperty(fields, f, { enumerable: true, value: v });
      }
      return { ...fields, id, created };
    });
    const failStopText = asOptString(failStopRaw, 'payFailStop');
    let failStop: Json = null;
    if (failStopText !== null) {
      try {
        failStop = jsonValue(JSON.parse(failStopText));
      } catch {
        failStop = { reason: failStopText };
      }
    }
    return sendJson(
      reply,
      { monitoring: { daemon: await daemonProbe, wallet: {} }, logs: {}, heartbeats, failStop, openBatches },
      cache.noStore,
    );
  });
}

/** A parsed JSON value narrowed to Json (strings, numbers, booleans, null, arrays, plain objects). */
function jsonValue(v: unknown): Json {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x: unknown) => jsonValue(x));
  if (typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { enumerable: true, value: jsonValue(x) });
    return out;
  }
  return null;
}
