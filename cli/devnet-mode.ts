/**
 * `npm start` with no config, and `pool devnet`: the embedded devnet (devnet.ts: redis-server, monerod --regtest
 * --offline --fixed-difficulty N, monero-wallet-rpc with a pool wallet, in .data/devnet, reused on restart) and,
 * for `start`, every module against it with a config built from the schema's defaults plus the devnet's addresses.
 * Logs where to point a miner (ports and an xmrig command line) and where the website is.
 *
 * Console: one format from the first line to the last. The devnet's own progress, every module's logs and the
 * banner all go through shared/log.ts loggers built from the same `logging` block (pretty single-line console
 * records, and the same per-level files in <dataDir>/logs); the services' own output goes to their log files only.
 */
import { configFromObject } from '../shared/config/load.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { createLogger, type Logger, type LoggingOptions } from '../shared/log.js';
import { startDevnet, type Devnet } from './devnet.js';
import { startModules, selectModules, untilSignal } from './start.js';

const DEVNET_DEFAULTS = {
  dataDir: '.data/devnet',
  fixedDifficulty: 100,
};

/** The devnet's logging block: what its config carries and what the devnet's own logger is built from. */
export function devnetLogging(dataDir: string = DEVNET_DEFAULTS.dataDir): LoggingOptions {
  return {
    files: { level: 'info', directory: `${dataDir}/logs`, flushInterval: 5 },
    console: { level: 'info', colors: true },
  };
}

export function devnetConfig(devnet: Devnet): PoolConfig {
  const f = devnet.configFragment;
  return configFromObject({
    coin: 'monero',
    symbol: 'XMR',
    logging: devnetLogging(),
    poolServer: {
      poolAddress: devnet.poolAddress,
      clusterForks: 1,
      ports: [
        { port: 3333, difficulty: 100, desc: 'devnet: low-end CPU' },
        { port: 5555, difficulty: 2000, desc: 'devnet: mid-range CPU' },
      ],
      varDiff: { minDiff: 50, maxDiff: 100_000, targetTime: 15, retargetTime: 30 },
      health: { enabled: true, host: '127.0.0.1', port: 9101 },
    },
    daemon: f.daemon,
    wallet: f.wallet,
    redis: f.redis,
    api: { enabled: true, host: '127.0.0.1', port: 8117, password: 'devnet-admin', website: 'website/dist' },
    blockUnlocker: { enabled: true, interval: 10, depth: 10, poolFee: 1 },
    payments: { enabled: true, interval: 60, minPayment: '10000000000', denomination: '1000000000' },
    devnet: { dataDir: DEVNET_DEFAULTS.dataDir, fixedDifficulty: DEVNET_DEFAULTS.fixedDifficulty },
  });
}

/** Where to point a miner and a browser: one log record per line. */
export function bannerLines(config: PoolConfig, devnet: Devnet): string[] {
  return [
    `devnet ready: monerod ${config.daemon.host}:${config.daemon.port}, wallet-rpc ${config.wallet.host}:${config.wallet.port}, redis ${config.redis.host}:${config.redis.port}`,
    `pool wallet: ${devnet.poolAddress}`,
    ...config.poolServer.ports.map((p) => `stratum port 127.0.0.1:${p.port}, difficulty ${p.difficulty} (${p.desc})`),
    `mine with: xmrig -o 127.0.0.1:${config.poolServer.ports[0]?.port ?? 3333} -u ${devnet.poolAddress} -p devnet-rig --coin monero (any mainnet-format address you own works as -u: regtest uses mainnet addresses)`,
    `website: http://127.0.0.1:${config.api.port}/ (admin token: ${config.api.password ?? 'none'})`,
    `health: http://127.0.0.1:${config.poolServer.health.port}/health`,
    'pool running on the devnet (Ctrl-C to stop)',
  ];
}

export async function startWithDevnet(modules: readonly string[]): Promise<void> {
  const log = createLogger(devnetLogging(), 'devnet');
  const devnet = await startDevnet({
    dataDir: DEVNET_DEFAULTS.dataDir,
    fixedDifficulty: DEVNET_DEFAULTS.fixedDifficulty,
    log,
  });
  let r: Awaited<ReturnType<typeof startModules>>;
  try {
    const config = devnetConfig(devnet);
    r = await startModules(config, selectModules(config, modules));
    for (const line of bannerLines(config, devnet)) log.info(line);
  } catch (e) {
    await devnet.stop();
    throw e;
  }
  untilSignal(async () => {
    await r.stop();
    await devnet.stop();
  }, log);
}

export async function runDevnetOnly(dataDir?: string): Promise<void> {
  const dir = dataDir ?? DEVNET_DEFAULTS.dataDir;
  const log: Logger = createLogger(devnetLogging(dir), 'devnet');
  const devnet = await startDevnet({ dataDir: dir, fixedDifficulty: DEVNET_DEFAULTS.fixedDifficulty, log });
  const f = devnet.configFragment;
  log.info(`devnet ready in ${dir} (Ctrl-C to stop); pool wallet: ${devnet.poolAddress}`);
  log.info(
    `config fragment for these services: ${JSON.stringify({ daemon: f.daemon, wallet: f.wallet, redis: f.redis, poolServer: { poolAddress: devnet.poolAddress } })}`,
  );
  untilSignal(() => devnet.stop(), log);
}
