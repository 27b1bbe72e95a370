/**
 * One batch through the payout state machine (batch.ts), for a new batch and for an open one found at start-up.
 *
 * New batch: reserve (Lua) -> transfer {do_not_relay, get_tx_metadata, get_tx_key} -> persist signed (Lua) ->
 * WAITAOF + WAIT replicas (durable.ts) -> relay -> confirm -> settle (Lua) -> [CONFIRMATIONS blocks later] store ->
 * finalize (Lua).
 *
 * Safety argument, per status a crash can leave behind:
 * - reserved: the only wallet call that can have happened is a transfer with do_not_relay, which broadcasts nothing
 *   and marks no output spent. Releasing the reservation (pending back to balance) is therefore safe; the payees are
 *   selected again in the same run.
 * - signed / relayed: a broadcast may have happened (submitStarted is written before every relay_tx). The batch is
 *   never rebuilt: the daemon is asked whether the tx is known (pool or chain); if not, the SAME stored metadata is
 *   relayed again, which cannot pay twice (same key images). After MAX_RELAY_ATTEMPTS failures, or any answer that
 *   does not fit (another tx hash, a wallet reply that does not match the batch), the payer fail-stops.
 * - sent: the ledger already moved (pending -> paid); the batch stays open until its tx has CONFIRMATIONS
 *   confirmations, then store + finalize. A sent tx that the daemon no longer knows (dropped, double-spent, reorged
 *   out) or that it marks double_spend_seen fail-stops: its payees are recorded as paid but may not be.
 * Durability (durable.ts): a signed tx is relayed only after WAITAOF confirmed that its record (and submitStarted)
 * reached the AOF (preflight.ts requires appendonly yes unless payments.requireAof is false) and, on a store with
 * replicas (payments.minReplicas), after WAIT confirmed it reached a replica, so a failover cannot forget a broadcast
 * batch; else the run holds without relaying. A reservation and a settle need no replica: a reservation lost in a
 * failover loses its balance move with it (nothing was broadcast), and a lost settle is redone by recovery.
 * The payer builds a new transaction only when no batch is reserved, signed or relayed (recovery resolves those or
 * stops the run), so no two unsettled transactions ever compete for the same inputs. Sent batches waiting for
 * confirmations do not block new batches: their balances are already paid, and their inputs are spent in the pool
 * from the wallet's view (the change stays locked for 10 blocks, so a new transfer may fail for lack of unlocked
 * funds: released, nothing sent).
 */
import { ERRORS, PoolError, errorMessage } from '../../shared/errors.js';
import { split } from '../../shared/money.js';
import type { TransferResult } from '../../shared/rpc/wallet.js';
import { asInt } from '../../shared/storage/replies.js';
import type { PayBatch, Destination } from './batch.js';
import { crashPoint } from './crash.js';
import { confirmDurable, settleDurable } from './durable.js';
import * as ledger from './ledger.js';
import type { Payer } from './ledger.js';

export const MAX_RELAY_ATTEMPTS = 3;
/** A sent batch is finalized once its tx has this many confirmations (Monero's spendable age). */
export const CONFIRMATIONS = 10;
/** Consecutive runs held by a too-small payments.transferFee before the payer fail-stops. */
export const FEE_HOLDS_FAILSTOP = 3;

export type BatchOutcome =
  | { id: string; result: 'final'; txHash: string; fee: string; total: string; payees: number }
  /** Settled in this run (balances moved to paid); open until CONFIRMATIONS. */
  | { id: string; result: 'sent'; txHash: string; fee: string; total: string; payees: number; confirmations: number }
  /** A sent batch found open, still below CONFIRMATIONS; nothing changed. */
  | { id: string; result: 'waiting'; txHash: string; confirmations: number; reason: string }
  | { id: string; result: 'released'; reason: string }
  | { id: string; result: 'held'; reason: string }
  | { id: string; result: 'failstop'; reason: string }
  | { id: string; result: 'skipped'; reason: string };

/** Pays one new batch of payees. */
export async function payNewBatch(p: Payer, payees: readonly Destination[]): Promise<BatchOutcome> {
  const id = String(asInt(await p.deps.storage.command(['INCR', p.keys.payBatchSeq]), 'INCR payBatchSeq'));
  const code = await ledger.reserve(p, id, payees);
  if (code !== 1)
    return { id, result: 'skipped', reason: `reserve refused (code ${code}): balances changed since selection` };
  const batch = await mustLoad(p, id);
  const notDurable = await confirmDurable(p, id, { replicas: false, txHash: '' });
  if (notDurable)
    return releaseWith(p, batch, `the reservation is not durable in Redis (${notDurable}); nothing was built`);
  crashPoint('reserved');

  await ledger.extendLock(p);
  let tx: TransferResult;
  try {
    tx = await p.deps.wallet.transfer({
      destinations: payees.map((d) => ({ address: d.address, amount: d.amount })),
      priority: p.deps.config.payments.priority,
      doNotRelay: true,
      getTxMetadata: true,
      getTxKey: true,
    });
  } catch (e) {
    // do_not_relay: nothing was broadcast whatever the wallet did, so the reservation can go back.
    return releaseWith(p, batch, `wallet transfer failed: ${errorMessage(e)}`);
  }
  crashPoint('built');

  const mismatch = replyMismatch(payees, tx.txMetadata, tx.amountsByDest);
  if (mismatch) {
    await releaseWith(p, batch, `wallet reply rejected: ${mismatch}`);
    return failStop(p, batch.id, `wallet transfer reply did not match the batch (${mismatch}); tx was not relayed`);
  }
  const priced = priceDestinations(payees, tx.fee);
  if (typeof priced === 'string') return feeTooSmall(p, batch, priced);
  if (batch.feePayer === 'payees') await p.deps.storage.command(['DEL', p.keys.payFeeHolds]);

  const persisted = await ledger.persistSigned(
    p,
    id,
    { txHash: tx.txHash, txKey: tx.txKey, txMetadata: tx.txMetadata, fee: tx.fee, keyImages: tx.spentKeyImages },
    priced,
  );
  if (persisted !== 1)
    return failStop(p, id, `could not persist the signed tx (code ${persisted}); it was not relayed`);
  crashPoint('signed');
  return relayAndConfirm(p, await mustLoad(p, id));
}

/** Brings an open batch found at the start of a run to a final or released state, or reports why it cannot. */
export async function recoverBatch(p: Payer, b: PayBatch): Promise<BatchOutcome> {
  switch (b.status) {
    case 'reserved':
      return releaseWith(p, b, 'recovery: reserved batch was never relayed');
    case 'signed':
    case 'relayed':
      return relayAndConfirm(p, b);
    case 'sent':
      return checkSent(p, b);
    default:
      return failStop(p, b.id, `open batch in status ${b.status}`);
  }
}

/** signed/relayed: confirm if the daemon knows the tx, else relay the stored metadata (again) and confirm. */
async function relayAndConfirm(p: Payer, b: PayBatch): Promise<BatchOutcome> {
  const txHash = b.txHash ?? '';
  const known = await txSeen(p, txHash);
  if (known.state !== 'missing') return settleAndWait(p, b, known);
  if (b.relayAttempts >= MAX_RELAY_ATTEMPTS) {
    return failStop(p, b.id, `tx ${txHash} still unknown to the daemon after ${b.relayAttempts} relay attempts`);
  }
  await ledger.extendLock(p);
  const attempt = await ledger.markSubmit(p, b.id);
  if (attempt < 0) return failStop(p, b.id, `could not mark the relay start (code ${attempt})`);
  // WAITAOF/WAIT after markSubmit, behind a touch that finds the batch with this tx on the primary: the AOF and the
  // replication stream are sequential, so this also covers the signed record (written by this or an earlier run).
  // Not durable -> do not relay; the batch stays signed (open) and the next run tries again.
  const notDurable = await confirmDurable(p, b.id, { replicas: true, txHash });
  if (notDurable) {
    await ledger.noteError(p, b.id, `relay attempt ${attempt} not made: ${notDurable}`, true);
    return {
      id: b.id,
      result: 'held',
      reason: `tx ${txHash} not relayed: its record is not durable in Redis yet (${notDurable})`,
    };
  }
  let relayError: string | null = null;
  try {
    const r = await p.deps.wallet.relayTx(b.txMetadata ?? '');
    if (r.txHash !== txHash) return failStop(p, b.id, `relay_tx answered tx ${r.txHash}, the batch holds ${txHash}`);
    await ledger.markRelayed(p, b.id);
    crashPoint('relayed');
  } catch (e) {
    relayError = errorMessage(e);
    await ledger.noteError(p, b.id, `relay attempt ${attempt}: ${relayError}`);
    p.deps.log.warn(
      { batchId: b.id, txHash, err: e },
      'payments: relay_tx failed or its reply was lost; checking the daemon',
    );
  }
  const seen = await txSeen(p, txHash);
  if (seen.state !== 'missing') return settleAndWait(p, b, seen);
  if (attempt >= MAX_RELAY_ATTEMPTS) {
    return failStop(
      p,
      b.id,
      `tx ${txHash} still unknown to the daemon after ${attempt} relay attempts (last: ${relayError ?? 'no error'})`,
    );
  }
  return {
    id: b.id,
    result: 'held',
    reason: `tx ${txHash} not seen by the daemon yet (${relayError ?? 'relay answered OK'}); will relay the same tx again`,
  };
}

/** The daemon knows the tx: settle (pending -> paid, status sent), then finalize once it has CONFIRMATIONS. */
async function settleAndWait(p: Payer, b: PayBatch, seen: TxSeen): Promise<BatchOutcome> {
  const txHash = b.txHash ?? '';
  if (seen.doubleSpendSeen)
    return failStop(p, b.id, `tx ${txHash} is marked double_spend_seen by the daemon; not settled`);
  const code = await ledger.settle(p, b);
  if (code !== 1) return failStop(p, b.id, `ledger settle refused (code ${code})`);
  // Best effort: a settle lost in a Redis crash leaves the batch signed/relayed, and it is settled again.
  await settleDurable(p, b.id);
  crashPoint('confirmed');
  const sent = await mustLoad(p, b.id);
  if (seen.confirmations >= CONFIRMATIONS) return finish(p, sent);
  return {
    id: b.id,
    result: 'sent',
    txHash,
    fee: (sent.fee ?? 0n).toString(),
    total: sent.total.toString(),
    payees: sent.destinations.length,
    confirmations: seen.confirmations,
  };
}

/** An open sent batch: finalize at CONFIRMATIONS; a tx gone from pool and chain, or double-spent, fail-stops. */
async function checkSent(p: Payer, b: PayBatch): Promise<BatchOutcome> {
  const txHash = b.txHash ?? '';
  const seen = await txSeen(p, txHash);
  if (seen.state === 'missing') {
    return failStop(
      p,
      b.id,
      `tx ${txHash} of sent batch is in neither the pool nor the chain (dropped, double-spent or reorged out); its payees are recorded as paid but may not be`,
    );
  }
  if (seen.doubleSpendSeen)
    return failStop(p, b.id, `tx ${txHash} of sent batch is marked double_spend_seen by the daemon`);
  if (seen.confirmations >= CONFIRMATIONS) return finish(p, b);
  return {
    id: b.id,
    result: 'waiting',
    txHash,
    confirmations: seen.confirmations,
    reason: `${seen.confirmations}/${CONFIRMATIONS} confirmations`,
  };
}

async function finish(p: Payer, b: PayBatch): Promise<BatchOutcome> {
  try {
    await p.deps.wallet.store();
  } catch (e) {
    p.deps.log.warn({ batchId: b.id, err: e }, 'payments: wallet store failed (the tx is on the daemon; continuing)');
  }
  const code = await ledger.finalize(p, b.id);
  if (code !== 1) return failStop(p, b.id, `finalize refused (code ${code})`);
  p.deps.log.info(
    { batchId: b.id, txHash: b.txHash, total: b.total.toString(), fee: b.fee?.toString() },
    'payments: batch paid',
  );
  return {
    id: b.id,
    result: 'final',
    txHash: b.txHash ?? '',
    fee: (b.fee ?? 0n).toString(),
    total: b.total.toString(),
    payees: b.destinations.length,
  };
}

/** 'pool' | 'block' when the daemon knows the tx, 'missing' when it does not. Daemon errors propagate (hold). */
export async function txState(p: Pick<Payer, 'deps'>, txHash: string): Promise<'pool' | 'block' | 'missing'> {
  return (await txSeen(p, txHash)).state;
}

export interface TxSeen {
  state: 'pool' | 'block' | 'missing';
  doubleSpendSeen: boolean;
  /** daemon height - block height (0 in the pool). */
  confirmations: number;
}

export async function txSeen(p: Pick<Payer, 'deps'>, txHash: string): Promise<TxSeen> {
  const r = await p.deps.daemon.getTransactions([txHash]);
  const tx = r.txs.find((t) => t.txHash === txHash);
  if (!tx) return { state: 'missing', doubleSpendSeen: false, confirmations: 0 };
  if (tx.inPool || tx.blockHeight === undefined)
    return { state: 'pool', doubleSpendSeen: tx.doubleSpendSeen, confirmations: 0 };
  const { height } = await p.deps.daemon.getInfo();
  return { state: 'block', doubleSpendSeen: tx.doubleSpendSeen, confirmations: Math.max(0, height - tx.blockHeight) };
}

/**
 * Sets each destination's fee share and refund. Pool pays: share 0. Payees pay: the real fee split pro rata to the
 * amounts (exact); a share above the payee's reserved allowance means the tx costs more than was set aside, so the
 * batch is released (nothing was relayed) and the run holds, telling the operator to raise payments.transferFee.
 */
export function priceDestinations(payees: readonly Destination[], fee: bigint): Destination[] | string {
  if (payees.every((d) => d.reserve === d.amount)) return payees.map((d) => ({ ...d, share: 0n, refund: 0n }));
  const shares = split(
    fee,
    payees.map((d) => d.amount),
  );
  const out: Destination[] = [];
  for (const [i, d] of payees.entries()) {
    const share = shares[i] ?? 0n;
    const allowance = d.reserve - d.amount;
    if (share > allowance) {
      return `tx fee ${fee} needs ${share} from ${d.address}, more than the ${allowance} reserved (raise payments.transferFee)`;
    }
    out.push({ ...d, share, refund: allowance - share });
  }
  return out;
}

function replyMismatch(
  payees: readonly Destination[],
  metadata: string,
  amounts: readonly bigint[] | undefined,
): string | null {
  if (metadata === '') return 'no tx_metadata';
  if (amounts && (amounts.length !== payees.length || amounts.some((a, i) => a !== payees[i]?.amount))) {
    return `amounts_by_dest ${amounts.join(',')} differ from the batch`;
  }
  return null;
}

async function releaseWith(p: Payer, b: PayBatch, reason: string): Promise<BatchOutcome> {
  const code = await ledger.release(p, b, reason);
  if (code !== 1) return failStop(p, b.id, `release refused (code ${code}) after: ${reason}`);
  p.deps.log.warn({ batchId: b.id, reason }, 'payments: batch released (nothing was broadcast)');
  return { id: b.id, result: 'released', reason };
}

/** feePayer "payees", a fee share above the allowance: release; the FEE_HOLDS_FAILSTOP-th run in a row fail-stops. */
async function feeTooSmall(p: Payer, b: PayBatch, reason: string): Promise<BatchOutcome> {
  const released = await releaseWith(p, b, reason);
  if (released.result !== 'released') return released;
  const holds = asInt(await p.deps.storage.command(['INCR', p.keys.payFeeHolds]), 'INCR payFeeHolds');
  if (holds >= FEE_HOLDS_FAILSTOP) {
    return failStop(
      p,
      b.id,
      `${reason}; ${holds} runs in a row held by payments.transferFee: raise payments.transferFee, then resume`,
    );
  }
  return released;
}

async function failStop(p: Payer, id: string, reason: string): Promise<BatchOutcome> {
  await ledger.setFailStop(p.deps, p.keys, reason, id);
  return { id, result: 'failstop', reason };
}

async function mustLoad(p: Payer, id: string): Promise<PayBatch> {
  const b = await ledger.loadBatch(p.deps.storage, p.keys, id);
  if (!b) throw new PoolError(ERRORS.STORAGE, `batch ${id} vanished from Redis`, { batchId: id });
  return b;
}
