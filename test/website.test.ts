/**
 * The website in a real browser (playwright-core driving Debian's /usr/bin/chromium, headless) against the real
 * API (functions/api startApiServer) over a real redis-server and `monerod --regtest`, with pool data written by
 * the real writers:
 * - shares and found blocks: the stratum node's ShareRecorder (CONTRACTS.md "What the stratum node writes"),
 *   plus two hours of earlier hashrate buckets written field by field in the same format;
 * - blocks settled by the real unlocker (functions/unlocker) against the regtest chain: two unlocked, one orphaned
 *   (a hash the chain does not have), two still pending;
 * - payments as the payer records them (paymentsAll / payments(addr) seed-format members, worker paid/balance);
 * - functions/stats run at earlier times (chart history) and now (the snapshot).
 * The site is built with Vite into a temp folder whose config.js is overwritten the way the cloud deploy does it,
 * and served by the API at `/`. Every page is compared with the API's own replies; screenshots go to
 * test-artifacts/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../functions/api/index.js';
import { run as runStats } from '../functions/stats/index.js';
import { run as runUnlocker } from '../functions/unlocker/index.js';
import { configFromObject } from '../shared/config/load.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { silentLogger } from '../shared/log.js';
import { encodeAddress } from '../shared/monero/address.js';
import { createRedis } from '../shared/redis/client.js';
import { HASHRATE_BUCKET_SECONDS, keySchema } from '../shared/redis/keys.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import { ShareRecorder } from '../stratum-node/recorder.js';
import { parseJson } from '../website/src/api.js';
import { formatCoins, formatHashrate, formatInt, formatPercent } from '../website/src/format.js';
import { parseMinerStats, parseStats, parseWorkers, type PoolStats } from '../website/src/model.js';
import { startChain, mature, startRedis, type Chain, type RedisService } from './harness/index.js';
import { CHROMIUM_ARGS, SHOTS } from './support/browser.js';

// ---- fixture constants ------------------------------------------------------------------------------------------

const POOL_ADDRESS = '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';
const MINER_A = '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';
const MINER_B = '888tNkZrPN6JsEgekjMnABU4TBzc2Dt29EPAvkRxbANsAnjyPbb3iQ1YBRk1UXcdRsiKc9dhwMVgN5S9cQUiyoogDavup3H';
const MINER_C = encodeAddress({
  network: 'mainnet',
  kind: 'standard',
  spendKey: '11'.repeat(32),
  viewKey: '22'.repeat(32),
});
/** MINER_A with one character changed in a full base58 block: the checksum no longer matches. */
const TYPO = MINER_A.slice(0, 50) + (MINER_A[50] === 'a' ? 'b' : 'a') + MINER_A.slice(51);
/** A valid address that never mined here. */
const STRANGER = encodeAddress({
  network: 'mainnet',
  kind: 'standard',
  spendKey: '33'.repeat(32),
  viewKey: '44'.repeat(32),
});
const ADMIN_TOKEN = 'correct horse battery staple';
const DEPTH = 10;
const XMR = 1_000_000_000_000n;
const EXPLORER_TX = 'https://explorer.test/tx/{id}';
const EXPLORER_BLOCK = 'https://explorer.test/block/{id}';
/** Worker hashrates (H/s) the history is written with: [login, rig, mean]. */
const RIGS: Array<[string, string, number]> = [
  [MINER_A, 'rig1', 3200],
  [MINER_A, 'laptop', 850],
  [MINER_B, 'default', 1900],
  [MINER_C, 'nuc', 600],
];

// ---- state ------------------------------------------------------------------------------------------------------

let redisSvc: RedisService;
let chain: Chain;
let redis: Redis;
let storage: IoredisStorage;
let config: PoolConfig;
let recorder: ShareRecorder;
let api: ApiServer;
let apiStopped = false;
let siteDir: string;
let profileDir: string;
let browser: BrowserContext;
let tip = 0;
const keys = keySchema('monero');
const log = silentLogger();

async function apiJson(path: string, token?: string): Promise<unknown> {
  const res = await fetch(`${api.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  expect(res.ok, `${path} -> HTTP ${res.status}`).toBe(true);
  return parseJson(await res.text());
}

async function apiStats(): Promise<PoolStats> {
  return parseStats(await apiJson('/stats'));
}

async function statsRun(nowMs: number): Promise<void> {
  await runStats({ storage, daemon: chain.daemon, config, log, now: () => nowMs });
}

/** Opens a page at `#/<route>` and waits for the shell's first /stats. */
async function open(route: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { jsErrors?: string[] }).jsErrors = errors;
  await page.goto(`${api.url}/#/${route}`);
  await page.waitForSelector('#live.live.ok:text("Live")');
  return page;
}

function jsErrors(page: Page): string[] {
  return (page as Page & { jsErrors?: string[] }).jsErrors ?? [];
}

async function tileText(page: Page, key: string): Promise<string> {
  return (await page.locator(`[data-stat="${key}"] .value`).textContent())?.trim() ?? '';
}

async function shot(page: Page, name: string): Promise<void> {
  // from the top (the sticky header would otherwise land mid-page), after uPlot's first frame
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Chart canvases on the page with a drawn size. */
async function chartSizes(page: Page): Promise<Array<{ w: number; h: number }>> {
  return page.$$eval('.chart canvas', (els) =>
    els.map((c) => ({ w: (c as HTMLCanvasElement).width, h: (c as HTMLCanvasElement).height })),
  );
}

function coins(atomic: bigint): string {
  return formatCoins(atomic, XMR, 'XMR');
}

// ---- data, written by the pool's own writers --------------------------------------------------------------------

/** HINCRBY the hashrate buckets for [fromSec, toSec) as the stratum node does for accepted shares. */
async function writeHistory(fromSec: number, toSec: number): Promise<void> {
  const cmds: string[][] = [];
  const ttl = String(config.api.hashrateWindow * 2 + 3600);
  for (let b = fromSec - (fromSec % HASHRATE_BUCKET_SECONDS); b < toSec; b += HASHRATE_BUCKET_SECONDS) {
    const key = keys.hashrateBucket(b);
    let total = 0;
    for (const [login, rig, mean] of RIGS) {
      // a slow wave so the chart has a shape; difficulty per bucket = hashrate x 30 s
      const wave = 1 + 0.25 * Math.sin(b / 1500 + mean);
      const d = Math.round(mean * wave * HASHRATE_BUCKET_SECONDS);
      total += d;
      cmds.push(['HINCRBY', key, `m:${login}`, String(d)], ['HINCRBY', key, `w:${login}:${rig}`, String(d)]);
    }
    cmds.push(['HINCRBY', key, 'total', String(total)], ['EXPIRE', key, ttl]);
  }
  for (let i = 0; i < cmds.length; i += 500) await storage.pipeline(cmds.slice(i, i + 500));
}

function shares(login: string, rig: string, n: number, diff: number, atMs: number): void {
  for (let i = 0; i < n; i++) recorder.add({ login, rig, ip: '127.0.0.1', diff, solo: false, atMs });
}

async function foundBlock(height: number, timeMs: number, fakeHash = false): Promise<string> {
  const header = await chain.daemon.getBlockHeaderByHeight(height);
  const hash = fakeHash ? randomBytes(32).toString('hex') : header.hash;
  const ok = await recorder.recordBlock({
    hash,
    height,
    timeMs,
    difficulty: header.difficulty,
    finder: MINER_A,
    solo: false,
  });
  expect(ok).toBe(true);
  return hash;
}

/** A payout transaction recorded the way the payer records it (seed-format members, balance -> paid). */
async function payment(timeSec: number, dests: Array<[string, bigint]>, fee: bigint): Promise<string> {
  const tx = randomBytes(32).toString('hex');
  const total = dests.reduce((s, [, a]) => s + a, 0n);
  const cmds: string[][] = [['ZADD', keys.paymentsAll, String(timeSec), `${tx}:${total}:${fee}:15:${dests.length}`]];
  for (const [address, amount] of dests) {
    const share = fee / BigInt(dests.length);
    cmds.push(
      ['ZADD', keys.payments(address), String(timeSec), `${tx}:${amount}:${share}:15`],
      ['HINCRBY', keys.worker(address), 'balance', String(-amount)],
      ['HINCRBY', keys.worker(address), 'paid', String(amount)],
    );
  }
  await storage.multi(cmds);
  return tx;
}

async function seed(): Promise<void> {
  const nowMs = Date.now();
  const nowSec = Math.floor(nowMs / 1000);
  tip = (await mature(chain.daemon, 30, POOL_ADDRESS)) - 1;

  // two hours of hashrate history, with a stats run every chart interval (the chart points); the buckets go on for an
  // hour past now, so the hashrate window never slides onto empty buckets while the tests run (a page and an API
  // reply read a few seconds apart must see the same rates)
  await writeHistory(nowSec - 2 * 3600 - config.api.hashrateWindow, nowSec + 3600);
  for (let t = nowSec - 2 * 3600; t < nowSec - config.stats.chartInterval; t += config.stats.chartInterval) {
    await statsRun(t * 1000);
  }

  // rounds and found blocks (the round's shares are flushed with the block, as the node does)
  const minute = 60_000;
  shares(MINER_A, 'rig1', 3, 1, nowMs - 110 * minute);
  shares(MINER_B, 'default', 2, 1, nowMs - 105 * minute);
  shares(MINER_C, 'nuc', 1, 1, nowMs - 102 * minute);
  await foundBlock(10, nowMs - 100 * minute);
  shares(MINER_A, 'rig1', 2, 1, nowMs - 95 * minute);
  shares(MINER_C, 'nuc', 1, 1, nowMs - 92 * minute);
  await foundBlock(14, nowMs - 90 * minute, true); // orphan: the chain holds another block there
  shares(MINER_A, 'laptop', 1, 1, nowMs - 85 * minute);
  shares(MINER_B, 'default', 1, 1, nowMs - 82 * minute);
  await foundBlock(18, nowMs - 80 * minute);
  shares(MINER_A, 'rig1', 2, 1, nowMs - 30 * minute);
  await foundBlock(tip - 3, nowMs - 25 * minute);
  shares(MINER_C, 'nuc', 1, 1, nowMs - 8 * minute);
  await foundBlock(tip - 1, nowMs - 5 * minute);

  const unlocked = await runUnlocker({ storage, daemon: chain.daemon, config, log, now: () => Date.now() });
  expect([unlocked.unlocked, unlocked.orphaned, unlocked.waiting]).toEqual([2, 1, 2]);

  // payouts: four transactions, one of them to two miners
  await payment(nowSec - 70 * 60, [[MINER_A, 2n * XMR]], 30_000_000n);
  await payment(
    nowSec - 60 * 60,
    [
      [MINER_A, XMR],
      [MINER_B, 1_500_000_000_000n],
    ],
    42_000_000n,
  );
  await payment(nowSec - 50 * 60, [[MINER_C, 700_000_000_000n]], 28_000_000n);
  await payment(nowSec - 40 * 60, [[MINER_A, 2_250_000_000_000n]], 31_000_000n);

  // the open round and the last minutes of shares from every rig
  for (const [login, rig] of RIGS) shares(login, rig, 2, 1, Date.now());
  await recorder.flush();
  await statsRun(Date.now());
}

async function buildSite(): Promise<void> {
  siteDir = mkdtempSync(join(tmpdir(), 'pool-site-'));
  await build({
    configFile: resolve('website/vite.config.ts'),
    logLevel: 'silent',
    build: { outDir: siteDir, emptyOutDir: true, sourcemap: false },
  });
  // what the cloud deploy does: overwrite the runtime config
  writeFileSync(
    join(siteDir, 'config.js'),
    `window.POOL_CONFIG = ${JSON.stringify({
      api: '',
      poolHost: 'pool.example.test',
      coinUnits: '1000000000000',
      symbol: 'XMR',
      coinName: 'Monero',
      network: 'mainnet',
      blockExplorer: EXPLORER_BLOCK,
      txExplorer: EXPLORER_TX,
      poolName: 'Test Pool',
      email: 'ops@example.test',
      liveMode: 'poll',
      refreshSeconds: 2,
    })};\n`,
  );
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const [r, c] = await Promise.all([startRedis(), startChain({ fixedDifficulty: 1 }), buildSite()]);
  redisSvc = r;
  chain = c;
  config = configFromObject({
    coin: 'monero',
    poolServer: {
      poolAddress: POOL_ADDRESS,
      ports: [
        { port: 3333, difficulty: 5000, desc: 'Low-end CPUs' },
        { port: 5555, difficulty: 50000, desc: 'Fast CPUs and rigs' },
        { port: 9000, difficulty: 50000, desc: 'Encrypted (TLS)', tls: true },
        { port: 7777, difficulty: 500000, desc: 'Proxies', hidden: true },
      ],
      tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' },
    },
    daemon: { host: '127.0.0.1', port: chain.monerod.port },
    redis: { host: '127.0.0.1', port: redisSvc.port },
    api: { password: ADMIN_TOKEN, blocks: 2, payments: 3, hashrateWindow: 600, updateInterval: 1 },
    stats: { chartInterval: 300, chartRetention: 86400 },
    blockUnlocker: { depth: DEPTH, poolFee: 1.5 },
    payments: { minPayment: '300000000000' },
  });
  // the stratum node's connection (RESP2, shared/redis/client.ts) for the recorder; the functions' storage adapter
  redis = createRedis(config.redis);
  storage = createIoredisStorage(config.redis);
  recorder = new ShareRecorder(
    redis,
    {
      prefix: keys.prefix,
      scheme: 'prop',
      slushWeight: 0,
      pplnsWindow: 2,
      batchMs: 1000,
      hashrateWindowSec: 600,
      nodeId: 1,
    },
    log,
  );
  await seed();
  api = await startApiServer(
    {
      storage,
      daemon: chain.daemon,
      config,
      log,
      now: () => Date.now(),
      websiteDir: siteDir,
      longPoll: true,
      version: '0.1.0-test',
    },
    { host: '127.0.0.1', port: 0 },
  );
  profileDir = mkdtempSync(join(tmpdir(), 'pool-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    colorScheme: 'light',
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (!apiStopped) await api?.close();
  redis?.disconnect();
  await storage?.close();
  await chain?.stop();
  await redisSvc?.stop();
  for (const d of [siteDir, profileDir]) if (d) rmSync(d, { recursive: true, force: true });
}, 120_000);

// ---- the pages ----------------------------------------------------------------------------------------------------

describe('website (real browser, real API)', () => {
  it('home shows the pool and network numbers of /stats, and the chart draws', async () => {
    const page = await open('');
    const s = await apiStats();
    expect(s.network.height).toBe(tip);
    expect(await tileText(page, 'pool-hashrate')).toBe(formatHashrate(s.pool.hashrate));
    expect(await tileText(page, 'miners')).toBe(formatInt(s.pool.miners));
    expect(s.pool.miners).toBe(3);
    expect(await tileText(page, 'workers')).toBe(formatInt(s.pool.workers));
    expect(s.pool.workers).toBe(4);
    expect(await tileText(page, 'blocks-found')).toBe(formatInt(s.pool.totalBlocks));
    expect(s.pool.totalBlocks).toBe(5);
    expect(await tileText(page, 'last-block')).toMatch(/^\d+ min ago$/);
    expect(await page.locator('[data-stat="last-block"] .hint').textContent()).toBe(`at height ${formatInt(tip - 1)}`);
    expect(await tileText(page, 'round-effort')).toBe(formatPercent(s.pool.roundEffort ?? NaN, 1));
    expect(await tileText(page, 'pool-fee')).toBe('1.5 %');
    expect(await tileText(page, 'network-height')).toBe(formatInt(tip));
    expect(await tileText(page, 'network-difficulty')).toBe(formatInt(s.network.difficulty));
    expect(await tileText(page, 'network-hashrate')).toBe(formatHashrate(s.network.hashrate));
    expect(await tileText(page, 'block-reward')).toBe(coins(s.network.reward));
    expect(await page.getAttribute('[data-stat="block-reward"]', 'data-value')).toBe(s.network.reward.toString());
    // the chart: a canvas with a real size, fed with the stats history
    await page.waitForFunction(() => document.querySelector('.chart canvas') !== null);
    const sizes = await chartSizes(page);
    expect(sizes.length).toBe(1);
    expect(sizes[0]!.w).toBeGreaterThan(300);
    expect(sizes[0]!.h).toBeGreaterThan(100);
    const points = (await apiJson('/charts/pool?name=hashrate')) as { points: unknown[] };
    expect(points.points.length).toBeGreaterThan(10);
    await expect.poll(() => page.locator('.chart-note').isHidden()).toBe(true);
    expect(await page.title()).toBe('Pool overview · Test Pool');
    await shot(page, 'home');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('getting started lists the public ports and writes the xmrig command line and config.json', async () => {
    const page = await open('start');
    const rows = await page.$$eval('[data-table="ports"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())),
    );
    expect(rows).toEqual([
      ['3333', '5,000', 'Low-end CPUs', 'No'],
      ['5555', '50,000', 'Fast CPUs and rigs', 'No'],
      ['9000', '50,000', 'Encrypted (TLS)', 'Yes'],
    ]);
    expect(await page.textContent('#pool-host')).toBe('pool.example.test');

    // a bad address gets a clear message and no command
    await page.fill('#gen-address', TYPO);
    await expect
      .poll(() => page.textContent('#gen-address-msg'))
      .toMatch(/Not a valid Monero address: address checksum does not match/);
    expect(await page.isHidden('#gen-output')).toBe(true);

    await page.fill('#gen-address', MINER_A);
    await page.fill('#gen-worker', 'rig7');
    await page.selectOption('#gen-port', '5555');
    await page.fill('#gen-diff', '120000');
    expect(await page.textContent('#gen-address-msg')).toBe('');
    expect(await page.textContent('#gen-command')).toBe(
      `./xmrig -o pool.example.test:5555 -u ${MINER_A}+120000 -p x --rig-id rig7 -k --coin monero`,
    );
    expect(JSON.parse((await page.textContent('#gen-config')) ?? '')).toEqual({
      autosave: true,
      cpu: true,
      opencl: false,
      cuda: false,
      pools: [
        {
          url: 'pool.example.test:5555',
          user: `${MINER_A}+120000`,
          pass: 'x',
          'rig-id': 'rig7',
          keepalive: true,
          tls: false,
          coin: 'monero',
        },
      ],
    });
    // worker in the login, the TLS port
    await page.check('#gen-style-login');
    await page.selectOption('#gen-port', '9000');
    await page.fill('#gen-diff', '');
    expect(await page.textContent('#gen-command')).toBe(
      `./xmrig -o pool.example.test:9000 -u ${MINER_A}.rig7 -p x -k --coin monero --tls`,
    );
    await page.fill('#gen-worker', 'my rig');
    await expect.poll(() => page.textContent('#gen-worker-msg')).toMatch(/letters, digits/);
    await page.fill('#gen-worker', 'rig7');
    await page.fill('#gen-diff', '12k');
    await expect.poll(() => page.textContent('#gen-diff-msg')).toMatch(/whole number/);
    await page.fill('#gen-diff', '');
    await shot(page, 'getting-started');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('address lookup shows the miner: figures, workers, payments with explorer links, chart, threshold', async () => {
    const page = await open('');
    await page.fill('#home-lookup-address', MINER_A);
    await page.press('#home-lookup-address', 'Enter');
    await page.waitForURL(`**/#/miner/${MINER_A}`);
    await page.waitForSelector('[data-table="workers"] tbody tr:not(.empty)');
    await page.waitForSelector('[data-table="miner-payments"] tbody tr:not(.empty)');

    const m = parseMinerStats(MINER_A, await apiJson(`/stats_address?address=${MINER_A}`));
    expect(await page.textContent('#miner-address')).toBe(MINER_A);
    expect(await tileText(page, 'miner-balance')).toBe(coins(m.balance));
    expect(m.balance).toBeGreaterThan(0n);
    expect(await tileText(page, 'miner-paid')).toBe(coins(5_250_000_000_000n));
    expect(m.paid).toBe(5_250_000_000_000n);
    expect(await tileText(page, 'miner-hashes')).toBe(formatInt(m.hashes));
    expect(await tileText(page, 'miner-last-share')).toMatch(/^(just now|\d+ s ago|\d+ min ago)$/);
    expect(await tileText(page, 'miner-threshold')).toBe(coins(300_000_000_000n));
    const shownRate = Number(await page.getAttribute('[data-stat="miner-hashrate"]', 'data-value'));
    expect(Math.abs(shownRate - m.hashrate) / m.hashrate).toBeLessThan(0.05);
    expect(await tileText(page, 'miner-hashrate')).toBe(formatHashrate(shownRate));

    // workers: names and hashrates of /workers
    const workers = parseWorkers(await apiJson(`/workers?address=${MINER_A}`));
    const rows = await page.$$eval('[data-table="workers"] tbody tr', (trs) =>
      trs.map((tr) => [
        tr.querySelector('[data-col="name"]')?.textContent,
        tr.querySelector('[data-col="hashrate"]')?.textContent,
      ]),
    );
    expect(rows.map((r) => r[0])).toEqual(['rig1', 'laptop']);
    for (const [name, rate] of rows) {
      const w = workers.find((x) => x.name === name)!;
      expect(rate).toMatch(/ (H|kH)\/s$/);
      const shown = rate!.endsWith('kH/s') ? Number(rate!.split(' ')[0]) * 1000 : Number(rate!.split(' ')[0]);
      expect(Math.abs(shown - w.hashrate) / w.hashrate).toBeLessThan(0.05);
    }

    // payments: the three this address received, newest first, linked to the explorer
    const pays = await page.$$eval('[data-table="miner-payments"] tbody tr', (trs) =>
      trs.map((tr) => ({
        amount: tr.querySelector('[data-col="amount"] .coins')?.getAttribute('data-atomic'),
        href: tr.querySelector('[data-col="tx"] a')?.getAttribute('href'),
      })),
    );
    expect(pays.map((p) => p.amount)).toEqual(['2250000000000', '1000000000000', '2000000000000']);
    const apiPays = m.payments.map((p) => `https://explorer.test/tx/${p.hash}`);
    expect(pays.map((p) => p.href)).toEqual(apiPays);

    // the hashrate chart draws
    await page.waitForFunction(() => document.querySelector('.chart canvas') !== null);
    const sizes = await chartSizes(page);
    expect(sizes[0]!.w).toBeGreaterThan(300);
    expect(sizes[0]!.h).toBeGreaterThan(100);

    // remembered in the browser: #/miner alone comes back to it
    expect(await page.evaluate(() => localStorage.getItem('pool.address'))).toBe(MINER_A);
    await shot(page, 'my-stats');
    await page.goto(`${api.url}/#/faq`);
    await page.goto(`${api.url}/#/miner`);
    await page.waitForURL(`**/#/miner/${MINER_A}`);

    // payout threshold: too low is refused in the browser, a valid one gets the message to sign from the API
    // (signing with a real wallet and saving: test/website-threshold.test.ts)
    await page.fill('#threshold-input', '0.1');
    await page.click('#threshold-form button[type="submit"]');
    await expect.poll(() => page.textContent('#threshold-msg')).toBe("The pool's minimum payout is 0.30 XMR.");
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/set_payout_threshold'));
    await page.fill('#threshold-input', '0.75');
    await page.click('#threshold-form button[type="submit"]');
    await page.waitForSelector('#threshold-sign:not([hidden]) #threshold-message');
    expect(await page.inputValue('#threshold-message')).toContain(
      `| address ${MINER_A} | threshold 750000000000 atomic units (0.75 XMR) | issued `,
    );
    // the body's SHA-256 travels with it (CloudFront origin access control to a Lambda URL needs it)
    const post = await posted;
    expect(post.postData()).toBe(JSON.stringify({ address: MINER_A, threshold: '750000000000', prepare: true }));
    expect(post.headers()['x-amz-content-sha256']).toBe(
      createHash('sha256')
        .update(post.postData() ?? '')
        .digest('hex'),
    );
    expect(await redis.hget(keys.worker(MINER_A), 'threshold')).not.toBe('750000000000');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('a bad address gets a clear error, in the form and in the URL; an unknown one says so', async () => {
    const page = await open('');
    await page.fill('#home-lookup-address', '4AzKEX4gXdJdNeM6dfiBFL7');
    await page.click('#home-lookup button[type="submit"]');
    await expect
      .poll(() => page.textContent('#home-lookup-error'))
      .toBe(
        'Not a valid Monero address: address has 23 characters; a Monero address has 95 (standard or subaddress) or 106 (integrated).',
      );
    expect(await page.getAttribute('#home-lookup-address', 'aria-invalid')).toBe('true');
    expect(page.url()).toMatch(/#\/$/);

    await page.goto(`${api.url}/#/miner/${TYPO}`);
    await expect
      .poll(() => page.textContent('[data-error="address"]'))
      .toMatch(/^Not a valid Monero address: address checksum does not match/);
    await shot(page, 'my-stats-bad-address');

    await page.goto(`${api.url}/#/miner/${STRANGER}`);
    await page.waitForSelector('[data-miner="not-found"]');
    expect(await page.textContent('[data-miner="not-found"]')).toMatch(/no shares from this address yet/);
    // only addresses the pool knows are remembered
    expect(await page.evaluate(() => localStorage.getItem('pool.address'))).toBe(MINER_A);
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('blocks: pending with maturity, confirmed and orphaned with reward and effort, older ones paged', async () => {
    const page = await open('blocks');
    const s = await apiStats();
    await page.waitForSelector('[data-table="blocks-pending"] tbody tr:not(.empty)');
    const pending = await page.$$eval('[data-table="blocks-pending"] tbody tr', (trs) =>
      trs.map((tr) => ({
        height: tr.querySelector('[data-col="height"]')?.textContent,
        maturity: tr.querySelector('.maturity-text')?.textContent,
        progress: tr.querySelector('progress')?.getAttribute('value'),
        href: tr.querySelector('[data-col="hash"] a')?.getAttribute('href'),
      })),
    );
    const candidates = s.pool.blocks.filter((b) => b.status === 'pending');
    expect(pending).toEqual(
      candidates.map((b) => ({
        height: formatInt(b.height),
        maturity: `${tip - b.height} / ${DEPTH}`,
        progress: String(tip - b.height),
        href: `https://explorer.test/block/${b.hash}`,
      })),
    );
    expect(pending.map((p) => p.maturity)).toEqual(['1 / 10', '3 / 10']);

    const matured = async (): Promise<Array<Record<string, string | null | undefined>>> =>
      page.$$eval('[data-table="blocks-matured"] tbody tr', (trs) =>
        trs.map((tr) => ({
          height: tr.querySelector('[data-col="height"]')?.textContent,
          status: tr.querySelector('[data-col="status"]')?.textContent,
          reward: tr.querySelector('[data-col="reward"] .coins')?.getAttribute('data-atomic') ?? null,
          effort: tr.querySelector('[data-col="effort"]')?.textContent,
        })),
      );
    const recent = s.pool.blocks.filter((b) => b.status !== 'pending');
    expect(await matured()).toEqual(
      recent.map((b) => ({
        height: formatInt(b.height),
        status: b.status === 'confirmed' ? 'Confirmed' : 'Orphaned',
        reward: b.status === 'confirmed' ? b.reward!.toString() : null,
        effort: formatPercent(Number(b.shares) / Number(b.difficulty), 0),
      })),
    );
    expect(recent.map((b) => b.height)).toEqual([18, 14]);
    await page.click('text=Load older blocks');
    await expect.poll(async () => (await matured()).map((r) => r.height)).toEqual(['18', '14', '10']);
    const rows = await matured();
    expect(rows.map((r) => r.status)).toEqual(['Confirmed', 'Orphaned', 'Confirmed']);
    const header10 = await chain.daemon.getBlockHeaderByHeight(10);
    expect(rows[2]!.reward).toBe(header10.reward.toString());
    expect(await tileText(page, 'blocks-orphaned')).toBe('1');
    expect(await tileText(page, 'blocks-pending')).toBe('2');
    await shot(page, 'blocks');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('payments: the pool list of /stats, older ones from /get_payments', async () => {
    const page = await open('payments');
    const s = await apiStats();
    await page.waitForSelector('[data-table="payments"] tbody tr:not(.empty)');
    const list = async (): Promise<Array<Record<string, string | null | undefined>>> =>
      page.$$eval('[data-table="payments"] tbody tr', (trs) =>
        trs.map((tr) => ({
          amount: tr.querySelector('[data-col="amount"] .coins')?.getAttribute('data-atomic'),
          text: tr.querySelector('[data-col="amount"]')?.textContent,
          payees: tr.querySelector('[data-col="payees"]')?.textContent,
          href: tr.querySelector('[data-col="tx"] a')?.getAttribute('href'),
        })),
      );
    expect(await list()).toEqual(
      s.pool.payments.map((p) => ({
        amount: p.amount.toString(),
        text: coins(p.amount),
        payees: String(p.payees),
        href: `https://explorer.test/tx/${p.hash}`,
      })),
    );
    expect(s.pool.payments.length).toBe(3);
    expect(await tileText(page, 'payments-total')).toBe('4');
    expect(await tileText(page, 'payments-miners')).toBe('3');
    expect(await tileText(page, 'payments-min')).toBe('0.30 XMR');
    await page.click('text=Load older payments');
    await expect
      .poll(async () => (await list()).map((r) => r.amount))
      .toEqual(['2250000000000', '700000000000', '2500000000000', '2000000000000']);
    await shot(page, 'payments');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('admin: a wrong token is refused; the right one shows owed, paid, revenue, orphan rate, miners, monitoring', async () => {
    const page = await open('admin');
    await page.fill('#admin-token', 'wrong');
    await page.click('#admin-signin button[type="submit"]');
    await expect.poll(() => page.textContent('#admin-msg')).toBe('Wrong token.');
    const signIn = page.waitForRequest((r) => r.url().endsWith('/admin_stats'));
    await page.fill('#admin-token', ADMIN_TOKEN);
    await page.press('#admin-token', 'Enter');
    // the token goes as Bearer (local API) and as X-Admin-Token (behind CloudFront, whose signature takes Authorization)
    const h = (await signIn).headers();
    expect([h['authorization'], h['x-admin-token']]).toEqual([`Bearer ${ADMIN_TOKEN}`, ADMIN_TOKEN]);
    await page.waitForSelector('[data-table="admin-users"] tbody tr:not(.empty)');
    const a = (await apiJson('/admin_stats', ADMIN_TOKEN)) as Record<string, number | bigint>;
    expect(await tileText(page, 'admin-owed')).toBe(coins(BigInt(a['totalOwed']!)));
    expect(await tileText(page, 'admin-paid')).toBe(coins(BigInt(a['totalPaid']!)));
    expect(BigInt(a['totalPaid']!)).toBe(7_450_000_000_000n); // 5.25 + 1.5 + 0.7
    expect(await tileText(page, 'admin-revenue')).toBe(coins(BigInt(a['totalRevenue']!)));
    expect(await tileText(page, 'admin-orphan-rate')).toBe(formatPercent(1 / 3, 1));
    expect(await tileText(page, 'admin-blocks')).toBe('2');
    expect(await tileText(page, 'admin-workers')).toBe('3');
    const users = await page.$$eval('[data-table="admin-users"] tbody tr [data-col="address"] a', (as) =>
      as.map((x) => x.getAttribute('title')),
    );
    expect(new Set(users)).toEqual(new Set([MINER_A, MINER_B, MINER_C]));
    const beats = await page.$$eval('[data-table="heartbeats"] tbody tr [data-col="name"]', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(beats).toEqual(expect.arrayContaining(['stats', 'unlocker']));
    expect(await page.textContent('[data-key="daemon"] dd')).toMatch(
      new RegExp(`^ok · height ${tip + 1}, synchronized$|^ok · height ${tip + 1}`),
    );
    expect(await page.textContent('[data-key="failStop"] dd')).toBe('running');
    expect(await page.evaluate(() => sessionStorage.getItem('pool.adminToken'))).toBe(ADMIN_TOKEN);
    await shot(page, 'admin');
    await page.click('#admin-signout');
    await page.waitForSelector('#admin-token');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it("FAQ answers with the pool's own numbers", async () => {
    const page = await open('faq');
    await page.click('#faq-2 summary');
    expect(await page.textContent('#faq-2 p')).toMatch(
      /must be 10 blocks deep \(about 20 min\).*reaches 0\.30 XMR \(the pool's minimum\)/,
    );
    await page.click('#faq-1 summary');
    expect(await page.textContent('#faq-1 p')).toMatch(/keeps a fee of 1\.5 %/);
    expect(await page.getAttribute('a[href="mailto:ops@example.test"]', 'href')).toBe('mailto:ops@example.test');
    await shot(page, 'faq');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('updates live without a reload when the pool changes', async () => {
    const page = await open('');
    const before = await apiStats();
    expect(await tileText(page, 'miners')).toBe('3');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    // a fourth miner starts, and the stats function runs
    const newcomer = encodeAddress({
      network: 'mainnet',
      kind: 'standard',
      spendKey: '55'.repeat(32),
      viewKey: '66'.repeat(32),
    });
    shares(newcomer, 'box', 3, 20000, Date.now());
    await recorder.flush();
    await statsRun(Date.now());
    const after = await apiStats();
    expect(after.pool.miners).toBe(before.pool.miners + 1);
    await expect.poll(() => tileText(page, 'miners'), { timeout: 15_000 }).toBe(formatInt(after.pool.miners));
    expect(await tileText(page, 'pool-hashrate')).toBe(formatHashrate(after.pool.hashrate));
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // same document
    await page.close();
  });

  it('long-poll mode (config.js liveMode "longpoll") updates through /live_stats as soon as the stats change', async () => {
    const page = await browser.newPage();
    // a deploy's config.js with the long poll and a refresh too slow to explain the update
    await page.route('**/config.js', (route) =>
      route.fulfill({
        contentType: 'application/javascript',
        body: `window.POOL_CONFIG = ${JSON.stringify({ poolName: 'Test Pool', liveMode: 'longpoll', refreshSeconds: 60 })};`,
      }),
    );
    const livePolls: number[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/live_stats') livePolls.push(Date.now());
    });
    await page.goto(`${api.url}/#/`);
    await page.waitForSelector('#live.live.ok:text("Live")');
    await expect.poll(() => livePolls.length).toBeGreaterThan(0); // the long poll is open
    const miners = Number(await page.getAttribute('[data-stat="miners"]', 'data-value'));
    const late = encodeAddress({
      network: 'mainnet',
      kind: 'standard',
      spendKey: '77'.repeat(32),
      viewKey: '88'.repeat(32),
    });
    shares(late, 'box', 2, 20000, Date.now());
    await recorder.flush();
    const changedAt = Date.now();
    await statsRun(changedAt);
    await expect.poll(() => tileText(page, 'miners'), { timeout: 15_000 }).toBe(formatInt(miners + 1));
    expect(Date.now() - changedAt).toBeLessThan(15_000); // the long poll answered, not the 60 s refresh
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it("keeps the seed's operator hooks: custom.css restyles, custom.js sees every snapshot and route", async () => {
    const page = await browser.newPage();
    await page.route('**/custom.css', (route) =>
      route.fulfill({ contentType: 'text/css', body: ':root, :root[data-theme="dark"] { --accent: rgb(1, 2, 3); }' }),
    );
    await page.route('**/custom.js', (route) =>
      route.fulfill({
        contentType: 'application/javascript',
        body: `window.pool.on('stats', (s) => { document.body.dataset.hookMiners = String(s.pool.miners); });
               window.pool.on('route', (name) => { document.body.dataset.hookRoute = name; });`,
      }),
    );
    await page.goto(`${api.url}/#/`);
    await page.waitForSelector('body[data-hook-miners]');
    const s = await apiStats();
    expect(await page.getAttribute('body', 'data-hook-miners')).toBe(String(s.pool.miners));
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('.button')!).backgroundColor)).toBe(
      'rgb(1, 2, 3)',
    );
    await page.click('nav a[href="#/blocks"]');
    await expect.poll(() => page.getAttribute('body', 'data-hook-route')).toBe('blocks');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('is keyboard-usable and has a dark theme', async () => {
    const page = await open('');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // Tab through to the "Blocks" link and open it with Enter
    let found = false;
    for (let i = 0; i < 20 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await page.evaluate(() => document.activeElement?.getAttribute('href'))) === '#/blocks';
    }
    expect(found).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/#/blocks');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    expect(await page.getAttribute('nav a[href="#/blocks"]', 'aria-current')).toBe('page');

    await page.goto(`${api.url}/#/`);
    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    await page.click('#theme-toggle');
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(15, 18, 22)');
    await page.waitForSelector('.chart canvas');
    await shot(page, 'home-dark');
    await page.reload();
    await page.waitForSelector('#live.live.ok');
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark'); // remembered
    await page.click('#theme-toggle');
    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    await page.close();
  });

  it('works on a phone-sized screen (390x844) without sideways scrolling', async () => {
    const phone = { width: 390, height: 844 };
    const routes: Array<[string, string]> = [
      ['', 'phone-home'],
      ['start', 'phone-getting-started'],
      [`miner/${MINER_A}`, 'phone-my-stats'],
      ['blocks', 'phone-blocks'],
      ['payments', 'phone-payments'],
      ['faq', 'phone-faq'],
    ];
    for (const [route, name] of routes) {
      const page = await open(route, phone);
      if (route.startsWith('miner')) await page.waitForSelector('[data-table="workers"] tbody tr:not(.empty)');
      if (route === 'start') await page.fill('#gen-address', MINER_A);
      if (route === 'blocks') await page.waitForSelector('[data-table="blocks-pending"]');
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${route || 'home'} overflows by ${overflow}px`).toBeLessThanOrEqual(0);
      await shot(page, name);
      if (route === '') {
        // the menu folds into a button
        expect(await page.isVisible('#nav-toggle')).toBe(true);
        expect(await page.isVisible('nav a[href="#/faq"]')).toBe(false);
        await page.click('#nav-toggle');
        expect(await page.isVisible('nav a[href="#/faq"]')).toBe(true);
        await page.click('nav a[href="#/faq"]');
        await page.waitForURL('**/#/faq');
        expect(await page.isVisible('nav a[href="#/faq"]')).toBe(false);
      }
      expect(jsErrors(page)).toEqual([]);
      await page.close();
    }
  });

  // last: it stops the API
  it('shows a stale marker when the API has no snapshot, and when it is unreachable', async () => {
    const page = await open('');
    expect(await page.isHidden('#stale')).toBe(true);
    const height = await tileText(page, 'network-height');
    // the API answers but has no snapshot (e.g. the stats function stopped long enough for it to expire): 503
    await redis.del(keys.statsSnapshot);
    await page.waitForSelector('#stale[data-stale="true"]', { timeout: 20_000 });
    expect(await page.textContent('#stale strong')).toBe(
      'Stale: the pool API reports a problem (stats are not ready yet: the stats function has not written a snapshot).',
    );
    await statsRun(Date.now());
    await page.waitForSelector('#stale', { state: 'hidden', timeout: 20_000 });
    expect(await page.textContent('#live')).toBe('Live');
    // the API goes away
    await api.close();
    apiStopped = true;
    await page.waitForSelector('#stale[data-stale="true"]', { timeout: 20_000 });
    expect(await page.textContent('#live')).toBe('Stale');
    expect(await page.textContent('#stale')).toMatch(
      /^Stale: the pool API is unreachable\. Last update: (just now|\d+ s ago)\. Retrying/,
    );
    expect(await tileText(page, 'network-height')).toBe(height); // the last numbers stay, marked stale
    await shot(page, 'stale');
    await page.close();
  });
});
