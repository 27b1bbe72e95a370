/**
 * The Storage port contract (shared/storage/port.ts) as a reusable vitest suite: every adapter runs it against a
 * real server (test/storage-ioredis.test.ts on redis-server; the Upstash adapter through its REST bridge).
 *
 *   storageContract('ioredis', async () => createIoredisStorage(redis.config));
 *
 * Every key lives under a fresh `{contract:<uuid>}:` prefix (one hash slot) and is deleted afterwards. Scripts must
 * declare their keys (one hash tag; zero keys is refused), and every production script (test/script-scenarios.ts)
 * runs through the adapter with the same results.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { keySchema } from '../shared/redis/keys.js';
import type { Storage, StorageReply } from '../shared/storage/port.js';
import { runScriptScenarios, scenarioKeys } from './script-scenarios.js';

export interface StorageContractOptions {
  /**
   * Integer replies beyond 2^53 must come back exact (as a decimal string). Default true; an adapter whose wire
   * format cannot carry them (JSON numbers) may opt out explicitly.
   */
  exactBigIntegerReplies?: boolean;
  /** Run SCRIPT FLUSH to prove the EVALSHA -> EVAL fallback (default true). */
  scriptFlush?: boolean;
}

async function expectStorageError(p: Promise<unknown>, match?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPoolError(err, ERRORS.STORAGE), `expected PoolError STORAGE, got ${String(err)}`).toBe(true);
  if (match) expect((err as Error).message).toMatch(match);
}

export function storageContract(
  name: string,
  makeStorage: () => Storage | Promise<Storage>,
  opts: StorageContractOptions = {},
): void {
  describe(`Storage contract: ${name}`, () => {
    let s: Storage;
    const prefix = `{contract:${randomUUID()}}:`;
    const used = new Set<string>();
    const k = (suffix: string): string => {
      const key = prefix + suffix;
      used.add(key);
      return key;
    };

    beforeAll(async () => {
      s = await makeStorage();
    }, 60_000);

    afterAll(async () => {
      if (!s) return;
      const keys = [...used];
      for (let i = 0; i < keys.length; i += 100) await s.command(['DEL', ...keys.slice(i, i + 100)]);
      await s.close();
    }, 60_000);

    it('strings round-trip; SET answers "OK"; nil is null; "" stays ""', async () => {
      expect(await s.command(['SET', k('str'), 'héllo ✓ \n\t"quoted"'])).toBe('OK');
      expect(await s.command(['GET', k('str')])).toBe('héllo ✓ \n\t"quoted"');
      expect(await s.command(['GET', k('missing')])).toBeNull();
      expect(await s.command(['HGET', k('missing-hash'), 'f'])).toBeNull();
      expect(await s.command(['LPOP', k('missing-list')])).toBeNull();
      await s.command(['SET', k('empty'), '']);
      expect(await s.command(['GET', k('empty')])).toBe('');
      expect(await s.command(['MGET', k('str'), k('missing')])).toEqual(['héllo ✓ \n\t"quoted"', null]);
    });

    it('integer replies are numbers; stored integers come back as strings', async () => {
      expect(await s.command(['SET', k('n'), '123'])).toBe('OK');
      expect(await s.command(['GET', k('n')])).toBe('123');
      expect(await s.command(['INCR', k('n')])).toBe(124);
      expect(await s.command(['INCRBY', k('n'), '-200'])).toBe(-76);
      expect(await s.command(['GET', k('n')])).toBe('-76');
      expect(await s.command(['HINCRBY', k('h-int'), 'f', '5'])).toBe(5);
      expect(await s.command(['HGET', k('h-int'), 'f'])).toBe('5');
      expect(await s.command(['EXISTS', k('n'), k('missing')])).toBe(1);
      expect(await s.command(['DEL', k('missing')])).toBe(0);
    });

    it('value-like strings come back unchanged (no JSON or numeric coercion)', async () => {
      const values = [
        '18446744073709551615',
        '123',
        'true',
        'false',
        'null',
        '1e3',
        '0x10',
        '007',
        '-0',
        '1.50',
        '{"a":1}',
        '[1,2]',
        ' 42 ',
        '"x"',
      ];
      const cmds = values.map((v, i) => ['SET', k(`like:${i}`), v]);
      expect(await s.pipeline(cmds)).toEqual(values.map(() => 'OK'));
      for (const [i, v] of values.entries()) expect(await s.command(['GET', k(`like:${i}`)])).toBe(v);
      expect(await s.command(['MGET', ...values.map((_, i) => k(`like:${i}`))])).toEqual(values);
      await s.command(['HSET', k('like-hash'), 'big', '18446744073709551615', 'bool', 'true']);
      expect(await s.command(['HGET', k('like-hash'), 'big'])).toBe('18446744073709551615');
      expect(await s.command(['HMGET', k('like-hash'), 'bool', 'nope'])).toEqual(['true', null]);
    });

    it('arrays are flat, ordered and raw: ZRANGE WITHSCORES, HGETALL, LRANGE, empty', async () => {
      await s.command(['ZADD', k('z'), '1', 'a', '2.5', 'b', '18446744073709551615', 'c']);
      expect(await s.command(['ZRANGE', k('z'), '0', '-1', 'WITHSCORES'])).toEqual([
        'a',
        '1',
        'b',
        '2.5',
        'c',
        '1.8446744073709552e+19',
      ]);
      expect(await s.command(['ZSCORE', k('z'), 'b'])).toBe('2.5');
      // numeric-looking fields keep insertion order (no object conversion)
      await s.command(['HSET', k('h'), 'zeta', 'v1', '2', '"2"', '1', 'true']);
      expect(await s.command(['HGETALL', k('h')])).toEqual(['zeta', 'v1', '2', '"2"', '1', 'true']);
      expect(await s.command(['HGETALL', k('missing-hash')])).toEqual([]);
      await s.command(['RPUSH', k('l'), 'x', '', '3']);
      expect(await s.command(['LRANGE', k('l'), '0', '-1'])).toEqual(['x', '', '3']);
      expect(await s.command(['LRANGE', k('missing-list'), '0', '-1'])).toEqual([]);
    });

    it('nested arrays from a script keep their shape', async () => {
      const reply = await s.evalScript("return {1, {'a', {2, 'b'}, {}}, 'x', false, true}", [k('nest')], []);
      // Lua false -> nil, true -> 1; a nil ends a Lua array, so build the expectation the same way Redis does
      expect(reply).toEqual([1, ['a', [2, 'b'], []], 'x', null, 1]);
    });

    it('pipeline: one reply per command, in order', async () => {
      const replies = await s.pipeline([
        ['SET', k('p'), '1'],
        ['INCR', k('p')],
        ['GET', k('p')],
        ['RPUSH', k('pl'), 'x', 'y'],
        ['LRANGE', k('pl'), '0', '-1'],
        ['GET', k('missing')],
      ]);
      expect(replies).toEqual(['OK', 2, '2', 2, ['x', 'y'], null]);
      const many = await s.pipeline(Array.from({ length: 500 }, (_, i) => ['RPUSH', k('pmany'), String(i)]));
      expect(many).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      expect(await s.pipeline([])).toEqual([]);
    });

    it('pipeline: an error reply throws STORAGE; the other commands still ran (not atomic)', async () => {
      await s.command(['SET', k('pe-str'), 'v']);
      await expectStorageError(
        s.pipeline([
          ['SET', k('pe-a'), '1'],
          ['HGET', k('pe-str'), 'f'],
          ['SET', k('pe-b'), '2'],
        ]),
        /WRONGTYPE/,
      );
      expect(await s.command(['MGET', k('pe-a'), k('pe-b')])).toEqual(['1', '2']);
    });

    it('multi: replies in order, and transactions never interleave', async () => {
      expect(
        await s.multi([
          ['SET', k('m'), '10'],
          ['INCRBY', k('m'), '5'],
          ['GET', k('m')],
        ]),
      ).toEqual(['OK', 15, '15']);
      const runs = await Promise.all(
        Array.from({ length: 20 }, () =>
          s.multi([
            ['INCR', k('mc')],
            ['INCR', k('mc')],
            ['INCR', k('mc')],
          ]),
        ),
      );
      for (const r of runs) {
        const [a, b, c] = r as number[];
        expect(b).toBe((a ?? 0) + 1);
        expect(c).toBe((a ?? 0) + 2);
      }
      expect(await s.command(['GET', k('mc')])).toBe('60');
    });

    it('multi: a command Redis refuses to queue aborts the whole transaction (nothing applied)', async () => {
      await expectStorageError(s.multi([['SET', k('ma'), '1'], ['INCR']]));
      expect(await s.command(['GET', k('ma')])).toBeNull();
    });

    it('multi: a runtime error throws STORAGE', async () => {
      await s.command(['SET', k('mr-str'), 'v']);
      await expectStorageError(
        s.multi([
          ['SET', k('mr-a'), '1'],
          ['INCR', k('mr-str')],
        ]),
        /not an integer|ERR/i,
      );
    });

    it('evalScript: keys and args, cached script reused, Lua conversions', async () => {
      const script = "return {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[2]), #KEYS, #ARGV}";
      expect(await s.evalScript(script, [k('ev')], ['a1', '5'])).toEqual([k('ev'), 'a1', 5, 1, 2]);
      expect(await s.evalScript(script, [k('ev')], ['a1', '5'])).toEqual([k('ev'), 'a1', 10, 1, 2]);
      expect(await s.evalScript('return 3.9', [k('ev')], [])).toBe(3);
      expect(await s.evalScript('return false', [k('ev')], [])).toBeNull();
      expect(await s.evalScript('return true', [k('ev')], [])).toBe(1);
      expect(await s.evalScript("return '18446744073709551615'", [k('ev')], [])).toBe('18446744073709551615');
      expect(await s.evalScript("return redis.call('GET', KEYS[1])", [k('missing')], [])).toBeNull();
      expect(await s.evalScript("return redis.status_reply('FINE')", [k('ev')], [])).toBe('FINE');
    });

    it('evalScript: refuses zero keys and keys of two hash tags, before sending', async () => {
      await expectStorageError(
        s.evalScript("return redis.call('SET', '" + k('keyless') + "', '1')", [], []),
        /no keys/,
      );
      await expectStorageError(
        s.evalScript("return redis.call('SET', KEYS[2], '1')", [k('mixed'), '{elsewhere}:x'], []),
        /hash tag/,
      );
      await expectStorageError(s.evalScript("return redis.call('SET', KEYS[1], '1')", ['untagged:x'], []), /hash tag/);
      expect(await s.command(['EXISTS', k('keyless'), k('mixed')])).toBe(0);
    });

    it('evalScript: works again after SCRIPT FLUSH (EVALSHA -> EVAL fallback)', async () => {
      if (opts.scriptFlush === false) return;
      const script = `return ARGV[1] .. '-${randomUUID()}'`;
      expect(await s.evalScript(script, [k('flush')], ['x'])).toMatch(/^x-/);
      await s.command(['SCRIPT', 'FLUSH']);
      expect(await s.evalScript(script, [k('flush')], ['y'])).toMatch(/^y-/);
    });

    it('error replies throw PoolError STORAGE', async () => {
      await s.command(['SET', k('err-str'), 'v']);
      await expectStorageError(s.command(['HGET', k('err-str'), 'f']), /WRONGTYPE/);
      await expectStorageError(s.command(['INCR', k('err-str')]), /not an integer/);
      await expectStorageError(s.command(['NOSUCHCOMMAND', 'x']));
      await expectStorageError(s.evalScript("return redis.error_reply('boom')", [k('err')], []), /boom/);
      await expectStorageError(
        s.evalScript("return redis.call('INCR', KEYS[1])", [k('err-str')], []),
        /not an integer/,
      );
      await expectStorageError(s.evalScript('this is not lua', [k('err')], []));
      // the connection is still usable afterwards
      expect(await s.command(['GET', k('err-str')])).toBe('v');
    });

    it('every production Lua script (recorder, unlocker, payments, locks, admin) runs with the same results', async () => {
      const coin = `scripts-${randomUUID()}`;
      try {
        const r = await runScriptScenarios(s, coin);
        expect(await s.command(['HGET', keySchema(coin).block(r.blocks.prop), 'status'])).toBe('unlocked');
      } finally {
        const left = await scenarioKeys(s, coin);
        for (let i = 0; i < left.length; i += 100) await s.command(['DEL', ...left.slice(i, i + 100)]);
      }
    }, 60_000);

    it('integer replies beyond 2^53 are exact (decimal string), never rounded', async () => {
      if (opts.exactBigIntegerReplies === false) return;
      await s.command(['SET', k('big'), '9007199254740992']);
      const reply: StorageReply = await s.command(['INCR', k('big')]);
      expect(String(reply)).toBe('9007199254740993');
      const neg: StorageReply = await s.command(['DECRBY', k('big'), '18014398509481986']);
      expect(String(neg)).toBe('-9007199254740993');
      expect(await s.command(['GET', k('big')])).toBe('-9007199254740993');
      const max = await s.command(['INCRBY', k('big-max'), '9223372036854775806']);
      expect(String(max)).toBe('9223372036854775806');
      // NB (Redis, not the adapter): inside Lua every number is a double, so a script that returns a counter
      // beyond 2^53 gets it rounded; scripts handling money should return tostring() of strings they read.
      expect(await s.command(['INCR', k('safe')])).toBe(1);
    });
  });
}
