/**
 * Failovers of the Redis Cluster primary that holds the pool's slot, made for real (test/support/redis-cluster.ts),
 * with every module on the cluster client:
 *
 * 1. Shares flow from a miner through a stratum node while the slot's primary is failed over twice: a coordinated
 *    `CLUSTER FAILOVER` on its replica, then a kill -9 of the new primary (its replica takes over). Nothing the
 *    miner was told is accepted may be lost: the accepted shares counted on the miner side equal, share by share,
 *    the worker's hashes, the pool's share count and the sum of every round in Redis; every block share the miner
 *    got accepted is a block candidate in Redis and a block on the chain.
 * 2. Payments never relay a batch the primary that survives does not hold: with the slot's replica stalled
 *    (SIGSTOP) the payer signs a batch but its WAIT reaches no replica, so it holds without relaying; the primary
 *    is then killed (-9) and the stalled replica resumed and promoted. Whether or not the promoted primary holds
 *    the batch (the replica may still read it from its socket buffer, unacknowledged), the next run pays the miner
 *    exactly once, with the promoted primary's own record of the transaction: the held batch's stored tx when it
 *    survived, else a new one while the held tx never reaches the daemon; the miner's wallet receives exactly the
 *    balance, atomic unit for atomic unit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { createHasher, type Hasher } from '../native/index.js';
import { configFromObject } from '../shared/config/load.js';
import { silentLogger } from '../shared/log.js';
import { hashMeetsDifficulty } from '../shared/monero/difficulty.js';
import { hexToBytes } from '../shared/hex.js';
import { createRedisCluster } from '../shared/redis/client.js';
import { keySchema } from '../shared/redis/keys.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import type { Storage } from '../shared/storage/port.js';
import { startStratumNode, type StratumNode } from '../stratum-node/index.js';
import { MAX_RELAY_ATTEMPTS } from '../functions/payments/pay-batch.js';
import { freePort, mature, startChain, type Chain } from './harness/index.js';
import { configInput, confirm, payIn, startPayEnv, type PayEnv } from './backoffice/payments-env.js';
import { MINER_ADDRESS, POOL_ADDRESS } from './support/pool-fixture.js';
import { startRedisCluster, type RedisClusterService } from './support/redis-cluster.js';
import { StratumClient, mineShare } from './support/stratum-client.js';

const NETWORK_DIFFICULTY = 24n;
const keys = keySchema('monero');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];
/** A fresh folder for the stratum node's share journal (removed after the file). */
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pool-failover-'));
  dirs.push(d);
  return d;
}

let cluster: RedisClusterService;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('stratum shares while the pool slot fails over (CLUSTER FAILOVER, then kill -9)', () => {
  let chain: Chain;
  let redis: Cluster;
  let node: StratumNode;
  let hasher: Hasher;
  let startHeight = 0;
  let nodeStopped = false;

  beforeAll(async () => {
    chain = await startChain({ fixedDifficulty: Number(NETWORK_DIFFICULTY) });
    redis = createRedisCluster(cluster.config);
    const config = configFromObject({
      poolServer: {
        poolAddress: POOL_ADDRESS,
        dataDir: dataDir(),
        clusterForks: 1,
        ports: [{ port: await freePort(), difficulty: 1, desc: 'failover' }],
        varDiff: { minDiff: 1, maxDiff: 1 },
        banning: { enabled: false },
        shareBatchInterval: 100,
        health: { enabled: false },
      },
      daemon: { host: '127.0.0.1', port: chain.monerod.port, timeout: 30_000, retries: 2 },
      redis: cluster.config,
      api: { password: 'failover-admin-token' },
      logging: { console: { level: 'silent' }, files: { level: 'silent' } },
    });
    hasher = createHasher({ mode: 'light', threads: 2 });
    node = await startStratumNode({
      config,
      redis,
      daemon: chain.daemon,
      log: silentLogger(),
      host: '127.0.0.1',
      hasher,
    });
    startHeight = (await chain.daemon.getLastBlockHeader()).height;
  }, 180_000);

  afterAll(async () => {
    if (!nodeStopped) await node?.stop();
    await hasher?.close();
    redis?.disconnect();
    await chain?.stop();
  }, 60_000);

  it('loses no accepted share and no block', async () => {
    let killed: number | undefined;
    const c = await StratumClient.connect({ port: node.ports[0]! });
    expect((await c.login(`${MINER_ADDRESS}.fo`)).error).toBeNull();
    let accepted = 0;
    let blockShares = 0;
    const rejected = new Map<string, number>();
    let stop = false;
    const mining = (async () => {
      let nonce = 1;
      while (!stop) {
        const job = c.job;
        const s = await mineShare(hasher, job, { startNonce: nonce, parallel: 2 });
        nonce = parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
        const r = await c.submit(job, s.nonce, s.result);
        if (r.error) {
          rejected.set(r.error.message, (rejected.get(r.error.message) ?? 0) + 1);
          continue;
        }
        accepted++;
        if (hashMeetsDifficulty(hexToBytes(s.result), NETWORK_DIFFICULTY)) blockShares++;
      }
    })();
    const waitShares = async (n: number) => {
      const target = accepted + n;
      while (accepted < target) await sleep(50);
    };
    try {
      await waitShares(40);
      const first = await cluster.ownerOf(keys.stats);
      await cluster.failover(first.replicas[0]!, keys.stats);
      await waitShares(40);
      const second = await cluster.ownerOf(keys.stats);
      expect(second.primary).toBe(first.replicas[0]);
      killed = second.primary;
      await cluster.kill9(second.primary, keys.stats);
      const third = await cluster.ownerOf(keys.stats);
      expect(third.primary).not.toBe(second.primary);
      await waitShares(40);
    } finally {
      stop = true;
      await mining;
      c.close();
      // the killed node rejoins as a replica (the payments part needs the slot's primary to have one again)
      if (killed !== undefined) await cluster.restart(killed);
    }
    // every accepted share reaches Redis (the node's final flush included)
    nodeStopped = true;
    await node.stop();
    expect([...rejected.keys()].filter((m) => m !== 'Block expired')).toEqual([]);
    expect(blockShares).toBeGreaterThan(0);

    const candidates = await redis.zrange(keys.blocksCandidates, '0', '-1');
    let inRounds = BigInt((await redis.hget(keys.roundCurrent, MINER_ADDRESS)) ?? '0');
    let onChain = 0;
    for (const h of candidates) {
      inRounds += BigInt((await redis.hget(keys.round(h), MINER_ADDRESS)) ?? '0');
      if ((await chain.daemon.getBlockHeaderByHash(h)).hash === h) onChain++;
    }
    const seen = {
      // ops the final flush could not write (they would stay in the journal for the next start): none
      queuedAfterStop: node.recorder.queued,
      workerHashes: BigInt((await redis.hget(keys.worker(MINER_ADDRESS), 'hashes')) ?? '0'),
      totalShares: Number(await redis.hget(keys.stats, 'totalShares')),
      inRounds,
      candidates: candidates.length,
      onChain,
      chainGrowth: (await chain.daemon.getLastBlockHeader()).height - startHeight,
    };
    expect(seen).toEqual({
      queuedAfterStop: 0,
      workerHashes: BigInt(accepted),
      totalShares: accepted,
      inRounds: BigInt(accepted),
      candidates: blockShares,
      onChain: blockShares,
      chainGrowth: blockShares,
    });
  }, 600_000);
});

describe('payments across a failover of the slot primary before any replica acknowledged the batch', () => {
  let env: PayEnv;
  let storage: Storage;
  let redis: Cluster;

  beforeAll(async () => {
    env = await startPayEnv();
    // more unlocked outputs on the chain for the wallet's ring member (decoy) selection
    await mature(env.chain.daemon, 100);
    await env.poolWallet.refresh();
    storage = createIoredisStorage(cluster.config);
    redis = createRedisCluster(cluster.config);
  }, 600_000);

  afterAll(async () => {
    await storage?.close();
    redis?.disconnect();
    await env?.stop();
  }, 120_000);

  it('holds while no replica acknowledged the batch, relays nothing, and pays exactly once after the failover', async () => {
    const coin = 'monero';
    const input = {
      ...configInput(env, coin, { payments: { replicaTimeout: 500, lockTtl: 600 } }),
      redis: cluster.config,
    };
    const [payee] = env.takeAddresses(1);
    const amount = 2_000_000_000_000n; // 2 XMR, a multiple of the denomination
    await storage.multi([
      ['HINCRBY', keys.worker(payee!), 'balance', amount.toString()],
      ['HINCRBY', keys.worker(payee!), 'credited', amount.toString()],
      ['SADD', keys.creditedAddresses, payee!],
    ]);
    await cluster.waitHealthy(60_000);
    const { primary, replicas } = await cluster.ownerOf(keys.stats);
    expect(replicas).toHaveLength(1);

    // the replica stalls: the payer signs, WAIT reaches no replica, nothing is relayed
    cluster.pause(replicas[0]!);
    let heldTx: string | undefined;
    let heldId: string | undefined;
    try {
      await env.poolWallet.refresh();
      const held = await payIn(env, input, storage as never);
      expect(held.status).toBe('held');
      expect(held.reason).toMatch(
        /not relayed: its record is not durable in Redis yet \(the batch record reached 0 of 1 Redis replica/,
      );
      heldId = held.batches[0]!.id;
      heldTx = (await redis.hget(keys.payBatch(heldId), 'txHash')) ?? '';
      expect(heldTx).toMatch(/^[0-9a-f]{64}$/);
      expect(await redis.hget(keys.payBatch(heldId), 'status')).toBe('signed');
      expect((await env.chain.daemon.getTransactions([heldTx])).txs).toEqual([]);
      // more runs while the replica stays stalled hold the same way; a hold is not a relay attempt, so holds never
      // use up MAX_RELAY_ATTEMPTS (which would fail-stop the payer)
      for (let run = 0; run < MAX_RELAY_ATTEMPTS; run++) {
        const again = await payIn(env, input, storage as never);
        expect(again.status).toBe('held');
        expect(again.recovered.map((x) => [x.id, x.result])).toEqual([[heldId, 'held']]);
      }
      expect(await redis.hget(keys.payBatch(heldId), 'relayAttempts')).toBe('0');
      expect((await env.chain.daemon.getTransactions([heldTx])).txs).toEqual([]);
      // the primary dies; the stale replica is resumed and promoted without the batch
      await cluster.kill9(primary, keys.stats, () => cluster.resume(replicas[0]!));
    } finally {
      cluster.resume(replicas[0]!);
    }
    expect((await cluster.ownerOf(keys.stats)).primary).toBe(replicas[0]);
    // The stalled replica may still have read the batch from its socket buffer when it resumed (it never
    // acknowledged it, so WAIT failed and nothing was relayed). Either way the promoted primary decides alone:
    // a batch it holds is recovered and its own stored tx relayed; a batch it lacks was never broadcast, and the
    // miners are paid with a new transaction. Never both, never a tx the primary does not record.
    const survived = (await redis.exists(keys.payBatch(heldId))) === 1;
    if (!survived) {
      expect(await redis.zcard(keys.payBatchesOpen)).toBe(0);
      expect(BigInt((await redis.hget(keys.worker(payee!), 'balance')) ?? '0')).toBe(amount);
    }

    // the new primary has no replica until the old one is back: "auto" asks none, the run pays
    await env.poolWallet.refresh();
    const paid = await payIn(env, input, storage as never);
    expect(paid.status, paid.reason).toBe('paid');
    const outcomes = [...paid.recovered, ...paid.batches].filter((o) => o.result === 'sent' || o.result === 'final');
    expect(outcomes).toHaveLength(1);
    const sent = outcomes[0]!;
    const newTx = sent.result === 'sent' || sent.result === 'final' ? sent.txHash : '';
    if (survived) {
      expect(sent.id).toBe(heldId);
      expect(newTx).toBe(heldTx);
    } else {
      expect(newTx).not.toBe(heldTx);
      expect((await env.chain.daemon.getTransactions([heldTx])).txs).toEqual([]);
    }
    expect((await env.chain.daemon.getTransactions([newTx])).txs).toHaveLength(1);
    expect(await redis.hget(keys.payBatch(sent.id), 'txHash')).toBe(newTx);

    await confirm(env);
    const transfers = await env.minerWallet.getTransfers({ in: true, pool: true });
    const received = [...(transfers.in ?? []), ...(transfers.pool ?? [])].filter((t) => t.address === payee);
    expect(received.map((t) => t.txid)).toEqual([newTx]);
    expect(received.reduce((s, t) => s + t.amount, 0n)).toBe(amount);
    expect(BigInt((await redis.hget(keys.worker(payee!), 'paid')) ?? '0')).toBe(amount);
    expect(BigInt((await redis.hget(keys.worker(payee!), 'balance')) ?? '0')).toBe(0n);
    await cluster.restart(primary);
  }, 600_000);
});
