/**
 * Test harness: the real services (redis-server, monerod --regtest, monero-wallet-rpc) on free ports in temp dirs,
 * from shared/services/, plus conveniences for vitest.
 *
 * Pattern:
 *   const chain = useFixture(() => startChain({ fixedDifficulty: 1 }));   // beforeAll starts, afterAll stops
 *   it('...', async () => { await mature(chain().daemon, 60, REGTEST_ADDRESS); });
 */
export * from '../../shared/services/index.js';
export { startChain, mature, REGTEST_ADDRESS, type Chain } from './chain.js';
export { useFixture } from './fixture.js';
