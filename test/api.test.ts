/**
 * The HTTP API against a real redis-server and a real regtest monerod: Redis written by the stratum node's recorder
 * and the real unlocker (test/backoffice/pool-activity.ts), snapshot by the real stats function. Checks every
 * route's JSON against the seed's field lists (docs/api.md), input validation, admin auth and its rate limit,
 * CORS, ETag, long polls and the payout threshold's proof of mining.
 */
import * as crypto from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildApi, createLambdaHandler, startApiServer, toJson, type ApiDeps } from '../functions/api/index.js';
import { publicConfig } from '../functions/api/public-config.js';
import { bucketWindow, run as runStats } from '../functions/stats/index.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { silentLogger } from '../shared/log.js';
import { encodeAddress, parseAddress } from '../shared/monero/address.js';
import {
  IP_A,
  MINER_A,
  MINER_B,
  PAID_A,
  PAY_TX,
  POOL_ADDRESS,
  poolConfig,
  startPoolActivity,
} from './backoffice/pool-activity.js';
import { useFixture } from './harness/index.js';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const env = useFixture(async () => {
  const a = await startPoolActivity('api');
  await runStats({
    storage: a.storage,
    daemon: a.chain.daemon,
    config: a.config,
    log: silentLogger(),
    now: () => Date.now(),
  });
  return a;
});

const PASSWORD = 'correct horse battery staple';
const ORIGIN = 'https://some-pool-site.example';
const apps: FastifyInstance[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});

function api(over: Partial<ApiDeps> = {}): FastifyInstance {
  const e = env();
  const app = buildApi({
    storage: e.storage,
    daemon: e.chain.daemon,
    config: e.config,
    log: silentLogger(),
    now: () => Date.now(),
    longPoll: false,
    ...over,
  });
  apps.push(app);
  return app;
}

function cfg(over: Record<string, unknown>): PoolConfig {
  return poolConfig('api', over);
}

type Obj = Record<string, unknown>;
const json = (r: LightMyRequestResponse): Obj => JSON.parse(r.body) as Obj;
const obj = (v: unknown): Obj => {
  expect(typeof v).toBe('object');
  return v as Obj;
};

/** A valid testnet address (same keys as MINER_A). */
function testnetAddress(): string {
  const p = parseAddress(MINER_A);
  return encodeAddress({ network: 'testnet', kind: 'standard', spendKey: p.spendKey, viewKey: p.viewKey });
}

const SEED_POOL = [
  'stats',
  'blocks',
  'totalBlocks',
  'payments',
  'totalPayments',
  'totalMinersPaid',
  'miners',
  'hashrate',
  'roundHashes',
  'lastBlockFound',
];
const SEED_NETWORK = ['difficulty', 'height', 'timestamp', 'reward', 'hash'];
const SEED_CONFIG = [
  'ports',
  'hashrateWindow',
  'fee',
  'coin',
  'symbol',
  'depth',
  'donation',
  'coreDonation',
  'doDonations',
  'version',
  'minPaymentThreshold',
  'denominationUnit',
  'blockTime',
  'slushMiningEnabled',
  'weight',
];
const SEED_ADMIN_STATS = [
  'totalOwed',
  'totalPaid',
  'totalRevenue',
  'totalDiff',
  'totalShares',
  'blocksOrphaned',
  'blocksUnlocked',
  'totalWorkers',
];

describe('public stats routes', () => {
  it('/stats has the seed shape, numbers where the seed had numbers, ETag and Cache-Control', async () => {
    const e = env();
    const app = api();
    const r = await app.inject({ method: 'GET', url: '/stats' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['cache-control']).toBe('public, max-age=1');
    expect(r.headers.etag).toBeTruthy();
    const body = json(r);
    expect(Object.keys(body).sort()).toEqual(['config', 'network', 'pool']);
    const pool = obj(body.pool);
    for (const k of [...SEED_POOL, 'workers']) expect(pool, k).toHaveProperty(k);
    expect(pool.miners).toBe(2);
    expect(pool.workers).toBe(3);
    expect(typeof pool.hashrate).toBe('number');
    expect(pool.roundHashes).toBe(4500);
    expect(typeof pool.lastBlockFound).toBe('string');
    expect(pool.totalBlocks).toBe(3);
    expect(pool.totalPayments).toBe(1);
    expect(pool.totalMinersPaid).toBe(1);
    expect(Array.isArray(pool.blocks) && pool.blocks.every((x) => typeof x === 'string')).toBe(true);
    expect(pool.payments).toEqual([`${PAY_TX}:${PAID_A}:30000000:16:1`, expect.stringMatching(/^\d+$/)]);
    expect(obj(pool.stats).lastBlockFound).toBe(pool.lastBlockFound);

    const network = obj(body.network);
    for (const k of SEED_NETWORK) expect(network, k).toHaveProperty(k);
    const header = await e.chain.daemon.getLastBlockHeader();
    expect(network.height).toBe(header.height);
    expect(network.hash).toBe(header.hash);
    expect(network.difficulty).toBe(Number(header.difficulty));
    expect(network.reward).toBe(Number(header.reward));
    expect(typeof network.timestamp).toBe('number');

    const config = obj(body.config);
    for (const k of [...SEED_CONFIG, 'scheme', 'coinUnits']) expect(config, k).toHaveProperty(k);
    expect(config.ports).toEqual([
      { port: 3333, difficulty: 1000, desc: 'low', tls: false, solo: false },
      { port: 3334, difficulty: 5000, desc: 'tls', tls: true, solo: false },
    ]);
    expect(config).toMatchObject({
      hashrateWindow: 600,
      fee: 1.5,
      coin: 'api',
      symbol: 'XMR',
      depth: 60,
      donation: 0,
      coreDonation: 0,
      doDonations: false,
      minPaymentThreshold: 100000000000,
      blockTime: 120,
      slushMiningEnabled: false,
      scheme: 'prop',
      coinUnits: 1000000000000,
    });
    expect(typeof config.version).toBe('string');
    // money as exact integer literals on the wire
    expect(r.body).toContain('"coinUnits":1000000000000');

    const again = await app.inject({
      method: 'GET',
      url: '/stats',
      headers: { 'if-none-match': String(r.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers 503 {error} before the first stats run', async () => {
    const app = api({ config: poolConfig('nostats') });
    for (const url of ['/stats', '/live_stats']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode).toBe(503);
      expect(json(r).error).toMatch(/not ready/);
    }
  });

  it('/stats_address: the seed shape with Redis strings, or {error: "not found"}; bad addresses are 400', async () => {
    const e = env();
    const app = api();
    const r = await app.inject({ method: 'GET', url: `/stats_address?address=${MINER_A}&longpoll=false` });
    expect(r.statusCode).toBe(200);
    expect(r.body.startsWith('{')).toBe(true); // no leading "\n"
    const body = json(r);
    expect(Object.keys(body).sort()).toEqual(['payments', 'stats']);
    const stats = obj(body.stats);
    for (const k of ['hashes', 'lastShare', 'balance', 'paid', 'hashrate']) expect(stats, k).toHaveProperty(k);
    const worker = await e.storage.command(['HMGET', e.keys.worker(MINER_A), 'balance', 'paid', 'hashes', 'lastShare']);
    expect([stats.balance, stats.paid, stats.hashes, stats.lastShare]).toEqual(worker);
    expect(stats.paid).toBe(PAID_A.toString());
    expect(stats.hashes).toBe(String(e.minerDiff.get(MINER_A)));
    expect(stats.hashrate).toMatch(/^\d+\.\d\d (H|KH|MH)$/);
    const win = bucketWindow(Math.floor(Date.now() / 1000), 600);
    expect(Math.abs(Number(stats.hashrateHs) - (e.minerDiff.get(MINER_A) ?? 0) / win.span)).toBeLessThan(1);
    expect(body.payments).toEqual([`${PAY_TX}:${PAID_A}:0:16`, expect.stringMatching(/^\d+$/)]);

    const unknown = await app.inject({ method: 'GET', url: `/stats_address?address=${POOL_ADDRESS}` });
    expect(unknown.statusCode).toBe(200);
    expect(json(unknown)).toEqual({ error: 'not found' });

    const bad: [string, RegExp][] = [
      ['/stats_address?address=notanaddress', /invalid address: address has 12 characters/],
      [`/stats_address?address=${MINER_A.slice(0, -1)}X`, /invalid address/],
      [`/stats_address?address=${testnetAddress()}`, /invalid address: address is for testnet, pool runs on mainnet/],
      ['/stats_address', /address/],
      [`/stats_address?address=${MINER_A}&longpoll=maybe`, /longpoll/],
    ];
    for (const [url, message] of bad) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(json(res).error, url).toMatch(message);
    }
  });

  it('/workers lists each rig with its hashrate and last share', async () => {
    const e = env();
    const r = await api().inject({ method: 'GET', url: `/workers?address=${MINER_A}` });
    expect(r.statusCode).toBe(200);
    const body = json(r);
    expect(body.address).toBe(MINER_A);
    const workers = body.workers as Obj[];
    expect(workers.map((w) => w.name)).toEqual(['rig1', 'rig2']);
    const win = bucketWindow(Math.floor(Date.now() / 1000), 600);
    for (const w of workers) {
      expect(Object.keys(w).sort()).toEqual(['hashrate', 'lastShare', 'name']);
      const expected = (e.rigDiff.get(`${MINER_A}:${String(w.name)}`) ?? 0) / win.span;
      expect(Math.abs(Number(w.hashrate) - expected)).toBeLessThan(1);
      expect(Number(w.lastShare)).toBeGreaterThan(Date.now() / 1000 - 600);
    }
    const bad = await api().inject({ method: 'GET', url: '/workers?address=xyz' });
    expect(bad.statusCode).toBe(400);
  });

  it('/get_payments and /get_blocks page with the seed flat lists', async () => {
    const e = env();
    const app = api();
    const all = json(await app.inject({ method: 'GET', url: '/get_payments' })) as unknown as string[];
    expect(all).toHaveLength(2);
    const time = Number(all[1]);
    expect(json(await app.inject({ method: 'GET', url: `/get_payments?time=${time}` }))).toEqual([]);
    expect(json(await app.inject({ method: 'GET', url: `/get_payments?time=${time + 1}` }))).toEqual(all);
    const mine = json(await app.inject({ method: 'GET', url: `/get_payments?time=${time + 1}&address=${MINER_A}` }));
    expect(mine).toEqual([`${PAY_TX}:${PAID_A}:0:16`, String(time)]);
    expect(json(await app.inject({ method: 'GET', url: `/get_payments?address=${MINER_B}` }))).toEqual([]);
    for (const url of ['/get_payments?time=yesterday', '/get_payments?time=-5', '/get_payments?address=nope']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(400);
      expect(typeof json(r).error).toBe('string');
    }

    const blocks = json(await app.inject({ method: 'GET', url: '/get_blocks' })) as unknown as string[];
    expect(blocks).toHaveLength(4);
    const byHash = new Map<string, [string, string]>();
    for (let i = 0; i < blocks.length; i += 2)
      byHash.set(String(blocks[i]).split(':')[0] ?? '', [String(blocks[i]), String(blocks[i + 1])]);
    const reward = String(await e.storage.command(['HGET', e.keys.block(e.unlocked.hash), 'reward']));
    expect(byHash.get(e.unlocked.hash)?.[0]).toMatch(new RegExp(`^${e.unlocked.hash}:\\d{10}:1:4500:0:${reward}$`));
    expect(byHash.get(e.orphaned.hash)?.[0]).toMatch(/:1$/);
    expect(byHash.get(e.unlocked.hash)?.[1]).toBe(String(e.unlocked.height));
    const h = e.unlocked.height;
    expect(json(await app.inject({ method: 'GET', url: `/get_blocks?height=${h}` }))).toEqual([]);
    expect(json(await app.inject({ method: 'GET', url: `/get_blocks?height=${h + 1}` }))).toHaveLength(4);
    expect((await app.inject({ method: 'GET', url: '/get_blocks?height=top' })).statusCode).toBe(400);
  });

  it('/charts/pool and /charts/miner return the stats function points', async () => {
    const app = api();
    const r = await app.inject({ method: 'GET', url: '/charts/pool?name=hashrate' });
    expect(r.statusCode).toBe(200);
    const body = json(r);
    expect(body).toMatchObject({ name: 'hashrate', interval: 60 });
    const points = body.points as [number, number][];
    expect(points.length).toBeGreaterThanOrEqual(1);
    expect(points.every((p) => p.length === 2 && typeof p[0] === 'number' && typeof p[1] === 'number')).toBe(true);
    for (const name of ['miners', 'workers', 'difficulty']) {
      expect((await app.inject({ method: 'GET', url: `/charts/pool?name=${name}` })).statusCode).toBe(200);
    }
    const m = json(await app.inject({ method: 'GET', url: `/charts/miner?address=${MINER_A}` }));
    expect(m).toMatchObject({ address: MINER_A, interval: 60 });
    expect((m.points as unknown[]).length).toBeGreaterThanOrEqual(1);
    for (const url of ['/charts/pool?name=luck', '/charts/pool', '/charts/miner?address=1234']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(typeof json(res).error).toBe('string');
    }
  });

  it('unknown routes are 404 {error: "Invalid API call"}', async () => {
    const app = api();
    for (const [method, url] of [
      ['GET', '/nope'],
      ['GET', '/'],
      ['POST', '/stats'],
      ['DELETE', '/admin_stats'],
    ] as const) {
      const r = await app.inject({ method, url });
      expect(r.statusCode, url).toBe(404);
      expect(json(r)).toEqual({ error: 'Invalid API call' });
    }
  });
});

describe('public config', () => {
  it("splits the donation list into the seed's donation and coreDonation, so fee + both = the whole deduction", () => {
    const c = poolConfig('cfg', {
      blockUnlocker: {
        depth: 60,
        poolFee: 1.5,
        devDonation: 0.1,
        devAddress: MINER_B,
        coreDevDonation: 0.3,
        coreDevAddress: POOL_ADDRESS,
        donations: [{ address: MINER_A, percent: 0.2 }],
      },
    });
    const pc = obj(publicConfig(c, 'v-test'));
    expect(pc).toMatchObject({ fee: 1.5, donation: 0.3, coreDonation: 0.3, doDonations: true, version: 'v-test' });
    expect(toJson(publicConfig(c, 'v'))).toContain('"minPaymentThreshold":100000000000,');
  });

  it('writes bigint as exact JSON integers, also above 2^53', () => {
    expect(toJson({ a: 2n ** 64n + 1n, b: [1, 'x', null, undefined, true], c: undefined, d: Number.NaN })).toBe(
      '{"a":18446744073709551617,"b":[1,"x",null,null,true],"d":null}',
    );
  });
});

describe('admin routes', () => {
  const auth = { authorization: `Bearer ${PASSWORD}` };

  it('/admin_stats has the seed fields as numbers and no CORS', async () => {
    const e = env();
    const r = await api().inject({ method: 'GET', url: '/admin_stats', headers: { ...auth, origin: ORIGIN } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.headers['cache-control']).toBe('no-store');
    const body = json(r);
    expect(Object.keys(body).sort()).toEqual([...SEED_ADMIN_STATS, 'totalPending'].sort());
    for (const k of SEED_ADMIN_STATS) expect(typeof body[k], k).toBe('number');
    const reward = Number(await e.storage.command(['HGET', e.keys.block(e.unlocked.hash), 'reward']));
    const balances = await Promise.all(
      [MINER_A, MINER_B].map((m) => e.storage.command(['HGET', e.keys.worker(m), 'balance'])),
    );
    expect(body).toEqual({
      totalOwed: balances.reduce<number>((s, b) => s + Number(b), 0),
      totalPaid: Number(PAID_A),
      totalRevenue: reward,
      totalDiff: 1,
      totalShares: 4500,
      blocksOrphaned: 1,
      blocksUnlocked: 1,
      totalWorkers: 2,
      totalPending: 0,
    });
    // the seed's admin pages send ?password=
    const q = await api().inject({
      method: 'GET',
      url: `/admin_stats?password=${encodeURIComponent(PASSWORD)}`,
      remoteAddress: '10.3.0.1',
    });
    expect(q.statusCode).toBe(200);
  });

  it('/admin_users and /admin_monitoring', async () => {
    const e = env();
    const app = api();
    const users = json(await app.inject({ method: 'GET', url: '/admin_users', headers: auth }));
    expect(Object.keys(users).sort()).toEqual([MINER_A, MINER_B].sort());
    const a = obj(users[MINER_A]);
    for (const k of ['pending', 'paid', 'lastShare', 'hashes', 'hashrate']) expect(a, k).toHaveProperty(k);
    expect(a.paid).toBe(PAID_A.toString());
    expect(a.pending).toBe(await e.storage.command(['HGET', e.keys.worker(MINER_A), 'balance']));
    expect(typeof a.hashrate).toBe('number');
    expect(Number(a.hashrate)).toBeGreaterThan(0);

    await e.storage.multi([
      ['SET', e.keys.payFailStop, JSON.stringify({ reason: 'wallet reply lost after relay', batchId: '7', at: 1 })],
      [
        'HSET',
        e.keys.payBatch('7'),
        'id',
        '7',
        'status',
        'relayed',
        'total',
        '123',
        'payees',
        '1',
        'txHash',
        PAY_TX,
        'txKey',
        'SECRETKEY',
        'txMetadata',
        'SECRETMETA',
      ],
      ['ZADD', e.keys.payBatchesOpen, '1700000000000', '7'],
    ]);
    try {
      const r = await app.inject({ method: 'GET', url: '/admin_monitoring', headers: auth });
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain('SECRET');
      const m = json(r);
      const daemon = obj(obj(m.monitoring).daemon);
      expect(daemon.lastStatus).toBe('ok');
      expect(typeof daemon.lastCheck).toBe('number');
      expect(obj(m.monitoring).wallet).toEqual({});
      expect(m.logs).toEqual({});
      const hb = obj(m.heartbeats);
      expect(Object.keys(hb)).toEqual(expect.arrayContaining(['stats', 'unlocker']));
      expect(obj(hb.stats).at).toEqual(expect.any(Number));
      expect(m.failStop).toEqual({ reason: 'wallet reply lost after relay', batchId: '7', at: 1 });
      expect(m.openBatches).toEqual([
        { id: '7', created: 1700000000000, status: 'relayed', total: '123', payees: '1', txHash: PAY_TX },
      ]);
    } finally {
      await e.storage.multi([
        ['DEL', e.keys.payFailStop, e.keys.payBatch('7')],
        ['ZREM', e.keys.payBatchesOpen, '7'],
      ]);
    }
  });

  it('wrong tokens get 401, then 429 from that IP whatever is sent; other IPs still get in; compare is constant-time', async () => {
    const app = api();
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const ip = '10.7.7.7';
    const none = await app.inject({ method: 'GET', url: '/admin_stats', remoteAddress: ip });
    expect(none.statusCode).toBe(401);
    expect(json(none)).toEqual({ error: 'invalid password' });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    for (let i = 0; i < 9; i++) {
      const r = await app.inject({
        method: 'GET',
        url: '/admin_users',
        remoteAddress: ip,
        headers: { authorization: `Bearer guess${i}` },
      });
      expect(r.statusCode).toBe(401);
    }
    expect(spy).toHaveBeenCalledTimes(9); // every presented token went through timingSafeEqual
    const blocked = await app.inject({ method: 'GET', url: '/admin_stats', remoteAddress: ip, headers: auth });
    expect(blocked.statusCode).toBe(429);
    expect(json(blocked).error).toMatch(/too many failed admin logins/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(900);
    const other = await app.inject({ method: 'GET', url: '/admin_stats', remoteAddress: '10.7.7.8', headers: auth });
    expect(other.statusCode).toBe(200);
    expect(spy).toHaveBeenCalledTimes(10);
    const ttl = Number(await env().storage.command(['TTL', env().keys.adminFail(ip)]));
    expect(ttl).toBeGreaterThan(800);
    // successes do not use up the allowance
    for (let i = 0; i < 12; i++) {
      expect(
        (await app.inject({ method: 'GET', url: '/admin_stats', remoteAddress: '10.7.7.9', headers: auth })).statusCode,
      ).toBe(200);
    }
  });

  it('a burst of parallel guesses gets at most the limit of token checks', async () => {
    const app = api();
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const replies = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        app.inject({
          method: 'GET',
          url: '/admin_stats',
          remoteAddress: '10.8.8.8',
          headers: { authorization: `Bearer burst${i}` },
        }),
      ),
    );
    const codes = replies.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 401)).toHaveLength(10);
    expect(codes.filter((c) => c === 429)).toHaveLength(15);
    expect(spy).toHaveBeenCalledTimes(10);
  });

  it('admin routes are off (403) without api.password', async () => {
    const app = api({ config: cfg({ api: { password: null } }) });
    const r = await app.inject({ method: 'GET', url: '/admin_stats', headers: { authorization: 'Bearer anything' } });
    expect(r.statusCode).toBe(403);
    expect(json(r).error).toMatch(/api.password/);
  });
});

describe('CORS', () => {
  it('allows any origin on public routes, none on admin and threshold routes', async () => {
    const app = api();
    const pub = await app.inject({ method: 'GET', url: '/stats', headers: { origin: ORIGIN } });
    expect(pub.headers['access-control-allow-origin']).toBe('*');
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/stats_address?address=x',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    const adminPre = await app.inject({
      method: 'OPTIONS',
      url: '/admin_stats',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(adminPre.statusCode).toBe(404);
    expect(adminPre.headers['access-control-allow-origin']).toBeUndefined();
    const admin = await app.inject({
      method: 'GET',
      url: '/admin_stats',
      headers: { origin: ORIGIN, authorization: `Bearer ${PASSWORD}` },
    });
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    const writePre = await app.inject({
      method: 'OPTIONS',
      url: '/set_payout_threshold',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(writePre.headers['access-control-allow-origin']).toBeUndefined();

    const site = 'https://pool.example';
    const allowed = api({ writeOrigins: [site] });
    const ok = await allowed.inject({
      method: 'OPTIONS',
      url: '/set_payout_threshold',
      headers: { origin: site, 'access-control-request-method': 'POST' },
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(site);
    const other = await allowed.inject({
      method: 'OPTIONS',
      url: '/set_payout_threshold',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('long polls', () => {
  it('/live_stats resolves when the snapshot changes; answers at once without longPoll', async () => {
    const e = env();
    const immediate = await api().inject({ method: 'GET', url: '/live_stats' });
    expect(immediate.statusCode).toBe(200);
    expect(immediate.headers['cache-control']).toBe('no-cache');
    const before = obj(json(immediate).pool).updated;

    const app = api({ longPoll: true, livePollMs: 50 });
    const started = Date.now();
    let settled = false;
    const pending = app.inject({ method: 'GET', url: '/live_stats' }).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(settled).toBe(false); // held while nothing changed
    const now = Date.now() + 1234;
    await runStats({
      storage: e.storage,
      daemon: e.chain.daemon,
      config: e.config,
      log: silentLogger(),
      now: () => now,
    });
    const r = await pending;
    expect(Date.now() - started).toBeLessThan(5000); // well before the 10 s long-poll timeout
    expect(r.statusCode).toBe(200);
    expect(obj(json(r).pool).updated).toBe(now);
    expect(now).not.toBe(before);
  });

  it('/stats_address?longpoll=true resolves on the next snapshot; unknown addresses answer at once', async () => {
    const e = env();
    const app = api({ longPoll: true, livePollMs: 50 });
    const unknown = await app.inject({ method: 'GET', url: `/stats_address?address=${POOL_ADDRESS}&longpoll=true` });
    expect(json(unknown)).toEqual({ error: 'not found' });
    let settled = false;
    const pending = app.inject({ method: 'GET', url: `/stats_address?address=${MINER_B}&longpoll=true` }).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(settled).toBe(false);
    const now = Date.now() + 4321;
    await runStats({
      storage: e.storage,
      daemon: e.chain.daemon,
      config: e.config,
      log: silentLogger(),
      now: () => now,
    });
    const r = await pending;
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(obj(json(r).stats).hashes).toBe(String(e.minerDiff.get(MINER_B)));
  });
});

describe('POST /set_payout_threshold', () => {
  const post = (app: FastifyInstance, body: unknown, remoteAddress: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/set_payout_threshold',
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
      remoteAddress,
    });
  // the IP proof is opt-in (api.thresholdIpProof); signed changes: test/threshold-signature.test.ts
  const ipProofApi = () => api({ config: cfg({ api: { password: PASSWORD, thresholdIpProof: true } }) });

  it('is refused from an IP that has not mined to the address, accepted from one that has', async () => {
    const e = env();
    const app = ipProofApi();
    const unseen = await post(app, { address: MINER_A, threshold: '200000000000' }, '10.9.9.9');
    expect(unseen.statusCode).toBe(403);
    expect(json(unseen).error).toMatch(/has not mined to that address in the last 24 hours/);
    expect(await e.storage.command(['HGET', e.keys.worker(MINER_A), 'threshold'])).toBeNull();
    // IP_B mines, but to MINER_B
    expect((await post(app, { address: MINER_A, threshold: '200000000000' }, '10.0.0.6')).statusCode).toBe(403);

    const ok = await post(app, { address: MINER_A, threshold: '200000000000' }, IP_A);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(json(ok)).toEqual({ status: 'OK', address: MINER_A, threshold: '200000000000' });
    expect(await e.storage.command(['HGET', e.keys.worker(MINER_A), 'threshold'])).toBe('200000000000');
    // the change's time bars a signed message issued before it (threshold-proof.ts replay rule)
    const at = Number(await e.storage.command(['HGET', e.keys.worker(MINER_A), 'thresholdSignedAt']));
    expect(Math.abs(at - Date.now())).toBeLessThan(60_000);
    const stats = json(await app.inject({ method: 'GET', url: `/stats_address?address=${MINER_A}` }));
    expect(obj(stats.stats).threshold).toBe('200000000000');

    // a JSON number and an IPv4-mapped IPv6 peer address work too
    const mapped = await post(app, { address: MINER_A, threshold: 300000000000 }, `::ffff:${IP_A}`);
    expect(mapped.statusCode).toBe(200);
    expect(await e.storage.command(['HGET', e.keys.worker(MINER_A), 'threshold'])).toBe('300000000000');
  });

  it('rejects a stale IP, thresholds below minPayment and malformed input with 400/403 and a message', async () => {
    const e = env();
    const app = ipProofApi();
    await e.storage.command(['ZADD', e.keys.minerIps(MINER_B), String(Date.now() - 25 * 3600 * 1000), '10.0.0.99']);
    const stale = await post(app, { address: MINER_B, threshold: '200000000000' }, '10.0.0.99');
    expect(stale.statusCode).toBe(403);

    const cases: [unknown, RegExp][] = [
      [{ address: MINER_A, threshold: '99999999999' }, /at least payments.minPayment = 100000000000/],
      [{ address: MINER_A, threshold: 'lots' }, /threshold/],
      [{ address: MINER_A, threshold: '-5' }, /threshold/],
      [{ address: MINER_A, threshold: 1.5 }, /threshold/],
      [{ address: 'bogus', threshold: '200000000000' }, /invalid address/],
      [{ threshold: '200000000000' }, /address/],
    ];
    for (const [body, message] of cases) {
      const r = await post(app, body, IP_A);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(r).error, JSON.stringify(body)).toMatch(message);
    }
    const notJson = await app.inject({
      method: 'POST',
      url: '/set_payout_threshold',
      payload: '{"address":',
      headers: { 'content-type': 'application/json' },
      remoteAddress: IP_A,
    });
    expect(notJson.statusCode).toBe(400);
    expect(typeof json(notJson).error).toBe('string');
  });

  it('takes the client IP from X-Forwarded-For only when api.trustProxy says so', async () => {
    const body = { address: MINER_A, threshold: '200000000000' };
    const headers = { 'x-forwarded-for': IP_A };
    const direct = await post(api(), body, '127.0.0.1', headers);
    expect(direct.statusCode).toBe(403);
    const proxied = await post(
      api({ config: cfg({ api: { password: PASSWORD, trustProxy: true, thresholdIpProof: true } }) }),
      body,
      '127.0.0.1',
      headers,
    );
    expect(proxied.statusCode).toBe(200);
  });
});

describe('serving', () => {
  it('serves the website folder at / next to the API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'site-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>pool</title>');
      const app = api({ websiteDir: dir });
      const page = await app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.body).toContain('<title>pool</title>');
      expect((await app.inject({ method: 'GET', url: '/stats' })).statusCode).toBe(200);
      const missing = await app.inject({ method: 'GET', url: '/missing.js' });
      expect(missing.statusCode).toBe(404);
      expect(json(missing)).toEqual({ error: 'Invalid API call' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Lambda handler answers Function URL events, /live_stats at once', async () => {
    const e = env();
    const handler = createLambdaHandler({
      storage: e.storage,
      daemon: e.chain.daemon,
      config: e.config,
      log: silentLogger(),
      now: () => Date.now(),
    });
    const event = (path: string, query = ''): Obj => ({
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: query,
      ...(query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(query)) } : {}),
      headers: { origin: ORIGIN },
      requestContext: { http: { method: 'GET', path, sourceIp: '203.0.113.9' } },
      isBase64Encoded: false,
    });
    const context = {} as Context;
    const started = Date.now();
    const live = await handler(event('/live_stats'), context);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(live.statusCode).toBe(200);
    expect(obj(obj(JSON.parse(live.body)).pool).miners).toBe(2);
    expect(live.headers['access-control-allow-origin']).toBe('*');
    const addr = await handler(event('/stats_address', `address=${MINER_A}&longpoll=true`), context);
    expect(obj(obj(JSON.parse(addr.body)).stats).paid).toBe(PAID_A.toString());
    const bad = await handler(event('/stats_address', 'address=oops'), context);
    expect(bad.statusCode).toBe(400);
  });

  it('startApiServer listens on a real socket', async () => {
    const e = env();
    const server = await startApiServer(
      {
        storage: e.storage,
        daemon: e.chain.daemon,
        config: e.config,
        log: silentLogger(),
        now: () => Date.now(),
        longPoll: true,
      },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const r = await fetch(`${server.url}/stats`, { headers: { origin: ORIGIN } });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      const body = (await r.json()) as Obj;
      expect(obj(body.pool).miners).toBe(2);
    } finally {
      await server.close();
    }
  });
});
