/**
 * Chart series: `chart(name)` (pool) and `minerChart(address)` (per miner) zsets, score = unix s of the point's
 * slot, member "<unix s>:<value>" (shared/redis/keys.ts). One point per `stats.chartInterval` slot: a stats run
 * whose slot already has a pool point writes no chart point. Each write replaces the slot's point
 * (ZREMRANGEBYSCORE slot slot, then ZADD) so two racing runs still leave one point, trims everything older than
 * `stats.chartRetention` and sets a TTL of retention + one interval (an idle miner's series expires by itself).
 */
import type { StorageReply } from '../../shared/storage/port.js';
import { asPairs } from '../../shared/storage/replies.js';

/** Pool series written by the stats function. */
export const POOL_CHARTS = ['hashrate', 'miners', 'workers', 'difficulty'] as const;
export type PoolChartName = (typeof POOL_CHARTS)[number];

export type ChartPoint = [time: number, value: number];

export function chartSlot(nowSec: number, intervalSec: number): number {
  return Math.floor(nowSec / intervalSec) * intervalSec;
}

/** How many commands chartPointCommands returns (callers chunk MULTIs on this boundary). */
export const CHART_POINT_COMMANDS = 4;

/** Commands writing one point to a chart key (to run inside MULTI). */
export function chartPointCommands(
  key: string,
  slot: number,
  value: number | bigint,
  nowSec: number,
  retentionSec: number,
  intervalSec: number,
): string[][] {
  const s = String(slot);
  return [
    ['ZREMRANGEBYSCORE', key, s, s],
    ['ZADD', key, s, `${s}:${value}`],
    ['ZREMRANGEBYSCORE', key, '-inf', `(${nowSec - retentionSec}`],
    ['EXPIRE', key, String(retentionSec + intervalSec)],
  ];
}

/** Parses a chart zset's ZRANGE ... WITHSCORES reply into [time, value] points, oldest first. */
export function parseChart(reply: StorageReply | undefined): ChartPoint[] {
  const out: ChartPoint[] = [];
  for (const [member] of asPairs(reply, 'chart')) {
    const i = member.indexOf(':');
    if (i < 0) continue;
    const t = Number(member.slice(0, i));
    const v = Number(member.slice(i + 1));
    if (Number.isFinite(t) && Number.isFinite(v)) out.push([t, v]);
  }
  return out;
}
