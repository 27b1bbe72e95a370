import { describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import {
  bigIntToBytesLE,
  bytesEqual,
  bytesToBigIntLE,
  bytesToHex,
  concatBytes,
  hexToBytes,
  isHex,
  readU32LE,
  readU64LE,
  u32ToBytesLE,
  u64ToBytesLE,
  writeU32LE,
} from '../shared/hex.js';

function badHex(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isPoolError(e, ERRORS.BAD_HEX)).toBe(true);
    return;
  }
  throw new Error('expected BAD_HEX');
}

describe('hex', () => {
  it('round-trips and accepts both cases', () => {
    expect(bytesToHex(hexToBytes('00ff10Ab'))).toBe('00ff10ab');
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(hexToBytes(bytesToHex(all))).toEqual(all);
  });

  it('rejects odd length and non-hex characters', () => {
    badHex(() => hexToBytes('abc'));
    badHex(() => hexToBytes('0x00'));
    badHex(() => hexToBytes('zz'));
    badHex(() => hexToBytes(' 00 '));
    badHex(() => hexToBytes('0g'));
    badHex(() => hexToBytes('+1'));
  });

  it('isHex checks shape and length', () => {
    expect(isHex('00ff')).toBe(true);
    expect(isHex('00ff', 2)).toBe(true);
    expect(isHex('00ff', 3)).toBe(false);
    expect(isHex('')).toBe(false);
    expect(isHex('0')).toBe(false);
    expect(isHex('xx')).toBe(false);
  });

  it('equality and concat', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 2))).toBe(false);
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('little-endian integers', () => {
    expect(bytesToHex(u32ToBytesLE(0x12345678))).toBe('78563412');
    expect(readU32LE(hexToBytes('ffffffff'))).toBe(0xffffffff);
    expect(readU32LE(hexToBytes('00b88d0600'), 1)).toBe(0x00068db8);
    expect(bytesToHex(u64ToBytesLE(0x0102030405060708n))).toBe('0807060504030201');
    expect(readU64LE(hexToBytes('ffffffffffffffff'))).toBe(0xffffffffffffffffn);
    const buf = new Uint8Array(6);
    writeU32LE(buf, 0xdeadbeef, 2);
    expect(bytesToHex(buf)).toBe('0000efbeadde');
    expect(() => readU32LE(buf, 3)).toThrow(RangeError);
    expect(() => writeU32LE(buf, -1)).toThrow(RangeError);
    expect(() => u64ToBytesLE(1n << 64n)).toThrow(RangeError);
    expect(bytesToBigIntLE(hexToBytes('0001'))).toBe(256n);
    expect(bytesToHex(bigIntToBytesLE(256n, 3))).toBe('000100');
    expect(() => bigIntToBytesLE(256n, 1)).toThrow(RangeError);
  });
});
