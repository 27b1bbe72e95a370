/**
 * The four Lambda handlers, as deployed: each functions/<name>/handler.ts is bundled with the exact esbuild settings
 * of the CDK app (infra/lib/bundling.ts) and the bundle is imported and invoked with real event shapes (an
 * EventBridge scheduled event, the `pool invoke --aws` payload, a Lambda Function URL event as CloudFront sends it)
 * against a real redis-server (password), monerod --regtest and monero-wallet-rpc (digest login), plus:
 * - a stand-in Secrets Manager endpoint (AWS_ENDPOINT_URL_SECRETS_MANAGER; the real SDK client talks to it), which
 *   counts reads to prove secrets are read once per cold start;
 * - the Upstash REST bridge (test/upstash-bridge.ts) for the storage "upstash" path.
 * Each cold start is a fresh import of a bundle (a new module instance), with the environment set before its first
 * invocation, like a new Lambda execution environment.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { LambdaFunctionURLEventWithIAMAuthorizer, ScheduledEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HANDLER_BUNDLING } from '../infra/lib/bundling.js';
import { REPO_ROOT } from '../infra/lib/settings.js';
import { ERRORS } from '../shared/errors.js';
import { keySchema } from '../shared/redis/keys.js';
import type { WalletClient } from '../shared/rpc/wallet.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import { writeCandidate } from './backoffice/candidates.js';
import {
  REGTEST_ADDRESS,
  createWallet,
  mature,
  startChain,
  startRedis,
  startWalletRpc,
  type Chain,
  type RedisService,
  type WalletRpcService,
} from './harness/index.js';
import { startUpstashBridge, type UpstashBridge } from './upstash-bridge.js';

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;
type HttpReply = { statusCode: number; body: string; headers: Record<string, string> };

const COIN = `lambda${Date.now().toString(36)}`;
const keys = keySchema(COIN);
const NAMESPACE = 'XmrPool/Test';
const REDIS_PASSWORD = 'redis-pass-for-lambda';
const ADMIN_TOKEN = 'admin-token-0123456789';
const WALLET_LOGIN = { user: 'pool', password: 'wallet-digest-pass' };
const BUNDLES = join(REPO_ROOT, 'node_modules', '.cache', `pool-handler-bundles-${process.pid}`);

let redis: RedisService;
let chain: Chain;
let walletRpc: WalletRpcService;
let wallet: WalletClient;
let poolAddress: string;
let storage: IoredisStorage;
let bridge: UpstashBridge;
let sm: FakeSecretsManager;
const savedEnv = { ...process.env };

/** The PoolError code of an error thrown inside a bundle (its PoolError class is the bundle's own copy). */
function codeOf(e: unknown): unknown {
  return typeof e === 'object' && e !== null && (e as Error).name === 'PoolError' ? (e as { code?: unknown }).code : e;
}

// ---- a stand-in Secrets Manager (JSON 1.1 protocol, GetSecretValue only) ---------------------------------------

interface FakeSecretsManager {
  url: string;
  secrets: Map<string, string>;
  reads: Map<string, number>;
  stop(): Promise<void>;
}

async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, string>();
  const reads = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      const id = body.SecretId ?? '';
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (target !== 'secretsmanager.GetSecretValue')
        return send(400, { __type: 'InvalidRequestException', message: `unsupported ${target}` });
      reads.set(id, (reads.get(id) ?? 0) + 1);
      const value = secrets.get(id);
      if (value === undefined)
        return send(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      return send(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${id}`,
        Name: id,
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secrets,
    reads,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---- bundles and cold starts ------------------------------------------------------------------------------------

async function bundleAll(): Promise<void> {
  const B = HANDLER_BUNDLING;
  await Promise.all(
    ['api', 'unlocker', 'payments', 'stats'].map((name) =>
      build({
        entryPoints: [join(REPO_ROOT, 'functions', name, 'handler.ts')],
        outfile: join(BUNDLES, name, 'index.mjs'),
        bundle: true,
        format: B.format,
        platform: B.platform,
        target: B.target,
        mainFields: [...B.mainFields],
        minify: B.minify,
        sourcemap: B.sourcemap,
        external: [...B.external],
        banner: { js: B.banner },
        logLevel: 'error',
      }),
    ),
  );
}

/** A new execution environment of a function: a fresh module instance of its bundle. */
async function coldStart(name: string): Promise<Handler> {
  const url = `${pathToFileURL(join(BUNDLES, name, 'index.mjs')).href}?instance=${randomUUID()}`;
  const mod = (await import(/* @vite-ignore */ url)) as { handler: Handler };
  return mod.handler;
}

/** The environment the CDK app gives a function (infra/lib/functions.ts), pointing at the local services. */
function lambdaEnv(
  fn: 'api' | 'unlocker' | 'payments' | 'stats',
  storageKind: 'redis' | 'upstash' = 'redis',
  coin = COIN,
): Record<string, string> {
  const config = {
    coin,
    poolServer: { poolAddress, ports: [{ port: 3333, difficulty: 1000 }] },
    blockUnlocker: { depth: 3, poolFee: 1 },
    payments: { minPayment: '100000000000', denomination: '1000000000', lockTtl: 60, requireAof: false }, // as the deploy sets it (infra/lib/settings.ts)
    logging: { console: { level: 'warn' } },
    api: { thresholdIpProof: true }, // the CloudFront-Viewer-Address test below is about the (opt-in) IP proof
  };
  return {
    POOL_CONFIG_JSON: JSON.stringify(config),
    POOL_DAEMON_HOST: '127.0.0.1',
    POOL_DAEMON_PORT: String(chain.monerod.port),
    POOL_METRICS_NAMESPACE: NAMESPACE,
    ...(storageKind === 'redis'
      ? {
          POOL_STORAGE: 'redis',
          POOL_REDIS_HOST: '127.0.0.1',
          POOL_REDIS_PORT: String(redis.port),
          POOL_REDIS_TLS: 'false',
          POOL_REDIS_SECRET: 'pool/valkey',
        }
      : { POOL_STORAGE: 'upstash', POOL_UPSTASH_SECRET: 'pool/upstash' }),
    ...(fn === 'payments'
      ? {
          POOL_WALLET_HOST: '127.0.0.1',
          POOL_WALLET_PORT: String(walletRpc.port),
          POOL_WALLET_SECRET: 'pool/wallet-rpc',
        }
      : {}),
    ...(fn === 'api' ? { POOL_ADMIN_SECRET: 'pool/admin-token' } : {}),
  };
}

const POOL_ENV_KEYS = [
  'POOL_CONFIG_JSON',
  'POOL_STORAGE',
  'POOL_REDIS_HOST',
  'POOL_REDIS_PORT',
  'POOL_REDIS_TLS',
  'POOL_REDIS_SECRET',
  'POOL_UPSTASH_SECRET',
  'POOL_DAEMON_HOST',
  'POOL_DAEMON_PORT',
  'POOL_WALLET_HOST',
  'POOL_WALLET_PORT',
  'POOL_WALLET_SECRET',
  'POOL_ADMIN_SECRET',
];

/** Runs the first invocation of a fresh environment with `env`, then restores the process environment. */
async function firstInvocation<T>(env: Record<string, string>, f: () => Promise<T>): Promise<T> {
  for (const k of POOL_ENV_KEYS) delete process.env[k];
  Object.assign(process.env, env);
  try {
    return await f();
  } finally {
    for (const k of POOL_ENV_KEYS) delete process.env[k];
  }
}

/** Collects the EMF lines a call writes to stdout. */
async function metricsOf<T>(f: () => Promise<T>): Promise<{ result: T; metrics: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('"_aws"')) {
      lines.push(text);
      return true;
    }
    return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  });
  try {
    const result = await f();
    return { result, metrics: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    spy.mockRestore();
  }
}

function scheduledEvent(): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '111111111111',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:111111111111:rule/XmrPool-FunctionsSchedule'],
    detail: {},
  };
}

const lambdaContext = { getRemainingTimeInMillis: () => 50_000, functionName: 'test', awsRequestId: randomUUID() };

/** A Function URL event (AWS_IAM auth) as CloudFront's origin access control delivers it. */
function urlEvent(
  method: 'GET' | 'POST',
  path: string,
  opts: { query?: string; headers?: Record<string, string>; body?: string; viewer?: string } = {},
): LambdaFunctionURLEventWithIAMAuthorizer {
  const viewer = opts.viewer ?? '203.0.113.7';
  const headers: Record<string, string> = {
    host: 'abcdefghij.lambda-url.us-east-1.on.aws',
    'cloudfront-viewer-address': `${viewer}:51234`,
    'x-forwarded-for': `${viewer}, 130.176.0.1`,
    via: '2.0 0123456789abcdef.cloudfront.net (CloudFront)',
    'user-agent': 'Amazon CloudFront',
    authorization:
      'AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc',
    'x-amz-date': '20260101T000000Z',
    ...(opts.headers ?? {}),
  };
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: opts.query ?? '',
    headers,
    ...(opts.query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(opts.query)) } : {}),
    requestContext: {
      accountId: '111111111111',
      apiId: 'abcdefghij',
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLE',
          accountId: '111111111111',
          callerId: 'AROAEXAMPLE:OriginAccessSession',
          cognitoIdentity: null,
          principalOrgId: 'o-example',
          userArn: 'arn:aws:sts::111111111111:assumed-role/OriginAccessControlRole/OriginAccessSession',
          userId: 'AROAEXAMPLE:OriginAccessSession',
        },
      },
      domainName: 'abcdefghij.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghij',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '130.176.0.1', userAgent: 'Amazon CloudFront' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
    },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    isBase64Encoded: false,
  };
}

// ---- the world --------------------------------------------------------------------------------------------------

beforeAll(async () => {
  mkdirSync(BUNDLES, { recursive: true });
  const bundled = bundleAll();
  [redis, chain, sm] = await Promise.all([
    startRedis({ password: REDIS_PASSWORD }),
    startChain({ fixedDifficulty: 1 }),
    startFakeSecretsManager(),
  ]);
  walletRpc = await startWalletRpc({ daemonPort: chain.monerod.port, login: WALLET_LOGIN });
  poolAddress = (await createWallet(walletRpc, { filename: 'pool' })).address;
  wallet = walletRpc.client({ timeout: 60_000 });
  await chain.daemon.generateBlocks(5, REGTEST_ADDRESS);
  storage = createIoredisStorage(redis.config);
  bridge = await startUpstashBridge({ redis: { port: redis.port, password: REDIS_PASSWORD }, token: 'upstash-token' });
  sm.secrets.set('pool/valkey', JSON.stringify({ password: REDIS_PASSWORD }));
  sm.secrets.set('pool/upstash', JSON.stringify({ restUrl: bridge.url, restToken: bridge.token }));
  sm.secrets.set('pool/wallet-rpc', JSON.stringify({ username: WALLET_LOGIN.user, password: WALLET_LOGIN.password }));
  sm.secrets.set('pool/admin-token', JSON.stringify({ token: ADMIN_TOKEN }));
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
  });
  delete process.env['AWS_PROFILE'];
  await bundled;
}, 300_000);

afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
  await wallet?.close();
  await storage?.close();
  await bridge?.close();
  await sm?.stop();
  await walletRpc?.stop();
  await chain?.stop();
  await redis?.stop();
  rmSync(BUNDLES, { recursive: true, force: true });
}, 120_000);

// ---- tests ------------------------------------------------------------------------------------------------------

describe('stats handler', () => {
  it('scheduled event: writes the snapshot, emits the heartbeat, reads its secret once per cold start', async () => {
    const handler = await coldStart('stats');
    const before = sm.reads.get('pool/valkey') ?? 0;
    const first = await firstInvocation(lambdaEnv('stats'), () =>
      metricsOf(() => handler(scheduledEvent(), lambdaContext)),
    );
    expect(first.result).toMatchObject({ network: expect.anything() as unknown });
    expect(first.metrics).toEqual([
      expect.objectContaining({
        Function: 'stats',
        Heartbeat: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: NAMESPACE, Dimensions: [['Function']] })],
        }),
      }),
    ]);
    expect(await storage.command(['EXISTS', keys.statsSnapshot])).toBe(1);
    // warm invocations: no new secret read, same deps
    await handler(scheduledEvent(), lambdaContext);
    await handler({ source: 'pool.invoke', dryRun: true }, lambdaContext);
    expect((sm.reads.get('pool/valkey') ?? 0) - before).toBe(1);
  }, 120_000);

  it('a dry run from `pool invoke --aws` writes no heartbeat metric', async () => {
    const handler = await coldStart('stats');
    const r = await firstInvocation(lambdaEnv('stats'), () =>
      metricsOf(() => handler({ source: 'pool.invoke', dryRun: true }, lambdaContext)),
    );
    expect(r.metrics).toEqual([]);
  }, 60_000);

  it('refuses any other event before touching anything', async () => {
    const handler = await coldStart('stats');
    for (const event of [
      {},
      { source: 'aws.s3' },
      { dryRun: true },
      { source: 'pool.invoke', dryRun: 'yes' },
      null,
      'x',
    ]) {
      const err = await handler(event).catch((e: unknown) => e);
      expect(codeOf(err), JSON.stringify(event)).toBe(ERRORS.BAD_REQUEST);
    }
  });

  it('skips (no heartbeat) while another run holds the function lock, e.g. a local `pool invoke`', async () => {
    const handler = await coldStart('stats');
    const lock = `${keys.prefix}lock:fn:stats`;
    await storage.command(['SET', lock, 'someone-else', 'PX', '30000']);
    try {
      const r = await firstInvocation(lambdaEnv('stats'), () =>
        metricsOf(() => handler(scheduledEvent(), lambdaContext)),
      );
      expect(r.result).toMatchObject({ function: 'stats', skipped: true });
      expect(r.metrics).toEqual([]);
    } finally {
      await storage.command(['DEL', lock]);
    }
    expect(await storage.command(['GET', lock])).toBeNull();
  }, 60_000);

  it('a cold start that failed (secret missing) is retried by the next invocation', async () => {
    const handler = await coldStart('stats');
    const env = { ...lambdaEnv('stats'), POOL_REDIS_SECRET: 'pool/not-yet' };
    const err = await firstInvocation(env, () => handler(scheduledEvent(), lambdaContext)).catch((e: unknown) => e);
    expect(codeOf(err)).toBe(ERRORS.CONFIG_UNREADABLE);
    expect((err as Error).message).toContain('pool/not-yet');
    expect((err as Error).message).not.toContain(REDIS_PASSWORD);
    sm.secrets.set('pool/not-yet', JSON.stringify({ password: REDIS_PASSWORD }));
    const ok = await firstInvocation(env, () => handler(scheduledEvent(), lambdaContext));
    expect(ok).toMatchObject({ network: expect.anything() as unknown });
  }, 60_000);

  it('storage "upstash": the same handler over the REST bridge', async () => {
    const handler = await coldStart('stats');
    await storage.command(['DEL', keys.statsSnapshot]);
    const c0 = bridge.counters.single + bridge.counters.pipeline + bridge.counters.multiExec;
    const r = await firstInvocation(lambdaEnv('stats', 'upstash'), () =>
      metricsOf(() => handler(scheduledEvent(), lambdaContext)),
    );
    expect(r.metrics).toEqual([expect.objectContaining({ Function: 'stats', Heartbeat: 1 })]);
    expect(bridge.counters.single + bridge.counters.pipeline + bridge.counters.multiExec).toBeGreaterThan(c0);
    expect(bridge.counters.base64).toBeGreaterThan(0);
    expect(await storage.command(['EXISTS', keys.statsSnapshot])).toBe(1);
  }, 60_000);
});

describe('unlocker handler', () => {
  it('scheduled event: unlocks a real matured pool block and credits the round; heartbeat', async () => {
    const handler = await coldStart('unlocker');
    const mined = await chain.daemon.generateBlocks(1, poolAddress);
    const hash = mined.blocks[0]!;
    const { height } = await chain.daemon.getBlockHeaderByHash(hash);
    const miner = REGTEST_ADDRESS;
    await writeCandidate(storage, keys, { hash, height, finder: miner, scheme: 'prop', round: { [miner]: 5000n } });
    const waiting = (await firstInvocation(lambdaEnv('unlocker'), () => handler(scheduledEvent(), lambdaContext))) as {
      waiting: number;
    };
    expect(waiting.waiting).toBe(1);
    await mature(chain.daemon, 3);
    const r = await metricsOf(() => handler(scheduledEvent(), lambdaContext));
    expect(r.result).toMatchObject({ function: 'unlocker', unlocked: 1, errors: 0 });
    expect(r.metrics).toEqual([expect.objectContaining({ Function: 'unlocker', Heartbeat: 1 })]);
    const balance = await storage.command(['HGET', keys.worker(miner), 'balance']);
    expect(BigInt(String(balance))).toBeGreaterThan(0n);
    expect(await storage.command(['GET', keys.heartbeat('unlocker')])).not.toBeNull();
  }, 180_000);
});

describe('payments handler', () => {
  // its own coin prefix: the unlocker test above credited a balance that would be due under COIN
  const PAY_COIN = `${COIN}pay`;
  const payKeys = keySchema(PAY_COIN);

  it('nothing due: "idle", heartbeat and PayoutsHalted 0; reads its wallet login from Secrets Manager', async () => {
    const handler = await coldStart('payments');
    await wallet.refresh();
    const before = sm.reads.get('pool/wallet-rpc') ?? 0;
    const r = await firstInvocation(lambdaEnv('payments', 'redis', PAY_COIN), () =>
      metricsOf(() => handler(scheduledEvent(), lambdaContext)),
    );
    expect(r.result, JSON.stringify(r.result)).toMatchObject({ function: 'payments', status: 'idle', dryRun: false });
    expect(r.metrics).toEqual([expect.objectContaining({ Function: 'payments', Heartbeat: 1, PayoutsHalted: 0 })]);
    expect((sm.reads.get('pool/wallet-rpc') ?? 0) - before).toBe(1);

    const dry = await metricsOf(() => handler({ source: 'pool.invoke', dryRun: true }, lambdaContext));
    expect(dry.result).toMatchObject({ function: 'payments', status: 'dry-run', dryRun: true });
    expect(dry.metrics).toEqual([]);
  }, 120_000);

  it('fail-stop: PayoutsHalted 1 and no heartbeat, so both alarms fire', async () => {
    const handler = await coldStart('payments');
    await storage.command([
      'SET',
      payKeys.payFailStop,
      JSON.stringify({ reason: 'test: ambiguous transfer', at: Date.now() }),
    ]);
    try {
      const r = await firstInvocation(lambdaEnv('payments', 'redis', PAY_COIN), () =>
        metricsOf(() => handler(scheduledEvent(), lambdaContext)),
      );
      expect(r.result).toMatchObject({ status: 'failstop' });
      expect(r.metrics).toEqual([expect.objectContaining({ Function: 'payments', PayoutsHalted: 1 })]);
      expect(r.metrics[0]).not.toHaveProperty('Heartbeat');
    } finally {
      await storage.command(['DEL', payKeys.payFailStop]);
    }
  }, 60_000);
});

describe('api handler (Function URL event behind CloudFront)', () => {
  let api: Handler;
  const call = async (e: LambdaFunctionURLEventWithIAMAuthorizer): Promise<HttpReply> =>
    (await api(e, lambdaContext)) as HttpReply;

  beforeAll(async () => {
    api = await coldStart('api');
  });

  it('GET /stats answers JSON with its Cache-Control, reading the admin secret once', async () => {
    const before = sm.reads.get('pool/admin-token') ?? 0;
    const r = await firstInvocation(lambdaEnv('api'), () => call(urlEvent('GET', '/stats')));
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    expect(r.headers['cache-control']).toMatch(/max-age=/);
    expect(JSON.parse(r.body)).toBeTypeOf('object');
    await call(urlEvent('GET', '/get_blocks'));
    expect((sm.reads.get('pool/admin-token') ?? 0) - before).toBe(1);
  }, 60_000);

  it('admin token travels as X-Admin-Token (CloudFront signs Authorization); failures count against the viewer IP', async () => {
    const ok = await call(urlEvent('GET', '/admin_stats', { headers: { 'x-admin-token': ADMIN_TOKEN } }));
    expect(ok.statusCode).toBe(200);
    const viewer = '198.51.100.23';
    const bad = await call(urlEvent('GET', '/admin_stats', { viewer, headers: { 'x-admin-token': 'wrong-token' } }));
    expect(bad.statusCode).toBe(401);
    expect(await storage.command(['GET', keys.adminFail(viewer)])).toBe('1');
    expect(await storage.command(['EXISTS', keys.adminFail('130.176.0.1')])).toBe(0);
    // CloudFront's SigV4 Authorization alone is never taken for a token
    const sig = await call(urlEvent('GET', '/admin_stats', { viewer: '198.51.100.24' }));
    expect(sig.statusCode).toBe(401);
  }, 60_000);

  it('POST /set_payout_threshold trusts CloudFront-Viewer-Address, not X-Forwarded-For', async () => {
    const miner = REGTEST_ADDRESS;
    const minerIp = '203.0.113.50';
    await storage.command(['ZADD', keys.minerIps(miner), String(Date.now()), minerIp]);
    const body = JSON.stringify({ address: miner, threshold: '250000000000' });
    const headers = { 'content-type': 'application/json' };
    const spoofed = await call(
      urlEvent('POST', '/set_payout_threshold', {
        viewer: '192.0.2.99',
        body,
        headers: { ...headers, 'x-forwarded-for': minerIp },
      }),
    );
    expect(spoofed.statusCode).toBe(403);
    const r = await call(urlEvent('POST', '/set_payout_threshold', { viewer: minerIp, body, headers }));
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ status: 'OK', threshold: '250000000000' });
    expect(await storage.command(['HGET', keys.worker(miner), 'threshold'])).toBe('250000000000');
  }, 60_000);

  it("unknown routes answer the seed's 404 JSON", async () => {
    const r = await call(urlEvent('GET', '/nope'));
    expect(r.statusCode).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ error: 'Invalid API call' });
  });
});
