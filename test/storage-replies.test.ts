/**
 * shared/storage/replies.ts: the one reader of raw Storage replies. Well-formed replies parse exactly; field names
 * that are Object.prototype's own (`__proto__`, `constructor`, `toString`) are ordinary data; every malformed reply
 * (non-array, odd length, nil or nested array where a string belongs, non-decimal integers) is E_STORAGE. The last
 * case runs the readers on a real redis-server's replies.
 */
import { describe, expect, it } from 'vitest';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import type { StorageReply } from '../shared/storage/port.js';
import {
  asBigint,
  asHash,
  asInt,
  asOptInt,
  asOptString,
  asOptStrings,
  asPairs,
  asScored,
  asString,
  asStrings,
} from '../shared/storage/replies.js';
import { startRedis } from '../shared/services/index.js';

const STORAGE_ERROR = { code: 'E_STORAGE' };

function storageError(fn: () => unknown): void {
  expect(fn).toThrow(expect.objectContaining(STORAGE_ERROR) as Error);
}

describe('asHash', () => {
  it('pairs a flat HGETALL reply; an absent key ([]) is an empty record', () => {
    expect({ ...asHash(['a', '1', 'b', '2']) }).toEqual({ a: '1', b: '2' });
    expect(Object.keys(asHash([]))).toEqual([]);
  });

  it('keeps __proto__, constructor and toString as ordinary fields and never changes a prototype', () => {
    const h = asHash(['__proto__', 'x', 'constructor', 'y', 'toString', 'z', 'balance', '5']);
    expect(Object.getPrototypeOf(h)).toBeNull();
    expect(Object.keys(h)).toEqual(['__proto__', 'constructor', 'toString', 'balance']);
    expect(Object.getOwnPropertyDescriptor(h, '__proto__')?.value).toBe('x');
    expect(h.constructor).toBe('y');
    expect(h.toString).toBe('z');
    expect(h.balance).toBe('5');
    // fields that are not in the reply are absent, not inherited from Object.prototype
    expect(asHash(['a', '1']).constructor).toBeUndefined();
    expect(asHash(['a', '1']).hasOwnProperty).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // round-trips through JSON as data
    expect(JSON.parse(JSON.stringify(h)) as unknown).toEqual(
      JSON.parse('{"__proto__":"x","constructor":"y","toString":"z","balance":"5"}'),
    );
  });

  it('integer replies become their decimal text', () => {
    expect(asHash(['n', 7]).n).toBe('7');
  });

  it('rejects garbage with E_STORAGE naming what was read', () => {
    const bad: (StorageReply | undefined)[] = [
      null,
      undefined,
      'a',
      3,
      ['a'],
      ['a', '1', 'b'],
      ['a', null],
      [['a'], '1'],
      ['a', ['1']],
    ];
    for (const r of bad) storageError(() => asHash(r, 'worker'));
    expect(() => asHash('x', 'worker')).toThrow(/worker/);
  });
});

describe('asPairs / asScored', () => {
  it('pairs WITHSCORES replies in order, scores as text or numbers (inf included)', () => {
    expect(asPairs(['m1', '10', 'm2', '2.5'])).toEqual([
      ['m1', '10'],
      ['m2', '2.5'],
    ]);
    expect(asScored(['a', '1', 'b', '-inf', 'c', 'inf', '__proto__', '3'])).toEqual([
      { member: 'a', score: 1 },
      { member: 'b', score: -Infinity },
      { member: 'c', score: Infinity },
      { member: '__proto__', score: 3 },
    ]);
    expect(asPairs([])).toEqual([]);
  });

  it('rejects odd lengths, non-arrays, nils and non-numeric scores', () => {
    for (const r of [null, 'x', 1, ['a'], ['a', '1', 'b'], ['a', null], [null, '1']] as StorageReply[]) {
      storageError(() => asPairs(r));
      storageError(() => asScored(r));
    }
    storageError(() => asScored(['a', 'abc']));
    storageError(() => asScored(['a', '']));
    storageError(() => asScored(['a', 'NaN']));
  });
});

describe('strings and integers', () => {
  it('reads strings, nils and arrays', () => {
    expect(asString('a')).toBe('a');
    expect(asString(12)).toBe('12');
    expect(asOptString(null)).toBeNull();
    expect(asOptString('v')).toBe('v');
    expect(asStrings(['a', 'b', 3])).toEqual(['a', 'b', '3']);
    expect(asOptStrings(['a', null, '2'])).toEqual(['a', null, '2']);
  });

  it('rejects the wrong shapes', () => {
    storageError(() => asString(null));
    storageError(() => asString(['a']));
    storageError(() => asString(undefined));
    storageError(() => asOptString(['a']));
    storageError(() => asStrings(null));
    storageError(() => asStrings('a'));
    storageError(() => asStrings(['a', null]));
    storageError(() => asStrings(['a', ['b']]));
    storageError(() => asOptStrings('a'));
    storageError(() => asOptStrings([['a']]));
  });

  it('integers: replies and decimal text; nil, fractions, garbage and unsafe sizes are E_STORAGE', () => {
    expect(asInt(5)).toBe(5);
    expect(asInt('-12')).toBe(-12);
    for (const r of [null, undefined, '1.5', 'abc', '', ' 1', '9007199254740993', 1.5, ['1']] as (
      StorageReply | undefined
    )[]) {
      storageError(() => asInt(r));
    }
    expect(asOptInt(undefined)).toBeNull();
    expect(asOptInt(null)).toBeNull();
    expect(asOptInt('42')).toBe(42);
    storageError(() => asOptInt('4x'));
  });

  it('bigints: absent is 0n, digits are exact, anything else is E_STORAGE', () => {
    expect(asBigint(undefined)).toBe(0n);
    expect(asBigint(null)).toBe(0n);
    expect(asBigint('')).toBe(0n);
    expect(asBigint('18446744073709551617')).toBe(18446744073709551617n);
    expect(asBigint('-3')).toBe(-3n);
    for (const v of ['1.0', '1e3', 'abc', ' 1', '0x10', '+1']) storageError(() => asBigint(v, 'balance'));
    expect(() => asBigint('abc', 'balance')).toThrow(/balance/);
  });
});

describe('on a real redis-server', () => {
  it('reads HGETALL with a __proto__ field and ZRANGE WITHSCORES as Redis sends them', async () => {
    const redis = await startRedis();
    const storage = createIoredisStorage({ host: '127.0.0.1', port: redis.port });
    try {
      await storage.command(['HSET', 'h', '__proto__', 'p', 'balance', '10', 'constructor', 'c']);
      const h = asHash(await storage.command(['HGETALL', 'h']), 'h');
      expect(Object.keys(h).sort()).toEqual(['__proto__', 'balance', 'constructor']);
      expect(Object.getOwnPropertyDescriptor(h, '__proto__')?.value).toBe('p');
      expect(asBigint(h.balance)).toBe(10n);
      expect(Object.keys(asHash(await storage.command(['HGETALL', 'missing'])))).toEqual([]);

      await storage.command(['ZADD', 'z', '1', 'a', '2.5', 'b', '+inf', 'c']);
      expect(asScored(await storage.command(['ZRANGE', 'z', '0', '-1', 'WITHSCORES']))).toEqual([
        { member: 'a', score: 1 },
        { member: 'b', score: 2.5 },
        { member: 'c', score: Infinity },
      ]);
      expect(asOptStrings(await storage.command(['HMGET', 'h', 'balance', 'nope']))).toEqual(['10', null]);
      // a string key read as a hash is a Redis error reply, surfaced by the adapter as E_STORAGE too
      await storage.command(['SET', 's', 'v']);
      await expect(storage.command(['HGETALL', 's'])).rejects.toMatchObject(STORAGE_ERROR);
    } finally {
      await storage.close();
      await redis.stop();
    }
  });
});
