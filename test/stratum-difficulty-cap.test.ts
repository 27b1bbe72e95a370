/**
 * No job is harder than its block. On a real chain (monerod --regtest --fixed-difficulty N, real sockets, real
 * RandomX on both sides) a miner asking for a huge `+DIFF`, a port whose difficulty is above N and a vardiff push
 * above N all get jobs whose target is exactly N; a share at that target is a block, and monerod takes it.
 * The Miner's own rules (what is stored for vardiff, what a lower or higher template does) are checked directly.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHasher, type Hasher } from '../native/index.js';
import { hexToBytes } from '../shared/hex.js';
import { difficultyFromTarget, hashMeetsDifficulty, targetForDifficulty } from '../shared/monero/difficulty.js';
import { freePort } from '../shared/services/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { Miner } from '../stratum-node/miner.js';
import type { ActiveTemplate } from '../stratum-node/jobs.js';
import type { StratumNode } from '../stratum-node/index.js';
import { StratumClient, mineShare, type Job, type MinedShare } from './support/stratum-client.js';
import { startChainFixture, poolConfig, startNode, MINER_ADDRESS, type ChainFixture } from './support/pool-fixture.js';

const N = 40;
const VARDIFF = { minDiff: 1, maxDiff: 100_000, targetTime: 60, retargetTime: 1, variancePercent: 30, maxJump: 1000 };
const keys = keySchema('monero');

describe('job difficulty is capped at the network difficulty (real chain)', () => {
  let chain: ChainFixture;
  let node: StratumNode;
  let poolHasher: Hasher;
  let minerHasher: Hasher;
  let lowPort: number;
  let highPort: number;

  beforeAll(async () => {
    chain = await startChainFixture(N);
    [lowPort, highPort] = await Promise.all([freePort(), freePort()]);
    const config = await poolConfig(chain, {
      ports: [
        { port: lowPort, difficulty: 8, desc: 'below the network difficulty' },
        { port: highPort, difficulty: 5000, desc: 'above the network difficulty' },
      ],
      shareBatchInterval: 200,
      varDiff: VARDIFF,
      shareTrust: { enabled: false },
    });
    poolHasher = createHasher({ mode: 'light', threads: 1 });
    minerHasher = createHasher({ mode: 'light', threads: 1 });
    node = await startNode(chain, config, poolHasher);
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await poolHasher?.close();
    await minerHasher?.close();
    await chain?.stop();
  });

  /** The client's newest job once it is for the chain's next block (a block found just before may still be settling). */
  async function currentJob(c: StratumClient): Promise<Job> {
    for (;;) {
      const next = await chain.daemon.getBlockCount();
      if (c.job.height === next) return c.job;
      await c.nextJob(30_000);
    }
  }

  /** A share for `job` that does not meet the network difficulty (so the template stays put). */
  async function nonBlockShare(job: Job, start: number): Promise<MinedShare> {
    for (let n = start; ;) {
      const s = await mineShare(minerHasher, job, { startNonce: n, parallel: 2 });
      if (!hashMeetsDifficulty(hexToBytes(s.result), N)) return s;
      n = Number.parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
    }
  }

  /** The job's target is exactly network difficulty N, as xmrig reads it. */
  function expectNetworkTarget(job: Job): void {
    expect(job.target).toBe(targetForDifficulty(N).hex);
    expect(difficultyFromTarget(job.target)).toBe(BigInt(N));
  }

  /**
   * Mines the first share meeting the job's target, submits it and checks that it was a block monerod put on its
   * main chain and the pool recorded as an accepted candidate found by this miner.
   */
  async function shareAtTargetIsBlock(c: StratumClient, job: Job): Promise<void> {
    const s = await mineShare(minerHasher, job, { parallel: 2 });
    expect(hashMeetsDifficulty(hexToBytes(s.result), N)).toBe(true);
    const reply = await c.submit(job, s.nonce, s.result);
    expect(reply.error).toBeNull();
    const height = job.height!;
    const onChain = await chain.daemon.getBlockHeaderByHeight(height);
    const recorded = await chain.redis.zrangebyscore(keys.blocksCandidates, height, height);
    expect(recorded).toEqual([onChain.hash]);
    const block = await chain.redis.hgetall(keys.block(onChain.hash));
    expect(block).toMatchObject({ finder: MINER_ADDRESS, status: 'candidate', height: String(height) });
  }

  it('a huge +DIFF gets a job at exactly network difficulty, and a share at that target is a block', async () => {
    const c = await StratumClient.connect({ port: lowPort });
    expect((await c.login(`${MINER_ADDRESS}+1000000000000`)).error).toBeNull();
    const job = await currentJob(c);
    expectNetworkTarget(job);
    await shareAtTargetIsBlock(c, job);
    c.close();
  }, 180_000);

  it('a port difficulty above the network difficulty gets jobs at exactly network difficulty', async () => {
    const c = await StratumClient.connect({ port: highPort });
    expect((await c.login(`${MINER_ADDRESS}.highport`)).error).toBeNull();
    const job = await currentJob(c);
    expectNetworkTarget(job);
    await shareAtTargetIsBlock(c, job);
    // the job for the next block (pushed after the block) is capped too
    expectNetworkTarget(await currentJob(c));
    c.close();
  }, 180_000);

  it('a vardiff push above the network difficulty is a job at exactly network difficulty', async () => {
    const c = await StratumClient.connect({ port: lowPort });
    expect((await c.login(`${MINER_ADDRESS}.vardiff`)).error).toBeNull();
    let job = await currentJob(c);
    expect(difficultyFromTarget(job.target)).toBe(8n);
    const firstId = job.job_id;
    // fast shares: vardiff wants 8 * 60 / (about 1 s), clamped to +1000 % = 88, far above N
    let n = 1;
    let pushed: Job | undefined;
    while (!pushed) {
      await new Promise((r) => setTimeout(r, 1100));
      const s = await nonBlockShare(job, n * 100_000);
      n += 1;
      expect((await c.submit(job, s.nonce, s.result)).error).toBeNull();
      await new Promise((r) => setImmediate(r));
      pushed = c.jobs.find((j) => j.job_id !== firstId && j.target !== job.target);
    }
    expectNetworkTarget(pushed);
    job = pushed;
    await shareAtTargetIsBlock(c, job);
    c.close();
  }, 240_000);
});

describe('Miner: the cap as vardiff and a changing network difficulty see it', () => {
  const template = (id: number, difficulty: bigint): ActiveTemplate =>
    ({
      id,
      height: 10 + id,
      prevHash: '00'.repeat(32),
      seedHash: '11'.repeat(32),
      nextSeedHash: '',
      difficulty,
      reward: 1n,
      createdAt: 0,
    }) as unknown as ActiveTemplate;
  const miner = (difficulty: number, fixedDiff: boolean): Miner =>
    new Miner({
      ip: '127.0.0.1',
      port: 3333,
      login: MINER_ADDRESS,
      rig: 'r',
      solo: false,
      difficulty,
      fixedDiff,
      varDiff: VARDIFF,
      trust: { enabled: false, min: 0, stepDown: 1, threshold: 1, penalty: 1 },
    });
  const blob = new Uint8Array(76);
  const en = new Uint8Array(8);
  const diffOf = (hex: string) => Number(difficultyFromTarget(hex));

  it('a vardiff miner is lowered to the cap (and stays there until vardiff moves it); a fixed one keeps what it asked for', () => {
    const vardiff = miner(5000, false);
    const fixed = miner(5000, true);
    expect(diffOf(vardiff.newJob(template(1, 1000n), en, blob).target)).toBe(1000);
    expect(vardiff.difficulty).toBe(1000);
    expect(diffOf(fixed.newJob(template(1, 1000n), en, blob).target)).toBe(1000);
    expect(fixed.difficulty).toBe(5000);
    // a template with a lower difficulty (what a broadcast makes jobs from) lowers both jobs
    expect(diffOf(vardiff.newJob(template(2, 100n), en, blob).target)).toBe(100);
    expect(diffOf(fixed.newJob(template(2, 100n), en, blob).target)).toBe(100);
    expect(vardiff.findJob(vardiff.jobs.at(-1)!.id)!.difficulty).toBe(100);
    // a harder network gives the fixed miner its difficulty back; the vardiff miner stays where vardiff left it
    expect(diffOf(fixed.newJob(template(3, 1_000_000n), en, blob).target)).toBe(5000);
    expect(diffOf(vardiff.newJob(template(3, 1_000_000n), en, blob).target)).toBe(100);
  });

  it('a vardiff retarget above the cap is capped, and one that the cap leaves unchanged asks for no new job', () => {
    const m = miner(50, false);
    const t = template(1, 100n);
    expect(m.retarget(400, t)).toBe(true);
    expect(m.difficulty).toBe(100);
    expect(m.retarget(800, t)).toBe(false);
    expect(m.difficulty).toBe(100);
    expect(m.retarget(60, t)).toBe(true);
    expect(m.difficulty).toBe(60);
  });

  it('a network difficulty beyond 2^53 never limits a job', () => {
    const m = miner(123_456, true);
    expect(m.newJob(template(1, 1n << 80n), en, blob).target).toBe(targetForDifficulty(123_456).hex);
    expect(m.jobs.at(-1)!.difficulty).toBe(123_456);
  });
});
