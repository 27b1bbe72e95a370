/**
 * Per-miner cost of a job broadcast: shared/monero/job-blob.ts jobBlobMaker with the JS Keccak (jsMinerJobRoot,
 * @noble/hashes) against the addon's (native/index.ts minerJobRoot), on (a) an empty regtest template (miner tx
 * only: 2 Keccak permutations per miner) and (b) the same template with 99 more transactions (a 6-level merkle
 * branch: 8 permutations per miner).
 *
 * Row shape (one per template): { suite: 'keccak', case, leaves, branch (siblings), prefixBytes, permutations,
 *   jsUsPerMiner, nativeUsPerMiner (a whole make(): extra-nonce patch, root, blob bytes, hex), jsRootUs,
 *   nativeRootUs (the root alone), speedup (jsUsPerMiner / nativeUsPerMiner) }.
 * Each figure is the best of 20 short timed runs (about 10 ms each) after a warm-up: on a shared machine other
 * processes slow some runs and never speed one up, and short runs often fit between their time slices.
 * Both makers' blobs are compared for many extra nonces before timing; a mismatch throws.
 * Run alone: `npm run bench -- keccak` or `node bin/run-ts.mjs bench/keccak.ts`.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { minerJobRoot } from '../native/index.js';
import { concatBytes, hexToBytes } from '../shared/hex.js';
import {
  jobBlobMaker,
  jsMinerJobRoot,
  parseBlockTemplate,
  type BlockTemplate,
  type MinerJobRoot,
} from '../shared/monero/template.js';
import { encodeVarint } from '../shared/monero/varint.js';

// monerod 0.18 --regtest get_block_template (reserve_size 8): no transactions besides the miner tx (the template
// ends with rct type 00 and tx count 00).
const EMPTY_TEMPLATE_HEX =
  '10109dcaa7d806418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e300000000023d01ff0101808080' +
  'f0ffff07033ae633d7b87ed64318bdf0ec3e9b7466bc73b92f876d8c866e97482847eb3edb322b0169bff811ffb3bdbfb839de' +
  '2a794127670e299482a52c019acc6f28a661b7a10d020800000000000000000000';
const RESERVED_OFFSET = 126;

/** The empty template with `txs` random transaction hashes (so 1 + txs merkle leaves). */
function templateWith(txs: number): BlockTemplate {
  const empty = hexToBytes(EMPTY_TEMPLATE_HEX);
  const blob = concatBytes(
    empty.subarray(0, empty.length - 1),
    encodeVarint(txs),
    new Uint8Array(randomBytes(32 * txs)),
  );
  return parseBlockTemplate(blob, RESERVED_OFFSET, 8);
}

function extraNonce(i: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(4, i >>> 0, false);
  return b;
}

/** Best-of-20 microseconds per call of `f(i)` over `n` calls each. */
function usPerCall(n: number, f: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 2000); i++) f(i); // warm-up (JIT, caches)
  let best = Infinity;
  for (let run = 0; run < 20; run++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f(i);
    best = Math.min(best, ((performance.now() - t0) * 1000) / n);
  }
  return best;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

function benchTemplate(name: string, t: BlockTemplate): Record<string, unknown> {
  const js = jobBlobMaker(t);
  const native = jobBlobMaker(t, minerJobRoot);
  for (let i = 0; i < 500; i++) {
    if (js(extraNonce(i)).hex !== native(extraNonce(i)).hex) throw new Error(`${name}: native blob differs at ${i}`);
  }
  const nonces = Array.from({ length: 1024 }, (_, i) => extraNonce(i));
  const prefix = t.bytes.slice(t.minerTxPrefix.start, t.minerTxPrefix.end);
  const branch = concatBytes(...t.merkleBranch);
  const out = new Uint8Array(32);
  const root = (f: MinerJobRoot) => (i: number) => {
    prefix[prefix.length - 1] = i; // a different input each call
    f(prefix, branch, out, 0);
  };
  const calls = (us: number): number => Math.ceil(10_000 / us); // about 10 ms per run at the expected speed
  const jsUs = usPerCall(calls(5 * (2 + t.merkleBranch.length)), (i) => js(nonces[i & 1023]!));
  const nativeUs = usPerCall(calls(2), (i) => native(nonces[i & 1023]!));
  return {
    suite: 'keccak',
    case: name,
    leaves: t.txCount,
    branch: t.merkleBranch.length,
    prefixBytes: prefix.length,
    permutations: 2 + t.merkleBranch.length,
    jsUsPerMiner: round(jsUs),
    nativeUsPerMiner: round(nativeUs),
    jsRootUs: round(usPerCall(calls(5 * (2 + t.merkleBranch.length)), root(jsMinerJobRoot))),
    nativeRootUs: round(usPerCall(calls(1), root(minerJobRoot))),
    speedup: round(jsUs / nativeUs, 1),
  };
}

export function benchKeccak(): Record<string, unknown>[] {
  return [
    benchTemplate('empty template', templateWith(0)),
    benchTemplate('100 leaves (6-level branch)', templateWith(99)),
  ];
}

/** True when this file is the entry point (directly, or through bin/run-ts.mjs which sets argv[1] to it). */
function isEntry(): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (isEntry()) console.table(benchKeccak());
