/**
 * Chain helpers without vitest (usable from bench/ and scripts): monerod --regtest plus a daemon client, and
 * generateblocks in batches.
 */
import { createDaemonClient, type DaemonClient } from '../../shared/rpc/daemon.js';
import { startMonerod, type MonerodService, type StartMonerodOptions } from '../../shared/services/index.js';

/** A valid mainnet address (monero's functional-test wallet) for generateblocks when no wallet is needed. */
export const REGTEST_ADDRESS =
  '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';

export interface Chain {
  readonly monerod: MonerodService;
  readonly daemon: DaemonClient;
  /** Closes the client and stops monerod (removing its temp dir). */
  stop(): Promise<void>;
}

/** monerod --regtest on free ports plus a daemon client (timeout 60 s, 2 retries). */
export async function startChain(opts: Partial<StartMonerodOptions> & { fixedDifficulty: number }): Promise<Chain> {
  const monerod = await startMonerod(opts);
  const daemon = createDaemonClient({ host: monerod.host, port: monerod.port, timeout: 60_000, retries: 2 });
  return {
    monerod,
    daemon,
    async stop() {
      await daemon.close();
      await monerod.stop();
    },
  };
}

/**
 * Mines `n` blocks to `address` with generateblocks, in batches of 20 with a generous timeout each (10 s per block:
 * at --fixed-difficulty 1 a block takes ~0.15 s on an idle core, ~1 s on a loaded one; each unit of difficulty
 * adds about one light-mode RandomX hash). Returns the new chain height.
 */
export async function mature(daemon: DaemonClient, n: number, address: string = REGTEST_ADDRESS): Promise<number> {
  let left = n;
  while (left > 0) {
    const batch = Math.min(left, 20);
    await daemon.generateBlocks(batch, address, { timeoutMs: 60_000 + batch * 10_000 });
    left -= batch;
  }
  return daemon.getBlockCount();
}
