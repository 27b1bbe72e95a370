/**
 * The payout batch record: hash payBatch(id), one per transaction the payer ever prepared.
 *
 * PayBatch fields (all strings in Redis):
 *   id, status, fence (lock token that reserved it), created / updated (unix ms), feePayer ("pool" | "payees"),
 *   total (sum of amounts), payees (count), destinations (JSON [{address, amount, reserve, share, refund}], money as
 *   decimal strings), and once signed: txHash, txKey, txMetadata (signed tx; holds secrets, protect Redis),
 *   fee (real tx fee), feeCharged (sum of shares), keyImages (JSON); relay bookkeeping: submitStarted (ms, set
 *   before the first relay_tx and never cleared), lastSubmit, relayAttempts, relayedAt; sentAt, finalAt,
 *   releasedAt, releaseReason, lastError.
 *
 * Per destination: `amount` is what the payee receives on chain; `reserve` is what moved from balance to pending
 * (amount, plus the fee allowance when payees pay the fee); `share` is the payee's part of the real fee (0 when the
 * pool pays); `refund` = reserve - amount - share goes back to the balance when the batch is sent.
 *
 * Status machine (each arrow is one fenced Lua step, see scripts.ts):
 *   reserved --build+persist--> signed --relay_tx ok--> relayed --tx seen by daemon--> sent --store--> final
 *   reserved --wallet error / recovery--> released (pending back to balance; nothing was ever broadcast)
 * payBatchesOpen holds the ids of reserved, signed, relayed and sent batches.
 */
import { ERRORS, PoolError } from '../../shared/errors.js';
import { asBigint } from '../../shared/storage/replies.js';

export type BatchStatus = 'reserved' | 'signed' | 'relayed' | 'sent' | 'final' | 'released';
export const BATCH_STATUSES: readonly BatchStatus[] = ['reserved', 'signed', 'relayed', 'sent', 'final', 'released'];

export interface Destination {
  address: string;
  amount: bigint;
  reserve: bigint;
  share: bigint;
  refund: bigint;
}

export interface PayBatch {
  id: string;
  status: BatchStatus;
  fence: string;
  created: number;
  feePayer: 'pool' | 'payees';
  total: bigint;
  destinations: Destination[];
  txHash?: string;
  txMetadata?: string;
  fee?: bigint;
  submitStarted?: number;
  relayAttempts: number;
  lastError?: string;
  raw: Record<string, string>;
}

interface DestinationJson {
  address: string;
  amount: string;
  reserve: string;
  share: string;
  refund: string;
}

export function destinationsJson(dests: readonly Destination[]): string {
  const out: DestinationJson[] = dests.map((d) => ({
    address: d.address,
    amount: d.amount.toString(),
    reserve: d.reserve.toString(),
    share: d.share.toString(),
    refund: d.refund.toString(),
  }));
  return JSON.stringify(out);
}

/** Parses a payBatch(id) hash; throws PAYMENT_AMBIGUOUS when it is not a well-formed batch. */
export function parseBatch(id: string, h: Record<string, string>): PayBatch {
  const bad = (why: string) =>
    new PoolError(ERRORS.PAYMENT_AMBIGUOUS, `batch ${id} is malformed: ${why}`, { batchId: id });
  const status = h.status as BatchStatus;
  if (!BATCH_STATUSES.includes(status)) throw bad(`unknown status ${JSON.stringify(h.status)}`);
  if (h.feePayer !== 'pool' && h.feePayer !== 'payees') throw bad('no feePayer');
  let dests: DestinationJson[];
  try {
    dests = JSON.parse(h.destinations ?? '') as DestinationJson[];
  } catch {
    throw bad('destinations are not JSON');
  }
  if (!Array.isArray(dests) || dests.length === 0) throw bad('no destinations');
  const destinations = dests.map((d) => ({
    address: String(d.address),
    amount: asBigint(d.amount),
    reserve: asBigint(d.reserve),
    share: asBigint(d.share),
    refund: asBigint(d.refund),
  }));
  for (const d of destinations) {
    if (d.amount <= 0n || d.reserve !== d.amount + d.share + d.refund || d.share < 0n || d.refund < 0n) {
      throw bad(`destination ${d.address} does not balance`);
    }
  }
  const signed = status !== 'reserved' && status !== 'released';
  if (signed && (!h.txHash || !h.txMetadata || h.fee === undefined)) throw bad(`status ${status} without a signed tx`);
  return {
    id,
    status,
    fence: h.fence ?? '',
    created: Number(h.created ?? 0),
    feePayer: h.feePayer,
    total: asBigint(h.total),
    destinations,
    ...(h.txHash ? { txHash: h.txHash } : {}),
    ...(h.txMetadata ? { txMetadata: h.txMetadata } : {}),
    ...(h.fee !== undefined ? { fee: asBigint(h.fee) } : {}),
    ...(h.submitStarted ? { submitStarted: Number(h.submitStarted) } : {}),
    relayAttempts: Number(h.relayAttempts ?? 0),
    ...(h.lastError ? { lastError: h.lastError } : {}),
    raw: h,
  };
}

/** A JSON-friendly summary (no tx metadata or key). */
export function batchSummary(b: PayBatch): Record<string, unknown> {
  return {
    id: b.id,
    status: b.status,
    created: b.created,
    feePayer: b.feePayer,
    total: b.total.toString(),
    payees: b.destinations.map((d) => ({
      address: d.address,
      amount: d.amount.toString(),
      feeShare: d.share.toString(),
    })),
    ...(b.txHash ? { txHash: b.txHash } : {}),
    ...(b.fee !== undefined ? { fee: b.fee.toString() } : {}),
    ...(b.submitStarted ? { submitStarted: b.submitStarted } : {}),
    relayAttempts: b.relayAttempts,
    ...(b.lastError ? { lastError: b.lastError } : {}),
  };
}
