/**
 * The one way to open an ioredis connection from the pool's config (`config.redis`).
 *
 * - RESP2 (`protocol: 2`): replies keep the classic shapes on every Redis-compatible server (ElastiCache/Valkey,
 *   Upstash TCP, redis-server), and the storage adapter's raw reply mapping relies on it.
 * - Reconnects forever with a capped backoff (50 ms doubling to 2 s); a command waits for at most
 *   `maxRetriesPerRequest` (default 3) reconnections before it fails, so a Redis outage surfaces as errors within
 *   seconds instead of hanging the stratum node.
 * - `lazyConnect` (default false) defers the TCP connection to the first command or `connect()`.
 *
 * Data model: none (a connection). Keys come from shared/redis/keys.ts.
 */
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';

/** The redis section of the pool config (structurally; see shared/config/schema.ts). */
export interface RedisClientConfig {
  host: string;
  port: number;
  /** Password (AUTH); null/undefined/"" for none. "user:password" is not parsed: use `username`. */
  auth?: string | null;
  username?: string | null;
  db?: number;
  tls?: boolean;
}

export interface CreateRedisOptions {
  lazyConnect?: boolean;
  maxRetriesPerRequest?: number | null;
  /** Connection name shown by CLIENT LIST. */
  connectionName?: string;
  /** Integer replies as strings (the storage adapter uses this to keep 64-bit integers exact). */
  stringNumbers?: boolean;
  connectTimeoutMs?: number;
}

/** Backoff for reconnects: 50, 100, 200, ... capped at 2000 ms; never gives up. */
export function redisRetryDelay(times: number): number {
  return Math.min(2_000, 50 * 2 ** Math.max(0, Math.min(times - 1, 10)));
}

export function createRedis(config: RedisClientConfig, options: CreateRedisOptions = {}): Redis {
  const opts: RedisOptions = {
    host: config.host,
    port: config.port,
    db: config.db ?? 0,
    protocol: 2,
    lazyConnect: options.lazyConnect ?? false,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 3 : options.maxRetriesPerRequest,
    retryStrategy: redisRetryDelay,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    enableReadyCheck: true,
    stringNumbers: options.stringNumbers ?? false,
    ...(config.auth ? { password: config.auth } : {}),
    ...(config.username ? { username: config.username } : {}),
    ...(config.tls ? { tls: isIP(config.host) === 0 ? { servername: config.host } : {} } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  };
  return new Redis(opts);
}
