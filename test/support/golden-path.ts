/**
 * The golden path as a reusable suite, every part real: a miner speaking xmrig's protocol mines RandomX shares
 * through the stratum node to its own wallet's address; the pool finds blocks that monerod accepts;
 * `generateblocks` matures them; the unlocker credits exactly (credits + fee = reward) and a second run changes
 * nothing; payments pay from the pool's monero-wallet-rpc; the miner's own monero-wallet-rpc receives exactly what
 * the API reports as paid. `goldenPath(name, store)` runs it on whatever Redis `store` starts (a standalone
 * redis-server in test/golden-path.test.ts, a Redis Cluster in test/cluster-golden-path.test.ts): the stratum node,
 * the unlocker, payments, stats and the API all use the store's clients.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHasher, type Hasher } from '../../native/index.js';
import { configFromObject } from '../../shared/config/load.js';
import type { PoolConfig } from '../../shared/config/schema.js';
import { silentLogger } from '../../shared/log.js';
import type { RedisConnection } from '../../shared/redis/client.js';
import { keySchema } from '../../shared/redis/keys.js';
import type { Storage } from '../../shared/storage/port.js';
import type { WalletClient } from '../../shared/rpc/wallet.js';
import { run as runUnlocker } from '../../functions/unlocker/index.js';
import { run as runPayments } from '../../functions/payments/index.js';
import { run as runStats } from '../../functions/stats/index.js';
import { buildApi } from '../../functions/api/index.js';
import { startStratumNode, type StratumNode } from '../../stratum-node/index.js';
import {
  startChain,
  startWalletRpc,
  createWallet,
  mature,
  freePort,
  REGTEST_ADDRESS,
  type Chain,
  type WalletRpcService,
} from '../harness/index.js';
import { StratumClient, mineShare } from './stratum-client.js';

/** A Redis for the golden path: the pool config's `redis` section, a client for the stratum node and the test's reads, the Storage port for the functions. */
export interface GoldenStore {
  readonly config: Readonly<Record<string, unknown>>;
  readonly redis: RedisConnection;
  readonly storage: Storage;
  stop(): Promise<void>;
}

const NETWORK_DIFFICULTY = 4n;
const keys = keySchema('monero');

export function goldenPath(name: string, startStore: () => Promise<GoldenStore>): void {
  describe(`golden path (${name}): shares -> blocks -> unlock -> payment -> the miner wallet`, () => {
    let chain: Chain;
    let store: GoldenStore;
    /** The stratum node's share journal, this suite's own. */
    const journalDir = mkdtempSync(join(tmpdir(), 'pool-golden-'));
    let redis: RedisConnection;
    let storage: Storage;
    let poolRpc: WalletRpcService;
    let minerRpc: WalletRpcService;
    let poolWallet: WalletClient;
    let minerWallet: WalletClient;
    let poolAddress: string;
    let minerAddress: string;
    let config: PoolConfig;
    let node: StratumNode;
    let hasher: Hasher;
    const found: string[] = [];

    beforeAll(async () => {
      chain = await startChain({ fixedDifficulty: Number(NETWORK_DIFFICULTY) });
      store = await startStore();
      ({ redis, storage } = store);
      [poolRpc, minerRpc] = await Promise.all([
        startWalletRpc({ daemonPort: chain.monerod.port }),
        startWalletRpc({ daemonPort: chain.monerod.port }),
      ]);
      poolAddress = (await createWallet(poolRpc, { filename: 'pool' })).address;
      minerAddress = (await createWallet(minerRpc, { filename: 'miner' })).address;
      poolWallet = poolRpc.client({ timeout: 120_000 });
      minerWallet = minerRpc.client({ timeout: 120_000 });
      const port = await freePort();
      config = configFromObject({
        poolServer: {
          poolAddress,
          dataDir: journalDir,
          clusterForks: 1,
          ports: [{ port, difficulty: 1, desc: 'golden' }],
          shareBatchInterval: 200,
          health: { enabled: false },
        },
        blockUnlocker: { depth: 60, poolFee: 2 },
        payments: { minPayment: '1000000000', denomination: '1000000', feePayer: 'pool' },
        daemon: { host: '127.0.0.1', port: chain.monerod.port, timeout: 30_000, retries: 2 },
        wallet: { host: '127.0.0.1', port: poolRpc.port, timeout: 120_000 },
        redis: store.config,
        api: { password: 'golden-admin-token' },
        logging: { console: { level: 'silent' }, files: { level: 'silent' } },
      });
      node = await startStratumNode({ config, redis, daemon: chain.daemon, log: silentLogger(), host: '127.0.0.1' });
      hasher = createHasher({ mode: 'light', threads: 2 });
    }, 240_000);

    afterAll(async () => {
      await node?.stop();
      await hasher?.close();
      await Promise.all([poolWallet?.close(), minerWallet?.close()]);
      await Promise.all([poolRpc?.stop(), minerRpc?.stop()]);
      await store?.stop();
      await chain?.stop();
      rmSync(journalDir, { recursive: true, force: true });
    });

    const deps = () => ({ storage, daemon: chain.daemon, config, log: silentLogger(), now: () => Date.now() });

    it('the miner finds two blocks through the pool', async () => {
      const c = await StratumClient.connect({ port: node.ports[0]! });
      expect((await c.login(`${minerAddress}.golden`)).error).toBeNull();
      let nonce = 1;
      while (found.length < 2) {
        const job = c.job;
        const before = await chain.daemon.getLastBlockHeader();
        const s = await mineShare(hasher, job, { startNonce: nonce });
        nonce = parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
        const r = await c.submit(job, s.nonce, s.result);
        if (r.error?.message === 'Block expired') continue;
        expect(r.error).toBeNull();
        const after = await chain.daemon.getLastBlockHeader();
        if (after.height > before.height) {
          found.push(after.hash);
          await c.nextJob(20_000).catch(() => undefined);
        }
      }
      c.close();
      const candidates = await redis.zrange(keys.blocksCandidates, '0', '-1');
      expect(candidates.sort()).toEqual([...found].sort());
    }, 240_000);

    it('blocks mature; the unlocker credits exactly once', async () => {
      await mature(chain.daemon, 61, REGTEST_ADDRESS);
      const result = await runUnlocker(deps(), {});
      const unlocked = result.blocks.filter((b) => b.action === 'unlocked');
      expect(unlocked.map((b) => b.hash).sort()).toEqual([...found].sort());
      let rewards = 0n;
      for (const h of found) rewards += (await chain.daemon.getBlockHeaderByHash(h)).reward;
      const balance = BigInt((await redis.hget(keys.worker(minerAddress), 'balance')) ?? '0');
      const fee = BigInt((await redis.hget(keys.stats, 'totalRevenue')) ?? '0');
      expect(balance + fee).toBe(rewards);
      const drift = fee - (rewards * 2n) / 100n; // the 2 % fee, split per block: within a unit per block of 2 % of the total
      expect(drift >= -2n && drift <= 2n, `fee ${fee} for rewards ${rewards}`).toBe(true);
      const again = await runUnlocker(deps(), {});
      expect(again.blocks.filter((b) => b.action === 'unlocked')).toHaveLength(0);
      expect(BigInt((await redis.hget(keys.worker(minerAddress), 'balance')) ?? '0')).toBe(balance);
    }, 240_000);

    it('payments pay and the miner wallet receives exactly what the API reports as paid', async () => {
      const balance = BigInt((await redis.hget(keys.worker(minerAddress), 'balance')) ?? '0');
      const expected = balance - (balance % 1_000_000n);
      let status = '';
      for (let round = 0; round < 12 && (await redis.hget(keys.worker(minerAddress), 'paid')) === null; round++) {
        await poolWallet.refresh();
        const r = await runPayments({ ...deps(), wallet: poolWallet }, {});
        status = r.status;
        await mature(chain.daemon, 2, REGTEST_ADDRESS);
      }
      const paid = BigInt((await redis.hget(keys.worker(minerAddress), 'paid')) ?? '0');
      expect(paid, `payments status ${status}`).toBe(expected);
      await mature(chain.daemon, 2, REGTEST_ADDRESS);
      await minerWallet.refresh();
      const transfers = await minerWallet.getTransfers({ in: true });
      const received = (transfers.in ?? []).reduce((sum, t) => sum + t.amount, 0n);
      expect(received).toBe(paid);
      await runStats(deps(), {});
      const api = buildApi({ ...deps(), longPoll: false, websiteDir: null });
      const res = await api.inject({ method: 'GET', url: `/stats_address?address=${minerAddress}` });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { stats: { paid: string; balance: string } };
      expect(BigInt(body.stats.paid)).toBe(received);
      expect(BigInt(body.stats.balance)).toBe(balance - expected);
      await api.close();
    }, 300_000);
  });
}
