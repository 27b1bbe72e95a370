/**
 * The on-call surface (`npx pool payments status | resume | resolve BATCH sent|release`).
 *
 * - paymentStatus: fail-stop flag, lock, open batches (without tx secrets), last heartbeat, ledger totals.
 * - resumePayments: clears the fail-stop flag after review. Open batches stay open: the next run recovers them.
 * - resolveBatch(id, action), under the payer lock:
 *   - "sent": the operator has seen the tx on chain (or the daemon shows it): settle the ledger as paid, finalize.
 *   - "release": put the reservation back into the balances. Allowed for a reserved batch; for a signed/relayed one
 *     only when its tx can never be mined: the daemon does not know the tx AND either it was never handed to
 *     relay_tx (no submitStarted) or every key image it spends is already spent in the chain (by another tx).
 *     Anything else is refused, because releasing a tx that may still be mined is a double payment.
 */
import { ERRORS, PoolError, errorMessage } from '../../shared/errors.js';
import { asHash } from '../../shared/storage/replies.js';
import { batchSummary, type PayBatch } from './batch.js';
import type { PaymentsDeps } from './deps.js';
import * as ledger from './ledger.js';
import { txState } from './pay-batch.js';

export async function paymentStatus(deps: PaymentsDeps): Promise<Record<string, unknown>> {
  const keys = ledger.keysFor(deps);
  const [failStop, lockTtl, heartbeat, stats] = await Promise.all([
    ledger.readFailStop(deps.storage, keys),
    deps.storage.command(['PTTL', keys.payLock]),
    deps.storage.command(['GET', keys.heartbeat('payments')]),
    deps.storage.command([
      'HMGET',
      keys.stats,
      'totalPaid',
      'totalTxFees',
      'totalFeesCharged',
      'totalCredited',
      'totalRevenue',
    ]),
  ]);
  const open: Record<string, unknown>[] = [];
  for (const id of await ledger.openBatchIds(deps.storage, keys)) {
    try {
      const b = await ledger.loadBatch(deps.storage, keys, id);
      open.push(b ? batchSummary(b) : { id, error: 'missing record' });
    } catch (e) {
      open.push({
        id,
        error: errorMessage(e),
        raw: redact(asHash(await deps.storage.command(['HGETALL', keys.payBatch(id)]))),
      });
    }
  }
  const [totalPaid, totalTxFees, totalFeesCharged, totalCredited, totalRevenue] = Array.isArray(stats) ? stats : [];
  return {
    failStop,
    lock: typeof lockTtl === 'number' && lockTtl > 0 ? { held: true, ttlMs: lockTtl } : { held: false },
    openBatches: open,
    lastRun: heartbeat === null ? null : Number(heartbeat),
    totals: { totalPaid, totalTxFees, totalFeesCharged, totalCredited, totalRevenue },
  };
}

export async function resumePayments(
  deps: PaymentsDeps,
): Promise<{ cleared: ledger.FailStop | null; openBatches: number }> {
  const keys = ledger.keysFor(deps);
  const cleared = await ledger.readFailStop(deps.storage, keys);
  await deps.storage.command(['DEL', keys.payFailStop]);
  if (cleared) deps.log.warn({ cleared }, 'payments: fail-stop cleared by an operator');
  return { cleared, openBatches: (await ledger.openBatchIds(deps.storage, keys)).length };
}

export interface ResolveResult {
  id: string;
  action: 'sent' | 'release';
  before: string;
  after: string;
}

export async function resolveBatch(deps: PaymentsDeps, id: string, action: 'sent' | 'release'): Promise<ResolveResult> {
  const keys = ledger.keysFor(deps);
  const token = await ledger.acquireLock(deps, keys);
  if (token === null) throw new PoolError(ERRORS.LOCK_HELD, 'a payer is running; try again when it has finished');
  const p: ledger.Payer = { deps, keys, token, ttlMs: deps.config.payments.lockTtl * 1000 };
  try {
    const b = await ledger.loadBatch(deps.storage, keys, id);
    if (!b) throw new PoolError(ERRORS.NOT_FOUND, `no batch ${id}`);
    const after = action === 'sent' ? await markSent(p, b) : await releaseChecked(p, b);
    deps.log.warn({ batchId: id, action, before: b.status, after }, 'payments: batch resolved by an operator');
    return { id, action, before: b.status, after };
  } finally {
    await ledger.releaseLock(p);
  }
}

async function markSent(p: ledger.Payer, b: PayBatch): Promise<string> {
  if (b.status === 'signed' || b.status === 'relayed') {
    const code = await ledger.settle(p, b);
    if (code !== 1) throw refused(b, `settle answered ${code}`);
  } else if (b.status !== 'sent') {
    throw refused(b, `only a signed, relayed or sent batch can be marked sent`);
  }
  const code = await ledger.finalize(p, b.id);
  if (code !== 1) throw refused(b, `finalize answered ${code}`);
  return 'final';
}

async function releaseChecked(p: ledger.Payer, b: PayBatch): Promise<string> {
  if (b.status === 'signed' || b.status === 'relayed') {
    const state = await txState(p, b.txHash ?? '');
    if (state !== 'missing') throw refused(b, `the daemon has the tx (${state}); resolve it as sent`);
    if (b.submitStarted !== undefined) {
      const images = JSON.parse(b.raw.keyImages ?? '[]') as string[];
      if (images.length === 0) throw refused(b, 'it was handed to relay_tx and its key images are unknown');
      const spent = await p.deps.daemon.isKeyImageSpent(images);
      if (!spent.every((s) => s === 'spentInChain')) {
        throw refused(
          b,
          'it was handed to relay_tx and its inputs are not all spent in the chain by another tx, so it could still be mined',
        );
      }
    }
  } else if (b.status !== 'reserved') {
    throw refused(b, 'only reserved, signed or relayed batches can be released');
  }
  const code = await ledger.release(p, b, 'released by an operator', true);
  if (code !== 1) throw refused(b, `release answered ${code}`);
  return 'released';
}

function refused(b: PayBatch, why: string): PoolError {
  return new PoolError(ERRORS.BAD_REQUEST, `batch ${b.id} (${b.status}) not resolved: ${why}`, {
    batchId: b.id,
    status: b.status,
  });
}

function redact(h: Record<string, string>): Record<string, string> {
  const { txMetadata: _m, txKey: _k, ...rest } = h;
  return rest;
}
