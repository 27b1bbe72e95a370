/**
 * Payee selection (reads only) and batching.
 *
 * An address is due when its balance reaches its own `threshold` field clamped to [minPayment, maxThreshold] (just
 * minPayment when unset). It is paid
 * `amount = spendable - spendable % denomination` (the remainder stays in the balance), where spendable is the
 * balance, less the fee allowance (`payments.transferFee`) when payees pay the fee: that allowance is reserved with
 * the amount so the payee's real fee share is always covered (see pay-batch.ts). Addresses that do not parse as a
 * Monero address of the configured network are skipped (one bad address would make the wallet reject a whole batch).
 * Payees are sorted by address and cut into batches of paymentBatchSize(payments) (at most 15).
 */
import { paymentBatchSize, type PoolConfig } from '../../shared/config/schema.js';
import { errorMessage } from '../../shared/errors.js';
import { parseAddress } from '../../shared/monero/address.js';
import type { KeySchema } from '../../shared/redis/keys.js';
import type { Storage } from '../../shared/storage/port.js';
import { asBigint, asOptStrings, asStrings } from '../../shared/storage/replies.js';
import type { Destination } from './batch.js';

export interface BalanceRow {
  address: string;
  balance: bigint;
  threshold: bigint | null;
}

export interface Skipped {
  address: string;
  reason: string;
}

export async function readBalances(storage: Storage, keys: KeySchema): Promise<BalanceRow[]> {
  const addresses = asStrings(await storage.command(['SMEMBERS', keys.creditedAddresses])).sort();
  if (addresses.length === 0) return [];
  const replies = await storage.pipeline(addresses.map((a) => ['HMGET', keys.worker(a), 'balance', 'threshold']));
  return addresses.map((address, i) => {
    const [balance, threshold] = asOptStrings(replies[i], 'worker balance/threshold');
    return { address, balance: asBigint(balance), threshold: threshold ? asBigint(threshold) : null };
  });
}

export function selectPayees(
  rows: readonly BalanceRow[],
  config: PoolConfig,
): { payees: Destination[]; skipped: Skipped[] } {
  const { denomination, feePayer, transferFee } = config.payments;
  const allowance = feePayer === 'payees' ? transferFee : 0n;
  const payees: Destination[] = [];
  const skipped: Skipped[] = [];
  for (const row of rows) {
    const threshold = effectiveThreshold(row.threshold, config.payments);
    if (row.balance < threshold) continue;
    const spendable = row.balance - allowance;
    const amount = spendable > 0n ? spendable - (spendable % denomination) : 0n;
    if (amount <= 0n) {
      skipped.push({ address: row.address, reason: 'balance too small after the fee allowance and denomination' });
      continue;
    }
    const bad = addressProblem(row.address, config.network);
    if (bad) {
      skipped.push({ address: row.address, reason: bad });
      continue;
    }
    payees.push({ address: row.address, amount, reserve: amount + allowance, share: 0n, refund: allowance });
  }
  return { payees, skipped };
}

/**
 * The balance an address must reach to be paid: its own threshold clamped to [minPayment, maxThreshold]. The upper
 * clamp also frees an address whose stored threshold predates the cap (set by someone else to freeze its payouts).
 */
export function effectiveThreshold(
  own: bigint | null,
  p: Pick<PoolConfig['payments'], 'minPayment' | 'maxThreshold'>,
): bigint {
  if (own === null || own < p.minPayment) return p.minPayment;
  return own > p.maxThreshold ? p.maxThreshold : own;
}

function addressProblem(address: string, network: PoolConfig['network']): string | null {
  try {
    const parsed = parseAddress(address);
    return parsed.network === network ? null : `a ${parsed.network} address on a ${network} pool`;
  } catch (e) {
    return `invalid address: ${errorMessage(e)}`;
  }
}

export function toBatches<T>(items: readonly T[], config: PoolConfig): T[][] {
  const size = paymentBatchSize(config.payments);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
