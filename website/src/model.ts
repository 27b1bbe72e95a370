/**
 * The site's model of the API's JSON, and the parsers from the wire shapes. The API keeps the seed's shapes
 * (ANCHORS.md B: `/stats` {config, network, pool}, flat `[member, score, ...]` lists for blocks and payments with
 * colon-separated members) plus our additions; the parsers also accept object rows, so a page never has to care.
 * Money stays bigint (atomic units); times are unix milliseconds.
 *
 * Data model: PoolStats, PortInfo, BlockRow, PaymentRow, MinerStats, WorkerRow, ChartSeries, AdminStats (below).
 */
import { toBigInt, toMs } from './format.js';

export type Json = Record<string, unknown>;

export interface PortInfo {
  port: number;
  difficulty: number;
  desc: string;
  tls: boolean;
  solo: boolean;
}

export type BlockStatus = 'pending' | 'confirmed' | 'orphaned';

export interface BlockRow {
  height: number;
  hash: string;
  /** Found at, unix ms. */
  time: number;
  difficulty: bigint;
  /** Sum of share difficulty in the round that found it. */
  shares: bigint;
  status: BlockStatus;
  /** Atomic units; null while unknown (pending blocks in the seed format). */
  reward: bigint | null;
}

export interface PaymentRow {
  /** Unix ms. */
  time: number;
  hash: string;
  amount: bigint;
  fee: bigint;
  mixin: number;
  /** Destinations in the transaction (pool-wide list only). */
  payees: number | null;
}

export interface PoolStats {
  config: {
    ports: PortInfo[];
    /** Percent (1.8 = 1.8 %). */
    fee: number;
    donation: number;
    coreDonation: number;
    symbol: string;
    coin: string;
    depth: number;
    minPaymentThreshold: bigint | null;
    denominationUnit: bigint | null;
    hashrateWindow: number;
    /** Seconds between blocks on the network. */
    blockTime: number;
    scheme: string;
    version: string;
    fixedDiffSeparator: string;
    /** Seconds between snapshots (/stats updateInterval). */
    updateInterval: number;
  };
  network: {
    difficulty: bigint;
    height: number;
    /** Unix ms of the last block. */
    timestamp: number;
    reward: bigint;
    hash: string;
    hashrate: number;
  };
  pool: {
    hashrate: number;
    miners: number;
    workers: number;
    totalBlocks: number;
    blocksUnlocked: number;
    blocksOrphaned: number;
    lastBlockFound: number;
    lastBlockFoundHeight: number | null;
    roundHashes: bigint;
    /** roundHashes / network difficulty; null when unknown. */
    roundEffort: number | null;
    totalPayments: number;
    totalMinersPaid: number;
    blocks: BlockRow[];
    payments: PaymentRow[];
  };
}

export interface MinerStats {
  address: string;
  hashrate: number;
  hashes: bigint;
  lastShare: number;
  balance: bigint;
  /** Reserved in a payment being sent. */
  pending: bigint;
  paid: bigint;
  /** The miner's own payout threshold, null = the pool's. */
  threshold: bigint | null;
  payments: PaymentRow[];
}

export interface WorkerRow {
  name: string;
  hashrate: number;
  lastShare: number;
  hashes: bigint | null;
}

export interface ChartSeries {
  /** Unix seconds. */
  times: number[];
  values: number[];
}

export interface AdminStats {
  totalOwed: bigint;
  totalPaid: bigint;
  totalRevenue: bigint;
  totalDiff: bigint;
  totalShares: bigint;
  blocksOrphaned: number;
  blocksUnlocked: number;
  totalWorkers: number;
  extra: Json;
}

export interface AdminUser {
  address: string;
  hashrate: number;
  balance: bigint;
  paid: bigint;
  lastShare: number;
  workers: number | null;
}

// ---- scalar readers -------------------------------------------------------------------------------------------

export function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export function num(v: unknown, fallback = 0): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fallback;
}

export function big(v: unknown, fallback = 0n): bigint {
  return toBigInt(v) ?? fallback;
}

/**
 * A hashrate in H/s: a number, or the seed's readable string ("12.34 KH", 1024-based units, as /stats_address
 * sends it for old front-ends).
 */
export function hashrate(v: unknown): number {
  if (typeof v === 'number' || typeof v === 'bigint') return num(v);
  if (typeof v !== 'string') return 0;
  const m = /^\s*([0-9.]+)\s*([KMGTP]?)H?(?:\/s)?\s*$/i.exec(v);
  if (!m) return 0;
  const power = ' KMGTP'.indexOf((m[2] ?? '').toUpperCase() || ' ');
  return Number(m[1]) * 1024 ** Math.max(0, power);
}

function bigOrNull(v: unknown): bigint | null {
  return toBigInt(v);
}

export function text(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;
}

function flag(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

/** Turn a flat Redis-style `[member, score, member, score, ...]` list into pairs; object rows pass through. */
function rows(list: unknown): Array<{ member: string; score: number } | Json> {
  if (!Array.isArray(list)) return [];
  const out: Array<{ member: string; score: number } | Json> = [];
  for (let i = 0; i < list.length; i++) {
    const item: unknown = list[i];
    if (typeof item === 'string') {
      out.push({ member: item, score: num(list[i + 1]) });
      i++;
    } else if (typeof item === 'object' && item !== null) {
      out.push(item as Json);
    }
  }
  return out;
}

function isPair(r: { member: string; score: number } | Json): r is { member: string; score: number } {
  return typeof (r as Json)['member'] === 'string' && typeof (r as Json)['score'] === 'number' && Object.keys(r).length === 2;
}

// ---- blocks ---------------------------------------------------------------------------------------------------

function blockStatus(v: unknown, orphanedField: unknown, hasReward: boolean): BlockStatus {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (s === 'orphaned' || s === 'orphan') return 'orphaned';
  if (s === 'unlocked' || s === 'confirmed' || s === 'matured') return 'confirmed';
  if (s === 'candidate' || s === 'pending' || s === 'locked') return 'pending';
  if (orphanedField !== undefined) return flag(orphanedField) ? 'orphaned' : hasReward ? 'confirmed' : 'pending';
  return 'pending';
}

/** Seed member "hash:time:diff:shares" (candidate) or "hash:time:diff:shares:orphaned:reward" (matured). */
export function parseBlocks(list: unknown): BlockRow[] {
  const out: BlockRow[] = [];
  for (const r of rows(list)) {
    if (isPair(r)) {
      const p = r.member.split(':');
      if (p.length < 4) continue;
      const matured = p.length >= 5;
      out.push({
        height: r.score,
        hash: p[0] ?? '',
        time: toMs(num(p[1])),
        difficulty: big(p[2]),
        shares: big(p[3]),
        status: matured ? (flag(p[4]) ? 'orphaned' : 'confirmed') : 'pending',
        reward: matured && p[5] !== undefined ? bigOrNull(p[5]) : null,
      });
    } else {
      const reward = bigOrNull(r['reward']);
      out.push({
        height: num(r['height']),
        hash: text(r['hash']),
        time: toMs(num(r['time'] ?? r['timestamp'])),
        difficulty: big(r['difficulty']),
        shares: big(r['shares']),
        status: blockStatus(r['status'], r['orphaned'], reward !== null),
        reward,
      });
    }
  }
  return out.sort((a, b) => b.height - a.height);
}

// ---- payments -------------------------------------------------------------------------------------------------

/** Seed member "tx:amount:fee:mixin[:payees]", score = unix seconds. */
export function parsePayments(list: unknown): PaymentRow[] {
  const out: PaymentRow[] = [];
  for (const r of rows(list)) {
    if (isPair(r)) {
      const p = r.member.split(':');
      if (p.length < 2) continue;
      out.push({
        time: toMs(r.score),
        hash: p[0] ?? '',
        amount: big(p[1]),
        fee: big(p[2]),
        mixin: num(p[3]),
        payees: p[4] !== undefined ? num(p[4]) : null,
      });
    } else {
      out.push({
        time: toMs(num(r['time'] ?? r['timestamp'])),
        hash: text(r['hash'] ?? r['tx'] ?? r['txHash']),
        amount: big(r['amount']),
        fee: big(r['fee']),
        mixin: num(r['mixin'] ?? r['ringSize']),
        payees: r['payees'] !== undefined || r['nDest'] !== undefined ? num(r['payees'] ?? r['nDest']) : null,
      });
    }
  }
  return out.sort((a, b) => b.time - a.time);
}

// ---- /stats ---------------------------------------------------------------------------------------------------

function parsePorts(v: unknown): PortInfo[] {
  if (!Array.isArray(v)) return [];
  return v
    .map((p) => obj(p))
    .map((p) => ({
      port: num(p['port']),
      difficulty: num(p['difficulty']),
      desc: text(p['desc'] ?? p['description']),
      tls: flag(p['tls'] ?? p['ssl']),
      solo: flag(p['solo']),
    }))
    .filter((p) => p.port > 0);
}

export function parseStats(body: unknown): PoolStats {
  const b = obj(body);
  const c = obj(b['config']);
  const n = obj(b['network']);
  const p = obj(b['pool']);
  const ps = obj(p['stats']);
  const difficulty = big(n['difficulty']);
  const blockTime = num(c['blockTime'] ?? c['coinDifficultyTarget'], 120);
  const roundHashes = big(p['roundHashes'] ?? p['roundTotal'] ?? ps['roundHashes']);
  const effortGiven = p['roundEffort'] ?? p['effort'];
  const lastBlockFound = toMs(num(p['lastBlockFound'] ?? ps['lastBlockFound']));
  const lastHeight = p['lastBlockFoundHeight'] ?? ps['lastBlockFoundHeight'];
  return {
    config: {
      ports: parsePorts(c['ports']),
      fee: num(c['fee']),
      donation: num(c['donation']),
      coreDonation: num(c['coreDonation']),
      symbol: text(c['symbol'], 'XMR'),
      coin: text(c['coin'], 'monero'),
      depth: num(c['depth'], 60),
      minPaymentThreshold: bigOrNull(c['minPaymentThreshold'] ?? c['minPayment']),
      denominationUnit: bigOrNull(c['denominationUnit']),
      hashrateWindow: num(c['hashrateWindow'], 600),
      blockTime,
      scheme: text(c['scheme'] ?? c['rewardScheme'], c['slushMiningEnabled'] === true ? 'slush' : 'prop'),
      version: text(c['version']),
      fixedDiffSeparator: text(c['fixedDiffSeparator'], '+'),
      updateInterval: num(c['updateInterval'], 0),
    },
    network: {
      difficulty,
      height: num(n['height']),
      timestamp: toMs(num(n['timestamp'])),
      reward: big(n['reward']),
      hash: text(n['hash']),
      hashrate: num(n['hashrate'], blockTime > 0 ? Number(difficulty) / blockTime : 0),
    },
    pool: {
      hashrate: num(p['hashrate']),
      miners: num(p['miners']),
      workers: num(p['workers'], num(p['miners'])),
      totalBlocks: num(p['totalBlocks']),
      blocksUnlocked: num(p['blocksUnlocked'] ?? ps['blocksUnlocked']),
      blocksOrphaned: num(p['blocksOrphaned'] ?? ps['blocksOrphaned']),
      lastBlockFound,
      lastBlockFoundHeight: lastHeight === undefined || lastHeight === null || lastHeight === '' ? null : num(lastHeight),
      roundHashes,
      roundEffort:
        effortGiven !== undefined && effortGiven !== null
          ? num(effortGiven)
          : difficulty > 0n
            ? Number(roundHashes) / Number(difficulty)
            : null,
      totalPayments: num(p['totalPayments']),
      totalMinersPaid: num(p['totalMinersPaid']),
      blocks: parseBlocks(p['blocks']),
      payments: parsePayments(p['payments']),
    },
  };
}

// ---- miner ----------------------------------------------------------------------------------------------------

export function parseMinerStats(address: string, body: unknown): MinerStats {
  const b = obj(body);
  const s = obj(b['stats']);
  return {
    address,
    hashrate: s['hashrateHs'] !== undefined ? num(s['hashrateHs']) : hashrate(s['hashrate']),
    hashes: big(s['hashes']),
    lastShare: toMs(num(s['lastShare'])),
    balance: big(s['balance']),
    pending: big(s['pending']),
    paid: big(s['paid']),
    threshold: bigOrNull(s['threshold'] ?? s['payoutThreshold']),
    payments: parsePayments(b['payments']),
  };
}

export function parseWorkers(body: unknown): WorkerRow[] {
  const b = obj(body);
  const list: unknown = Array.isArray(body) ? body : (b['workers'] ?? []);
  if (Array.isArray(list)) {
    return list.map((w) => {
      const o = obj(w);
      return {
        name: text(o['name'] ?? o['rig'] ?? o['worker'], '(unnamed)'),
        hashrate: hashrate(o['hashrate']),
        lastShare: toMs(num(o['lastShare'])),
        hashes: bigOrNull(o['hashes']),
      };
    });
  }
  // {name: {hashrate, lastShare}} map form.
  return Object.entries(obj(list)).map(([name, w]) => {
    const o = obj(w);
    return { name, hashrate: num(o['hashrate']), lastShare: toMs(num(o['lastShare'])), hashes: bigOrNull(o['hashes']) };
  });
}

/** Chart points as `[[t, v], ...]`, `[{time|t, value|v}, ...]`, `{points|data: ...}` or `{times, values}`. */
export function parseChart(body: unknown): ChartSeries {
  const b = obj(body);
  if (Array.isArray(b['times']) && Array.isArray(b['values'])) {
    const times = (b['times'] as unknown[]).map((t) => num(t));
    const values = (b['values'] as unknown[]).map((v) => num(v));
    return normalizeSeries(times, values);
  }
  const list: unknown = Array.isArray(body) ? body : (b['points'] ?? b['data'] ?? b['series'] ?? []);
  const times: number[] = [];
  const values: number[] = [];
  if (Array.isArray(list)) {
    for (const pt of list) {
      if (Array.isArray(pt)) {
        times.push(num(pt[0]));
        values.push(num(pt[1]));
      } else {
        const o = obj(pt);
        times.push(num(o['time'] ?? o['t'] ?? o['x']));
        values.push(num(o['value'] ?? o['v'] ?? o['y']));
      }
    }
  }
  return normalizeSeries(times, values);
}

/** Seconds, ascending, one point per time. */
function normalizeSeries(times: number[], values: number[]): ChartSeries {
  const pairs = times
    .map((t, i) => [t > 1e11 ? t / 1000 : t, values[i] ?? 0] as const)
    .filter(([t]) => t > 0)
    .sort((a, b) => a[0] - b[0]);
  return { times: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) };
}

// ---- admin ----------------------------------------------------------------------------------------------------

export function parseAdminStats(body: unknown): AdminStats {
  const b = obj(body);
  const known = new Set([
    'totalOwed', 'totalPaid', 'totalRevenue', 'totalDiff', 'totalShares', 'blocksOrphaned', 'blocksUnlocked', 'totalWorkers',
  ]);
  return {
    totalOwed: big(b['totalOwed']),
    totalPaid: big(b['totalPaid']),
    totalRevenue: big(b['totalRevenue']),
    totalDiff: big(b['totalDiff']),
    totalShares: big(b['totalShares']),
    blocksOrphaned: num(b['blocksOrphaned']),
    blocksUnlocked: num(b['blocksUnlocked']),
    totalWorkers: num(b['totalWorkers']),
    extra: Object.fromEntries(Object.entries(b).filter(([k]) => !known.has(k))),
  };
}

export function parseAdminUsers(body: unknown): AdminUser[] {
  const b = obj(body);
  const list: unknown = Array.isArray(body) ? body : (b['users'] ?? b['miners'] ?? body);
  const entries: Array<[string, Json]> = Array.isArray(list)
    ? list.map((u) => [text(obj(u)['address'] ?? obj(u)['login']), obj(u)])
    : Object.entries(obj(list)).map(([k, v]) => [k, obj(v)]);
  return entries.map(([address, o]) => ({
    address,
    hashrate: num(o['hashrate']),
    balance: big(o['balance']),
    paid: big(o['paid']),
    lastShare: toMs(num(o['lastShare'])),
    workers: o['workers'] !== undefined ? (Array.isArray(o['workers']) ? o['workers'].length : num(o['workers'])) : null,
  }));
}
