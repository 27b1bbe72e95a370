/**
 * What the API needs from the outside (structural: the real Storage adapters, the daemon client, a pino logger and
 * PoolConfig fit). `longPoll` is true for a long-running server (local, ECS) and false under Lambda, where
 * /live_stats and /stats_address?longpoll=true answer at once.
 */
import type { PoolConfig } from '../../shared/config/schema.js';
import type { DaemonClient } from '../../shared/rpc/daemon.js';
import type { Storage } from '../../shared/storage/port.js';
import type { Log } from '../../shared/log.js';

export interface ApiDeps {
  storage: Storage;
  /** getLastBlockHeader is not used per request (the snapshot has it); getInfo feeds /admin_monitoring. */
  daemon: Pick<DaemonClient, 'getInfo'>;
  config: PoolConfig;
  log: Log;
  /** Unix ms. */
  now(): number;
  /** Folder served at `/` when it exists (the built website, website/dist). Default: config.api.website. */
  websiteDir?: string | null;
  /** Hold /live_stats and /stats_address?longpoll=true until the snapshot changes (false under Lambda). */
  longPoll: boolean;
  /**
   * Origins allowed to call POST /set_payout_threshold from a browser on another origin. Default none: the route
   * answers same-origin pages only, because its credential is ambient (the caller's IP), so an open CORS policy
   * would let any web page change the threshold of a visitor who mines.
   */
  writeOrigins?: readonly string[];
  /** How often waiting long polls re-read the snapshot, ms. Default 1000. */
  livePollMs?: number;
  /** Failed admin logins allowed per IP within ADMIN_FAIL_WINDOW_SECONDS before 429. Default 10. */
  adminFailLimit?: number;
  /** Reported as config.version in /stats. Default: package.json's version. */
  version?: string;
}
