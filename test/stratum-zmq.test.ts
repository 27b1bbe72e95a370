/**
 * New blocks by push, on real parts: monerod --regtest with its ZMQ publisher (`--zmq-pub`), Redis, the stratum
 * node with `daemon.zmq` set and its poll set to once an hour, so a new job can only come from the push. A block
 * mined on monerod (generateblocks) reaches a connected miner as a new job; monerod is then stopped and started again
 * on the same data folder and ports, and the next block still reaches the miner (the subscriber reconnected).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createDaemonClient, type DaemonClient } from '../shared/rpc/daemon.js';
import {
  freePort,
  startMonerod,
  startRedis,
  type MonerodService,
  type RedisService,
} from '../shared/services/index.js';
import { configFromObject } from '../shared/config/load.js';
import { silentLogger } from '../shared/log.js';
import { startStratumNode, type StratumNode } from '../stratum-node/index.js';
import { StratumClient } from './support/stratum-client.js';
import { POOL_ADDRESS, MINER_ADDRESS } from './support/pool-fixture.js';

const DIFFICULTY = 1;

describe('new blocks pushed by monerod over ZMQ', () => {
  let dir: string;
  let monerod: MonerodService;
  let redisSvc: RedisService;
  let redis: Redis;
  let daemon: DaemonClient;
  let node: StratumNode;
  let port: number;
  let ports: { rpcPort: number; p2pPort: number; zmqPubPort: number; zmqRpcPort: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pool-zmq-'));
    ports = {
      rpcPort: await freePort(),
      p2pPort: await freePort(),
      zmqPubPort: await freePort(),
      zmqRpcPort: await freePort(),
    };
    monerod = await startMonerod({ dir, ...ports, zmq: true, fixedDifficulty: DIFFICULTY });
    expect(monerod.zmqPub).toBe(`tcp://127.0.0.1:${ports.zmqPubPort}`);
    redisSvc = await startRedis();
    redis = new Redis({ host: '127.0.0.1', port: redisSvc.port, maxRetriesPerRequest: 2 });
    daemon = createDaemonClient({ host: '127.0.0.1', port: ports.rpcPort, timeout: 30_000, retries: 2 });
    port = await freePort();
    const config = configFromObject({
      coin: 'monero',
      poolServer: {
        poolAddress: POOL_ADDRESS,
        clusterForks: 1,
        dataDir: null,
        blockRefreshInterval: 3_600_000,
        templateRefreshInterval: 3600,
        health: { enabled: false },
        ports: [{ port, difficulty: 1, desc: 'test' }],
        varDiff: { minDiff: 1, maxDiff: 1000, targetTime: 60, retargetTime: 3600, variancePercent: 30, maxJump: 100 },
      },
      daemon: { host: '127.0.0.1', port: ports.rpcPort, zmq: monerod.zmqPub },
      redis: { host: '127.0.0.1', port: redisSvc.port },
      api: { enabled: false, password: 'not-the-example' },
      payments: { enabled: false },
      blockUnlocker: { enabled: false },
    });
    node = await startStratumNode({ config, redis, daemon, log: silentLogger(), host: '127.0.0.1' });
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
    redis?.disconnect();
    await daemon?.close();
    await monerod?.stop();
    await redisSvc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a block mined on monerod reaches a miner as a new job, also after monerod restarts', async () => {
    const c = await StratumClient.connect({ port });
    expect((await c.login(MINER_ADDRESS)).error).toBeNull();
    const h0 = c.job.height!;
    // a SUB joins asynchronously and a restarted publisher is found again after a reconnect interval: if a block's
    // publication went out before that, mine another one (never a fixed wait). Returns the height of the job that
    // carries the block just mined.
    const jobForNextBlock = async (): Promise<number> => {
      for (;;) {
        const { height } = await daemon.generateBlocks(1, POOL_ADDRESS);
        const want = height + 1; // the next block's height, the one a new job is for
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
          const job =
            c.jobs.find((j) => j.height === want) ?? (await c.nextJob(deadline - Date.now()).catch(() => null));
          if (job?.height === want) return want;
        }
      }
    };
    const h1 = await jobForNextBlock();
    expect(h1).toBeGreaterThan(h0);
    expect(h1).toBe(await daemon.getBlockCount());

    await monerod.stop();
    monerod = await startMonerod({ dir, ...ports, zmq: true, fixedDifficulty: DIFFICULTY });
    const h2 = await jobForNextBlock();
    expect(h2).toBeGreaterThan(h1);
    expect(h2).toBe(await daemon.getBlockCount());
    c.close();
  }, 300_000);
});
