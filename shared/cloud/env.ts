/**
 * The cloud runtime contract: the environment variables the CDK app (infra/) sets on every Lambda function and on
 * the stratum instances, and how they turn into a validated PoolConfig plus a storage choice.
 *
 * Env var (CLOUD_ENV key)          | holds
 * ---------------------------------|-------------------------------------------------------------------------
 * POOL_CONFIG_JSON (config)        | the operator's pool config file (JSON, no secrets) as given to `cdk synth`
 * POOL_STORAGE (storage)           | "redis" (ElastiCache Valkey, TLS + AUTH) or "upstash" (REST)
 * POOL_REDIS_HOST/PORT/TLS         | Redis endpoint for storage "redis"
 * POOL_REDIS_CLUSTER (redisCluster)| "true": the endpoint is cluster-mode (ElastiCache Serverless) -> redis.cluster
 * POOL_REDIS_SECRET (redisSecret)  | secret id; JSON {password} (the Valkey "default" user's password)
 * POOL_UPSTASH_SECRET              | secret id; JSON {restUrl, restToken, redisHost?, redisPort?, redisPassword?}
 *                                  | (the redis* fields are Upstash's TLS Redis endpoint, used by the stratum node)
 * POOL_DAEMON_HOST/PORT            | monerod RPC
 * POOL_WALLET_HOST/PORT            | monero-wallet-rpc
 * POOL_WALLET_SECRET               | secret id; JSON {username, password} (wallet RPC digest login)
 * POOL_SIGNATURE_WALLET_HOST/PORT  | verification-only monero-wallet-rpc (no login) -> api.signatureWallet host/port
 * POOL_ADMIN_SECRET                | secret id; JSON {token} (the admin API token, becomes api.password)
 * POOL_METRICS_NAMESPACE           | CloudWatch namespace for the heartbeat metrics (Embedded Metric Format)
 *
 * Secrets are fetched once per process (shared/cloud/secrets.ts) and passed in here as parsed objects.
 * Cloud overrides applied over the file: daemon/wallet/redis from the env and secrets, api.password from the admin
 * secret, api.trustProxy false (the api handler takes the viewer address from CloudFront, see lambda.ts),
 * logging to stdout only (files "silent", no colours). Validation is the config file's own (configFromObject).
 */
import { ERRORS, PoolError } from '../errors.js';
import { configFromObject, type ConfigOverrides } from '../config/load.js';
import type { PoolConfig } from '../config/schema.js';

export const CLOUD_ENV = {
  config: 'POOL_CONFIG_JSON',
  storage: 'POOL_STORAGE',
  redisHost: 'POOL_REDIS_HOST',
  redisPort: 'POOL_REDIS_PORT',
  redisTls: 'POOL_REDIS_TLS',
  redisCluster: 'POOL_REDIS_CLUSTER',
  redisSecret: 'POOL_REDIS_SECRET',
  upstashSecret: 'POOL_UPSTASH_SECRET',
  daemonHost: 'POOL_DAEMON_HOST',
  daemonPort: 'POOL_DAEMON_PORT',
  walletHost: 'POOL_WALLET_HOST',
  walletPort: 'POOL_WALLET_PORT',
  walletSecret: 'POOL_WALLET_SECRET',
  signatureWalletHost: 'POOL_SIGNATURE_WALLET_HOST',
  signatureWalletPort: 'POOL_SIGNATURE_WALLET_PORT',
  adminSecret: 'POOL_ADMIN_SECRET',
  metricsNamespace: 'POOL_METRICS_NAMESPACE',
} as const;

export type CloudEnvKey = keyof typeof CLOUD_ENV;
export type Env = Readonly<Record<string, string | undefined>>;

export type StorageKind = 'redis' | 'upstash';

/** Parsed secret payloads (all optional: a function only gets the secrets it needs). */
export interface CloudSecrets {
  redis?: { password: string };
  upstash?: { restUrl: string; restToken: string; redisHost?: string; redisPort?: number; redisPassword?: string };
  wallet?: { username: string; password: string };
  admin?: { token: string };
}

/** Which secret ids a process must fetch, from its env. */
export function secretIds(env: Env): Partial<Record<keyof CloudSecrets, string>> {
  const out: Partial<Record<keyof CloudSecrets, string>> = {};
  const kind = storageKind(env);
  if (kind === 'redis' && nonEmpty(env[CLOUD_ENV.redisSecret])) out.redis = env[CLOUD_ENV.redisSecret];
  if (kind === 'upstash') out.upstash = required(env, 'upstashSecret');
  if (nonEmpty(env[CLOUD_ENV.walletSecret])) out.wallet = env[CLOUD_ENV.walletSecret];
  if (nonEmpty(env[CLOUD_ENV.adminSecret])) out.admin = env[CLOUD_ENV.adminSecret];
  return out;
}

type Field = (k: string, optional?: boolean) => string | undefined;

/** Each secret kind's parsed shape. */
export type SecretShapes = { [K in keyof CloudSecrets]-?: NonNullable<CloudSecrets[K]> };

const SECRET_PARSERS: { [K in keyof SecretShapes]: (s: Field, o: Record<string, unknown>) => SecretShapes[K] } = {
  redis: (s) => ({ password: s('password')! }),
  wallet: (s) => ({ username: s('username')!, password: s('password')! }),
  admin: (s) => ({ token: s('token')! }),
  upstash: (s, o) => {
    const port = o['redisPort'];
    const redisPort =
      typeof port === 'number' ? port : typeof port === 'string' && port !== '' ? Number(port) : undefined;
    if (redisPort !== undefined && (!Number.isInteger(redisPort) || redisPort < 1 || redisPort > 65535)) {
      throw bad('secret "upstash" field "redisPort" must be a port number');
    }
    const host = s('redisHost', true);
    const pass = s('redisPassword', true);
    return {
      restUrl: s('restUrl')!,
      restToken: s('restToken')!,
      ...(host !== undefined ? { redisHost: host } : {}),
      ...(redisPort !== undefined ? { redisPort } : {}),
      ...(pass !== undefined ? { redisPassword: pass } : {}),
    };
  },
};

/** Validates one secret's JSON text into its CloudSecrets shape; names the secret (never its value) on error. */
export function parseSecret<K extends keyof SecretShapes>(kind: K, text: string): SecretShapes[K] {
  let obj: unknown;
  try {
    obj = JSON.parse(text) as unknown;
  } catch {
    throw bad(`secret "${kind}" is not JSON`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw bad(`secret "${kind}" must be a JSON object`);
  const o = obj as Record<string, unknown>;
  const field: Field = (k, optional = false) => {
    const v = o[k];
    if (typeof v === 'string' && v.length > 0) return v;
    if (optional && (v === undefined || v === null || v === '')) return undefined;
    throw bad(`secret "${kind}" needs a non-empty string field "${k}"`);
  };
  return SECRET_PARSERS[kind](field, o);
}

export function storageKind(env: Env): StorageKind {
  const v = env[CLOUD_ENV.storage] ?? 'redis';
  if (v !== 'redis' && v !== 'upstash') throw bad(`${CLOUD_ENV.storage} must be "redis" or "upstash", got "${v}"`);
  return v;
}

/** The storage a process should open: ioredis on config.redis, or Upstash REST. */
export type StorageSpec = { kind: 'redis' } | { kind: 'upstash'; url: string; token: string };

export interface CloudRuntime {
  config: PoolConfig;
  storage: StorageSpec;
  /** The merged input object that validated into `config` (what a config file for `pool start` would hold). */
  input: Record<string, unknown>;
}

/**
 * Builds the validated config from the env and the fetched secrets. `extra` overrides are laid over the cloud ones
 * (the stratum boot script uses it for PROXY protocol and the health bind address).
 */
export function cloudConfig(env: Env, secrets: CloudSecrets, extra?: ConfigOverrides): CloudRuntime {
  const base = parseBaseConfig(required(env, 'config'));
  const kind = storageKind(env);
  const overrides: ConfigOverrides = {
    logging: { files: { level: 'silent' }, console: { colors: false } },
    daemon: { ...host(env, 'daemonHost'), ...port(env, 'daemonPort') },
    wallet: {
      ...host(env, 'walletHost'),
      ...port(env, 'walletPort'),
      ...(secrets.wallet ? { user: secrets.wallet.username, password: secrets.wallet.password } : {}),
    },
    api: {
      trustProxy: false,
      website: null,
      ...(secrets.admin ? { password: secrets.admin.token } : {}),
      ...(nonEmpty(env[CLOUD_ENV.signatureWalletHost])
        ? {
            signatureWallet: {
              ...host(env, 'signatureWalletHost'),
              ...port(env, 'signatureWalletPort'),
              user: null,
              password: null,
            },
          }
        : {}),
    },
  };
  let storage: StorageSpec;
  if (kind === 'upstash') {
    const up = secrets.upstash;
    if (!up) throw bad('storage "upstash" needs the upstash secret');
    storage = { kind: 'upstash', url: up.restUrl, token: up.restToken };
    // The stratum node speaks the Redis protocol to Upstash's TLS endpoint; Lambdas only use REST.
    if (up.redisHost !== undefined) {
      overrides.redis = {
        host: up.redisHost,
        port: up.redisPort ?? 6379,
        tls: true,
        auth: up.redisPassword ?? up.restToken,
        db: 0,
      };
    }
  } else {
    storage = { kind: 'redis' };
    overrides.redis = {
      ...host(env, 'redisHost'),
      ...port(env, 'redisPort'),
      tls: (env[CLOUD_ENV.redisTls] ?? 'true') !== 'false',
      cluster: env[CLOUD_ENV.redisCluster] === 'true',
      db: 0,
      ...(secrets.redis ? { auth: secrets.redis.password } : {}),
    };
  }
  const input = deepMerge(deepMerge(base, overrides), extra ?? {});
  const config = configFromObject(input, undefined, 'cloud config (POOL_CONFIG_JSON + env + secrets)');
  return { config, storage, input };
}

/** The config file text from POOL_CONFIG_JSON as an object (JSON; comments were stripped at synth). */
export function parseBaseConfig(text: string): Record<string, unknown> {
  let obj: unknown;
  try {
    obj = JSON.parse(text) as unknown;
  } catch (e) {
    throw bad(`${CLOUD_ENV.config} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw bad(`${CLOUD_ENV.config} must hold a JSON object`);
  return obj as Record<string, unknown>;
}

/** Objects merge key by key; arrays and scalars replace (the config loader's override rule). */
function deepMerge(base: Record<string, unknown>, over: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] = isObject(cur) && isObject(v) ? deepMerge(cur, v) : v;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function host(env: Env, key: CloudEnvKey): { host?: string } {
  const v = env[CLOUD_ENV[key]];
  return nonEmpty(v) ? { host: v } : {};
}

function port(env: Env, key: CloudEnvKey): { port?: number } {
  const v = env[CLOUD_ENV[key]];
  if (!nonEmpty(v)) return {};
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw bad(`${CLOUD_ENV[key]} must be a port number, got "${v}"`);
  return { port: n };
}

function required(env: Env, key: CloudEnvKey): string {
  const v = env[CLOUD_ENV[key]];
  if (!nonEmpty(v)) throw bad(`environment variable ${CLOUD_ENV[key]} is not set`);
  return v;
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

function bad(message: string): PoolError {
  return new PoolError(ERRORS.CONFIG_INVALID, message);
}
