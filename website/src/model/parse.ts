/** Parsers for /stats, /stats_address, /workers, the chart routes and the admin routes. */
import { toMs } from '../format.js';
import type { AdminStats, AdminUser, ChartSeries, Json, MinerStats, PoolStats, WorkerRow } from './types.js';
import { big, bigOrNull, hashrate, num, obj, text } from './read.js';
import { parseBlocks, parsePayments, parsePorts } from './lists.js';

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
      lastBlockFoundHeight:
        lastHeight === undefined || lastHeight === null || lastHeight === '' ? null : num(lastHeight),
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
    'totalOwed',
    'totalPaid',
    'totalRevenue',
    'totalDiff',
    'totalShares',
    'blocksOrphaned',
    'blocksUnlocked',
    'totalWorkers',
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
    workers:
      o['workers'] !== undefined ? (Array.isArray(o['workers']) ? o['workers'].length : num(o['workers'])) : null,
  }));
}
