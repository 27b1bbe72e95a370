/**
 * The Storage contract (test/storage-contract.ts) on the @upstash/redis adapter (shared/storage/upstash.ts), over
 * the Upstash-REST-compatible bridge (test/upstash-bridge.ts) on a real redis-server with a password, in both
 * response encodings; plus the REST protocol details the bridge and the adapter must get right (docs/cloud.md, "Upstash REST").
 *
 * Opt-out: integer replies beyond 2^53 travel as JSON numbers on Upstash's wire and the SDK JSON.parses them, so
 * they cannot come back exact (the contract allows an adapter to declare that).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { createUpstashStorage } from '../shared/storage/upstash.js';
import { startRedis, type RedisService } from './harness/index.js';
import { storageContract } from './storage-contract.js';
import { startUpstashBridge, type UpstashBridge } from './upstash-bridge.js';

let redis: RedisService;
let bridge: UpstashBridge;

beforeAll(async () => {
  redis = await startRedis({ password: 'upstash-contract-pass' });
  bridge = await startUpstashBridge({
    redis: { port: redis.port, password: 'upstash-contract-pass' },
    token: 'test-token-123',
  });
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  await redis?.stop();
}, 60_000);

const opts = { exactBigIntegerReplies: false } as const;

storageContract(
  'upstash (base64 responses)',
  () => createUpstashStorage({ url: bridge.url, token: bridge.token, responseEncoding: 'base64' }),
  opts,
);
storageContract(
  'upstash (plain JSON responses)',
  () => createUpstashStorage({ url: bridge.url, token: bridge.token, responseEncoding: false }),
  opts,
);

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(bridge.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

describe('Upstash REST bridge (protocol)', () => {
  it('refuses a missing or wrong token with 401 {error}', async () => {
    const before = bridge.counters.unauthorized;
    const none = await fetch(bridge.url + '/', { method: 'POST', body: '["PING"]' });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'Unauthorized' });
    const wrong = await post('/', ['PING'], { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(bridge.counters.unauthorized).toBe(before + 2);
  });

  it('POST / answers {result}; numbers in the body are converted with String()', async () => {
    expect(await post('/', ['SET', '{br}:n', 41])).toEqual({ status: 200, json: { result: 'OK' } });
    expect(await post('/', ['INCR', '{br}:n'])).toEqual({ status: 200, json: { result: 42 } });
    expect(await post('/', ['GET', '{br}:nothing'])).toEqual({ status: 200, json: { result: null } });
  });

  it('a failed command is 400 {error}; an unknown method is 405', async () => {
    const r = await post('/', ['HGET', '{br}:n', 'f']);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: expect.stringMatching(/WRONGTYPE/) as unknown });
    const del = await fetch(bridge.url + '/', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${bridge.token}` },
    });
    expect(del.status).toBe(405);
  });

  it('base64 mode encodes every string except a top-level OK; numbers, null and errors stay plain', async () => {
    const b64 = { 'upstash-encoding': 'base64' };
    expect((await post('/', ['SET', '{br}:s', 'OK'], b64)).json).toEqual({ result: 'OK' });
    // a bulk "OK" and the status "OK" look alike on the RESP side; either form decodes to "OK" in the SDK
    expect(['OK', 'T0s=']).toContain(((await post('/', ['GET', '{br}:s'], b64)).json as { result: string }).result);
    expect((await post('/', ['MGET', '{br}:s', '{br}:none'], b64)).json).toEqual({ result: ['T0s=', null] });
    expect((await post('/', ['INCR', '{br}:n'], b64)).json).toEqual({ result: 43 });
    expect((await post('/', ['PING'], b64)).json).toEqual({ result: Buffer.from('PONG').toString('base64') });
    const err = await post('/', ['INCR', '{br}:s'], b64);
    expect(err.json).toEqual({ error: expect.stringMatching(/^ERR value is not an integer/) as unknown });
  });

  it('/pipeline returns one entry per command with inline errors; /multi-exec is atomic or 400', async () => {
    const p = await post('/pipeline', [
      ['SET', '{br}:p', 'v'],
      ['INCR', '{br}:p'],
      ['GET', '{br}:p'],
    ]);
    expect(p.status).toBe(200);
    expect(p.json).toEqual([
      { result: 'OK' },
      { error: expect.stringMatching(/not an integer/) as unknown },
      { result: 'v' },
    ]);
    const m = await post('/multi-exec', [
      ['SET', '{br}:m', '1'],
      ['INCR', '{br}:m'],
    ]);
    expect(m.json).toEqual([{ result: 'OK' }, { result: 2 }]);
    const aborted = await post('/multi-exec', [['SET', '{br}:m2', '1'], ['GET']]);
    expect(aborted.status).toBe(400);
    expect(aborted.json).toEqual({ error: expect.stringMatching(/EXECABORT/) as unknown });
    expect((await post('/', ['GET', '{br}:m2'])).json).toEqual({ result: null });
  });

  it('refuses connection-state commands that would corrupt the shared connection', async () => {
    for (const cmd of [['MULTI'], ['SELECT', '1'], ['SUBSCRIBE', 'x'], ['BLPOP', 'k', '1']]) {
      const r = await post('/', cmd);
      expect(r.status).toBe(400);
    }
    expect((await post('/', ['PING'])).json).toEqual({ result: 'PONG' });
  });

  it('path form for curl: /set/k/v, POST body as the last argument, ?_token=', async () => {
    const set = await fetch(`${bridge.url}/set/%7Bbr%7D:path/val?_token=${bridge.token}`);
    expect(await set.json()).toEqual({ result: 'OK' });
    const post2 = await fetch(`${bridge.url}/set/%7Bbr%7D:body?_token=${bridge.token}`, {
      method: 'POST',
      body: 'from body',
    });
    expect(await post2.json()).toEqual({ result: 'OK' });
    const get = await fetch(`${bridge.url}/get/%7Bbr%7D:body`, {
      headers: { authorization: `Bearer ${bridge.token}` },
    });
    expect(await get.json()).toEqual({ result: 'from body' });
  });
});

describe('Upstash adapter specifics', () => {
  it('each port call is exactly one HTTP request on the matching route (no auto-pipelining)', async () => {
    const s = createUpstashStorage({ url: bridge.url, token: bridge.token });
    const c0 = { ...bridge.counters };
    await Promise.all([
      s.command(['SET', '{ad}:a', '1']),
      s.command(['SET', '{ad}:b', '2']),
      s.command(['GET', '{ad}:a']),
    ]);
    await s.pipeline([
      ['GET', '{ad}:a'],
      ['GET', '{ad}:b'],
    ]);
    await s.multi([
      ['INCR', '{ad}:a'],
      ['INCR', '{ad}:b'],
    ]);
    expect(bridge.counters.single - c0.single).toBe(3);
    expect(bridge.counters.pipeline - c0.pipeline).toBe(1);
    expect(bridge.counters.multiExec - c0.multiExec).toBe(1);
    expect(bridge.counters.base64 - c0.base64).toBe(5);
    await s.close();
  });

  it('a wrong token is a STORAGE error naming the cause, not a retry loop', async () => {
    const s = createUpstashStorage({ url: bridge.url, token: 'wrong' });
    const c0 = bridge.counters.unauthorized;
    const err = await s.command(['PING']).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
    expect((err as Error).message).toMatch(/Unauthorized/);
    expect(bridge.counters.unauthorized - c0).toBe(1);
  });

  it('an unreachable endpoint fails fast with STORAGE (one attempt, no fake "Aborted" result)', async () => {
    const s = createUpstashStorage({ url: 'http://127.0.0.1:1', token: 't', timeoutMs: 2_000 });
    const t0 = Date.now();
    const err = await s.command(['PING']).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a slow endpoint times out with STORAGE instead of returning "Aborted"', async () => {
    const { createServer } = await import('node:http');
    const slow = createServer(() => undefined); // never answers
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const addr = slow.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const s = createUpstashStorage({ url: `http://127.0.0.1:${port}`, token: 't', timeoutMs: 300 });
    const err = await s.command(['GET', 'x']).catch((e: unknown) => e);
    slow.closeAllConnections();
    slow.close();
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
  });

  it('rejects a bad URL or empty token at construction', () => {
    expect(() => createUpstashStorage({ url: 'redis://x', token: 't' })).toThrow(/https:\/\//);
    expect(() => createUpstashStorage({ url: 'https://x.upstash.io', token: '' })).toThrow(/token/);
  });

  it('close() makes later calls fail with STORAGE', async () => {
    const s = createUpstashStorage({ url: bridge.url, token: bridge.token });
    await s.close();
    const err = await s.command(['PING']).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
  });
});
