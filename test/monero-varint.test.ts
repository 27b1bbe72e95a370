import { describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { bytesToHex, hexToBytes } from '../shared/hex.js';
import { decodeVarint, decodeVarintNumber, encodeVarint } from '../shared/monero/varint.js';

function badVarint(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isPoolError(e, ERRORS.BAD_VARINT)).toBe(true);
    return;
  }
  throw new Error('expected BAD_VARINT');
}

const U64_MAX = (1n << 64n) - 1n;

describe('varint', () => {
  it('encodes known values', () => {
    expect(bytesToHex(encodeVarint(0))).toBe('00');
    expect(bytesToHex(encodeVarint(127))).toBe('7f');
    expect(bytesToHex(encodeVarint(128))).toBe('8001');
    expect(bytesToHex(encodeVarint(300))).toBe('ac02');
    expect(bytesToHex(encodeVarint(16))).toBe('10');
    expect(bytesToHex(encodeVarint(U64_MAX))).toBe('ffffffffffffffffff01');
  });

  it('round-trips numbers and bigints at an offset', () => {
    const values = [0n, 1n, 127n, 128n, 16383n, 16384n, 2n ** 32n - 1n, 2n ** 53n + 7n, U64_MAX];
    for (const v of values) {
      const enc = encodeVarint(v);
      const buf = new Uint8Array(enc.length + 3);
      buf.set(enc, 2);
      expect(decodeVarint(buf, 2)).toEqual({ value: v, length: enc.length });
    }
    expect(decodeVarintNumber(encodeVarint(1_700_000_000), 0)).toEqual({ value: 1_700_000_000, length: 5 });
  });

  it('rejects bad input to encode', () => {
    badVarint(() => encodeVarint(-1));
    badVarint(() => encodeVarint(1.5));
    badVarint(() => encodeVarint(2 ** 60));
    badVarint(() => encodeVarint(-1n));
  });

  it('rejects truncated, overlong and overflowing input', () => {
    badVarint(() => decodeVarint(hexToBytes(''), 0));
    badVarint(() => decodeVarint(hexToBytes('80'), 0));
    badVarint(() => decodeVarint(hexToBytes('ffff'), 0));
    badVarint(() => decodeVarint(hexToBytes('8000'), 0)); // non-canonical zero
    badVarint(() => decodeVarint(hexToBytes('ff00'), 0)); // non-canonical 127
    badVarint(() => decodeVarint(hexToBytes('ffffffffffffffffff02'), 0)); // 2^64
    badVarint(() => decodeVarint(hexToBytes('ffffffffffffffffff8101'), 0)); // 11 bytes
    badVarint(() => decodeVarint(hexToBytes('00'), 5));
    badVarint(() => decodeVarint(hexToBytes('ffffffff0f'), 0, 32 - 1)); // 2^32-1 does not fit 31 bits
    expect(decodeVarint(hexToBytes('ffffffff0f'), 0, 32).value).toBe(0xffffffffn);
    badVarint(() => decodeVarintNumber(encodeVarint(2n ** 60n), 0));
  });
});
