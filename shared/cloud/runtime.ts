/**
 * Cloud dependencies, built once per process (a Lambda cold start): secrets fetched once (secrets.ts), config
 * validated like a config file (env.ts), storage opened on Upstash REST or ioredis (ElastiCache / TLS; a Redis Cluster
 * client when `redis.cluster` is set, as the deploy does for ElastiCache Serverless's cluster-mode endpoint), RPC clients
 * and a stdout logger. `cachedDeps(build)` keeps the promise for warm invocations and drops it after a failure, so a
 * cold start that met a transient error (secret read, DNS) is retried by the next invocation instead of poisoning
 * the container.
 */
import { createLogger, type Logger } from '../log.js';
import { createDaemonClient, type DaemonClient } from '../rpc/daemon.js';
import { createWalletClient, type WalletClient } from '../rpc/wallet.js';
import type { PoolConfig } from '../config/schema.js';
import type { Storage } from '../storage/port.js';
import { createIoredisStorage } from '../storage/ioredis.js';
import { createUpstashStorage } from '../storage/upstash.js';
import { cloudConfig, type Env, type StorageSpec } from './env.js';
import { loadCloudSecrets, type SecretReader } from './secrets.js';

export interface CloudDeps {
  config: PoolConfig;
  storage: Storage;
  daemon: DaemonClient;
  /** Only when the env names a wallet secret (the payments function). */
  wallet: WalletClient | null;
  log: Logger;
  close(): Promise<void>;
}

export interface LoadCloudDepsOptions {
  /** Logger name (the function's name). */
  name: string;
  env?: Env;
  reader?: SecretReader;
}

export function openStorage(spec: StorageSpec, config: PoolConfig): Storage {
  return spec.kind === 'upstash'
    ? createUpstashStorage({ url: spec.url, token: spec.token })
    : createIoredisStorage(config.redis);
}

export async function loadCloudDeps(opts: LoadCloudDepsOptions): Promise<CloudDeps> {
  const env = opts.env ?? process.env;
  const secrets = await loadCloudSecrets(env, opts.reader);
  const { config, storage: spec } = cloudConfig(env, secrets);
  const storage = openStorage(spec, config);
  const daemon = createDaemonClient(config.daemon);
  const wallet = secrets.wallet ? createWalletClient(config.wallet) : null;
  const log = createLogger(config.logging, opts.name);
  return {
    config,
    storage,
    daemon,
    wallet,
    log,
    async close() {
      await Promise.allSettled([storage.close(), daemon.close(), wallet?.close()]);
    },
  };
}

/** Memoizes an async builder; a rejected build is forgotten so the next call tries again. */
export function cachedDeps<T>(build: () => Promise<T>): { get(): Promise<T>; reset(): void } {
  let pending: Promise<T> | null = null;
  return {
    get() {
      if (pending === null) {
        const p = build();
        pending = p;
        p.catch(() => {
          if (pending === p) pending = null;
        });
      }
      return pending;
    },
    reset() {
      pending = null;
    },
  };
}
