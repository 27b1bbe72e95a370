/**
 * The share recorder's Lua against a real redis-server: batched credits, PROP rounds, slush scores (integers,
 * growing with time, renormalised before they could overflow), the PPLNS window cut from the share log, solo
 * rounds that leave the pool's round alone, a block recorded once with its submit verdict, and a batch applied once
 * per id (every key passed in KEYS, see test/redis-script-keys.test.ts).
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type RedisService } from '../shared/services/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { silentLogger } from '../shared/log.js';
import { ShareRecorder, type RecorderOptions } from '../stratum-node/recorder.js';
import { FLUSH_SHARES, flushKeys, type BatchPayload } from '../stratum-node/scripts.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';

const keys = keySchema('monero');
const A = 'addrA';
const B = 'addrB';

describe('share recorder', () => {
  let svc: RedisService;
  let redis: Redis;
  const make = (o: Partial<RecorderOptions> = {}) =>
    new ShareRecorder(
      redis,
      {
        prefix: keys.prefix,
        scheme: 'prop',
        slushWeight: 0,
        pplnsWindow: 2,
        batchMs: 1000,
        hashrateWindowSec: 600,
        nodeId: 1,
        ...o,
      },
      silentLogger(),
    );
  const share = (login: string, diff: number, atMs = Date.now(), solo = false) => ({
    login,
    rig: 'r1',
    ip: '10.0.0.1',
    diff,
    solo,
    atMs,
  });

  beforeAll(async () => {
    svc = await startRedis();
    redis = new Redis({ port: svc.port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    redis?.disconnect();
    await svc?.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
  });

  it('writes a batch in one call: round, worker, rigs, ips, hashrate bucket, counters', async () => {
    const r = make();
    r.add(share(A, 10));
    r.add(share(A, 15));
    r.add(share(B, 7));
    r.addInvalid();
    await r.flush();
    expect(await redis.hgetall(keys.roundCurrent)).toEqual({ [A]: '25', [B]: '7' });
    expect(await redis.get(keys.roundTotal)).toBe('32');
    expect(await redis.hget(keys.worker(A), 'hashes')).toBe('25');
    expect(await redis.hget(keys.workerRigs(A), 'r1')).toMatch(/^\d+$/);
    expect(await redis.zscore(keys.minerIps(A), '10.0.0.1')).not.toBeNull();
    expect(await redis.hget(keys.worker(A), 'balance')).toBeNull(); // balances are the unlocker's
    const buckets = await redis.keys(`${keys.prefix}hr:*`);
    expect(buckets).toHaveLength(1);
    expect(await redis.hget(buckets[0]!, 'total')).toBe('32');
    expect(await redis.hget(buckets[0]!, `w:${A}:r1`)).toBe('25');
    expect(await redis.ttl(buckets[0]!)).toBeGreaterThan(600);
    expect(await redis.hgetall(keys.stats)).toMatchObject({ totalShares: '3', totalInvalid: '1' });
  });

  it('PROP: a found block takes the round (including unflushed shares) once', async () => {
    const r = make();
    r.add(share(A, 10));
    await r.flush();
    r.add(share(B, 5));
    const block = { hash: 'aa'.repeat(32), height: 12, timeMs: 1000, difficulty: 100n, finder: B, solo: false };
    expect(await r.recordBlock(block)).toBe(true);
    expect(await redis.hgetall(keys.round(block.hash))).toEqual({ [A]: '10', [B]: '5' });
    expect(await redis.exists(keys.roundCurrent)).toBe(0);
    expect(await redis.get(keys.roundTotal)).toBe('0');
    expect(await redis.hgetall(keys.block(block.hash))).toMatchObject({
      height: '12',
      shares: '15',
      finder: B,
      status: 'candidate',
      scheme: 'prop',
    });
    expect(await redis.zscore(keys.blocksCandidates, block.hash)).toBe('12');
    expect(await r.recordBlock(block)).toBe(false); // never twice
  });

  it("slush: integer scores that grow with a share's age in the round, renormalised before overflow", async () => {
    const r = make({ slushWeight: 10 });
    await redis.hset(keys.stats, 'slushEpoch', '0');
    r.add(share(A, 100, 0));
    r.add(share(B, 100, 10_000)); // one weight later: e times the score
    await r.flush();
    const round = await redis.hgetall(keys.roundCurrent);
    expect(Number(round[B]) / Number(round[A])).toBeCloseTo(Math.E, 2);
    // an hour later the factor would be e^360: the round is rescaled first, and scores stay integers
    const later = make({ slushWeight: 10 });
    later.add(share(A, 100, 3_600_000));
    await later.flush();
    const after = await redis.hgetall(keys.roundCurrent);
    for (const v of Object.values(after)) expect(v).toMatch(/^\d+$/);
    expect(Number(after[A])).toBeGreaterThan(Number(after[B]));
    expect(Number(await redis.hget(keys.stats, 'slushEpoch'))).toBeGreaterThan(0);
  });

  it('PPLNS: the round is the newest shares summing to pplnsWindow x network difficulty', async () => {
    const r = make({ scheme: 'pplns', pplnsWindow: 2 });
    r.setNetworkDifficulty(100n); // window 200
    for (const [login, d] of [
      [A, 120],
      [B, 50],
      [A, 40],
      [B, 60],
    ] as const) {
      r.add(share(login, d));
      await r.flush();
    }
    const block = { hash: 'bb'.repeat(32), height: 20, timeMs: 2000, difficulty: 100n, finder: B, solo: false };
    await r.recordBlock(block);
    // newest first: B 60, A 40, B 50, then 50 of A's 120
    expect(await redis.hgetall(keys.round(block.hash))).toEqual({ [B]: '110', [A]: '90' });
    expect(await redis.hget(keys.block(block.hash), 'scheme')).toBe('pplns');
  });

  it('PPLNS: the share log is trimmed to just over 1.5 windows', async () => {
    const r = make({ scheme: 'pplns', pplnsWindow: 1 });
    r.setNetworkDifficulty(100n); // keep >= 150
    for (let i = 0; i < 40; i++) {
      r.add(share(A, 10));
      await r.flush();
    }
    const total = Number(await redis.get(keys.shareLogTotal));
    expect(total).toBeGreaterThanOrEqual(150);
    expect(total).toBeLessThan(170);
    expect(await redis.llen(keys.shareLog)).toBe(total / 10);
  });

  it('applies a batch once however often it is retried (a lost reply never double-counts)', async () => {
    const payload: BatchPayload = {
      id: 'test-batch-1',
      nowSec: 1000,
      nowMs: 1_000_000,
      bucket: 990,
      bucketTtl: 4800,
      slushWeight: 0,
      pplnsKeep: 0,
      slushLatestMs: 1_000_000,
      shares: 1,
      invalid: 0,
      miners: [{ l: A, d: 10, rd: 10, sw: 0, rigs: [['r1', 10]], ips: [['10.0.0.1', 1_000_000]] }],
    };
    const storage = createIoredisStorage(redis);
    expect(await storage.evalScript(FLUSH_SHARES, flushKeys(keys, payload), [JSON.stringify(payload)])).toBe(1);
    expect(await storage.evalScript(FLUSH_SHARES, flushKeys(keys, payload), [JSON.stringify(payload)])).toBe(0);
    expect(await redis.exists(keys.flushed(payload.id))).toBe(1);
    expect(await redis.hget(keys.roundCurrent, A)).toBe('10');
    expect(await redis.hget(keys.worker(A), 'hashes')).toBe('10');
    // keys that do not match the batch's miners are refused before any write
    const other = { ...payload, id: 'test-batch-2' };
    await expect(
      storage.evalScript(FLUSH_SHARES, flushKeys(keys, { ...other, miners: [] }), [JSON.stringify(other)]),
    ).rejects.toThrow(/KEYS do not match/);
    expect(await redis.exists(keys.flushed(other.id))).toBe(0);
  });

  it('records the submit verdict of a block (unconfirmed: the submit_block reply was lost)', async () => {
    const r = make();
    r.add(share(A, 10));
    const block = {
      hash: 'dd'.repeat(32),
      height: 40,
      timeMs: 4000,
      difficulty: 100n,
      finder: A,
      solo: false,
      submit: 'unconfirmed' as const,
    };
    expect(await r.recordBlock(block)).toBe(true);
    expect(await redis.hget(keys.block(block.hash), 'submit')).toBe('unconfirmed');
    expect(await redis.hget(keys.block(block.hash), 'status')).toBe('candidate');
  });

  it('SOLO: the finder alone, and the pool round is untouched', async () => {
    const r = make();
    r.add(share(A, 10));
    r.add(share(B, 30, Date.now(), true));
    const block = { hash: 'cc'.repeat(32), height: 30, timeMs: 3000, difficulty: 100n, finder: B, solo: true };
    await r.recordBlock(block);
    expect(await redis.hgetall(keys.round(block.hash))).toEqual({ [B]: '1' });
    expect(await redis.hgetall(keys.roundCurrent)).toEqual({ [A]: '10' });
    expect(await redis.get(keys.roundTotal)).toBe('10');
    expect(await redis.hget(keys.worker(B), 'hashes')).toBe('30');
  });
});
