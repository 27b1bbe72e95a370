/**
 * Lambda entry of the block unlocker (bundled by infra/lib/functions.ts). Runs every minute from an EventBridge
 * schedule, or once from `npx pool invoke --aws unlocker`. Heartbeat metric after a run with no block errors.
 * Dependencies are built once per cold start (shared/cloud/runtime.ts).
 */
import { scheduledHandler } from '../../shared/cloud/scheduled.js';
import { run, type UnlockerResult } from './run.js';

export const handler = scheduledHandler<UnlockerResult>({
  name: 'unlocker',
  run: (d, input) => run({ storage: d.storage, daemon: d.daemon, config: d.config, log: d.log, now: Date.now }, input),
  metrics: (r): Record<string, number> => (r.errors === 0 ? { Heartbeat: 1 } : {}),
});
