/**
 * Share batches: what the recorder sends to Redis in one FLUSH_SHARES (scripts.ts BatchPayload), built from accepted
 * shares and merged while unsent (a Redis outage).
 *
 * Data model: BatchPayload {id, nowSec, nowMs, bucket (hashrate bucket start), bucketTtl, slushWeight, pplnsKeep,
 * slushLatestMs, miners: MinerAggregate {l login, d all difficulty, rd round difficulty (not solo), sw slush weight
 * relative to slushLatestMs, rigs [rig, diff], ips [ip, last ms]}, shares, invalid}. Pure functions, no I/O.
 */
import { HASHRATE_BUCKET_SECONDS } from '../shared/redis/keys.js';
import type { AcceptedShare } from './recorder.js';
import type { BatchPayload, MinerAggregate } from './scripts.js';

/** What a batch takes from the recorder's settings. */
export interface BatchParams {
  readonly id: string;
  /** Slush weight in seconds (0: no slush scores). */
  readonly slushWeight: number;
  /** PPLNS: share-log difficulty to keep (0: no share log). */
  readonly pplnsKeep: number;
  /** TTL of the hashrate bucket key, seconds. */
  readonly bucketTtl: number;
}

/** One batch from accepted shares: per-miner sums, rigs, last-seen IPs and slush weights. */
export function buildBatch(
  batch: readonly AcceptedShare[],
  invalid: number,
  nowMs: number,
  p: BatchParams,
): BatchPayload {
  const { slushWeight } = p;
  const slushLatestMs = batch.reduce((m, s) => Math.max(m, s.atMs), 0) || nowMs;
  const byLogin = new Map<string, MinerAggregate>();
  const rigs = new Map<string, Map<string, number>>();
  const ips = new Map<string, Map<string, number>>();
  for (const s of batch) {
    let m = byLogin.get(s.login);
    if (!m) {
      m = { l: s.login, d: 0, rd: 0, sw: 0, rigs: [], ips: [] };
      byLogin.set(s.login, m);
      rigs.set(s.login, new Map());
      ips.set(s.login, new Map());
    }
    m.d += s.diff;
    if (!s.solo) {
      m.rd += s.diff;
      if (slushWeight > 0) m.sw += s.diff * Math.exp((s.atMs - slushLatestMs) / 1000 / slushWeight);
    }
    const r = rigs.get(s.login)!;
    r.set(s.rig, (r.get(s.rig) ?? 0) + s.diff);
    const seen = ips.get(s.login)!;
    seen.set(s.ip, Math.max(seen.get(s.ip) ?? 0, s.atMs));
  }
  for (const m of byLogin.values()) {
    m.rigs = [...rigs.get(m.l)!];
    m.ips = [...ips.get(m.l)!];
  }
  const nowSec = Math.floor(nowMs / 1000);
  return {
    id: p.id,
    nowSec,
    nowMs,
    bucket: nowSec - (nowSec % HASHRATE_BUCKET_SECONDS),
    bucketTtl: p.bucketTtl,
    slushWeight,
    pplnsKeep: p.pplnsKeep,
    slushLatestMs,
    miners: [...byLogin.values()],
    shares: batch.length,
    invalid,
  };
}

/** Adds batch `b` (cut later) into `a`: sums, union of rigs/ips, slush weights rebased to the later reference. */
export function mergeBatches(a: BatchPayload, b: BatchPayload): BatchPayload {
  const ref = Math.max(a.slushLatestMs, b.slushLatestMs);
  const rebase = (sw: number, from: number, w: number): number =>
    w > 0 && sw > 0 ? sw * Math.exp((from - ref) / 1000 / w) : sw;
  const miners = new Map<string, MinerAggregate>();
  for (const [src, p] of [
    [a, a.slushLatestMs],
    [b, b.slushLatestMs],
  ] as const) {
    for (const m of src.miners) {
      const cur = miners.get(m.l);
      const sw = rebase(m.sw, p, src.slushWeight);
      if (!cur) {
        miners.set(m.l, {
          l: m.l,
          d: m.d,
          rd: m.rd,
          sw,
          rigs: m.rigs.map(([r, d]) => [r, d]),
          ips: m.ips.map(([i, t]) => [i, t]),
        });
        continue;
      }
      cur.d += m.d;
      cur.rd += m.rd;
      cur.sw += sw;
      const rigs = new Map(cur.rigs);
      for (const [r, d] of m.rigs) rigs.set(r, (rigs.get(r) ?? 0) + d);
      cur.rigs = [...rigs];
      const ips = new Map(cur.ips);
      for (const [ip, t] of m.ips) ips.set(ip, Math.max(ips.get(ip) ?? 0, t));
      cur.ips = [...ips];
    }
  }
  return {
    ...b,
    id: a.id,
    slushLatestMs: ref,
    miners: [...miners.values()],
    shares: a.shares + b.shares,
    invalid: a.invalid + b.invalid,
  };
}
