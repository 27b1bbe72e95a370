/**
 * Preflight before any payout work: Redis persists with AOF (INFO persistence aof_enabled:1, unless
 * payments.requireAof is false for a managed store durable without it), the daemon is synchronized (synchronized, not busy syncing, height >=
 * target_height) and the wallet is at exactly the daemon's height. Anything else holds the run with the reason.
 */
import { errorMessage } from '../../shared/errors.js';
import type { DaemonInfo } from '../../shared/rpc/daemon.js';
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

export async function preflight(deps: Pick<PaymentsDeps, 'daemon' | 'wallet' | 'storage' | 'config'>): Promise<PreflightOk | PreflightHold> {
  // Redis first (before any RPC): a signed tx must never be relayed unless its record survives a Redis crash; with
  // RDB snapshots only, a restore could bring the batch back to `reserved` (or lose it) and recovery would release it.
  if (deps.config.payments.requireAof) {
    const info = String(await deps.storage.command(['INFO', 'persistence']));
    if (!/^aof_enabled:1\s*$/m.test(info)) return { ok: false, reason: `${AOF_REQUIRED} (INFO persistence shows no aof_enabled:1; or set payments.requireAof false for a store durable without AOF)` };
  }
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
  let walletHeight: number;
  try {
    walletHeight = await deps.wallet.getHeight();
  } catch (e) {
    return { ok: false, reason: `wallet get_height failed: ${errorMessage(e)}` };
  }
  if (walletHeight !== info.height) {
    return { ok: false, reason: `wallet height ${walletHeight} differs from daemon height ${info.height}` };
  }
  return { ok: true, height: info.height };
}
