/**
 * Chain helpers without vitest (usable from bench/ and scripts): monerod --regtest plus a daemon client, and
 * generateblocks in batches.
 */
import { createDaemonClient, type DaemonClient } from '../../shared/rpc/daemon.js';
import { startMonerod, type MonerodService, type StartMonerodOptions } from '../../shared/services/index.js';

/** A valid mainnet address (monero's functional-test wallet) for generateblocks when no wallet is needed. */
export const REGTEST_ADDRESS = '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';

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
 * Mines `n` blocks to `address` with generateblocks (in batches of 100, each with a timeout that scales with its
 * size). Returns the new chain height.
 */
export async function mature(daemon: DaemonClient, n: number, address: string = REGTEST_ADDRESS): Promise<number> {
  let left = n;
  while (left > 0) {
    const batch = Math.min(left, 100);
    await daemon.generateBlocks(batch, address);
    left -= batch;
  }
  return daemon.getBlockCount();
}

