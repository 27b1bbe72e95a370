/**
 * Preflight before any payout work: Redis persists with AOF (INFO persistence aof_enabled:1, unless
 * payments.requireAof is false for a managed store durable without it), a numeric payments.minReplicas finds that
 * many online replicas (durable.ts), the daemon is synchronized (synchronized, not busy syncing, height >=
 * target_height) and the wallet is at exactly the daemon's height. Anything else holds the run with the reason.
 * The wallet is first asked to `refresh` (bounded by payments.walletRefreshTimeout, client side), so a run right
 * after a new block does not hold because monero-wallet-rpc's own 20 s auto-refresh has not caught up yet; it holds
 * only if the wallet is still not at the daemon's height after that (a failed or timed-out refresh is reported in
 * the hold reason). A wallet one block AHEAD of the first get_info (a block arrived meanwhile) is compared again
 * with a fresh get_info.
 */
import { errorMessage } from '../../shared/errors.js';
import { keySchema } from '../../shared/redis/keys.js';
import { commandOnSlot } from '../../shared/redis/routed.js';
import type { DaemonInfo } from '../../shared/rpc/daemon.js';
import { asString } from '../../shared/storage/replies.js';
import { replicasShort } from './durable.js';
import type { PaymentsDeps } from './deps.js';

export interface PreflightOk {
  ok: true;
  height: number;
}
export interface PreflightHold {
  ok: false;
  reason: string;
}

export const AOF_REQUIRED = 'Redis persistence: appendonly must be yes for payouts';

export async function preflight(
  deps: Pick<PaymentsDeps, 'daemon' | 'wallet' | 'storage' | 'config'>,
): Promise<PreflightOk | PreflightHold> {
  // Redis first (before any RPC): a signed tx must never be relayed unless its record survives a Redis crash; with
  // RDB snapshots only, a restore could bring the batch back to `reserved` (or lose it) and recovery would release it.
  // Asked of the primary that owns the pool's slot (on a Redis Cluster a keyless INFO goes to an arbitrary node).
  const keys = keySchema(deps.config.coin);
  if (deps.config.payments.requireAof) {
    const info = asString(await commandOnSlot(deps.storage, keys.payLock, ['INFO', 'persistence']), 'INFO persistence');
    if (!/^aof_enabled:1\s*$/m.test(info))
      return {
        ok: false,
        reason: `${AOF_REQUIRED} (INFO persistence shows no aof_enabled:1; or set payments.requireAof false for a store durable without AOF)`,
      };
  }
  const short = await replicasShort(deps, keys);
  if (short) return { ok: false, reason: short };
  let info: DaemonInfo;
  try {
    info = await deps.daemon.getInfo();
  } catch (e) {
    return { ok: false, reason: `daemon get_info failed: ${errorMessage(e)}` };
  }
  if (!info.synchronized) return { ok: false, reason: 'daemon is not synchronized' };
  if (info.busySyncing) return { ok: false, reason: 'daemon is busy syncing' };
  if (info.targetHeight > info.height) {
    return { ok: false, reason: `daemon is syncing: height ${info.height} < target height ${info.targetHeight}` };
  }
  const refreshed = await refreshWallet(deps);
  let walletHeight: number;
  try {
    walletHeight = await deps.wallet.getHeight();
  } catch (e) {
    return { ok: false, reason: `wallet get_height failed: ${errorMessage(e)}` };
  }
  let daemonHeight = info.height;
  if (walletHeight > daemonHeight) {
    try {
      daemonHeight = (await deps.daemon.getInfo()).height;
    } catch (e) {
      return { ok: false, reason: `daemon get_info failed: ${errorMessage(e)}` };
    }
  }
  if (walletHeight !== daemonHeight) {
    return {
      ok: false,
      reason: `wallet height ${walletHeight} differs from daemon height ${daemonHeight} (${refreshed})`,
    };
  }
  return { ok: true, height: daemonHeight };
}

/** wallet `refresh` within payments.walletRefreshTimeout; never throws: returns what happened, for a hold reason. */
async function refreshWallet(deps: Pick<PaymentsDeps, 'wallet' | 'config'>): Promise<string> {
  const seconds = deps.config.payments.walletRefreshTimeout;
  try {
    const r = await deps.wallet.refresh(undefined, { timeoutMs: seconds * 1000 });
    return `after a refresh that fetched ${r.blocksFetched} block(s)`;
  } catch (e) {
    return `the refresh before the check failed (limit ${seconds} s): ${errorMessage(e)}`;
  }
}
