/**
 * The embedded devnet: redis-server, monerod --regtest and monero-wallet-rpc with a pool wallet, in a data folder of
 * the project's own (default .data/devnet), reused on restart: the chain, the Redis data and the pool wallet persist.
 *
 * First run: ports are chosen (free ports) and saved, a Digest login for wallet-rpc is generated, the pool wallet is
 * created, and `initialBlocks` (default 80) are mined to it so coinbase outputs unlock (60 blocks) and a payout can
 * build a ring of 16 (it needs >= 16 unlocked outputs: at 70 blocks the wallet still answers -19). Those blocks are
 * mined with monerod at --fixed-difficulty 1 (a block at difficulty D costs monerod ~D RandomX light-mode hashes:
 * 80 blocks at D=100 take minutes), then monerod restarts with the configured difficulty. Later runs reuse the saved
 * ports (a port taken by someone else is replaced, saved and printed) and open the wallet.
 *
 * Data model (files in dataDir):
 * - devnet.json      {version: 1, ports: {redis, monerodRpc, monerodP2p, walletRpc, zmqPub, zmqRpc}, walletLogin: {user, password},
 *                     bootstrapped: boolean}
 * - pool-wallet.json {filename, address, createdAt}
 * - devnet.lock      {pid} while a devnet runs from this folder (a second one refuses to start)
 * - redis/ (AOF), monerod/ (fake/ LMDB), wallet/ (pool, pool.keys), each with its logs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ERRORS, PoolError, errorMessage, isPoolError } from '../shared/errors.js';
import { createDaemonClient } from '../shared/rpc/daemon.js';
import {
  canBind,
  freePort,
  isAlive,
  openOrCreateWallet,
  startMonerod,
  startRedis,
  startWalletRpc,
  type MonerodService,
  type RedisService,
  type WalletRpcService,
} from '../shared/services/index.js';

/** Anything with pino-style info/warn (a pino Logger fits); a failure is warned as `({ err }, msg)`. */
export interface DevnetLog {
  info(msg: string): void;
  warn(objOrMsg: object | string, msg?: string): void;
}

export interface DevnetOptions {
  dataDir: string;
  /** monerod --fixed-difficulty for blocks mined after the bootstrap. */
  fixedDifficulty: number;
  log: DevnetLog;
  /** Blocks mined on first run (default 80). */
  initialBlocks?: number;
  binaries?: { monerod?: string; walletRpc?: string; redisServer?: string };
}

export interface DevnetConfigFragment {
  daemon: { host: string; port: number; zmq: string };
  wallet: { host: string; port: number; user: string; password: string };
  redis: { host: string; port: number };
}

export interface Devnet {
  readonly dataDir: string;
  readonly redis: RedisService;
  readonly monerod: MonerodService;
  readonly wallet: WalletRpcService;
  readonly poolAddress: string;
  /** Chain height once started. */
  readonly height: number;
  /** daemon/wallet/redis sections to merge into a pool config. */
  readonly configFragment: DevnetConfigFragment;
  /** Stores the wallet and stops wallet-rpc, monerod and redis (idempotent). */
  stop(): Promise<void>;
}

interface DevnetState {
  version: 1;
  /** zmqPub/zmqRpc: monerod's ZMQ publisher (new blocks pushed to the pool) and its ZMQ RPC (absent in older files). */
  ports: { redis: number; monerodRpc: number; monerodP2p: number; walletRpc: number; zmqPub: number; zmqRpc: number };
  walletLogin: { user: string; password: string };
  bootstrapped: boolean;
}

interface PoolWalletFile {
  filename: string;
  address: string;
  createdAt: string;
}

const WALLET_NAME = 'pool';

async function storeWallet(wallet: WalletRpcService): Promise<void> {
  const c = wallet.client({ timeout: 60_000 });
  try {
    await c.store();
  } finally {
    await c.close();
  }
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new PoolError(ERRORS.SERVICE_START, `devnet: cannot read ${path}: ${errorMessage(e)}`, { path });
  }
}

function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function takeLock(dataDir: string): string {
  const lock = join(dataDir, 'devnet.lock');
  const held = readJson<{ pid: number }>(lock);
  // stop() removes the lock, so a live pid (ours included) means a devnet is running from this folder
  if (held && isAlive(held.pid)) {
    throw new PoolError(ERRORS.SERVICE_START, `devnet: already running from ${dataDir} (pid ${held.pid})`, {
      dataDir,
      pid: held.pid,
    });
  }
  writeJson(lock, { pid: process.pid });
  return lock;
}

async function ensurePort(saved: number | undefined, label: string, log: DevnetLog): Promise<number> {
  if (saved !== undefined && (await canBind(saved))) return saved;
  const port = await freePort();
  if (saved !== undefined) log.warn(`devnet: ${label} port ${saved} is taken; using ${port} (saved)`);
  return port;
}

export async function startDevnet(opts: DevnetOptions): Promise<Devnet> {
  const { log } = opts;
  const dataDir = resolve(opts.dataDir);
  const initialBlocks = opts.initialBlocks ?? 80;
  mkdirSync(dataDir, { recursive: true });
  const lock = takeLock(dataDir);
  const statePath = join(dataDir, 'devnet.json');
  const walletPath = join(dataDir, 'pool-wallet.json');

  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse())
      await s.stop().catch((e: unknown) => log.warn({ err: e }, 'devnet: stopping a service failed'));
    started.length = 0;
  };

  try {
    const prev = readJson<DevnetState>(statePath);
    const state: DevnetState = {
      version: 1,
      ports: {
        redis: await ensurePort(prev?.ports.redis, 'redis', log),
        monerodRpc: await ensurePort(prev?.ports.monerodRpc, 'monerod RPC', log),
        monerodP2p: await ensurePort(prev?.ports.monerodP2p, 'monerod P2P', log),
        walletRpc: await ensurePort(prev?.ports.walletRpc, 'wallet-rpc', log),
        zmqPub: await ensurePort(prev?.ports.zmqPub, 'monerod ZMQ publisher', log),
        zmqRpc: await ensurePort(prev?.ports.zmqRpc, 'monerod ZMQ RPC', log),
      },
      walletLogin: prev?.walletLogin ?? { user: 'pool', password: randomBytes(12).toString('hex') },
      bootstrapped: prev?.bootstrapped ?? false,
    };
    writeJson(statePath, state);

    const t0 = Date.now();
    const redis = await startRedis({
      dir: join(dataDir, 'redis'),
      port: state.ports.redis,
      appendonly: true,
      ...(opts.binaries?.redisServer ? { binary: opts.binaries.redisServer } : {}),
    });
    started.push(redis);

    const monerodOpts = (fixedDifficulty: number) => ({
      dir: join(dataDir, 'monerod'),
      rpcPort: state.ports.monerodRpc,
      p2pPort: state.ports.monerodP2p,
      zmq: true,
      zmqPubPort: state.ports.zmqPub,
      zmqRpcPort: state.ports.zmqRpc,
      fixedDifficulty,
      ...(opts.binaries?.monerod ? { binary: opts.binaries.monerod } : {}),
    });
    const bootstrapDifficulty = state.bootstrapped ? opts.fixedDifficulty : 1;
    let monerod = await startMonerod(monerodOpts(bootstrapDifficulty));
    const monerodEntry = { stop: () => monerod.stop() };
    started.push(monerodEntry);

    const startWallet = () =>
      startWalletRpc({
        daemonPort: monerod.port,
        dir: join(dataDir, 'wallet'),
        rpcPort: state.ports.walletRpc,
        login: state.walletLogin,
        ...(opts.binaries?.walletRpc ? { binary: opts.binaries.walletRpc } : {}),
      });
    let wallet = await startWallet();
    const walletEntry = { stop: () => wallet.stop() };
    started.push(walletEntry);
    log.info(
      `devnet: services up in ${Date.now() - t0} ms (redis :${redis.port}, monerod :${monerod.port}, wallet-rpc :${wallet.port})`,
    );

    const opened = await openOrCreateWallet(wallet, { filename: WALLET_NAME });
    const saved = readJson<PoolWalletFile>(walletPath);
    if (saved && saved.address !== opened.address) {
      throw new PoolError(
        ERRORS.SERVICE_START,
        `devnet: wallet "${WALLET_NAME}" has address ${opened.address} but ${walletPath} says ${saved.address}`,
        {
          walletPath,
        },
      );
    }
    if (!saved || opened.created)
      writeJson(walletPath, { filename: WALLET_NAME, address: opened.address, createdAt: new Date().toISOString() });
    log.info(`devnet: pool wallet ${opened.created ? 'created' : 'opened'}: ${opened.address}`);

    const daemon = createDaemonClient({ host: '127.0.0.1', port: monerod.port, timeout: 30_000, retries: 2 });
    let height: number;
    try {
      height = await daemon.getBlockCount();
      if (!state.bootstrapped) {
        const need = initialBlocks + 1 - height;
        if (need > 0) {
          const t1 = Date.now();
          log.info(`devnet: mining ${need} initial blocks to the pool wallet (difficulty ${bootstrapDifficulty})...`);
          let left = need;
          while (left > 0) {
            const batch = Math.min(left, 20);
            height = (await daemon.generateBlocks(batch, opened.address, { timeoutMs: 60_000 + batch * 10_000 }))
              .height;
            left -= batch;
            log.info(`devnet: height ${await daemon.getBlockCount()}`);
          }
          log.info(`devnet: mined ${need} blocks in ${Date.now() - t1} ms`);
        }
        if (bootstrapDifficulty !== opts.fixedDifficulty) {
          // wallet-rpc does not reliably reconnect to a restarted daemon (-38): restart both
          await storeWallet(wallet);
          await wallet.stop();
          await monerod.stop();
          monerod = await startMonerod(monerodOpts(opts.fixedDifficulty));
          wallet = await startWallet();
          await openOrCreateWallet(wallet, { filename: WALLET_NAME });
          log.info(`devnet: monerod restarted with --fixed-difficulty ${opts.fixedDifficulty}`);
        }
        state.bootstrapped = true;
        writeJson(statePath, state);
      }
      height = await daemon.getBlockCount();
    } finally {
      await daemon.close();
    }

    const client = wallet.client({ timeout: 300_000 });
    try {
      await client.refresh();
      await client.store();
    } finally {
      await client.close();
    }
    log.info(`devnet: ready in ${dataDir} at height ${height} (difficulty ${opts.fixedDifficulty})`);

    let stopping: Promise<void> | undefined;
    const devnet: Devnet = {
      dataDir,
      redis,
      monerod,
      wallet,
      poolAddress: opened.address,
      height,
      configFragment: {
        daemon: { host: '127.0.0.1', port: monerod.port, zmq: `tcp://127.0.0.1:${state.ports.zmqPub}` },
        wallet: {
          host: '127.0.0.1',
          port: wallet.port,
          user: state.walletLogin.user,
          password: state.walletLogin.password,
        },
        redis: { host: '127.0.0.1', port: redis.port },
      },
      stop() {
        stopping ??= (async () => {
          // on Ctrl-C the terminal signals wallet-rpc too; it then stores the wallet itself while exiting
          if (!wallet.hasExited) {
            await storeWallet(wallet).catch((e: unknown) => {
              if (!wallet.hasExited && !isPoolError(e, ERRORS.RPC_HTTP))
                log.warn({ err: e }, 'devnet: storing the wallet failed');
            });
          }
          await stopAll();
          rmSync(lock, { force: true });
          log.info('devnet: stopped');
        })();
        return stopping;
      },
    };
    return devnet;
  } catch (e) {
    await stopAll();
    rmSync(lock, { force: true });
    throw e;
  }
}
