import { describe, expect, it } from 'vitest';
import { isPoolError } from '../shared/errors.js';
import { formatXmr, percentToBps, split } from '../shared/money.js';

describe('split', () => {
  it('gives the leftover units to the largest remainders and sums exactly', () => {
    expect(split(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n]);
    expect(split(100n, [1n, 2n, 3n, 4n])).toEqual([10n, 20n, 30n, 40n]);
    expect(split(7n, [3n, 0n, 5n])).toEqual([3n, 0n, 4n]);
  });

  it('sums to the total for many random cases, and each part is within one unit of its exact share', () => {
    let seed = 12345n;
    const rnd = (mod: bigint) => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      return seed % mod;
    };
    for (let n = 0; n < 500; n++) {
      const total = rnd(10n ** 13n);
      const weights = Array.from({ length: Number(rnd(20n)) + 1 }, () => rnd(10n ** 9n) + 1n);
      const parts = split(total, weights);
      const W = weights.reduce((a, b) => a + b, 0n);
      expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
      parts.forEach((p, i) => {
        const exact = (total * (weights[i] ?? 0n)) / W;
        expect(p === exact || p === exact + 1n).toBe(true);
      });
    }
  });

  it('handles zero totals and rejects a non-zero total over zero weight or negative input', () => {
    expect(split(0n, [0n, 0n])).toEqual([0n, 0n]);
    expect(split(0n, [1n, 2n])).toEqual([0n, 0n]);
    for (const bad of [
      () => split(1n, [0n]),
      () => split(1n, []),
      () => split(-1n, [1n]),
      () => split(5n, [1n, -1n]),
    ]) {
      try {
        bad();
        expect.unreachable();
      } catch (e) {
        expect(isPoolError(e, 'E_SPLIT_MISMATCH')).toBe(true);
      }
    }
  });

  it('is deterministic on ties (lower index first)', () => {
    expect(split(2n, [1n, 1n, 1n])).toEqual([1n, 1n, 0n]);
  });
});

describe('percentToBps', () => {
  it('reads the decimal text exactly', () => {
    expect(percentToBps(1.8)).toBe(180n);
    expect(percentToBps(0.1)).toBe(10n);
    expect(percentToBps(0)).toBe(0n);
    expect(percentToBps(100)).toBe(10000n);
    expect(percentToBps(0.07)).toBe(7n);
    expect(percentToBps(33.33)).toBe(3333n);
  });
  it('rejects what basis points cannot hold', () => {
    for (const p of [0.125, -1, 100.01, Number.NaN, Infinity, 1e-7]) {
      expect(() => percentToBps(p)).toThrow(/percent/);
    }
  });
});

describe('formatXmr', () => {
  it('formats atomic units', () => {
    expect(formatXmr(1_500_000_000_000n)).toBe('1.5');
    expect(formatXmr(1n)).toBe('0.000000000001');
    expect(formatXmr(-2_000_000_000_000n)).toBe('-2');
  });
});
