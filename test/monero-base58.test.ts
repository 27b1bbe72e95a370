import { describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { bytesToHex, hexToBytes } from '../shared/hex.js';
import { base58Decode, base58Encode } from '../shared/monero/base58.js';

function rejects(text: string): void {
  try {
    base58Decode(text);
  } catch (e) {
    expect(isPoolError(e, ERRORS.BAD_ADDRESS)).toBe(true);
    return;
  }
  throw new Error(`expected ${text} to be rejected`);
}

const VECTORS: [string, string][] = [
  ['', ''],
  ['00', '11'],
  ['ff', '5Q'],
  ['ffff', 'LUv'],
  ['ffffffffffffffff', 'jpXCZedGfVQ'],
  ['0000000000000000', '11111111111'],
  ['06156013762879f7', '22222222222'],
];

describe('monero base58', () => {
  it('encodes and decodes the published vectors (docs/mining-math.md)', () => {
    for (const [hex, text] of VECTORS) {
      expect(base58Encode(hexToBytes(hex))).toBe(text);
      expect(bytesToHex(base58Decode(text))).toBe(hex);
    }
  });

  it('uses the block sizes {0,2,3,5,6,7,9,10,11}', () => {
    const sizes = [0, 2, 3, 5, 6, 7, 9, 10, 11];
    for (let n = 0; n <= 8; n++) expect(base58Encode(new Uint8Array(n).fill(0xff)).length).toBe(sizes[n]);
    expect(base58Encode(new Uint8Array(17)).length).toBe(11 + 11 + 2);
  });

  it('round-trips random data of every length up to 40', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let n = 0; n <= 40; n++) {
      const data = Uint8Array.from({ length: n }, rand);
      expect(base58Decode(base58Encode(data))).toEqual(data);
    }
  });

  it('rejects bad lengths, characters and overflow', () => {
    rejects('1'); // 1 char: no block size
    rejects('1111'); // 4 chars
    rejects('11111111'); // 8 chars
    rejects('11111111111' + '1'); // full block + 1
    rejects('0O'); // 0 and O are not in the alphabet
    rejects('1I');
    rejects('1l');
    rejects('1 ');
    rejects('5R'); // 1 byte max is 5Q = 255
    rejects('LUw'); // 2 bytes max is LUv = 65535
    rejects('jpXCZedGfVR'); // 2^64
    rejects('zzzzzzzzzzz');
  });
});
