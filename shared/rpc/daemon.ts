/**
 * monerod RPC client (docs/protocol.md §5): typed, validated replies in camelCase; amounts and difficulties are
 * bigint. Idempotent reads are retried with exponential backoff (`retries` extra attempts) on timeouts, HTTP/connection
 * failures and "core busy" (-9); nothing else is retried. `submitBlock` is retried only when the connection could not
 * be made at all (the block certainly never reached the daemon) or the daemon answered "core busy" (it did not look at
 * the block; a block found while monerod syncs or reorganizes must not be lost to that); `generateBlocks` and `popBlocks` are never retried.
 *
 * A failed `submitBlock` is one of three things (`classifySubmitFailure`):
 * - "rejected": monerod answered and refused the block (a JSON-RPC error such as -7 "Block not accepted" or -6
 *   "Wrong block blob", a status other than OK, core busy) or the HTTP server refused the request (4xx): it did not
 *   take the block;
 * - "undelivered": the request never left (connection refused, host unreachable, connect timeout, client closed),
 *   after the connect retries: the daemon cannot have the block;
 * - "ambiguous": the request may have reached the daemon but no verdict came back (a timeout, a connection reset or
 *   closed after sending, a 5xx, an unreadable reply): the daemon may have added the block, so the caller keeps it
 *   as an unconfirmed candidate and looks its hash up later.
 *
 * Data model: see the exported interfaces (DaemonInfo, BlockHeader, BlockTemplateReply, DaemonTx, KeyImageStatus).
 * Errors: PoolError RPC_TIMEOUT | RPC_HTTP | RPC_ERROR {method, code, message} | RPC_BAD_REPLY {method, field}.
 */
import { z } from 'zod';
import { ERRORS, PoolError, isPoolError } from '../errors.js';
import { RpcTransport, httpBaseUrl, type CallOptions } from './http.js';

/** The daemon section of the pool config (structurally; see shared/config/schema.ts). */
export interface DaemonClientConfig {
  host: string;
  port: number;
  /** Per-call timeout in ms (default 10000). */
  timeout?: number;
  /** Extra attempts for idempotent reads (default 3). */
  retries?: number;
}

export interface DaemonClientOptions {
  /** First backoff delay in ms (doubles per attempt, capped at 5 s, with ±20 % jitter). Default 250. */
  retryBaseMs?: number;
}

// ---- reply schemas ---------------------------------------------------------------------------------------------

const int = z.number().int();
const u64 = z.union([z.number().int().nonnegative(), z.bigint().nonnegative()]).transform((v) => BigInt(v));
const hash = z.string().regex(/^[0-9a-f]{64}$/i, 'expected a 32-byte hex hash');
const hex = z.string().regex(/^(?:[0-9a-f]{2})*$/i, 'expected hex');
const wideHex = z.string().regex(/^0x[0-9a-f]+$/i, 'expected 0x-prefixed hex');

/** A 128-bit difficulty: `wide_*` hex when present, else low 64 bits + top64 << 64. */
function wide(low: bigint, top64: bigint | undefined, wideStr: string | undefined): bigint {
  if (wideStr !== undefined) return BigInt(wideStr);
  return low + ((top64 ?? 0n) << 64n);
}

const blockHeaderSchema = z
  .object({
    hash,
    height: int.nonnegative(),
    depth: int.nonnegative(),
    orphan_status: z.boolean(),
    reward: u64,
    timestamp: int.nonnegative(),
    difficulty: u64,
    difficulty_top64: u64.optional(),
    wide_difficulty: wideHex.optional(),
    cumulative_difficulty: u64.optional(),
    cumulative_difficulty_top64: u64.optional(),
    wide_cumulative_difficulty: wideHex.optional(),
    prev_hash: hash,
    nonce: int.nonnegative(),
    num_txes: int.nonnegative(),
    major_version: int.nonnegative(),
    minor_version: int.nonnegative(),
    miner_tx_hash: hash.optional(),
    block_size: int.nonnegative().optional(),
    block_weight: int.nonnegative().optional(),
    pow_hash: z.string().optional(),
  })
  .transform((h) => ({
    hash: h.hash,
    height: h.height,
    depth: h.depth,
    orphanStatus: h.orphan_status,
    reward: h.reward,
    timestamp: h.timestamp,
    difficulty: wide(h.difficulty, h.difficulty_top64, h.wide_difficulty),
    cumulativeDifficulty:
      h.cumulative_difficulty === undefined && h.wide_cumulative_difficulty === undefined
        ? undefined
        : wide(h.cumulative_difficulty ?? 0n, h.cumulative_difficulty_top64, h.wide_cumulative_difficulty),
    prevHash: h.prev_hash,
    nonce: h.nonce,
    numTxes: h.num_txes,
    majorVersion: h.major_version,
    minorVersion: h.minor_version,
    minerTxHash: h.miner_tx_hash,
    blockSize: h.block_size,
    blockWeight: h.block_weight,
    /** Only filled with fill_pow_hash on an unrestricted RPC; "" otherwise. */
    powHash: h.pow_hash === undefined || h.pow_hash === '' ? undefined : h.pow_hash,
  }));
export type BlockHeader = z.output<typeof blockHeaderSchema>;

const headerReply = z.object({ block_header: blockHeaderSchema, status: z.string().optional() });

const infoSchema = z
  .object({
    height: int.nonnegative(),
    target_height: int.nonnegative(),
    difficulty: u64,
    difficulty_top64: u64.optional(),
    wide_difficulty: wideHex.optional(),
    target: int.positive(),
    top_block_hash: hash,
    nettype: z.string(),
    synchronized: z.boolean(),
    busy_syncing: z.boolean().optional(),
    offline: z.boolean().optional(),
    tx_pool_size: int.nonnegative().optional(),
    version: z.string().optional(),
    status: z.string().optional(),
  })
  .transform((i) => ({
    /** Chain length = height of the next block. */
    height: i.height,
    targetHeight: i.target_height,
    difficulty: wide(i.difficulty, i.difficulty_top64, i.wide_difficulty),
    target: i.target,
    topBlockHash: i.top_block_hash,
    nettype: i.nettype,
    synchronized: i.synchronized,
    busySyncing: i.busy_syncing ?? false,
    offline: i.offline ?? false,
    txPoolSize: i.tx_pool_size ?? 0,
    version: i.version ?? '',
  }));
export type DaemonInfo = z.output<typeof infoSchema>;

const templateSchema = z
  .object({
    blocktemplate_blob: hex.min(2),
    blockhashing_blob: hex.min(2),
    difficulty: u64,
    difficulty_top64: u64.optional(),
    wide_difficulty: wideHex.optional(),
    expected_reward: u64,
    height: int.nonnegative(),
    prev_hash: hash,
    reserved_offset: int.nonnegative(),
    seed_hash: hash,
    next_seed_hash: z.union([hash, z.literal('')]).optional(),
    seed_height: int.nonnegative().optional(),
    status: z.string().optional(),
  })
  .transform((t) => ({
    blocktemplateBlob: t.blocktemplate_blob,
    blockhashingBlob: t.blockhashing_blob,
    difficulty: wide(t.difficulty, t.difficulty_top64, t.wide_difficulty),
    expectedReward: t.expected_reward,
    height: t.height,
    prevHash: t.prev_hash,
    reservedOffset: t.reserved_offset,
    seedHash: t.seed_hash,
    nextSeedHash: t.next_seed_hash === undefined || t.next_seed_hash === '' ? undefined : t.next_seed_hash,
    seedHeight: t.seed_height,
  }));
export type BlockTemplateReply = z.output<typeof templateSchema>;

const submitSchema = z.object({ status: z.string(), block_id: z.string().optional() });
const countSchema = z.object({ count: int.nonnegative(), status: z.string().optional() });
const generateSchema = z.object({
  height: int.nonnegative(),
  blocks: z.array(hash).default([]),
  status: z.string().optional(),
});
const popSchema = z.object({ height: int.nonnegative() });

const txSchema = z
  .object({
    tx_hash: hash,
    in_pool: z.boolean(),
    block_height: int.nonnegative().optional(),
    block_timestamp: int.nonnegative().optional(),
    double_spend_seen: z.boolean().optional(),
    as_hex: z.string().optional(),
    confirmations: int.nonnegative().optional(),
  })
  .transform((t) => ({
    txHash: t.tx_hash,
    inPool: t.in_pool,
    /** Undefined while in the pool. */
    blockHeight: t.in_pool ? undefined : t.block_height,
    blockTimestamp: t.in_pool ? undefined : t.block_timestamp,
    doubleSpendSeen: t.double_spend_seen ?? false,
    asHex: t.as_hex ?? '',
  }));
export type DaemonTx = z.output<typeof txSchema>;
const txsSchema = z.object({
  txs: z.array(txSchema).default([]),
  missed_tx: z.array(z.string()).default([]),
});

/** is_key_image_spent: 0 unspent, 1 spent in the chain, 2 spent in the pool. */
export type KeyImageStatus = 'unspent' | 'spentInChain' | 'spentInPool';
const KEY_IMAGE_STATUS: readonly KeyImageStatus[] = ['unspent', 'spentInChain', 'spentInPool'];
const keyImagesSchema = z.object({ spent_status: z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])) });

export interface SubmitBlockResult {
  status: string;
  /** Absent on 0.18.0.0 (compute the id yourself). */
  blockId?: string;
}

/** What a failed submit_block means for the block; see the module header. */
export type SubmitFailure = 'rejected' | 'undelivered' | 'ambiguous';

/** Classifies an error thrown by `submitBlock`. Anything not recognised is ambiguous (never drop a block on a guess). */
export function classifySubmitFailure(e: unknown): SubmitFailure {
  if (isPoolError(e, ERRORS.RPC_ERROR)) return 'rejected';
  if (isPoolError(e, ERRORS.RPC_HTTP)) {
    const status = e.details?.['status'];
    if (typeof status === 'number') return status >= 500 ? 'ambiguous' : 'rejected';
    // connectFailed true: no connection was made; absent: the client was closed before sending
    return e.details?.['connectFailed'] === false ? 'ambiguous' : 'undelivered';
  }
  return 'ambiguous';
}

export interface DaemonClient {
  readonly url: string;
  getInfo(): Promise<DaemonInfo>;
  getBlockCount(): Promise<number>;
  getLastBlockHeader(opts?: { fillPowHash?: boolean }): Promise<BlockHeader>;
  /** RPC_ERROR code -2 when height >= chain height. */
  getBlockHeaderByHeight(height: number, opts?: { fillPowHash?: boolean }): Promise<BlockHeader>;
  getBlockHeaderByHash(hash: string, opts?: { fillPowHash?: boolean }): Promise<BlockHeader>;
  getBlockTemplate(p: { walletAddress: string; reserveSize: number }): Promise<BlockTemplateReply>;
  /**
   * Never retried unless the connection failed outright or the daemon answered "core busy". Rejections (-7 etc.) are RPC_ERROR; classify any failure
   * with `classifySubmitFailure` (a timeout or reset after sending may still have delivered the block).
   */
  submitBlock(blobHex: string): Promise<SubmitBlockResult>;
  /**
   * regtest only; default timeout 30 s + 3 s per block (a block at --fixed-difficulty D costs about D light-mode
   * RandomX hashes in monerod). Never retried: on a timeout the daemon may still be mining.
   */
  generateBlocks(n: number, address: string, opts?: CallOptions): Promise<{ height: number; blocks: string[] }>;
  /** regtest: rolls back n blocks (plain /pop_blocks). Never retried. Returns the new chain height. */
  popBlocks(n: number): Promise<{ height: number }>;
  /** plain /get_transactions; `missed` lists hashes the daemon does not know. */
  getTransactions(hashes: readonly string[]): Promise<{ txs: DaemonTx[]; missed: string[] }>;
  /** plain /is_key_image_spent, one status per image in order. */
  isKeyImageSpent(images: readonly string[]): Promise<KeyImageStatus[]>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CORE_RPC_ERROR_CODE_CORE_BUSY (-9), or a "BUSY" status: the daemon refused to look at the request at all. */
function isCoreBusy(e: unknown): boolean {
  return isPoolError(e, ERRORS.RPC_ERROR) && (e.details?.['code'] === -9 || e.details?.['message'] === 'BUSY');
}

function isRetryable(e: unknown): boolean {
  return isPoolError(e, ERRORS.RPC_TIMEOUT) || isPoolError(e, ERRORS.RPC_HTTP) || isCoreBusy(e);
}

export function createDaemonClient(config: DaemonClientConfig, options: DaemonClientOptions = {}): DaemonClient {
  const transport = new RpcTransport({
    service: 'daemon',
    baseUrl: httpBaseUrl(config.host, config.port),
    timeoutMs: config.timeout ?? 10_000,
    checkStatus: true,
  });
  const retries = config.retries ?? 3;
  const baseMs = options.retryBaseMs ?? 250;

  async function withRetry<T>(fn: () => Promise<T>, retryIf: (e: unknown) => boolean = isRetryable): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt >= retries || !retryIf(e)) throw e;
        const delay = Math.min(5_000, baseMs * 2 ** attempt) * (0.8 + Math.random() * 0.4);
        await sleep(delay);
      }
    }
  }

  const header = (method: string, params: unknown): Promise<BlockHeader> =>
    withRetry(() => transport.jsonRpc(method, params, headerReply)).then((r) => r.block_header);

  return {
    url: transport.baseUrl,
    getInfo: () => withRetry(() => transport.jsonRpc('get_info', undefined, infoSchema)),
    getBlockCount: () =>
      withRetry(() => transport.jsonRpc('get_block_count', undefined, countSchema)).then((r) => r.count),
    getLastBlockHeader: (opts) => header('get_last_block_header', { fill_pow_hash: opts?.fillPowHash ?? false }),
    getBlockHeaderByHeight: (height, opts) =>
      header('get_block_header_by_height', { height, fill_pow_hash: opts?.fillPowHash ?? false }),
    getBlockHeaderByHash: (h, opts) =>
      header('get_block_header_by_hash', { hash: h, fill_pow_hash: opts?.fillPowHash ?? false }),
    getBlockTemplate: (p) =>
      withRetry(() =>
        transport.jsonRpc(
          'get_block_template',
          { wallet_address: p.walletAddress, reserve_size: p.reserveSize },
          templateSchema,
        ),
      ),
    submitBlock: (blobHex) =>
      withRetry(
        () => transport.jsonRpc('submit_block', [blobHex], submitSchema),
        // the block certainly did not reach the daemon (no connection), or the daemon was too busy to look at it
        (e) => (isPoolError(e, ERRORS.RPC_HTTP) && e.details?.['connectFailed'] === true) || isCoreBusy(e),
      ).then((r) => {
        if (r.status !== 'OK') {
          throw new PoolError(ERRORS.RPC_ERROR, `daemon submit_block: status ${r.status}`, {
            service: 'daemon',
            method: 'submit_block',
            code: null,
            message: r.status,
          });
        }
        return { status: r.status, ...(r.block_id ? { blockId: r.block_id } : {}) };
      }),
    generateBlocks: (n, address, opts) =>
      transport
        .jsonRpc('generateblocks', { amount_of_blocks: n, wallet_address: address }, generateSchema, {
          timeoutMs: opts?.timeoutMs ?? Math.max(config.timeout ?? 10_000, 30_000 + n * 3_000),
        })
        .then((r) => ({ height: r.height, blocks: r.blocks })),
    popBlocks: (n) => transport.plain('/pop_blocks', { nblocks: n }, popSchema).then((r) => ({ height: r.height })),
    getTransactions: (hashes) =>
      withRetry(() =>
        transport.plain('/get_transactions', { txs_hashes: hashes, decode_as_json: false }, txsSchema),
      ).then((r) => ({
        txs: r.txs,
        missed: r.missed_tx,
      })),
    isKeyImageSpent: (images) =>
      withRetry(() => transport.plain('/is_key_image_spent', { key_images: images }, keyImagesSchema)).then((r) => {
        if (r.spent_status.length !== images.length) {
          throw new PoolError(
            ERRORS.RPC_BAD_REPLY,
            `daemon is_key_image_spent: ${r.spent_status.length} statuses for ${images.length} images`,
            {
              service: 'daemon',
              method: 'is_key_image_spent',
              field: 'reply.spent_status',
            },
          );
        }
        return r.spent_status.map((s) => KEY_IMAGE_STATUS[s] as KeyImageStatus);
      }),
    close: () => transport.close(),
  };
}
