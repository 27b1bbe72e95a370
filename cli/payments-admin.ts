/**
 * `pool payments status | resume | resolve BATCH --as sent|release`: the on-call surface for a fail-stop.
 * status prints the fail-stop flag, the lock and every open batch; resume clears the flag after review; resolve
 * settles one batch by hand once the operator has checked the chain and the wallet (see the README runbook).
 */
import { paymentStatus, resumePayments, resolveBatch } from '../functions/payments/index.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { createContext } from './context.js';

export async function paymentsAdmin(
  config: PoolConfig,
  action: 'status' | 'resume' | 'resolve',
  batch?: string,
  as?: 'sent' | 'release',
): Promise<unknown> {
  const ctx = createContext(config);
  const deps = {
    storage: ctx.storage,
    daemon: ctx.daemon,
    wallet: ctx.wallet,
    config,
    log: ctx.log('payments'),
    now: () => Date.now(),
  };
  try {
    if (action === 'status') return await paymentStatus(deps);
    if (action === 'resume') return await resumePayments(deps);
    return await resolveBatch(deps, batch ?? '', as ?? 'sent');
  } finally {
    await ctx.close();
  }
}
