/**
 * What the unlocker needs from the outside. The daemon is narrowed to the two methods it calls, so the real client
 * (shared/rpc/daemon.ts) or a stand-in fits.
 */
import type { PoolConfig } from '../../shared/config/schema.js';
import type { Logger } from '../../shared/log.js';
import type { DaemonClient } from '../../shared/rpc/daemon.js';
import type { Storage } from '../../shared/storage/port.js';

export interface UnlockerDeps {
  storage: Storage;
  daemon: Pick<DaemonClient, 'getBlockHeaderByHeight' | 'getBlockHeaderByHash'>;
  config: PoolConfig;
  log: Logger;
  /** Unix ms. */
  now(): number;
}

export interface RunInput {
  dryRun?: boolean;
}
