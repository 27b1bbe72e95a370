/**
 * The Storage contract on the ioredis adapter against a real redis-server, both with a connection the adapter opens
 * from a config (stringNumbers: exact 64-bit integers) and with one built by createRedis() (caller-owned).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { createRedis } from '../shared/redis/client.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import { startRedis, type RedisService } from './harness/index.js';
import { storageContract } from './storage-contract.js';

let redis: RedisService;
const shared: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis({ password: 'contract-pass' });
}, 60_000);

afterAll(async () => {
  for (const r of shared) await r.quit();
  await redis?.stop();
}, 60_000);

storageContract('ioredis (own connection)', () => createIoredisStorage(redis.config));

storageContract(
  'ioredis (caller-owned createRedis connection)',
  () => {
    const r = createRedis(redis.config);
    shared.push(r);
    return createIoredisStorage(r);
  },
  // without stringNumbers ioredis hands us JS numbers, already rounded
  { exactBigIntegerReplies: false },
);

describe('ioredis adapter specifics', () => {
  it('a server that is down gives STORAGE errors, not a hang', async () => {
    const s = createIoredisStorage({ host: '127.0.0.1', port: 1 });
    const t0 = Date.now();
    const err = await s.command(['PING']).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await s.close();
  }, 20_000);

  it('wrong password is a STORAGE error', async () => {
    const s = createIoredisStorage({ ...redis.config, auth: 'wrong' });
    const err = await s.command(['PING']).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
    await s.close();
  }, 20_000);

  it('close() of a caller-owned connection leaves it open', async () => {
    const r = createRedis(redis.config, { lazyConnect: true });
    shared.push(r);
    const s = createIoredisStorage(r);
    expect(await s.command(['PING'])).toBe('PONG');
    await s.close();
    expect(await r.ping()).toBe('PONG');
  });
});
