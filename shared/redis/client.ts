/**
 * The one way to open an ioredis connection from the pool's config (`config.redis`).
 *
 * - RESP2 (`protocol: 2`): replies keep the classic shapes on every Redis-compatible server (ElastiCache/Valkey,
 *   Upstash TCP, redis-server), and the storage adapter's raw reply mapping relies on it.
 * - Reconnects forever with a capped backoff (50 ms doubling to 2 s); a command waits for at most
 *   `maxRetriesPerRequest` (default 3) reconnections before it fails, so a Redis outage surfaces as errors within
 *   seconds instead of hanging the stratum node.
 * - `lazyConnect` (default false) defers the TCP connection to the first command or `connect()`.
 * - `redis.cluster: true` (`createRedisConnection`): an ioredis `Cluster` seeded from host:port. It learns the slot map
 *   (CLUSTER SLOTS) and follows MOVED/ASK and failovers itself; every node connection gets the options above (RESP2,
 *   AUTH with `username`/`auth`, TLS, stringNumbers). Reads go to primaries (`scaleReads: "master"`), so a read
 *   after a write sees it. With TLS (ElastiCache Serverless, node-based ElastiCache with in-transit encryption) the
 *   discovered node names are used as given (`dnsLookup` passes the name through) so the certificate's host name
 *   matches (each node connection verifies its own name). Every pool key shares the `{coin}` hash tag
 *   (shared/redis/keys.ts), so all the pool's data sits in one slot, on one primary.
 *
 * Data model: none (a connection). Keys come from shared/redis/keys.ts.
 */
import { isIP } from 'node:net';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** The redis section of the pool config (structurally; see shared/config/schema.ts). */
export interface RedisClientConfig {
  host: string;
  port: number;
  /** Password (AUTH); null/undefined/"" for none. "user:password" is not parsed: use `username`. */
  auth?: string | null;
  username?: string | null;
  db?: number;
  tls?: boolean;
  /** Redis Cluster endpoint (host:port is one seed node or the cluster's configuration endpoint). */
  cluster?: boolean;
}

/** A connection opened from config.redis: one server, or a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

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

/** Per-connection options shared by a standalone connection and every node connection of a cluster. */
function connectionOptions(config: RedisClientConfig, options: CreateRedisOptions): RedisOptions {
  return {
    protocol: 2,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 3 : options.maxRetriesPerRequest,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    enableReadyCheck: true,
    stringNumbers: options.stringNumbers ?? false,
    ...(config.auth ? { password: config.auth } : {}),
    ...(config.username ? { username: config.username } : {}),
    // a cluster's node connections each verify their own node name (tls.connect's default servername is the host)
    ...(config.tls ? { tls: isIP(config.host) === 0 && !config.cluster ? { servername: config.host } : {} } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  };
}

/** One standalone server (config.redis.cluster is ignored: use createRedisConnection for the configured kind). */
export function createRedis(config: RedisClientConfig, options: CreateRedisOptions = {}): Redis {
  return new Redis({
    ...connectionOptions(config, options),
    host: config.host,
    port: config.port,
    db: config.db ?? 0,
    lazyConnect: options.lazyConnect ?? false,
    retryStrategy: redisRetryDelay,
  });
}

/** A Redis Cluster client seeded from config.redis host:port (database 0 only). */
export function createRedisCluster(config: RedisClientConfig, options: CreateRedisOptions = {}): Cluster {
  const opts: ClusterOptions = {
    redisOptions: connectionOptions(config, options),
    lazyConnect: options.lazyConnect ?? false,
    enableReadyCheck: true,
    scaleReads: 'master',
    clusterRetryStrategy: redisRetryDelay,
    // a failover: retry a command that met a closed node or CLUSTERDOWN while the replica takes over
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: Math.max(1_000, Math.min(options.connectTimeoutMs ?? 10_000, 5_000)),
    ...(config.tls
      ? {
          dnsLookup: (address: string, cb: (err: NodeJS.ErrnoException | null, address: string) => void) =>
            cb(null, address),
        }
      : {}),
  };
  return new Cluster([{ host: config.host, port: config.port }], opts);
}

/** The connection config.redis asks for: a Cluster when `cluster` is true, else one server. */
export function createRedisConnection(config: RedisClientConfig, options: CreateRedisOptions = {}): RedisConnection {
  return config.cluster ? createRedisCluster(config, options) : createRedis(config, options);
}
