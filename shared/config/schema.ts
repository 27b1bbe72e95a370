/**
 * THE pool configuration schema: the seed's (zone117x/node-cryptonote-pool) field names plus our own, and the only
 * place defaults live. Every object is strict: an unknown key is an error naming its path, so a typo in money
 * config is never silently ignored. Seed-only keys we accept but do not use are declared here and listed in
 * docs/config.md ("Seed compatibility").
 *
 * Data model: PoolConfig = z.output<typeof configSchema>. Money fields (coinUnits, payments.transferFee,
 * payments.minPayment, payments.denomination) are bigint atomic units; percents are numbers 0..100 (1.8 = 1.8 %);
 * durations carry their unit in docs/config.md (seconds unless the field says ms). blockUnlocker.donations is the
 * effective donation list: explicit entries plus devDonation/coreDevDonation when devAddress/coreDevAddress are set.
 */
import { z } from 'zod';
import { isPoolError } from '../errors.js';
import { parseAddress, type ParsedAddress } from '../monero/address.js';
import {
  bool,
  expect,
  int,
  logLevel,
  money,
  nonNegInt,
  oneOf,
  percent,
  port,
  posInt,
  posNumber,
  section,
  str,
} from './fields.js';

/** Monero transactions carry at most 16 outputs; one is the change, so a payout batch has at most 15 payees. */
export const MAX_TX_DESTINATIONS = 15;

const nullableStr = () => str().nullable().default(null);

const loggingSchema = section({
  files: section({
    level: logLevel().default('info'),
    directory: str().default('logs'),
    flushInterval: posNumber().default(5),
  }).default({}),
  console: section({
    level: logLevel().default('info'),
    colors: bool().default(true),
  }).default({}),
}).default({});

const portSchema = section({
  port: port(),
  difficulty: posInt(),
  desc: z.string(expect('a string')).default(''),
  tls: bool().default(false),
  proxyProtocol: bool().default(false),
  hidden: bool().default(false),
  solo: bool().default(false),
});

const FORKS = '"auto" or a positive integer';

const poolServerSchema = section({
  enabled: bool().default(true),
  clusterForks: z.union([z.literal('auto', expect(FORKS)), int(1, undefined, FORKS)], expect(FORKS)).default('auto'),
  poolAddress: str(),
  blockRefreshInterval: posInt().default(1000),
  templateRefreshInterval: posInt().default(30),
  minerTimeout: posInt().default(900),
  loginTimeout: posInt().default(10),
  maxLineBytes: int(512, 1048576).default(10240),
  maxConnectionsPerIp: posInt().default(256),
  /** Peers allowed to send a PROXY header on proxyProtocol ports (IPs or IPv4/IPv6 CIDRs); empty = any peer. */
  proxyProtocolFrom: z
    .array(
      z.string(expect('an IP address or CIDR such as "10.0.0.0/16"')).regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/),
      expect('an array of IPs or CIDRs'),
    )
    .default([]),
  shareBatchInterval: posInt().default(1000),
  /** The node's data folder: the share journal (what Redis has not taken yet) lives here; null: no journal. */
  dataDir: str().nullable().default('.data/stratum'),
  ports: z.array(portSchema, expect('an array of port objects')).default([]),
  tls: section({ cert: str(), key: str() }).nullable().default(null),
  varDiff: section({
    minDiff: posInt().default(100),
    maxDiff: posInt().default(100_000_000),
    targetTime: posInt().default(30),
    retargetTime: posInt().default(60),
    variancePercent: percent().default(30),
    maxJump: posNumber().default(100),
  }).default({}),
  // "." separates the worker name and ":" the "solo:" prefix in a login, so neither can mark the difficulty
  fixedDiffSeparator: z
    .string(expect('one character other than a letter, digit, space, "." or ":"'))
    .regex(/^[^0-9A-Za-z\s.:]$/)
    .default('+'),
  shareTrust: section({
    enabled: bool().default(false),
    min: percent().default(10),
    stepDown: percent().default(3),
    threshold: nonNegInt().default(10),
    penalty: nonNegInt().default(30),
  }).default({}),
  banning: section({
    enabled: bool().default(true),
    time: posInt().default(600),
    invalidPercent: percent().default(25),
    checkThreshold: posInt().default(30),
    /** Ban an IP at its first forged result (claimed result is not the RandomX hash of its blob). */
    banOnForgedResult: bool().default(true),
  }).default({}),
  /** The native RandomX hasher that verifies shares: light (256 MiB per seed) or fast (a 2 GiB dataset per seed). */
  randomx: section({
    mode: oneOf(['light', 'fast']).default('light'),
    /** Hashing threads per stratum process; null = the cores divided among the cluster forks. */
    threads: posInt().nullable().default(null),
  }).default({}),
  slushMining: section({
    enabled: bool().default(false),
    weight: posNumber().default(120),
    lastBlockCheckRate: posInt().default(1),
    /** Seed-only, accepted and ignored (the round start comes from Redis stats). */
    blockTime: posNumber().optional(),
  }).default({}),
  addressPolicy: section({
    integrated: oneOf(['reject', 'allow']).default('reject'),
    subaddress: oneOf(['allow', 'reject']).default('allow'),
  }).default({}),
  health: section({
    enabled: bool().default(true),
    host: str().default('127.0.0.1'),
    port: port(true).default(9101),
    /** Seconds without monerod confirming the block template before readiness turns degraded (/ready 503). */
    maxTemplateAge: posInt().default(120),
    /** CloudWatch namespace the node publishes StratumReady/StratumTemplateAge to every minute (null: none). */
    cloudwatchNamespace: nullableStr(),
  }).default({}),
});

const rewardsSchema = section({
  scheme: oneOf(['prop', 'pplns', 'solo']).default('prop'),
  pplnsWindow: z.number(expect('a positive number up to 1000')).positive().max(1000).default(2),
  soloFee: percent().default(0.5),
  finderReward: percent().default(0),
}).default({});

const REPLICAS = '"auto" or an integer from 0 to 16';

const paymentsSchema = section({
  enabled: bool().default(true),
  interval: posInt().default(600),
  maxAddresses: posInt().default(MAX_TX_DESTINATIONS),
  /** Seed-only, accepted and ignored: the wallet fixes the ring size (16). */
  mixin: nonNegInt().optional(),
  priority: int(0, 4).default(0),
  transferFee: money().default('1000000000'),
  minPayment: money(true).default('100000000000'),
  denomination: money(true).default('100000000'),
  feePayer: oneOf(['pool', 'payees']).default('pool'),
  lockTtl: posInt().default(300),
  /** Hold payouts unless Redis reports aof_enabled:1 (INFO persistence). false only for stores durable without AOF. */
  requireAof: bool().default(true),
  /** Seconds the wallet `refresh` before the preflight's height check may take (client-side timeout). */
  walletRefreshTimeout: int(1, 3600).default(30),
  /** The highest payout threshold a miner may set (atomic units). */
  maxThreshold: money(true).default('10000000000000'),
  /**
   * Replicas that must acknowledge a batch's record (WAIT, on the node owning the pool's slot) before its tx is
   * relayed: "auto" = 1 when the primary shows an online replica, else none; a number = that many, held otherwise.
   */
  minReplicas: z.union([z.literal('auto', expect(REPLICAS)), int(0, 16, REPLICAS)], expect(REPLICAS)).default('auto'),
  /** ms the WAIT for replicas may take before the run holds. */
  replicaTimeout: int(10, 60_000).default(2000),
}).default({});

const donationSchema = section({ address: str(), percent: percent() });

const blockUnlockerSchema = section({
  enabled: bool().default(true),
  interval: posInt().default(30),
  depth: posInt().default(60),
  poolFee: percent().default(1),
  devDonation: percent().default(0),
  coreDevDonation: percent().default(0),
  devAddress: nullableStr(),
  coreDevAddress: nullableStr(),
  donations: z.array(donationSchema, expect('an array of {address, percent} objects')).default([]),
})
  .default({})
  .transform((u) => {
    const donations = u.donations.map((d) => ({ ...d }));
    if (u.devAddress !== null && u.devDonation > 0) donations.push({ address: u.devAddress, percent: u.devDonation });
    if (u.coreDevAddress !== null && u.coreDevDonation > 0) {
      donations.push({ address: u.coreDevAddress, percent: u.coreDevDonation });
    }
    return { ...u, donations };
  });

const TRUST = 'true/false, a hop count, or an address/CIDR string or list';

const apiSchema = section({
  enabled: bool().default(true),
  host: str().default('0.0.0.0'),
  hashrateWindow: posInt().default(600),
  updateInterval: posInt().default(5),
  port: port(true).default(8117),
  blocks: int(1, 1000).default(30),
  payments: int(1, 1000).default(30),
  password: nullableStr(),
  trustProxy: z
    .union([z.boolean(expect(TRUST)), int(1, 100, TRUST), str(), z.array(str(), expect(TRUST)).min(1)], expect(TRUST))
    .default(false),
  website: nullableStr(),
  /** The pool's name in the message a miner signs to change a payout threshold (null: the `coin` name). */
  poolName: nullableStr(),
  /** Seconds a threshold message stays valid after the API issued it. */
  thresholdMessageTtl: int(60, 7 * 86400).default(3600),
  /** Also accept a threshold change from an IP that mined to the address in the last 24 h (no signature). */
  thresholdIpProof: bool().default(false),
  /** monero-wallet-rpc that verifies threshold signatures (`verify` needs no keys); null: the `wallet` section. */
  signatureWallet: section({
    host: str().default('127.0.0.1'),
    port: port().default(18085),
    user: nullableStr(),
    password: nullableStr(),
    timeout: posInt().default(10000),
  })
    .nullable()
    .default(null),
}).default({});

const statsSchema = section({
  interval: posInt().default(60),
  chartInterval: posInt().default(300),
  chartRetention: posInt().default(86400 * 2),
}).default({});

const daemonSchema = section({
  host: str().default('127.0.0.1'),
  port: port().default(18081),
  timeout: posInt().default(10000),
  retries: int(0, 20).default(3),
  /** ZMQ publisher of monerod (`--zmq-pub`), e.g. "tcp://127.0.0.1:18083": new blocks pushed; polling stays as fallback. */
  zmq: z
    .string(expect('a ZMQ address such as "tcp://127.0.0.1:18083"'))
    .regex(/^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/)
    .nullable()
    .default(null),
}).default({});

const walletSchema = section({
  host: str().default('127.0.0.1'),
  port: port().default(18082),
  user: nullableStr(),
  password: nullableStr(),
  timeout: posInt().default(60000),
}).default({});

const redisSchema = section({
  host: str().default('127.0.0.1'),
  port: port().default(6379),
  auth: nullableStr(),
  /** ACL user sent with AUTH (null: the default user). */
  username: nullableStr(),
  db: nonNegInt().default(0),
  tls: bool().default(false),
  /** A Redis Cluster (or cluster-mode endpoint such as ElastiCache Serverless) seeded from host:port. */
  cluster: bool().default(false),
}).default({});

const devnetSchema = section({
  dataDir: str().default('.data/devnet'),
  fixedDifficulty: posInt().default(50),
  monerodPath: str().default('monerod'),
  walletRpcPath: str().default('monero-wallet-rpc'),
  redisServerPath: str().default('redis-server'),
}).default({});

const baseSchema = section({
  coin: z
    .string(expect('a name of letters, digits, "_" or "-" (it prefixes every Redis key)'))
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('monero'),
  symbol: str().default('XMR'),
  network: oneOf(['mainnet', 'testnet', 'stagenet']).default('mainnet'),
  coinUnits: money(true).default('1000000000000'),
  logging: loggingSchema,
  poolServer: poolServerSchema,
  rewards: rewardsSchema,
  payments: paymentsSchema,
  blockUnlocker: blockUnlockerSchema,
  api: apiSchema,
  stats: statsSchema,
  daemon: daemonSchema,
  wallet: walletSchema,
  redis: redisSchema,
  devnet: devnetSchema,
});

type BaseConfig = z.output<typeof baseSchema>;
type Ctx = z.RefinementCtx;

/** A cross-field problem: the message is printed as is after the path. */
function problem(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: z.ZodIssueCode.custom, path, message, params: { verbatim: true } });
}

function checkAddress(
  ctx: Ctx,
  path: (string | number)[],
  address: string,
  network: string,
  what: string,
): ParsedAddress | undefined {
  let parsed: ParsedAddress;
  try {
    parsed = parseAddress(address);
  } catch (e) {
    if (!isPoolError(e)) throw e;
    problem(ctx, path, `expected a Monero ${network} address for ${what}, got an invalid one (${e.message})`);
    return undefined;
  }
  if (parsed.network !== network) {
    problem(ctx, path, `expected a ${network} address (network is "${network}"), got a ${parsed.network} address`);
    return undefined;
  }
  return parsed;
}

function crossChecks(c: BaseConfig, ctx: Ctx): void {
  const ps = c.poolServer;
  if (c.api.password !== null && /^change-?me/i.test(c.api.password)) {
    problem(ctx, ['api', 'password'], 'expected your own admin token (a long random string), got an example value');
  }
  if (ps.enabled && ps.ports.length === 0) {
    problem(ctx, ['poolServer', 'ports'], 'expected at least one port while poolServer.enabled is true, got none');
  }
  const seen = new Map<number, number>();
  ps.ports.forEach((p, i) => {
    const first = seen.get(p.port);
    if (first !== undefined)
      problem(ctx, ['poolServer', 'ports', i, 'port'], `port ${p.port} is already used by poolServer.ports[${first}]`);
    else seen.set(p.port, i);
    if (p.tls && ps.tls === null) {
      problem(ctx, ['poolServer', 'ports', i, 'tls'], 'a TLS port needs poolServer.tls {cert, key}, which is not set');
    }
    if (p.proxyProtocol && ps.proxyProtocolFrom.length === 0) {
      problem(
        ctx,
        ['poolServer', 'ports', i, 'proxyProtocol'],
        'a PROXY protocol port needs poolServer.proxyProtocolFrom (the load balancer\'s IPs or subnets, e.g. ["10.0.0.0/16"]): otherwise any client could claim any IP',
      );
    }
  });
  for (const [name, svc] of [
    ['api', c.api],
    ['health', ps.health],
  ] as const) {
    const owner = seen.get(svc.port);
    if (svc.enabled && svc.port !== 0 && owner !== undefined) {
      const path = name === 'api' ? ['api', 'port'] : ['poolServer', 'health', 'port'];
      problem(ctx, path, `port ${svc.port} is already used by poolServer.ports[${owner}]`);
    }
  }
  if (ps.varDiff.minDiff > ps.varDiff.maxDiff) {
    problem(
      ctx,
      ['poolServer', 'varDiff', 'minDiff'],
      `expected at most varDiff.maxDiff (${ps.varDiff.maxDiff}), got ${ps.varDiff.minDiff}`,
    );
  }
  if (ps.slushMining.enabled && c.rewards.scheme !== 'prop') {
    problem(
      ctx,
      ['poolServer', 'slushMining', 'enabled'],
      `slush mining weights a proportional round; it cannot be combined with rewards.scheme "${c.rewards.scheme}"`,
    );
  }
  if (c.redis.cluster && c.redis.db !== 0) {
    problem(
      ctx,
      ['redis', 'db'],
      `expected 0 with redis.cluster (a Redis Cluster has only database 0), got ${c.redis.db}`,
    );
  }
  if (c.payments.maxThreshold < c.payments.minPayment) {
    problem(
      ctx,
      ['payments', 'maxThreshold'],
      `expected at least payments.minPayment (${c.payments.minPayment}), got ${c.payments.maxThreshold}`,
    );
  }
  if (c.payments.walletRefreshTimeout * 2 > c.payments.lockTtl) {
    problem(
      ctx,
      ['payments', 'walletRefreshTimeout'],
      `expected at most half of payments.lockTtl (${c.payments.lockTtl} s: the refresh runs under the payer's lock), got ${c.payments.walletRefreshTimeout}`,
    );
  }
  const u = c.blockUnlocker;
  const donated = u.donations.reduce((s, d) => s + d.percent, 0);
  const fees: [string, number][] = [
    ['poolFee', u.poolFee + c.rewards.finderReward],
    ['soloFee', c.rewards.soloFee],
  ];
  for (const [name, fee] of fees) {
    if (fee + donated >= 100) {
      problem(
        ctx,
        ['blockUnlocker', 'donations'],
        `${name} plus donations (and finder reward) must stay below 100 %, got ${fee + donated} %`,
      );
    }
  }
  const pool = checkAddress(ctx, ['poolServer', 'poolAddress'], ps.poolAddress, c.network, 'the pool wallet');
  if (pool?.kind === 'subaddress') {
    problem(
      ctx,
      ['poolServer', 'poolAddress'],
      "expected the pool wallet's primary (standard) address, got a subaddress (monerod cannot mine to one)",
    );
  }
  // donations = explicit entries, then the ones mapped from devAddress/coreDevAddress (checked at their own path)
  const mapped =
    (u.devAddress !== null && u.devDonation > 0 ? 1 : 0) + (u.coreDevAddress !== null && u.coreDevDonation > 0 ? 1 : 0);
  u.donations.slice(0, u.donations.length - mapped).forEach((d, i) => {
    checkAddress(ctx, ['blockUnlocker', 'donations', i, 'address'], d.address, c.network, 'a donation');
  });
  if (u.devAddress !== null)
    checkAddress(ctx, ['blockUnlocker', 'devAddress'], u.devAddress, c.network, 'the dev donation');
  if (u.coreDevAddress !== null) {
    checkAddress(ctx, ['blockUnlocker', 'coreDevAddress'], u.coreDevAddress, c.network, 'the core dev donation');
  }
}

export const configSchema = baseSchema.superRefine(crossChecks);

/** What a config file (or configFromObject) may contain. */
export type PoolConfigInput = z.input<typeof configSchema>;
/** The validated, defaulted configuration (loadConfig deep-freezes it). */
export type PoolConfig = z.output<typeof configSchema>;

export type LoggingConfig = PoolConfig['logging'];
export type PoolServerConfig = PoolConfig['poolServer'];
export type PortConfig = PoolServerConfig['ports'][number];
export type VarDiffConfig = PoolServerConfig['varDiff'];
export type AddressPolicyConfig = PoolServerConfig['addressPolicy'];
export type RewardsConfig = PoolConfig['rewards'];
export type PaymentsConfig = PoolConfig['payments'];
export type BlockUnlockerConfig = PoolConfig['blockUnlocker'];
export type Donation = BlockUnlockerConfig['donations'][number];
export type ApiConfig = PoolConfig['api'];
export type StatsConfig = PoolConfig['stats'];
export type DaemonConfig = PoolConfig['daemon'];
export type WalletConfig = PoolConfig['wallet'];
export type RedisConfig = PoolConfig['redis'];
export type DevnetConfig = PoolConfig['devnet'];

/** Payees per payout transaction: payments.maxAddresses capped at MAX_TX_DESTINATIONS. */
export function paymentBatchSize(payments: Pick<PaymentsConfig, 'maxAddresses'>): number {
  return Math.min(payments.maxAddresses, MAX_TX_DESTINATIONS);
}
