/**
 * The share recorder on a real Redis Cluster (three primaries, three replicas: test/support/redis-cluster.ts) through
 * a caller-owned ioredis `Cluster` (what the stratum node gets from `redis.cluster: true`): batches and a found block
 * land whole on the primary owning the pool's slot, every script is routed there by its declared keys, and a
 * script that touches a key outside its slot is refused by the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { createRedisCluster } from '../shared/redis/client.js';
import { keySchema } from '../shared/redis/keys.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import { silentLogger } from '../shared/log.js';
import { ShareRecorder } from '../stratum-node/recorder.js';
import { startRedisCluster, type RedisClusterService } from './support/redis-cluster.js';

const keys = keySchema('clusterrec');
const A = 'addrA';
const B = 'addrB';

describe('share recorder on a Redis Cluster (caller-owned Cluster client)', () => {
  let cluster: RedisClusterService;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = createRedisCluster(cluster.config);
  }, 120_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  }, 60_000);

  it('records a round and a block on the primary owning the pool slot', async () => {
    const r = new ShareRecorder(
      client,
      {
        prefix: keys.prefix,
        scheme: 'prop',
        slushWeight: 0,
        pplnsWindow: 2,
        batchMs: 1000,
        hashrateWindowSec: 600,
        nodeId: 3,
      },
      silentLogger(),
    );
    const now = Date.now();
    r.add({ login: A, rig: 'r1', ip: '10.0.0.1', diff: 10, solo: false, atMs: now });
    r.add({ login: B, rig: 'r2', ip: '10.0.0.2', diff: 20, solo: false, atMs: now });
    await r.flush();
    r.add({ login: A, rig: 'r1', ip: '10.0.0.1', diff: 5, solo: false, atMs: now + 1 });
    const hash = 'ee'.repeat(32);
    expect(
      await r.recordBlock({
        hash,
        height: 7,
        timeMs: now + 2,
        difficulty: 100n,
        finder: A,
        solo: false,
        submit: 'accepted',
      }),
    ).toBe(true);
    expect(await client.hgetall(keys.round(hash))).toEqual({ [A]: '15', [B]: '20' });
    expect(await client.hget(keys.block(hash), 'submit')).toBe('accepted');
    // everything is on the one primary that owns the slot
    const owner = await cluster.ownerOf(keys.stats);
    const direct = await cluster.cli(owner.primary, 'HGET', keys.block(hash), 'shares');
    expect(direct).toBe('35');
    await r.stop();
  }, 60_000);

  it('the cluster itself refuses a script touching a key in another slot', async () => {
    const storage = createIoredisStorage(client);
    const err = await storage
      .evalScript("return redis.call('GET', '{elsewhere-slot}:x')", [keys.stats], [])
      .catch((e: unknown) => e);
    expect(String(err)).toMatch(/non local key|cross|slot/i);
  });
});
