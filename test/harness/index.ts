/**
 * Test harness: the real services (redis-server, monerod --regtest, monero-wallet-rpc) on free ports in temp dirs,
 * from shared/services/, plus conveniences for vitest.
 *
 * Pattern:
 *   const chain = useFixture(() => startChain({ fixedDifficulty: 1 }));   // beforeAll starts, afterAll stops
 *   it('...', async () => { await mature(chain().daemon, 60, REGTEST_ADDRESS); });
 */
import { afterAll, beforeAll } from 'vitest';
import { createDaemonClient, type DaemonClient } from '../../shared/rpc/daemon.js';
import { startMonerod, type MonerodService, type StartMonerodOptions } from '../../shared/services/index.js';

export * from '../../shared/services/index.js';

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

/**
 * Starts a fixture in beforeAll and stops it in afterAll; returns an accessor for use inside tests.
 * Call at the top of a describe() (or file).
 */
export function useFixture<T extends { stop(): Promise<void> }>(start: () => Promise<T>, timeoutMs = 180_000): () => T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  }, timeoutMs);
  afterAll(async () => {
    await value?.stop();
  }, timeoutMs);
  return () => {
    if (value === undefined) throw new Error('fixture used before beforeAll finished');
    return value;
  };
}
