/**
 * Monero's `cn_fast_hash`: original Keccak-256 (rate 136, padding 0x01..0x80), NOT SHA3-256 (padding 0x06).
 *
 * Data model: none.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';

/** Keccak-256 of `data` (32 bytes). */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/** Keccak-256 of the concatenation of `parts`, without building the concatenation. */
export function keccak256Concat(...parts: Uint8Array[]): Uint8Array {
  const h = keccak_256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}
