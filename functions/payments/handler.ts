/**
 * Lambda entry of the payer (bundled by infra/lib/functions.ts). Runs on payments.interval from an EventBridge
 * schedule with no retries and reserved concurrency 1, or once from `npx pool invoke --aws payments [--dry-run]`.
 * Metrics: Heartbeat when the run paid or had nothing to pay (the same rule as its Redis heartbeat), PayoutsHalted
 * when the payer is in fail-stop (an operator must review; docs/cloud.md runbook).
 */
import { ERRORS, PoolError } from '../../shared/errors.js';
import { scheduledHandler } from '../../shared/cloud/scheduled.js';
import { run, type PaymentsResult } from './run.js';

export const handler = scheduledHandler<PaymentsResult>({
  name: 'payments',
  run: (d, input) => {
    if (d.wallet === null)
      throw new PoolError(ERRORS.CONFIG_INVALID, 'payments needs the wallet secret (POOL_WALLET_SECRET)');
    return run(
      { storage: d.storage, daemon: d.daemon, wallet: d.wallet, config: d.config, log: d.log, now: Date.now },
      input,
    );
  },
  metrics: (r) => ({
    ...(r.status === 'paid' || r.status === 'idle' ? { Heartbeat: 1 } : {}),
    PayoutsHalted: r.status === 'failstop' ? 1 : 0,
  }),
});
