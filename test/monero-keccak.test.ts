import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../shared/hex.js';
import { keccak256, keccak256Concat } from '../shared/monero/keccak.js';

describe('keccak256 (original Keccak, not SHA3)', () => {
  it('matches known vectors', () => {
    expect(bytesToHex(keccak256(Uint8Array.of(0)))).toBe(
      'bc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a',
    );
    expect(bytesToHex(keccak256(new Uint8Array(0)))).toBe(
      'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
  });

  it('streams concatenations', () => {
    const a = Uint8Array.from({ length: 100 }, (_, i) => i);
    const b = Uint8Array.from({ length: 77 }, (_, i) => 255 - i);
    const joined = new Uint8Array(177);
    joined.set(a);
    joined.set(b, 100);
    expect(keccak256Concat(a, b)).toEqual(keccak256(joined));
  });
});
