/**
 * The whole stratum node (`pool start -module=pool`, a real process) through a Redis outage and a kill -9, on a
 * real regtest monerod and a real redis-server (AOF, fsync always) stopped and started on the same port and folder:
 *
 *   two miners mine real RandomX shares -> Redis is stopped -> they keep mining, miner A finds a block that monerod
 *   accepts -> they keep mining (next round) -> once everything is in the node's journal (poolServer.dataDir), the
 *   node is killed with SIGKILL -> restarted while Redis is still down (it reuses its journal slot's node id) ->
 *   both mine one more share -> Redis is started again.
 *
 * Then, share by share (every accepted share is worth its fixed difficulty 3): the block's round holds exactly the
 * shares mined before the block (including the block's own), the open round exactly those mined after it, the block
 * is a candidate with monerod's hash, and the share counters match the shares the miners were told were accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createHasher, type Hasher } from '../native/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { hexToBytes } from '../shared/hex.js';
import { hashMeetsDifficulty } from '../shared/monero/difficulty.js';
import { freePort, startRedis, type RedisService } from '../shared/services/index.js';
import { startChain, type Chain } from './harness/index.js';
import { StratumClient, mineShare } from './support/stratum-client.js';
import { startPoolProcess, stopPoolProcess, type PoolProcess } from './support/pool-process.js';
import { waitFor, waitForPort } from './support/wait.js';
import { POOL_ADDRESS, MINER_ADDRESS } from './support/pool-fixture.js';
import type { JournalRecord } from '../stratum-node/journal.js';

const NETWORK_DIFFICULTY = 60n;
const SHARE_DIFF = 3;
const MINER_B = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';
const keys = keySchema('monero');

/** The shares the journal holds (batch and block records, minus acked ops): what Redis has not taken. */
function journaledShares(path: string): { shares: number; blocks: number } {
  if (!existsSync(path)) return { shares: 0, blocks: 0 };
  const ops = new Map<string, { shares: number; block: boolean; batchId: string }>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as JournalRecord;
    if (r.t === 'ack') ops.delete(r.id);
    else if (r.t === 'block') ops.set(r.id, { shares: r.p.shares, block: true, batchId: r.p.id });
    else if (r.t === 'drop') {
      const o = ops.get(r.id);
      ops.delete(r.id);
      if (o) ops.set(o.batchId, { ...o, block: false });
    } else if (r.t === 'batch') {
      const into = r.into === undefined ? undefined : ops.get(r.into);
      if (into) into.shares += r.p.shares;
      else ops.set(r.id, { shares: r.p.shares, block: false, batchId: r.id });
    }
  }
  let shares = 0;
  let blocks = 0;
  for (const o of ops.values()) {
    shares += o.shares;
    if (o.block) blocks += 1;
  }
  return { shares, blocks };
}

describe('stratum node: Redis outage, block found during it, node killed -9 and restarted before Redis returns', () => {
  let chain: Chain;
  let redis: RedisService | null = null;
  let redisPort = 0;
  let dir: string;
  let admin: Redis;
  let hasher: Hasher;
  let port: number;
  let configPath: string;
  let node: PoolProcess | undefined;

  const redisUp = async (): Promise<void> => {
    redis = await startRedis({
      dir: join(dir, 'redis'),
      ...(redisPort ? { port: redisPort } : {}),
      appendonly: true,
      appendfsync: 'always',
    });
    redisPort = redis.port;
  };
  const startNodeProcess = (): PoolProcess => startPoolProcess(['start', `-config=${configPath}`, '-module=pool']);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pool-outage-kill-'));
    await redisUp();
    chain = await startChain({ fixedDifficulty: Number(NETWORK_DIFFICULTY) });
    await chain.daemon.generateBlocks(2, POOL_ADDRESS);
    admin = new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
    port = await freePort();
    configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        coin: 'monero',
        logging: { console: { level: 'warn', colors: false } },
        poolServer: {
          enabled: true,
          clusterForks: 1,
          poolAddress: POOL_ADDRESS,
          blockRefreshInterval: 500,
          shareBatchInterval: 200,
          dataDir: join(dir, 'data'),
          ports: [{ port, difficulty: SHARE_DIFF, desc: 'test' }],
          varDiff: { minDiff: 1, maxDiff: 1000, targetTime: 60, retargetTime: 60, variancePercent: 30, maxJump: 100 },
          health: { enabled: false },
        },
        rewards: { scheme: 'prop' },
        daemon: { host: '127.0.0.1', port: chain.monerod.port },
        redis: { host: '127.0.0.1', port: redisPort },
        api: { enabled: false, password: 'not-the-example' },
        payments: { enabled: false },
        blockUnlocker: { enabled: false },
      }),
    );
    node = startNodeProcess();
    await waitForPort(port);
    hasher = createHasher({ mode: 'light', threads: 2 });
  }, 180_000);

  afterAll(async () => {
    await stopPoolProcess(node, 'SIGKILL');
    admin?.disconnect();
    await hasher?.close();
    await chain?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('loses no share, mixes no rounds', async () => {
    const credit = { before: new Map<string, number>(), after: new Map<string, number>() };
    let accepted = 0;
    const add = (m: Map<string, number>, login: string) => m.set(login, (m.get(login) ?? 0) + SHARE_DIFF);

    /** Mines and submits one accepted share that is NOT a block; returns after the node answered OK. */
    const oneShare = async (c: StratumClient, login: string, bucket: Map<string, number>): Promise<void> => {
      let nonce = Math.floor(Math.random() * 0xffffff);
      for (;;) {
        const job = c.job;
        const s = await mineShare(hasher, job, { startNonce: nonce });
        nonce = parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
        if (hashMeetsDifficulty(hexToBytes(s.result), NETWORK_DIFFICULTY)) continue; // would be a block: not now
        const r = await c.submit(job, s.nonce, s.result);
        if (r.error?.message === 'Block expired') continue;
        expect(r.error).toBeNull();
        add(bucket, login);
        accepted += 1;
        return;
      }
    };
    const connect = async (login: string): Promise<StratumClient> => {
      const c = await StratumClient.connect({ port });
      expect((await c.login(`${login}.rig+${SHARE_DIFF}`)).error).toBeNull();
      return c;
    };

    let a = await connect(MINER_ADDRESS);
    let b = await connect(MINER_B);
    // before the outage
    for (let i = 0; i < 2; i++) {
      await oneShare(a, MINER_ADDRESS, credit.before);
      await oneShare(b, MINER_B, credit.before);
    }
    await waitFor(
      'the first shares in Redis',
      async () => Number(await admin.hget(keys.stats, 'totalShares')) === 4,
      30_000,
    );

    // Redis goes away; mining goes on
    await redis!.stop();
    redis = null;
    for (let i = 0; i < 2; i++) {
      await oneShare(a, MINER_ADDRESS, credit.before);
      await oneShare(b, MINER_B, credit.before);
    }
    // A finds a block: monerod accepts it, Redis cannot record it
    const before = await chain.daemon.getLastBlockHeader();
    const job = a.job;
    const blockShare = await mineShare(hasher, job, { wantBlock: NETWORK_DIFFICULTY });
    const r = await a.submit(job, blockShare.nonce, blockShare.result);
    expect(r.error).toBeNull();
    add(credit.before, MINER_ADDRESS);
    accepted += 1;
    const found = await chain.daemon.getLastBlockHeader();
    expect(found.height).toBe(before.height + 1);
    // the next round
    await waitFor('the new job after the block', () => a.job.job_id !== job.job_id, 30_000);
    for (let i = 0; i < 2; i++) {
      await oneShare(a, MINER_ADDRESS, credit.after);
      await oneShare(b, MINER_B, credit.after);
    }
    // everything Redis has not taken is in the journal (the first 4 shares reached Redis before the outage)
    const journal = join(dir, 'data', 'shares-0.journal');
    await waitFor(
      'the outage shares in the journal',
      () => {
        const j = journaledShares(journal);
        return j.shares === accepted - 4 && j.blocks === 1;
      },
      30_000,
    );

    // kill -9, restart while Redis is still down
    await stopPoolProcess(node, 'SIGKILL');
    a.close();
    b.close();
    node = startNodeProcess();
    await waitForPort(port, 120_000);
    expect(node.output()).toMatch(/reusing this journal slot's node id/);
    a = await connect(MINER_ADDRESS);
    b = await connect(MINER_B);
    await oneShare(a, MINER_ADDRESS, credit.after);
    await oneShare(b, MINER_B, credit.after);
    await waitFor(
      'the restarted node to journal its shares',
      () => journaledShares(journal).shares === accepted - 4,
      30_000,
    );

    // Redis is back: the journal drains, in order
    await redisUp();
    await waitFor('the journal to drain', () => existsSync(journal) && readFileSync(journal).length === 0, 60_000);

    const round = await admin.hgetall(keys.round(found.hash));
    expect(round).toEqual(Object.fromEntries([...credit.before].map(([l, d]) => [l, String(d)])));
    expect(await admin.hgetall(keys.roundCurrent)).toEqual(
      Object.fromEntries([...credit.after].map(([l, d]) => [l, String(d)])),
    );
    const sumAfter = [...credit.after.values()].reduce((s, d) => s + d, 0);
    const sumBefore = [...credit.before.values()].reduce((s, d) => s + d, 0);
    expect(await admin.get(keys.roundTotal)).toBe(String(sumAfter));
    expect(await admin.hgetall(keys.block(found.hash))).toMatchObject({
      hash: found.hash,
      height: String(found.height),
      finder: MINER_ADDRESS,
      status: 'candidate',
      scheme: 'prop',
      shares: String(sumBefore),
      submit: 'accepted',
    });
    expect(await admin.zscore(keys.blocksCandidates, found.hash)).toBe(String(found.height));
    expect(await admin.hget(keys.stats, 'totalShares')).toBe(String(accepted));
    for (const login of [MINER_ADDRESS, MINER_B]) {
      const total = (credit.before.get(login) ?? 0) + (credit.after.get(login) ?? 0);
      expect(await admin.hget(keys.worker(login), 'hashes')).toBe(String(total));
    }
    a.close();
    b.close();
  }, 600_000);
});
