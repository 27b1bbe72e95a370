import { defineConfig } from 'vitest/config';

// Every test file starts its own real services (redis-server, monerod, monero-wallet-rpc) on free ports, so files
// run in separate processes; two at a time matches the 2-core machines this project is built and checked on.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
