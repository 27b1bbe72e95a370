/**
 * Lua scripts the stratum node runs on Redis. Keys are all built from one prefix that carries a hash tag
 * (`{coin}:`), so every key a script touches lives in the same cluster slot. Key names match shared/redis/keys.ts.
 *
 * FLUSH_SHARES  ARGV[1] prefix, ARGV[2] JSON SharePayload. Writes one batch of accepted shares, once per batch id
 *   (`flushed:<id>` SET NX, 1 day), so retrying a batch whose reply was lost never credits it twice:
 *   roundCurrent/roundTotal (not solo; slush scores are computed here, atomically, from stats.slushEpoch, and the
 *   round is renormalised when the growth factor passes 1e6 so the integer scores never overflow), shareLog (PPLNS),
 *   shareLog + shareLogTotal (PPLNS, trimmed to just over 1.5 windows),
 *   worker hashes/lastShare, rigs, ips, the hashrate bucket, stats counters.
 * RECORD_BLOCK  ARGV[1] prefix, ARGV[2] JSON BlockPayload, ARGV[3] the pending SharePayload, flushed first in the
 *   same script (so both apply or neither). Closes the round for a found block: block record,
 *   candidate zset, round snapshot (prop/slush: RENAME; pplns: last window of the share log; solo: finder only),
 *   round reset. Returns 0 (and writes nothing) if the block was already recorded.
 */
const FLUSH_FN = `
local function flush(p, d)
-- a batch is applied at most once, however often it is retried (a lost reply must not credit shares twice)
if redis.call('SET', p .. 'flushed:' .. d.id, '1', 'NX', 'EX', 86400) == false then return 0 end
local stats = p .. 'stats'
local bucket = p .. 'hr:' .. d.bucket
local factor = 1
if d.slushWeight > 0 then
  local epoch = tonumber(redis.call('HGET', stats, 'slushEpoch') or '') or d.slushLatestMs
  factor = math.exp((d.slushLatestMs - epoch) / 1000 / d.slushWeight)
  if factor > 1e6 then
    local all = redis.call('HGETALL', p .. 'shares:roundCurrent')
    for i = 1, #all, 2 do
      local v = math.floor(tonumber(all[i + 1]) / factor)
      redis.call('HSET', p .. 'shares:roundCurrent', all[i], string.format('%.0f', v))
    end
    epoch = d.slushLatestMs
    factor = 1
  end
  redis.call('HSET', stats, 'slushEpoch', string.format('%.0f', epoch))
  d.slushEpoch = epoch
end
for _, m in ipairs(d.miners) do
  local w = p .. 'workers:' .. m.l
  redis.call('HINCRBY', w, 'hashes', string.format('%.0f', m.d))
  redis.call('HSET', w, 'lastShare', d.nowSec)
  redis.call('HINCRBY', bucket, 'total', string.format('%.0f', m.d))
  redis.call('HINCRBY', bucket, 'm:' .. m.l, string.format('%.0f', m.d))
  for _, r in ipairs(m.rigs) do
    redis.call('HSET', w .. ':rigs', r[1], d.nowSec)
    redis.call('HINCRBY', bucket, 'w:' .. m.l .. ':' .. r[1], string.format('%.0f', r[2]))
  end
  redis.call('EXPIRE', w .. ':rigs', 604800)
  for _, ip in ipairs(m.ips) do
    redis.call('ZADD', w .. ':ips', ip[2], ip[1])
  end
  redis.call('ZREMRANGEBYSCORE', w .. ':ips', '-inf', d.nowMs - 2592000000)
  if m.rd > 0 then
    local score = m.rd
    if d.slushWeight > 0 then
      score = 0
      for _, s in ipairs(m.s) do
        score = score + math.floor(s[1] * math.exp((s[2] - d.slushEpoch) / 1000 / d.slushWeight) + 0.5)
      end
    end
    redis.call('HINCRBY', p .. 'shares:roundCurrent', m.l, string.format('%.0f', score))
    redis.call('INCRBY', p .. 'shares:roundTotal', string.format('%.0f', m.rd))
    if d.pplnsKeep > 0 then
      redis.call('LPUSH', p .. 'shares:log', m.l .. ':' .. string.format('%.0f', m.rd))
      redis.call('INCRBY', p .. 'shares:logTotal', string.format('%.0f', m.rd))
    end
  end
end
if d.pplnsKeep > 0 then
  -- keep the share log just longer than the PPLNS window: drop the oldest entries while the rest still covers it
  local logKey = p .. 'shares:log'
  local total = tonumber(redis.call('GET', p .. 'shares:logTotal') or '0')
  for _ = 1, 1000 do
    local tail = redis.call('LINDEX', logKey, -1)
    if not tail then break end
    local diff = tonumber(string.sub(tail, string.find(tail, ':[^:]*$') + 1))
    if total - diff < d.pplnsKeep then break end
    redis.call('RPOP', logKey)
    total = total - diff
  end
  redis.call('SET', p .. 'shares:logTotal', string.format('%.0f', total))
end
if #d.miners > 0 then redis.call('EXPIRE', bucket, d.bucketTtl) end
if d.shares > 0 then redis.call('HINCRBY', stats, 'totalShares', d.shares) end
if d.invalid > 0 then redis.call('HINCRBY', stats, 'totalInvalid', d.invalid) end
return #d.miners
end
`;

export const FLUSH_SHARES = FLUSH_FN + `return flush(ARGV[1], cjson.decode(ARGV[2]))`;

export const RECORD_BLOCK = FLUSH_FN + `
local p = ARGV[1]
flush(p, cjson.decode(ARGV[3]))
local b = cjson.decode(ARGV[2])
local blockKey = p .. 'block:' .. b.hash
if redis.call('EXISTS', blockKey) == 1 then return 0 end
local roundKey = p .. 'shares:round:' .. b.hash
local shares = '0'
if b.scheme == 'solo' then
  redis.call('HSET', roundKey, b.finder, '1')
elseif b.scheme == 'pplns' then
  local need = tonumber(b.window)
  local taken = 0
  local start = 0
  while need > 0 do
    local chunk = redis.call('LRANGE', p .. 'shares:log', start, start + 999)
    if #chunk == 0 then break end
    for _, e in ipairs(chunk) do
      local sep = string.find(e, ':[^:]*$')
      local login = string.sub(e, 1, sep - 1)
      local diff = tonumber(string.sub(e, sep + 1))
      local take = math.min(diff, need)
      redis.call('HINCRBY', roundKey, login, string.format('%.0f', take))
      need = need - take
      taken = taken + take
      if need <= 0 then break end
    end
    start = start + 1000
  end
  shares = redis.call('GET', p .. 'shares:roundTotal') or '0'
  redis.call('DEL', p .. 'shares:roundCurrent')
else
  shares = redis.call('GET', p .. 'shares:roundTotal') or '0'
  if redis.call('EXISTS', p .. 'shares:roundCurrent') == 1 then
    redis.call('RENAME', p .. 'shares:roundCurrent', roundKey)
  else
    redis.call('HSET', roundKey, b.finder, '1')
  end
end
redis.call('HSET', blockKey, 'hash', b.hash, 'height', b.height, 'time', b.timeMs, 'difficulty', b.difficulty,
  'shares', shares, 'finder', b.finder, 'scheme', b.scheme, 'status', 'candidate', 'node', b.node)
redis.call('ZADD', p .. 'blocks:candidates', b.height, b.hash)
redis.call('HINCRBY', p .. 'stats', 'blocksFound', 1)
if b.scheme ~= 'solo' then
  redis.call('SET', p .. 'shares:roundTotal', '0')
  redis.call('HSET', p .. 'stats', 'lastBlockFound', b.timeMs, 'lastBlockFoundHeight', b.height,
    'roundStart', b.timeMs, 'slushEpoch', b.timeMs)
else
  redis.call('HSET', p .. 'stats', 'lastSoloBlockFound', b.timeMs)
end
return 1
`;
