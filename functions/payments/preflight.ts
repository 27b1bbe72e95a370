/**
 * Preflight before any payout work: the daemon is synchronized (synchronized, not busy syncing, height >=
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

export async function preflight(deps: Pick<PaymentsDeps, 'daemon' | 'wallet'>): Promise<PreflightOk | PreflightHold> {
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
