/**
 * Exact money arithmetic on bigint atomic units (1 XMR = 10^12).
 *
 * - `split(total, weights)` divides `total` in proportion to integer `weights` by the largest-remainder method:
 *   every part gets floor(total * w / W), then the atomic units left over go one each to the parts with the largest
 *   remainders (ties: lower index first, so the result is deterministic). The parts always sum to `total`; this is
 *   asserted, never assumed.
 * - Percent config fields are decimal numbers like the seed's (1.8 = 1.8 %). `percentToBps` turns one into integer
 *   basis points (1 bps = 0.01 %) from its decimal text, so 1.8 is exactly 180 and never 180.00000000000003.
 */
import { ERRORS, PoolError } from './errors.js';

/** Atomic units in one XMR. */
export const ATOMIC_PER_XMR = 10n ** 12n;
/** Basis points in 100 %. */
export const BPS_WHOLE = 10_000n;

/** Largest-remainder split of `total` over non-negative integer `weights`; the parts sum to `total`. */
export function split(total: bigint, weights: readonly bigint[]): bigint[] {
  if (total < 0n)
    throw new PoolError(ERRORS.SPLIT_MISMATCH, 'cannot split a negative amount', { total: total.toString() });
  let sum = 0n;
  for (const w of weights) {
    if (w < 0n) throw new PoolError(ERRORS.SPLIT_MISMATCH, 'negative weight in split', { weight: w.toString() });
    sum += w;
  }
  if (sum === 0n) {
    if (total === 0n) return weights.map(() => 0n);
    throw new PoolError(ERRORS.SPLIT_MISMATCH, 'cannot split a non-zero amount over zero total weight', {
      total: total.toString(),
    });
  }
  const parts = weights.map((w) => (total * w) / sum);
  const remainders = weights.map((w, i) => ({ i, r: (total * w) % sum }));
  let left = total - parts.reduce((a, b) => a + b, 0n);
  // left < number of non-zero weights, since each floor lost less than one unit.
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    parts[i] = (parts[i] ?? 0n) + 1n;
    left -= 1n;
  }
  assertSum(parts, total, 'split');
  return parts;
}

/** Throws SPLIT_MISMATCH unless `parts` sum exactly to `total`. */
export function assertSum(parts: readonly bigint[], total: bigint, what: string): void {
  const sum = parts.reduce((a, b) => a + b, 0n);
  if (sum !== total) {
    throw new PoolError(ERRORS.SPLIT_MISMATCH, `${what}: parts sum to ${sum}, expected ${total}`, {
      sum: sum.toString(),
      total: total.toString(),
    });
  }
}

/**
 * A percent (1.8 = 1.8 %) as integer basis points, read from its decimal text. Rejects negatives, values over
 * 100 %, non-finite numbers and more than two decimals (which basis points cannot hold exactly).
 */
export function percentToBps(percent: number): bigint {
  const text = String(percent);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!Number.isFinite(percent) || !m) {
    throw new PoolError(ERRORS.CONFIG_INVALID, `percent ${text} is not a plain non-negative decimal`);
  }
  const frac = m[2] ?? '';
  if (frac.length > 2) {
    throw new PoolError(ERRORS.CONFIG_INVALID, `percent ${text} has more than two decimals (basis points)`);
  }
  const bps = BigInt(m[1] ?? '0') * 100n + BigInt(frac.padEnd(2, '0'));
  if (bps > BPS_WHOLE) throw new PoolError(ERRORS.CONFIG_INVALID, `percent ${text} is over 100`);
  return bps;
}

/** Formats atomic units as a decimal XMR string (for logs and reports), e.g. 1500000000000n -> "1.5". */
export function formatXmr(atomic: bigint): string {
  const neg = atomic < 0n;
  const abs = neg ? -atomic : atomic;
  const whole = abs / ATOMIC_PER_XMR;
  const frac = (abs % ATOMIC_PER_XMR).toString().padStart(12, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}
