/**
 * monero-wallet-rpc client for the payment path and the API's signature checks. NEVER retried automatically: a timeout on
 * `transfer` or `relay_tx` is ambiguous and must be reconciled by the caller, not repeated here. HTTP Digest auth is
 * used when `user` is set (monero-wallet-rpc `--rpc-login user:password`).
 *
 * Amounts are bigint atomic units both ways: requests write them as exact JSON integers, replies are parsed without
 * going through float (shared/rpc/json.ts).
 *
 * Data model: see the exported interfaces (WalletBalance, TransferResult, WalletTransfer, ...).
 * Errors: PoolError RPC_TIMEOUT | RPC_HTTP | RPC_ERROR {method, code, message} (wallet codes, e.g. -17 not enough
 * money, -37 not enough unlocked money, -8 unknown txid) | RPC_BAD_REPLY {method, field}.
 */
import { z } from 'zod';
import { RpcTransport, httpBaseUrl, type CallOptions } from './http.js';

/** The wallet section of the pool config (structurally; see shared/config/schema.ts). */
export interface WalletClientConfig {
  host: string;
  port: number;
  /** Digest user; null/undefined/"" for a wallet-rpc started with --disable-rpc-login. */
  user?: string | null;
  password?: string | null;
  /** Per-call timeout in ms (default 60000). */
  timeout?: number;
}

const int = z.number().int();
const u64 = z.union([z.number().int().nonnegative(), z.bigint().nonnegative()]).transform((v) => BigInt(v));
const hash = z.string().regex(/^[0-9a-f]{64}$/i, 'expected a 32-byte hex hash');

const heightSchema = z.object({ height: int.nonnegative() });
const addressSchema = z
  .object({
    address: z.string().min(1),
    addresses: z
      .array(
        z.object({
          address: z.string().min(1),
          address_index: int.nonnegative(),
          label: z.string().default(''),
          used: z.boolean().default(false),
        }),
      )
      .default([]),
  })
  .transform((a) => ({
    address: a.address,
    addresses: a.addresses.map((x) => ({
      address: x.address,
      addressIndex: x.address_index,
      label: x.label,
      used: x.used,
    })),
  }));
export type WalletAddress = z.output<typeof addressSchema>;

const balanceSchema = z
  .object({
    balance: u64,
    unlocked_balance: u64,
    blocks_to_unlock: int.nonnegative().optional(),
    multisig_import_needed: z.boolean().optional(),
  })
  .transform((b) => ({
    balance: b.balance,
    unlockedBalance: b.unlocked_balance,
    blocksToUnlock: b.blocks_to_unlock ?? 0,
    multisigImportNeeded: b.multisig_import_needed ?? false,
  }));
export type WalletBalance = z.output<typeof balanceSchema>;

const transferSchema = z
  .object({
    tx_hash: hash,
    tx_key: z.string().default(''),
    amount: u64,
    amounts_by_dest: z.object({ amounts: z.array(u64) }).optional(),
    fee: u64,
    weight: int.nonnegative().optional(),
    tx_blob: z.string().default(''),
    tx_metadata: z.string().default(''),
    spent_key_images: z.object({ key_images: z.array(z.string()).default([]) }).optional(),
  })
  .transform((t) => ({
    txHash: t.tx_hash,
    /** "" unless getTxKey. */
    txKey: t.tx_key,
    /** Sum sent to the destinations (without fee). */
    amount: t.amount,
    amountsByDest: t.amounts_by_dest?.amounts,
    fee: t.fee,
    weight: t.weight,
    /** "" unless get_tx_hex. */
    txBlob: t.tx_blob,
    /** "" unless getTxMetadata; the argument of relayTx. */
    txMetadata: t.tx_metadata,
    spentKeyImages: t.spent_key_images?.key_images ?? [],
  }));
export type TransferResult = z.output<typeof transferSchema>;

const relaySchema = z.object({ tx_hash: hash }).transform((r) => ({ txHash: r.tx_hash }));

const transferEntrySchema = z
  .object({
    txid: hash,
    type: z.string(),
    amount: u64,
    fee: u64.default(0n),
    height: int.nonnegative().default(0),
    timestamp: int.nonnegative().default(0),
    confirmations: int.nonnegative().default(0),
    locked: z.boolean().default(false),
    unlock_time: u64.default(0n),
    double_spend_seen: z.boolean().default(false),
    payment_id: z.string().default(''),
    address: z.string().optional(),
    subaddr_index: z.object({ major: int.nonnegative(), minor: int.nonnegative() }).optional(),
    destinations: z.array(z.object({ address: z.string(), amount: u64 })).default([]),
  })
  .transform((t) => ({
    txid: t.txid,
    /** "in" | "out" | "pending" | "failed" | "pool" | "block" (coinbase receipts). */
    type: t.type,
    amount: t.amount,
    fee: t.fee,
    /** 0 while unconfirmed. */
    height: t.height,
    timestamp: t.timestamp,
    confirmations: t.confirmations,
    locked: t.locked,
    unlockTime: t.unlock_time,
    doubleSpendSeen: t.double_spend_seen,
    paymentId: t.payment_id,
    address: t.address,
    subaddrIndex: t.subaddr_index,
    /** Only for outgoing transfers the wallet created. */
    destinations: t.destinations,
  }));
export type WalletTransfer = z.output<typeof transferEntrySchema>;

const transferList = z.array(transferEntrySchema).default([]);
const transfersSchema = z.object({
  in: transferList,
  out: transferList,
  pending: transferList,
  failed: transferList,
  pool: transferList,
});
export type WalletTransfers = z.output<typeof transfersSchema>;

const byTxidSchema = z
  .object({ transfer: transferEntrySchema, transfers: z.array(transferEntrySchema).optional() })
  .transform((r) => ({ transfer: r.transfer, transfers: r.transfers ?? [r.transfer] }));

const emptySchema = z.object({}).passthrough();
const refreshSchema = z
  .object({ blocks_fetched: int.nonnegative(), received_money: z.boolean().default(false) })
  .transform((r) => ({ blocksFetched: r.blocks_fetched, receivedMoney: r.received_money }));
const versionSchema = z.object({ version: int.nonnegative(), release: z.boolean().optional() });
const signSchema = z.object({ signature: z.string().min(1) }).transform((r) => r.signature);
const verifySchema = z
  .object({
    good: z.boolean(),
    version: int.nonnegative().default(0),
    old: z.boolean().default(false),
    signature_type: z.string().default(''),
  })
  .transform((r) => ({ good: r.good, version: r.version, old: r.old, signatureType: r.signature_type }));
/** verify's reply: `signatureType` "spend" | "view" (which key signed; "" from wallets before 0.18). */
export type VerifyResult = z.output<typeof verifySchema>;

export interface TransferDestination {
  address: string;
  amount: bigint;
}

export interface TransferParams {
  destinations: readonly TransferDestination[];
  /** 0 default, 1 unimportant, 2 normal, 3 elevated, 4 priority. */
  priority?: number;
  /** Omit to let the wallet use its minimum (16 since HF15). */
  ringSize?: number;
  accountIndex?: number;
  subaddrIndices?: readonly number[];
  doNotRelay?: boolean;
  getTxMetadata?: boolean;
  getTxKey?: boolean;
  getTxHex?: boolean;
  paymentId?: string;
}

export interface GetTransfersParams {
  in?: boolean;
  out?: boolean;
  pending?: boolean;
  failed?: boolean;
  pool?: boolean;
  minHeight?: number;
  maxHeight?: number;
  accountIndex?: number;
  subaddrIndices?: readonly number[];
  allAccounts?: boolean;
}

export interface WalletClient {
  readonly url: string;
  getVersion(): Promise<{ version: number }>;
  /** The wallet's synced height (chain length as the wallet sees it). */
  getHeight(): Promise<number>;
  getAddress(opts?: { accountIndex?: number }): Promise<WalletAddress>;
  getBalance(opts?: { accountIndex?: number }): Promise<WalletBalance>;
  transfer(p: TransferParams, call?: CallOptions): Promise<TransferResult>;
  /** relay_tx {hex: tx_metadata}. Relaying the same metadata twice yields the same tx (the wallet relays the one it signed). */
  relayTx(txMetadataHex: string, call?: CallOptions): Promise<{ txHash: string }>;
  getTransfers(p: GetTransfersParams): Promise<WalletTransfers>;
  /** RPC_ERROR code -8 when the wallet does not know the txid. */
  getTransferByTxid(
    txid: string,
    opts?: { accountIndex?: number },
  ): Promise<{ transfer: WalletTransfer; transfers: WalletTransfer[] }>;
  store(): Promise<void>;
  createWallet(p: { filename: string; password?: string; language?: string }): Promise<void>;
  openWallet(p: { filename: string; password?: string }): Promise<void>;
  closeWallet(): Promise<void>;
  refresh(
    opts?: { startHeight?: number },
    call?: CallOptions,
  ): Promise<{ blocksFetched: number; receivedMoney: boolean }>;
  /** sign {data}: a message signature ("SigV2...") with the open wallet's spend key (primary address). */
  sign(data: string, call?: CallOptions): Promise<string>;
  /** verify {data, address, signature}: needs an open wallet but none of its keys (any wallet can check). */
  verify(p: { data: string; address: string; signature: string }, call?: CallOptions): Promise<VerifyResult>;
  close(): Promise<void>;
}

export function createWalletClient(config: WalletClientConfig): WalletClient {
  const user = config.user ?? '';
  const transport = new RpcTransport({
    service: 'wallet',
    baseUrl: httpBaseUrl(config.host, config.port),
    timeoutMs: config.timeout ?? 60_000,
    login: user !== '' ? { user, password: config.password ?? '' } : null,
  });
  const call = transport.jsonRpc.bind(transport);

  return {
    url: transport.baseUrl,
    getVersion: () => call('get_version', undefined, versionSchema).then((r) => ({ version: r.version })),
    getHeight: () => call('get_height', undefined, heightSchema).then((r) => r.height),
    getAddress: (opts) => call('get_address', { account_index: opts?.accountIndex ?? 0 }, addressSchema),
    getBalance: (opts) => call('get_balance', { account_index: opts?.accountIndex ?? 0 }, balanceSchema),
    transfer: (p, c) =>
      call(
        'transfer',
        {
          destinations: p.destinations.map((d) => ({ amount: d.amount, address: d.address })),
          priority: p.priority ?? 0,
          ring_size: p.ringSize,
          account_index: p.accountIndex,
          subaddr_indices: p.subaddrIndices,
          do_not_relay: p.doNotRelay ?? false,
          get_tx_metadata: p.getTxMetadata ?? false,
          get_tx_key: p.getTxKey ?? false,
          get_tx_hex: p.getTxHex ?? false,
          payment_id: p.paymentId,
        },
        transferSchema,
        c,
      ),
    relayTx: (hex, c) => call('relay_tx', { hex }, relaySchema, c),
    getTransfers: (p) =>
      call(
        'get_transfers',
        {
          in: p.in ?? false,
          out: p.out ?? false,
          pending: p.pending ?? false,
          failed: p.failed ?? false,
          pool: p.pool ?? false,
          filter_by_height: p.minHeight !== undefined || p.maxHeight !== undefined,
          min_height: p.minHeight,
          max_height: p.maxHeight,
          account_index: p.accountIndex,
          subaddr_indices: p.subaddrIndices,
          all_accounts: p.allAccounts,
        },
        transfersSchema,
      ),
    getTransferByTxid: (txid, opts) =>
      call('get_transfer_by_txid', { txid, account_index: opts?.accountIndex }, byTxidSchema),
    store: () => call('store', undefined, emptySchema).then(() => undefined),
    createWallet: (p) =>
      call(
        'create_wallet',
        { filename: p.filename, password: p.password ?? '', language: p.language ?? 'English' },
        emptySchema,
      ).then(() => undefined),
    openWallet: (p) =>
      call('open_wallet', { filename: p.filename, password: p.password ?? '' }, emptySchema).then(() => undefined),
    closeWallet: () => call('close_wallet', undefined, emptySchema).then(() => undefined),
    refresh: (opts, c) => call('refresh', { start_height: opts?.startHeight }, refreshSchema, c),
    sign: (data, c) => call('sign', { data }, signSchema, c),
    verify: (p, c) => call('verify', { data: p.data, address: p.address, signature: p.signature }, verifySchema, c),
    close: () => transport.close(),
  };
}
