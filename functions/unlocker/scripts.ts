/**
 * The unlocker's two Lua scripts. Each settles one block atomically and can succeed only once per block: it first
 * checks that the hash is still in blocksCandidates and the block is not yet credited, and validates every input
 * before its first write (a Lua script that errors after writing cannot be rolled back).
 * Both return 1 when they settled the block, 0 when it was already settled (another unlocker won), -1 on bad data.
 * Every key they touch arrives in KEYS, built by creditKeys / orphanKeys from shared/redis/keys.ts.
 */
import type { KeySchema } from '../../shared/redis/keys.js';

/** KEYS of CREDIT_BLOCK for block `hash` crediting `addresses` (in the order of their ARGV pairs). */
export function creditKeys(keys: KeySchema, hash: string, addresses: readonly string[]): string[] {
  return [
    keys.blocksCandidates,
    keys.blocksMatured,
    keys.block(hash),
    keys.round(hash),
    keys.stats,
    keys.creditedAddresses,
    ...addresses.map((a) => keys.worker(a)),
  ];
}

/** KEYS of ORPHAN_BLOCK for block `hash`. */
export function orphanKeys(keys: KeySchema, hash: string): string[] {
  return [
    keys.blocksCandidates,
    keys.blocksMatured,
    keys.block(hash),
    keys.round(hash),
    keys.roundCurrent,
    keys.roundTotal,
    keys.stats,
  ];
}

/**
 * CREDIT. KEYS: 1 blocksCandidates, 2 blocksMatured, 3 block(hash), 4 round(hash), 5 stats, 6 creditedAddresses,
 * 7.. worker(addr) per credit. ARGV: 1 hash, 2 height, 3 reward, 4 fee, 5 now ms, 6 split JSON, 7 credited total,
 * then per credit i: ARGV[7+2i-1] address, ARGV[7+2i] amount.
 */
export const CREDIT_BLOCK = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
if redis.call('HEXISTS', KEYS[3], 'credited') == 1 then return 0 end
local n = #KEYS - 6
for i = 1, n do
  if not string.match(ARGV[7 + 2 * i], '^%d+$') then return -1 end
end
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 1, n do
  local amount = ARGV[7 + 2 * i]
  redis.call('HINCRBY', KEYS[6 + i], 'balance', amount)
  redis.call('HINCRBY', KEYS[6 + i], 'credited', amount)
  redis.call('SADD', KEYS[6], ARGV[7 + 2 * i - 1])
end
redis.call('HSET', KEYS[3], 'status', 'unlocked', 'reward', ARGV[3], 'fee', ARGV[4], 'credited', '1',
  'settledAt', ARGV[5], 'split', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('DEL', KEYS[4])
redis.call('HINCRBY', KEYS[5], 'totalRevenue', ARGV[4])
redis.call('HINCRBY', KEYS[5], 'totalMined', ARGV[3])
redis.call('HINCRBY', KEYS[5], 'totalCredited', ARGV[7])
redis.call('HINCRBY', KEYS[5], 'blocksUnlocked', 1)
return 1
`;

/**
 * ORPHAN. KEYS: 1 blocksCandidates, 2 blocksMatured, 3 block(hash), 4 round(hash), 5 roundCurrent, 6 roundTotal,
 * 7 stats. ARGV: 1 hash, 2 height, 3 "1" to add the round back into the current round (prop), 4 now ms.
 */
export const ORPHAN_BLOCK = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
if redis.call('HEXISTS', KEYS[3], 'credited') == 1 then return 0 end
local round = {}
local shares = redis.call('HGET', KEYS[3], 'shares') or '0'
if ARGV[3] == '1' then
  round = redis.call('HGETALL', KEYS[4])
  for i = 2, #round, 2 do
    if not string.match(round[i], '^%d+$') then return -1 end
  end
  if not string.match(shares, '^%d+$') then return -1 end
end
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[3] == '1' then
  for i = 1, #round, 2 do
    redis.call('HINCRBY', KEYS[5], round[i], round[i + 1])
  end
  redis.call('INCRBY', KEYS[6], shares)
end
redis.call('HSET', KEYS[3], 'status', 'orphaned', 'settledAt', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('DEL', KEYS[4])
redis.call('HINCRBY', KEYS[7], 'blocksOrphaned', 1)
return 1
`;
