/** Parsers for the seed's flat block and payment lists (colon-separated members) and the ports table. */
import { toMs } from '../format.js';
import type { BlockRow, PaymentRow, PortInfo } from './types.js';
import { big, bigOrNull, flag, isPair, num, obj, rows, text, blockStatus } from './read.js';

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

export function parsePorts(v: unknown): PortInfo[] {
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
