/**
 * The launchers and RPC clients against the real binaries: redis-server, monerod --regtest and two
 * monero-wallet-rpc (the pool's, behind Digest auth, and a miner's), the two-phase payment path
 * (transfer do_not_relay + get_tx_metadata, then relay_tx) and a clean stop with no stray process or temp dir.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import { createWalletClient, type WalletClient } from '../shared/rpc/wallet.js';
import {
  createWallet,
  isAlive,
  liveServiceCount,
  mature,
  pingRedis,
  startChain,
  startRedis,
  startWalletRpc,
  type Chain,
  type RedisService,
  type WalletRpcService,
} from './harness/index.js';

const XMR = 1_000_000_000_000n;

function timed<T>(label: string, timings: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  return fn().finally(() => {
    timings[label] = Math.round(performance.now() - t0);
  });
}

describe('services: redis-server + monerod + 2 x monero-wallet-rpc', () => {
  it('mines, pays in two phases, and stops cleanly', async () => {
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const timings: Record<string, number> = {};
    let redis: RedisService | undefined;
    let chain: Chain | undefined;
    let poolRpc: WalletRpcService | undefined;
    let minerRpc: WalletRpcService | undefined;
    let pool: WalletClient | undefined;
    let miner: WalletClient | undefined;
    try {
      redis = await timed('redis start', timings, () => startRedis({ appendonly: true }));
      expect(await pingRedis(redis.port)).toBe(true);

      chain = await timed('monerod start', timings, () => startChain({ fixedDifficulty: 1 }));
      const { daemon } = chain;
      const info = await daemon.getInfo();
      expect(info.nettype).toBe('fakechain');
      expect(info.height).toBe(1);

      // the pool's wallet-rpc behind Digest auth, the miner's without
      const login = { user: 'pool', password: 'digest-secret' };
      poolRpc = await timed('wallet-rpc start (digest)', timings, () =>
        startWalletRpc({ daemonPort: chain!.monerod.port, login }),
      );
      minerRpc = await timed('wallet-rpc start', timings, () => startWalletRpc({ daemonPort: chain!.monerod.port }));
      pool = poolRpc.client();
      miner = minerRpc.client();

      const { address: poolAddress } = await timed('create_wallet', timings, () =>
        createWallet(pool!, { filename: 'pool' }),
      );
      const { address: minerAddress } = await createWallet(minerRpc, { filename: 'miner' });
      expect(poolAddress).toMatch(/^4/);
      expect(minerAddress).not.toBe(poolAddress);

      // wrong credentials are an HTTP 401, not a hang
      const bad = createWalletClient({ ...poolRpc.config, password: 'wrong' });
      await expect(bad.getHeight()).rejects.toMatchObject({ code: ERRORS.RPC_HTTP, details: { status: 401 } });
      await bad.close();

      const height = await timed('generateblocks 70', timings, () => mature(daemon, 70, poolAddress));
      expect(height).toBe(71);

      // a daemon error is RPC_ERROR with its code
      const err = await daemon.getBlockHeaderByHeight(10_000).catch((e: unknown) => e);
      expect(isPoolError(err, ERRORS.RPC_ERROR)).toBe(true);
      expect((err as { details: { code: number } }).details.code).toBe(-2);

      const top = await daemon.getLastBlockHeader();
      expect(top.height).toBe(70);
      expect(top.reward).toBeGreaterThan(0n);
      expect(top.difficulty).toBe(1n);
      const byHash = await daemon.getBlockHeaderByHash(top.hash);
      expect(byHash.height).toBe(70);

      await timed('refresh (70 blocks)', timings, () => pool!.refresh());
      expect(await pool.getHeight()).toBe(71);
      const balance = await pool.getBalance();
      expect(balance.balance).toBeGreaterThan(balance.unlockedBalance);
      expect(balance.unlockedBalance).toBeGreaterThan(10n * XMR);

      // phase 1: build and sign, do not relay
      const amount = 12_345_678_901_234n; // 12.345678901234 XMR
      const payout = {
        destinations: [{ address: minerAddress, amount }],
        priority: 0,
        doNotRelay: true,
        getTxMetadata: true,
        getTxKey: true,
      };
      // 70 blocks unlock only ~10 coinbase outputs: too few for a ring of 16 (wallet error -19)
      const tooEarly = await pool.transfer(payout).catch((e: unknown) => e);
      expect(tooEarly).toMatchObject({ code: ERRORS.RPC_ERROR, details: { method: 'transfer', code: -19 } });
      await timed('generateblocks 10', timings, () => mature(daemon, 10, poolAddress));
      await pool.refresh();
      const tx = await timed('transfer do_not_relay', timings, () => pool!.transfer(payout));
      expect(tx.txHash).toMatch(/^[0-9a-f]{64}$/);
      expect(tx.txMetadata.length).toBeGreaterThan(100);
      expect(tx.txKey).toMatch(/^[0-9a-f]{64}/);
      expect(tx.amount).toBe(amount);
      expect(tx.fee).toBeGreaterThan(0n);
      expect(tx.spentKeyImages.length).toBeGreaterThan(0);
      const before = await daemon.getTransactions([tx.txHash]);
      expect(before.missed).toEqual([tx.txHash]);
      expect(await daemon.isKeyImageSpent(tx.spentKeyImages)).toEqual(tx.spentKeyImages.map(() => 'unspent'));

      // phase 2: relay (twice: the same tx, once)
      const relayed = await timed('relay_tx', timings, () => pool!.relayTx(tx.txMetadata));
      expect(relayed.txHash).toBe(tx.txHash);
      expect((await pool.relayTx(tx.txMetadata)).txHash).toBe(tx.txHash);
      const inPool = await daemon.getTransactions([tx.txHash]);
      expect(inPool.missed).toEqual([]);
      expect(inPool.txs[0]?.inPool).toBe(true);
      expect(await daemon.isKeyImageSpent(tx.spentKeyImages)).toEqual(tx.spentKeyImages.map(() => 'spentInPool'));

      await mature(daemon, 1, poolAddress);
      const mined = await daemon.getTransactions([tx.txHash]);
      expect(mined.txs[0]?.inPool).toBe(false);
      expect(mined.txs[0]?.blockHeight).toBe(81);
      expect(await daemon.isKeyImageSpent(tx.spentKeyImages)).toEqual(tx.spentKeyImages.map(() => 'spentInChain'));

      await miner.refresh();
      const received = await miner.getTransfers({ in: true });
      expect(received.in).toHaveLength(1);
      expect(received.in[0]).toMatchObject({ txid: tx.txHash, amount, type: 'in', height: 81 });
      await pool.refresh();
      const sent = await pool.getTransferByTxid(tx.txHash);
      expect(sent.transfer).toMatchObject({ txid: tx.txHash, type: 'out', amount, fee: tx.fee });
      expect(sent.transfer.destinations).toEqual([{ address: minerAddress, amount }]);
      const coinbase = await pool.getTransfers({ in: true });
      expect(coinbase.in.filter((t) => t.type === 'block').length).toBe(81);
      await pool.store();
    } finally {
      await pool?.close();
      await miner?.close();
      const procs = [minerRpc, poolRpc, chain?.monerod, redis].filter((p) => p !== undefined);
      const t0 = performance.now();
      await minerRpc?.stop();
      await poolRpc?.stop();
      timings['wallet-rpc x2 stop'] = Math.round(performance.now() - t0);
      const t1 = performance.now();
      await chain?.stop();
      timings['monerod stop'] = Math.round(performance.now() - t1);
      await redis?.stop();
      for (const p of procs) {
        expect(isAlive(p.pid)).toBe(false);
        expect(existsSync(p.dir)).toBe(false);
      }
      expect(liveServiceCount()).toBe(0);
      // no fd leak: sockets to the services and log fds are all closed (small slack for lazily opened runtime fds)
      await new Promise((r) => setTimeout(r, 100));
      expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore + 2);
      console.log(
        'service timings (ms):',
        JSON.stringify(timings),
        `fds ${fdsBefore} -> ${readdirSync('/proc/self/fd').length}`,
      );
    }
  }, 300_000);

  it('kill9 leaves the dir and a restart on the same dir and port keeps the data', async () => {
    const redis = await startRedis({ appendonly: true, appendfsync: 'always' });
    const dir = redis.dir;
    const s1 = createIoredisStorage(redis.config);
    await s1.command(['SET', 'k', 'v']);
    await s1.close();
    await redis.kill9();
    expect(isAlive(redis.pid)).toBe(false);
    expect(existsSync(dir)).toBe(true);
    const again = await startRedis({ dir, port: redis.port, appendonly: true });
    const s2 = createIoredisStorage(again.config);
    expect(await s2.command(['GET', 'k'])).toBe('v');
    await s2.close();
    await again.stop();
    expect(existsSync(dir)).toBe(true); // caller's dir: kept
    await redis.stop(); // owned temp dir: removed now
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('children die with the parent: exit without stop(), and SIGKILL of the parent', async () => {
    const services = pathToFileURL(resolve('shared/services/index.ts')).href;
    for (const mode of ['exit', 'sigkill'] as const) {
      const script = [
        `import { startRedis } from ${JSON.stringify(services)};`,
        'const r = await startRedis();',
        'console.log(JSON.stringify({ pid: r.pid, dir: r.dir }));',
        mode === 'exit' ? 'process.exit(0);' : 'setInterval(() => undefined, 1000);',
      ].join('\n');
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await new Promise<string>((res, rej) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) res(out.split('\n')[0] ?? '');
        });
        child.once('exit', () => rej(new Error(`child exited before reporting: ${out}`)));
      });
      const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
      expect(isAlive(pid)).toBe(true);
      if (mode === 'sigkill') child.kill('SIGKILL');
      await new Promise((r) =>
        child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
      );
      const deadline = Date.now() + 10_000;
      while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(isAlive(pid), `redis-server after parent ${mode}`).toBe(false);
      if (mode === 'exit') expect(existsSync(dir)).toBe(false);
      else rmSync(dir, { recursive: true, force: true }); // nobody left to clean up after a SIGKILL
    }
  }, 60_000);

  it('a start failure is SERVICE_START with the log tail', async () => {
    const err = await startRedis({ extraArgs: ['--no-such-option', 'x'] }).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.SERVICE_START)).toBe(true);
    expect((err as Error).message).toMatch(/no-such-option|Bad directive|FATAL/i);
    expect(liveServiceCount()).toBe(0);
  }, 60_000);
});
