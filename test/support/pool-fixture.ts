/**
 * A whole stratum node on real parts for tests: redis-server and `monerod --regtest --offline --fixed-difficulty N`
 * started on free ports in temp folders, the node started in-process on free ports, everything stopped by stop().
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
// not '../harness/index.js': that also loads vitest hooks, and bench/ (run without vitest) uses this file
import { startRedis, freePort } from '../../shared/services/index.js';
import { startChain } from '../harness/chain.js';
import type { DaemonClient } from '../../shared/rpc/daemon.js';
import { configFromObject, type ConfigOverrides } from '../../shared/config/load.js';
import type { PoolConfig } from '../../shared/config/schema.js';
import { silentLogger } from '../../shared/log.js';
import { startStratumNode, type StratumNode } from '../../stratum-node/index.js';
import type { Hasher } from '../../native/index.js';

/** Regtest uses mainnet addresses. The pool wallet: monero's functional-test wallet. */
export const POOL_ADDRESS =
  '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';
/** A miner: the base58 unit-test address. */
export const MINER_ADDRESS =
  '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';

export interface ChainFixture {
  readonly redisPort: number;
  readonly daemonPort: number;
  readonly daemon: DaemonClient;
  readonly redis: Redis;
  stop(): Promise<void>;
}

export async function startChainFixture(fixedDifficulty: number): Promise<ChainFixture> {
  const redisSvc = await startRedis();
  const chain = await startChain({ fixedDifficulty });
  const { daemon, monerod } = chain;
  const redis = new Redis({ host: '127.0.0.1', port: redisSvc.port, lazyConnect: false, maxRetriesPerRequest: 2 });
  return {
    redisPort: redisSvc.port,
    daemonPort: monerod.port,
    daemon,
    redis,
    async stop() {
      redis.disconnect();
      await chain.stop();
      await redisSvc.stop();
    },
  };
}

export async function poolConfig(
  chain: ChainFixture,
  poolServer: Record<string, unknown>,
  extra: ConfigOverrides = {},
): Promise<PoolConfig> {
  return configFromObject({
    coin: 'monero',
    // the share journal in a fresh folder: never one shared with (and replayed from) another test's node
    poolServer: {
      poolAddress: POOL_ADDRESS,
      clusterForks: 1,
      dataDir: mkdtempSync(join(tmpdir(), 'pool-node-data-')),
      health: { enabled: true, host: '127.0.0.1', port: await freePort() },
      ...poolServer,
    },
    daemon: { host: '127.0.0.1', port: chain.daemonPort },
    redis: { host: '127.0.0.1', port: chain.redisPort },
    api: { enabled: false, password: 'not-the-example' },
    payments: { enabled: false },
    blockUnlocker: { enabled: false },
    ...extra,
  });
}

export async function startNode(chain: ChainFixture, config: PoolConfig, hasher?: Hasher): Promise<StratumNode> {
  return startStratumNode({
    config,
    redis: chain.redis,
    daemon: chain.daemon,
    log: silentLogger(),
    host: '127.0.0.1',
    ...(hasher ? { hasher } : {}),
  });
}
