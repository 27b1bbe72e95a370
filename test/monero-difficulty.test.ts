import { describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { bytesToHex, u64ToBytesLE } from '../shared/hex.js';
import {
  U64_MAX,
  difficultyFromTarget,
  difficultyToTarget4,
  difficultyToTarget8,
  hashDifficulty,
  hashMeetsDifficulty,
  hashMeetsTarget64,
  targetForDifficulty,
  targetHexToT64,
  widenTarget32,
} from '../shared/monero/difficulty.js';

function badDifficulty(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isPoolError(e, ERRORS.BAD_DIFFICULTY)).toBe(true);
    return;
  }
  throw new Error('expected BAD_DIFFICULTY');
}

/** A 32-byte hash whose last 8 bytes are `tail` (LE) and whose first byte is `head`. */
function hashWithTail(tail: bigint, head = 0): Uint8Array {
  const h = new Uint8Array(32);
  h[0] = head;
  h.set(u64ToBytesLE(tail), 24);
  return h;
}

let seed = 987654321;
function randomHash(): Uint8Array {
  return Uint8Array.from({ length: 32 }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >> 16) & 0xff;
  });
}

describe('targets', () => {
  it('D = 10000 gives the 4-byte target b88d0600', () => {
    const t = targetForDifficulty(10000n);
    expect(t).toEqual({ hex: 'b88d0600', t64: U64_MAX / 10000n, bytes: 4 });
    expect(difficultyFromTarget('b88d0600')).toBe(10000n);
  });

  it('switches to 8 bytes above 4,000,000', () => {
    expect(targetForDifficulty(4_000_000n).bytes).toBe(4);
    const t = targetForDifficulty(4_000_001n);
    expect(t.bytes).toBe(8);
    expect(t.t64).toBe(U64_MAX / 4_000_001n);
    expect(t.hex).toBe(bytesToHex(u64ToBytesLE(U64_MAX / 4_000_001n)));
    expect(difficultyFromTarget(t.hex)).toBe(4_000_001n);
    expect(targetForDifficulty(1).hex).toBe('ffffffff');
    expect(targetForDifficulty(1).t64).toBe(U64_MAX);
    expect(difficultyToTarget8(1n).hex).toBe('ffffffffffffffff');
  });

  it('t64 of a 4-byte target is exactly what xmrig derives from the hex', () => {
    for (const d of [1n, 2n, 3n, 1000n, 12345n, 99_999n, 500_000n, 1_000_003n, 3_000_000n, 4_000_000n]) {
      const t = difficultyToTarget4(d);
      expect(t.hex).toHaveLength(8);
      expect(t.t64).toBe(targetHexToT64(t.hex));
      const t32 = U64_MAX >> 32n; // 2^32 - 1
      expect(t.t64).toBe(U64_MAX / (t32 / (t32 / d)));
      // The difficulty xmrig shows is never below the one asked for.
      expect(difficultyFromTarget(t.hex) >= d).toBe(true);
    }
    // Rounding makes a visible difference at high 4-byte difficulties.
    expect(difficultyFromTarget(difficultyToTarget4(3_000_000n).hex)).toBe(3_001_374n);
  });

  it('rejects non-positive and impossible difficulties and targets', () => {
    badDifficulty(() => targetForDifficulty(0n));
    badDifficulty(() => targetForDifficulty(-5n));
    badDifficulty(() => targetForDifficulty(1.5));
    badDifficulty(() => difficultyToTarget4(1n << 32n));
    badDifficulty(() => difficultyToTarget8(1n << 64n));
    badDifficulty(() => difficultyFromTarget('00000000'));
    badDifficulty(() => difficultyFromTarget('0000000000000000'));
    badDifficulty(() => difficultyFromTarget('abc'));
    badDifficulty(() => widenTarget32(1n << 32n));
    badDifficulty(() => hashMeetsDifficulty(new Uint8Array(32), 0n));
    badDifficulty(() => hashDifficulty(new Uint8Array(31)));
  });
});

describe('hash checks', () => {
  it('hashMeetsTarget64 compares the last 8 bytes as LE u64, strictly', () => {
    const t64 = targetForDifficulty(10000n).t64;
    expect(hashMeetsTarget64(hashWithTail(t64 - 1n, 0xff), t64)).toBe(true);
    expect(hashMeetsTarget64(hashWithTail(t64), t64)).toBe(false);
    expect(hashMeetsTarget64(hashWithTail(0n), t64)).toBe(true);
    expect(hashMeetsTarget64(hashWithTail(U64_MAX), U64_MAX)).toBe(false);
  });

  it('hashDifficulty reads the hash as a LE 256-bit integer', () => {
    const one = new Uint8Array(32);
    one[0] = 1;
    expect(hashDifficulty(one)).toBe((1n << 256n) - 1n);
    const top = new Uint8Array(32);
    top[31] = 0x80; // 2^255
    expect(hashDifficulty(top)).toBe(1n);
    expect(hashDifficulty(new Uint8Array(32).fill(0xff))).toBe(1n);
    expect(hashDifficulty(new Uint8Array(32))).toBe(0n);
  });

  it('hashMeetsDifficulty is H*d < 2^256 with H != 0', () => {
    const top = new Uint8Array(32);
    top[31] = 0x80;
    expect(hashMeetsDifficulty(top, 1n)).toBe(true);
    expect(hashMeetsDifficulty(top, 2n)).toBe(false);
    const max = new Uint8Array(32).fill(0xff);
    expect(hashMeetsDifficulty(max, 1)).toBe(true);
    expect(hashMeetsDifficulty(max, 2)).toBe(false);
    expect(hashMeetsDifficulty(new Uint8Array(32), 1n)).toBe(false);
    for (let i = 0; i < 200; i++) {
      const h = randomHash();
      h[31] = i % 4; // small H so that interesting difficulties pass
      const hd = hashDifficulty(h);
      for (const d of [1n, hd, hd + 1n, 1000n, 123_456_789n]) {
        expect(hashMeetsDifficulty(h, d)).toBe(hd >= d);
      }
    }
  });

  it('a share passing the 8-byte target of d also meets d by the 256-bit test', () => {
    for (const d of [4_000_001n, 10_000_000n, 300_000_000_000n]) {
      const { t64 } = targetForDifficulty(d);
      for (let i = 0; i < 50; i++) {
        const h = randomHash();
        h.set(u64ToBytesLE((t64 * BigInt(i)) / 50n), 24);
        expect(hashMeetsTarget64(h, t64)).toBe(true);
        expect(hashMeetsDifficulty(h, d)).toBe(true);
      }
    }
  });
});
