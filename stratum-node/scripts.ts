/**
 * Lua scripts the stratum node runs on Redis. Every key a script touches arrives in KEYS, built in TypeScript from
 * shared/redis/keys.ts by `flushKeys` / `recordBlockKeys` below (no key name is assembled inside Lua), so the scripts
 * run on one server, a Redis Cluster and ElastiCache Serverless alike (all keys carry the `{coin}` hash tag).
 *
 * FLUSH_SHARES  KEYS = flushKeys(keys, batch). ARGV[1] JSON BatchPayload. Writes one batch of accepted shares, once
 *   per batch id (`flushed(id)` SET NX, 1 day), so retrying or replaying a batch whose reply was lost never credits it
 *   twice: roundCurrent/roundTotal (not solo; slush scores are computed here, atomically, from stats.slushEpoch, and
 *   the round is renormalised when the growth factor passes 1e6 so the integer scores never overflow),
 *   shareLog + shareLogTotal (PPLNS, trimmed to just over 1.5 windows), worker hashes/lastShare, rigs, ips, the
 *   hashrate bucket, stats counters. Returns the number of miners written, 0 when the batch was already applied.
 * RECORD_BLOCK  KEYS = recordBlockKeys(keys, block, batch). ARGV[1] JSON BlockPayload, ARGV[2] the pending
 *   BatchPayload, flushed first in the same script (so both apply or neither). Closes the round for a found block:
 *   block record, candidate zset, round snapshot (prop/slush: RENAME; pplns: last window of the share log; solo:
 *   finder only), round reset. Returns 0 (and writes nothing but the batch) if the block was already recorded.
 *
 * KEYS layout of the flush part (offset o: 0 in FLUSH_SHARES, 3 in RECORD_BLOCK):
 *   o+1 flushed(id), o+2 stats, o+3 hashrateBucket(bucket), o+4 roundCurrent, o+5 roundTotal, o+6 shareLog,
 *   o+7 shareLogTotal, then per miner i (1-based, payload order) o+8+3(i-1) worker, +1 workerRigs, +2 minerIps.
 * RECORD_BLOCK puts 1 block(hash), 2 round(hash), 3 blocksCandidates before it.
 *
 * Data model: BatchPayload and BlockPayload below (the JSON the scripts decode; also the journal's content).
 */
import type { KeySchema } from '../shared/redis/keys.js';

/** One miner's part of a batch. */
export interface MinerAggregate {
  /** login (payout address) */
  l: string;
  /** summed difficulty of all its shares (hashrate) */
  d: number;
  /** summed difficulty of its pool (non-solo) shares: the round credit */
  rd: number;
  /** slush: sum of diff x exp((atMs - slushLatestMs) / 1000 / weight) over its pool shares; 0 otherwise */
  sw: number;
  /** rig name -> difficulty */
  rigs: [string, number][];
  /** ip -> last seen (unix ms) */
  ips: [string, number][];
}

export interface BatchPayload {
  /** "<nodeId>-<16 hex>", unique; the flushed(id) marker makes the batch apply once */
  id: string;
  nowSec: number;
  nowMs: number;
  /** hashrate bucket start (unix s) */
  bucket: number;
  bucketTtl: number;
  /** slush weight in seconds (0: no slush) */
  slushWeight: number;
  /** PPLNS: share log length to keep (sum of diffs); 0: no share log */
  pplnsKeep: number;
  /** the newest share's time (unix ms): the reference time of every miner's `sw` */
  slushLatestMs: number;
  miners: MinerAggregate[];
  shares: number;
  invalid: number;
}

export interface BlockPayload {
  hash: string;
  height: number;
  timeMs: number;
  /** network difficulty, decimal */
  difficulty: string;
  finder: string;
  scheme: 'prop' | 'pplns' | 'solo' | 'slush';
  /** PPLNS window (sum of diffs), decimal */
  window: string;
  node: number;
  /** "accepted" | "unconfirmed" (submit_block reply lost); written as field `submit` when set */
  submit?: 'accepted' | 'unconfirmed';
}

/** The KEYS of FLUSH_SHARES for one batch (also the tail of RECORD_BLOCK's KEYS). */
export function flushKeys(keys: KeySchema, batch: BatchPayload): string[] {
  const out = [
    keys.flushed(batch.id),
    keys.stats,
    keys.hashrateBucket(batch.bucket),
    keys.roundCurrent,
    keys.roundTotal,
    keys.shareLog,
    keys.shareLogTotal,
  ];
  for (const m of batch.miners) out.push(keys.worker(m.l), keys.workerRigs(m.l), keys.minerIps(m.l));
  return out;
}

export function recordBlockKeys(keys: KeySchema, block: BlockPayload, batch: BatchPayload): string[] {
  return [keys.block(block.hash), keys.round(block.hash), keys.blocksCandidates, ...flushKeys(keys, batch)];
}

const FLUSH_FN = `
local function flush(o, d)
if #KEYS ~= o + 7 + 3 * #d.miners then return redis.error_reply('ERR share batch: KEYS do not match its miners') end
-- a batch is applied at most once, however often it is retried (a lost reply must not credit shares twice)
if redis.call('SET', KEYS[o + 1], '1', 'NX', 'EX', 86400) == false then return 0 end
local stats, bucket = KEYS[o + 2], KEYS[o + 3]
local roundCurrent, roundTotal, logKey, logTotal = KEYS[o + 4], KEYS[o + 5], KEYS[o + 6], KEYS[o + 7]
local factor = 1
if d.slushWeight > 0 then
  local epoch = tonumber(redis.call('HGET', stats, 'slushEpoch') or '') or d.slushLatestMs
  factor = math.exp((d.slushLatestMs - epoch) / 1000 / d.slushWeight)
  if factor > 1e6 then
    local all = redis.call('HGETALL', roundCurrent)
    for i = 1, #all, 2 do
      local v = math.floor(tonumber(all[i + 1]) / factor)
      redis.call('HSET', roundCurrent, all[i], string.format('%.0f', v))
    end
    epoch = d.slushLatestMs
    factor = 1
  end
  redis.call('HSET', stats, 'slushEpoch', string.format('%.0f', epoch))
end
for i, m in ipairs(d.miners) do
  local w, rigs, ips = KEYS[o + 5 + 3 * i], KEYS[o + 6 + 3 * i], KEYS[o + 7 + 3 * i]
  redis.call('HINCRBY', w, 'hashes', string.format('%.0f', m.d))
  redis.call('HSET', w, 'lastShare', d.nowSec)
  redis.call('HINCRBY', bucket, 'total', string.format('%.0f', m.d))
  redis.call('HINCRBY', bucket, 'm:' .. m.l, string.format('%.0f', m.d))
  for _, r in ipairs(m.rigs) do
    redis.call('HSET', rigs, r[1], d.nowSec)
    redis.call('HINCRBY', bucket, 'w:' .. m.l .. ':' .. r[1], string.format('%.0f', r[2]))
  end
  redis.call('EXPIRE', rigs, 604800)
  for _, ip in ipairs(m.ips) do
    redis.call('ZADD', ips, ip[2], ip[1])
  end
  redis.call('ZREMRANGEBYSCORE', ips, '-inf', d.nowMs - 2592000000)
  if m.rd > 0 then
    local score = m.rd
    if d.slushWeight > 0 then score = math.floor(m.sw * factor + 0.5) end
    redis.call('HINCRBY', roundCurrent, m.l, string.format('%.0f', score))
    redis.call('INCRBY', roundTotal, string.format('%.0f', m.rd))
    if d.pplnsKeep > 0 then
      redis.call('LPUSH', logKey, m.l .. ':' .. string.format('%.0f', m.rd))
      redis.call('INCRBY', logTotal, string.format('%.0f', m.rd))
    end
  end
end
if d.pplnsKeep > 0 then
  -- keep the share log just longer than the PPLNS window: drop the oldest entries while the rest still covers it
  local total = tonumber(redis.call('GET', logTotal) or '0')
  for _ = 1, 1000 do
    local tail = redis.call('LINDEX', logKey, -1)
    if not tail then break end
    local diff = tonumber(string.sub(tail, string.find(tail, ':[^:]*$') + 1))
    if total - diff < d.pplnsKeep then break end
    redis.call('RPOP', logKey)
    total = total - diff
  end
  redis.call('SET', logTotal, string.format('%.0f', total))
end
if #d.miners > 0 then redis.call('EXPIRE', bucket, d.bucketTtl) end
if d.shares > 0 then redis.call('HINCRBY', stats, 'totalShares', d.shares) end
if d.invalid > 0 then redis.call('HINCRBY', stats, 'totalInvalid', d.invalid) end
return #d.miners
end
`;

export const FLUSH_SHARES = FLUSH_FN + `return flush(0, cjson.decode(ARGV[1]))`;

export const RECORD_BLOCK =
  FLUSH_FN +
  `
local blockKey, roundKey, candidates = KEYS[1], KEYS[2], KEYS[3]
local stats, roundCurrent, roundTotal, logKey = KEYS[5], KEYS[7], KEYS[8], KEYS[9]
-- a recorded block means its pre-block batch was applied with it (one script): a late replay (its flushed marker
-- expired) must not add that batch to today's round
if redis.call('EXISTS', blockKey) == 1 then return 0 end
local flushed = flush(3, cjson.decode(ARGV[2]))
if type(flushed) == 'table' then return flushed end
local b = cjson.decode(ARGV[1])
local shares = '0'
if b.scheme == 'solo' then
  redis.call('HSET', roundKey, b.finder, '1')
elseif b.scheme == 'pplns' then
  local need = tonumber(b.window)
  local start = 0
  while need > 0 do
    local chunk = redis.call('LRANGE', logKey, start, start + 999)
    if #chunk == 0 then break end
    for _, e in ipairs(chunk) do
      local sep = string.find(e, ':[^:]*$')
      local login = string.sub(e, 1, sep - 1)
      local diff = tonumber(string.sub(e, sep + 1))
      local take = math.min(diff, need)
      redis.call('HINCRBY', roundKey, login, string.format('%.0f', take))
      need = need - take
      if need <= 0 then break end
    end
    start = start + 1000
  end
  shares = redis.call('GET', roundTotal) or '0'
  redis.call('DEL', roundCurrent)
else
  shares = redis.call('GET', roundTotal) or '0'
  if redis.call('EXISTS', roundCurrent) == 1 then
    redis.call('RENAME', roundCurrent, roundKey)
  else
    redis.call('HSET', roundKey, b.finder, '1')
  end
end
redis.call('HSET', blockKey, 'hash', b.hash, 'height', b.height, 'time', b.timeMs, 'difficulty', b.difficulty,
  'shares', shares, 'finder', b.finder, 'scheme', b.scheme, 'status', 'candidate', 'node', b.node)
if b.submit == 'accepted' or b.submit == 'unconfirmed' then redis.call('HSET', blockKey, 'submit', b.submit) end
redis.call('ZADD', candidates, b.height, b.hash)
redis.call('HINCRBY', stats, 'blocksFound', 1)
if b.scheme ~= 'solo' then
  redis.call('SET', roundTotal, '0')
  redis.call('HSET', stats, 'lastBlockFound', b.timeMs, 'lastBlockFoundHeight', b.height,
    'roundStart', b.timeMs, 'slushEpoch', b.timeMs)
else
  redis.call('HSET', stats, 'lastSoloBlockFound', b.timeMs)
end
return 1
`;
