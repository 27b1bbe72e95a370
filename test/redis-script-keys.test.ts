/**
 * The slot rule, checked on a real redis-server: every key a production Lua script touches was declared in that
 * call's KEYS and carries the pool's hash tag (so the script runs on Redis Cluster / ElastiCache Serverless).
 *
 * How: a MONITOR connection records every command the server executes, including the ones a script runs (source
 * "lua"). Before each script call the storage wrapper sends `ECHO script-mark:<n>`, so the commands between mark n
 * and mark n+1 that came from Lua belong to call n. The keys of each such command come from the server itself
 * (`COMMAND GETKEYS`), not from a list of our own, so a key built inside a script (`KEYS[1] .. 'x'`) is caught.
 * The checker is proven on a planted violation first. The scenarios are test/script-scenarios.ts (every script
 * through its real call site). Also: the helper refuses zero keys and keys of two hash tags before sending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { hashTag } from '../shared/redis/keys.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import type { Storage } from '../shared/storage/port.js';
import { startRedis, type RedisService } from '../shared/services/index.js';
import { runScriptScenarios } from './script-scenarios.js';

interface Monitored {
  readonly args: readonly string[];
  readonly source: string;
}

interface DeclaredCall {
  readonly n: number;
  readonly keys: readonly string[];
  readonly script: string;
}

/**
 * A Storage whose evalScript announces each call with an ECHO mark first and remembers its declared keys; a raw
 * EVAL/EVALSHA inside a pipeline or MULTI (at most one per batch) is announced the same way before the batch.
 */
function markingStorage(inner: Storage, calls: DeclaredCall[]): Storage {
  const markBatch = async (cmds: readonly (readonly string[])[]): Promise<void> => {
    const evals = cmds.filter((c) => /^EVAL(SHA)?$/i.test(c[0] ?? ''));
    if (evals.length > 1) throw new Error('the key checker follows at most one script per pipeline');
    const e = evals[0];
    if (!e) return;
    const n = calls.length;
    calls.push({ n, keys: e.slice(3, 3 + Number(e[2])), script: e[1] ?? '' });
    await inner.command(['ECHO', `script-mark:${n}`]);
  };
  return {
    command: (a) => inner.command(a),
    async pipeline(c) {
      await markBatch(c);
      return inner.pipeline(c);
    },
    async multi(c) {
      await markBatch(c);
      return inner.multi(c);
    },
    close: () => inner.close(),
    async evalScript(script, keys, args) {
      const n = calls.length;
      calls.push({ n, keys: [...keys], script });
      await inner.command(['ECHO', `script-mark:${n}`]);
      return inner.evalScript(script, keys, args);
    },
  };
}

interface Violation {
  readonly call: number;
  readonly command: string;
  readonly key: string;
  readonly why: 'undeclared' | 'no-hash-tag';
}

/** Checks every Lua-issued command against its call's declared keys (see the module comment). */
async function violations(
  events: readonly Monitored[],
  calls: readonly DeclaredCall[],
  admin: Redis,
  tag: string,
): Promise<Violation[]> {
  const out: Violation[] = [];
  let current = -1;
  let luaCommands = 0;
  for (const e of events) {
    const mark = e.args[0]?.toUpperCase() === 'ECHO' ? /^script-mark:(\d+)$/.exec(e.args[1] ?? '') : null;
    if (mark && e.source !== 'lua') {
      current = Number(mark[1]);
      continue;
    }
    if (e.source !== 'lua') continue;
    luaCommands += 1;
    const call = calls[current];
    if (!call) throw new Error(`a Lua command outside any marked call: ${e.args.join(' ')}`);
    let keys: string[] = [];
    try {
      keys = (await admin.call('COMMAND', 'GETKEYS', ...e.args)) as string[];
    } catch (err) {
      if (!/no key arguments|Invalid arguments/i.test(String(err))) throw err;
    }
    for (const key of keys) {
      if (!call.keys.includes(key)) out.push({ call: current, command: e.args[0] ?? '', key, why: 'undeclared' });
      else if (hashTag(key) !== tag) out.push({ call: current, command: e.args[0] ?? '', key, why: 'no-hash-tag' });
    }
  }
  if (luaCommands === 0) throw new Error('MONITOR saw no command issued by a script: the checker is not looking');
  return out;
}

describe('every Lua script declares every key it touches (MONITOR + COMMAND GETKEYS)', () => {
  let svc: RedisService;
  let admin: Redis;
  let monitorConn: Redis;
  const events: Monitored[] = [];

  beforeAll(async () => {
    svc = await startRedis();
    admin = new Redis({ host: '127.0.0.1', port: svc.port });
    monitorConn = new Redis({ host: '127.0.0.1', port: svc.port });
    const monitor = await monitorConn.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      events.push({ args, source });
    });
  }, 60_000);

  afterAll(async () => {
    monitorConn?.disconnect();
    admin?.disconnect();
    await svc?.stop();
  });

  /** Runs `f` on a marking storage and returns the MONITOR events it produced (up to a final mark seen). */
  async function observe(
    coin: string,
    f: (s: Storage) => Promise<unknown>,
  ): Promise<{ calls: DeclaredCall[]; seen: Monitored[] }> {
    const calls: DeclaredCall[] = [];
    const inner = createIoredisStorage(svc.config);
    const s = markingStorage(inner, calls);
    const from = events.length;
    const end = `end-${coin}-${Date.now()}`;
    try {
      await f(s);
    } finally {
      await inner.command(['ECHO', end]);
      await inner.close();
    }
    for (let i = 0; i < 200 && !events.slice(from).some((e) => e.args[1] === end); i++)
      await new Promise((r) => setTimeout(r, 25));
    const seen = events.slice(from);
    expect(seen.some((e) => e.args[1] === end)).toBe(true);
    return { calls, seen };
  }

  it('the checker catches a key built inside a script (planted violation)', async () => {
    const { calls, seen } = await observe('planted', async (s) => {
      await s.evalScript(
        "redis.call('SET', KEYS[1], '1') return redis.call('GET', KEYS[1] .. 'x')",
        ['{planted}:k'],
        [],
      );
    });
    expect(await violations(seen, calls, admin, 'planted')).toEqual([
      { call: 0, command: 'GET', key: '{planted}:kx', why: 'undeclared' },
    ]);
  });

  it('the checker catches a declared key without the pool hash tag', async () => {
    const { calls, seen } = await observe('tagless', async (s) => {
      await s.evalScript("return redis.call('GET', KEYS[1])", ['{other}:k'], []);
    });
    expect(await violations(seen, calls, admin, 'tagless')).toEqual([
      { call: 0, command: 'GET', key: '{other}:k', why: 'no-hash-tag' },
    ]);
  });

  it('every production script, through its real call site: no undeclared key, every key tagged', async () => {
    const coin = 'keycheck';
    const { calls, seen } = await observe(coin, (s) => runScriptScenarios(s, coin));
    expect(calls.length).toBeGreaterThanOrEqual(25);
    expect(await violations(seen, calls, admin, coin)).toEqual([]);
    // every call declared keys, all in the pool's slot
    for (const c of calls) {
      expect(c.keys.length).toBeGreaterThan(0);
      for (const k of c.keys) expect(hashTag(k)).toBe(coin);
    }
  }, 60_000);

  it('the eval helper refuses zero keys and keys of two hash tags before sending anything', async () => {
    const { calls, seen } = await observe('refused', async (s) => {
      const none = await s.evalScript("return redis.call('SET', '{refused}:k', '1')", [], []).catch((e: unknown) => e);
      expect(isPoolError(none, ERRORS.STORAGE)).toBe(true);
      expect((none as Error).message).toMatch(/no keys/);
      const mixed = await s
        .evalScript("return redis.call('SET', KEYS[2], '1')", ['{refused}:a', '{other}:b'], [])
        .catch((e: unknown) => e);
      expect(isPoolError(mixed, ERRORS.STORAGE)).toBe(true);
      expect((mixed as Error).message).toMatch(/hash tag/);
    });
    expect(calls).toHaveLength(2);
    expect(seen.filter((e) => /^EVAL/i.test(e.args[0] ?? ''))).toEqual([]);
    expect(await admin.exists('{refused}:k', '{other}:b')).toBe(0);
  });
});
