/**
 * Byte helpers: strict hex conversion, equality, concatenation and little-endian integer access.
 *
 * Data model: none (pure functions over Uint8Array). Hex is always lowercase on output; input accepts either case
 * but nothing else (no "0x" prefix, no whitespace, even length only).
 */
import { ERRORS, PoolError } from './errors.js';

const HEX_DIGITS = '0123456789abcdef';

/** Value of one ASCII hex digit, or -1. */
function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** Decode hex (even length, [0-9a-fA-F] only). Throws PoolError BAD_HEX otherwise. */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new PoolError(ERRORS.BAD_HEX, 'hex input is not a string');
  if (hex.length % 2 !== 0) {
    throw new PoolError(ERRORS.BAD_HEX, `hex string has odd length ${hex.length}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(2 * i));
    const lo = nibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      const at = hi < 0 ? 2 * i : 2 * i + 1;
      throw new PoolError(ERRORS.BAD_HEX, `invalid hex character at position ${at}`, { position: at });
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Encode bytes as lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  return s;
}

/** True iff `s` is a non-empty even-length hex string, optionally of exactly `byteLength` bytes. */
export function isHex(s: string, byteLength?: number): boolean {
  if (typeof s !== 'string' || s.length === 0 || s.length % 2 !== 0) return false;
  if (byteLength !== undefined && s.length !== byteLength * 2) return false;
  for (let i = 0; i < s.length; i++) if (nibble(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenate byte arrays into a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function checkRange(buf: Uint8Array, offset: number, size: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length) {
    throw new RangeError(`offset ${offset} + ${size} outside buffer of ${buf.length} bytes`);
  }
}

/** Read an unsigned 32-bit little-endian integer. */
export function readU32LE(buf: Uint8Array, offset = 0): number {
  checkRange(buf, offset, 4);
  return (buf[offset]! | (buf[offset + 1]! << 8) | (buf[offset + 2]! << 16)) + buf[offset + 3]! * 0x1000000;
}

/** Write an unsigned 32-bit little-endian integer in place. */
export function writeU32LE(buf: Uint8Array, value: number, offset = 0): void {
  checkRange(buf, offset, 4);
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`not a u32: ${value}`);
  buf[offset] = value & 0xff;
  buf[offset + 1] = (value >>> 8) & 0xff;
  buf[offset + 2] = (value >>> 16) & 0xff;
  buf[offset + 3] = (value >>> 24) & 0xff;
}

/** A u32 as 4 little-endian bytes. */
export function u32ToBytesLE(value: number): Uint8Array {
  const out = new Uint8Array(4);
  writeU32LE(out, value);
  return out;
}

/** Read an unsigned 64-bit little-endian integer. */
export function readU64LE(buf: Uint8Array, offset = 0): bigint {
  checkRange(buf, offset, 8);
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(buf[offset + i]!);
  return v;
}

/** Write an unsigned 64-bit little-endian integer in place. */
export function writeU64LE(buf: Uint8Array, value: bigint, offset = 0): void {
  checkRange(buf, offset, 8);
  if (value < 0n || value > 0xffffffffffffffffn) throw new RangeError(`not a u64: ${value}`);
  let v = value;
  for (let i = 0; i < 8; i++) {
    buf[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** A u64 as 8 little-endian bytes. */
export function u64ToBytesLE(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  writeU64LE(out, value);
  return out;
}

/** Interpret bytes as an unsigned little-endian integer of any length. */
export function bytesToBigIntLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** Write a non-negative bigint as `length` little-endian bytes (throws if it does not fit). */
export function bigIntToBytesLE(value: bigint, length: number): Uint8Array {
  if (value < 0n) throw new RangeError('negative value');
  const out = new Uint8Array(length);
  let v = value;
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError(`value does not fit in ${length} bytes`);
  return out;
}
