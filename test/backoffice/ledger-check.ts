/**
 * The payout invariants (docs/money.md §2), checked against Redis and the real wallets:
 * - I1: each payout intent is on chain at most once: the pool wallet's outgoing txs since the test began are exactly
 *   the txs of this test's sent/final batches, with no tx hash shared by two batches;
 * - I2: per address, credited = balance + pending + paid + feePaid (and every term >= 0);
 * - I3: no address received on chain more than it was credited; once nothing is pending, it received exactly `paid`.
 */
import { expect } from 'vitest';
import type { KeySchema } from '../../shared/redis/keys.js';
import type { WalletClient } from '../../shared/rpc/wallet.js';
import type { Storage } from '../../shared/storage/port.js';
import { asHash, asStrings } from '../../shared/storage/replies.js';

export interface Ledger {
  credited: bigint;
  balance: bigint;
  pending: bigint;
  paid: bigint;
  feePaid: bigint;
}

const big = (v: string | undefined) => BigInt(v ?? '0');

export async function ledgerOf(storage: Storage, keys: KeySchema, address: string): Promise<Ledger> {
  const h = asHash(await storage.command(['HGETALL', keys.worker(address)]));
  return {
    credited: big(h.credited),
    balance: big(h.balance),
    pending: big(h.pending),
    paid: big(h.paid),
    feePaid: big(h.feePaid),
  };
}

/** The pool wallet's outgoing tx ids (out, pending, pool). */
export async function outgoingTxids(pool: WalletClient): Promise<Set<string>> {
  const t = await pool.getTransfers({ out: true, pending: true, pool: true, failed: true });
  return new Set([...t.out, ...t.pending, ...t.pool, ...t.failed].map((x) => x.txid));
}

/** Amount received per receiving address by the miner wallet (in + pool, one entry per tx and subaddress). */
export async function receivedByAddress(miner: WalletClient): Promise<Map<string, bigint>> {
  const t = await miner.getTransfers({ in: true, pool: true });
  const seen = new Set<string>();
  const out = new Map<string, bigint>();
  for (const x of [...t.in, ...t.pool]) {
    const addr = x.address ?? '';
    const id = `${x.txid}:${addr}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.set(addr, (out.get(addr) ?? 0n) + x.amount);
  }
  return out;
}

export interface InvariantInput {
  storage: Storage;
  keys: KeySchema;
  poolWallet: WalletClient;
  minerWallet: WalletClient;
  /** The pool wallet's outgoing txids before the test. */
  txidsBefore: ReadonlySet<string>;
  /** The payee addresses of the test (all on the miner wallet). */
  addresses: readonly string[];
}

export async function checkInvariants(i: InvariantInput): Promise<{ txs: string[]; ledgers: Map<string, Ledger> }> {
  // I1
  const batchTxs: string[] = [];
  const seq = Number((await i.storage.command(['GET', i.keys.payBatchSeq])) ?? '0');
  for (let id = 1; id <= seq; id++) {
    const b = asHash(await i.storage.command(['HGETALL', i.keys.payBatch(String(id))]));
    if ((b.status === 'sent' || b.status === 'final') && b.txHash) batchTxs.push(b.txHash);
  }
  expect(new Set(batchTxs).size, 'two batches share a tx').toBe(batchTxs.length);
  const now = await outgoingTxids(i.poolWallet);
  const fresh = [...now].filter((t) => !i.txidsBefore.has(t)).sort();
  expect(fresh, 'pool wallet txs differ from the batches sent').toEqual([...batchTxs].sort());

  // I2 + I3
  const received = await receivedByAddress(i.minerWallet);
  const ledgers = new Map<string, Ledger>();
  const indexed = new Set(asStrings(await i.storage.command(['SMEMBERS', i.keys.creditedAddresses])));
  for (const a of i.addresses) {
    const l = await ledgerOf(i.storage, i.keys, a);
    ledgers.set(a, l);
    expect(indexed.has(a) || l.credited === 0n).toBe(true);
    for (const v of Object.values(l)) expect(v).toBeGreaterThanOrEqual(0n);
    expect(l.balance + l.pending + l.paid + l.feePaid, `I2 for ${a}`).toBe(l.credited);
    const got = received.get(a) ?? 0n;
    expect(got, `I3 for ${a}`).toBeLessThanOrEqual(l.credited);
    if (l.pending === 0n) expect(got, `received vs paid for ${a}`).toBe(l.paid);
  }
  return { txs: batchTxs, ledgers };
}
