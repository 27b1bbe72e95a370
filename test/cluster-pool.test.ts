/**
 * The operator's path on a real Redis Cluster (three primaries, three replicas; test/support/redis-cluster.ts), with
 * two stratum nodes as separate processes, each from its own config file with `"redis": {host, port, "cluster": true}`:
 *
 *   A: `pool start --config a.json --module pool api stats`      B: `pool start --config b.json --module pool`
 *
 * Independent stratum clients mine real RandomX shares through both; each node finds a block that monerod accepts;
 * the nodes got distinct node ids from the cluster; the first block's round holds shares from both nodes; after
 * `generateblocks` matures the blocks, `pool invoke unlocker --config a.json` (its own process) credits both miners
 * and A's API shows the balances, which add up with the pool fee to the blocks' rewards.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from 'ioredis';
import { createHasher, type Hasher } from '../native/index.js';
import { encodeAddress } from '../shared/monero/address.js';
import { createRedisCluster } from '../shared/redis/client.js';
import { keySchema } from '../shared/redis/keys.js';
import { freePort, mature, startChain, REGTEST_ADDRESS, type Chain } from './harness/index.js';
import { POOL_ADDRESS } from './support/pool-fixture.js';
import { startRedisCluster, type RedisClusterService } from './support/redis-cluster.js';
import { StratumClient, mineShare, type Job } from './support/stratum-client.js';
import { startPoolProcess, stopPoolProcess, type PoolProcess } from './support/pool-process.js';
import { waitFor } from './support/wait.js';

const NETWORK_DIFFICULTY = 20n;
const DEPTH = 10;
const keys = keySchema('monero');
const ROOT = join(import.meta.dirname, '..');
const run = promisify(execFile);
const miner = (n: number) =>
  encodeAddress({
    network: 'mainnet',
    kind: 'standard',
    spendKey: (0xc1a5 + n).toString(16).padStart(64, '0'),
    viewKey: 'ab'.repeat(32),
  });

/** Mines and submits `n` accepted shares on `c`, none of them a block (a block would end the round under test). */
async function mineShares(hasher: Hasher, c: StratumClient, n: number): Promise<number> {
  let accepted = 0;
  let nonce = Math.floor(Math.random() * 1e6);
  while (accepted < n) {
    const job: Job = c.job;
    const s = await mineShare(hasher, job, { startNonce: nonce, notBlock: NETWORK_DIFFICULTY });
    nonce = parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
    const r = await c.submit(job, s.nonce, s.result);
    if (r.error?.message === 'Block expired') continue;
    expect(r.error).toBeNull();
    accepted++;
  }
  return accepted;
}

/** Mines until a share is also a block for the network difficulty; returns the new chain tip's hash. */
async function mineBlock(hasher: Hasher, c: StratumClient, chain: Chain): Promise<string> {
  for (;;) {
    const job = c.job;
    const before = await chain.daemon.getLastBlockHeader();
    const s = await mineShare(hasher, job, { wantBlock: NETWORK_DIFFICULTY });
    const r = await c.submit(job, s.nonce, s.result);
    if (r.error?.message === 'Block expired') continue;
    expect(r.error).toBeNull();
    const after = await chain.daemon.getLastBlockHeader();
    expect(after.height).toBe(before.height + 1);
    await c.nextJob(20_000).catch(() => undefined);
    return after.hash;
  }
}

describe('two stratum processes on one Redis Cluster: shares, blocks, unlocker, API', () => {
  let cluster: RedisClusterService;
  let chain: Chain;
  let redis: Cluster;
  let dir: string;
  let a: PoolProcess;
  let b: PoolProcess;
  let hasher: Hasher;
  let clientA: StratumClient;
  let clientB: StratumClient;
  let configA: string;
  const ports = { a: 0, b: 0, api: 0 };
  const blocks: { hash: string; via: 'a' | 'b' }[] = [];
  const minerA = miner(1);
  const minerB = miner(2);

  beforeAll(async () => {
    [cluster, chain] = await Promise.all([
      startRedisCluster(),
      startChain({ fixedDifficulty: Number(NETWORK_DIFFICULTY) }),
    ]);
    redis = createRedisCluster(cluster.config);
    dir = mkdtempSync(join(tmpdir(), 'pool-cluster-'));
    ports.a = await freePort();
    ports.b = await freePort();
    ports.api = await freePort();
    const common = {
      coin: 'monero',
      logging: { files: { level: 'silent' }, console: { level: 'info', colors: false } },
      daemon: { host: '127.0.0.1', port: chain.monerod.port },
      wallet: { host: '127.0.0.1', port: 1 },
      redis: { host: '127.0.0.1', port: cluster.nodes[2]!.port, cluster: true },
      blockUnlocker: { depth: DEPTH, poolFee: 2, interval: 3600 },
      payments: { enabled: false },
    };
    const poolServer = (port: number) => ({
      poolAddress: POOL_ADDRESS,
      dataDir: join(dir, `data-${port}`),
      clusterForks: 1,
      blockRefreshInterval: 500,
      shareBatchInterval: 200,
      ports: [{ port, difficulty: 1, desc: 'cluster' }],
      // shares of difficulty 1, far below the network's: a round collects several before a block ends it
      varDiff: { minDiff: 1, maxDiff: 1 },
      health: { enabled: false },
    });
    configA = join(dir, 'a.json');
    writeFileSync(
      configA,
      JSON.stringify({
        ...common,
        poolServer: poolServer(ports.a),
        api: { port: ports.api, host: '127.0.0.1', password: 'cluster-admin-token' },
        stats: { interval: 2 },
      }),
    );
    // the same file with quiet logs, for `pool invoke` (its result is the only output)
    writeFileSync(
      join(dir, 'a-quiet.json'),
      JSON.stringify({
        ...common,
        logging: { files: { level: 'silent' }, console: { level: 'silent' } },
        poolServer: poolServer(ports.a),
        api: { port: ports.api, host: '127.0.0.1', password: 'cluster-admin-token' },
      }),
    );
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({ ...common, poolServer: poolServer(ports.b), api: { enabled: false } }),
    );
    a = startPoolProcess(['start', '--config', configA, '--module', 'pool', 'api', 'stats']);
    b = startPoolProcess(['start', '--config', join(dir, 'b.json'), '--module', 'pool']);
    hasher = createHasher({ mode: 'light', threads: 2 });
    clientA = await waitFor('node A', () => StratumClient.connect({ port: ports.a }), 90_000);
    clientB = await waitFor('node B', () => StratumClient.connect({ port: ports.b }), 90_000);
  }, 240_000);

  afterAll(async () => {
    clientA?.close();
    clientB?.close();
    await Promise.all([stopPoolProcess(a), stopPoolProcess(b)]);
    await hasher?.close();
    redis?.disconnect();
    await chain?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('the two processes took distinct node ids from the cluster', async () => {
    const ids = await waitFor('both nodes ready', async () => {
      const found = [a, b].map((p) => p.output().match(/"nodeId":(\d+)/)?.[1]);
      return found.every(Boolean) ? found.map(Number) : null;
    });
    expect(new Set(ids).size).toBe(2);
    expect(ids.sort()).toEqual([1, 2]);
    expect(await redis.get(keys.nodeSeq)).toBe('2');
  }, 60_000);

  it('both nodes accept shares and find blocks; one round holds shares from both nodes', async () => {
    expect((await clientA.login(`${minerA}.a`)).error).toBeNull();
    expect((await clientB.login(`${minerB}.b`)).error).toBeNull();
    await mineShares(hasher, clientA, 3);
    await mineShares(hasher, clientB, 3);
    // node A's shares are in the cluster's round before node B finds the block
    const logs = () => `A:\n${a.output().slice(-3000)}\nB:\n${b.output().slice(-3000)}`;
    await waitFor('A shares flushed', async () => (await redis.hget(keys.roundCurrent, minerA)) !== null, 60_000, logs);
    blocks.push({ hash: await mineBlock(hasher, clientB, chain), via: 'b' });
    await mineShares(hasher, clientB, 2);
    await waitFor('B shares flushed', async () => (await redis.hget(keys.roundCurrent, minerB)) !== null, 60_000, logs);
    blocks.push({ hash: await mineBlock(hasher, clientA, chain), via: 'a' });

    const candidates = await waitFor('both candidates', async () => {
      const c = await redis.zrange(keys.blocksCandidates, '0', '-1');
      return c.length === 2 ? c : null;
    });
    expect(candidates.sort()).toEqual(blocks.map((x) => x.hash).sort());
    const first = await redis.hgetall(keys.round(blocks[0]!.hash));
    expect(Object.keys(first).sort()).toEqual([minerA, minerB].sort());
    const finders = await Promise.all(blocks.map((x) => redis.hget(keys.block(x.hash), 'finder')));
    expect(finders.map((f) => f?.split('.')[0])).toEqual([minerB, minerA]);
  }, 300_000);

  it('`pool invoke unlocker` credits both miners; the API of process A shows the balances', async () => {
    await mature(chain.daemon, DEPTH + 1, REGTEST_ADDRESS);
    const { stdout } = await run(
      process.execPath,
      ['bin/pool.mjs', 'invoke', 'unlocker', '--config', join(dir, 'a-quiet.json')],
      { cwd: ROOT, timeout: 120_000 },
    );
    const result = JSON.parse(stdout) as { blocks: { hash: string; action: string }[] };
    expect(
      result.blocks
        .filter((x) => x.action === 'unlocked')
        .map((x) => x.hash)
        .sort(),
    ).toEqual(blocks.map((x) => x.hash).sort());

    let rewards = 0n;
    for (const x of blocks) rewards += (await chain.daemon.getBlockHeaderByHash(x.hash)).reward;
    const balances: bigint[] = [];
    for (const m of [minerA, minerB]) {
      const res = await fetch(`http://127.0.0.1:${ports.api}/stats_address?address=${m}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { stats: { balance: string } };
      balances.push(BigInt(body.stats.balance));
      expect(BigInt(body.stats.balance)).toBe(BigInt((await redis.hget(keys.worker(m), 'balance')) ?? '-1'));
    }
    const fee = BigInt((await redis.hget(keys.stats, 'totalRevenue')) ?? '0');
    expect(balances.every((x) => x > 0n)).toBe(true);
    expect(balances[0]! + balances[1]! + fee).toBe(rewards);
  }, 300_000);

  it('both processes stop cleanly on SIGINT', async () => {
    clientA.close();
    clientB.close();
    expect(await stopPoolProcess(b)).toBe(0);
    expect(await stopPoolProcess(a)).toBe(0);
  }, 90_000);
});
