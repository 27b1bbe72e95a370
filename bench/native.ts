/**
 * Native RandomX benchmark: the addon (native/index.ts) against a C loop over the same librandomx
 * (native/bench/ref.c, built with gcc into build/bench/randomx-ref), and the event loop's worst stall while the
 * addon hashes.
 *
 * Cases: light mode with 1 and 2 threads; fast mode (dataset, all cores) only when asked (BENCH_FAST=1 or --fast)
 * and os.freemem() > 4 GiB (each side builds a 2080 MiB dataset, ~45 s on 2 cores).
 * Row shape (one per case): { suite: 'native', case, mode, threads, hashes, addonHashesPerSecond,
 *   addonHashesPerSecondPerThread, refHashesPerSecond, ratioToC (addon / C), eventLoopMaxStallMs,
 *   eventLoopP99Ms, addonSeedReadySeconds, refInitSeconds, flags } (the 2-thread light row adds addonScaling2t and
 *   refScaling2t: total H/s at 2 threads over 1 thread) or { suite, case, skipped: reason }.
 * Both sides time the hashing phase only (seed ready and one VM per thread created first), N hashes of the 76-byte
 * test blob with distinct nonces. Figures are one run's measurements on a shared machine: read them as ratios.
 * Env: BENCH_NATIVE_HASHES = hashes per thread (default 60 light, 1000 fast).
 * Run alone: `node bin/run-ts.mjs bench/native.ts [--fast]` (prints the rows as JSON and a table).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, freemem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createHasher, type HasherMode } from '../native/index.js';
import { buildRef } from '../native/bench/build-ref.js';

const KEY = new TextEncoder().encode('test key 000'); // the key ref.c uses
const BLOB_HEX =
  '0b0b98bea7e805e0010a2126d287a2a0cc833d312cb786385a7c2f9de69d25537f584a9bc9977b00000000666fd8753bf61a8631f12984e3fd44f4014eca629276817b56f32e9b68bd82f416';
const GiB = 1024 ** 3;
// Published vector for KEY (docs/mining-math.md, RandomX): every run checks the addon's answers in the mode it ran.
const VECTOR_INPUT = new TextEncoder().encode('This is a test');
const VECTOR_HASH = '639183aae1bf4c9a35884cb46b09cad9175f04efd7684e7262a0ac1c2f0b4e3f';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface RefResult {
  hashesPerSecond: number;
  threads: number;
  mode: HasherMode;
  hashes: number;
  seconds: number;
  initSeconds: number;
  flags: number;
  vectorOk: boolean;
}

interface AddonResult {
  hashesPerSecond: number;
  seedReadySeconds: number;
  eventLoopMaxStallMs: number;
  eventLoopP99Ms: number;
}

function blob(nonce: number): Uint8Array {
  const b = new Uint8Array(Buffer.from(BLOB_HEX, 'hex'));
  new DataView(b.buffer).setUint32(39, nonce >>> 0, true);
  return b;
}

function runRef(mode: HasherMode, threads: number, hashes: number): RefResult {
  const out = execFileSync(buildRef(), ['--mode', mode, '--threads', String(threads), '--hashes', String(hashes)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const r = JSON.parse(out.trim()) as RefResult;
  if (!r.vectorOk) throw new Error('C reference: test vector mismatch');
  return r;
}

async function runAddon(mode: HasherMode, threads: number, hashes: number): Promise<AddonResult> {
  const hasher = createHasher({ mode, threads });
  try {
    const tReady = performance.now();
    const readyP = hasher.prepareKey(KEY);
    // Asked before the seed is ready: in fast mode this one runs in light mode while the dataset builds.
    const early = await hasher.hashWithKey(KEY, VECTOR_INPUT);
    const ready = await readyP;
    const seedReadySeconds = (performance.now() - tReady) / 1000;
    if (ready !== mode) throw new Error(`hasher came up in ${ready} mode, wanted ${mode}`);
    if (hex(early) !== VECTOR_HASH) throw new Error(`${mode}: wrong hash before the seed was ready`);
    // Warm-up: let every worker create its VM for this seed.
    await Promise.all(Array.from({ length: threads * 2 }, (_, i) => hasher.hashWithKey(KEY, blob(0x8000_0000 + i))));

    const delay = monitorEventLoopDelay({ resolution: STALL_RESOLUTION_MS });
    delay.enable();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: hashes }, (_, i) => hasher.hashWithKey(KEY, blob(i))));
    const seconds = (performance.now() - t0) / 1000;
    delay.disable();
    if (hex(await hasher.hashWithKey(KEY, VECTOR_INPUT)) !== VECTOR_HASH) throw new Error(`${mode}: wrong hash`);
    return {
      hashesPerSecond: hashes / seconds,
      seedReadySeconds,
      // the histogram records whole sampling intervals: subtract the interval to get the delay beyond it
      eventLoopMaxStallMs: Math.max(0, delay.max / 1e6 - STALL_RESOLUTION_MS),
      eventLoopP99Ms: Math.max(0, delay.percentile(99) / 1e6 - STALL_RESOLUTION_MS),
    };
  } finally {
    await hasher.close();
  }
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const STALL_RESOLUTION_MS = 1;

async function benchCase(mode: HasherMode, threads: number, perThread: number): Promise<Record<string, unknown>> {
  const hashes = perThread * threads;
  const ref = runRef(mode, threads, hashes);
  const addon = await runAddon(mode, threads, hashes);
  return {
    suite: 'native',
    case: `${mode} ${threads}t`,
    mode,
    threads,
    hashes,
    addonHashesPerSecond: round(addon.hashesPerSecond),
    addonHashesPerSecondPerThread: round(addon.hashesPerSecond / threads),
    refHashesPerSecond: round(ref.hashesPerSecond),
    ratioToC: round(addon.hashesPerSecond / ref.hashesPerSecond, 3),
    eventLoopMaxStallMs: round(addon.eventLoopMaxStallMs, 1),
    eventLoopP99Ms: round(addon.eventLoopP99Ms, 1),
    addonSeedReadySeconds: round(addon.seedReadySeconds),
    refInitSeconds: round(ref.initSeconds),
    flags: ref.flags,
  };
}

export interface BenchNativeOptions {
  /** Include fast mode (also BENCH_FAST=1 or --fast); still skipped when os.freemem() <= 4 GiB. */
  fast?: boolean;
  /** Hashes per thread (also BENCH_NATIVE_HASHES). */
  hashesPerThread?: number;
}

export async function benchNative(opts: BenchNativeOptions = {}): Promise<Record<string, unknown>[]> {
  const envHashes = Number(process.env['BENCH_NATIVE_HASHES']);
  const perThread = (light: boolean): number =>
    opts.hashesPerThread ?? (Number.isInteger(envHashes) && envHashes > 0 ? envHashes : light ? 60 : 1000);
  const rows: Record<string, unknown>[] = [];
  const one = await benchCase('light', 1, perThread(true));
  const two = await benchCase('light', 2, perThread(true));
  // 2-thread scaling: total H/s with 2 threads over 1 thread (2.0 = perfect), for the addon and the C loop.
  two['addonScaling2t'] = round(Number(two['addonHashesPerSecond']) / Number(one['addonHashesPerSecond']), 3);
  two['refScaling2t'] = round(Number(two['refHashesPerSecond']) / Number(one['refHashesPerSecond']), 3);
  rows.push(one, two);

  const wantFast = opts.fast ?? (process.env['BENCH_FAST'] === '1' || process.argv.includes('--fast'));
  if (!wantFast) {
    rows.push({ suite: 'native', case: 'fast', skipped: 'not requested (BENCH_FAST=1 or --fast)' });
  } else if (freemem() <= 4 * GiB) {
    rows.push({ suite: 'native', case: 'fast', skipped: `needs > 4 GiB free, have ${round(freemem() / GiB)} GiB` });
  } else {
    rows.push(await benchCase('fast', availableParallelism(), perThread(false)));
  }
  return rows;
}

/** True when this file is the entry point (directly, or through bin/run-ts.mjs which sets argv[1] to it). */
function isEntry(): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (isEntry()) {
  const rows = await benchNative();
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  console.table(rows);
}
