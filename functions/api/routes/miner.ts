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
 * POST /set_payout_threshold: a payout threshold only the address's owner can change (../threshold-proof.ts).
 *   `threshold` is atomic units (a decimal string, or a JSON integer up to 2^53), from payments.minPayment to
 *   payments.maxThreshold. Two steps:
 *   1. {address, threshold, prepare: true}  ->  {status: "SIGN", address, threshold, toSign: "<message>", issuedAt,
 *      expiresAt (unix ms), maxThreshold, ipProof (api.thresholdIpProof)}: the message to sign with the wallet of
 *      `address` (404 E_NOT_FOUND when the pool has no shares from it).
 *   2. {address, threshold, message, signature}  ->  {status: "OK", address, threshold}: the signature is checked
 *      with monero-wallet-rpc `verify`, then threshold is set (once per message).
 *   With api.thresholdIpProof (off by default), {address, threshold} alone is also accepted when the caller's IP
 *   mined to the address within THRESHOLD_IP_WINDOW_MS (minerIps(address), written by the stratum node; dvandal's
 *   minerSeenWithIPForAddress): the seed-era proof, weak because anyone can mine one share to any address.
 *   Refusals are {error, code} with a code from shared/errors.ts: E_THRESHOLD_UNDER_MIN / E_THRESHOLD_OVER_MAX (400),
 *   E_THRESHOLD_MESSAGE_MISMATCH / E_THRESHOLD_STALE (400), E_THRESHOLD_UNSIGNED / E_THRESHOLD_BAD_SIGNATURE /
 *   E_THRESHOLD_IP_UNPROVEN (403), E_NOT_FOUND (404, no shares from the address), E_THRESHOLD_REPLAYED (409),
 *   E_SIGNATURE_WALLET_UNREACHABLE (503).
 */
import type { FastifyInstance } from 'fastify';
import { bucketWindow, hashrateOf, readableHashrate } from '../../stats/index.js';
import { asBigint, asHash, asOptString, asOptStrings, asStrings } from '../../../shared/storage/replies.js';
import { ERRORS } from '../../../shared/errors.js';
import type { ApiContext } from '../context.js';
import { cache, minerAddress, sendJson } from '../http.js';
import type { Json } from '../json.js';
import {
  ThresholdProofError,
  applySignedChange,
  checkThresholdRange,
  createSignatureVerifier,
  issueThresholdMessage,
} from '../threshold-proof.js';

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
      prepare: { type: 'boolean' },
      message: { type: 'string', maxLength: 1000 },
      signature: { type: 'string', maxLength: 400 },
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
  prepare?: boolean;
  message?: string;
  signature?: string;
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
  const verifier = createSignatureVerifier(config);
  app.addHook('onClose', () => verifier.close());

  async function addressStats(address: string): Promise<Json> {
    const win = bucketWindow(Math.floor(deps.now() / 1000), config.api.hashrateWindow);
    const replies = await storage.pipeline([
      ['HGETALL', keys.worker(address)],
      ['ZREVRANGE', keys.payments(address), '0', String(config.api.payments - 1), 'WITHSCORES'],
      ...win.starts.map((t) => ['HGET', keys.hashrateBucket(t), `m:${address}`]),
    ]);
    const w = asHash(replies[0], 'worker');
    if (Object.keys(w).length === 0) return { error: 'not found' };
    let sum = 0n;
    for (const r of replies.slice(2)) sum += asBigint(asOptString(r, 'hashrate bucket'), 'hashrate bucket');
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
      payments: asStrings(replies[1], 'payments'),
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
    const rigs = asHash(await storage.command(['HGETALL', keys.workerRigs(address)]), 'workerRigs');
    const names = Object.keys(rigs).sort();
    const win = bucketWindow(Math.floor(deps.now() / 1000), config.api.hashrateWindow);
    const sums = new Map<string, bigint>(names.map((n) => [n, 0n]));
    if (names.length > 0) {
      const fields = names.map((n) => `w:${address}:${n}`);
      const replies = await storage.pipeline(win.starts.map((t) => ['HMGET', keys.hashrateBucket(t), ...fields]));
      for (const r of replies) {
        asOptStrings(r, 'hashrate bucket').forEach((v, i) => {
          const n = names[i] as string;
          sums.set(n, (sums.get(n) ?? 0n) + asBigint(v, 'hashrate bucket'));
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
          lastShare: Number(asBigint(rigs[name], 'rig lastShare')),
        })),
      },
      maxAge,
    );
  });

  app.get<{ Querystring: PaymentsQuery }>('/get_payments', { schema: paymentsSchema }, async (req, reply) => {
    const key =
      req.query.address === undefined
        ? keys.paymentsAll
        : keys.payments(minerAddress(config, req.query.address).address);
    const max = req.query.time === undefined ? '+inf' : `(${req.query.time}`;
    const r = await storage.command([
      'ZREVRANGEBYSCORE',
      key,
      max,
      '-inf',
      'WITHSCORES',
      'LIMIT',
      '0',
      String(config.api.payments),
    ]);
    return sendJson(reply, asStrings(r, 'payments'), maxAge);
  });

  app.post<{ Body: ThresholdBody }>('/set_payout_threshold', { schema: thresholdSchema }, async (req, reply) => {
    const { address } = minerAddress(config, req.body.address);
    const threshold = BigInt(req.body.threshold);
    let proof: 'signature' | 'ip';
    try {
      checkThresholdRange(config, threshold);
      if (req.body.prepare === true) {
        if ((await storage.command(['EXISTS', keys.worker(address)])) !== 1) {
          throw new ThresholdProofError(404, ERRORS.NOT_FOUND, 'the pool has no shares from this address');
        }
        const m = issueThresholdMessage(config, address, threshold, deps.now());
        const body = {
          status: 'SIGN',
          address,
          threshold: threshold.toString(),
          toSign: m.text,
          issuedAt: m.issuedMs,
          expiresAt: m.expiresMs,
          maxThreshold: config.payments.maxThreshold.toString(),
          ipProof: config.api.thresholdIpProof,
        };
        return sendJson(reply, body, cache.noStore);
      }
      if (req.body.message === undefined && req.body.signature === undefined && config.api.thresholdIpProof) {
        await ipProof(address, req.ip);
        // the change's time also bars a signed message issued before it from being applied after it
        await storage.command([
          'HSET',
          keys.worker(address),
          'threshold',
          threshold.toString(),
          'thresholdSignedAt',
          String(deps.now()),
        ]);
        proof = 'ip';
      } else if (req.body.message === undefined && req.body.signature === undefined) {
        throw new ThresholdProofError(
          403,
          ERRORS.THRESHOLD_UNSIGNED,
          'a wallet signature is required: send {address, threshold, prepare: true} for the message, sign it with the wallet of this address and send {address, threshold, message, signature}',
        );
      } else {
        const c = { address, threshold, message: req.body.message, signature: req.body.signature };
        await applySignedChange(
          { config, storage, verifier, workerKey: keys.worker(address), nowMs: deps.now(), log: deps.log },
          c,
        );
        proof = 'signature';
      }
    } catch (e) {
      if (e instanceof ThresholdProofError)
        return sendJson(reply, { error: e.message, code: e.code }, cache.noStore, e.status);
      throw e;
    }
    deps.log.info({ address, threshold: threshold.toString(), proof }, 'api: payout threshold set');
    return sendJson(reply, { status: 'OK', address, threshold: threshold.toString() }, cache.noStore);
  });

  /** The caller's IP mined to `address` within THRESHOLD_IP_WINDOW_MS, else ThresholdProofError 403. */
  async function ipProof(address: string, ip: string): Promise<void> {
    const forms = ipForms(ip);
    const scores = await storage.pipeline(forms.map((f) => ['ZSCORE', keys.minerIps(address), f]));
    const lastSeen = Math.max(0, ...scores.map((s) => Number(asOptString(s, 'miner IP score') ?? '0')));
    if (lastSeen < deps.now() - THRESHOLD_IP_WINDOW_MS) {
      throw new ThresholdProofError(
        403,
        ERRORS.THRESHOLD_IP_UNPROVEN,
        'this IP address has not mined to that address in the last 24 hours; change the threshold from a machine that mines to it, or sign the change with your wallet',
      );
    }
  }
}
