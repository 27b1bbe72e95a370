/**
 * Proof that a payout-threshold change comes from the owner of the address: a Monero wallet signature over a
 * message the API issues, checked by monero-wallet-rpc `verify` {data, address, signature}.
 *
 * The message (one line, so no editor or copy/paste changes its line endings; these exact bytes are signed):
 *
 *   Payout threshold for pool <poolName> | pool wallet <poolAddress> | address <address> | threshold <N> atomic units
 *   (<X> <SYMBOL>) | issued <ISO time>          (one line; wrapped here)
 *
 * - pool: api.poolName (default: the `coin` name) for people, and poolServer.poolAddress, which no other pool has,
 *   so a signature made for one pool is refused by another;
 * - address and threshold: the change itself, so a signature cannot be used for another address or value;
 * - issued: the API's clock when it issued the message (UTC, millisecond precision). A message is accepted only
 *   within api.thresholdMessageTtl seconds after it was issued (and not more than MAX_CLOCK_SKEW_MS ahead of the
 *   API's clock), and only if it is newer than the last message applied to that address: the worker hash keeps
 *   `thresholdSignedAt` = the applied message's issued time (unix ms), compared and set in one Lua script. So a
 *   signed message takes effect once; an old one cannot be replayed later, nor a newer change undone by an older one.
 * A signature must be made with the spend key (monero-wallet-cli `sign <file>`, the GUI's Advanced > Sign/verify,
 * wallet-rpc `sign`): a view-key signature ("signature_type": "view") only proves the view key, which an owner may
 * have shared, so it is refused. A signature over the message plus one trailing newline (a file saved by an editor)
 * is accepted as the same message.
 *
 * Where `verify` runs: api.signatureWallet, a monero-wallet-rpc with any wallet open (verification uses no keys:
 * a throwaway wallet, or the payments wallet), or, when that is null, the `wallet` section (the payments wallet).
 * A dedicated signatureWallet with no wallet open (error -13) gets one: the API opens, or creates once, the
 * password-less wallet file SIGNATURE_WALLET_FILE there, so a verification-only wallet-rpc needs no setup. The
 * payments wallet is never opened or created from here.
 *
 * Data model: ThresholdMessage {poolName, poolWallet, address, threshold (bigint atomic units), issuedMs}; Redis worker(address)
 * fields `threshold` and `thresholdSignedAt`. Errors: ThresholdProofError {status, code (shared/errors.ts), message}.
 */
import type { PoolConfig } from '../../shared/config/schema.js';
import { ERRORS, errorMessage, isPoolError, type ErrorCode } from '../../shared/errors.js';
import { formatXmr } from '../../shared/money.js';
import { createWalletClient, type WalletClient } from '../../shared/rpc/wallet.js';
import type { Storage } from '../../shared/storage/port.js';

/** The wallet file the API opens or creates on a dedicated verification wallet-rpc that has none open. */
export const SIGNATURE_WALLET_FILE = 'signature-check';
/** monero-wallet-rpc's "No wallet file" error (no wallet open). */
const WALLET_NOT_OPEN = -13;

/** How far in the future (API clock) an issued time may be: clocks of several API instances differ a little. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** A message signature as the wallets print it: "SigV1" or "SigV2" then Monero base58. */
const SIGNATURE_RE = /^SigV[12][1-9A-HJ-NP-Za-km-z]{40,200}$/;

export interface ThresholdMessage {
  poolName: string;
  /** poolServer.poolAddress: what makes the message this pool's. */
  poolWallet: string;
  address: string;
  threshold: bigint;
  issuedMs: number;
}

export class ThresholdProofError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The pool's name as written in messages (no "|" or line breaks, which would make the line ambiguous). */
export function messagePoolName(config: PoolConfig): string {
  const name = (config.api.poolName ?? config.coin).replace(/[|\r\n]+/g, ' ').trim();
  return name === '' ? config.coin : name;
}

export function formatThresholdMessage(m: ThresholdMessage, symbol: string): string {
  return (
    `Payout threshold for pool ${m.poolName} | pool wallet ${m.poolWallet} | address ${m.address} | ` +
    `threshold ${m.threshold} atomic units ` +
    `(${formatXmr(m.threshold)} ${symbol}) | issued ${new Date(m.issuedMs).toISOString()}`
  );
}

const MESSAGE_RE =
  /^Payout threshold for pool (.+) \| pool wallet (\S+) \| address (\S+) \| threshold ([0-9]{1,20}) atomic units \(.*\) \| issued (\S+)$/;

/** Parses a message back; null when it is not one the API could have issued (in any pool). */
export function parseThresholdMessage(text: string, symbol: string): ThresholdMessage | null {
  const m = MESSAGE_RE.exec(text);
  if (!m) return null;
  const issuedMs = Date.parse(m[5] ?? '');
  if (!Number.isFinite(issuedMs)) return null;
  const parsed: ThresholdMessage = {
    poolName: m[1] ?? '',
    poolWallet: m[2] ?? '',
    address: m[3] ?? '',
    threshold: BigInt(m[4] ?? '0'),
    issuedMs,
  };
  return formatThresholdMessage(parsed, symbol) === text ? parsed : null;
}

/** The message to sign for a change issued now. */
export function issueThresholdMessage(
  config: PoolConfig,
  address: string,
  threshold: bigint,
  nowMs: number,
): { text: string; issuedMs: number; expiresMs: number } {
  const text = formatThresholdMessage(
    {
      poolName: messagePoolName(config),
      poolWallet: config.poolServer.poolAddress,
      address,
      threshold,
      issuedMs: nowMs,
    },
    config.symbol,
  );
  return { text, issuedMs: nowMs, expiresMs: nowMs + config.api.thresholdMessageTtl * 1000 };
}

/** minPayment <= threshold <= maxThreshold, else a ThresholdProofError 400. */
export function checkThresholdRange(config: PoolConfig, threshold: bigint): void {
  const min = config.payments.minPayment;
  const max = config.payments.maxThreshold;
  if (threshold < min) {
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_UNDER_MIN,
      `threshold must be at least payments.minPayment = ${min} atomic units, got ${threshold}`,
    );
  }
  if (threshold > max) {
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_OVER_MAX,
      `threshold must be at most payments.maxThreshold = ${max} atomic units (${formatXmr(max)} ${config.symbol}), got ${threshold}`,
    );
  }
}

/** A lazily created wallet-rpc client for `verify`. */
export interface SignatureVerifier {
  verify(p: { data: string; address: string; signature: string }): ReturnType<WalletClient['verify']>;
  close(): Promise<void>;
}

export function createSignatureVerifier(config: PoolConfig): SignatureVerifier {
  let client: WalletClient | null = null;
  let opening: Promise<void> | null = null;
  const dedicated = config.api.signatureWallet !== null;
  const w = config.api.signatureWallet ?? { ...config.wallet, timeout: Math.min(config.wallet.timeout, 10_000) };
  const openWallet = async (c: WalletClient): Promise<void> => {
    try {
      await c.openWallet({ filename: SIGNATURE_WALLET_FILE });
    } catch {
      await c.createWallet({ filename: SIGNATURE_WALLET_FILE });
    }
  };
  return {
    verify: async (p) => {
      const c = (client ??= createWalletClient(w));
      try {
        return await c.verify(p);
      } catch (e) {
        if (!dedicated || !isPoolError(e, ERRORS.RPC_ERROR) || e.details?.['code'] !== WALLET_NOT_OPEN) throw e;
        opening ??= openWallet(c).finally(() => (opening = null));
        await opening;
        return c.verify(p);
      }
    },
    close: async () => {
      await client?.close();
      client = null;
    },
  };
}

export interface SignedChange {
  address: string;
  threshold: bigint;
  message: string | undefined;
  signature: string | undefined;
}

interface ProofDeps {
  config: PoolConfig;
  storage: Storage;
  verifier: SignatureVerifier;
  workerKey: string;
  nowMs: number;
  log: { warn(o: object, msg: string): void };
}

/** Applies a signed change: threshold and thresholdSignedAt, only if the address is known and the message newer. */
const APPLY_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local last = tonumber(redis.call('HGET', KEYS[1], 'thresholdSignedAt') or '0')
if last >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'threshold', ARGV[2], 'thresholdSignedAt', ARGV[1])
return 1
`;

/** Checks the message and signature of `c` and applies it, or throws ThresholdProofError. */
export async function applySignedChange(d: ProofDeps, c: SignedChange): Promise<void> {
  const { config } = d;
  if (c.message === undefined || c.message === '' || c.signature === undefined || c.signature === '') {
    throw new ThresholdProofError(
      403,
      ERRORS.THRESHOLD_UNSIGNED,
      'both the signed message and its signature are required',
    );
  }
  const m = parseThresholdMessage(c.message.replace(/\r?\n$/, ''), config.symbol);
  if (m === null) {
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      'the message is not one this pool issued; ask the pool for a new one and sign it unchanged',
    );
  }
  const name = messagePoolName(config);
  if (m.poolName !== name) {
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      `the message is for pool "${m.poolName}", this pool is "${name}"`,
    );
  }
  if (m.poolWallet !== config.poolServer.poolAddress) {
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      "the message is for another pool (its pool wallet differs from this pool's)",
    );
  }
  if (m.address !== c.address)
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      'the message names another address than the request',
    );
  if (m.threshold !== c.threshold) {
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_MESSAGE_MISMATCH,
      `the message sets threshold ${m.threshold}, the request ${c.threshold}`,
    );
  }
  const ttlMs = config.api.thresholdMessageTtl * 1000;
  if (m.issuedMs + ttlMs < d.nowMs) {
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_STALE,
      `the message expired at ${new Date(m.issuedMs + ttlMs).toISOString()} (valid ${config.api.thresholdMessageTtl} s); ask for a new message and sign it`,
    );
  }
  if (m.issuedMs > d.nowMs + MAX_CLOCK_SKEW_MS) {
    throw new ThresholdProofError(
      400,
      ERRORS.THRESHOLD_STALE,
      'the message is issued in the future; ask the pool for a new message',
    );
  }
  if (!SIGNATURE_RE.test(c.signature)) {
    throw new ThresholdProofError(
      403,
      ERRORS.THRESHOLD_BAD_SIGNATURE,
      'that is not a Monero message signature (it starts with "SigV2")',
    );
  }
  // an address the pool has never credited is refused before the wallet is asked (requests cost the wallet nothing)
  if (Number(await d.storage.command(['EXISTS', d.workerKey])) !== 1) {
    throw new ThresholdProofError(404, ERRORS.NOT_FOUND, 'the pool has no shares from this address');
  }
  await checkSignature(d, c.address, c.signature, c.message);
  const applied = await d.storage.evalScript(APPLY_SCRIPT, [d.workerKey], [String(m.issuedMs), c.threshold.toString()]);
  if (applied === -1) throw new ThresholdProofError(404, ERRORS.NOT_FOUND, 'the pool has no shares from this address');
  if (applied !== 1) {
    throw new ThresholdProofError(
      409,
      ERRORS.THRESHOLD_REPLAYED,
      'this message, or a newer one, was already used for this address; ask for a new message',
    );
  }
}

async function checkSignature(d: ProofDeps, address: string, signature: string, message: string): Promise<void> {
  const base = message.replace(/\r?\n$/, '');
  let viewKeyOnly = false;
  for (const data of [base, `${base}\n`, `${base}\r\n`]) {
    let r: Awaited<ReturnType<SignatureVerifier['verify']>>;
    try {
      r = await d.verifier.verify({ data, address, signature });
    } catch (err) {
      d.log.warn({ err, address }, 'api: threshold signature check failed (signature wallet)');
      throw new ThresholdProofError(
        503,
        ERRORS.SIGNATURE_WALLET_UNREACHABLE,
        `the pool cannot check signatures right now (its verification wallet did not answer: ${errorMessage(err)}); try again later`,
      );
    }
    if (r.good && r.signatureType !== 'view') return;
    if (r.good) viewKeyOnly = true;
  }
  if (viewKeyOnly) {
    throw new ThresholdProofError(
      403,
      ERRORS.THRESHOLD_BAD_SIGNATURE,
      "the message was signed with the view key; sign it with the spend key (the wallets' default)",
    );
  }
  throw new ThresholdProofError(
    403,
    ERRORS.THRESHOLD_BAD_SIGNATURE,
    'the signature does not match this message and address; sign the exact message with the wallet of this address',
  );
}
