/**
 * A pool's Redis state built by the real writers, for the stats and API tests: shares and found blocks through the
 * stratum node's ShareRecorder (the exact scripts the node runs), settlement through the real unlocker against a
 * regtest monerod, and payment records in the payer's formats (paymentsAll "tx:amount:fee:mixin:nDest",
 * payments(addr) "tx:amount:fee:mixin", worker.paid/balance, stats.totalPaid).
 *
 * startPoolActivity() leaves:
 * - block U: found by the pool (a real block), unlocked and credited to MINER_A/MINER_B;
 * - block O: a candidate whose hash is not on the chain, orphaned at maturity (its round back in roundCurrent);
 * - block C: a real block found by the pool, still a candidate (not deep enough);
 * - shares of the open round, so roundTotal > 0; MINER_A mines from rigs "rig1" and "rig2" at IP_A, MINER_B from
 *   rig "box" at IP_B; every share lies within the last few minutes (in any hashrate window of 600 s);
 * - one payment of PAID_A to MINER_A (tx PAY_TX).
 */
import { ShareRecorder, type AcceptedShare } from '../../stratum-node/recorder.js';
import { run as runUnlocker } from '../../functions/unlocker/index.js';
import { configFromObject } from '../../shared/config/load.js';
import type { PoolConfig } from '../../shared/config/schema.js';
import { silentLogger } from '../../shared/log.js';
import { createRedis } from '../../shared/redis/client.js';
import { keySchema, type KeySchema } from '../../shared/redis/keys.js';
import { createIoredisStorage, type IoredisStorage } from '../../shared/storage/ioredis.js';
import { REGTEST_ADDRESS, mature, startChain, startRedis, type Chain, type RedisService } from '../harness/index.js';

export const POOL_ADDRESS = REGTEST_ADDRESS;
/** Two valid mainnet addresses (regtest uses mainnet prefixes). */
export const MINER_A =
  '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';
export const MINER_B =
  '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';
export const IP_A = '10.0.0.5';
export const IP_B = '10.0.0.6';
export const PAY_TX = 'ab'.repeat(32);
export const PAID_A = 1_000_000_000n;

export function poolConfig(coin: string, over: Record<string, unknown> = {}): PoolConfig {
  return configFromObject({
    coin,
    poolServer: {
      enabled: false,
      poolAddress: POOL_ADDRESS,
      tls: { cert: 'cert.pem', key: 'key.pem' },
      ports: [
        { port: 3333, difficulty: 1000, desc: 'low' },
        { port: 3334, difficulty: 5000, desc: 'tls', tls: true },
        { port: 3399, difficulty: 1, desc: 'secret', hidden: true },
      ],
    },
    blockUnlocker: { depth: 60, poolFee: 1.5 },
    api: { hashrateWindow: 600, updateInterval: 1, password: 'correct horse battery staple', blocks: 30, payments: 30 },
    stats: { interval: 10, chartInterval: 60, chartRetention: 600 },
    payments: { minPayment: '100000000000' },
    logging: { console: { level: 'silent' }, files: { level: 'silent' } },
    ...over,
  });
}

export interface PoolActivity {
  chain: Chain;
  redis: RedisService;
  storage: IoredisStorage;
  config: PoolConfig;
  keys: KeySchema;
  unlocked: { hash: string; height: number };
  orphaned: { hash: string; height: number };
  candidate: { hash: string; height: number };
  /** Difficulty recorded per login over the whole setup (all within the last minutes). */
  minerDiff: Map<string, number>;
  /** Difficulty recorded per "login:rig". */
  rigDiff: Map<string, number>;
  /** Sum of every share's difficulty. */
  totalDiff: number;
  stop(): Promise<void>;
}

export async function startPoolActivity(coin: string): Promise<PoolActivity> {
  const chain = await startChain({ fixedDifficulty: 1 });
  const redis = await startRedis();
  const storage = createIoredisStorage(redis.config);
  const config = poolConfig(coin);
  const keys = keySchema(coin);
  // the stratum node's own connection settings (createRedis defaults), not the storage adapter's
  const nodeRedis = createRedis(redis.config);
  const recorder = new ShareRecorder(
    nodeRedis,
    {
      prefix: keys.prefix,
      scheme: 'prop',
      slushWeight: 0,
      pplnsWindow: 2,
      batchMs: 1000,
      hashrateWindowSec: 600,
      nodeId: 1,
    },
    silentLogger(),
  );
  const minerDiff = new Map<string, number>();
  const rigDiff = new Map<string, number>();
  let totalDiff = 0;
  const share = (login: string, rig: string, ip: string, diff: number): void => {
    const s: AcceptedShare = { login, rig, ip, diff, solo: false, atMs: Date.now() };
    recorder.add(s);
    minerDiff.set(login, (minerDiff.get(login) ?? 0) + diff);
    rigDiff.set(`${login}:${rig}`, (rigDiff.get(`${login}:${rig}`) ?? 0) + diff);
    totalDiff += diff;
  };
  const roundOfShares = async (): Promise<void> => {
    share(MINER_A, 'rig1', IP_A, 1000);
    share(MINER_A, 'rig1', IP_A, 1000);
    share(MINER_A, 'rig2', IP_A, 500);
    share(MINER_B, 'box', IP_B, 2000);
    await recorder.flush();
  };
  const found = async (hash: string, height: number, finder: string): Promise<void> => {
    const ok = await recorder.recordBlock({ hash, height, timeMs: Date.now(), difficulty: 1n, finder, solo: false });
    if (!ok) throw new Error(`block ${hash} recorded twice`);
  };
  const mineOne = async (): Promise<{ hash: string; height: number }> => {
    const r = await chain.daemon.generateBlocks(1, POOL_ADDRESS);
    const hash = r.blocks[0] ?? '';
    return { hash, height: (await chain.daemon.getBlockHeaderByHash(hash)).height };
  };

  await mature(chain.daemon, 3);
  // block U: a real pool block
  await roundOfShares();
  const unlocked = await mineOne();
  await found(unlocked.hash, unlocked.height, MINER_A);
  // block O: a hash that is not the main chain's at that height
  await roundOfShares();
  const orphaned = { hash: 'cd'.repeat(32), height: unlocked.height };
  await found(orphaned.hash, orphaned.height, MINER_B);
  await mature(chain.daemon, 61);
  const unlockerDeps = { storage, daemon: chain.daemon, config, log: silentLogger(), now: () => Date.now() };
  const settled = await runUnlocker(unlockerDeps);
  if (settled.unlocked !== 1 || settled.orphaned !== 1)
    throw new Error(`unexpected unlocker result ${JSON.stringify(settled)}`);
  // block C: a pool block still waiting for maturity
  await roundOfShares();
  const candidate = await mineOne();
  await found(candidate.hash, candidate.height, MINER_B);
  // the open round
  await roundOfShares();
  // a payout of PAID_A to MINER_A, as the payer records it
  const now = Math.floor(Date.now() / 1000);
  await storage.multi([
    ['HINCRBY', keys.worker(MINER_A), 'balance', (-PAID_A).toString()],
    ['HINCRBY', keys.worker(MINER_A), 'paid', PAID_A.toString()],
    ['ZADD', keys.payments(MINER_A), String(now), `${PAY_TX}:${PAID_A}:0:16`],
    ['ZADD', keys.paymentsAll, String(now), `${PAY_TX}:${PAID_A}:30000000:16:1`],
    ['HINCRBY', keys.stats, 'totalPaid', PAID_A.toString()],
  ]);
  await recorder.stop();
  nodeRedis.disconnect();
  return {
    chain,
    redis,
    storage,
    config,
    keys,
    unlocked,
    orphaned,
    candidate,
    minerDiff,
    rigDiff,
    totalDiff,
    async stop() {
      await storage.close();
      await redis.stop();
      await chain.stop();
    },
  };
}
