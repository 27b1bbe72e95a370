/**
 * The payer: one run pays every due balance, crash-safely (docs/money.md: invariants, phases, crash points).
 *
 * 1. Fail-stop flag set -> stop (an operator reviews, then `resumePayments`). Redis is read before any RPC, so with
 *    Redis down nothing reaches the wallet.
 * 2. Take the single-payer lock with a fresh fencing token (another payer running -> hold).
 * 3. Preflight (preflight.ts): daemon synchronized, wallet at the daemon's height; else hold with the reason.
 * 4. Recover every open batch, oldest first (pay-batch.ts recoverBatch); one that cannot be settled stops the run;
 *    a sent batch still below CONFIRMATIONS is left open ("waiting") and the run goes on.
 * 5. Select due payees (select.ts), cut them into batches of at most 15, and pay each batch in turn
 *    (pay-batch.ts payNewBatch); the first batch that does not end final stops the run.
 * Result statuses: "paid" (at least one batch, recovered or new, settled (sent) or final), "idle" (nothing due), "held" (reason), "failstop" (reason),
 * "dry-run". A dry run takes no lock and writes nothing: it runs the preflight and reports open batches and plan.
 *
 * Data model: see batch.ts (payBatch), scripts.ts (ledger moves), shared/redis/keys.ts (payLock, payFence,
 * payFailStop, payBatchesOpen, payBatchSeq, paymentsAll, payments(addr), worker(addr) balance/pending/paid/feePaid,
 * stats totalPaid/totalTxFees/totalFeesCharged, heartbeat('payments') = unix ms of the last run that was not held).
 */
import { ERRORS, errorMessage, isPoolError } from '../../shared/errors.js';
import type { KeySchema } from '../../shared/redis/keys.js';
import { batchSummary } from './batch.js';
import type { PaymentsDeps, RunInput } from './deps.js';
import * as ledger from './ledger.js';
import { payNewBatch, recoverBatch, type BatchOutcome } from './pay-batch.js';
import { preflight } from './preflight.js';
import { readBalances, selectPayees, toBatches, type Skipped } from './select.js';

export type PaymentsStatus = 'paid' | 'idle' | 'held' | 'failstop' | 'dry-run';

export interface PaymentsResult {
  function: 'payments';
  dryRun: boolean;
  at: number;
  status: PaymentsStatus;
  reason?: string;
  recovered: BatchOutcome[];
  batches: BatchOutcome[];
  skipped: Skipped[];
  /** Dry run only: open batches and the batches a run would make now. */
  open?: Record<string, unknown>[];
  planned?: { address: string; amount: string }[][];
}

export async function run(deps: PaymentsDeps, input: RunInput = {}): Promise<PaymentsResult> {
  const dryRun = input.dryRun === true;
  const keys = ledger.keysFor(deps);
  const result: PaymentsResult = {
    function: 'payments',
    dryRun,
    at: deps.now(),
    status: 'idle',
    recovered: [],
    batches: [],
    skipped: [],
  };
  const stop = await ledger.readFailStop(deps.storage, keys);
  if (stop) return { ...result, status: 'failstop', reason: `fail-stop set: ${stop.reason}` };
  if (dryRun) return dryRunReport(deps, keys, result);

  const token = await ledger.acquireLock(deps, keys);
  if (token === null) return { ...result, status: 'held', reason: 'another payer holds the lock' };
  const payer: ledger.Payer = { deps, keys, token, ttlMs: deps.config.payments.lockTtl * 1000 };
  try {
    await runLocked(payer, result);
  } catch (e) {
    result.status = 'held';
    result.reason = `stopped by an error (state is recoverable on the next run): ${errorMessage(e)}`;
    deps.log.error({ err: e }, 'payments: run stopped by an error');
  } finally {
    await ledger
      .releaseLock(payer)
      .catch((e: unknown) => deps.log.warn({ err: e }, 'payments: could not release the lock'));
  }
  if (result.status === 'paid' || result.status === 'idle') await writeHeartbeat(deps, keys);
  if (result.status !== 'idle')
    deps.log.info(
      { status: result.status, reason: result.reason, batches: result.batches.length },
      'payments: run done',
    );
  return result;
}

/** keys.heartbeat('payments') = unix ms. */
export async function writeHeartbeat(deps: Pick<PaymentsDeps, 'storage' | 'now'>, keys: KeySchema): Promise<void> {
  await deps.storage.command(['SET', keys.heartbeat('payments'), String(deps.now())]);
}

async function runLocked(p: ledger.Payer, result: PaymentsResult): Promise<void> {
  const pf = await preflight(p.deps);
  if (!pf.ok) return stopWith(result, 'held', pf.reason);

  for (const id of await ledger.openBatchIds(p.deps.storage, p.keys)) {
    let outcome: BatchOutcome;
    try {
      const b = await ledger.loadBatch(p.deps.storage, p.keys, id);
      outcome = b ? await recoverBatch(p, b) : await failStopOutcome(p, id, 'open batch id without a batch record');
    } catch (e) {
      if (!isAmbiguous(e)) throw e;
      outcome = await failStopOutcome(p, id, errorMessage(e));
    }
    result.recovered.push(outcome);
    if (outcome.result === 'final' || outcome.result === 'sent') result.status = 'paid';
    if (outcome.result === 'held' || outcome.result === 'failstop')
      return stopWith(result, outcome.result, `batch ${id}: ${outcome.reason}`);
  }

  const { payees, skipped } = selectPayees(await readBalances(p.deps.storage, p.keys), p.deps.config);
  result.skipped = skipped;
  for (const batch of toBatches(payees, p.deps.config)) {
    const outcome = await payNewBatch(p, batch);
    result.batches.push(outcome);
    if (outcome.result === 'final' || outcome.result === 'sent') result.status = 'paid';
    else if (outcome.result === 'failstop')
      return stopWith(result, 'failstop', `batch ${outcome.id}: ${outcome.reason}`);
    else if (outcome.result !== 'skipped') return stopWith(result, 'held', `batch ${outcome.id}: ${outcome.reason}`);
  }
}

function stopWith(result: PaymentsResult, status: 'held' | 'failstop', reason: string): void {
  result.status = status;
  result.reason = reason;
}

function isAmbiguous(e: unknown): boolean {
  return isPoolError(e, ERRORS.PAYMENT_AMBIGUOUS);
}

async function failStopOutcome(p: ledger.Payer, id: string, reason: string): Promise<BatchOutcome> {
  await ledger.setFailStop(p.deps, p.keys, reason, id);
  return { id, result: 'failstop', reason };
}

async function dryRunReport(deps: PaymentsDeps, keys: KeySchema, result: PaymentsResult): Promise<PaymentsResult> {
  const pf = await preflight(deps);
  const open: Record<string, unknown>[] = [];
  for (const id of await ledger.openBatchIds(deps.storage, keys)) {
    const b = await ledger.loadBatch(deps.storage, keys, id).catch((e: unknown) => errorMessage(e));
    open.push(b === null || typeof b === 'string' ? { id, error: b ?? 'missing record' } : batchSummary(b));
  }
  const { payees, skipped } = selectPayees(await readBalances(deps.storage, keys), deps.config);
  return {
    ...result,
    status: 'dry-run',
    ...(pf.ok ? {} : { reason: `a real run would hold: ${pf.reason}` }),
    skipped,
    open,
    planned: toBatches(payees, deps.config).map((b) =>
      b.map((d) => ({ address: d.address, amount: d.amount.toString() })),
    ),
  };
}
