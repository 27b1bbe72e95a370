/**
 * One regtest world for the payments tests: monerod (fixed difficulty 1), redis-server (AOF), the pool's wallet-rpc
 * with spendable coinbase outputs, a miner's wallet-rpc whose subaddresses are the payees, and RPC proxies in front
 * of the pool wallet (counting calls, dropping replies) and the daemon (rewriting get_info).
 */
import { spawn } from 'node:child_process';
import { run, type PaymentsDeps, type PaymentsResult } from '../../functions/payments/index.js';
import { configFromObject } from '../../shared/config/load.js';
import type { PoolConfig } from '../../shared/config/schema.js';
import { silentLogger } from '../../shared/log.js';
import { createDaemonClient } from '../../shared/rpc/daemon.js';
import { createWalletClient, type WalletClient } from '../../shared/rpc/wallet.js';
import { keySchema, type KeySchema } from '../../shared/redis/keys.js';
import { createIoredisStorage, type IoredisStorage } from '../../shared/storage/ioredis.js';
import {
  REGTEST_ADDRESS,
  createWallet,
  mature,
  startChain,
  startRedis,
  startWalletRpc,
  type Chain,
  type RedisService,
  type WalletRpcService,
} from '../harness/index.js';
import { startRpcProxy, type RpcProxy } from './rpc-proxy.js';

export interface PayEnv {
  chain: Chain;
  redis: RedisService;
  storage: IoredisStorage;
  poolRpc: WalletRpcService;
  minerRpc: WalletRpcService;
  poolWallet: WalletClient;
  minerWallet: WalletClient;
  poolAddress: string;
  walletProxy: RpcProxy;
  daemonProxy: RpcProxy;
  /** Fresh miner-wallet subaddresses, never handed out twice. */
  takeAddresses(n: number): string[];
  stop(): Promise<void>;
}

const COINBASE_BLOCKS = 24;
const MATURITY = 61;

async function jsonRpc(url: string, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/json_rpc`, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: '0', method, params }),
  });
  const body = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
  if (!body.result) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

export async function startPayEnv(): Promise<PayEnv> {
  const chain = await startChain({ fixedDifficulty: 1 });
  const redis = await startRedis({ appendonly: true });
  const [poolRpc, minerRpc] = await Promise.all([
    startWalletRpc({ daemonPort: chain.monerod.port }),
    startWalletRpc({ daemonPort: chain.monerod.port }),
  ]);
  const { address: poolAddress } = await createWallet(poolRpc, { filename: 'pool' });
  await createWallet(minerRpc, { filename: 'miner' });
  const subaddresses: string[] = [];
  for (let i = 0; i < 60; i++) {
    subaddresses.push(String((await jsonRpc(minerRpc.url, 'create_address', { account_index: 0 })).address));
  }
  await chain.daemon.generateBlocks(COINBASE_BLOCKS, poolAddress);
  await mature(chain.daemon, MATURITY);
  const poolWallet = poolRpc.client({ timeout: 120_000 });
  const minerWallet = minerRpc.client({ timeout: 120_000 });
  await Promise.all([poolWallet.refresh(), minerWallet.refresh()]);
  const walletProxy = await startRpcProxy(poolRpc.port);
  const daemonProxy = await startRpcProxy(chain.monerod.port);
  const storage = createIoredisStorage(redis.config);
  let next = 0;
  return {
    chain,
    redis,
    storage,
    poolRpc,
    minerRpc,
    poolWallet,
    minerWallet,
    poolAddress,
    walletProxy,
    daemonProxy,
    takeAddresses(n) {
      const out = subaddresses.slice(next, next + n);
      if (out.length < n) throw new Error('out of test subaddresses');
      next += n;
      return out;
    },
    async stop() {
      await Promise.all([
        storage.close(),
        poolWallet.close(),
        minerWallet.close(),
        walletProxy.stop(),
        daemonProxy.stop(),
      ]);
      await Promise.all([poolRpc.stop(), minerRpc.stop()]);
      await redis.stop();
      await chain.stop();
    },
  };
}

/** The raw config object (JSON-safe, also handed to child processes) for one test's coin prefix. */
export function configInput(
  env: PayEnv,
  coin: string,
  over: { payments?: Record<string, unknown>; redisPort?: number } = {},
): Record<string, unknown> {
  return {
    coin,
    poolServer: { enabled: false, poolAddress: env.poolAddress },
    blockUnlocker: { depth: 3, poolFee: 1 },
    payments: { minPayment: '100000000000', denomination: '1000000000', lockTtl: 60, ...over.payments },
    daemon: { host: '127.0.0.1', port: env.daemonProxy.port, timeout: 30_000, retries: 1 },
    wallet: { host: '127.0.0.1', port: env.walletProxy.port, timeout: 120_000 },
    redis: { ...env.redis.config, port: over.redisPort ?? env.redis.config.port },
    logging: { console: { level: 'silent' }, files: { level: 'silent' } },
  };
}

export function keysOf(coin: string): KeySchema {
  return keySchema(coin);
}

/** Runs payments in this process with fresh daemon/wallet clients for `input`'s config. */
export async function payIn(
  env: PayEnv,
  input: Record<string, unknown>,
  storage = env.storage,
  dryRun = false,
): Promise<PaymentsResult> {
  const config: PoolConfig = configFromObject(input);
  const daemon = createDaemonClient(config.daemon);
  const wallet = createWalletClient(config.wallet);
  const deps: PaymentsDeps = { storage, daemon, wallet, config, log: silentLogger(), now: () => Date.now() };
  try {
    return await run(deps, { dryRun });
  } finally {
    await Promise.all([daemon.close(), wallet.close()]);
  }
}

export function depsFor(env: PayEnv, input: Record<string, unknown>): { deps: PaymentsDeps; close(): Promise<void> } {
  const config: PoolConfig = configFromObject(input);
  const daemon = createDaemonClient(config.daemon);
  const wallet = createWalletClient(config.wallet);
  return {
    deps: { storage: env.storage, daemon, wallet, config, log: silentLogger(), now: () => Date.now() },
    close: async () => {
      await Promise.all([daemon.close(), wallet.close()]);
    },
  };
}

/** Runs payments in a child process (optionally crashing after a phase); resolves with its exit and output. */
export function payInChild(
  input: Record<string, unknown>,
  crashAt?: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; result: PaymentsResult | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, POOL_TEST_CONFIG: JSON.stringify(input) };
    if (crashAt) env.PAYMENTS_CRASH_AT = crashAt;
    else delete env.PAYMENTS_CRASH_AT;
    const child = spawn(process.execPath, ['bin/run-ts.mjs', 'test/backoffice/payments-child.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      resolve({ code, signal, result: line ? (JSON.parse(line) as PaymentsResult) : null, stderr: err });
    });
  });
}

/** Credits addresses the way the unlocker does (balance and lifetime credited, plus the payer's index). */
export async function credit(storage: IoredisStorage, keys: KeySchema, amounts: Record<string, bigint>): Promise<void> {
  await storage.multi(
    Object.entries(amounts).flatMap(([a, v]) => [
      ['HINCRBY', keys.worker(a), 'balance', v.toString()],
      ['HINCRBY', keys.worker(a), 'credited', v.toString()],
      ['SADD', keys.creditedAddresses, a],
    ]),
  );
}

/** Brings the pool wallet to the daemon's height (the payer's preflight insists on it). */
export async function syncPoolWallet(env: PayEnv): Promise<void> {
  await env.poolWallet.refresh();
}

/** Mines a block over the payouts and refreshes both wallets. */
export async function confirm(env: PayEnv): Promise<void> {
  await env.chain.daemon.generateBlocks(1, REGTEST_ADDRESS);
  await Promise.all([env.poolWallet.refresh(), env.minerWallet.refresh()]);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
