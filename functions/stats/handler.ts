/**
 * Lambda entry of the stats function (bundled by infra/lib/functions.ts). Runs every minute from an EventBridge
 * schedule, or once from `npx pool invoke --aws stats`. Heartbeat metric after every completed run.
 */
import { scheduledHandler } from '../../shared/cloud/scheduled.js';
import type { PoolStatsSnapshot } from './index.js';
import { run } from './index.js';

export const handler = scheduledHandler<PoolStatsSnapshot>({
  name: 'stats',
  run: (d, input) => run({ storage: d.storage, daemon: d.daemon, config: d.config, log: d.log, now: Date.now }, input),
  metrics: () => ({ Heartbeat: 1 }),
});
