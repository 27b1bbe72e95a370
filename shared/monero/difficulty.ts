/**
 * Difficulty and targets, all in bigint (docs/mining-math.md §4).
 *
 * - Stratum target for difficulty D: 4 bytes (t32 = floor((2^32-1)/D), little-endian) when D <= 4,000,000, else
 *   8 bytes (t64 = floor((2^64-1)/D), little-endian). xmrig widens a 4-byte target to
 *   t64 = floor((2^64-1) / floor((2^32-1)/t32)); shares are checked against that same t64.
 * - A share passes iff the hash's last 8 bytes, read as a little-endian u64, are < t64.
 * - A hash meets difficulty D iff H * D < 2^256 (H = the 32-byte hash as a little-endian integer), H != 0.
 *
 * Data model: StratumTarget { hex (8 or 16 lowercase hex), t64: bigint, bytes: 4 | 8 }.
 */
import { ERRORS, PoolError } from '../errors.js';
import { bigIntToBytesLE, bytesToBigIntLE, bytesToHex, hexToBytes, readU64LE } from '../hex.js';

export const U32_MAX = 0xffff_ffffn;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
export const TWO_POW_256 = 1n << 256n;
export const U256_MAX = TWO_POW_256 - 1n;
/** Largest difficulty still sent as a 4-byte target (p2pool's limit, rounded). */
export const TARGET_4_BYTES_MAX_DIFFICULTY = 4_000_000n;

export interface StratumTarget {
  /** The target as sent to miners: 8 or 16 lowercase hex characters (little-endian). */
  hex: string;
  /** The 64-bit target xmrig compares share hashes against. */
  t64: bigint;
  bytes: 4 | 8;
}

function toDifficulty(d: bigint | number): bigint {
  let v: bigint;
  if (typeof d === 'number') {
    if (!Number.isSafeInteger(d)) throw new PoolError(ERRORS.BAD_DIFFICULTY, `difficulty ${d} is not an integer`);
    v = BigInt(d);
  } else {
    v = d;
  }
  if (v <= 0n) throw new PoolError(ERRORS.BAD_DIFFICULTY, `difficulty must be positive, got ${v}`);
  return v;
}

/** xmrig's widening of a 4-byte target to 64 bits. */
export function widenTarget32(t32: bigint): bigint {
  if (t32 <= 0n || t32 > U32_MAX) throw new PoolError(ERRORS.BAD_DIFFICULTY, `invalid 32-bit target ${t32}`);
  return U64_MAX / (U32_MAX / t32);
}

/** 4-byte stratum target for difficulty d (d must be below 2^32). */
export function difficultyToTarget4(d: bigint | number): StratumTarget {
  const diff = toDifficulty(d);
  const t32 = U32_MAX / diff;
  if (t32 === 0n) throw new PoolError(ERRORS.BAD_DIFFICULTY, `difficulty ${diff} is too high for a 4-byte target`);
  return { hex: bytesToHex(bigIntToBytesLE(t32, 4)), t64: widenTarget32(t32), bytes: 4 };
}

/** 8-byte stratum target for difficulty d (d must be below 2^64). */
export function difficultyToTarget8(d: bigint | number): StratumTarget {
  const diff = toDifficulty(d);
  const t64 = U64_MAX / diff;
  if (t64 === 0n) throw new PoolError(ERRORS.BAD_DIFFICULTY, `difficulty ${diff} is too high for an 8-byte target`);
  return { hex: bytesToHex(bigIntToBytesLE(t64, 8)), t64, bytes: 8 };
}

/** The stratum target for difficulty d: 4 bytes when d <= 4,000,000, else 8 bytes. */
export function targetForDifficulty(d: bigint | number): StratumTarget {
  const diff = toDifficulty(d);
  return diff <= TARGET_4_BYTES_MAX_DIFFICULTY ? difficultyToTarget4(diff) : difficultyToTarget8(diff);
}

/** The t64 xmrig derives from a target hex of 8 or 16 characters. */
export function targetHexToT64(hex: string): bigint {
  if (hex.length !== 8 && hex.length !== 16) {
    throw new PoolError(ERRORS.BAD_DIFFICULTY, `target must be 8 or 16 hex characters, got ${hex.length}`);
  }
  const raw = bytesToBigIntLE(hexToBytes(hex));
  if (hex.length === 8) return widenTarget32(raw);
  if (raw === 0n) throw new PoolError(ERRORS.BAD_DIFFICULTY, 'target is zero');
  return raw;
}

/** xmrig's toDiff: the difficulty a miner shows for a target hex, floor((2^64-1)/t64). */
export function difficultyFromTarget(hex: string): bigint {
  return U64_MAX / targetHexToT64(hex);
}

function checkHash(hash: Uint8Array): void {
  if (hash.length !== 32) throw new PoolError(ERRORS.BAD_DIFFICULTY, `hash must be 32 bytes, got ${hash.length}`);
}

/** xmrig's share test: the hash's last 8 bytes as a little-endian u64 are below t64. */
export function hashMeetsTarget64(hash: Uint8Array, t64: bigint): boolean {
  checkHash(hash);
  return readU64LE(hash, 24) < t64;
}

/** floor((2^256-1)/H) with H the hash as a little-endian 256-bit integer; 0n for an all-zero hash (invalid). */
export function hashDifficulty(hash: Uint8Array): bigint {
  checkHash(hash);
  const h = bytesToBigIntLE(hash);
  return h === 0n ? 0n : U256_MAX / h;
}

/** Monero's check_hash: H * d < 2^256, and H != 0. */
export function hashMeetsDifficulty(hash: Uint8Array, d: bigint | number): boolean {
  checkHash(hash);
  const diff = toDifficulty(d);
  const h = bytesToBigIntLE(hash);
  return h !== 0n && h * diff < TWO_POW_256;
}
