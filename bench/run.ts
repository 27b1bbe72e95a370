/**
 * `npm run bench`: every benchmark in one run. Writes bench/results/<ISO time>.json (machine, node version, rows)
 * and prints a table. Figures are measured, never asserted: targets are noted beside them for the reader.
 *   native.ts  RandomX hashes/s per thread vs the C reference loop, 2-thread scaling, fast mode if asked, stall
 *   shares.ts  full-path share validation over TCP, hashed and trusted
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchNative } from './native.js';
import { benchShares } from './shares.js';

const rows: Record<string, unknown>[] = [];
rows.push(...(await benchNative()));
rows.push(...((await benchShares()) as unknown as Record<string, unknown>[]));

const out = {
  at: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  targets: { nativeToCRatio: '>= 0.95', maxEventLoopStallMs: '< 10' },
  rows,
};
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${out.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.table(
  rows.map((r) =>
    'sharesPerSecond' in r
      ? { case: r.name, 'per second': r.sharesPerSecond, 'vs C': '', 'hashed by pool': `${String(r.hashedByPool)}/${String(r.shares)}`, 'max stall ms': r.maxEventLoopStallMs }
      : 'skipped' in r
        ? { case: `${String(r.suite)} ${String(r.case)}`, 'per second': 'skipped', 'vs C': '', 'hashed by pool': '', 'max stall ms': String(r.skipped) }
        : { case: `RandomX ${String(r.case)} (H/s per thread)`, 'per second': r.addonHashesPerSecondPerThread, 'vs C': r.ratioToC, 'hashed by pool': '', 'max stall ms': r.eventLoopMaxStallMs },
  ),
);
console.log(`results written to ${file}`);
