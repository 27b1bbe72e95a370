/**
 * An ambiguous submit_block keeps the block. The stratum node talks to monerod through a real TCP/HTTP proxy that
 * forwards submit_block and then delays the reply past the client's timeout, cuts the connection, or answers 503; or
 * cuts the connection WITHOUT forwarding (the daemon never sees the block). Real monerod --regtest, redis-server,
 * RandomX on both sides, the real unlocker.
 *
 * Checked: every ambiguous block is recorded as a candidate with submit "unconfirmed" and its round closed share by
 * share; the unlocker turns the ones the daemon has into submit "accepted" and credits them at maturity, atomic unit
 * exact against the real block rewards; the one the daemon never had is orphaned at depth and its PROP round given
 * back into the current round, where the next block credits it. Separately, `classifySubmitFailure` on real
 * failures: explicit rejections and undelivered requests are not ambiguous, timeouts/resets/5xx are.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHasher, type Hasher } from '../native/index.js';
import { bytesToHex, hexToBytes } from '../shared/hex.js';
import { hashMeetsDifficulty } from '../shared/monero/difficulty.js';
import { blockId } from '../shared/monero/template.js';
import { freePort } from '../shared/services/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { createDaemonClient, classifySubmitFailure, type DaemonClient } from '../shared/rpc/daemon.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import { silentLogger } from '../shared/log.js';
import { startStratumNode, type StratumNode } from '../stratum-node/index.js';
import { run as runUnlocker, type UnlockerDeps } from '../functions/unlocker/index.js';
import { mature } from './harness/index.js';
import { startRpcProxy, type RpcProxy } from './backoffice/rpc-proxy.js';
import { StratumClient, mineShare, type Job, type MinedShare } from './support/stratum-client.js';
import { startChainFixture, poolConfig, MINER_ADDRESS, type ChainFixture } from './support/pool-fixture.js';
import type { PoolConfig } from '../shared/config/schema.js';

const N = 20;
const DEPTH = 6;
/** Monero's general-fund address: a second valid mainnet payout address. */
const OTHER_ADDRESS = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';
const keys = keySchema('monero');

type Round = Map<string, bigint>;

describe('ambiguous submit_block: the block is kept, confirmed by hash, credited or orphaned by the chain', () => {
  let chain: ChainFixture;
  let proxy: RpcProxy;
  let proxied: DaemonClient;
  let node: StratumNode;
  let storage: IoredisStorage;
  let config: PoolConfig;
  let poolHasher: Hasher;
  let minerHasher: Hasher;
  let port: number;
  let a: StratumClient;
  let b: StratumClient;
  /** What the test itself credited since the last recorded block, share by share (login -> sum of job difficulties). */
  let round: Round = new Map();
  /** hash -> the round the test expects that block to carry. */
  const rounds = new Map<string, Round>();
  let nonce = 1;

  beforeAll(async () => {
    chain = await startChainFixture(N);
    proxy = await startRpcProxy(chain.daemonPort);
    // the node's daemon: every call goes through the proxy; 2 s per call so a held reply is a timeout
    proxied = createDaemonClient(
      { host: '127.0.0.1', port: proxy.port, timeout: 2_000, retries: 2 },
      { retryBaseMs: 20 },
    );
    port = await freePort();
    config = await poolConfig(
      chain,
      {
        ports: [{ port, difficulty: 4, desc: 'test' }],
        shareBatchInterval: 200,
        shareTrust: { enabled: false },
        varDiff: { minDiff: 1 },
      },
      { blockUnlocker: { enabled: false, depth: DEPTH, poolFee: 0 }, rewards: { scheme: 'prop', finderReward: 0 } },
    );
    poolHasher = createHasher({ mode: 'light', threads: 1 });
    minerHasher = createHasher({ mode: 'light', threads: 1 });
    node = await startStratumNode({
      config,
      redis: chain.redis,
      daemon: proxied,
      log: silentLogger(),
      host: '127.0.0.1',
      hasher: poolHasher,
    });
    storage = createIoredisStorage({ host: '127.0.0.1', port: chain.redisPort });
    a = await StratumClient.connect({ port });
    b = await StratumClient.connect({ port });
    expect((await a.login(`${MINER_ADDRESS}.a+4`)).error).toBeNull();
    expect((await b.login(`${OTHER_ADDRESS}.b+6`)).error).toBeNull();
  }, 120_000);

  afterAll(async () => {
    a?.close();
    b?.close();
    await node?.stop();
    await storage?.close();
    await proxied?.close();
    await proxy?.stop();
    await poolHasher?.close();
    await minerHasher?.close();
    await chain?.stop();
  });

  const unlockerDeps = (): UnlockerDeps => ({
    storage,
    daemon: chain.daemon,
    config,
    log: silentLogger(),
    now: () => Date.now(),
  });
  const loginOf = (c: StratumClient) => (c === a ? MINER_ADDRESS : OTHER_ADDRESS);
  const diffOf = (c: StratumClient) => (c === a ? 4n : 6n);
  const nonceInt = (s: MinedShare) => Number.parseInt(s.nonce.match(/../g)!.reverse().join(''), 16);

  /** The client's newest job once it is for the chain's next block (the node may still be taking a new tip). */
  async function currentJob(c: StratumClient): Promise<Job> {
    for (;;) {
      const height = await chain.daemon.getBlockCount();
      if (c.job.height === height) return c.job;
      await c.nextJob(30_000);
    }
  }

  /** One accepted share that is not a block, credited in the test's own round. */
  async function share(c: StratumClient): Promise<void> {
    const job = await currentJob(c);
    for (;;) {
      const s = await mineShare(minerHasher, job, { startNonce: nonce, parallel: 2 });
      nonce = nonceInt(s) + 1;
      if (hashMeetsDifficulty(hexToBytes(s.result), N)) continue;
      expect((await c.submit(job, s.nonce, s.result)).error).toBeNull();
      round.set(loginOf(c), (round.get(loginOf(c)) ?? 0n) + diffOf(c));
      return;
    }
  }

  /**
   * Mines a block share for `c`, submits it (its reply is OK whatever the daemon said: the share is valid) and
   * returns the block hash, having checked the candidate record and its round against the test's own count.
   * `reachesDaemon`: the proxy forwarded the block, so wait until monerod has added it (after a timed-out submit it
   * may still be verifying it) before mining on.
   */
  async function block(
    c: StratumClient,
    submit: 'accepted' | 'unconfirmed',
    reachesDaemon = true,
  ): Promise<{ hash: string; height: number }> {
    const job = await currentJob(c);
    const s = await mineShare(minerHasher, job, {
      startNonce: nonce,
      parallel: 2,
      wantBlock: BigInt(N),
      maxTries: 1_000_000,
    });
    nonce = nonceInt(s) + 1;
    const blob = hexToBytes(job.blob);
    blob.set(hexToBytes(s.nonce), 39);
    const hash = bytesToHex(blockId(blob));
    expect((await c.submit(job, s.nonce, s.result)).error).toBeNull();
    round.set(loginOf(c), (round.get(loginOf(c)) ?? 0n) + diffOf(c));
    rounds.set(hash, round);
    round = new Map();
    const record = await chain.redis.hgetall(keys.block(hash));
    expect(record).toMatchObject({
      hash,
      height: String(job.height),
      status: 'candidate',
      finder: loginOf(c),
      scheme: 'prop',
      submit,
    });
    expect(await chain.redis.zscore(keys.blocksCandidates, hash)).toBe(String(job.height));
    expect(await roundOf(keys.round(hash))).toEqual(rounds.get(hash));
    while (
      reachesDaemon &&
      !(await chain.daemon.getBlockHeaderByHash(hash).then(
        () => true,
        () => false,
      ))
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    return { hash, height: job.height! };
  }

  async function roundOf(key: string): Promise<Round> {
    const raw = await chain.redis.hgetall(key);
    return new Map(Object.entries(raw).map(([k, v]) => [k, BigInt(v)]));
  }

  async function balance(address: string): Promise<bigint> {
    return BigInt((await chain.redis.hget(keys.worker(address), 'balance')) ?? '0');
  }

  /** Each miner's exact share of `reward` over `r` (largest remainder): within one unit of the proportional part. */
  function expectSplit(reward: bigint, r: Round, credited: Map<string, bigint>): void {
    const total = [...r.values()].reduce((x, y) => x + y, 0n);
    let sum = 0n;
    for (const [login, w] of r) {
      const got = credited.get(login) ?? 0n;
      const floor = (reward * w) / total;
      expect(got === floor || got === floor + 1n).toBe(true);
      sum += got;
    }
    expect(sum).toBe(reward);
  }

  it('keeps blocks whose submit timed out, was cut after sending, got a 503 or never arrived; the chain decides them', async () => {
    const hidden: { hash: string; height: number }[] = [];
    const timeoutsBefore = proxy.count('submit_block');

    // 1. the reply is held past the node's 2 s timeout: monerod took the block, the node never heard
    await share(a);
    await share(b);
    proxy.delayReply('submit_block', 4_000);
    hidden.push(await block(a, 'unconfirmed'));
    // 2. the connection is cut after monerod answered
    await share(b);
    proxy.dropReply('submit_block');
    hidden.push(await block(b, 'unconfirmed'));
    // 3. a 503 after monerod took it
    await share(a);
    await share(a);
    proxy.failReply('submit_block', 503);
    hidden.push(await block(a, 'unconfirmed'));
    for (const h of hidden) expect((await chain.daemon.getBlockHeaderByHash(h.hash)).hash).toBe(h.hash);

    // 4. the request is cut before the proxy forwards it: monerod never had this block
    await share(b);
    proxy.swallow('submit_block');
    const lost = await block(b, 'unconfirmed', false);
    await expect(chain.daemon.getBlockHeaderByHash(lost.hash)).rejects.toThrow();
    // 5. the pool goes on at the same height; this block is submitted normally and takes that height
    await share(a);
    const taken = await block(a, 'accepted');
    expect(taken.height).toBe(lost.height);
    expect(proxy.count('submit_block') - timeoutsBefore).toBe(5); // one call per block: ambiguous submits are not retried

    // the unlocker's lookups by hash: the three the daemon has become accepted, the lost one stays unconfirmed
    const early = await runUnlocker(unlockerDeps());
    for (const h of hidden) {
      expect(early.blocks.find((r) => r.hash === h.hash)).toMatchObject({ action: 'waiting', submit: 'accepted' });
      expect(await chain.redis.hget(keys.block(h.hash), 'submit')).toBe('accepted');
    }
    expect(early.blocks.find((r) => r.hash === lost.hash)).toMatchObject({
      action: 'waiting',
      submit: 'unconfirmed',
      mainChainHashDiffers: true,
    });
    expect(await chain.redis.hget(keys.block(lost.hash), 'submit')).toBe('unconfirmed');
    expect(early.unlocked + early.orphaned).toBe(0);

    // maturity
    await mature(chain.daemon, DEPTH);
    const before = new Map([
      [MINER_ADDRESS, await balance(MINER_ADDRESS)],
      [OTHER_ADDRESS, await balance(OTHER_ADDRESS)],
    ]);
    const settled = await runUnlocker(unlockerDeps());
    expect(settled.unlocked).toBe(4);
    expect(settled.orphaned).toBe(1);
    expect(settled.blocks.find((r) => r.hash === lost.hash)).toMatchObject({
      action: 'orphaned',
      submit: 'unconfirmed',
    });
    expect(await chain.redis.hget(keys.block(lost.hash), 'status')).toBe('orphaned');

    // every credited block: its real reward split exactly over the round the test counted share by share
    const credited = new Map<string, bigint>();
    for (const h of [...hidden, taken]) {
      const report = settled.blocks.find((r) => r.hash === h.hash)!;
      const reward = (await chain.daemon.getBlockHeaderByHash(h.hash)).reward;
      expect(report).toMatchObject({ action: 'unlocked', reward: reward.toString(), fee: '0' });
      const credits = new Map(Object.entries(report.credits ?? {}).map(([k, v]) => [k, BigInt(v)]));
      expectSplit(reward, rounds.get(h.hash)!, credits);
      for (const [k, v] of credits) credited.set(k, (credited.get(k) ?? 0n) + v);
    }
    for (const [addr, was] of before) expect(await balance(addr)).toBe(was + (credited.get(addr) ?? 0n));

    // the orphan's PROP round is back in the current round, exactly
    const givenBack = rounds.get(lost.hash)!;
    expect(await roundOf(keys.roundCurrent)).toEqual(givenBack);
    expect(BigInt((await chain.redis.get(keys.roundTotal)) ?? '0')).toBe(
      [...givenBack.values()].reduce((x, y) => x + y, 0n),
    );

    // 6. the next block carries the given-back shares plus its own, and credits them at maturity
    round = new Map(givenBack);
    await share(b);
    const next = await block(a, 'accepted');
    await mature(chain.daemon, DEPTH);
    const after = new Map([
      [MINER_ADDRESS, await balance(MINER_ADDRESS)],
      [OTHER_ADDRESS, await balance(OTHER_ADDRESS)],
    ]);
    const last = await runUnlocker(unlockerDeps());
    const report = last.blocks.find((r) => r.hash === next.hash)!;
    const reward = (await chain.daemon.getBlockHeaderByHash(next.hash)).reward;
    expect(report).toMatchObject({ action: 'unlocked', reward: reward.toString() });
    const credits = new Map(Object.entries(report.credits ?? {}).map(([k, v]) => [k, BigInt(v)]));
    expectSplit(reward, rounds.get(next.hash)!, credits);
    for (const [addr, was] of after) expect(await balance(addr)).toBe(was + (credits.get(addr) ?? 0n));
  }, 600_000);
});

describe('classifySubmitFailure on real failures', () => {
  let chain: ChainFixture;
  let proxy: RpcProxy;
  let client: DaemonClient;

  beforeAll(async () => {
    chain = await startChainFixture(1);
    proxy = await startRpcProxy(chain.daemonPort);
    client = createDaemonClient(
      { host: '127.0.0.1', port: proxy.port, timeout: 1_000, retries: 1 },
      { retryBaseMs: 10 },
    );
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await proxy?.stop();
    await chain?.stop();
  });

  const failure = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: unknown) => classifySubmitFailure(e),
    );
  const BAD_BLOB = '0a0b0c';

  it('an explicit rejection by monerod, or a 4xx, is a rejection', async () => {
    expect(await failure(chain.daemon.submitBlock(BAD_BLOB))).toBe('rejected');
    expect(await failure(client.submitBlock(BAD_BLOB))).toBe('rejected');
    proxy.failReply('submit_block', 404);
    expect(await failure(client.submitBlock(BAD_BLOB))).toBe('rejected');
  }, 60_000);

  it('no connection at all is undelivered (after the connect retries), as is a closed client', async () => {
    const nobody = createDaemonClient(
      { host: '127.0.0.1', port: await freePort(), timeout: 1_000, retries: 1 },
      { retryBaseMs: 10 },
    );
    expect(await failure(nobody.submitBlock(BAD_BLOB))).toBe('undelivered');
    await nobody.close();
    expect(await failure(nobody.submitBlock(BAD_BLOB))).toBe('undelivered');
  }, 60_000);

  it('a timeout, a reset after sending, a 5xx, a reset before forwarding and an unreadable reply are ambiguous', async () => {
    const calls = proxy.count('submit_block');
    proxy.delayReply('submit_block', 3_000);
    expect(await failure(client.submitBlock(BAD_BLOB))).toBe('ambiguous');
    proxy.dropReply('submit_block');
    expect(await failure(client.submitBlock(BAD_BLOB))).toBe('ambiguous');
    proxy.failReply('submit_block', 500);
    expect(await failure(client.submitBlock(BAD_BLOB))).toBe('ambiguous');
    proxy.failReply('submit_block', 503);
    expect(await failure(client.submitBlock(BAD_BLOB))).toBe('ambiguous');
    proxy.swallow('submit_block');
    expect(await failure(client.submitBlock(BAD_BLOB))).toBe('ambiguous');
    // a reply that cannot be read (no status): monerod ran the request, what it decided is unknown
    proxy.rewrite('submit_block', () => ({ note: 'not a submit_block reply' }));
    expect(await failure(client.submitBlock(BAD_BLOB))).toBe('ambiguous');
    proxy.rewrite('submit_block', null);
    expect(proxy.count('submit_block') - calls).toBe(6); // none of them retried
  }, 60_000);
});
