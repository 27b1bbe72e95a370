/** The vitest pattern: start a fixture in beforeAll, stop it in afterAll. */
import { afterAll, beforeAll } from 'vitest';

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
