/**
 * The golden path (test/support/golden-path.ts) on a standalone redis-server with AOF: shares -> blocks -> unlock
 * -> payment -> the miner's own wallet, every part real. test/cluster-golden-path.test.ts runs the same suite on a
 * Redis Cluster.
 */
import { Redis } from 'ioredis';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import { startRedis } from './harness/index.js';
import { goldenPath } from './support/golden-path.js';

goldenPath('standalone redis-server', async () => {
  const svc = await startRedis({ appendonly: true });
  const redis = new Redis({ host: '127.0.0.1', port: svc.port });
  const storage = createIoredisStorage(svc.config);
  return {
    config: svc.config,
    redis,
    storage,
    async stop() {
      redis.disconnect();
      await storage.close();
      await svc.stop();
    },
  };
});
