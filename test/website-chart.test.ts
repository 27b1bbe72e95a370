/**
 * The history chart of a pool that just started: one stats run (functions/stats against a real redis-server and
 * `monerod --regtest`) has written a single chart point; the website (built with Vite, served by the real API) is
 * opened in Chromium (playwright-core, /usr/bin/chromium). The x axis must show the last hour in clock minutes
 * (HH:MM), not a range padded out to years. A screenshot goes to test-artifacts/screenshots/home-one-point.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../functions/api/index.js';
import { run as runStats } from '../functions/stats/index.js';
import { configFromObject } from '../shared/config/load.js';
import { silentLogger } from '../shared/log.js';
import { keySchema } from '../shared/redis/keys.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import { startChain, startRedis, type Chain, type RedisService } from './harness/index.js';
import { CHROMIUM_ARGS, SHOTS } from './support/browser.js';

const POOL_ADDRESS = '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';

let redisSvc: RedisService;
let chain: Chain;
let storage: IoredisStorage;
let api: ApiServer;
let siteDir: string;
let profileDir: string;
let browser: BrowserContext;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  siteDir = mkdtempSync(join(tmpdir(), 'pool-site-chart-'));
  const [r, c] = await Promise.all([
    startRedis(),
    startChain({ fixedDifficulty: 1 }),
    build({
      configFile: resolve('website/vite.config.ts'),
      logLevel: 'silent',
      build: { outDir: siteDir, emptyOutDir: true, sourcemap: false },
    }),
  ]);
  redisSvc = r;
  chain = c;
  writeFileSync(
    join(siteDir, 'config.js'),
    `window.POOL_CONFIG = ${JSON.stringify({ api: '', poolHost: 'pool.example.test', coinUnits: '1000000000000', symbol: 'XMR', coinName: 'Monero', network: 'mainnet', poolName: 'New Pool', liveMode: 'poll', refreshSeconds: 2 })};\n`,
  );
  const config = configFromObject({
    coin: 'monero',
    poolServer: { poolAddress: POOL_ADDRESS, ports: [{ port: 3333, difficulty: 5000, desc: 'CPUs' }] },
    daemon: { host: '127.0.0.1', port: chain.monerod.port },
    redis: { host: '127.0.0.1', port: redisSvc.port },
    api: { updateInterval: 1 },
    stats: { chartInterval: 300, chartRetention: 86400 },
  });
  storage = createIoredisStorage(config.redis);
  // the pool's first stats run: one point in every pool chart
  await runStats({ storage, daemon: chain.daemon, config, log: silentLogger(), now: () => Date.now() });
  const keys = keySchema('monero');
  expect(await storage.command(['ZCARD', keys.chart('hashrate')])).toBe(1);
  api = await startApiServer(
    {
      storage,
      daemon: chain.daemon,
      config,
      log: silentLogger(),
      now: () => Date.now(),
      websiteDir: siteDir,
      longPoll: true,
    },
    { host: '127.0.0.1', port: 0 },
  );
  profileDir = mkdtempSync(join(tmpdir(), 'pool-chromium-chart-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    colorScheme: 'light',
    timezoneId: 'UTC',
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await storage?.close();
  await chain?.stop();
  await redisSvc?.stop();
  for (const d of [siteDir, profileDir]) if (d) rmSync(d, { recursive: true, force: true });
}, 120_000);

describe('history chart with one point (real browser)', () => {
  it('spans the last hour ending now, labelled in clock minutes, not years', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${api.url}/#/`);
    await page.waitForSelector('#live.live.ok:text("Live")');
    // the chart has drawn its one point (uPlot draws the axes with the data)
    await page.waitForFunction(
      () => (document.querySelector('.chart') as HTMLElement | null)?.dataset.xLabels?.includes(':') === true,
    );
    const points = (await (await fetch(`${api.url}/charts/pool?name=hashrate`)).json()) as {
      points: [number, number][];
    };
    expect(points.points).toHaveLength(1);

    const labels = ((await page.getAttribute('.chart', 'data-x-labels')) ?? '').split('|');
    expect(labels.length).toBeGreaterThanOrEqual(3);
    for (const l of labels) expect(l).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
    // the labels lie within the last hour ending now (UTC in this browser), with the newest near now
    const nowMin = new Date().getUTCHours() * 60 + new Date().getUTCMinutes();
    const ago = labels.map((l) => {
      const [hh, mm] = l.split(':').map(Number) as [number, number];
      return (nowMin - (hh * 60 + mm) + 1440) % 1440;
    });
    for (const a of ago) expect(a).toBeLessThanOrEqual(61);
    expect(Math.max(...ago) - Math.min(...ago)).toBeGreaterThanOrEqual(30);
    expect(await page.locator('.chart-note').isVisible()).toBe(true); // "collecting data" with fewer than 2 points

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'home-one-point.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
