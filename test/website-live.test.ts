/**
 * The website on a live pool: the local runner (`startModules`: stratum node + API serving the built site + stats
 * on its timer) on a regtest chain, with a miner speaking xmrig's protocol mining real RandomX shares through it.
 * Headless Chromium at the API's `/` shows the live network height and the pool's numbers, and follows new blocks
 * without a reload. A screenshot is saved to test-artifacts/screenshots/live-home.png.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { chromium, type BrowserContext } from 'playwright-core';
import { configFromObject } from '../shared/config/load.js';
import { createHasher, type Hasher } from '../native/index.js';
import { freePort } from '../shared/services/index.js';
import { startModules } from '../cli/start.js';
import { StratumClient, mineShare } from './support/stratum-client.js';
import { startChainFixture, POOL_ADDRESS, MINER_ADDRESS, type ChainFixture } from './support/pool-fixture.js';
import { CHROMIUM_ARGS, SHOTS } from './support/browser.js';

const NETWORK_DIFFICULTY = 20n;

describe('website on a live pool with a miner mining', () => {
  let chain: ChainFixture;
  let running: Awaited<ReturnType<typeof startModules>>;
  let siteDir: string;
  let profileDir: string;
  let browser: BrowserContext;
  let hasher: Hasher;
  let apiPort: number;
  let mining = true;
  let miner: Promise<void>;
  let client: StratumClient;

  beforeAll(async () => {
    chain = await startChainFixture(Number(NETWORK_DIFFICULTY));
    siteDir = mkdtempSync(join(tmpdir(), 'pool-live-site-'));
    await build({
      configFile: resolve('website/vite.config.ts'),
      logLevel: 'silent',
      build: { outDir: siteDir, emptyOutDir: true },
    });
    const port = await freePort();
    apiPort = await freePort();
    const config = configFromObject({
      poolServer: {
        poolAddress: POOL_ADDRESS,
        clusterForks: 1,
        ports: [{ port, difficulty: 5, desc: 'live test' }],
        shareBatchInterval: 200,
        health: { enabled: false },
      },
      daemon: { host: '127.0.0.1', port: chain.daemonPort },
      redis: { host: '127.0.0.1', port: chain.redisPort },
      // a one-minute window: a few shares make a non-zero hashrate even when a busy machine mines slowly
      api: { host: '127.0.0.1', port: apiPort, updateInterval: 1, password: 'live-admin', hashrateWindow: 60 },
      stats: { interval: 1 },
      logging: { console: { level: 'silent' }, files: { level: 'silent' } },
    });
    running = await startModules(config, ['pool', 'api', 'stats'], { websiteDir: siteDir });
    hasher = createHasher({ mode: 'light', threads: 1 });
    client = await StratumClient.connect({ port });
    expect((await client.login(`${MINER_ADDRESS}.live`)).error).toBeNull();
    miner = (async () => {
      let nonce = 1;
      while (mining) {
        const job = client.job;
        const s = await mineShare(hasher, job, { startNonce: nonce, parallel: 1 }).catch(() => null);
        if (!s || !mining) break;
        nonce = parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
        await client.submit(job, s.nonce, s.result).catch(() => undefined);
      }
    })();
    profileDir = mkdtempSync(join(tmpdir(), 'pool-live-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
  }, 240_000);

  afterAll(async () => {
    mining = false;
    client?.close();
    await miner?.catch(() => undefined);
    await browser?.close();
    await running?.stop();
    await hasher?.close();
    await chain?.stop();
    for (const d of [siteDir, profileDir]) if (d) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('shows the live network height and pool numbers, and follows new blocks without a reload', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${apiPort}/`);
    const value = async (key: string) => Number(await page.getAttribute(`[data-stat="${key}"]`, 'data-value'));
    // the miner is counted and hashing once its first shares are recorded and stats has run
    await expect.poll(() => value('miners'), { timeout: 60_000, interval: 500 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => value('pool-hashrate'), { timeout: 60_000, interval: 500 }).toBeGreaterThan(0);
    const shown = await value('network-height');
    const tip = (await chain.daemon.getLastBlockHeader()).height;
    expect(shown).toBeGreaterThanOrEqual(tip - 1);
    expect(shown).toBeLessThanOrEqual(tip + 1);
    // the miner keeps finding blocks (difficulty 5 shares on a difficulty-20 chain): the page follows on its own
    await expect.poll(() => value('network-height'), { timeout: 120_000, interval: 1000 }).toBeGreaterThan(shown);
    const visible = await page.textContent(`[data-stat="network-height"]`);
    expect(visible?.replace(/\D/g, '')).toContain(String(await value('network-height')));
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'live-home.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 240_000);
});
