import { describe, expect, it } from 'vitest';
import { splitReward, type SplitConfig } from '../functions/unlocker/split.js';

const cfg = (
  over: Partial<{
    poolFee: number;
    finderReward: number;
    soloFee: number;
    donations: { address: string; percent: number }[];
  }> = {},
): SplitConfig => ({
  rewards: { soloFee: over.soloFee ?? 0.5, finderReward: over.finderReward ?? 0 },
  blockUnlocker: { poolFee: over.poolFee ?? 1.8, donations: over.donations ?? [] },
});

const sum = (xs: { amount: bigint }[]) => xs.reduce((a, x) => a + x.amount, 0n);

describe('splitReward', () => {
  const reward = 600_000_000_001n;
  const round = new Map([
    ['A', 3n],
    ['B', 7n],
    ['C', 1n],
  ]);

  it('prop: miners + fee + donations + finder == reward, pro rata to the round', () => {
    const s = splitReward(
      reward,
      'prop',
      'B',
      round,
      cfg({
        finderReward: 0.5,
        donations: [
          { address: 'D', percent: 0.1 },
          { address: 'E', percent: 0.2 },
        ],
      }),
    );
    expect(s.fee + sum(s.miners) + sum(s.donations) + (s.finder?.amount ?? 0n)).toBe(reward);
    expect(s.fee + sum(s.credits)).toBe(reward);
    expect(s.fee).toBe((reward * 180n) / 10000n); // 1.8 %
    expect(s.donations.map((d) => d.address)).toEqual(['D', 'E']);
    const finderExact = (reward * 50n) / 10000n; // 0.5 %, within one unit
    expect(s.finder?.address).toBe('B');
    expect((s.finder?.amount ?? 0n) - finderExact).toBeGreaterThanOrEqual(0n);
    expect((s.finder?.amount ?? 0n) - finderExact).toBeLessThanOrEqual(1n);
    const minersTotal = sum(s.miners);
    const a = s.miners.find((m) => m.address === 'A')?.amount ?? 0n;
    expect(a === (minersTotal * 3n) / 11n || a === (minersTotal * 3n) / 11n + 1n).toBe(true);
    // B is a miner and the finder: one merged credit
    const b = s.credits.find((c) => c.address === 'B')?.amount;
    expect(b).toBe((s.miners.find((m) => m.address === 'B')?.amount ?? 0n) + (s.finder?.amount ?? 0n));
  });

  it('solo: the finder takes the reward less the solo fee (no finder reward on top)', () => {
    const s = splitReward(reward, 'solo', 'F', new Map([['F', 1n]]), cfg({ soloFee: 0.5, finderReward: 3 }));
    expect(s.finder).toBeNull();
    expect(s.credits).toEqual([{ address: 'F', amount: reward - s.fee }]);
    expect(s.fee).toBe((reward * 50n) / 10000n);
  });

  it('zero fee credits everything; the sum holds for awkward numbers', () => {
    for (const r of [1n, 2n, 3n, 999_999_999_999n, 10n ** 13n + 7n]) {
      const s = splitReward(r, 'pplns', 'A', round, cfg({ poolFee: 0 }));
      expect(sum(s.credits)).toBe(r);
      const t = splitReward(
        r,
        'prop',
        'A',
        round,
        cfg({ poolFee: 33.33, finderReward: 0.01, donations: [{ address: 'X', percent: 0.07 }] }),
      );
      expect(t.fee + sum(t.credits)).toBe(r);
    }
  });

  it('rejects fees over 100 % and an empty round', () => {
    expect(() =>
      splitReward(reward, 'prop', 'A', round, cfg({ poolFee: 60, donations: [{ address: 'D', percent: 41 }] })),
    ).toThrow(/exceed/);
    expect(() => splitReward(reward, 'prop', 'A', new Map(), cfg())).toThrow(/no positive weights/);
  });
});
