/**
 * Polling helpers for tests that drive real processes: wait until a probe holds, or until a stratum port answers.
 *
 * Data model: none.
 */
import { StratumClient } from './stratum-client.js';

/**
 * Polls `probe` every `intervalMs` until it returns a truthy value, which is returned; a probe that throws counts as
 * "not yet". After `timeoutMs` it throws "timed out waiting for <what>", followed by `detail()` when given.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
  detail?: () => string,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(probe)
      .catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether a stratum port accepts a connection now. */
export async function portOpen(port: number): Promise<boolean> {
  try {
    (await StratumClient.connect({ port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Waits until a stratum port accepts connections. */
export async function waitForPort(port: number, timeoutMs = 90_000): Promise<void> {
  await waitFor(`stratum port ${port}`, () => portOpen(port), timeoutMs, undefined, 250);
}
