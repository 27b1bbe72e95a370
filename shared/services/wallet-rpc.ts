/**
 * Launches monero-wallet-rpc against a local daemon: `--daemon-address 127.0.0.1:P --trusted-daemon --wallet-dir D
 * --rpc-bind-ip 127.0.0.1 --rpc-bind-port R (--rpc-login user:pass | --disable-rpc-login) --non-interactive
 * --rpc-ssl disabled --daemon-ssl disabled --shared-ringdb-dir D/.shared-ringdb --no-dns`. There is no --regtest flag:
 * a regtest daemon uses mainnet addresses, which is the wallet's default. Ready when get_version answers (through
 * Digest auth when a login is set). Plus helpers to create/open a wallet and read its address.
 *
 * Data model: files in `dir`: <name>, <name>.keys (wallets), wallet-rpc.log, wallet-rpc.stdout.log, .shared-ringdb/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createWalletClient, type WalletClient } from '../rpc/wallet.js';
import { freePort } from './ports.js';
import { retryStart, serviceDir, spawnService, waitReady, type ManagedProcess } from './process.js';

export interface StartWalletRpcOptions {
  daemonPort: number;
  daemonHost?: string;
  /** Wallet folder; default a new temp dir, removed by stop(). */
  dir?: string;
  /** Default a free port. */
  rpcPort?: number;
  /** Digest login; default none (--disable-rpc-login). */
  login?: { user: string; password: string } | null;
  /** Default "monero-wallet-rpc". */
  binary?: string;
  logLevel?: number;
  extraArgs?: readonly string[];
  readyTimeoutMs?: number;
}

export interface WalletRpcService extends ManagedProcess {
  readonly host: string;
  readonly port: number;
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly login: { user: string; password: string } | null;
  /** The `wallet` section of a pool config pointing at this wallet-rpc. */
  readonly config: { host: string; port: number; user: string | null; password: string | null; timeout: number };
  /** A new client for this wallet-rpc (the caller closes it). */
  client(opts?: { timeout?: number }): WalletClient;
}

export async function startWalletRpc(opts: StartWalletRpcOptions): Promise<WalletRpcService> {
  const { dir, owned } = serviceDir('wallet-rpc', opts.dir);
  const login = opts.login ?? null;
  return retryStart({ dir, ownsDir: owned, autoPorts: opts.rpcPort === undefined }, async () => {
    const rpcPort = opts.rpcPort ?? (await freePort());
    const logFile = join(dir, 'wallet-rpc.log');
    const args = [
      '--daemon-address',
      `${opts.daemonHost ?? '127.0.0.1'}:${opts.daemonPort}`,
      '--trusted-daemon',
      '--wallet-dir',
      dir,
      '--rpc-bind-ip',
      '127.0.0.1',
      '--rpc-bind-port',
      String(rpcPort),
      ...(login ? ['--rpc-login', `${login.user}:${login.password}`] : ['--disable-rpc-login']),
      '--non-interactive',
      '--rpc-ssl',
      'disabled',
      '--daemon-ssl',
      'disabled',
      '--shared-ringdb-dir',
      join(dir, '.shared-ringdb'),
      '--no-dns',
      '--log-file',
      logFile,
      '--log-level',
      String(opts.logLevel ?? 0),
      '--max-concurrency',
      '2',
      ...(opts.extraArgs ?? []),
    ];
    const proc = spawnService({
      name: 'wallet-rpc',
      command: opts.binary ?? 'monero-wallet-rpc',
      args,
      dir,
      ownsDir: owned,
      serviceLogs: [logFile],
      stopTimeoutMs: 20_000,
    });
    const config = {
      host: '127.0.0.1',
      port: rpcPort,
      user: login?.user ?? null,
      password: login?.password ?? null,
      timeout: 120_000,
    };
    const probe = createWalletClient({ ...config, timeout: 2_000 });
    try {
      await waitReady(proc, async () => (await probe.getVersion()).version > 0, opts.readyTimeoutMs ?? 60_000);
    } finally {
      await probe.close();
    }
    return Object.assign(proc, {
      host: '127.0.0.1',
      port: rpcPort,
      url: `http://127.0.0.1:${rpcPort}`,
      login,
      config,
      client: (o?: { timeout?: number }) =>
        createWalletClient({ ...config, ...(o?.timeout ? { timeout: o.timeout } : {}) }),
    });
  });
}

async function withClient<T>(target: WalletRpcService | WalletClient, fn: (c: WalletClient) => Promise<T>): Promise<T> {
  if ('client' in target && typeof target.client === 'function') {
    const c = target.client();
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  }
  return fn(target as WalletClient);
}

/** create_wallet (language "English") then get_address; the new wallet stays open. */
export function createWallet(
  target: WalletRpcService | WalletClient,
  p: { filename: string; password?: string; language?: string },
): Promise<{ address: string }> {
  return withClient(target, async (c) => {
    await c.createWallet({ filename: p.filename, password: p.password ?? '', language: p.language ?? 'English' });
    return { address: (await c.getAddress()).address };
  });
}

/** open_wallet then get_address. */
export function openWallet(
  target: WalletRpcService | WalletClient,
  p: { filename: string; password?: string },
): Promise<{ address: string }> {
  return withClient(target, async (c) => {
    await c.openWallet({ filename: p.filename, password: p.password ?? '' });
    return { address: (await c.getAddress()).address };
  });
}

/** Opens `filename` when its .keys file exists in the service's dir, else creates it. */
export async function openOrCreateWallet(
  service: WalletRpcService,
  p: { filename: string; password?: string },
): Promise<{ address: string; created: boolean }> {
  if (existsSync(join(service.dir, `${p.filename}.keys`))) return { ...(await openWallet(service, p)), created: false };
  return { ...(await createWallet(service, p)), created: true };
}
