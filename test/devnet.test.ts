/**
 * The devnet in a temp folder: first start bootstraps (ports, wallet, initial blocks), stop, second start reuses
 * everything (same pool address and ports, height not lower, Redis data kept); a second devnet on the same folder
 * is refused; nothing is left running.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../shared/errors.js';
import { createDaemonClient } from '../shared/rpc/daemon.js';
import { createWalletClient } from '../shared/rpc/wallet.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import { startDevnet, type Devnet } from '../cli/devnet.js';
import { isAlive, liveServiceCount } from './harness/index.js';

const lines: string[] = [];
const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`) };
const dataDir = mkdtempSync(join(tmpdir(), 'pool-devnet-test-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('devnet', () => {
  it('starts, stops, and restarts on the same data', async () => {
    const timings: Record<string, number> = {};
    let t = performance.now();
    const first: Devnet = await startDevnet({ dataDir, fixedDifficulty: 5, log, initialBlocks: 70 });
    timings['first start (bootstrap)'] = Math.round(performance.now() - t);
    let pids: number[];
    try {
      pids = [first.redis.pid, first.monerod.pid, first.wallet.pid];
      expect(first.height).toBeGreaterThan(64);
      expect(first.height).toBe(71);
      expect(first.poolAddress).toMatch(/^4/);
      const saved = JSON.parse(readFileSync(join(dataDir, 'pool-wallet.json'), 'utf8')) as { address: string };
      expect(saved.address).toBe(first.poolAddress);
      expect(first.monerod.fixedDifficulty).toBe(5);

      const w = createWalletClient(first.configFragment.wallet);
      const bal = await w.getBalance();
      expect(bal.unlockedBalance).toBeGreaterThan(0n);
      await w.close();
      const s = createIoredisStorage(first.configFragment.redis);
      await s.command(['SET', 'devnet-test', 'kept']);
      await s.close();

      // a second devnet on the same folder is refused while the first runs
      await expect(startDevnet({ dataDir, fixedDifficulty: 5, log })).rejects.toMatchObject({
        code: ERRORS.SERVICE_START,
      });
    } finally {
      t = performance.now();
      await first.stop();
      timings['stop'] = Math.round(performance.now() - t);
    }
    for (const pid of pids) expect(isAlive(pid)).toBe(false);

    t = performance.now();
    const second = await startDevnet({ dataDir, fixedDifficulty: 5, log });
    timings['second start'] = Math.round(performance.now() - t);
    try {
      expect(second.poolAddress).toBe(first.poolAddress);
      expect(second.height).toBeGreaterThanOrEqual(first.height);
      expect(second.configFragment).toEqual(first.configFragment);
      const daemon = createDaemonClient(second.configFragment.daemon);
      t = performance.now();
      await daemon.generateBlocks(1, second.poolAddress);
      timings['1 block at difficulty 5'] = Math.round(performance.now() - t);
      expect(await daemon.getBlockCount()).toBe(first.height + 1);
      expect((await daemon.getLastBlockHeader()).difficulty).toBe(5n);
      await daemon.close();
      const s = createIoredisStorage(second.configFragment.redis);
      expect(await s.command(['GET', 'devnet-test'])).toBe('kept');
      await s.close();
    } finally {
      await second.stop();
    }
    expect(liveServiceCount()).toBe(0);
    console.log('devnet timings (ms):', JSON.stringify(timings));
    console.log(lines.join('\n'));
  }, 600_000);
});
