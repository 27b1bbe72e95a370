/**
 * Hashrate from the stratum node's 30-second buckets (CONTRACTS.md "What the stratum node writes"):
 * `hashrateBucket(t)` is a hash whose fields "total", "m:<login>" and "w:<login>:<rig>" hold the credited difficulty
 * summed over the bucket starting at unix second t (t a multiple of HASHRATE_BUCKET_SECONDS).
 *
 * The window: the buckets whose start lies in [now - hashrateWindow, now]. They cover the seconds from the first
 * bucket's start up to now, which is the divisor (`span`, at most the window and more than window - 30 s), so a
 * window that is not aligned to 30 s does not under-report by up to one bucket.
 * Hashrate = summed difficulty / span (H/s), rounded to an integer like the seed's.
 */
import { HASHRATE_BUCKET_SECONDS } from '../../shared/redis/keys.js';

export interface BucketWindow {
  /** Bucket start times (unix s), oldest first. */
  starts: number[];
  /** Seconds the buckets cover up to now; the hashrate divisor (>= 1). */
  span: number;
}

export function bucketWindow(nowSec: number, windowSec: number): BucketWindow {
  const b = HASHRATE_BUCKET_SECONDS;
  const first = Math.ceil((nowSec - windowSec) / b) * b;
  const last = Math.floor(nowSec / b) * b;
  const starts: number[] = [];
  for (let t = first; t <= last; t += b) starts.push(t);
  return { starts, span: Math.max(1, nowSec - first) };
}

/** H/s for a summed difficulty over `span` seconds, rounded like the seed's `Math.round`. */
export function hashrateOf(sum: bigint, span: number): number {
  return Math.round(Number(sum) / span);
}

export interface BucketTotals {
  total: bigint;
  /** login -> summed difficulty */
  miners: Map<string, bigint>;
  /** "login:rig" -> summed difficulty */
  workers: Map<string, bigint>;
}

function add(map: Map<string, bigint>, key: string, v: bigint): void {
  map.set(key, (map.get(key) ?? 0n) + v);
}

/** Sums bucket hashes (HGETALL records) into pool, per-miner and per-worker totals. Zero entries are dropped. */
export function sumBuckets(buckets: readonly Record<string, string>[]): BucketTotals {
  const out: BucketTotals = { total: 0n, miners: new Map(), workers: new Map() };
  for (const bucket of buckets) {
    for (const [field, value] of Object.entries(bucket)) {
      if (!/^\d+$/.test(value)) continue;
      const v = BigInt(value);
      if (v === 0n) continue;
      if (field === 'total') out.total += v;
      else if (field.startsWith('m:')) add(out.miners, field.slice(2), v);
      else if (field.startsWith('w:')) add(out.workers, field.slice(2), v);
    }
  }
  return out;
}

/** A Readable hashrate string in the seed's format ("12.34 KH", 1024-based units), used by /stats_address. */
export function readableHashrate(hs: number): string {
  const units = [' H', ' KH', ' MH', ' GH', ' TH', ' PH'];
  let v = hs;
  let i = 0;
  while (v > 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return v.toFixed(2) + (units[i] ?? ' H');
}
