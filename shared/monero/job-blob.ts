/**
 * Job blobs for a broadcast: the hashing blob (header || merkle root || varint(txCount), template.ts) and its hex for
 * many extra nonces of one block template, with everything that does not depend on the extra nonce done once.
 *
 * Data model:
 *   MinerJobRoot  (prefix, branch, out, outOffset) => void: writes to out[outOffset..+32] the merkle root for a miner
 *                 tx prefix (extra nonce already written in): txid = keccak(keccak(prefix) || keccak(0x00) || 32 zero
 *                 bytes), then acc = keccak(acc || sibling) for each 32-byte sibling of `branch` (the template's
 *                 merkleBranch concatenated, bottom up). Two implementations with the same bytes: jsMinerJobRoot here
 *                 (pure JS; shared/ is bundled into Lambdas, where the addon is absent) and native/index.ts
 *                 minerJobRoot (the addon's Keccak, for the stratum node).
 *   a maker       per template: header bytes and hex, varint(txCount) and hex, the branch as one buffer, and a
 *                 scratch copy of the miner tx prefix that each call overwrites at the reserved offset (so calls
 *                 are synchronous and each sees only its own extra nonce).
 */
import { ERRORS, PoolError } from '../errors.js';
import { bytesToHex, concatBytes } from '../hex.js';
import { keccakP } from '@noble/hashes/sha3.js';
import { keccak256 } from './keccak.js';
import type { BlockTemplate } from './template.js';
import { encodeVarint } from './varint.js';

const HASH_BYTES = 32;
/** keccak256(0x00): the hash of a coinbase's RCT base (type RCTTypeNull). */
const RCT_NULL_BASE_HASH = keccak256(Uint8Array.of(0));
const ZERO_HASH = new Uint8Array(HASH_BYTES);

/** Writes the merkle root for `prefix` to out[outOffset..+32] (see the top comment). */
export type MinerJobRoot = (prefix: Uint8Array, branch: Uint8Array, out: Uint8Array, outOffset: number) => void;

/** A hashing blob and its hex, as a job carries them. */
export interface JobBlob {
  readonly bytes: Uint8Array;
  readonly hex: string;
}

/** Keccak's rate in bytes: inputs shorter than this are absorbed in one permutation. */
const KECCAK_RATE = 136;
const kState = new Uint32Array(50);
const kBytes = new Uint8Array(kState.buffer);
const acc = new Uint8Array(HASH_BYTES * 2); // [running hash | sibling]
const accLow = acc.subarray(0, HASH_BYTES);

/**
 * Keccak-256 of `parts` (together shorter than KECCAK_RATE) written to `out`: one permutation over a reused state,
 * no allocation of hash state. Little-endian hosts only (Node's targets).
 */
function keccakOneBlock(out: Uint8Array, outAt: number, ...parts: Uint8Array[]): void {
  kState.fill(0);
  let n = 0;
  for (const p of parts) {
    kBytes.set(p, n);
    n += p.length;
  }
  kBytes[n] = 0x01;
  kBytes[KECCAK_RATE - 1]! |= 0x80;
  keccakP(kState, 24);
  out.set(kBytes.subarray(0, HASH_BYTES), outAt);
}

/** MinerJobRoot in JavaScript (@noble/hashes' Keccak permutation): about 2 + branch length permutations. */
export const jsMinerJobRoot: MinerJobRoot = (prefix, branch, out, outOffset) => {
  if (prefix.length < KECCAK_RATE) keccakOneBlock(acc, 0, prefix);
  else acc.set(keccak256(prefix)); // several blocks: the general sponge
  keccakOneBlock(acc, 0, accLow, RCT_NULL_BASE_HASH, ZERO_HASH);
  for (let at = 0; at < branch.length; at += HASH_BYTES) {
    acc.set(branch.subarray(at, at + HASH_BYTES), HASH_BYTES);
    keccakOneBlock(acc, 0, acc);
  }
  out.set(accLow, outOffset);
};

/**
 * The per-template half of template.ts `hashingBlob`, done once. `make(extraNonce)` then costs only the extra-nonce
 * patch, `root` (the miner tx hash and the merkle fold: jsMinerJobRoot unless given, e.g. native/index.ts
 * minerJobRoot) and the hex of the 32-byte root: what a broadcast pays per miner. Same bytes as `hashingBlob`.
 */
export function jobBlobMaker(
  t: BlockTemplate,
  root: MinerJobRoot = jsMinerJobRoot,
): (extraNonce: Uint8Array) => JobBlob {
  const head = t.bytes.subarray(0, t.minerTxPrefix.start);
  const headHex = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('hex');
  const tail = encodeVarint(t.txCount);
  const tailHex = bytesToHex(tail);
  const scratch = t.bytes.slice(t.minerTxPrefix.start, t.minerTxPrefix.end);
  const branch = concatBytes(...t.merkleBranch);
  const at = t.reservedOffset - t.minerTxPrefix.start;
  const reserved = t.bytes.slice(t.reservedOffset, t.reservedOffset + t.reservedSize);
  const size = head.length + HASH_BYTES + tail.length;
  return (extraNonce) => {
    if (extraNonce.length > t.reservedSize) {
      throw new PoolError(
        ERRORS.BAD_TEMPLATE,
        `extra nonce of ${extraNonce.length} bytes exceeds the reserved ${t.reservedSize} bytes`,
      );
    }
    // Synchronous use only: the scratch prefix is overwritten by the next call. The reserved bytes go back to the
    // template's first, so an extra nonce shorter than the last one leaves none of the last one's bytes behind.
    scratch.set(reserved, at);
    scratch.set(extraNonce, at);
    const bytes = new Uint8Array(size);
    bytes.set(head, 0);
    root(scratch, branch, bytes, head.length);
    bytes.set(tail, head.length + HASH_BYTES);
    return { bytes, hex: headHex + Buffer.from(bytes.buffer, head.length, HASH_BYTES).toString('hex') + tailHex };
  };
}
