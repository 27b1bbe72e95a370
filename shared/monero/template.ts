/**
 * Block templates: from monerod's `blocktemplate_blob` to per-extra-nonce hashing blobs, full block blobs and ids.
 *
 * Data model (BlockTemplate, immutable after parsing; offsets index `bytes`):
 *   bytes          the template blob (a private copy; reserved bytes as the daemon sent them, normally zero)
 *   nonceOffset    first of the 4 header nonce bytes (39 for today's header)
 *   minerTx        {start, prefixEnd, end}: the miner tx occupies [start, end); its prefix is [start, prefixEnd)
 *   extra          {start, end}: the data bytes of the miner tx `extra` field (after its length varint)
 *   reservedOffset / reservedSize   where the pool's extra nonce goes and how many bytes it may use
 *   txHashes       the other transactions' hashes (32 bytes each), in block order
 *   txCount        1 + txHashes.length (leaf count of the merkle tree, the hashing blob's last varint)
 *   merkleBranch   siblings of leaf 0 (the miner tx) from the bottom up: root = fold(keccak(acc || sibling))
 *
 * Recipe for one extra nonce (docs/mining-math.md §3):
 *   1. copy the miner tx prefix and write the extra nonce at reservedOffset;
 *   2. txid = keccak(keccak(prefix) || keccak(0x00) || 32 zero bytes)    (v2 tx with RCTTypeNull);
 *   3. root = txid folded up merkleBranch;
 *   4. hashing blob = header || root || varint(txCount); block id = keccak(varint(len) || hashing blob).
 * `hashingBlob` follows it for one extra nonce; `jobBlobMaker` (job-blob.ts, re-exported here) prepares a template
 * once and then runs steps 1-4 per miner of a broadcast, with the JS Keccak or a native one.
 */
import { ERRORS, PoolError, isPoolError } from '../errors.js';
import { bytesToHex, concatBytes, hexToBytes } from '../hex.js';
import { keccak256, keccak256Concat } from './keccak.js';
import { decodeVarint, encodeVarint } from './varint.js';

export { jobBlobMaker, jsMinerJobRoot, type JobBlob, type MinerJobRoot } from './job-blob.js';

const HASH_BYTES = 32;
export const NONCE_BYTES = 4;
const TXIN_GEN = 0xff;
const TXOUT_TO_KEY = 0x02;
const TXOUT_TO_TAGGED_KEY = 0x03;
const RCT_TYPE_NULL = 0x00;
const EXTRA_TAG_PUBKEY = 0x01;
const EXTRA_TAG_NONCE = 0x02;

/** keccak256(0x00): the hash of a coinbase's RCT base (type RCTTypeNull). */
const RCT_NULL_BASE_HASH = keccak256(Uint8Array.of(RCT_TYPE_NULL));
const ZERO_HASH = new Uint8Array(HASH_BYTES);

export interface ByteRange {
  start: number;
  end: number;
}

export interface BlockTemplate {
  readonly bytes: Uint8Array;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly timestamp: number;
  /** Previous block id, 64 hex. */
  readonly prevId: string;
  readonly nonceOffset: number;
  /** Height from the coinbase input (txin_gen). */
  readonly height: number;
  readonly minerTx: { readonly start: number; readonly prefixEnd: number; readonly end: number };
  /** The miner tx prefix range, [start, end). */
  readonly minerTxPrefix: Readonly<ByteRange>;
  readonly extra: Readonly<ByteRange>;
  readonly reservedOffset: number;
  readonly reservedSize: number;
  readonly txHashes: readonly Uint8Array[];
  readonly txCount: number;
  readonly merkleBranch: readonly Uint8Array[];
}

function badTemplate(message: string, details?: Record<string, unknown>, cause?: unknown): never {
  throw new PoolError(ERRORS.BAD_TEMPLATE, message, details, cause === undefined ? undefined : { cause });
}

/** Walks a blob field by field; every failure is PoolError BAD_TEMPLATE naming the field. */
class Cursor {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(field: string): number {
    let decoded: { value: bigint; length: number };
    try {
      decoded = decodeVarint(this.buf, this.pos);
    } catch (e) {
      if (isPoolError(e)) badTemplate(`bad varint for ${field} at offset ${this.pos}`, { field, offset: this.pos }, e);
      throw e;
    }
    if (decoded.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      badTemplate(`${field} at offset ${this.pos} is too large (${decoded.value})`, { field, offset: this.pos });
    }
    this.pos += decoded.length;
    return Number(decoded.value);
  }

  byte(field: string): number {
    if (this.pos >= this.buf.length) badTemplate(`template ends before ${field}`, { field, offset: this.pos });
    return this.buf[this.pos++]!;
  }

  skip(n: number, field: string): number {
    const start = this.pos;
    if (n < 0 || start + n > this.buf.length) {
      badTemplate(`template ends inside ${field} (needs ${n} bytes at offset ${start})`, { field, offset: start });
    }
    this.pos += n;
    return start;
  }
}

/**
 * How many bytes the pool may write at `reservedOffset`: the rest of the tx_extra nonce field that starts there if
 * the extra is a simple (pubkey, nonce) list, otherwise the rest of the extra.
 */
function reservedCapacity(bytes: Uint8Array, extra: ByteRange, reservedOffset: number): number {
  let pos = extra.start;
  try {
    while (pos < extra.end) {
      const tag = bytes[pos]!;
      if (tag === EXTRA_TAG_PUBKEY) {
        pos += 1 + HASH_BYTES;
      } else if (tag === EXTRA_TAG_NONCE) {
        const len = decodeVarint(bytes, pos + 1);
        const dataStart = pos + 1 + len.length;
        const dataEnd = dataStart + Number(len.value);
        if (reservedOffset >= dataStart && reservedOffset < dataEnd && dataEnd <= extra.end) {
          return dataEnd - reservedOffset;
        }
        pos = dataEnd;
      } else {
        break;
      }
    }
  } catch {
    // Unusual extra: fall back to the extra's end below.
  }
  return extra.end - reservedOffset;
}

/**
 * Parse a block template blob (hex or bytes) as returned by get_block_template, with its `reserved_offset`.
 * `reserveSize`, if given, is the reserve_size requested; it must fit inside the extra nonce field.
 * Throws PoolError BAD_TEMPLATE (or BAD_HEX for bad hex).
 */
export function parseBlockTemplate(
  blob: string | Uint8Array,
  reservedOffset: number,
  reserveSize?: number,
): BlockTemplate {
  const bytes = typeof blob === 'string' ? hexToBytes(blob) : Uint8Array.from(blob);
  const c = new Cursor(bytes);

  // Block header.
  const majorVersion = c.varint('major_version');
  const minorVersion = c.varint('minor_version');
  const timestamp = c.varint('timestamp');
  const prevId = bytesToHex(bytes.subarray(c.skip(HASH_BYTES, 'prev_id'), c.pos));
  const nonceOffset = c.skip(NONCE_BYTES, 'nonce');

  // Miner tx prefix.
  const minerTxStart = c.pos;
  const version = c.varint('miner tx version');
  if (version !== 2) badTemplate(`unsupported miner tx version ${version} (expected 2)`, { version });
  c.varint('unlock_time');
  const vinCount = c.varint('vin count');
  if (vinCount !== 1) badTemplate(`miner tx has ${vinCount} inputs (expected 1)`, { vinCount });
  const vinTag = c.byte('vin tag');
  if (vinTag !== TXIN_GEN) badTemplate(`miner tx input tag 0x${vinTag.toString(16)} is not txin_gen (0xff)`);
  const height = c.varint('coinbase height');
  const voutCount = c.varint('vout count');
  if (voutCount < 1) badTemplate('miner tx has no outputs');
  for (let i = 0; i < voutCount; i++) {
    c.varint(`vout[${i}] amount`);
    const tag = c.byte(`vout[${i}] target tag`);
    if (tag === TXOUT_TO_KEY) c.skip(HASH_BYTES, `vout[${i}] key`);
    else if (tag === TXOUT_TO_TAGGED_KEY) c.skip(HASH_BYTES + 1, `vout[${i}] key and view tag`);
    else badTemplate(`vout[${i}] has unknown target tag 0x${tag.toString(16)}`, { output: i, tag });
  }
  const extraLength = c.varint('extra length');
  const extraStart = c.skip(extraLength, 'extra');
  const extra: ByteRange = { start: extraStart, end: c.pos };
  const prefixEnd = c.pos;
  const rctType = c.byte('rct type');
  if (rctType !== RCT_TYPE_NULL) badTemplate(`miner tx rct type ${rctType} is not RCTTypeNull (0)`, { rctType });
  const minerTxEnd = c.pos;

  // Other transactions.
  const txHashCount = c.varint('tx count');
  if (txHashCount * HASH_BYTES !== bytes.length - c.pos) {
    badTemplate(`template declares ${txHashCount} tx hashes but has ${bytes.length - c.pos} bytes left`);
  }
  const txHashes: Uint8Array[] = [];
  for (let i = 0; i < txHashCount; i++) {
    const start = c.skip(HASH_BYTES, `tx hash ${i}`);
    txHashes.push(bytes.slice(start, start + HASH_BYTES));
  }

  // The reserved space must lie inside extra.
  if (!Number.isInteger(reservedOffset) || reservedOffset < extra.start || reservedOffset >= extra.end) {
    badTemplate(`reserved_offset ${reservedOffset} is not inside the miner tx extra [${extra.start}, ${extra.end})`, {
      reservedOffset,
      extraStart: extra.start,
      extraEnd: extra.end,
    });
  }
  const capacity = reservedCapacity(bytes, extra, reservedOffset);
  if (reserveSize !== undefined && (!Number.isInteger(reserveSize) || reserveSize < 0 || reserveSize > capacity)) {
    badTemplate(`reserve size ${reserveSize} does not fit at reserved_offset ${reservedOffset} (room: ${capacity})`);
  }

  const leaves = 1 + txHashes.length;
  return Object.freeze({
    bytes,
    majorVersion,
    minorVersion,
    timestamp,
    prevId,
    nonceOffset,
    height,
    minerTx: Object.freeze({ start: minerTxStart, prefixEnd, end: minerTxEnd }),
    minerTxPrefix: Object.freeze({ start: minerTxStart, end: prefixEnd }),
    extra: Object.freeze(extra),
    reservedOffset,
    reservedSize: reserveSize ?? capacity,
    txHashes: Object.freeze(txHashes),
    txCount: leaves,
    merkleBranch: Object.freeze(merkleBranch([ZERO_HASH, ...txHashes])),
  });
}

/** Hash of a version-2 miner tx from its prefix bytes (RCTTypeNull, no prunable part). */
export function minerTxHash(prefix: Uint8Array): Uint8Array {
  return keccak256Concat(keccak256(prefix), RCT_NULL_BASE_HASH, ZERO_HASH);
}

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return keccak256Concat(a, b);
}

/** Largest power of two strictly below n (n >= 3), as tree-hash.c computes it. */
function treeHashCnt(n: number): number {
  let pow = 2;
  while (pow < n) pow *= 2;
  return pow / 2;
}

function checkLeaves(hashes: readonly Uint8Array[]): void {
  if (hashes.length === 0) badTemplate('tree hash of zero leaves');
  for (const h of hashes) if (h.length !== HASH_BYTES) badTemplate(`tree leaf has ${h.length} bytes, expected 32`);
}

/** Monero's tree hash (src/crypto/tree-hash.c) over leaves [miner txid, tx hashes...]. */
export function treeHash(hashes: readonly Uint8Array[]): Uint8Array {
  checkLeaves(hashes);
  const n = hashes.length;
  if (n === 1) return Uint8Array.from(hashes[0]!);
  if (n === 2) return hashPair(hashes[0]!, hashes[1]!);
  let cnt = treeHashCnt(n);
  const ints: Uint8Array[] = hashes.slice(0, 2 * cnt - n);
  for (let i = 2 * cnt - n; i < n; i += 2) ints.push(hashPair(hashes[i]!, hashes[i + 1]!));
  while (cnt > 2) {
    cnt /= 2;
    for (let j = 0; j < cnt; j++) ints[j] = hashPair(ints[2 * j]!, ints[2 * j + 1]!);
  }
  return hashPair(ints[0]!, ints[1]!);
}

/**
 * Siblings of leaf 0 in tree_hash order, bottom up. Leaf 0's own value is never read, so the branch can be computed
 * once per template and reused for every extra nonce.
 */
export function merkleBranch(hashes: readonly Uint8Array[]): Uint8Array[] {
  checkLeaves(hashes);
  const n = hashes.length;
  if (n === 1) return [];
  if (n === 2) return [Uint8Array.from(hashes[1]!)];
  const branch: Uint8Array[] = [];
  let cnt = treeHashCnt(n);
  const copied = 2 * cnt - n;
  // Leaf 0 is either copied up unchanged (copied > 0) or paired with leaf 1 (n a power of two).
  if (copied === 0) branch.push(Uint8Array.from(hashes[1]!));
  const ints: Uint8Array[] = hashes.slice(0, copied);
  for (let i = copied; i < n; i += 2) ints.push(i === 0 ? ZERO_HASH : hashPair(hashes[i]!, hashes[i + 1]!));
  while (cnt > 2) {
    branch.push(ints[1]!);
    cnt /= 2;
    ints[0] = ZERO_HASH;
    for (let j = 1; j < cnt; j++) ints[j] = hashPair(ints[2 * j]!, ints[2 * j + 1]!);
  }
  branch.push(ints[1]!);
  return branch;
}

/** Fold a leaf-0 value up its branch to the tree root (leaf 0 is always the left child). */
export function rootFromBranch(leaf: Uint8Array, branch: readonly Uint8Array[]): Uint8Array {
  let acc = leaf;
  for (const sibling of branch) acc = hashPair(acc, sibling);
  return acc === leaf ? Uint8Array.from(leaf) : acc;
}

function checkExtraNonce(t: BlockTemplate, extraNonce: Uint8Array): void {
  if (extraNonce.length > t.reservedSize) {
    badTemplate(`extra nonce of ${extraNonce.length} bytes exceeds the reserved ${t.reservedSize} bytes`);
  }
}

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== NONCE_BYTES) badTemplate(`nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
}

/** The miner tx prefix with `extraNonce` written at the reserved offset. */
export function minerTxPrefixWith(t: BlockTemplate, extraNonce: Uint8Array): Uint8Array {
  checkExtraNonce(t, extraNonce);
  const prefix = t.bytes.slice(t.minerTxPrefix.start, t.minerTxPrefix.end);
  prefix.set(extraNonce, t.reservedOffset - t.minerTxPrefix.start);
  return prefix;
}

/** Merkle root of the block for this extra nonce. */
export function merkleRoot(t: BlockTemplate, extraNonce: Uint8Array): Uint8Array {
  return rootFromBranch(minerTxHash(minerTxPrefixWith(t, extraNonce)), t.merkleBranch);
}

/**
 * The hashing blob (header || merkle root || varint(txCount)) for this extra nonce, the blob miners hash.
 * With `nonce` (4 bytes), it is written at the nonce offset (the header is a prefix of the hashing blob).
 */
export function hashingBlob(t: BlockTemplate, extraNonce: Uint8Array, nonce?: Uint8Array): Uint8Array {
  const blob = concatBytes(
    t.bytes.subarray(0, t.minerTxPrefix.start),
    merkleRoot(t, extraNonce),
    encodeVarint(t.txCount),
  );
  if (nonce !== undefined) {
    checkNonce(nonce);
    blob.set(nonce, t.nonceOffset);
  }
  return blob;
}

/** The full block blob for submit_block: the template with the extra nonce and the 4 nonce bytes written in. */
export function blockBlob(t: BlockTemplate, extraNonce: Uint8Array, nonce: Uint8Array): Uint8Array {
  checkExtraNonce(t, extraNonce);
  checkNonce(nonce);
  const blob = Uint8Array.from(t.bytes);
  blob.set(extraNonce, t.reservedOffset);
  blob.set(nonce, t.nonceOffset);
  return blob;
}

/** Block id from a hashing blob: keccak256(varint(len) || blob). */
export function blockId(hashingBlobBytes: Uint8Array): Uint8Array {
  return keccak256Concat(encodeVarint(hashingBlobBytes.length), hashingBlobBytes);
}
