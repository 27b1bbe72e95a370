/**
 * What the stats function needs from the outside. The real clients satisfy these structurally: the Storage port
 * (shared/storage/*), the daemon client (shared/rpc/daemon.ts), a pino logger (shared/log.ts) and PoolConfig.
 */
import type { PoolConfig } from '../../shared/config/schema.js';
import type { Log } from '../../shared/log.js';
import type { DaemonClient } from '../../shared/rpc/daemon.js';
import type { Storage } from '../../shared/storage/port.js';

export interface StatsDeps {
  storage: Storage;
  daemon: Pick<DaemonClient, 'getLastBlockHeader' | 'getInfo'>;
  config: PoolConfig;
  log: Log;
  /** Unix ms. */
  now(): number;
}

export interface StatsInput {
  /** Compute and return the snapshot without writing anything (no snapshot, charts or heartbeat). */
  dryRun?: boolean;
}
