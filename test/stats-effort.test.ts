/**
 * Round effort and the snapshot's network block (functions/stats/run.ts): effort counts the open round's work
 * against the difficulty of the template being mined (get_info's difficulty, the NEXT block's), not the difficulty
 * of the last block found on the network; the network hashrate follows the same difficulty.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_TIME_SECONDS, networkOf, roundEffort } from '../functions/stats/run.js';

const LAST = { height: 3_100_000, timestamp: 1_764_700_000, reward: 600_000_000_000n, hash: 'ab'.repeat(32) };

describe('round effort', () => {
  it('is round hashes over the template difficulty', () => {
    expect(roundEffort(150n, 300n)).toBe(0.5);
    expect(roundEffort(300n, 300n)).toBe(1);
    expect(roundEffort(900n, 300n)).toBe(3);
    expect(roundEffort(0n, 300n)).toBe(0);
    // mainnet-sized difficulties
    expect(roundEffort(250_000_000_000n * 120n, 500_000_000_000n * 120n)).toBeCloseTo(0.5, 12);
  });

  it('is unknown (null) without a difficulty', () => {
    expect(roundEffort(100n, 0n)).toBeNull();
  });

  it('the snapshot network carries the template difficulty while height, reward and hash are the last block', () => {
    // the last block was found at difficulty 250; the daemon now asks 400 for the next one
    const n = networkOf(LAST, 400n);
    expect(n).toEqual({
      difficulty: '400',
      height: LAST.height,
      timestamp: LAST.timestamp,
      reward: '600000000000',
      hash: LAST.hash,
      hashrate: Math.round(400 / BLOCK_TIME_SECONDS),
    });
    // a round of 200 hashes is half the template's work (it would read 80 % against the last block's 250)
    expect(roundEffort(200n, BigInt(n.difficulty))).toBe(0.5);
  });
});
