// RandomX addon (native/): official vectors through the sync and async paths, concurrency across seeds, seed
// switching and eviction, the event loop staying responsive, errors. Light mode only (fast mode needs 2 GiB and
// ~45 s per seed: it is exercised by bench/native.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import {
  createHasher,
  DEFAULT_NICENESS,
  randomxHashSync,
  releaseSyncHasher,
  seedHexToKey,
  type Hasher,
} from '../native/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

const BLOB_HEX =
  '0b0b98bea7e805e0010a2126d287a2a0cc833d312cb786385a7c2f9de69d25537f584a9bc9977b00000000666fd8753bf61a8631f12984e3fd44f4014eca629276817b56f32e9b68bd82f416';
const LONG = 'sed do eiusmod tempor incididunt ut labore et dolore magna aliqua';

// docs/mining-math.md §5 (RandomX's own test vectors).
const VECTORS: { key: string; input: Uint8Array; hash: string }[] = [
  {
    key: 'test key 000',
    input: enc('This is a test'),
    hash: '639183aae1bf4c9a35884cb46b09cad9175f04efd7684e7262a0ac1c2f0b4e3f',
  },
  {
    key: 'test key 000',
    input: enc('Lorem ipsum dolor sit amet'),
    hash: '300a0adb47603dedb42228ccb2b211104f4da45af709cd7547cd049e9489c969',
  },
  { key: 'test key 000', input: enc(LONG), hash: 'c36d4ed4191e617309867ed66a443be4075014e2b061bcdaf9ce7b721d2b77a8' },
  { key: 'test key 001', input: enc(LONG), hash: 'e9ff4503201c0c2cca26d285c93ae883f9b1d30c9eb240b820756f2d5a7905fc' },
  {
    key: 'test key 001',
    input: unhex(BLOB_HEX),
    hash: 'c56414121acda1713c2f2a819d8ae38aed7c80c35c2a769298d34f03833cd5f1',
  },
];

// Three 32-byte seed hashes (any bytes do; these are just distinct).
const SEED_A = '1111111111111111111111111111111111111111111111111111111111111111';
const SEED_B = '2222222222222222222222222222222222222222222222222222222222222222';
const SEED_C = '3333333333333333333333333333333333333333333333333333333333333333';

function blobWithNonce(n: number): Uint8Array {
  const b = unhex(BLOB_HEX);
  new DataView(b.buffer).setUint32(39, n, true);
  return b;
}

async function expectHasherError(p: Promise<unknown>, reason: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isPoolError(e, ERRORS.HASHER_FAILED)).toBe(true);
  expect((e as { details?: { reason?: string } }).details?.reason).toBe(reason);
}

describe('randomxHashSync', () => {
  afterAll(() => releaseSyncHasher());

  it('matches the five official vectors', () => {
    for (const v of VECTORS) expect(hex(randomxHashSync(enc(v.key), v.input))).toBe(v.hash);
  }, 60_000);

  it('rejects non-bytes with HASHER_FAILED', () => {
    expect(() => randomxHashSync('k' as unknown as Uint8Array, enc('x'))).toThrowError(/Uint8Array/);
  });
});

describe('createHasher (light mode)', () => {
  let hasher: Hasher;
  beforeAll(() => {
    hasher = createHasher({ threads: 2 });
  });
  afterAll(async () => {
    await hasher.close();
  });

  it('reports its mode and threads', () => {
    expect(hasher.mode).toBe('light');
    expect(hasher.threads).toBe(2);
    const d = createHasher();
    expect(d.threads).toBeGreaterThanOrEqual(1);
    return d.close();
  });

  it('matches the five official vectors (async, arbitrary keys)', async () => {
    const got = await Promise.all(VECTORS.map((v) => hasher.hashWithKey(enc(v.key), v.input)));
    expect(got.map(hex)).toEqual(VECTORS.map((v) => v.hash));
    for (const h of got) expect(h).toBeInstanceOf(Uint8Array);
  }, 60_000);

  it('50 concurrent hashes across 2 seeds give the right answers, one cache build per seed', async () => {
    const before = hasher.stats();
    const jobs = Array.from({ length: 50 }, (_, i) => VECTORS[(i * 7) % VECTORS.length]!);
    const got = await Promise.all(jobs.map((v) => hasher.hashWithKey(enc(v.key), v.input)));
    expect(got.map(hex)).toEqual(jobs.map((v) => v.hash));
    const after = hasher.stats();
    expect(after.cacheInits).toBe(before.cacheInits); // both keys already live: no rebuild
    expect(after.hashes - before.hashes).toBe(50);
    expect(after.outstanding).toBe(0);
  }, 120_000);

  it('hashes under 64-hex seed hashes exactly like the sync path on the 32 raw bytes', async () => {
    const blob = blobWithNonce(0x01020304);
    const want = hex(randomxHashSync(seedHexToKey(SEED_A), blob));
    expect(hex(await hasher.hash(SEED_A, blob))).toBe(want);
    expect(hex(await hasher.hash(SEED_A.toUpperCase(), blob))).toBe(want);
  }, 60_000);

  it('rejects a bad seed hash and non-bytes with HASHER_FAILED', async () => {
    await expectHasherError(hasher.hash('abcd', enc('x')), 'bad-seed');
    await expectHasherError(hasher.hash('zz'.repeat(32), enc('x')), 'bad-seed');
    await expectHasherError(hasher.hash(SEED_A, 'x' as unknown as Uint8Array), 'bad-input');
  });
});

describe('seed lifecycle', () => {
  it('builds a new seed once for many concurrent hashes, switches seeds and back, evicts the oldest', async () => {
    const h = createHasher({ threads: 2 });
    try {
      const blobs = [1, 2, 3].map(blobWithNonce);
      const want = new Map<string, string[]>();
      for (const seed of [SEED_A, SEED_B, SEED_C]) {
        want.set(
          seed,
          blobs.map((b) => hex(randomxHashSync(seedHexToKey(seed), b))),
        );
      }
      releaseSyncHasher();
      const check = async (seed: string): Promise<void> => {
        const got = await Promise.all(blobs.map((b) => h.hash(seed, b)));
        expect(got.map(hex)).toEqual(want.get(seed));
      };

      // 20 hashes ask for a new seed at once: one cache build.
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => h.hash(SEED_A, blobs[i % 3]!)));
      expect(many.map(hex)).toEqual(Array.from({ length: 20 }, (_, i) => want.get(SEED_A)![i % 3]));
      expect(h.stats().cacheInits).toBe(1);

      await check(SEED_B); // switch
      await check(SEED_A); // and back: still live, no rebuild
      expect(h.stats().cacheInits).toBe(2);
      expect(h.stats().seeds.map((s) => s.key)).toEqual([SEED_A, SEED_B]);

      await check(SEED_C); // a third seed evicts the least recently used (B)
      let st = h.stats();
      expect(st.cacheInits).toBe(3);
      expect(st.evictions).toBe(1);
      expect(st.seeds.map((s) => s.key)).toEqual([SEED_C, SEED_A]);

      await check(SEED_B); // B comes back: rebuilt, A evicted
      st = h.stats();
      expect(st.cacheInits).toBe(4);
      expect(st.seeds.map((s) => s.key)).toEqual([SEED_B, SEED_C]);

      // Both old and new seeds in flight at once while a third arrives: all answers right.
      const mixed = [SEED_A, SEED_B, SEED_C, SEED_A, SEED_C, SEED_B];
      const got = await Promise.all(mixed.map((s, i) => h.hash(s, blobs[i % 3]!)));
      expect(got.map(hex)).toEqual(mixed.map((s, i) => want.get(s)![i % 3]));
      expect(h.stats().seeds.length).toBeLessThanOrEqual(2);

      expect(await h.prepareSeed(SEED_A)).toBe('light');
    } finally {
      await h.close();
    }
  }, 180_000);
});

describe('event loop', () => {
  it('keeps ticking while a batch of hashes runs (hashing is off the main thread)', async () => {
    const h = createHasher({ threads: 2 });
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 10);
    const t0 = performance.now();
    try {
      let n = 0;
      // A new seed (cache build) plus hashes until more than a second of work has gone by.
      while (performance.now() - t0 < 1200) {
        await Promise.all(Array.from({ length: 8 }, () => h.hash(SEED_B, blobWithNonce(n++))));
      }
    } finally {
      clearInterval(timer);
      await h.close();
    }
    const elapsed = performance.now() - t0;
    const inside = [t0, ...ticks.filter((t) => t <= t0 + elapsed)];
    let maxGap = 0;
    for (let i = 1; i < inside.length; i++) maxGap = Math.max(maxGap, inside[i]! - inside[i - 1]!);
    expect(elapsed).toBeGreaterThan(1000);
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    // Loose: a hash on the main thread would stall the loop for the whole batch.
    expect(maxGap).toBeLessThan(elapsed / 2);
  }, 60_000);
});

// Every thread of this process: nice (field 19 of /proc/<pid>/task/<tid>/stat) and scheduling policy (field 41).
function threadSched(): { tid: number; nice: number; policy: number }[] {
  const out: { tid: number; nice: number; policy: number }[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread has exited
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (the comm may hold spaces)
    out.push({ tid: Number(tid), nice: Number(f[19 - 3]), policy: Number(f[41 - 3]) });
  }
  return out;
}

describe('thread priority', () => {
  const SCHED_OTHER = 0;
  const SCHED_BATCH = 3;

  it.runIf(process.platform === 'linux')(
    'hashing threads run at the requested niceness under SCHED_BATCH; the JS thread keeps its own',
    async () => {
      const jsNice = getPriority(); // this (the JS) thread's nice
      const key = enc('test key 000');
      for (const requested of [7, undefined, 0]) {
        const h = createHasher({ threads: 2, niceness: requested });
        try {
          const batch = Array.from({ length: 8 }, (_, i) => h.hashWithKey(key, blobWithNonce(i)));
          await batch[0]; // the seed is ready and both workers are up; the rest are still hashing
          const threads = threadSched();
          await Promise.all(batch);
          const main = threads.find((t) => t.tid === process.pid);
          expect(main).toBeDefined();
          expect(main!.policy).toBe(SCHED_OTHER);
          expect(getPriority()).toBe(jsNice);
          const batchThreads = threads.filter((t) => t.policy === SCHED_BATCH);
          const effective = requested ?? DEFAULT_NICENESS;
          if (effective === 0) {
            expect(batchThreads).toEqual([]); // 0 = leave the threads alone
          } else {
            // A thread that is already nicer keeps its value (nice is only ever lowered).
            const want = Math.max(effective, jsNice);
            expect(batchThreads.filter((t) => t.nice === want).length).toBeGreaterThanOrEqual(2); // both workers
            expect(batchThreads.map((t) => t.tid)).not.toContain(process.pid);
          }
        } finally {
          await h.close();
        }
      }
    },
    120_000,
  );

  it('rejects a niceness outside 0..19', () => {
    for (const niceness of [-1, 20, 1.5]) {
      let err: unknown;
      try {
        createHasher({ threads: 1, niceness });
      } catch (e) {
        err = e;
      }
      expect(isPoolError(err, ERRORS.HASHER_FAILED)).toBe(true);
      expect((err as { details?: { reason?: string } }).details?.reason).toBe('bad-input');
    }
  });
});

describe('queue bound and close', () => {
  it('rejects beyond maxQueue, drains on close, rejects after close', async () => {
    const h = createHasher({ threads: 1, maxQueue: 2 });
    const k = enc('test key 000');
    const a = h.hashWithKey(k, VECTORS[0]!.input);
    const b = h.hashWithKey(k, VECTORS[1]!.input);
    await expectHasherError(h.hashWithKey(k, VECTORS[2]!.input), 'queue-full');
    const closed = h.close();
    expect(h.close()).toBe(closed);
    // accepted work still completes
    expect(hex(await a)).toBe(VECTORS[0]!.hash);
    expect(hex(await b)).toBe(VECTORS[1]!.hash);
    await closed;
    await expectHasherError(h.hashWithKey(k, VECTORS[0]!.input), 'closed');
    await expectHasherError(h.hash(SEED_A, enc('x')), 'closed');
  }, 60_000);
});
