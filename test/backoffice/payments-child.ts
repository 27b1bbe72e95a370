/**
 * Runs one payments `run` in its own process (for kill -9 tests): the config comes as JSON in POOL_TEST_CONFIG, the
 * result goes to stdout as one JSON line. With PAYMENTS_CRASH_AT set, the payer SIGKILLs itself after that phase.
 */
import { run } from '../../functions/payments/index.js';
import { configFromObject } from '../../shared/config/load.js';
import { silentLogger } from '../../shared/log.js';
import { createDaemonClient } from '../../shared/rpc/daemon.js';
import { createWalletClient } from '../../shared/rpc/wallet.js';
import { createIoredisStorage } from '../../shared/storage/ioredis.js';

const config = configFromObject(JSON.parse(process.env['POOL_TEST_CONFIG'] ?? '{}'));
const storage = createIoredisStorage(config.redis);
const daemon = createDaemonClient(config.daemon);
const wallet = createWalletClient(config.wallet);
try {
  const result = await run({ storage, daemon, wallet, config, log: silentLogger(), now: () => Date.now() });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await Promise.all([storage.close(), daemon.close(), wallet.close()]);
}
