/**
 * The spine, end to end on real parts: a miner speaking xmrig's protocol logs in, mines real RandomX shares, finds
 * blocks that monerod accepts, and the pool records the candidate with its round in Redis.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHasher, type Hasher } from '../native/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { freePort } from '../shared/services/index.js';
import { StratumClient, mineShare } from './support/stratum-client.js';
import {
  startChainFixture,
  poolConfig,
  startNode,
  MINER_ADDRESS,
  POOL_ADDRESS,
  type ChainFixture,
} from './support/pool-fixture.js';
import type { StratumNode } from '../stratum-node/index.js';

const NETWORK_DIFFICULTY = 20n;
const keys = keySchema('monero');

describe('stratum node mining on a regtest chain', () => {
  let chain: ChainFixture;
  let node: StratumNode;
  let minerHasher: Hasher;
  let port: number;

  beforeAll(async () => {
    chain = await startChainFixture(Number(NETWORK_DIFFICULTY));
    await chain.daemon.generateBlocks(2, POOL_ADDRESS);
    port = await freePort();
    const config = await poolConfig(chain, {
      ports: [{ port, difficulty: 4, desc: 'test' }],
      shareBatchInterval: 200,
      varDiff: { minDiff: 1, maxDiff: 1000, targetTime: 60, retargetTime: 60, variancePercent: 30, maxJump: 100 },
    });
    node = await startNode(chain, config);
    minerHasher = createHasher({ mode: 'light', threads: 2 });
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await minerHasher?.close();
    await chain?.stop();
  });

  it('accepts real shares and credits them at the job difficulty', async () => {
    const c = await StratumClient.connect({ port });
    const login = await c.login(`${MINER_ADDRESS}.rig1+3`);
    expect(login.error).toBeNull();
    const res = login.result as {
      id: string;
      status: string;
      extensions: string[];
      job: { algo: string; seed_hash: string; target: string };
    };
    expect(res.status).toBe('OK');
    expect(res.job.algo).toBe('rx/0');
    expect(res.job.seed_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.job.target).toMatch(/^[0-9a-f]{8}$/);
    let accepted = 0;
    let nonceStart = 1;
    while (accepted < 3) {
      const job = c.job; // submit against the job the share was mined for (each job has its own blob)
      const share = await mineShare(minerHasher, job, { startNonce: nonceStart });
      nonceStart = parseInt(share.nonce.match(/../g)!.reverse().join(''), 16) + 1;
      const r = await c.submit(job, share.nonce, share.result);
      if (r.error?.message === 'Block expired') continue; // a block was found meanwhile: mine on the new job
      expect(r.error).toBeNull();
      expect(r.result).toEqual({ status: 'OK' });
      accepted += 1;
    }
    await node.recorder.flush();
    const worker = await chain.redis.hgetall(keys.worker(MINER_ADDRESS));
    expect(Number(worker.hashes)).toBeGreaterThanOrEqual(3 * 3);
    expect(Number(worker.hashes) % 3).toBe(0); // credited at the job's fixed difficulty 3, never the hash's
    const rigs = await chain.redis.hgetall(keys.workerRigs(MINER_ADDRESS));
    expect(Object.keys(rigs)).toContain('rig1');
    c.close();
  }, 120_000);

  it('finds blocks that monerod accepts, records candidate and round atomically, then pushes a new job', async () => {
    const c = await StratumClient.connect({ port });
    expect((await c.login(MINER_ADDRESS)).error).toBeNull();
    for (let found = 0; found < 2; found++) {
      const before = await chain.daemon.getLastBlockHeader();
      const job = c.job;
      const share = await mineShare(minerHasher, job, { wantBlock: NETWORK_DIFFICULTY });
      const pushed = c.nextJob(20_000);
      const r = await c.submit(job, share.nonce, share.result);
      expect(r.error).toBeNull();
      const after = await chain.daemon.getLastBlockHeader();
      expect(after.height).toBe(before.height + 1);
      const candidates = await chain.redis.zrange(keys.blocksCandidates, '0', '-1');
      expect(candidates).toContain(after.hash);
      const block = await chain.redis.hgetall(keys.block(after.hash));
      expect(block).toMatchObject({
        hash: after.hash,
        height: String(after.height),
        finder: MINER_ADDRESS,
        status: 'candidate',
        scheme: 'prop',
      });
      const round = await chain.redis.hgetall(keys.round(after.hash));
      expect(Number(round[MINER_ADDRESS])).toBeGreaterThan(0);
      expect(await chain.redis.get(keys.roundTotal)).toBe('0');
      const next = await pushed;
      expect(next.job_id).not.toBe(job.job_id);
      expect(next.height).toBe(after.height + 1);
      // a share for the old template is now stale
      const stale = await c.submit(job, 'ffffffff', 'ab'.repeat(32));
      expect(stale.error?.message).toBe('Block expired');
    }
    const header = await chain.daemon.getLastBlockHeader();
    expect(header.reward).toBeGreaterThan(0n);
    c.close();
  }, 180_000);

  it('serves health and Prometheus metrics', async () => {
    const h = await fetch(`http://127.0.0.1:${node.healthPort}/health`);
    expect(h.status).toBe(200);
    const body = (await h.json()) as { status: string; height: number };
    expect(body.status).toBe('ok');
    expect(body.height).toBeGreaterThan(2);
    const m = await (await fetch(`http://127.0.0.1:${node.healthPort}/metrics`)).text();
    expect(m).toMatch(/pool_shares_total\{result="valid"\} [1-9]/);
    expect(m).toMatch(/pool_blocks_total\{result="accepted"\} ([2-9]|\d{2,})/);
  });
});
