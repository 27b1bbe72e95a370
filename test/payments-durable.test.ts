/**
 * The payer's durability gate (functions/payments/durable.ts) against a real redis-server primary (AOF) with a real
 * replica (`--replicaof`): WAIT reaches the replica; a stalled replica (SIGSTOP, a real fault) makes the gate refuse
 * within payments.replicaTimeout with a clear reason; "auto" needs no replica on a store without one; a numeric
 * payments.minReplicas holds the preflight while fewer replicas are online; a batch the primary does not hold (or
 * that holds another tx) is refused; a lost lock stops the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { confirmDurable, onlineReplicas, replicasShort } from '../functions/payments/durable.js';
import type { PaymentsDeps } from '../functions/payments/deps.js';
import * as ledger from '../functions/payments/ledger.js';
import { configFromObject } from '../shared/config/load.js';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { silentLogger } from '../shared/log.js';
import { keySchema } from '../shared/redis/keys.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import { startRedis, type RedisService } from './harness/index.js';
import { POOL_ADDRESS } from './support/pool-fixture.js';

const keys = keySchema('monero');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the link is up on both sides: the replica's `master_link_status:up` and the primary listing it
 * `state=online` (the primary marks it online only after the replica's first ACK, a moment later).
 */
async function linked(replica: RedisService, primary: RedisService, timeoutMs = 20_000): Promise<void> {
  const r = new Redis({ port: replica.port, host: '127.0.0.1' });
  const p = new Redis({ port: primary.port, host: '127.0.0.1' });
  try {
    const deadline = Date.now() + timeoutMs;
    while (
      !/master_link_status:up/.test(await r.info('replication')) ||
      !/state=online/.test(await p.info('replication'))
    ) {
      if (Date.now() > deadline) throw new Error('replica never linked');
      await sleep(100);
    }
  } finally {
    r.disconnect();
    p.disconnect();
  }
}

describe('payments durability gate (WAITAOF + WAIT) on a primary with a replica', () => {
  let primary: RedisService;
  let replica: RedisService;
  let lone: RedisService;
  let storage: IoredisStorage;
  let loneStorage: IoredisStorage;
  let raw: Redis;

  const deps = (s: IoredisStorage, payments: Record<string, unknown> = {}): PaymentsDeps =>
    ({
      storage: s,
      config: configFromObject({
        poolServer: { enabled: false, poolAddress: POOL_ADDRESS },
        payments: { replicaTimeout: 300, ...payments },
      }),
      log: silentLogger(),
      now: () => Date.now(),
    }) as unknown as PaymentsDeps;

  async function payer(d: PaymentsDeps): Promise<ledger.Payer> {
    await d.storage.command(['DEL', keys.payLock]);
    const token = await ledger.acquireLock(d, keys);
    if (token === null) throw new Error('lock not taken');
    return { deps: d, keys, token, ttlMs: 60_000 };
  }

  beforeAll(async () => {
    [primary, lone] = await Promise.all([startRedis({ appendonly: true }), startRedis({ appendonly: true })]);
    replica = await startRedis({ appendonly: true, extraArgs: ['--replicaof', '127.0.0.1', String(primary.port)] });
    await linked(replica, primary);
    storage = createIoredisStorage(primary.config);
    loneStorage = createIoredisStorage(lone.config);
    raw = new Redis({ port: primary.port, host: '127.0.0.1' });
    await raw.hset(keys.payBatch('7'), { id: '7', status: 'signed', txHash: 'aa'.repeat(32) });
  }, 60_000);

  afterAll(async () => {
    replica?.process.kill('SIGCONT');
    raw?.disconnect();
    await Promise.all([storage?.close(), loneStorage?.close()]);
    await Promise.all([primary?.stop(), replica?.stop(), lone?.stop()]);
  });

  it('counts the online replica of the primary; none on a lone server', async () => {
    expect(await onlineReplicas(deps(storage), keys)).toBe(1);
    expect(await onlineReplicas(deps(loneStorage), keys)).toBe(0);
  });

  it('durable once the replica acknowledged the batch (auto and 1), and the replica holds the record', async () => {
    for (const minReplicas of ['auto', 1] as const) {
      const p = await payer(deps(storage, { minReplicas }));
      expect(await confirmDurable(p, '7', { replicas: true, txHash: 'aa'.repeat(32) })).toBeNull();
    }
    const r = new Redis({ port: replica.port, host: '127.0.0.1' });
    expect(await r.hget(keys.payBatch('7'), 'txHash')).toBe('aa'.repeat(32));
    r.disconnect();
  });

  it('a stalled replica: not durable within replicaTimeout, with the reason', async () => {
    const p = await payer(deps(storage));
    replica.process.kill('SIGSTOP');
    try {
      const reason = await confirmDurable(p, '7', { replicas: true, txHash: 'aa'.repeat(32) });
      expect(reason).toMatch(/reached 0 of 1 Redis replica\(s\) within 300 ms/);
      // steps that need no replica (the reservation) are not held by it
      expect(await confirmDurable(p, '7', { replicas: false, txHash: '' })).toBeNull();
    } finally {
      replica.process.kill('SIGCONT');
    }
    await linked(replica, primary);
    expect(await confirmDurable(p, '7', { replicas: true, txHash: 'aa'.repeat(32) })).toBeNull();
  }, 30_000);

  it('"auto" fails closed: a primary that refuses INFO replication holds the relay; minReplicas 0 skips the check', async () => {
    const noInfo = await startRedis({ extraArgs: ['--user', 'default', 'on', 'nopass', '~*', '&*', '+@all', '-info'] });
    const s = createIoredisStorage(noInfo.config);
    try {
      const r = new Redis({ port: noInfo.port, host: '127.0.0.1' });
      await r.hset(keys.payBatch('7'), { id: '7', status: 'signed', txHash: 'aa'.repeat(32) });
      r.disconnect();
      const p = await payer(deps(s, { minReplicas: 'auto', requireAof: false }));
      expect(await confirmDurable(p, '7', { replicas: true, txHash: 'aa'.repeat(32) })).toMatch(
        /INFO replication failed/,
      );
      const off = await payer(deps(s, { minReplicas: 0, requireAof: false }));
      expect(await confirmDurable(off, '7', { replicas: true, txHash: 'aa'.repeat(32) })).toBeNull();
    } finally {
      await s.close();
      await noInfo.stop();
    }
  });

  it('more replicas required than online: the preflight check names it; the gate times out', async () => {
    const d = deps(storage, { minReplicas: 2 });
    expect(await replicasShort(d, keys)).toMatch(
      /minReplicas is 2 but the primary holding the pool's data shows 1 online replica/,
    );
    expect(await replicasShort(deps(storage, { minReplicas: 1 }), keys)).toBeNull();
    expect(await replicasShort(deps(storage), keys)).toBeNull();
    expect(await confirmDurable(await payer(d), '7', { replicas: true, txHash: 'aa'.repeat(32) })).toMatch(
      /reached 1 of 2/,
    );
  });

  it('a lone server: "auto" asks no replica (durable), 1 holds', async () => {
    await loneStorage.command(['HSET', keys.payBatch('7'), 'id', '7', 'status', 'signed', 'txHash', 'bb'.repeat(32)]);
    expect(
      await confirmDurable(await payer(deps(loneStorage)), '7', { replicas: true, txHash: 'bb'.repeat(32) }),
    ).toBeNull();
    expect(await replicasShort(deps(loneStorage, { minReplicas: 1 }), keys)).toMatch(/shows 0 online replica/);
    expect(
      await confirmDurable(await payer(deps(loneStorage, { minReplicas: 1 })), '7', {
        replicas: true,
        txHash: 'bb'.repeat(32),
      }),
    ).toMatch(/reached 0 of 1/);
  });

  it('refuses a batch the primary does not hold, or that holds another tx; a lost lock throws', async () => {
    const p = await payer(deps(storage));
    expect(await confirmDurable(p, '8', { replicas: true, txHash: 'aa'.repeat(32) })).toMatch(
      /batch 8 is not on the Redis primary/,
    );
    expect(await confirmDurable(p, '7', { replicas: true, txHash: 'cc'.repeat(32) })).toMatch(/holds another tx/);
    await raw.set(keys.payLock, 'someone-else');
    const err = await confirmDurable(p, '7', { replicas: true, txHash: 'aa'.repeat(32) }).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.LOCK_HELD)).toBe(true);
  });

  it('requireAof: a server without AOF is refused by WAITAOF (7.2+) or accepted as unknown (< 7.2, preflight checks)', async () => {
    const noAof = await startRedis();
    const s = createIoredisStorage(noAof.config);
    try {
      await s.command(['HSET', keys.payBatch('7'), 'id', '7', 'txHash', 'dd'.repeat(32)]);
      const p = await payer(deps(s));
      const version = String(await s.command(['INFO', 'server'])).match(/redis_version:(\d+)\.(\d+)/);
      const hasWaitAof =
        version !== null && (Number(version[1]) > 7 || (Number(version[1]) === 7 && Number(version[2]) >= 2));
      const reason = await confirmDurable(p, '7', { replicas: false, txHash: 'dd'.repeat(32) });
      if (hasWaitAof) expect(reason).toMatch(/WAITAOF failed/);
      else expect(reason).toBeNull();
      // requireAof false: WAITAOF is not asked at all
      expect(
        await confirmDurable(await payer(deps(s, { requireAof: false })), '7', {
          replicas: false,
          txHash: 'dd'.repeat(32),
        }),
      ).toBeNull();
    } finally {
      await s.close();
      await noAof.stop();
    }
  });
});
