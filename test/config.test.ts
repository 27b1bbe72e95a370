import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, PoolError, isPoolError } from '../shared/errors.js';
import { encodeAddress, parseAddress } from '../shared/monero/address.js';
import {
  configFromObject,
  configWarnings,
  loadConfig,
  parseConfigText,
  paymentBatchSize,
  type PoolConfig,
} from '../shared/config/load.js';

const EXAMPLE = join(import.meta.dirname, '..', 'config.example.json');
const ADDR = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';
const SEED_ADDR = '48Y4SoUJM5L3YXBEfNQ8bFNsvTNsqcH5Rgq8RF7BwpgvTBj2xr7CmWVanaw7L4U9MnZ4AG7U6Pn1pBhfQhFyFZ1rL1efL8z';

/** The seed's config_example.json, field for field. */
const SEED_CONFIG = {
  coin: 'monero',
  symbol: 'XMR',
  logging: {
    files: { level: 'info', directory: 'logs', flushInterval: 5 },
    console: { level: 'info', colors: true },
  },
  poolServer: {
    enabled: true,
    clusterForks: 'auto',
    poolAddress: SEED_ADDR,
    blockRefreshInterval: 1000,
    minerTimeout: 900,
    ports: [
      { port: 3333, difficulty: 100, desc: 'Low end hardware' },
      { port: 5555, difficulty: 2000, desc: 'Mid range hardware' },
      { port: 7777, difficulty: 10000, desc: 'High end hardware' },
      { port: 8888, difficulty: 10000, desc: 'Hidden port', hidden: true },
    ],
    varDiff: { minDiff: 2, maxDiff: 100000, targetTime: 100, retargetTime: 30, variancePercent: 30, maxJump: 100 },
    shareTrust: { enabled: true, min: 10, stepDown: 3, threshold: 10, penalty: 30 },
    banning: { enabled: true, time: 600, invalidPercent: 25, checkThreshold: 30 },
    slushMining: { enabled: false, weight: 120, blockTime: 60, lastBlockCheckRate: 1 },
  },
  payments: {
    enabled: true,
    interval: 600,
    maxAddresses: 50,
    mixin: 3,
    transferFee: 5000000000,
    minPayment: 100000000000,
    denomination: 100000000000,
  },
  blockUnlocker: { enabled: true, interval: 30, depth: 60, poolFee: 1.8, devDonation: 0.1, coreDevDonation: 0.1 },
  api: {
    enabled: true,
    hashrateWindow: 600,
    updateInterval: 3,
    port: 8117,
    blocks: 30,
    payments: 30,
    password: 'test',
  },
  daemon: { host: '127.0.0.1', port: 18081 },
  wallet: { host: '127.0.0.1', port: 8082 },
  redis: { host: '127.0.0.1', port: 6379, auth: null },
};

function minimal(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { poolServer: { poolAddress: ADDR, ports: [{ port: 3333, difficulty: 1000 }] }, ...extra };
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (isPoolError(e, ERRORS.CONFIG_INVALID)) return (e.details?.['problems'] as string[] | undefined) ?? [e.message];
    throw e;
  }
  throw new Error('expected CONFIG_INVALID');
}

function isDeepFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(isDeepFrozen);
}

describe('config.example.json', () => {
  it('loads, validates and is deep-frozen', () => {
    const c = loadConfig(EXAMPLE);
    expect(c.poolServer.ports.map((p) => p.port)).toEqual([3333, 5555, 7777]);
    expect(c.daemon).toEqual({ host: '127.0.0.1', port: 18081, timeout: 10000, retries: 3, zmq: null });
    expect(c.wallet.port).toBe(18082);
    expect(c.payments.minPayment).toBe(100000000000n);
    expect(c.coinUnits).toBe(1000000000000n);
    expect(isDeepFrozen(c)).toBe(true);
    expect(() => {
      (c.poolServer as { enabled: boolean }).enabled = false;
    }).toThrow(TypeError);
    expect(configWarnings(c)).toEqual([]);
  });
});

describe('defaults', () => {
  it('fills every section from the schema', () => {
    const c = configFromObject(minimal());
    expect(c.coin).toBe('monero');
    expect(c.network).toBe('mainnet');
    expect(c.poolServer.blockRefreshInterval).toBe(1000);
    expect(c.poolServer.templateRefreshInterval).toBe(30);
    expect(c.poolServer.minerTimeout).toBe(900);
    expect(c.poolServer.loginTimeout).toBe(10);
    expect(c.poolServer.maxLineBytes).toBe(10240);
    expect(c.poolServer.maxConnectionsPerIp).toBe(256);
    expect(c.poolServer.shareBatchInterval).toBe(1000);
    expect(c.poolServer.fixedDiffSeparator).toBe('+');
    expect(c.poolServer.clusterForks).toBe('auto');
    expect(c.poolServer.addressPolicy).toEqual({ integrated: 'reject', subaddress: 'allow' });
    expect(c.poolServer.health).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 9101,
      maxTemplateAge: 120,
      cloudwatchNamespace: null,
    });
    expect(c.poolServer.ports[0]).toEqual({
      port: 3333,
      difficulty: 1000,
      desc: '',
      tls: false,
      proxyProtocol: false,
      hidden: false,
      solo: false,
    });
    expect(c.rewards).toEqual({ scheme: 'prop', pplnsWindow: 2, soloFee: 0.5, finderReward: 0 });
    expect(c.payments.feePayer).toBe('pool');
    expect(c.payments.priority).toBe(0);
    expect(c.payments.maxAddresses).toBe(15);
    expect(c.payments.lockTtl).toBe(300);
    expect(c.blockUnlocker.depth).toBe(60);
    expect(c.blockUnlocker.donations).toEqual([]);
    expect(c.api.host).toBe('0.0.0.0');
    expect(c.api.trustProxy).toBe(false);
    expect(c.api.password).toBeNull();
    expect(c.stats).toEqual({ interval: 60, chartInterval: 300, chartRetention: 172800 });
    expect(c.daemon).toEqual({ host: '127.0.0.1', port: 18081, timeout: 10000, retries: 3, zmq: null });
    expect(c.wallet.timeout).toBe(60000);
    expect(c.redis).toEqual({
      host: '127.0.0.1',
      port: 6379,
      auth: null,
      username: null,
      db: 0,
      tls: false,
      cluster: false,
    });
    expect([c.payments.minReplicas, c.payments.replicaTimeout]).toEqual(['auto', 2000]);
    expect(c.devnet.dataDir).toBe('.data/devnet');
    expect(c.devnet.fixedDifficulty).toBe(50);
    expect(c.logging.files).toEqual({ level: 'info', directory: 'logs', flushInterval: 5 });
  });

  it('caps the payment batch at 15', () => {
    expect(paymentBatchSize(configFromObject(minimal()).payments)).toBe(15);
    expect(paymentBatchSize({ maxAddresses: 50 })).toBe(15);
    expect(paymentBatchSize({ maxAddresses: 4 })).toBe(4);
  });
});

describe('seed compatibility', () => {
  it("loads the seed's config_example.json fields", () => {
    const c = configFromObject(SEED_CONFIG);
    expect(c.poolServer.ports[3]!.hidden).toBe(true);
    expect(c.payments.transferFee).toBe(5000000000n);
    expect(c.payments.denomination).toBe(100000000000n);
    expect(c.payments.maxAddresses).toBe(50);
    expect(c.blockUnlocker.poolFee).toBe(1.8);
    // no devAddress/coreDevAddress: the seed's hard-coded donations are not paid, and we say so
    expect(c.blockUnlocker.donations).toEqual([]);
    const w = configWarnings(c).join('\n');
    expect(w).toContain('payments.mixin is ignored');
    expect(w).toContain('slushMining.blockTime is ignored');
    expect(w).toContain('maxAddresses 50 is capped at 15');
    expect(w).toContain('blockUnlocker.devDonation (0.1 %) is not paid');
    expect(w).toContain('blockUnlocker.coreDevDonation (0.1 %) is not paid');
    expect(w).toContain('api.password is still the example value');
  });

  it('maps devDonation/coreDevDonation to donations when the addresses are set', () => {
    const c = configFromObject(
      minimal({
        blockUnlocker: {
          devDonation: 0.1,
          devAddress: SEED_ADDR,
          coreDevDonation: 0.2,
          coreDevAddress: ADDR,
          donations: [{ address: ADDR, percent: 0.5 }],
        },
      }),
    );
    expect(c.blockUnlocker.donations).toEqual([
      { address: ADDR, percent: 0.5 },
      { address: SEED_ADDR, percent: 0.1 },
      { address: ADDR, percent: 0.2 },
    ]);
  });
});

describe('money', () => {
  it('accepts integers and decimal strings, as bigint', () => {
    const c = configFromObject(
      minimal({
        coinUnits: 1000000000000,
        payments: { transferFee: '0', minPayment: 5, denomination: '123456789012345678901' },
      }),
    );
    expect(c.coinUnits).toBe(1000000000000n);
    expect(c.payments.transferFee).toBe(0n);
    expect(c.payments.minPayment).toBe(5n);
    expect(c.payments.denomination).toBe(123456789012345678901n);
  });

  it.each([
    ['payments.minPayment', { minPayment: -1 }, '-1'],
    ['payments.transferFee', { transferFee: '-5' }, '"-5"'],
    ['payments.denomination', { denomination: 1.5 }, '1.5'],
    ['payments.denomination', { denomination: '1.5' }, '"1.5"'],
    ['payments.minPayment', { minPayment: 0 }, '0'],
    ['payments.transferFee', { transferFee: '1e9' }, '"1e9"'],
    ['payments.transferFee', { transferFee: true }, 'true'],
  ])('rejects %s = %j', (path, payments, shown) => {
    const problems = problemsOf(() => configFromObject(minimal({ payments })));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^${path.replace('.', '\\.')}: expected a (non-negative|positive) integer amount .*, got ${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      ),
    );
  });

  it('rejects unsafe JSON integers with advice', () => {
    const [p] = problemsOf(() => configFromObject(minimal({ payments: { minPayment: 2 ** 60 } })));
    expect(p).toContain('payments.minPayment: expected');
    expect(p).toContain('write them as a decimal string');
  });
});

describe('bad fields name their path', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'negative difficulty',
      {
        poolServer: {
          poolAddress: ADDR,
          ports: [
            { port: 3333, difficulty: 10 },
            { port: 4444, difficulty: -5 },
          ],
        },
      },
      'poolServer.ports[1].difficulty: expected a positive integer, got -5',
    ],
    ['wrong type', minimal({ daemon: { port: '18081' } }), 'daemon.port: expected a port from 1 to 65535, got "18081"'],
    ['bad port', minimal({ redis: { port: 70000 } }), 'redis.port: expected a port from 1 to 65535, got 70000'],
    [
      'port 0 for stratum',
      { poolServer: { poolAddress: ADDR, ports: [{ port: 0, difficulty: 1 }] } },
      'poolServer.ports[0].port: expected a port from 1 to 65535, got 0',
    ],
    [
      'clusterForks string',
      { poolServer: { poolAddress: ADDR, clusterForks: 'many', ports: [{ port: 1, difficulty: 1 }] } },
      'poolServer.clusterForks: expected "auto" or a positive integer, got "many"',
    ],
    [
      'clusterForks zero',
      { poolServer: { poolAddress: ADDR, clusterForks: 0, ports: [{ port: 1, difficulty: 1 }] } },
      'poolServer.clusterForks: expected "auto" or a positive integer, got 0',
    ],
    [
      'bad enum',
      minimal({ rewards: { scheme: 'pps' } }),
      'rewards.scheme: expected one of "prop", "pplns", "solo", got "pps"',
    ],
    [
      'bad log level',
      minimal({ logging: { console: { level: 'verbose' } } }),
      'logging.console.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "verbose"',
    ],
    [
      'percent over 100',
      minimal({ blockUnlocker: { poolFee: 150 } }),
      'blockUnlocker.poolFee: expected a percentage from 0 to 100, got 150',
    ],
    [
      'missing poolAddress',
      { poolServer: { ports: [{ port: 1, difficulty: 1 }] } },
      'poolServer.poolAddress: expected a non-empty string, got nothing (the field is missing)',
    ],
    [
      'unknown key',
      minimal({ payments: { minPaymnet: 5 } }),
      'payments.minPaymnet: unknown field (did you mean "minPayment"?)',
    ],
    ['unknown top-level key', minimal({ foo: 1 }), 'foo: unknown field (not a pool setting; check the spelling)'],
    [
      'unknown key in array item',
      { poolServer: { poolAddress: ADDR, ports: [{ port: 1, difficulty: 1, dificulty: 2 }] } },
      'poolServer.ports[0].dificulty: unknown field (did you mean "difficulty"?)',
    ],
    [
      'secret not echoed',
      minimal({ wallet: { password: 12345 } }),
      'wallet.password: expected a non-empty string, got a number (value hidden)',
    ],
  ];
  it.each(cases)('%s', (_name, input, line) => {
    expect(problemsOf(() => configFromObject(input))).toContain(line);
  });

  it('lists every problem in one error message', () => {
    let err: unknown;
    try {
      configFromObject(minimal({ redis: { port: 0, db: -1 }, api: { port: 'x' } }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PoolError);
    const e = err as PoolError;
    expect(e.code).toBe(ERRORS.CONFIG_INVALID);
    expect(e.message).toContain('(3 problems)');
    expect(e.message).toContain('redis.port: expected a port from 1 to 65535, got 0');
    expect(e.message).toContain('redis.db: expected a non-negative integer, got -1');
    expect(e.message).toContain('api.port: expected a port from 0 to 65535 (0 = pick a free port), got "x"');
  });

  it('allows port 0 where it means "pick a free port"', () => {
    const c = configFromObject(
      minimal({
        api: { port: 0 },
        poolServer: { poolAddress: ADDR, ports: [{ port: 3333, difficulty: 1 }], health: { port: 0 } },
      }),
    );
    expect(c.api.port).toBe(0);
    expect(c.poolServer.health.port).toBe(0);
  });
});

describe('cross-field checks', () => {
  it('rejects duplicate ports, TLS without certificates, minDiff > maxDiff, no ports', () => {
    const problems = problemsOf(() =>
      configFromObject({
        poolServer: {
          poolAddress: ADDR,
          ports: [
            { port: 3333, difficulty: 1 },
            { port: 3333, difficulty: 2, tls: true },
          ],
          varDiff: { minDiff: 10, maxDiff: 5 },
        },
        api: { port: 3333 },
      }),
    );
    expect(problems).toContain('poolServer.ports[1].port: port 3333 is already used by poolServer.ports[0]');
    expect(problems).toContain(
      'poolServer.ports[1].tls: a TLS port needs poolServer.tls {cert, key}, which is not set',
    );
    expect(problems).toContain('poolServer.varDiff.minDiff: expected at most varDiff.maxDiff (5), got 10');
    expect(problems).toContain('api.port: port 3333 is already used by poolServer.ports[0]');
    expect(problemsOf(() => configFromObject({ poolServer: { poolAddress: ADDR } }))).toEqual([
      'poolServer.ports: expected at least one port while poolServer.enabled is true, got none',
    ]);
    expect(configFromObject({ poolServer: { poolAddress: ADDR, enabled: false } }).poolServer.ports).toEqual([]);
  });

  it('rejects fees plus donations of 100 % or more', () => {
    const [p] = problemsOf(() =>
      configFromObject(minimal({ blockUnlocker: { poolFee: 60, donations: [{ address: ADDR, percent: 40 }] } })),
    );
    expect(p).toBe(
      'blockUnlocker.donations: poolFee plus donations (and finder reward) must stay below 100 %, got 100 %',
    );
  });

  it('payments.walletRefreshTimeout is at most half of payments.lockTtl (the refresh runs under the lock)', () => {
    expect(
      problemsOf(() => configFromObject(minimal({ payments: { lockTtl: 40, walletRefreshTimeout: 21 } }))),
    ).toEqual([
      "payments.walletRefreshTimeout: expected at most half of payments.lockTtl (40 s: the refresh runs under the payer's lock), got 21",
    ]);
    expect(configFromObject(minimal({ payments: { lockTtl: 40, walletRefreshTimeout: 20 } })).payments.lockTtl).toBe(
      40,
    );
  });

  it('redis.cluster needs db 0; payments.minReplicas is "auto" or 0..16', () => {
    expect(problemsOf(() => configFromObject(minimal({ redis: { cluster: true, db: 2 } })))).toEqual([
      'redis.db: expected 0 with redis.cluster (a Redis Cluster has only database 0), got 2',
    ]);
    const c = configFromObject(
      minimal({ redis: { cluster: true, tls: true, username: 'pool' }, payments: { minReplicas: 1 } }),
    );
    expect([c.redis.cluster, c.redis.username, c.payments.minReplicas]).toEqual([true, 'pool', 1]);
    expect(problemsOf(() => configFromObject(minimal({ payments: { minReplicas: 'all' } })))[0]).toMatch(
      /^payments\.minReplicas: expected "auto" or an integer from 0 to 16/,
    );
  });

  it('rejects slush mining with a non-prop scheme', () => {
    const problems = problemsOf(() =>
      configFromObject({
        poolServer: { poolAddress: ADDR, ports: [{ port: 1, difficulty: 1 }], slushMining: { enabled: true } },
        rewards: { scheme: 'pplns' },
      }),
    );
    expect(problems[0]).toMatch(/^poolServer\.slushMining\.enabled: slush mining/);
  });

  it('checks the pool and donation addresses against the network', () => {
    expect(problemsOf(() => configFromObject(minimal({ network: 'stagenet' })))).toEqual([
      'poolServer.poolAddress: expected a stagenet address (network is "stagenet"), got a mainnet address',
    ]);
    const [bad] = problemsOf(() =>
      configFromObject({ poolServer: { poolAddress: 'notanaddress', ports: [{ port: 1, difficulty: 1 }] } }),
    );
    expect(bad).toMatch(
      /^poolServer\.poolAddress: expected a Monero mainnet address for the pool wallet, got an invalid one \(/,
    );
    const [don] = problemsOf(() =>
      configFromObject(minimal({ blockUnlocker: { donations: [{ address: ADDR.slice(0, -1) + 'x', percent: 1 }] } })),
    );
    expect(don).toMatch(/^blockUnlocker\.donations\[0\]\.address: expected a Monero mainnet address/);
    const [dev] = problemsOf(() => configFromObject(minimal({ blockUnlocker: { devAddress: 'x', devDonation: 1 } })));
    expect(dev).toMatch(/^blockUnlocker\.devAddress: expected a Monero mainnet address/);
    const parts = parseAddress(ADDR);
    const sub = encodeAddress({
      network: 'mainnet',
      kind: 'subaddress',
      spendKey: parts.spendKey,
      viewKey: parts.viewKey,
    });
    expect(
      problemsOf(() => configFromObject({ poolServer: { poolAddress: sub, ports: [{ port: 1, difficulty: 1 }] } })),
    ).toEqual([
      "poolServer.poolAddress: expected the pool wallet's primary (standard) address, got a subaddress (monerod cannot mine to one)",
    ]);
    // donations may go to subaddresses
    expect(
      configFromObject(minimal({ blockUnlocker: { donations: [{ address: sub, percent: 1 }] } })).blockUnlocker
        .donations,
    ).toHaveLength(1);
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pool-config-'));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads comments and trailing commas, applies overrides', () => {
    const p = write(
      'ok.json',
      `// comment\n{ /* c */ "poolServer": { "poolAddress": "${ADDR}", "ports": [{"port": 3333, "difficulty": 5,},], }, }`,
    );
    const c: PoolConfig = loadConfig(p, {
      redis: { port: 7000 },
      poolServer: { ports: [{ port: 4000, difficulty: 9 }] },
    });
    expect(c.redis.port).toBe(7000);
    expect(c.poolServer.poolAddress).toBe(ADDR);
    expect(c.poolServer.ports.map((x) => x.port)).toEqual([4000]);
  });

  it('reports syntax errors with line and column', () => {
    const p = write('bad.json', '{\n  "coin": "monero"\n  "symbol": "XMR"\n}');
    expect(() => loadConfig(p)).toThrow(/bad\.json:3:3: CommaExpected/);
  });

  it('reports duplicate keys', () => {
    expect(() => parseConfigText('{"payments": {"minPayment": 1,\n "minPayment": 2}}', 'x.json')).toThrow(
      /x\.json:2:2: payments\.minPayment is set twice/,
    );
  });

  it('names the file in validation errors and reports unreadable files', () => {
    const p = write('inv.json', '{"poolServer": {"poolAddress": 5}}');
    expect(() => loadConfig(p)).toThrow(
      /invalid config file .*inv\.json \(1 problem\):\n {2}poolServer\.poolAddress: expected a non-empty string, got 5$/,
    );
    try {
      loadConfig(join(dir, 'missing.json'));
      expect.unreachable();
    } catch (e) {
      expect(isPoolError(e, ERRORS.CONFIG_UNREADABLE)).toBe(true);
    }
  });
});

describe('fixedDiffSeparator', () => {
  it.each(['.', ':', 'a', '7', ' ', '++'])('rejects %j', (sep) => {
    const [p] = problemsOf(() =>
      configFromObject({
        poolServer: { poolAddress: ADDR, ports: [{ port: 1, difficulty: 1 }], fixedDiffSeparator: sep },
      }),
    );
    expect(p).toBe(
      `poolServer.fixedDiffSeparator: expected one character other than a letter, digit, space, "." or ":", got ${JSON.stringify(sep)}`,
    );
  });
  it('accepts "#"', () => {
    expect(
      configFromObject({
        poolServer: { poolAddress: ADDR, ports: [{ port: 1, difficulty: 1 }], fixedDiffSeparator: '#' },
      }).poolServer.fixedDiffSeparator,
    ).toBe('#');
  });
});
