/**
 * Typed wrappers around the payer's Lua scripts (scripts.ts) and the lock. A `Payer` is one run's context: the
 * deps, the key schema and the fencing token it holds. A script answering -2 (lock lost) throws LOCK_HELD, so the
 * run stops before touching the wallet again; other failure codes are returned to the caller to decide.
 */
import { ERRORS, PoolError } from '../../shared/errors.js';
import { keySchema, type KeySchema } from '../../shared/redis/keys.js';
import type { Storage } from '../../shared/storage/port.js';
import { asHash, asInt, asOptString, asStrings } from '../../shared/storage/replies.js';
import { destinationsJson, parseBatch, type Destination, type PayBatch } from './batch.js';
import type { PaymentsDeps } from './deps.js';
import * as lua from './scripts.js';

export interface Payer {
  deps: PaymentsDeps;
  keys: KeySchema;
  token: string;
  ttlMs: number;
}

export function keysFor(deps: PaymentsDeps): KeySchema {
  return keySchema(deps.config.coin);
}

/** The fencing lock: INCR payFence, SET payLock NX PX. Returns the token, or null while another payer holds it. */
export async function acquireLock(deps: PaymentsDeps, keys: KeySchema): Promise<string | null> {
  const ttlMs = deps.config.payments.lockTtl * 1000;
  const reply = await deps.storage.evalScript(lua.ACQUIRE_LOCK, [keys.payLock, keys.payFence], [String(ttlMs)]);
  return asOptString(reply, 'payLock token');
}

/** Pushes the lock's expiry out; throws LOCK_HELD if the lock is no longer ours. */
export async function extendLock(p: Payer): Promise<void> {
  const code = asInt(
    await p.deps.storage.evalScript(lua.EXTEND_OR_RELEASE_LOCK, [p.keys.payLock], [p.token, String(p.ttlMs)]),
  );
  if (code !== 1) throw lockLost();
}

export async function releaseLock(p: Payer): Promise<void> {
  await p.deps.storage.evalScript(lua.EXTEND_OR_RELEASE_LOCK, [p.keys.payLock], [p.token, '']);
}

function lockLost(): PoolError {
  return new PoolError(
    ERRORS.LOCK_HELD,
    'the payer lock was lost (expired or taken over); stopping without further wallet calls',
  );
}

async function fenced(p: Payer, script: string, keys: string[], args: string[]): Promise<number> {
  const code = asInt(await p.deps.storage.evalScript(script, [p.keys.payLock, ...keys], [p.token, ...args]));
  if (code === -2) throw lockLost();
  return code;
}

const now = (p: Payer) => String(p.deps.now());
const workerPrefix = (k: KeySchema) => k.worker('');
const paymentsPrefix = (k: KeySchema) => k.payments('');

export async function reserve(p: Payer, id: string, dests: readonly Destination[]): Promise<number> {
  const total = dests.reduce((a, d) => a + d.amount, 0n);
  return fenced(
    p,
    lua.RESERVE,
    [p.keys.payBatch(id), p.keys.payBatchesOpen, ...dests.map((d) => p.keys.worker(d.address))],
    [
      id,
      now(p),
      destinationsJson(dests),
      p.deps.config.payments.feePayer,
      total.toString(),
      ...dests.map((d) => d.reserve.toString()),
    ],
  );
}

export async function release(p: Payer, b: PayBatch, reason: string, allowSigned = false): Promise<number> {
  return fenced(
    p,
    lua.RELEASE,
    [p.keys.payBatch(b.id), p.keys.payBatchesOpen, ...b.destinations.map((d) => p.keys.worker(d.address))],
    [now(p), reason.slice(0, 500), workerPrefix(p.keys), allowSigned ? '1' : '0'],
  );
}

export interface SignedTx {
  txHash: string;
  txKey: string;
  txMetadata: string;
  fee: bigint;
  keyImages: readonly string[];
}

export async function persistSigned(
  p: Payer,
  id: string,
  tx: SignedTx,
  dests: readonly Destination[],
): Promise<number> {
  const charged = dests.reduce((a, d) => a + d.share, 0n);
  return fenced(
    p,
    lua.PERSIST_SIGNED,
    [p.keys.payBatch(id)],
    [
      now(p),
      tx.txHash,
      tx.txKey,
      tx.txMetadata,
      tx.fee.toString(),
      destinationsJson(dests),
      JSON.stringify(tx.keyImages),
      charged.toString(),
    ],
  );
}

export const markSubmit = (p: Payer, id: string) => fenced(p, lua.MARK_SUBMIT, [p.keys.payBatch(id)], [now(p)]);
export const markRelayed = (p: Payer, id: string) => fenced(p, lua.MARK_RELAYED, [p.keys.payBatch(id)], [now(p)]);
/** Notes an error on the batch; `attemptNotMade` gives back the relay attempt markSubmit counted (scripts.ts). */
export const noteError = (p: Payer, id: string, message: string, attemptNotMade = false) =>
  fenced(p, lua.NOTE_ERROR, [p.keys.payBatch(id)], [now(p), message.slice(0, 500), attemptNotMade ? '1' : '0']);

export async function settle(p: Payer, b: PayBatch): Promise<number> {
  const t = p.deps.now();
  const mixin = p.deps.config.payments.mixin ?? DEFAULT_MIXIN;
  return fenced(
    p,
    lua.SETTLE,
    [
      p.keys.payBatch(b.id),
      p.keys.paymentsAll,
      p.keys.stats,
      ...b.destinations.flatMap((d) => [p.keys.worker(d.address), p.keys.payments(d.address)]),
    ],
    [String(t), String(Math.floor(t / 1000)), String(mixin), workerPrefix(p.keys), paymentsPrefix(p.keys)],
  );
}

export const finalize = (p: Payer, id: string) =>
  fenced(p, lua.FINALIZE, [p.keys.payBatch(id), p.keys.payBatchesOpen], [now(p)]);

/** Ring size 16 since HF15 = mixin 15; recorded in payment records like the seed's `mixin`. */
export const DEFAULT_MIXIN = 15;

export async function loadBatch(storage: Storage, keys: KeySchema, id: string): Promise<PayBatch | null> {
  const h = asHash(await storage.command(['HGETALL', keys.payBatch(id)]));
  return Object.keys(h).length === 0 ? null : parseBatch(id, h);
}

export interface FailStop {
  reason: string;
  batchId?: string;
  at: number;
}

export async function readFailStop(storage: Storage, keys: KeySchema): Promise<FailStop | null> {
  const v = await storage.command(['GET', keys.payFailStop]);
  if (v === null) return null;
  try {
    return JSON.parse(String(v)) as FailStop;
  } catch {
    return { reason: String(v), at: 0 };
  }
}

/** Sets the fail-stop flag (keeps the first reason if one is already set). Not fenced: stopping is always allowed. */
export async function setFailStop(
  deps: PaymentsDeps,
  keys: KeySchema,
  reason: string,
  batchId?: string,
): Promise<FailStop> {
  const flag: FailStop = { reason, ...(batchId ? { batchId } : {}), at: deps.now() };
  await deps.storage.command(['SET', keys.payFailStop, JSON.stringify(flag), 'NX']);
  deps.log.error({ failStop: flag }, 'payments: FAIL-STOP set; no payouts until an operator reviews and resumes');
  return (await readFailStop(deps.storage, keys)) ?? flag;
}

/** Ids of batches not yet final or released, oldest first. */
export async function openBatchIds(storage: Storage, keys: KeySchema): Promise<string[]> {
  return asStrings(await storage.command(['ZRANGE', keys.payBatchesOpen, '0', '-1']));
}
