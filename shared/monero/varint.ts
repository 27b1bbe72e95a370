/**
 * Monero varints (unsigned LEB128): 7 bits per byte, least significant group first, high bit = "more follows".
 *
 * Data model: none. Decoding follows monero's `read_varint` (src/common/varint.h): a value must fit in `maxBits`
 * (64 by default, the width of every varint in a block), and a non-canonical encoding (a multi-byte varint whose last
 * byte is 0x00, e.g. `80 00`) is rejected. Truncated input is rejected. All failures are PoolError BAD_VARINT.
 */
import { ERRORS, PoolError } from '../errors.js';

/** Result of decoding: the value and how many bytes it used. */
export interface DecodedVarint {
  value: bigint;
  length: number;
}

/** Encode a non-negative integer (number must be a safe integer) as a varint. */
export function encodeVarint(n: number | bigint): Uint8Array {
  let v: bigint;
  if (typeof n === 'number') {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new PoolError(ERRORS.BAD_VARINT, `cannot encode ${n} as a varint (needs a non-negative safe integer)`);
    }
    v = BigInt(n);
  } else {
    if (n < 0n) throw new PoolError(ERRORS.BAD_VARINT, `cannot encode negative ${n} as a varint`);
    v = n;
  }
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/**
 * Decode a varint at `offset`. Rejects truncation, non-canonical (overlong) encodings and values wider than
 * `maxBits` bits with PoolError BAD_VARINT.
 */
export function decodeVarint(buf: Uint8Array, offset = 0, maxBits = 64): DecodedVarint {
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) {
    throw new PoolError(ERRORS.BAD_VARINT, `varint offset ${offset} outside buffer of ${buf.length} bytes`);
  }
  let value = 0n;
  let shift = 0;
  for (let i = offset; i < buf.length; i++) {
    const byte = buf[i]!;
    const group = BigInt(byte & 0x7f);
    if (shift > 0 && byte === 0) {
      throw new PoolError(ERRORS.BAD_VARINT, `non-canonical varint at offset ${offset}`, { offset });
    }
    if (shift + 7 > maxBits && group >> BigInt(maxBits - shift) !== 0n) {
      throw new PoolError(ERRORS.BAD_VARINT, `varint at offset ${offset} overflows ${maxBits} bits`, { offset });
    }
    value |= group << BigInt(shift);
    if ((byte & 0x80) === 0) return { value, length: i - offset + 1 };
    shift += 7;
    if (shift >= maxBits) {
      throw new PoolError(ERRORS.BAD_VARINT, `varint at offset ${offset} overflows ${maxBits} bits`, { offset });
    }
  }
  throw new PoolError(ERRORS.BAD_VARINT, `truncated varint at offset ${offset}`, { offset });
}

/** Decode a varint that must be a safe JS number (counts, lengths, heights). */
export function decodeVarintNumber(buf: Uint8Array, offset = 0): { value: number; length: number } {
  const { value, length } = decodeVarint(buf, offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new PoolError(ERRORS.BAD_VARINT, `varint at offset ${offset} is too large for a count: ${value}`, { offset });
  }
  return { value: Number(value), length };
}
