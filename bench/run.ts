/**
 * `npm run bench`: every benchmark in one run. Writes bench/results/<ISO time>.json (machine, node version, rows)
 * and prints a table. Figures are measured, never asserted: targets are noted beside them for the reader.
 *   native.ts  RandomX hashes/s per thread vs the C reference loop, 2-thread scaling, fast mode if asked, stall
 *   shares.ts  full-path share validation over TCP, hashed and trusted
 *   keccak.ts  per-miner cost of a job broadcast's blob, JS Keccak vs the addon's (also alone: `npm run bench -- keccak`,
 *              written to bench/results/keccak-<ISO time>.json)
 * `npm run bench -- load [--connections N] [--flood-seconds S] [--flood-rate R] [--fast]` runs only load.ts instead: 19,000
 * miners on one node, login burst, memory per connection, block to job, a forged-share flood (see load.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const suite = args[0] === 'load' ? 'load' : args[0] === 'keccak' ? 'keccak' : 'default';
const rows: Record<string, unknown>[] = [];
// imported per suite: a suite's imports (test fixtures) never load for the other
if (suite === 'load') {
  const { benchLoad, loadOptions } = await import('./load.js');
  rows.push(...(await benchLoad(loadOptions(args.slice(1)))));
} else if (suite === 'keccak') {
  const { benchKeccak } = await import('./keccak.js');
  rows.push(...benchKeccak());
} else {
  const { benchNative } = await import('./native.js');
  const { benchShares } = await import('./shares.js');
  rows.push(...(await benchNative()));
  rows.push(...((await benchShares()) as unknown as Record<string, unknown>[]));
  const { benchKeccak } = await import('./keccak.js');
  rows.push(...benchKeccak());
}

const out = {
  at: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  /** 1/5/15-minute load averages when the run ended (other work on the machine slows every figure). */
  loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
  suite,
  targets:
    suite === 'load'
      ? {
          loginP99Ms: '<= 120',
          rssPerConnectionKiB: '<= 4.5',
          blockToFirstJobMs: '<= 30',
          blockToLastJobMs: '<= 95',
          flood:
            'every request answered, reply p99 < 100 ms, every flooding IP banned within 10 s, honest reply p99 < 50 ms and no busy',
        }
      : suite === 'keccak'
        ? { keccakNativeUsPerMiner: '< 2' }
        : { nativeToCRatio: '>= 0.95', maxEventLoopStallMs: '< 10', keccakNativeUsPerMiner: '< 2' },
  rows,
};
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${suite === 'default' ? '' : `${suite}-`}${out.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
if (suite === 'load') {
  for (const r of rows) console.log(JSON.stringify(r));
  console.log(`results written to ${file}`);
  process.exit(0);
}
const keccakRows = rows.filter((r) => r['suite'] === 'keccak');
console.table(keccakRows);
if (suite === 'keccak') {
  console.log(`results written to ${file}`);
  process.exit(0);
}
const otherRows = rows.filter((r) => !keccakRows.includes(r));
console.table(
  otherRows.map((r) =>
    'sharesPerSecond' in r
      ? {
          case: r.name,
          'per second': r.sharesPerSecond,
          'vs C': '',
          'hashed by pool': `${String(r.hashedByPool)}/${String(r.shares)}`,
          'max stall ms': r.maxEventLoopStallMs,
        }
      : 'skipped' in r
        ? {
            case: `${String(r.suite)} ${String(r.case)}`,
            'per second': 'skipped',
            'vs C': '',
            'hashed by pool': '',
            'max stall ms': String(r.skipped),
          }
        : {
            case: `RandomX ${String(r.case)} (H/s per thread)`,
            'per second': r.addonHashesPerSecondPerThread,
            'vs C': r.ratioToC,
            'hashed by pool': '',
            'max stall ms': r.eventLoopMaxStallMs,
          },
  ),
);
console.log(`results written to ${file}`);
