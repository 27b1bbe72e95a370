/**
 * The eval helper (shared/storage/eval.ts) on a real redis-server: which error replies it sends again (only those
 * proving the script did not run: MOVED/ASK/TRYAGAIN/CLUSTERDOWN/LOADING) and which it never repeats (a script
 * error: the script ran), the NOSCRIPT fallback, and the helper's reply classification.
 * A script stands in for the server's not-executed reply by answering `redis.error_reply('TRYAGAIN ...')` while
 * counting its runs in a key, so the test sees exactly how many times it was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import { createEvalScript, isNotExecutedReply, scriptSha } from '../shared/storage/eval.js';
import { startRedis, type RedisService } from '../shared/services/index.js';

const COUNT_THEN = (reply: string, until: number) => `
local n = redis.call('INCR', KEYS[1])
if n < ${until} then return redis.error_reply('${reply} ' .. n) end
return n`;

describe('eval helper', () => {
  let svc: RedisService;
  let s: IoredisStorage;

  beforeAll(async () => {
    svc = await startRedis();
    s = createIoredisStorage(svc.config);
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await svc?.stop();
  });

  it('sends again after a not-executed reply (TRYAGAIN, CLUSTERDOWN) until it runs', async () => {
    expect(
      await s.evalScript(COUNT_THEN('TRYAGAIN Multiple keys request during rehashing of slot', 3), ['{ev}:a'], []),
    ).toBe(3);
    expect(await s.evalScript(COUNT_THEN('CLUSTERDOWN The cluster is down', 2), ['{ev}:b'], [])).toBe(2);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const evalScript = createEvalScript((a) => s.command(a), { maxAttempts: 2, retryDelayMs: () => 1 });
    const err = await evalScript(COUNT_THEN('MOVED 1234 127.0.0.1:1', 100), ['{ev}:c'], []).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
    expect((err as Error).message).toMatch(/MOVED/);
    expect(await s.command(['GET', '{ev}:c'])).toBe('2');
  });

  it('never repeats a script that failed after it ran', async () => {
    const err = await s.evalScript(COUNT_THEN('ERR boom', 100), ['{ev}:d'], []).catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
    expect(await s.command(['GET', '{ev}:d'])).toBe('1');
  });

  it('falls back to EVAL when the server lost the script (NOSCRIPT), and caches it again', async () => {
    const script = "return redis.call('INCR', KEYS[1])";
    expect(await s.evalScript(script, ['{ev}:e'], [])).toBe(1);
    await s.command(['SCRIPT', 'FLUSH']);
    expect(await s.evalScript(script, ['{ev}:e'], [])).toBe(2);
    expect(await s.command(['SCRIPT', 'EXISTS', scriptSha(script)])).toEqual([1]);
  });

  it('classifies replies by their leading error code only', () => {
    for (const r of [
      'MOVED 3999 10.0.0.1:6379',
      'ASK 3999 10.0.0.1:6379',
      'TRYAGAIN x',
      'CLUSTERDOWN Hash slot not served',
      'LOADING Redis is loading',
    ]) {
      expect(isNotExecutedReply(r)).toBe(true);
    }
    for (const r of [
      'ERR user_script:1: MOVED',
      'NOSCRIPT No matching script',
      'WRONGTYPE x',
      'READONLY x',
      'Connection is closed.',
    ]) {
      expect(isNotExecutedReply(r)).toBe(false);
    }
  });
});
