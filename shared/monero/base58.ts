/**
 * Monero's block base58 (src/common/base58.cpp), NOT Bitcoin's base58.
 *
 * Data is cut into 8-byte blocks; each block is a big-endian integer written as exactly 11 characters (left-padded
 * with '1', the zero digit). A final partial block of k = 1..7 bytes takes ENCODED_BLOCK_SIZES[k] characters.
 * Decoding rejects a final block of an impossible length, a block whose value does not fit its byte count and any
 * character outside the alphabet, each with PoolError BAD_ADDRESS (base58 is only used for addresses here).
 *
 * Data model: none.
 */
import { ERRORS, PoolError } from '../errors.js';

export const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const FULL_BLOCK_BYTES = 8;
const FULL_ENCODED_BLOCK_CHARS = 11;
/** Characters needed for a block of i bytes, i = 0..8. */
const ENCODED_BLOCK_SIZES = [0, 2, 3, 5, 6, 7, 9, 10, 11] as const;

const DIGIT_OF: ReadonlyMap<string, bigint> = new Map([...BASE58_ALPHABET].map((c, i) => [c, BigInt(i)]));
/** Byte count of a block encoded in n characters, or undefined if n is not a valid encoded size. */
const BYTES_FOR_CHARS: ReadonlyMap<number, number> = new Map(ENCODED_BLOCK_SIZES.map((chars, bytes) => [chars, bytes]));

function encodeBlock(block: Uint8Array, out: string[]): void {
  let num = 0n;
  for (const b of block) num = (num << 8n) | BigInt(b);
  const chars = ENCODED_BLOCK_SIZES[block.length]!;
  const digits = new Array<string>(chars).fill(BASE58_ALPHABET[0]!);
  for (let i = chars - 1; num > 0n; i--) {
    digits[i] = BASE58_ALPHABET[Number(num % 58n)]!;
    num /= 58n;
  }
  out.push(...digits);
}

/** Encode bytes with Monero's block base58. */
export function base58Encode(data: Uint8Array): string {
  const out: string[] = [];
  for (let off = 0; off < data.length; off += FULL_BLOCK_BYTES) {
    encodeBlock(data.subarray(off, Math.min(off + FULL_BLOCK_BYTES, data.length)), out);
  }
  return out.join('');
}

function fail(message: string, details?: Record<string, unknown>): never {
  throw new PoolError(ERRORS.BAD_ADDRESS, message, details);
}

/** Decode Monero block base58. Throws PoolError BAD_ADDRESS on bad length, bad character or overflow. */
export function base58Decode(text: string): Uint8Array {
  const fullBlocks = Math.floor(text.length / FULL_ENCODED_BLOCK_CHARS);
  const lastChars = text.length % FULL_ENCODED_BLOCK_CHARS;
  const lastBytes = BYTES_FOR_CHARS.get(lastChars);
  if (lastBytes === undefined) fail(`invalid base58 length ${text.length}`, { length: text.length });
  const out = new Uint8Array(fullBlocks * FULL_BLOCK_BYTES + lastBytes);
  for (let blk = 0; blk * FULL_ENCODED_BLOCK_CHARS < text.length; blk++) {
    const start = blk * FULL_ENCODED_BLOCK_CHARS;
    const end = Math.min(start + FULL_ENCODED_BLOCK_CHARS, text.length);
    const bytes = blk < fullBlocks ? FULL_BLOCK_BYTES : lastBytes;
    let num = 0n;
    for (let i = start; i < end; i++) {
      const ch = text[i]!;
      const d = DIGIT_OF.get(ch);
      if (d === undefined) fail(`invalid base58 character '${ch}' at position ${i}`, { position: i });
      num = num * 58n + d;
    }
    if (num >> BigInt(8 * bytes) !== 0n) fail(`base58 block ${blk} overflows ${bytes} bytes`, { block: blk });
    const base = blk * FULL_BLOCK_BYTES;
    for (let i = bytes - 1; i >= 0; i--) {
      out[base + i] = Number(num & 0xffn);
      num >>= 8n;
    }
  }
  return out;
}
