/**
 * Local service launchers shared by the tests (test/harness/) and the devnet (cli/devnet.ts): redis-server, monerod
 * --regtest and monero-wallet-rpc on free ports in their own folders, stopped cleanly and never outliving the parent.
 *
 * Data model: none (see each launcher).
 */
export { freePort, canBind } from './ports.js';
export { isAlive, liveServiceCount, tailFile, type ManagedProcess } from './process.js';
export { startRedis, pingRedis, redisServerArgs, type RedisService, type StartRedisOptions } from './redis.js';
export { startMonerod, type MonerodService, type StartMonerodOptions } from './monerod.js';
export {
  startWalletRpc,
  createWallet,
  openWallet,
  openOrCreateWallet,
  type WalletRpcService,
  type StartWalletRpcOptions,
} from './wallet-rpc.js';
