/**
 * "A Redis outage loses nothing and mixes no rounds", for the share recorder against a real redis-server (AOF,
 * fsync always) that is really stopped and started again on the same port and data folder:
 * - a miner finds a block while Redis is down and the miners keep mining: after Redis returns, the block's round
 *   holds exactly the shares mined before it and the open round exactly those mined after (PROP and PPLNS, share
 *   by share);
 * - the queue stays bounded while Redis is down (batches of one round merge);
 * - the recorder "dies" with everything only in its journal (the object is dropped, nothing flushed) and a new
 *   recorder on the same journal replays it in order once Redis is back: same rounds, nothing lost;
 * - replaying a journal whose ops Redis already took (a crash between Redis's reply and the ack) changes nothing;
 * - a found block is journaled before the daemon's verdict: begun and never settled, it is recorded "unconfirmed";
 *   settled or dropped, it replays as that verdict;
 * - a long outage compacts the journal to what is pending, and a journal of several MiB is read back in chunks.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type RedisService } from '../shared/services/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { silentLogger } from '../shared/log.js';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import { ShareRecorder, type RecorderOptions } from '../stratum-node/recorder.js';

const keys = keySchema('monero');
const A = 'addrA';
const B = 'addrB';

describe('share recorder across a Redis outage', () => {
  let dir: string;
  let redisDir: string;
  let port: number;
  let svc: RedisService | null = null;
  let admin: Redis;
  const storages: IoredisStorage[] = [];
  let journalN = 0;

  const up = async (): Promise<void> => {
    svc = await startRedis({ dir: redisDir, ...(port ? { port } : {}), appendonly: true, appendfsync: 'always' });
    port = svc.port;
  };
  const down = async (): Promise<void> => {
    await svc?.stop();
    svc = null;
  };
  const conns: Redis[] = [];
  /** A connection whose commands fail at once while Redis is down (no offline queue) and that reconnects quickly. */
  const storage = async (waitReady = true): Promise<IoredisStorage> => {
    const conn = new Redis({
      host: '127.0.0.1',
      port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      stringNumbers: true,
      retryStrategy: () => 100,
    });
    conn.on('error', () => undefined);
    conns.push(conn);
    if (waitReady) await new Promise((r) => conn.once('ready', r));
    const s = createIoredisStorage(conn);
    storages.push(s);
    return s;
  };
  const make = (s: IoredisStorage, journalPath: string, o: Partial<RecorderOptions> = {}) =>
    new ShareRecorder(
      s,
      {
        prefix: keys.prefix,
        scheme: 'prop',
        slushWeight: 0,
        pplnsWindow: 2,
        batchMs: 1000,
        hashrateWindowSec: 600,
        nodeId: 9,
        journalPath,
        journalTarget: 'test',
        ...o,
      },
      silentLogger(),
    );
  const share = (login: string, diff: number) => ({
    login,
    rig: 'r1',
    ip: '10.0.0.1',
    diff,
    solo: false,
    atMs: Date.now(),
  });
  const newJournal = () => join(dir, `j${journalN++}.journal`);
  /** Retries a flush while the client reconnects to the restarted server. */
  const flushWhenBack = async (r: ShareRecorder): Promise<void> => {
    for (let i = 0; ; i++) {
      try {
        await r.flush();
        return;
      } catch (e) {
        if (i >= 40) throw e;
        await new Promise((res) => setTimeout(res, 250));
      }
    }
  };
  const expectStorageFailure = async (p: Promise<unknown>): Promise<void> => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isPoolError(err, ERRORS.STORAGE)).toBe(true);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recorder-outage-'));
    redisDir = join(dir, 'redis');
    await up();
    admin = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
    admin.on('error', () => undefined);
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
    for (const s of storages) await s.close();
    for (const c of conns) c.disconnect();
    await down();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  beforeEach(async () => {
    if (!svc) await up();
    await admin.flushall();
  });

  /** Shares before the outage, during it (before and after a block found during it). Returns the block hash. */
  async function outage(r: ShareRecorder, hash: string, afterDown: () => Promise<void>): Promise<void> {
    // before: A 120, B 50 reach Redis
    r.add(share(A, 120));
    r.add(share(B, 50));
    await r.flush();
    await down();
    // Redis down: A 40, B 60 are cut into a batch that cannot be written
    r.add(share(A, 40));
    r.add(share(B, 60));
    await expectStorageFailure(r.flush());
    // B finds a block (its own share credited first)
    r.add(share(B, 10));
    await expectStorageFailure(
      r.recordBlock({ hash, height: 50, timeMs: Date.now(), difficulty: 100n, finder: B, solo: false }),
    );
    // mining goes on: every share from now on belongs to the next round
    for (let i = 0; i < 30; i++) {
      r.add(share(A, 1));
      r.add(share(B, 1));
      await expectStorageFailure(r.flush());
    }
    // bounded: the failing head, the block, and the next round's batches merged (one per hashrate bucket at most)
    expect(r.queued).toBeLessThanOrEqual(5);
    await afterDown();
  }

  it('PROP: the block takes exactly the shares before it; the shares after it open the next round', async () => {
    const journal = newJournal();
    const r = make(await storage(), journal);
    const hash = 'a1'.repeat(32);
    await outage(r, hash, async () => undefined);
    expect(statSync(journal).size).toBeGreaterThan(0);
    await up();
    await flushWhenBack(r);
    expect(r.queued).toBe(0);
    expect(statSync(journal).size).toBe(0);
    expect(await admin.hgetall(keys.round(hash))).toEqual({ [A]: '160', [B]: '120' });
    expect(await admin.hget(keys.block(hash), 'shares')).toBe('280');
    expect(await admin.hgetall(keys.roundCurrent)).toEqual({ [A]: '30', [B]: '30' });
    expect(await admin.get(keys.roundTotal)).toBe('60');
    expect(await admin.hget(keys.worker(A), 'hashes')).toBe(String(120 + 40 + 30));
    expect(await admin.hget(keys.worker(B), 'hashes')).toBe(String(50 + 60 + 10 + 30));
    expect(await admin.hget(keys.stats, 'totalShares')).toBe(String(2 + 2 + 1 + 60));
    expect(await admin.zscore(keys.blocksCandidates, hash)).toBe('50');
    await r.stop();
  }, 120_000);

  it('PPLNS: the window is cut from the shares before the block, in the order they were mined', async () => {
    const journal = newJournal();
    const r = make(await storage(), journal, { scheme: 'pplns' });
    r.setNetworkDifficulty(100n); // window 2 x 100 = 200
    const hash = 'b2'.repeat(32);
    await outage(r, hash, async () => undefined);
    await up();
    await flushWhenBack(r);
    // newest first before the block: B 10, then the outage batch (B 60, A 40), then B 50, then 40 of A's 120
    expect(await admin.hgetall(keys.round(hash))).toEqual({ [B]: '120', [A]: '80' });
    // the next round's log entries (newest first, up to the 60 mined after the block): exactly 30 + 30
    const after = new Map<string, number>();
    let sum = 0;
    for (const e of await admin.lrange(keys.shareLog, 0, -1)) {
      if (sum >= 60) break;
      const [login, d] = e.split(':') as [string, string];
      after.set(login, (after.get(login) ?? 0) + Number(d));
      sum += Number(d);
    }
    expect(Object.fromEntries(after)).toEqual({ [A]: 30, [B]: 30 });
    expect(await admin.get(keys.roundTotal)).toBe('60');
    await r.stop();
  }, 120_000);

  it('a recorder that dies during the outage loses nothing: the next one replays its journal in order', async () => {
    const journal = newJournal();
    const first = make(await storage(), journal);
    const hash = 'c3'.repeat(32);
    await outage(first, hash, async () => undefined);
    const snapshot = readFileSync(journal);
    // "kill": the first recorder is dropped as it is (no stop, no flush); only its journal survives
    const second = make(await storage(false), journal);
    expect(second.queued).toBeGreaterThanOrEqual(3);
    await up();
    await flushWhenBack(second);
    expect(await admin.hgetall(keys.round(hash))).toEqual({ [A]: '160', [B]: '120' });
    expect(await admin.hgetall(keys.roundCurrent)).toEqual({ [A]: '30', [B]: '30' });
    expect(await admin.hget(keys.stats, 'totalShares')).toBe(String(2 + 2 + 1 + 60));
    expect(statSync(journal).size).toBe(0);
    await second.stop();

    // a crash after Redis took everything but before the acks: replaying the same journal again is a no-op
    writeFileSync(journal, snapshot);
    const third = make(await storage(), journal);
    expect(third.queued).toBeGreaterThanOrEqual(3);
    await third.flush();
    expect(third.queued).toBe(0);
    expect(await admin.hgetall(keys.round(hash))).toEqual({ [A]: '160', [B]: '120' });
    expect(await admin.hgetall(keys.roundCurrent)).toEqual({ [A]: '30', [B]: '30' });
    expect(await admin.hget(keys.worker(A), 'hashes')).toBe(String(120 + 40 + 30));
    expect(await admin.hget(keys.stats, 'blocksFound')).toBe('1');
    await third.stop();
  }, 120_000);

  it('slush: scores of batches merged during the outage equal the per-share scores', async () => {
    const journal = newJournal();
    const w = 10; // seconds
    const r = make(await storage(), journal, { slushWeight: w });
    const epoch = Date.now() - 60_000;
    await admin.hset(keys.stats, 'slushEpoch', String(epoch));
    const at = (login: string, diff: number, dt: number) => ({
      login,
      rig: 'r1',
      ip: '10.0.0.1',
      diff,
      solo: false,
      atMs: epoch + dt,
    });
    const shares: [string, number, number][] = [
      [A, 100, 1000],
      [B, 100, 2000],
      [A, 50, 3000],
      [B, 50, 4000],
      [B, 25, 5000],
      [A, 10, 5000],
    ];
    r.add(at(...shares[0]!));
    r.add(at(...shares[1]!));
    await r.flush();
    await down();
    r.add(at(...shares[2]!));
    await expectStorageFailure(r.flush()); // the head: sent, failed
    r.add(at(...shares[3]!));
    await expectStorageFailure(r.flush()); // queued behind it
    r.add(at(...shares[4]!));
    r.add(at(...shares[5]!));
    await expectStorageFailure(r.flush()); // merged into the previous (never sent) batch
    await up();
    await flushWhenBack(r);
    const round = await admin.hgetall(keys.roundCurrent);
    for (const login of [A, B]) {
      const exact = shares
        .filter(([l]) => l === login)
        .reduce((sum, [, d, dt]) => sum + d * Math.exp(dt / 1000 / w), 0);
      expect(Math.abs(Number(round[login]) - exact)).toBeLessThanOrEqual(2); // one rounding per batch written
    }
    await r.stop();
  }, 120_000);

  it('a journal written for another Redis endpoint is set aside, never replayed here', async () => {
    const journal = newJournal();
    writeFileSync(
      journal,
      `${JSON.stringify({ t: 'target', target: 'elsewhere {monero}:' })}\n${JSON.stringify({ t: 'batch', id: 'x-1', p: { id: 'x-1' } })}\n`,
    );
    const r = make(await storage(), journal);
    expect(r.queued).toBe(0);
    expect(statSync(journal).size).toBe(0);
    await r.stop();
  });

  it('a block begun but never settled (the node died while monerod answered) is recorded "unconfirmed" with its round', async () => {
    const journal = newJournal();
    const first = make(await storage(), journal);
    const hash = 'd4'.repeat(32);
    first.add(share(A, 70));
    first.add(share(B, 30));
    // queued and journaled before the submit; the daemon's verdict never comes
    first.beginBlock({ hash, height: 60, timeMs: Date.now(), difficulty: 100n, finder: B, solo: false });
    first.add(share(A, 5)); // mined after the block: next round
    await first.flush(); // stops at the held block: nothing behind it is written either
    expect(await admin.exists(keys.block(hash))).toBe(0);
    expect(await admin.hgetall(keys.roundCurrent)).toEqual({});
    // "kill": dropped as it is
    const second = make(await storage(), journal);
    await second.flush();
    expect(await admin.hget(keys.block(hash), 'submit')).toBe('unconfirmed');
    expect(await admin.zrange(keys.blocksCandidates, '0', '-1')).toEqual([hash]);
    expect(await admin.hgetall(keys.round(hash))).toEqual({ [A]: '70', [B]: '30' });
    expect(await admin.hgetall(keys.roundCurrent)).toEqual({ [A]: '5' });
    expect(statSync(journal).size).toBe(0);
    await second.stop();
  }, 60_000);

  it('a settled or dropped block replays as its verdict; a dropped one leaves its shares in the open round', async () => {
    const journal = newJournal();
    const first = make(await storage(), journal);
    const kept = 'e5'.repeat(32);
    const refused = 'f6'.repeat(32);
    await down();
    first.add(share(A, 11));
    const a = first.beginBlock({
      hash: refused,
      height: 61,
      timeMs: Date.now(),
      difficulty: 100n,
      finder: A,
      solo: false,
    });
    a.drop(); // monerod refused it
    first.add(share(B, 22));
    const b = first.beginBlock({
      hash: kept,
      height: 61,
      timeMs: Date.now(),
      difficulty: 100n,
      finder: B,
      solo: false,
    });
    await expectStorageFailure(b.settle('accepted'));
    first.add(share(A, 3));
    await expectStorageFailure(first.flush());
    const second = make(await storage(false), journal);
    await up();
    await flushWhenBack(second);
    expect(await admin.exists(keys.block(refused))).toBe(0);
    expect(await admin.hget(keys.block(kept), 'submit')).toBe('accepted');
    expect(await admin.hgetall(keys.round(kept))).toEqual({ [A]: '11', [B]: '22' });
    expect(await admin.hgetall(keys.roundCurrent)).toEqual({ [A]: '3' });
    await second.stop();
  }, 120_000);

  it('a long outage: the journal is compacted to what is pending, read back in chunks, and replays exactly', async () => {
    const journal = newJournal();
    const compactBytes = 64 * 1024;
    const first = make(await storage(), journal, { journalCompactBytes: compactBytes });
    await down();
    const logins = Array.from({ length: 60 }, (_, i) => `miner-${String(i).padStart(3, '0')}-${'x'.repeat(40)}`);
    const expected = new Map<string, number>();
    let largest = 0;
    for (let cut = 0; cut < 120; cut++) {
      for (const [i, login] of logins.entries()) {
        const d = 1 + ((cut * 7 + i) % 13);
        first.add(share(login, d));
        expected.set(login, (expected.get(login) ?? 0) + d);
      }
      await expectStorageFailure(first.flush());
      largest = Math.max(largest, statSync(journal).size);
    }
    // 120 merged cuts of 60 miners would be far past 64 KiB appended; compaction keeps the file near what is pending
    expect(largest).toBeLessThan(compactBytes * 4);
    const second = make(await storage(false), journal);
    await up();
    await flushWhenBack(second);
    const round = await admin.hgetall(keys.roundCurrent);
    expect(Object.keys(round).sort()).toEqual([...logins].sort());
    for (const login of logins) expect(round[login]).toBe(String(expected.get(login)));
    await second.stop();
  }, 180_000);

  it('a journal of over 2 MiB (lines across 1 MiB read chunks) opens and replays every record', async () => {
    const journal = newJournal();
    const first = make(await storage(), journal, { journalCompactBytes: 1 << 30 });
    await down();
    let total = 0;
    for (let cut = 0; cut < 40; cut++) {
      for (let i = 0; i < 400; i++) {
        first.add(share(`m${cut}-${i}-${'y'.repeat(60)}`, 2));
        total += 2;
      }
      await expectStorageFailure(first.flush());
    }
    expect(statSync(journal).size).toBeGreaterThan(2 * 1024 * 1024);
    const second = make(await storage(false), journal);
    await up();
    await flushWhenBack(second);
    const round = await admin.hgetall(keys.roundCurrent);
    expect(Object.keys(round)).toHaveLength(40 * 400);
    expect(Object.values(round).reduce((sum, v) => sum + Number(v), 0)).toBe(total);
    await second.stop();
  }, 180_000);

  it('two blocks in flight: the later verdict waits for the earlier one; order and rounds hold, nothing hangs', async () => {
    for (const later of ['settle', 'drop'] as const) {
      await admin.flushall();
      const journal = newJournal();
      const r = make(await storage(), journal);
      const first = (later === 'settle' ? '1a' : '2a').repeat(32);
      const second = (later === 'settle' ? '1b' : '2b').repeat(32);
      r.add(share(A, 10));
      const a = r.beginBlock({ hash: first, height: 70, timeMs: Date.now(), difficulty: 100n, finder: A, solo: false });
      r.add(share(B, 20));
      const b = r.beginBlock({
        hash: second,
        height: 70,
        timeMs: Date.now(),
        difficulty: 100n,
        finder: B,
        solo: false,
      });
      r.add(share(A, 1));
      // the later block's verdict comes first: nothing may be written before the earlier block's verdict
      let secondDone = false;
      const secondRecorded = later === 'settle' ? b.settle('accepted') : (b.drop(), Promise.resolve(false));
      void secondRecorded.then(() => (secondDone = true));
      await r.flush();
      await new Promise((res) => setTimeout(res, 100));
      expect(await admin.exists(keys.block(first), keys.block(second))).toBe(0);
      expect(later === 'drop' || !secondDone).toBe(true);
      // the earlier verdict: both go, in order
      expect(await a.settle('accepted')).toBe(true);
      expect(await secondRecorded).toBe(later === 'settle');
      await r.flush();
      expect(await admin.hgetall(keys.round(first))).toEqual({ [A]: '10' });
      if (later === 'settle') {
        expect(await admin.hgetall(keys.round(second))).toEqual({ [B]: '20' });
        expect(await admin.hgetall(keys.roundCurrent)).toEqual({ [A]: '1' });
      } else {
        expect(await admin.exists(keys.block(second))).toBe(0);
        expect(await admin.hgetall(keys.roundCurrent)).toEqual({ [B]: '20', [A]: '1' });
      }
      expect(r.queued).toBe(0);
      // a verdict given twice changes nothing
      expect(await a.settle('unconfirmed')).toBe(true);
      expect(await admin.hget(keys.block(first), 'submit')).toBe('accepted');
      await r.stop();
    }
  }, 60_000);

  it('compaction with a held, a settled and a dropped block, then records appended after it, replays exactly', async () => {
    const journal = newJournal();
    const first = make(await storage(), journal, { journalCompactBytes: 2048 });
    const kept = 'a7'.repeat(32);
    const refused = 'b8'.repeat(32);
    const held = 'c9'.repeat(32);
    await down();
    const big = (n: number) => `${n}-${'z'.repeat(300)}`;
    first.add(share(big(1), 5));
    first
      .beginBlock({ hash: refused, height: 80, timeMs: Date.now(), difficulty: 100n, finder: A, solo: false })
      .drop();
    first.add(share(big(2), 6));
    await expectStorageFailure(
      first
        .beginBlock({ hash: kept, height: 80, timeMs: Date.now(), difficulty: 100n, finder: B, solo: false })
        .settle('accepted'),
    );
    first.add(share(big(3), 7));
    const h = first.beginBlock({
      hash: held,
      height: 81,
      timeMs: Date.now(),
      difficulty: 100n,
      finder: A,
      solo: false,
    });
    first.add(share(big(4), 8));
    await expectStorageFailure(first.flush()); // a held block: the cut compacts nothing yet
    h.settle('unconfirmed').catch(() => undefined);
    for (let i = 0; i < 5; i++) {
      first.add(share(big(5), 1));
      await expectStorageFailure(first.flush()); // cuts: compaction runs now, records follow it
    }
    const text = readFileSync(journal, 'utf8');
    expect(text.split('\n').filter((l) => l.includes('"t":"settle"') || l.includes('"t":"drop"')).length).toBeLessThan(
      3,
    );
    const second = make(await storage(false), journal);
    await up();
    await flushWhenBack(second);
    expect(await admin.exists(keys.block(refused))).toBe(0);
    expect(await admin.hgetall(keys.round(kept))).toEqual({ [big(1)]: '5', [big(2)]: '6' });
    expect(await admin.hget(keys.block(held), 'submit')).toBe('unconfirmed');
    expect(await admin.hgetall(keys.round(held))).toEqual({ [big(3)]: '7' });
    expect(await admin.hgetall(keys.roundCurrent)).toEqual({ [big(4)]: '8', [big(5)]: '5' });
    await second.stop();
  }, 120_000);
});
