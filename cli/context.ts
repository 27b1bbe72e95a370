/**
 * The clients one local process shares between its modules, built once from the validated config:
 * ioredis (stratum node) + the Storage port on its own connection (back-office functions), both Redis Cluster
 * clients when `redis.cluster` is set, the daemon and wallet RPC clients, and a logger per module. close() ends
 * them all.
 */
import type { PoolConfig } from '../shared/config/schema.js';
import { createRedisConnection, type RedisConnection } from '../shared/redis/client.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import type { Storage } from '../shared/storage/port.js';
import { createDaemonClient, type DaemonClient } from '../shared/rpc/daemon.js';
import { createWalletClient, type WalletClient } from '../shared/rpc/wallet.js';
import { createLogger, type Logger } from '../shared/log.js';

export interface Context {
  readonly config: PoolConfig;
  readonly redis: RedisConnection;
  readonly storage: Storage;
  readonly daemon: DaemonClient;
  readonly wallet: WalletClient;
  log(name: string): Logger;
  close(): Promise<void>;
}

export function createContext(config: PoolConfig): Context {
  const redis = createRedisConnection(config.redis);
  const storage = createIoredisStorage(config.redis);
  const daemon = createDaemonClient(config.daemon);
  const wallet = createWalletClient(config.wallet);
  const loggers = new Map<string, Logger>();
  return {
    config,
    redis,
    storage,
    daemon,
    wallet,
    log(name) {
      let l = loggers.get(name);
      if (!l) {
        l = createLogger(config.logging, name);
        loggers.set(name, l);
      }
      return l;
    },
    async close() {
      await Promise.allSettled([daemon.close(), wallet.close(), storage.close()]);
      redis.disconnect();
    },
  };
}
