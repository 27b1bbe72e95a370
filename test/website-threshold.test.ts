/**
 * The payout-threshold form of "My stats" in a real browser (playwright-core driving /usr/bin/chromium, headless)
 * against the real API (startApiServer serving the Vite-built site) over redis-server and `monerod --regtest`,
 * with two real monero-wallet-rpc (--offline): the miner's wallet, which signs the message the page shows exactly
 * as monero-wallet-cli's `sign <file>` would (wallet-rpc `sign`), and the pool's verification wallet
 * (api.signatureWallet). A screenshot goes to test-artifacts/screenshots/threshold-sign.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../functions/api/index.js';
import { run as runStats } from '../functions/stats/index.js';
import { configFromObject } from '../shared/config/load.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { silentLogger } from '../shared/log.js';
import { keySchema } from '../shared/redis/keys.js';
import type { WalletClient } from '../shared/rpc/wallet.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import {
  REGTEST_ADDRESS,
  createWallet,
  freePort,
  startChain,
  startRedis,
  startWalletRpc,
  type Chain,
  type RedisService,
  type WalletRpcService,
} from './harness/index.js';
import { CHROMIUM_ARGS, SHOTS } from './support/browser.js';

const keys = keySchema('monero');
const log = silentLogger();

let redisSvc: RedisService;
let chain: Chain;
let storage: IoredisStorage;
let config: PoolConfig;
let minerRpc: WalletRpcService;
let verifierRpc: WalletRpcService;
let miner: WalletClient;
let verifier: WalletClient;
let mine = '';
let api: ApiServer;
let siteDir: string;
let profileDir: string;
let browser: BrowserContext;

async function buildSite(): Promise<void> {
  siteDir = mkdtempSync(join(tmpdir(), 'pool-site-'));
  await build({
    configFile: resolve('website/vite.config.ts'),
    logLevel: 'silent',
    build: { outDir: siteDir, emptyOutDir: true, sourcemap: false },
  });
  writeFileSync(
    join(siteDir, 'config.js'),
    `window.POOL_CONFIG = ${JSON.stringify({ api: '', coinUnits: '1000000000000', symbol: 'XMR', network: 'mainnet', poolName: 'Test Pool', liveMode: 'poll', refreshSeconds: 2 })};\n`,
  );
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const offline = { daemonPort: await freePort(), extraArgs: ['--offline'] };
  const [r, c, m, v] = await Promise.all([
    startRedis(),
    startChain({ fixedDifficulty: 1 }),
    startWalletRpc(offline),
    startWalletRpc(offline),
    buildSite(),
  ]);
  [redisSvc, chain, minerRpc, verifierRpc] = [r, c, m, v];
  mine = (await createWallet(minerRpc, { filename: 'miner' })).address;
  await createWallet(verifierRpc, { filename: 'verifier' });
  miner = minerRpc.client({ timeout: 30_000 });
  verifier = verifierRpc.client({ timeout: 30_000 });
  config = configFromObject({
    coin: 'monero',
    poolServer: { poolAddress: REGTEST_ADDRESS, ports: [{ port: 3333, difficulty: 5000, desc: 'Low-end CPUs' }] },
    daemon: { host: '127.0.0.1', port: chain.monerod.port },
    redis: { host: '127.0.0.1', port: redisSvc.port },
    api: { updateInterval: 1, poolName: 'Test Pool', signatureWallet: { host: '127.0.0.1', port: verifierRpc.port } },
    payments: { minPayment: '300000000000', maxThreshold: '2000000000000' },
    logging: { console: { level: 'silent' }, files: { level: 'silent' } },
  });
  storage = createIoredisStorage(config.redis);
  await storage.command([
    'HSET',
    keys.worker(mine),
    'hashes',
    '5000',
    'lastShare',
    String(Math.floor(Date.now() / 1000)),
    'balance',
    '120000000000',
    'paid',
    '0',
  ]);
  await runStats({ storage, daemon: chain.daemon, config, log, now: () => Date.now() });
  api = await startApiServer(
    { storage, daemon: chain.daemon, config, log, now: () => Date.now(), websiteDir: siteDir, longPoll: false },
    { host: '127.0.0.1', port: 0 },
  );
  profileDir = mkdtempSync(join(tmpdir(), 'pool-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await Promise.all([miner?.close(), verifier?.close()]);
  await storage?.close();
  await Promise.all([minerRpc?.stop(), verifierRpc?.stop()]);
  await chain?.stop();
  await redisSvc?.stop();
  for (const d of [siteDir, profileDir]) if (d) rmSync(d, { recursive: true, force: true });
}, 120_000);

async function openMiner(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${api.url}/#/miner/${mine}`);
  await page.waitForSelector('#live.live.ok:text("Live")');
  await page.waitForSelector('#threshold-form');
  return { page, errors };
}

/** Enters an amount and asks for the message; returns the message the page shows. */
async function askMessage(page: Page, amount: string): Promise<string> {
  await page.fill('#threshold-input', amount);
  await page.click('#threshold-form button[type="submit"]');
  await page.waitForSelector('#threshold-sign:not([hidden]) #threshold-message');
  return page.inputValue('#threshold-message');
}

describe('payout threshold form (real browser, real wallets)', () => {
  it("shows the message and how to sign it; the wallet's signature saves the threshold", async () => {
    const { page, errors } = await openMiner();
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/set_payout_threshold'));
    const message = await askMessage(page, '0.75');
    expect(JSON.parse((await posted).postData() ?? '{}')).toEqual({
      address: mine,
      threshold: '750000000000',
      prepare: true,
    });
    expect(message).toMatch(
      new RegExp(
        `^Payout threshold for pool Test Pool \\| pool wallet ${REGTEST_ADDRESS} \\| address ${mine} \\| threshold 750000000000 atomic units \\(0\\.75 XMR\\) \\| issued `,
      ),
    );
    expect(await page.textContent('#threshold-cli-command')).toBe('sign threshold-message.txt');
    expect(await page.textContent('#threshold-sign')).toMatch(/Advanced > Sign\/verify/);
    expect(await page.textContent('#threshold-expiry')).toMatch(/^Valid until /);
    // the downloadable file holds exactly the message (no trailing newline)
    expect(await page.getAttribute('#threshold-download', 'download')).toBe('threshold-message.txt');
    const file = await page.evaluate(async () =>
      (await fetch((document.querySelector('#threshold-download') as HTMLAnchorElement).href)).text(),
    );
    expect(file).toBe(message);

    // a signature by another wallet is refused with its code; nothing is saved
    await page.fill('#threshold-signature', await verifier.sign(message));
    await page.click('#threshold-save');
    await expect
      .poll(() => page.textContent('#threshold-msg'))
      .toMatch(/^Not saved: the signature does not match this message and address.*\(E_THRESHOLD_BAD_SIGNATURE\)$/);
    expect(await storage.command(['HGET', keys.worker(mine), 'threshold'])).toBeNull();
    // something that is not a signature is caught in the page
    await page.fill('#threshold-signature', 'my password');
    await page.click('#threshold-save');
    await expect
      .poll(() => page.textContent('#threshold-msg'))
      .toBe('Paste the signature your wallet printed: it starts with "SigV2".');

    await page.fill('#threshold-signature', await miner.sign(file));
    await shot(page, 'threshold-sign');
    await page.click('#threshold-save');
    await expect.poll(() => page.textContent('#threshold-msg')).toBe('Saved: payouts at 0.75 XMR.');
    expect(await storage.command(['HGET', keys.worker(mine), 'threshold'])).toBe('750000000000');
    expect(await page.isHidden('#threshold-sign')).toBe(true);
    await expect
      .poll(async () => (await page.locator('[data-stat="miner-threshold"] .value').textContent())?.trim())
      .toBe('0.75 XMR');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('over the maximum, under the minimum and a changed amount: clear messages, no stale message left to sign', async () => {
    const { page, errors } = await openMiner();
    await page.fill('#threshold-input', '5');
    await page.click('#threshold-form button[type="submit"]');
    await expect
      .poll(() => page.textContent('#threshold-msg'))
      .toMatch(
        /^Not saved: threshold must be at most payments.maxThreshold = 2000000000000 atomic units \(2 XMR\).*\(E_THRESHOLD_OVER_MAX\)$/,
      );
    expect(await page.isHidden('#threshold-sign')).toBe(true);
    await page.fill('#threshold-input', '0.1');
    await page.click('#threshold-form button[type="submit"]');
    await expect.poll(() => page.textContent('#threshold-msg')).toBe("The pool's minimum payout is 0.30 XMR.");

    await askMessage(page, '1.5');
    await page.fill('#threshold-input', '1.25'); // the message was for 1.5: it goes away
    expect(await page.isHidden('#threshold-sign')).toBe(true);
    expect(await page.isVisible('#threshold-ip-save')).toBe(false); // the IP proof is off by default
    expect(errors).toEqual([]);
    await page.close();
  });
});

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0)); // else the sticky header lands mid-page
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
