/**
 * `npm start` with no config, and `pool devnet`: the embedded devnet (devnet.ts: redis-server, monerod --regtest
 * --offline --fixed-difficulty N, monero-wallet-rpc with a pool wallet, in .data/devnet, reused on restart) and,
 * for `start`, every module against it with a config built from the schema's defaults plus the devnet's addresses.
 * Prints where to point a miner (ports and an xmrig command line) and where the website is.
 */
import { configFromObject } from '../shared/config/load.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { logger } from '../shared/log.js';
import { startDevnet, type Devnet } from './devnet.js';
import { startModules, selectModules, untilSignal } from './start.js';

const DEVNET_DEFAULTS = {
  dataDir: '.data/devnet',
  fixedDifficulty: 100,
};

export function devnetConfig(devnet: Devnet): PoolConfig {
  const f = devnet.configFragment;
  return configFromObject({
    coin: 'monero',
    symbol: 'XMR',
    logging: { files: { level: 'info', directory: `${DEVNET_DEFAULTS.dataDir}/logs` }, console: { level: 'info', colors: true } },
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

function banner(config: PoolConfig, devnet: Devnet): string {
  const ports = config.poolServer.ports.map((p) => `  127.0.0.1:${p.port}  difficulty ${p.difficulty}  ${p.desc}`).join('\n');
  return [
    '',
    `devnet ready: monerod ${config.daemon.host}:${config.daemon.port}, wallet-rpc ${config.wallet.host}:${config.wallet.port}, redis ${config.redis.host}:${config.redis.port}`,
    `pool wallet: ${devnet.poolAddress}`,
    'stratum ports:',
    ports,
    `mine with:  xmrig -o 127.0.0.1:${config.poolServer.ports[0]?.port ?? 3333} -u ${devnet.poolAddress} -p devnet-rig --coin monero`,
    '            (use any mainnet-format address you own as -u; regtest uses mainnet addresses)',
    `website:    http://127.0.0.1:${config.api.port}/   (admin token: ${config.api.password ?? 'none'})`,
    `health:     http://127.0.0.1:${config.poolServer.health.port}/health`,
    '',
  ].join('\n');
}

export async function startWithDevnet(modules: readonly string[]): Promise<void> {
  const devnet = await startDevnet({ dataDir: DEVNET_DEFAULTS.dataDir, fixedDifficulty: DEVNET_DEFAULTS.fixedDifficulty, log: logger });
  let r: Awaited<ReturnType<typeof startModules>>;
  try {
    const config = devnetConfig(devnet);
    r = await startModules(config, selectModules(config, modules));
    process.stdout.write(banner(config, devnet));
  } catch (e) {
    await devnet.stop();
    throw e;
  }
  untilSignal(async () => {
    await r.stop();
    await devnet.stop();
  });
}

export async function runDevnetOnly(dataDir?: string): Promise<void> {
  const devnet = await startDevnet({ dataDir: dataDir ?? DEVNET_DEFAULTS.dataDir, fixedDifficulty: DEVNET_DEFAULTS.fixedDifficulty, log: logger });
  const f = devnet.configFragment;
  process.stdout.write(
    [
      '',
      `devnet ready in ${dataDir ?? DEVNET_DEFAULTS.dataDir} (Ctrl-C to stop)`,
      `pool wallet: ${devnet.poolAddress}`,
      'config fragment for these services:',
      JSON.stringify({ daemon: f.daemon, wallet: f.wallet, redis: f.redis, poolServer: { poolAddress: devnet.poolAddress } }, null, 2),
      '',
    ].join('\n'),
  );
  untilSignal(() => devnet.stop());
}
