/**
 * Deploy settings: CDK context values (infra/cdk.json defaults, `-c key=value` on the command line) validated into
 * one typed object, plus the pool config file they point at (validated by shared/config like any config file).
 * Nothing here calls AWS: synth works offline with no account.
 *
 * Context keys (all optional; docs/cloud.md "Context values" explains each):
 *   stackName           "XmrPool"
 *   poolConfig          path of the pool config (JSONC), relative to the repo root; "infra/pool.cloud.example.jsonc"
 *   websiteDist         the built website, relative to the repo root; "website/dist" (a placeholder page when absent)
 *   storage             "valkey" (ElastiCache Serverless Valkey in the VPC) | "upstash" (REST + TLS Redis, secret)
 *   upstashSecretName   Secrets Manager name of the Upstash secret (storage "upstash"); "<stackName>/upstash"
 *   daemonHost/daemonPort, walletHost/walletPort   defaults of the CloudFormation parameters (ignored with moneroNode)
 *   daemonZmq           default of the DaemonZmq parameter: monerod's ZMQ publisher "tcp://HOST:PORT" ("" = poll only;
 *                       ignored with moneroNode, whose publisher the stratum nodes always use)
 *   apiReservedConcurrency 10: reserved concurrent executions of the api function (caps what a flood of uncached
 *                       requests can cost and keeps account concurrency for the back office)
 *   moneroNode          true: an EC2 host running monerod + monero-wallet-rpc with a data volume
 *   moneroNodeInstanceType "t3.large", moneroNodeVolumeGiB 200
 *   stratumInstanceType "t3.medium", stratumMinInstances 1, stratumMaxInstances 2
 *   stratumAmiParameter "/aws/service/debian/release/13/latest/amd64" (public SSM parameter, resolved at deploy)
 *   tlsCertificateArn + tlsListeners [{port, targetPort}]: NLB TLS listeners (ACM) in front of plain stratum ports
 *   natGateways         1
 *   alarmEmail          an address subscribed to the alarm topic
 *   domainName + domainCertificateArn (us-east-1): the website/API distribution's custom domain
 *   stratumDomainName   the DNS name miners use (a CNAME to the load balancer), shown on the website
 *   unlockerHeartbeatMinutes 10, statsHeartbeatMinutes 10, paymentsHeartbeatIntervals 3
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { configFromObject, parseConfigText } from '../../shared/config/load.js';
import type { PoolConfig } from '../../shared/config/schema.js';

/** The repository root (infra/lib/../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const intLike = (min: number, max: number) =>
  z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().int().min(min).max(max));
const boolLike = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const optStr = z.string().min(1).optional();
/** Objects and arrays may come as JSON text from `-c key='[...]'`. */
const jsonLike = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, schema);

const tlsListener = z.object({ port: intLike(1, 65535), targetPort: intLike(1, 65535) }).strict();

const contextSchema = z
  .object({
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/)
      .default('XmrPool'),
    poolConfig: z.string().min(1).default('infra/pool.cloud.example.jsonc'),
    websiteDist: z.string().min(1).default('website/dist'),
    storage: z.enum(['valkey', 'upstash']).default('valkey'),
    upstashSecretName: optStr,
    daemonHost: optStr,
    daemonPort: intLike(1, 65535).optional(),
    walletHost: optStr,
    walletPort: intLike(1, 65535).optional(),
    daemonZmq: z
      .string()
      .regex(/^tcp:\/\/[^\s:/]+:\d{1,5}$/, 'expected "tcp://HOST:PORT" (monerod --zmq-pub)')
      .optional(),
    apiReservedConcurrency: intLike(1, 1000).default(10),
    moneroNode: boolLike.default(false),
    moneroNodeInstanceType: z.string().default('t3.large'),
    moneroNodeVolumeGiB: intLike(50, 16000).default(200),
    stratumInstanceType: z.string().default('t3.medium'),
    stratumMinInstances: intLike(1, 20).default(1),
    stratumMaxInstances: intLike(1, 20).default(2),
    stratumAmiParameter: z.string().startsWith('/').default('/aws/service/debian/release/13/latest/amd64'),
    tlsCertificateArn: z.string().startsWith('arn:').optional(),
    tlsListeners: jsonLike(z.array(tlsListener)).default([]),
    natGateways: intLike(1, 3).default(1),
    alarmEmail: z.string().email().optional(),
    domainName: optStr,
    stratumDomainName: optStr,
    domainCertificateArn: z.string().startsWith('arn:').optional(),
    unlockerHeartbeatMinutes: intLike(2, 1440).default(10),
    statsHeartbeatMinutes: intLike(2, 1440).default(10),
    paymentsHeartbeatIntervals: intLike(2, 100).default(3),
  })
  .superRefine((c, ctx) => {
    if (c.stratumMaxInstances < c.stratumMinInstances) {
      ctx.addIssue({ code: 'custom', path: ['stratumMaxInstances'], message: 'must be >= stratumMinInstances' });
    }
    if (c.tlsListeners.length > 0 && c.tlsCertificateArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tlsCertificateArn'],
        message: 'tlsListeners need tlsCertificateArn (an ACM certificate in the stack region)',
      });
    }
    if ((c.domainName === undefined) !== (c.domainCertificateArn === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['domainName'],
        message: 'domainName and domainCertificateArn go together',
      });
    }
  });

export type ContextValues = z.output<typeof contextSchema>;
export const CONTEXT_KEYS = Object.keys(contextSchema.innerType().shape) as (keyof ContextValues)[];

export interface StratumPort {
  /** Listener port on the NLB (= the node's port for plain TCP). */
  listen: number;
  /** Port on the instance. */
  target: number;
  protocol: 'TCP' | 'TLS';
  difficulty: number;
  desc: string;
}

export interface DeploySettings extends ContextValues {
  /** The built website folder (absolute). */
  websiteDistPath: string;
  /** The pool config file (absolute path), its parsed JSON (comments stripped) and the validated config. */
  poolConfigPath: string;
  poolConfigObject: Record<string, unknown>;
  pool: PoolConfig;
  /** NLB listeners: one TCP per configured (non-hidden or hidden alike) port, plus the TLS ones. */
  stratumPorts: StratumPort[];
  /** The node's health endpoint port. */
  healthPort: number;
  /** Whole minutes between payment runs (payments.interval rounded up, at least 1). */
  paymentsEveryMinutes: number;
  /** Payments Lambda timeout in seconds: below the payout lock TTL so a payer never outlives its lock. */
  paymentsTimeoutSeconds: number;
}

/** Reads every context key from the construct tree (cdk.json + command line) and validates them. */
export function readSettings(scope: Construct): DeploySettings {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const v: unknown = scope.node.tryGetContext(key);
    if (v !== undefined && v !== null && v !== '') raw[key] = v;
  }
  return settingsFrom(raw);
}

export function settingsFrom(raw: Record<string, unknown>): DeploySettings {
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  context ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid CDK context values:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const poolConfigPath = isAbsolute(c.poolConfig) ? c.poolConfig : resolve(REPO_ROOT, c.poolConfig);
  if (!existsSync(poolConfigPath)) throw new Error(`context poolConfig: no file at ${poolConfigPath}`);
  const obj = parseConfigText(readFileSync(poolConfigPath, 'utf8'), poolConfigPath);
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new Error(`${poolConfigPath}: expected a JSON object`);
  // Both cloud stores (ElastiCache Serverless, Upstash) persist without AOF visible through INFO and replicate
  // internally without replicas a client can WAIT for, so the payer's AOF check (payments.requireAof) and replica
  // wait (payments.minReplicas, functions/payments/durable.ts) are off unless the file sets them (docs/cloud.md).
  const filePayments = (obj as Record<string, unknown>)['payments'];
  if (
    filePayments === undefined ||
    (typeof filePayments === 'object' && filePayments !== null && !Array.isArray(filePayments))
  ) {
    const given = (filePayments ?? {}) as Record<string, unknown>;
    (obj as Record<string, unknown>)['payments'] = {
      ...given,
      ...('requireAof' in given ? {} : { requireAof: false }),
      ...('minReplicas' in given ? {} : { minReplicas: 0 }),
    };
  }
  const pool = configFromObject(obj, undefined, `pool config ${poolConfigPath}`);
  const secretsInFile = [
    ['api.password', pool.api.password],
    ['wallet.password', pool.wallet.password],
    ['redis.auth', pool.redis.auth],
  ].filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (secretsInFile.length > 0) {
    throw new Error(
      `${poolConfigPath}: ${secretsInFile.map(([k]) => k).join(', ')} must not be in the cloud config (it becomes a Lambda environment variable); ` +
        'the deploy takes them from Secrets Manager (docs/cloud.md "Secrets")',
    );
  }

  const ports = pool.poolServer.ports;
  if (ports.length === 0)
    throw new Error(`${poolConfigPath}: poolServer.ports is empty; the NLB needs at least one port`);
  const stratumPorts: StratumPort[] = ports.map((p) => ({
    listen: p.port,
    target: p.port,
    protocol: 'TCP',
    difficulty: p.difficulty,
    desc: p.desc,
  }));
  for (const t of c.tlsListeners) {
    const target = ports.find((p) => p.port === t.targetPort);
    if (!target) throw new Error(`context tlsListeners: targetPort ${t.targetPort} is not one of poolServer.ports`);
    if (target.tls)
      throw new Error(
        `context tlsListeners: targetPort ${t.targetPort} is a TLS port already; the NLB terminates TLS, point it at a plain port`,
      );
    if (stratumPorts.some((s) => s.listen === t.port))
      throw new Error(`context tlsListeners: port ${t.port} is already a listener`);
    stratumPorts.push({
      listen: t.port,
      target: t.targetPort,
      protocol: 'TLS',
      difficulty: target.difficulty,
      desc: `${target.desc} (TLS)`.trim(),
    });
  }
  const healthPort = pool.poolServer.health.port;
  if (!pool.poolServer.health.enabled || healthPort === 0) {
    throw new Error(
      `${poolConfigPath}: poolServer.health must be enabled on a fixed port: the NLB health checks use it`,
    );
  }
  const paymentsEveryMinutes = Math.max(1, Math.ceil(pool.payments.interval / 60));
  const paymentsTimeoutSeconds = Math.max(60, Math.min(900, pool.payments.lockTtl - 30));
  const websiteDistPath = isAbsolute(c.websiteDist) ? c.websiteDist : resolve(REPO_ROOT, c.websiteDist);
  return {
    ...c,
    websiteDistPath,
    poolConfigPath,
    poolConfigObject: obj as Record<string, unknown>,
    pool,
    stratumPorts,
    healthPort,
    paymentsEveryMinutes,
    paymentsTimeoutSeconds,
  };
}
