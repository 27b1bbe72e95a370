import { defineConfig } from 'vitest/config';

// `npm run test:unit`: the tests that start no service (no redis-server, monerod, wallet-rpc or browser): pure logic
// and the stratum protocol in memory over its seams. Seconds, not minutes; `npm test` runs these and everything else.
export const UNIT_TESTS = [
  'test/config.test.ts',
  'test/config-args.test.ts',
  'test/docs.test.ts',
  'test/monero-*.test.ts',
  'test/money.test.ts',
  'test/payments-unit.test.ts',
  'test/stratum-units.test.ts',
  'test/stats-effort.test.ts',
  'test/website-chart-window.test.ts',
  'test/config-edges.test.ts',
  'test/stratum-memory.test.ts',
  'test/broadcast.test.ts',
  'test/stratum-job-message.test.ts',
  'test/unlocker-split.test.ts',
  'test/website-units.test.ts',
];

export default defineConfig({
  test: {
    include: UNIT_TESTS,
    exclude: ['test/monero-template.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
