/**
 * The golden path (test/support/golden-path.ts) on a real Redis Cluster, three primaries and three replicas
 * (test/support/redis-cluster.ts), with every module on the cluster client that `redis.cluster: true` builds: the
 * stratum node (shares, blocks, node id), the unlocker, payments (AOF and replica checks on the primary owning the
 * pool's slot, WAIT for its replica before relaying), stats and the API.
 */
import { createRedisCluster } from '../shared/redis/client.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import { goldenPath } from './support/golden-path.js';
import { startRedisCluster } from './support/redis-cluster.js';

goldenPath('Redis Cluster, 3 primaries + 3 replicas', async () => {
  const cluster = await startRedisCluster();
  const redis = createRedisCluster(cluster.config);
  const storage = createIoredisStorage(cluster.config);
  return {
    config: cluster.config,
    redis,
    storage,
    async stop() {
      redis.disconnect();
      await storage.close();
      await cluster.stop();
    },
  };
});
