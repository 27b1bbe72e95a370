/**
 * The website's pure modules, in Node: number formatting (bigint money), the xmrig generator, the parsers from
 * the API's seed-format JSON, the runtime config and the in-browser address check.
 */
import { describe, expect, it } from 'vitest';
import { checkAddress } from '../website/src/address.js';
import { resolveConfig, explorerUrl } from '../website/src/config.js';
import {
  coinsExact,
  formatAgo,
  formatCoins,
  formatDuration,
  formatHashrate,
  formatInt,
  parseCoins,
} from '../website/src/format.js';
import { hashrate, parseBlocks, parseChart, parsePayments, parseStats, parseWorkers } from '../website/src/model.js';
import { buildXmrig, checkWorkerName, parseFixedDiff } from '../website/src/xmrig.js';
import { parseJson } from '../website/src/api.js';

const XMR = 1_000_000_000_000n;
const ADDRESS = '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';
const SUBADDRESS = '888tNkZrPN6JsEgekjMnABU4TBzc2Dt29EPAvkRxbANsAnjyPbb3iQ1YBRk1UXcdRsiKc9dhwMVgN5S9cQUiyoogDavup3H';

describe('format', () => {
  it('hashrates in SI steps with three significant digits', () => {
    expect(formatHashrate(0)).toBe('0 H/s');
    expect(formatHashrate(7.5)).toBe('7.5 H/s');
    expect(formatHashrate(999)).toBe('999 H/s');
    expect(formatHashrate(1234)).toBe('1.23 kH/s');
    expect(formatHashrate(45_600_000)).toBe('45.6 MH/s');
    expect(formatHashrate(2.5e12)).toBe('2.50 TH/s');
  });

  it('coin amounts from bigint atomic units, cut and never rounded up', () => {
    expect(formatCoins(0n, XMR, 'XMR')).toBe('0.00 XMR');
    expect(formatCoins(600_000_000_000n, XMR, 'XMR')).toBe('0.60 XMR');
    expect(formatCoins(1_234_567_890_123n, XMR)).toBe('1.2345');
    expect(formatCoins(12_345_678_999_999_999n, XMR)).toBe('12,345.6789');
    expect(formatCoins(999_999_999n, XMR)).toBe('0.000999');
    expect(formatCoins(5n, XMR)).toBe('0.000000000005');
    expect(formatCoins(-1_500_000_000_000n, XMR)).toBe('-1.50');
    expect(coinsExact(1_234_567_890_123n, XMR)).toBe('1.234567890123');
    expect(coinsExact(3n * XMR, XMR)).toBe('3');
  });

  it('parses typed amounts exactly', () => {
    expect(parseCoins('0.25', XMR)).toBe(250_000_000_000n);
    expect(parseCoins('1', XMR)).toBe(XMR);
    expect(parseCoins('.5', XMR)).toBe(500_000_000_000n);
    expect(parseCoins('0.0000000000001', XMR)).toBeNull();
    expect(parseCoins('abc', XMR)).toBeNull();
    expect(parseCoins('', XMR)).toBeNull();
  });

  it('integers, durations and relative times', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt('123456789012345678901')).toBe('123,456,789,012,345,678,901');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(125)).toBe('2 min 5 s');
    const now = 1_700_000_000_000;
    expect(formatAgo(now - 2_000, now)).toBe('just now');
    expect(formatAgo(now - 42_000, now)).toBe('42 s ago');
    expect(formatAgo(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatAgo(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3 days ago');
    expect(formatAgo(0, now)).toBe('never');
  });
});

describe('xmrig generator', () => {
  const base = {
    host: 'pool.example.com',
    port: 3333,
    tls: false,
    address: ADDRESS,
    worker: 'rig1',
    workerStyle: 'rigid' as const,
    fixedDiff: null,
  };

  it('rig-id style keeps the login a bare address', () => {
    const out = buildXmrig(base);
    expect(out.login).toBe(ADDRESS);
    expect(out.commandLine).toBe(`./xmrig -o pool.example.com:3333 -u ${ADDRESS} -p x --rig-id rig1 -k --coin monero`);
    expect(JSON.parse(out.configJson)).toEqual({
      autosave: true,
      cpu: true,
      opencl: false,
      cuda: false,
      pools: [
        {
          url: 'pool.example.com:3333',
          user: ADDRESS,
          pass: 'x',
          'rig-id': 'rig1',
          keepalive: true,
          tls: false,
          coin: 'monero',
        },
      ],
    });
  });

  it('address.worker+diff login, TLS and solo', () => {
    const out = buildXmrig({ ...base, port: 5555, tls: true, workerStyle: 'login', fixedDiff: 50000, solo: true });
    expect(out.login).toBe(`solo:${ADDRESS}.rig1+50000`);
    expect(out.commandLine).toBe(
      `./xmrig -o pool.example.com:5555 -u solo:${ADDRESS}.rig1+50000 -p x -k --coin monero --tls`,
    );
    const cfg = JSON.parse(out.configJson) as { pools: Array<Record<string, unknown>> };
    expect(cfg.pools[0]).toMatchObject({ user: `solo:${ADDRESS}.rig1+50000`, tls: true, 'rig-id': null });
  });

  it('honours the pool separator and validates fields', () => {
    expect(buildXmrig({ ...base, worker: '', fixedDiff: 7, separator: '.' }).login).toBe(`${ADDRESS}.7`);
    expect(checkWorkerName('rig_1-a')).toBeNull();
    expect(checkWorkerName('bad name')).toMatch(/letters, digits/);
    expect(parseFixedDiff('')).toEqual({ ok: true, value: null });
    expect(parseFixedDiff(' 50000 ')).toEqual({ ok: true, value: 50000 });
    expect(parseFixedDiff('5e4')).toMatchObject({ ok: false });
    expect(parseFixedDiff('0')).toMatchObject({ ok: false });
    expect(parseFixedDiff('1234567890123456')).toMatchObject({ ok: false });
  });
});

describe('address check', () => {
  it('accepts standard and subaddresses on the pool network', () => {
    expect(checkAddress(ADDRESS, 'mainnet')).toEqual({ ok: true, kind: 'standard' });
    expect(checkAddress(` ${SUBADDRESS} `, 'mainnet')).toEqual({ ok: true, kind: 'subaddress' });
  });

  it('says what is wrong', () => {
    expect(checkAddress('', 'mainnet')).toMatchObject({ ok: false, message: /Enter your Monero wallet address/ });
    expect(checkAddress('4abc', 'mainnet')).toMatchObject({
      ok: false,
      message: /4 characters; a Monero address has 95/,
    });
    const typo = ADDRESS.slice(0, 50) + (ADDRESS[50] === 'a' ? 'b' : 'a') + ADDRESS.slice(51);
    expect(checkAddress(typo, 'mainnet')).toMatchObject({ ok: false, message: /checksum/ });
    expect(checkAddress(ADDRESS, 'stagenet')).toMatchObject({
      ok: false,
      message: /mainnet address, but this pool runs on stagenet/,
    });
    expect(checkAddress('4 ' + ADDRESS.slice(2), 'mainnet')).toMatchObject({ ok: false, message: /spaces/ });
  });
});

describe('API parsers', () => {
  it('reads the seed-format /stats', () => {
    const s = parseStats(
      parseJson(
        JSON.stringify({
          config: {
            ports: [{ port: 3333, difficulty: 5000, desc: 'Low', tls: false }],
            fee: 1.5,
            depth: 60,
            minPaymentThreshold: 100000000000,
            scheme: 'pplns',
          },
          network: {
            difficulty: 300000000000,
            height: 3000000,
            timestamp: 1700000000,
            reward: 600000000000,
            hash: 'ab'.repeat(32),
            hashrate: 2500000000,
          },
          pool: {
            hashrate: 12345,
            miners: 3,
            workers: 5,
            roundHashes: '150000000000',
            effort: 0.5,
            lastBlockFound: '1700000000000',
            lastBlockFoundHeight: 2999990,
            stats: {},
            totalBlocks: 2,
            blocks: [
              `${'cd'.repeat(32)}:1700000000:300:150`,
              '2999999',
              `${'ef'.repeat(32)}:1699990000:300:450:0:600000000000`,
              '2999900',
            ],
            payments: [`${'12'.repeat(32)}:500000000000:30000000:15:2`, '1700000100'],
            totalPayments: 1,
            totalMinersPaid: 2,
          },
        }),
      ),
    );
    expect(s.config.ports).toEqual([{ port: 3333, difficulty: 5000, desc: 'Low', tls: false, solo: false }]);
    expect(s.network.difficulty).toBe(300_000_000_000n);
    expect(s.network.timestamp).toBe(1_700_000_000_000);
    expect(s.pool.roundEffort).toBe(0.5);
    expect(s.pool.lastBlockFound).toBe(1_700_000_000_000);
    expect(s.pool.blocks.map((b) => [b.height, b.status, b.reward])).toEqual([
      [2999999, 'pending', null],
      [2999900, 'confirmed', 600_000_000_000n],
    ]);
    expect(s.pool.payments[0]).toMatchObject({
      amount: 500_000_000_000n,
      fee: 30_000_000n,
      payees: 2,
      time: 1_700_000_100_000,
    });
    expect(s.config.minPaymentThreshold).toBe(100_000_000_000n);
  });

  it('keeps integers beyond 2^53 exact where JSON.parse exposes the source text (Chromium; not Node 20)', () => {
    const v = parseJson('{"a": 123456789012345678901, "b": 5}') as { a: unknown; b: unknown };
    const sourceText = (
      JSON.parse as (t: string, r: (k: string, v: unknown, c?: { source?: string }) => unknown) => unknown
    )('1', (_k, _v, c) => c?.source);
    expect(v.a).toBe(sourceText === '1' ? 123456789012345678901n : Number('123456789012345678901'));
    expect(v.b).toBe(5);
  });

  it('orphans, object rows, workers, charts and the seed hashrate strings', () => {
    expect(parseBlocks([`${'aa'.repeat(32)}:1:2:3:1`, '10'])[0]?.status).toBe('orphaned');
    expect(parsePayments([{ hash: 'x', amount: '5', time: 10 }])[0]).toMatchObject({ amount: 5n, time: 10_000 });
    expect(parseWorkers([{ name: 'rig1', hashrate: 100, lastShare: 1700000000 }])).toEqual([
      { name: 'rig1', hashrate: 100, lastShare: 1_700_000_000_000, hashes: null },
    ]);
    expect(
      parseChart([
        [20, 2],
        [10, 1],
      ]),
    ).toEqual({ times: [10, 20], values: [1, 2] });
    expect(parseChart({ points: [{ time: 10, value: 3 }] })).toEqual({ times: [10], values: [3] });
    expect(hashrate('12.00 KH')).toBe(12 * 1024);
    expect(hashrate(5)).toBe(5);
  });
});

describe('runtime config', () => {
  it('reads window.POOL_CONFIG with defaults', () => {
    const c = resolveConfig({
      POOL_CONFIG: {
        api: 'https://api.example.com/',
        coinUnits: '1000000000000',
        network: 'stagenet',
        refreshSeconds: 0,
      },
    });
    expect(c.api).toBe('https://api.example.com');
    expect(c.coinUnits).toBe(XMR);
    expect(c.network).toBe('stagenet');
    expect(c.refreshSeconds).toBe(10);
  });

  it('falls back to the seed website_example globals', () => {
    const c = resolveConfig({
      api: 'http://poolhost:8117',
      coinUnits: 1000000000000,
      poolHost: 'pool.example',
      blockchainExplorer: 'https://x/{symbol}/block/{id}',
    });
    expect(c.api).toBe('http://poolhost:8117');
    expect(c.poolHost).toBe('pool.example');
    expect(explorerUrl(c.blockExplorer, 'ab'.repeat(32), 'XMR')).toBe(`https://x/xmr/block/${'ab'.repeat(32)}`);
    expect(explorerUrl(c.blockExplorer, 'not-a-hash', 'XMR')).toBe('');
  });
});
