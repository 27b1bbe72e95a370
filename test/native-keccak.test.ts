// Native Keccak-256 (native/src/keccak.cc through the addon) against the JS one (shared/monero/keccak.ts, @noble/hashes)
// and known vectors: every length 0..300 (each side of the 136-byte rate, one and two blocks), random data, and
// minerJobRoot against the JS root (jsMinerJobRoot and template.ts rootFromBranch/minerTxHash), short and long prefixes.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { bytesToHex, concatBytes } from '../shared/hex.js';
import { keccak256 as jsKeccak256 } from '../shared/monero/keccak.js';
import { jsMinerJobRoot, minerTxHash, rootFromBranch } from '../shared/monero/template.js';
import { keccak256, minerJobRoot } from '../native/index.js';

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);

describe('native keccak256', () => {
  it('matches known vectors (Monero cn_fast_hash, original Keccak padding)', () => {
    const vectors: [Uint8Array, string][] = [
      [new Uint8Array(0), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'],
      [Uint8Array.of(0), 'bc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a'],
      [
        new TextEncoder().encode('The quick brown fox jumps over the lazy dog'),
        '4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15',
      ],
    ];
    for (const [input, want] of vectors) expect(bytesToHex(keccak256(input))).toBe(want);
  });

  it('matches the JS Keccak for every length 0..300 (rate boundaries 135/136/137, 271/272/273)', () => {
    for (let n = 0; n <= 300; n++) {
      const input = pattern(n);
      const got = keccak256(input);
      expect(got.length).toBe(32);
      expect(bytesToHex(got), `length ${n}`).toBe(bytesToHex(jsKeccak256(input)));
    }
  });

  it('matches the JS Keccak on random data, any alignment, and leaves its input alone', () => {
    for (let i = 0; i < 200; i++) {
      const n = i < 100 ? Math.floor(Math.random() * 600) : Math.floor(Math.random() * 5000);
      const backing = bytes(n + 8);
      const input = backing.subarray(i % 8, (i % 8) + n); // odd byte offsets into a larger buffer
      const before = bytesToHex(input);
      expect(bytesToHex(keccak256(input)), `length ${n}`).toBe(bytesToHex(jsKeccak256(input)));
      expect(bytesToHex(input)).toBe(before);
    }
    expect(bytesToHex(keccak256(Buffer.from('abc')))).toBe(bytesToHex(jsKeccak256(Buffer.from('abc'))));
  });

  it('rejects what is not a Uint8Array', () => {
    const bad = (): unknown => keccak256(new Uint16Array(4) as unknown as Uint8Array);
    expect(bad).toThrow(/Uint8Array/);
    try {
      bad();
    } catch (e) {
      expect(isPoolError(e, ERRORS.HASHER_FAILED)).toBe(true);
    }
  });
});

describe('native minerJobRoot', () => {
  const jsRoot = (prefix: Uint8Array, siblings: Uint8Array[]): Uint8Array =>
    rootFromBranch(minerTxHash(prefix), siblings);

  it('equals the JS root for prefixes of 0..300 bytes and branches of 0..7 siblings', () => {
    for (let n = 0; n <= 300; n += n < 120 ? 13 : 1) {
      const prefix = bytes(n);
      const siblings = Array.from({ length: n % 8 }, () => bytes(32));
      const out = new Uint8Array(32 + 5);
      minerJobRoot(prefix, concatBytes(...siblings), out, 5);
      const want = bytesToHex(jsRoot(prefix, siblings));
      expect(bytesToHex(out.subarray(5)), `prefix ${n}, ${siblings.length} siblings`).toBe(want);
      expect(out.subarray(0, 5)).toEqual(new Uint8Array(5)); // nothing written before the offset
      const viaJs = new Uint8Array(32);
      jsMinerJobRoot(prefix, concatBytes(...siblings), viaJs, 0);
      expect(bytesToHex(viaJs)).toBe(want);
    }
  });

  it('reads branch and prefix views at their own offsets', () => {
    const backing = bytes(400);
    const prefix = backing.subarray(3, 3 + 95);
    const branchBytes = backing.subarray(101, 101 + 3 * 32);
    const siblings = [0, 1, 2].map((i) => branchBytes.slice(32 * i, 32 * i + 32));
    const out = new Uint8Array(32);
    minerJobRoot(prefix, branchBytes, out, 0);
    expect(bytesToHex(out)).toBe(bytesToHex(jsRoot(prefix, siblings)));
  });

  it('rejects a ragged branch and an offset without 32 bytes after it', () => {
    const out = new Uint8Array(40);
    const codeOf = (f: () => void): unknown => {
      try {
        f();
      } catch (e) {
        return isPoolError(e, ERRORS.HASHER_FAILED) ? e.details?.['reason'] : e;
      }
      return 'no error';
    };
    expect(codeOf(() => minerJobRoot(bytes(91), bytes(33), out, 0))).toBe('bad-input');
    expect(codeOf(() => minerJobRoot(bytes(91), bytes(32), out, 9))).toBe('bad-input');
    expect(codeOf(() => minerJobRoot(bytes(91), bytes(32), out, -1))).toBe('bad-input');
    expect(codeOf(() => minerJobRoot(bytes(91), bytes(32), out, 1.5))).toBe('bad-input');
    expect(codeOf(() => minerJobRoot(bytes(91), bytes(32), out, 8))).toBe('no error');
  });
});
