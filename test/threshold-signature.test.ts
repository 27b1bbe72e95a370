/**
 * POST /set_payout_threshold with a wallet-signature proof (functions/api/threshold-proof.ts), against a real
 * redis-server and two real monero-wallet-rpc (both --offline: signing and verifying need no daemon):
 * - the miner's wallet-rpc holds two wallets' worth of addresses (MINE: its primary address; a second wallet-rpc
 *   wallet plays the stranger) and signs with wallet-rpc `sign`, exactly what `sign <file>` in monero-wallet-cli does;
 * - the verifier's wallet-rpc has a throwaway wallet and answers `verify` (api.signatureWallet, or the `wallet`
 *   section when that is null).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApi, type ApiDeps } from '../functions/api/index.js';
import {
  MAX_CLOCK_SKEW_MS,
  SIGNATURE_WALLET_FILE,
  formatThresholdMessage,
  issueThresholdMessage,
} from '../functions/api/threshold-proof.js';
import { configFromObject } from '../shared/config/load.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { ERRORS } from '../shared/errors.js';
import { silentLogger } from '../shared/log.js';
import { keySchema } from '../shared/redis/keys.js';
import { createDaemonClient } from '../shared/rpc/daemon.js';
import type { WalletClient } from '../shared/rpc/wallet.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import {
  REGTEST_ADDRESS,
  createWallet,
  freePort,
  startRedis,
  startWalletRpc,
  useFixture,
  type RedisService,
  type WalletRpcService,
} from './harness/index.js';

const COIN = 'thrsig';
const keys = keySchema(COIN);
const MIN = 100_000_000_000n;
const MAX = 5_000_000_000_000n;

interface Env {
  redis: RedisService;
  storage: IoredisStorage;
  minerRpc: WalletRpcService;
  strangerRpc: WalletRpcService;
  verifierRpc: WalletRpcService;
  /** A verification-only wallet-rpc started with no wallet: the API provisions one on first use. */
  bareRpc: WalletRpcService;
  miner: WalletClient;
  stranger: WalletClient;
  mine: string;
  other: string;
  closedPort: number;
  stop(): Promise<void>;
}

const env = useFixture(async (): Promise<Env> => {
  const redis = await startRedis();
  const noDaemon = await freePort();
  const offline = { daemonPort: noDaemon, extraArgs: ['--offline'] };
  const [minerRpc, strangerRpc, verifierRpc, bareRpc] = await Promise.all([
    startWalletRpc(offline),
    startWalletRpc(offline),
    startWalletRpc(offline),
    startWalletRpc(offline),
  ]);
  const { address: mine } = await createWallet(minerRpc, { filename: 'miner' });
  const { address: other } = await createWallet(strangerRpc, { filename: 'stranger' });
  await createWallet(verifierRpc, { filename: 'verifier' });
  const storage = createIoredisStorage(redis.config);
  for (const a of [mine, other]) await storage.command(['HSET', keys.worker(a), 'hashes', '1000', 'balance', '0']);
  const miner = minerRpc.client({ timeout: 30_000 });
  const stranger = strangerRpc.client({ timeout: 30_000 });
  return {
    redis,
    storage,
    minerRpc,
    strangerRpc,
    verifierRpc,
    bareRpc,
    miner,
    stranger,
    mine,
    other,
    closedPort: await freePort(),
    async stop() {
      await Promise.all([storage.close(), miner.close(), stranger.close()]);
      await Promise.all([minerRpc.stop(), strangerRpc.stop(), verifierRpc.stop(), bareRpc.stop()]);
      await redis.stop();
    },
  };
}, 240_000);

const apps: FastifyInstance[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});

function config(api: Record<string, unknown> = {}, wallet?: { port: number }): PoolConfig {
  const e = env();
  return configFromObject({
    coin: COIN,
    poolServer: { enabled: false, poolAddress: REGTEST_ADDRESS },
    payments: { minPayment: MIN.toString(), maxThreshold: MAX.toString() },
    api: { poolName: 'Test Pool', signatureWallet: { host: '127.0.0.1', port: e.verifierRpc.port }, ...api },
    daemon: { host: '127.0.0.1', port: e.closedPort },
    wallet: { host: '127.0.0.1', port: wallet?.port ?? e.closedPort },
    redis: e.redis.config,
    logging: { console: { level: 'silent' }, files: { level: 'silent' } },
  });
}

function api(cfg: PoolConfig = config(), over: Partial<ApiDeps> = {}): FastifyInstance {
  const e = env();
  const app = buildApi({
    storage: e.storage,
    daemon: createDaemonClient(cfg.daemon),
    config: cfg,
    log: silentLogger(),
    now: () => Date.now(),
    longPoll: false,
    ...over,
  });
  apps.push(app);
  return app;
}

type Obj = Record<string, unknown>;
const json = (r: LightMyRequestResponse): Obj => JSON.parse(r.body) as Obj;
const post = (app: FastifyInstance, body: unknown, remoteAddress = '10.1.1.1') =>
  app.inject({
    method: 'POST',
    url: '/set_payout_threshold',
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    remoteAddress,
  });

/** Step 1: the message the pool gives for this change. */
async function prepare(app: FastifyInstance, address: string, threshold: bigint): Promise<string> {
  const r = await post(app, { address, threshold: threshold.toString(), prepare: true });
  expect(r.statusCode, r.body).toBe(200);
  const b = json(r);
  expect(b).toMatchObject({ status: 'SIGN', address, threshold: threshold.toString(), maxThreshold: MAX.toString() });
  expect(typeof b.toSign).toBe('string');
  return String(b.toSign);
}

const thresholdOf = async (address: string) => env().storage.command(['HGET', keys.worker(address), 'threshold']);

describe('payout threshold signed by the wallet', () => {
  it("the owner signs the pool's message with the wallet: accepted and applied once", async () => {
    const e = env();
    const app = api();
    const t = 300_000_000_000n;
    const toSign = await prepare(app, e.mine, t);
    expect(toSign).toMatch(
      new RegExp(
        `^Payout threshold for pool Test Pool \\| pool wallet ${REGTEST_ADDRESS} \\| address ${e.mine} \\| threshold 300000000000 atomic units \\(0\\.3 XMR\\) \\| issued \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
    const signature = await e.miner.sign(toSign);
    expect(signature).toMatch(/^SigV2/);
    const ok = await post(app, { address: e.mine, threshold: t.toString(), message: toSign, signature });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(json(ok)).toEqual({ status: 'OK', address: e.mine, threshold: t.toString() });
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(await thresholdOf(e.mine)).toBe(t.toString());

    // the same signed message again: refused, nothing changes
    await e.storage.command(['HSET', keys.worker(e.mine), 'threshold', '123456789012']);
    const again = await post(app, { address: e.mine, threshold: t.toString(), message: toSign, signature });
    expect(again.statusCode).toBe(409);
    expect(json(again).code).toBe(ERRORS.THRESHOLD_REPLAYED);
    expect(await thresholdOf(e.mine)).toBe('123456789012');

    // a file saved by an editor ends with a newline: the same message
    const t2 = 400_000_000_000n;
    const m2 = await prepare(app, e.mine, t2);
    const viaFile = await post(app, {
      address: e.mine,
      threshold: t2.toString(),
      message: `${m2}\n`,
      signature: await e.miner.sign(`${m2}\n`),
    });
    expect(viaFile.statusCode, viaFile.body).toBe(200);
    expect(await thresholdOf(e.mine)).toBe(t2.toString());
  });

  it('an older signed message cannot undo a newer one', async () => {
    const e = env();
    const t0 = Date.now();
    const older = issueThresholdMessage(config(), e.other, 500_000_000_000n, t0 - 60_000).text;
    const newer = issueThresholdMessage(config(), e.other, 600_000_000_000n, t0 - 30_000).text;
    const [sOld, sNew] = [await e.stranger.sign(older), await e.stranger.sign(newer)];
    const app = api();
    expect(
      (await post(app, { address: e.other, threshold: '600000000000', message: newer, signature: sNew })).statusCode,
    ).toBe(200);
    const r = await post(app, { address: e.other, threshold: '500000000000', message: older, signature: sOld });
    expect(r.statusCode).toBe(409);
    expect(json(r).code).toBe(ERRORS.THRESHOLD_REPLAYED);
    expect(await thresholdOf(e.other)).toBe('600000000000');
  });

  it('refuses unsigned, wrongly signed, tampered, other-address, view-key and stale changes, each with its code', async () => {
    const e = env();
    await e.storage.command(['HSET', keys.worker(e.mine), 'threshold', '777000000000']);
    await e.storage.command(['ZADD', keys.minerIps(e.mine), String(Date.now()), '10.1.1.1']);
    const otherBefore = await thresholdOf(e.other);
    const app = api();
    const t = 900_000_000_000n;
    const toSign = await prepare(app, e.mine, t);
    const good = await e.miner.sign(toSign);
    const cases: [string, Obj, number, string][] = [
      [
        'unsigned, even from an IP that mines to it',
        { address: e.mine, threshold: t.toString() },
        403,
        ERRORS.THRESHOLD_UNSIGNED,
      ],
      [
        'message without signature',
        { address: e.mine, threshold: t.toString(), message: toSign },
        403,
        ERRORS.THRESHOLD_UNSIGNED,
      ],
      [
        'signed by another wallet',
        { address: e.mine, threshold: t.toString(), message: toSign, signature: await e.stranger.sign(toSign) },
        403,
        ERRORS.THRESHOLD_BAD_SIGNATURE,
      ],
      [
        'not a signature',
        { address: e.mine, threshold: t.toString(), message: toSign, signature: 'hello' },
        403,
        ERRORS.THRESHOLD_BAD_SIGNATURE,
      ],
      [
        'signature of another message',
        { address: e.mine, threshold: t.toString(), message: toSign, signature: await e.miner.sign(`${toSign} `) },
        403,
        ERRORS.THRESHOLD_BAD_SIGNATURE,
      ],
      [
        'request value differs from the signed one',
        { address: e.mine, threshold: '1000000000000', message: toSign, signature: good },
        400,
        ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      ],
      [
        'message edited to another value',
        {
          address: e.mine,
          threshold: '1000000000000',
          message: toSign.replace(
            'threshold 900000000000 atomic units (0.9 XMR)',
            'threshold 1000000000000 atomic units (1 XMR)',
          ),
          signature: good,
        },
        403,
        ERRORS.THRESHOLD_BAD_SIGNATURE,
      ],
      [
        'message for another pool',
        {
          address: e.mine,
          threshold: t.toString(),
          message: toSign.replace('pool Test Pool', 'pool Other Pool'),
          signature: good,
        },
        400,
        ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      ],
      [
        'same pool name, another pool wallet (a default-named pool elsewhere)',
        {
          address: e.mine,
          threshold: t.toString(),
          message: toSign.replace(`pool wallet ${REGTEST_ADDRESS}`, `pool wallet ${e.other}`),
          signature: good,
        },
        400,
        ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      ],
      [
        'garbage message',
        { address: e.mine, threshold: t.toString(), message: 'please', signature: good },
        400,
        ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      ],
    ];
    // the owner's own signature used for someone else's address
    const forOther = await prepare(app, e.other, t);
    cases.push([
      'other address, signed by this wallet',
      { address: e.other, threshold: t.toString(), message: forOther, signature: await e.miner.sign(forOther) },
      403,
      ERRORS.THRESHOLD_BAD_SIGNATURE,
    ]);
    cases.push([
      'message for the other address sent for this one',
      { address: e.mine, threshold: t.toString(), message: forOther, signature: await e.stranger.sign(forOther) },
      400,
      ERRORS.THRESHOLD_MESSAGE_MISMATCH,
    ]);
    // signed with the view key only
    const view = await rawSign(e.minerRpc.url, toSign, 'view');
    cases.push([
      'view-key signature',
      { address: e.mine, threshold: t.toString(), message: toSign, signature: view },
      403,
      ERRORS.THRESHOLD_BAD_SIGNATURE,
    ]);
    for (const [what, body, status, code] of cases) {
      const r = await post(app, body);
      expect(r.statusCode, `${what}: ${r.body}`).toBe(status);
      expect(json(r).code, what).toBe(code);
      expect(typeof json(r).error, what).toBe('string');
    }
    expect(json(await post(app, cases[cases.length - 1]?.[1])).error).toMatch(/view key/);
    expect(await thresholdOf(e.mine)).toBe('777000000000');
    expect(await thresholdOf(e.other)).toBe(otherBefore);

    // stale: the same good signature once the message's time is over (api clock moved past the TTL)
    const ttl = config().api.thresholdMessageTtl;
    const late = api(config(), { now: () => Date.now() + ttl * 1000 + 1000 });
    const stale = await post(late, { address: e.mine, threshold: t.toString(), message: toSign, signature: good });
    expect(stale.statusCode).toBe(400);
    expect(json(stale)).toMatchObject({ code: ERRORS.THRESHOLD_STALE, error: expect.stringMatching(/expired at/) });
    // issued in the future (beyond the clock skew allowance)
    const future = formatThresholdMessage(
      {
        poolName: 'Test Pool',
        poolWallet: REGTEST_ADDRESS,
        address: e.mine,
        threshold: t,
        issuedMs: Date.now() + MAX_CLOCK_SKEW_MS + 60_000,
      },
      'XMR',
    );
    const ahead = await post(app, {
      address: e.mine,
      threshold: t.toString(),
      message: future,
      signature: await e.miner.sign(future),
    });
    expect(json(ahead).code).toBe(ERRORS.THRESHOLD_STALE);
    expect(await thresholdOf(e.mine)).toBe('777000000000');

    // and the untouched message still works afterwards
    const ok = await post(app, { address: e.mine, threshold: t.toString(), message: toSign, signature: good });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await thresholdOf(e.mine)).toBe(t.toString());
  });

  it('bounds: below payments.minPayment and above payments.maxThreshold are refused, at prepare and at apply', async () => {
    const e = env();
    const app = api();
    for (const [t, code] of [
      [MAX + 1n, ERRORS.THRESHOLD_OVER_MAX],
      [10n ** 19n - 1n, ERRORS.THRESHOLD_OVER_MAX],
      [MIN - 1n, ERRORS.THRESHOLD_UNDER_MIN],
    ] as const) {
      const pre = await post(app, { address: e.mine, threshold: t.toString(), prepare: true });
      expect(pre.statusCode).toBe(400);
      expect(json(pre).code).toBe(code);
      const m = formatThresholdMessage(
        { poolName: 'Test Pool', poolWallet: REGTEST_ADDRESS, address: e.mine, threshold: t, issuedMs: Date.now() },
        'XMR',
      );
      const r = await post(app, {
        address: e.mine,
        threshold: t.toString(),
        message: m,
        signature: await e.miner.sign(m),
      });
      expect(r.statusCode).toBe(400);
      expect(json(r).code).toBe(code);
    }
    expect(json(await post(app, { address: e.mine, threshold: (MAX + 1n).toString(), prepare: true })).error).toMatch(
      /at most payments.maxThreshold = 5000000000000 atomic units \(5 XMR\)/,
    );
    const atMax = await prepare(app, e.mine, MAX);
    expect(
      (
        await post(app, {
          address: e.mine,
          threshold: MAX.toString(),
          message: atMax,
          signature: await e.miner.sign(atMax),
        })
      ).statusCode,
    ).toBe(200);
    // an address the pool never saw gets no message
    const unknown = await post(app, { address: REGTEST_ADDRESS, threshold: MIN.toString(), prepare: true });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown).code).toBe(ERRORS.NOT_FOUND);
  });

  it('verification wallet: api.signatureWallet null uses the `wallet` section; unreachable answers 503 and changes nothing', async () => {
    const e = env();
    const viaWallet = api(config({ signatureWallet: null }, { port: e.verifierRpc.port }));
    const t = 1_100_000_000_000n;
    const m = await prepare(viaWallet, e.mine, t);
    const signature = await e.miner.sign(m);
    const down = api(config({ signatureWallet: { host: '127.0.0.1', port: e.closedPort, timeout: 5000 } }));
    const r = await post(down, { address: e.mine, threshold: t.toString(), message: m, signature });
    expect(r.statusCode).toBe(503);
    expect(json(r)).toMatchObject({
      code: ERRORS.SIGNATURE_WALLET_UNREACHABLE,
      error: expect.stringMatching(/cannot check signatures right now/),
    });
    expect(await thresholdOf(e.mine)).not.toBe(t.toString());
    // an address the pool never credited is refused before the wallet is asked: 404, not 503
    expect(m).toContain(e.mine);
    const stranger = await post(down, {
      address: REGTEST_ADDRESS,
      threshold: t.toString(),
      message: m.replace(e.mine, REGTEST_ADDRESS),
      signature,
    });
    expect(stranger.statusCode, stranger.body).toBe(404);
    expect(json(stranger).code).toBe(ERRORS.NOT_FOUND);
    const ok = await post(viaWallet, { address: e.mine, threshold: t.toString(), message: m, signature });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await thresholdOf(e.mine)).toBe(t.toString());

    // a dedicated verification wallet-rpc with no wallet open: the API opens (here: creates) its own and verifies
    expect(existsSync(join(e.bareRpc.dir, `${SIGNATURE_WALLET_FILE}.keys`))).toBe(false);
    const bare = api(config({ signatureWallet: { host: '127.0.0.1', port: e.bareRpc.port } }));
    const t2 = 1_200_000_000_000n;
    const m2 = await prepare(bare, e.mine, t2);
    const [first, second] = await Promise.all([
      post(bare, { address: e.mine, threshold: t2.toString(), message: m2, signature: await e.stranger.sign(m2) }),
      post(bare, { address: e.mine, threshold: t2.toString(), message: m2, signature: await e.miner.sign(m2) }),
    ]);
    expect(first.statusCode, first.body).toBe(403);
    expect(json(first).code).toBe(ERRORS.THRESHOLD_BAD_SIGNATURE);
    expect(second.statusCode, second.body).toBe(200);
    expect(await thresholdOf(e.mine)).toBe(t2.toString());
    expect(existsSync(join(e.bareRpc.dir, `${SIGNATURE_WALLET_FILE}.keys`))).toBe(true);
  });

  it('IP proof only when api.thresholdIpProof is on', async () => {
    const e = env();
    const minerIp = '10.7.7.7';
    await e.storage.command(['ZADD', keys.minerIps(e.other), String(Date.now()), minerIp]);
    const body = { address: e.other, threshold: '250000000000' };
    const before = await thresholdOf(e.other);
    expect(before).not.toBe('250000000000');
    const off = await post(api(), body, minerIp);
    expect(off.statusCode).toBe(403);
    expect(json(off).code).toBe(ERRORS.THRESHOLD_UNSIGNED);
    expect(await thresholdOf(e.other)).toBe(before);

    const on = api(config({ thresholdIpProof: true }));
    const stranger = await post(on, body, '10.7.7.8');
    expect(stranger.statusCode).toBe(403);
    expect(json(stranger).code).toBe(ERRORS.THRESHOLD_IP_UNPROVEN);
    const overMax = await post(on, { ...body, threshold: (MAX + 1n).toString() }, minerIp);
    expect(json(overMax).code).toBe(ERRORS.THRESHOLD_OVER_MAX);
    const ok = await post(on, body, minerIp);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await thresholdOf(e.other)).toBe('250000000000');
  });
});

/** wallet-rpc `sign` with a signature_type (the client signs with the spend key only). */
async function rawSign(url: string, data: string, type: 'spend' | 'view'): Promise<string> {
  const res = await fetch(`${url}/json_rpc`, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: '0', method: 'sign', params: { data, signature_type: type } }),
  });
  const body = (await res.json()) as { result?: { signature?: string } };
  return body.result?.signature ?? '';
}
