/**
 * What the payer needs from the outside: Redis (the Storage port), the daemon and the pool's wallet narrowed to the
 * methods it calls (shared/rpc/daemon.ts and wallet.ts satisfy them), the config, a logger and a clock.
 */
import type { PoolConfig } from '../../shared/config/schema.js';
import type { Logger } from '../../shared/log.js';
import type { DaemonClient } from '../../shared/rpc/daemon.js';
import type { WalletClient } from '../../shared/rpc/wallet.js';
import type { Storage } from '../../shared/storage/port.js';

export interface PaymentsDeps {
  storage: Storage;
  daemon: Pick<DaemonClient, 'getInfo' | 'getTransactions' | 'isKeyImageSpent'>;
  wallet: Pick<WalletClient, 'getHeight' | 'refresh' | 'transfer' | 'relayTx' | 'store'>;
  config: PoolConfig;
  log: Logger;
  /** Unix ms. */
  now(): number;
}

export interface RunInput {
  dryRun?: boolean;
}
