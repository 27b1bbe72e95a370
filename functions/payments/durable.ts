/**
 * Is a batch's record durable enough to relay its tx? Asked on the node that owns the pool's slot (on a Redis
 * Cluster a keyless command goes to an arbitrary node; see shared/redis/routed.ts), in one pipeline behind a fenced
 * touch of the batch (TOUCH_BATCH below):
 *
 * - AOF (payments.requireAof): `WAITAOF 1 0 1000`, local fsync of this connection's writes. "unknown command"
 *   (Redis < 7.2): accepted, since the preflight saw appendonly yes (appendfsync's window applies).
 * - Replicas (payments.minReplicas): `WAIT n payments.replicaTimeout`, so a primary failover (a replica promoted
 *   after a crash) cannot forget a batch that was broadcast. n = the configured number, or with "auto" every replica
 *   the primary shows online (INFO replication; 0, no WAIT, when it shows none: a standalone Redis). With "auto", a
 *   failed INFO holds the run (unknown durability; a store without INFO sets minReplicas 0). Fewer acknowledgements than n in time: not
 *   durable, nothing is relayed, the batch stays open and the next run asks again.
 *
 * Why a touch first: WAIT and WAITAOF wait for the writes made *on this connection*; a cluster client may have
 * reconnected, or the batch may have been written by an earlier run. TOUCH_BATCH is a write on the owning primary
 * (it pushes the payer lock's expiry out) made only after it checked that this primary holds the lock token and the
 * batch record (with the expected tx hash). Replication and the AOF are ordered, so a replica (or the disk) that
 * has the touch has everything the primary held before it, the batch record included. A primary that does not hold
 * the batch (a failover already lost it) is reported: nothing is relayed.
 *
 * Data model: no keys of its own; reads payBatch(id) txHash, writes payLock's expiry (shared/redis/keys.ts).
 */
import { ERRORS, PoolError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { KeySchema } from '../../shared/redis/keys.js';
import { commandOnSlot } from '../../shared/redis/routed.js';
import type { StorageReply } from '../../shared/storage/port.js';
import type { PaymentsDeps } from './deps.js';
import type { Payer } from './ledger.js';

/**
 * KEYS: 1 payLock, 2 payBatch(id). ARGV: 1 token, 2 lock ttl ms, 3 tx hash the batch must hold ("" = any).
 * Returns 1 (touched), -2 lock not ours, -1 no such batch here, -3 the batch holds another tx.
 */
export const TOUCH_BATCH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -2 end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[2], 'txHash') ~= ARGV[3] then return -3 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

export interface DurableOptions {
  /** Also wait for replicas (payments.minReplicas); false for steps whose loss is harmless (see pay-batch.ts). */
  replicas: boolean;
  /** The tx hash the batch record must hold ("" before a tx exists). */
  txHash: string;
}

/** null when the batch record is durable as configured, else why not (the caller holds without relaying). */
export async function confirmDurable(p: Payer, batchId: string, opts: DurableOptions): Promise<string | null> {
  const cfg = p.deps.config.payments;
  if (cfg.requireAof) {
    const aof = await waitAofOnSlot(p, batchId, opts.txHash);
    if (aof) return aof;
  }
  if (!opts.replicas) return null;
  let need = cfg.minReplicas;
  if (need === 'auto') {
    // every online replica must hold the batch: a failover may promote any of them. A primary that cannot say
    // whether it has replicas holds the run (fail closed): relaying without knowing could pay twice after a failover
    const online = await readOnlineReplicas(p.deps, p.keys);
    if (online === null) {
      return "Redis replication: INFO replication failed on the primary holding the pool's data, so the batch's durability is unknown (set payments.minReplicas to 0 for a store without replicas)";
    }
    need = online;
  }
  if (need === 0) return null;
  return waitReplicas(p, batchId, opts.txHash, need);
}

/**
 * Online replicas of the primary that owns the pool's slot, from INFO replication (`slaveN:...,state=online`).
 * 0 when the store does not answer INFO replication or shows no replica.
 */
export async function onlineReplicas(
  deps: Pick<PaymentsDeps, 'storage'> & { log?: Logger },
  keys: KeySchema,
): Promise<number> {
  return (await readOnlineReplicas(deps, keys)) ?? 0;
}

/** The same, null when INFO replication failed (the count is unknown). */
async function readOnlineReplicas(
  deps: Pick<PaymentsDeps, 'storage'> & { log?: Logger },
  keys: KeySchema,
): Promise<number | null> {
  let info: StorageReply;
  try {
    info = await commandOnSlot(deps.storage, keys.payLock, ['INFO', 'replication']);
  } catch (e) {
    deps.log?.warn({ err: e }, 'payments: INFO replication failed');
    return null;
  }
  if (typeof info !== 'string' || !/^role:master\s*$/m.test(info)) return 0;
  return info.split(/\r?\n/).filter((l) => /^slave\d+:.*\bstate=online\b/.test(l)).length;
}

/** Preflight: with an explicit payments.minReplicas, hold before any work while fewer replicas are online. */
export async function replicasShort(
  deps: Pick<PaymentsDeps, 'storage' | 'config'>,
  keys: KeySchema,
): Promise<string | null> {
  const want = deps.config.payments.minReplicas;
  if (want === 'auto' || want === 0) return null;
  const online = await onlineReplicas(deps, keys);
  return online >= want
    ? null
    : `Redis replication: payments.minReplicas is ${want} but the primary holding the pool's data shows ${online} online replica(s)`;
}

function touch(p: Payer, batchId: string, txHash: string): string[] {
  return ['EVAL', TOUCH_BATCH, '2', p.keys.payLock, p.keys.payBatch(batchId), p.token, String(p.ttlMs), txHash];
}

function touchRefused(code: StorageReply, batchId: string): string | null {
  if (code === 1) return null;
  if (code === -2)
    throw new PoolError(
      ERRORS.LOCK_HELD,
      'the payer lock was lost (expired or taken over); stopping without further wallet calls',
    );
  if (code === -1)
    return `batch ${batchId} is not on the Redis primary that owns the pool's data (lost in a failover?)`;
  if (code === -3) return `batch ${batchId} on the Redis primary holds another tx`;
  return `unexpected reply ${JSON.stringify(code)} to the batch touch`;
}

async function waitAofOnSlot(p: Payer, batchId: string, txHash: string): Promise<string | null> {
  let replies: StorageReply[];
  try {
    replies = await p.deps.storage.pipeline([touch(p, batchId, txHash), ['WAITAOF', '1', '0', '1000']]);
  } catch (e) {
    if (e instanceof PoolError && e.code === ERRORS.LOCK_HELD) throw e;
    const msg = errorMessage(e);
    if (!/unknown command/i.test(msg)) return `WAITAOF failed: ${msg}`;
    // Redis < 7.2: AOF is on (preflight); the touch still has to have found the batch
    replies = [
      await p.deps.storage.evalScript(
        TOUCH_BATCH,
        [p.keys.payLock, p.keys.payBatch(batchId)],
        [p.token, String(p.ttlMs), txHash],
      ),
    ];
    return touchRefused(replies[0] ?? null, batchId);
  }
  const refused = touchRefused(replies[0] ?? null, batchId);
  if (refused) return refused;
  const reply = replies[1];
  const local = Array.isArray(reply) ? Number(reply[0]) : NaN;
  return local >= 1 ? null : `WAITAOF answered ${JSON.stringify(reply)}: not fsynced to the AOF within 1 s`;
}

async function waitReplicas(p: Payer, batchId: string, txHash: string, need: number): Promise<string | null> {
  const timeoutMs = p.deps.config.payments.replicaTimeout;
  let replies: StorageReply[];
  try {
    replies = await p.deps.storage.pipeline([touch(p, batchId, txHash), ['WAIT', String(need), String(timeoutMs)]]);
  } catch (e) {
    if (e instanceof PoolError && e.code === ERRORS.LOCK_HELD) throw e;
    return `WAIT for ${need} replica(s) failed: ${errorMessage(e)}`;
  }
  const refused = touchRefused(replies[0] ?? null, batchId);
  if (refused) return refused;
  const acked = Number(replies[1]);
  return acked >= need
    ? null
    : `the batch record reached ${Number.isFinite(acked) ? acked : 0} of ${need} Redis replica(s) within ${timeoutMs} ms (WAIT on the primary of the pool's slot)`;
}

/** Best effort after a step whose loss is recoverable (settle): AOF only, the outcome is not checked. */
export async function settleDurable(p: Payer, batchId: string): Promise<void> {
  if (!p.deps.config.payments.requireAof) return;
  await waitAofOnSlot(p, batchId, '').catch(() => null);
}
