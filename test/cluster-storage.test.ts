/**
 * The Storage contract (test/storage-contract.ts) on a real Redis Cluster (three primaries, three replicas, started
 * by test/support/redis-cluster.ts) through the cluster client built from `redis.cluster: true`, plus what the pool
 * relies on there: keyless commands (INFO, SCAN) reach the primary that owns the pool's slot
 * (shared/redis/routed.ts), a keyless SCAN elsewhere would miss keys, the payer sees that primary's replica, and a
 * client seeded from any node (a replica too) finds the whole cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlineReplicas } from '../functions/payments/durable.js';
import { scanKeys } from '../shared/storage/bulk.js';
import { createRedisCluster } from '../shared/redis/client.js';
import { keySchema } from '../shared/redis/keys.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import { commandOnSlot } from '../shared/redis/routed.js';
import type { Storage } from '../shared/storage/port.js';
import { startRedisCluster, type RedisClusterService } from './support/redis-cluster.js';
import { storageContract } from './storage-contract.js';

let cluster: RedisClusterService;
const opened: Storage[] = [];
const keys = keySchema('clustertest');

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 120_000);

afterAll(async () => {
  for (const s of opened) await s.close();
  await cluster?.stop();
}, 60_000);

function open(port?: number): Storage {
  const s = createIoredisStorage(port === undefined ? cluster.config : { ...cluster.config, port });
  opened.push(s);
  return s;
}

storageContract('ioredis Cluster (redis.cluster: true)', () => open());

describe('Redis Cluster specifics', () => {
  it('keyless commands run on the primary that owns the pool slot', async () => {
    const s = open();
    const { primary, replicas } = await cluster.ownerOf(keys.stats);
    for (let i = 0; i < 6; i++) {
      const info = String(await commandOnSlot(s, keys.stats, ['INFO', 'server']));
      expect(info).toMatch(new RegExp(`^tcp_port:${primary}\\s*$`, 'm'));
    }
    expect(replicas).toHaveLength(1);
    const deps = { storage: s };
    expect(await onlineReplicas(deps, keys)).toBe(1);
  });

  it('scanKeys finds every key of the pool slot; a SCAN on another primary finds none', async () => {
    const s = open();
    const want = Array.from({ length: 40 }, (_, i) => keys.worker(`addr${i}`));
    await s.pipeline(want.map((k) => ['HSET', k, 'balance', '1']));
    for (let i = 0; i < 5; i++) expect((await scanKeys(s, keys.worker(''))).sort()).toEqual([...want].sort());
    const { primary, replicas } = await cluster.ownerOf(keys.stats);
    const others = cluster.nodes.filter((n) => n.port !== primary && !replicas.includes(n.port));
    expect(others).toHaveLength(4);
    for (const n of others) {
      const reply = await cluster.cli(n.port, 'SCAN', '0', 'MATCH', `${keys.worker('')}*`, 'COUNT', '1000');
      expect(reply.split('\n').slice(1).filter(Boolean)).toEqual([]);
    }
  });

  it('a client seeded from a replica node finds the cluster and writes to the primary', async () => {
    const { replicas } = await cluster.ownerOf(keys.stats);
    const s = open(replicas[0]);
    expect(await s.command(['INCR', keys.nodeSeq])).toBe(1);
    expect(await s.evalScript("return redis.call('INCRBY', KEYS[1], ARGV[1])", [keys.nodeSeq], ['2'])).toBe(3);
    const c = createRedisCluster({ ...cluster.config, port: replicas[0]! });
    try {
      expect(await c.get(keys.nodeSeq)).toBe('3');
    } finally {
      c.disconnect();
    }
  });
});
