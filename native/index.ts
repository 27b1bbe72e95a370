/**
 * RandomX hashing for the pool: a TS face over the N-API addon build/Release/randomx.node (sources native/src/,
 * built by `node-gyp rebuild` from binding.gyp at the repo root; links Debian's librandomx).
 *
 * Data model:
 *  - A Hasher owns N native worker threads (default: the number of cores), each with its own randomx_vm per seed,
 *    over read-only caches (light mode, 256 MiB per seed) or datasets (fast mode, 2080 MiB per seed, built on all
 *    cores; hashes run in light mode until it is ready). Everything runs off the event loop; results come back as
 *    promises.
 *  - Seeds: key bytes -> {cache, dataset?}. A pool seed is the 64-hex seed hash of docs/mining-math.md §5, passed to
 *    RandomX as its 32 raw bytes; `hashWithKey` takes any key bytes (e.g. the ASCII test keys). At most `maxSeeds`
 *    (2: current and previous) stay live; a further seed evicts the least recently used one not in use. A new
 *    seed's cache is built once, on a native thread, however many hashes ask for it at the same time.
 *  - CPU priority (opt-in): with `niceness` > 0, each native thread on Linux (hashing workers, seed and dataset
 *    initialisation; never Node's main thread) sets itself to SCHED_BATCH and that nice value when it starts. Off by
 *    default (0): measured here, it barely helps the event loop on a quiet host, and when other processes (monerod,
 *    redis) load the CPU it cut share checking to a sixth and made the worst stalls longer. Best effort: if the
 *    kernel refuses, hashing runs at normal priority.
 *  - The queue is bounded (`maxQueue` accepted and unfinished jobs); beyond it `hash` rejects at once (reason
 *    'queue-full') so the caller can shed load.
 *  - Keccak (native/src/keccak.cc): `keccak256` and `minerJobRoot` are plain synchronous functions on the calling
 *    thread, no state; `minerJobRoot` is the per-miner half of a job blob (shared/monero/job-blob.ts), written into
 *    the caller's buffer without allocating.
 *  - Errors: PoolError(ERRORS.HASHER_FAILED) with details.reason 'bad-seed' | 'bad-input' | 'queue-full' | 'closed'
 *    | 'native' | 'not-built'.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { ERRORS, PoolError } from '../shared/errors.js';

export type HasherMode = 'light' | 'fast';

export interface HasherOptions {
  mode?: HasherMode;
  /** Hashing threads (default: os.availableParallelism()). */
  threads?: number;
  /** Max hashes accepted and not yet finished (default 4096). */
  maxQueue?: number;
  /** Live seeds kept (default 2: current + previous). */
  maxSeeds?: number;
  /** Threads that build a fast-mode dataset (default: all cores). */
  datasetThreads?: number;
  /** Linux nice value 0..19 (+ SCHED_BATCH) for the native threads, so they yield to the event loop (default 0 = unchanged; see the top comment). */
  niceness?: number;
}

export interface HasherSeedStats {
  /** Key bytes as hex (a pool seed hash reads as its usual 64-hex form). */
  key: string;
  state: 'initializing' | 'ready';
  dataset: 'none' | 'building' | 'ready' | 'failed';
  inflight: number;
}

export interface HasherStats {
  threads: number;
  fast: boolean;
  /** randomx_get_flags() (FULL_MEM is added for fast VMs). */
  flags: number;
  queued: number;
  outstanding: number;
  cacheInits: number;
  datasetInits: number;
  evictions: number;
  hashes: number;
  failures: number;
  /** Most recently used first. */
  seeds: HasherSeedStats[];
}

export interface Hasher {
  /** RandomX hash of a hashing blob under a 64-hex seed hash (the key is its 32 raw bytes). */
  hash(seedHex: string, blob: Uint8Array): Promise<Uint8Array>;
  /** RandomX hash under arbitrary key bytes. */
  hashWithKey(key: Uint8Array, input: Uint8Array): Promise<Uint8Array>;
  /** Builds a seed ahead of use (e.g. the next seed hash); resolves with the mode its hashes will run in. */
  prepareSeed(seedHex: string): Promise<HasherMode>;
  prepareKey(key: Uint8Array): Promise<HasherMode>;
  stats(): HasherStats;
  readonly mode: HasherMode;
  readonly threads: number;
  /** Finishes the accepted hashes, stops the threads and frees every cache and dataset. Idempotent. */
  close(): Promise<void>;
}

interface NativePool {
  hash(key: Uint8Array, input: Uint8Array): Promise<Uint8Array>;
  prepare(key: Uint8Array): Promise<HasherMode>;
  close(): Promise<void>;
  stats(): HasherStats;
}

interface NativeBinding {
  Pool: new (opts: {
    fast: boolean;
    threads: number;
    maxQueue?: number;
    maxSeeds?: number;
    datasetThreads?: number;
    niceness?: number;
  }) => NativePool;
  hashSync(key: Uint8Array, input: Uint8Array): Uint8Array;
  releaseSync(): void;
  info(): { flags: number; hardwareConcurrency: number; datasetItemCount: number };
  keccak256(data: Uint8Array): Uint8Array;
  minerJobRoot(prefix: Uint8Array, branch: Uint8Array, out: Uint8Array, outOffset: number): void;
}

const ADDON_PATH = '../build/Release/randomx.node';
let binding: NativeBinding | undefined;

function loadBinding(): NativeBinding {
  if (binding) return binding;
  let loaded: NativeBinding;
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as NativeBinding;
  } catch (e) {
    throw new PoolError(
      ERRORS.HASHER_FAILED,
      'RandomX addon build/Release/randomx.node cannot be loaded (run `npm rebuild` with librandomx-dev installed)',
      { reason: 'not-built' },
      { cause: e },
    );
  }
  // an addon built from older sources (a `git pull` without a rebuild) lacks newer functions: refuse it at once
  // rather than fail later on the first miner's job
  for (const name of ['Pool', 'info', 'keccak256', 'minerJobRoot'] as const) {
    if (typeof loaded[name] !== 'function') {
      throw new PoolError(
        ERRORS.HASHER_FAILED,
        `RandomX addon build/Release/randomx.node is out of date (no ${name}): run \`npm rebuild\``,
        { reason: 'not-built' },
      );
    }
  }
  binding = loaded;
  return binding;
}

const NATIVE_REASONS: Record<string, string> = {
  CLOSED: 'closed',
  QUEUE_FULL: 'queue-full',
  BAD_ARGUMENT: 'bad-input',
  NATIVE: 'native',
};

function toPoolError(e: unknown): PoolError {
  if (e instanceof PoolError) return e;
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  const reason = (typeof code === 'string' && NATIVE_REASONS[code]) || 'native';
  const message = e instanceof Error ? e.message : String(e);
  return new PoolError(ERRORS.HASHER_FAILED, `RandomX: ${message}`, { reason }, { cause: e });
}

/** Nice value of the native threads unless HasherOptions.niceness says otherwise. */
export const DEFAULT_NICENESS = 0;

const SEED_HEX = /^[0-9a-fA-F]{64}$/;

/** A 64-hex seed hash as the 32 raw key bytes RandomX takes. */
export function seedHexToKey(seedHex: string): Uint8Array {
  if (typeof seedHex !== 'string' || !SEED_HEX.test(seedHex)) {
    throw new PoolError(ERRORS.HASHER_FAILED, 'seed hash must be 64 hex digits', { reason: 'bad-seed' });
  }
  return new Uint8Array(Buffer.from(seedHex, 'hex'));
}

function checkBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new PoolError(ERRORS.HASHER_FAILED, `${what} must be a Uint8Array`, { reason: 'bad-input' });
  }
}

function positiveInt(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new PoolError(ERRORS.HASHER_FAILED, `${what} must be a positive integer`, { reason: 'bad-input' });
  }
  return value;
}

/** Starts a hasher: `mode` 'light' (default) or 'fast', `threads` default = number of cores. */
export function createHasher(opts: HasherOptions = {}): Hasher {
  const mode: HasherMode = opts.mode ?? 'light';
  if (mode !== 'light' && mode !== 'fast') {
    throw new PoolError(ERRORS.HASHER_FAILED, `unknown hasher mode ${String(mode)}`, { reason: 'bad-input' });
  }
  const threads = positiveInt(opts.threads, 'threads') ?? availableParallelism();
  const nativeOpts = {
    fast: mode === 'fast',
    threads,
    maxQueue: positiveInt(opts.maxQueue, 'maxQueue'),
    maxSeeds: positiveInt(opts.maxSeeds, 'maxSeeds'),
    datasetThreads: positiveInt(opts.datasetThreads, 'datasetThreads'),
    niceness: opts.niceness ?? DEFAULT_NICENESS,
  };
  if (!Number.isInteger(nativeOpts.niceness) || nativeOpts.niceness < 0 || nativeOpts.niceness > 19) {
    throw new PoolError(ERRORS.HASHER_FAILED, 'niceness must be an integer in [0, 19]', { reason: 'bad-input' });
  }
  const native = loadBinding();
  let pool: NativePool;
  try {
    pool = new native.Pool(nativeOpts);
  } catch (e) {
    throw toPoolError(e);
  }
  let closing: Promise<void> | undefined;

  const run = <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return f().catch((e: unknown) => Promise.reject(toPoolError(e)));
    } catch (e) {
      return Promise.reject(toPoolError(e));
    }
  };

  return {
    mode,
    threads,
    hash(seedHex, blob) {
      return run(() => {
        checkBytes(blob, 'blob');
        return pool.hash(seedHexToKey(seedHex), blob);
      });
    },
    hashWithKey(key, input) {
      return run(() => {
        checkBytes(key, 'key');
        checkBytes(input, 'input');
        return pool.hash(key, input);
      });
    },
    prepareSeed(seedHex) {
      return run(() => pool.prepare(seedHexToKey(seedHex)));
    },
    prepareKey(key) {
      return run(() => {
        checkBytes(key, 'key');
        return pool.prepare(key);
      });
    },
    stats() {
      return pool.stats();
    },
    close() {
      closing ??= run(() => pool.close());
      return closing;
    },
  };
}

/** Blocking RandomX hash in light mode (the cache of the last key is kept). For tests and benchmarks only. */
export function randomxHashSync(keyBytes: Uint8Array, input: Uint8Array): Uint8Array {
  checkBytes(keyBytes, 'key');
  checkBytes(input, 'input');
  try {
    return loadBinding().hashSync(keyBytes, input);
  } catch (e) {
    throw toPoolError(e);
  }
}

/** Frees the 256 MiB cache randomxHashSync keeps. */
export function releaseSyncHasher(): void {
  loadBinding().releaseSync();
}

/** librandomx facts: recommended flags, core count, dataset item count. */
export function randomxInfo(): { flags: number; hardwareConcurrency: number; datasetItemCount: number } {
  return loadBinding().info();
}

/** Original Keccak-256 (Monero's cn_fast_hash, padding 0x01), computed natively: same bytes as shared/monero/keccak.ts. */
export function keccak256(data: Uint8Array): Uint8Array {
  try {
    return loadBinding().keccak256(data);
  } catch (e) {
    throw toPoolError(e);
  }
}

/**
 * A job's merkle root for one miner tx prefix (extra nonce already written in), natively: keccak(prefix), then
 * keccak(that || keccak(0x00) || 32 zero bytes) (the miner txid), then keccak(acc || sibling) for each 32-byte sibling
 * of `branch` (leaf 0's merkle branch, bottom up, concatenated). Writes the 32-byte root to out[outOffset..+32].
 * Matches shared/monero/job-blob.ts's MinerJobRoot, so it can be handed to jobBlobMaker.
 */
export function minerJobRoot(prefix: Uint8Array, branch: Uint8Array, out: Uint8Array, outOffset: number): void {
  try {
    loadBinding().minerJobRoot(prefix, branch, out, outOffset);
  } catch (e) {
    throw toPoolError(e);
  }
}
