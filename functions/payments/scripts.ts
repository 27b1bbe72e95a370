/**
 * The payer's Lua scripts. Every state-changing script takes KEYS[1] = payLock and ARGV[1] = the caller's fencing
 * token and does nothing (returns -2) unless the lock still holds that token, so a payer that lost its lock (paused,
 * TTL expired, another payer took over) can never move money in the ledger. Every script validates before its first
 * write. Money is passed and stored as decimal strings; Lua never does arithmetic on it (HINCRBY does, in 64 bits),
 * and balances are compared digit by digit, so amounts above 2^53 stay exact.
 *
 * Return codes: 1 done, -2 lock lost, -3 insufficient balance, -4 batch exists, -5 wrong status, -6 keys do not
 * match the batch's destinations.
 *
 * Slots: every key a script touches is in KEYS (built in ledger.ts from shared/redis/keys.ts). The worker and payments
 * key prefixes some scripts take in ARGV are only compared with KEYS entries (KEYS must be the batch's destinations);
 * no script calls Redis on a name it assembled (docs/redis.md).
 */

const FENCE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -2 end\n`;

/** Checks that KEYS[first + step*(i-1)] names the worker hash (prefix .. address) of destination i. */
const DESTS = `
local function dests_of(batch, first, step, prefix)
  local d = cjson.decode(redis.call('HGET', batch, 'destinations'))
  if (#KEYS - first + 1) ~= #d * step then return nil end
  for i, x in ipairs(d) do
    if KEYS[first + step * (i - 1)] ~= prefix .. x.address then return nil end
  end
  return d
end
`;

/** KEYS: 1 payLock, 2 payFence. ARGV: 1 ttl ms. Returns the new token, or nil when another payer holds the lock. */
export const ACQUIRE_LOCK = `
local token = tostring(redis.call('INCR', KEYS[2]))
if redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[1]) then return token end
return false
`;

/** KEYS: 1 payLock. ARGV: 1 token, 2 ttl ms (extend) or "" (release). */
export const EXTEND_OR_RELEASE_LOCK = `
${FENCE}
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

/**
 * RESERVE. KEYS: 1 payLock, 2 payBatch(id), 3 payBatchesOpen, 4.. worker(addr) per destination.
 * ARGV: 1 token, 2 id, 3 now ms, 4 destinations JSON, 5 feePayer, 6 total, 7.. reserve per destination.
 */
export const RESERVE = `
${FENCE}
if redis.call('EXISTS', KEYS[2]) == 1 then return -4 end
local function ge(a, b)
  if string.sub(a, 1, 1) == '-' then return false end
  if #a ~= #b then return #a > #b end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return true
end
for i = 4, #KEYS do
  local r = ARGV[i + 3]
  if not string.match(r, '^[1-9]%d*$') then return -3 end
  if not ge(redis.call('HGET', KEYS[i], 'balance') or '0', r) then return -3 end
end
for i = 4, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'balance', '-' .. ARGV[i + 3])
  redis.call('HINCRBY', KEYS[i], 'pending', ARGV[i + 3])
end
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'status', 'reserved', 'fence', ARGV[1], 'created', ARGV[3],
  'updated', ARGV[3], 'destinations', ARGV[4], 'feePayer', ARGV[5], 'total', ARGV[6], 'payees', tostring(#KEYS - 3),
  'relayAttempts', '0')
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
return 1
`;

/**
 * RELEASE: reserved (or, for the operator after checking the chain, signed/relayed) -> released; each reserve goes
 * from pending back to balance. KEYS: 1 payLock, 2 payBatch(id), 3 payBatchesOpen, 4.. worker(addr) per destination.
 * ARGV: 1 token, 2 now ms, 3 reason, 4 worker key prefix, 5 "1" to allow signed/relayed.
 */
export const RELEASE = `
${FENCE}${DESTS}
local status = redis.call('HGET', KEYS[2], 'status')
if status ~= 'reserved' and not (ARGV[5] == '1' and (status == 'signed' or status == 'relayed')) then return -5 end
local d = dests_of(KEYS[2], 4, 1, ARGV[4])
if not d then return -6 end
for i, x in ipairs(d) do
  redis.call('HINCRBY', KEYS[3 + i], 'pending', '-' .. x.reserve)
  redis.call('HINCRBY', KEYS[3 + i], 'balance', x.reserve)
end
redis.call('HSET', KEYS[2], 'status', 'released', 'releasedAt', ARGV[2], 'updated', ARGV[2], 'releaseReason', ARGV[3])
redis.call('ZREM', KEYS[3], redis.call('HGET', KEYS[2], 'id'))
return 1
`;

/**
 * PERSIST SIGNED: reserved -> signed. KEYS: 1 payLock, 2 payBatch(id).
 * ARGV: 1 token, 2 now ms, 3 txHash, 4 txKey, 5 txMetadata, 6 fee, 7 destinations JSON (with shares and refunds),
 * 8 key images JSON, 9 fee charged to payees.
 */
export const PERSIST_SIGNED = `
${FENCE}
if redis.call('HGET', KEYS[2], 'status') ~= 'reserved' then return -5 end
redis.call('HSET', KEYS[2], 'status', 'signed', 'updated', ARGV[2], 'signedAt', ARGV[2], 'txHash', ARGV[3],
  'txKey', ARGV[4], 'txMetadata', ARGV[5], 'fee', ARGV[6], 'destinations', ARGV[7], 'keyImages', ARGV[8],
  'feeCharged', ARGV[9])
return 1
`;

/** MARK SUBMIT (before every relay_tx): KEYS: 1 payLock, 2 payBatch(id). ARGV: 1 token, 2 now ms. Returns attempts. */
export const MARK_SUBMIT = `
${FENCE}
local status = redis.call('HGET', KEYS[2], 'status')
if status ~= 'signed' and status ~= 'relayed' then return -5 end
redis.call('HSETNX', KEYS[2], 'submitStarted', ARGV[2])
redis.call('HSET', KEYS[2], 'lastSubmit', ARGV[2], 'updated', ARGV[2])
return redis.call('HINCRBY', KEYS[2], 'relayAttempts', 1)
`;

/** MARK RELAYED: signed -> relayed. KEYS: 1 payLock, 2 payBatch(id). ARGV: 1 token, 2 now ms. */
export const MARK_RELAYED = `
${FENCE}
local status = redis.call('HGET', KEYS[2], 'status')
if status == 'relayed' then return 1 end
if status ~= 'signed' then return -5 end
redis.call('HSET', KEYS[2], 'status', 'relayed', 'relayedAt', ARGV[2], 'updated', ARGV[2])
return 1
`;

/**
 * NOTE ERROR: KEYS: 1 payLock, 2 payBatch(id). ARGV: 1 token, 2 now ms, 3 message, 4 "1" when the relay attempt
 * MARK_SUBMIT counted was not made (held before relaying: the count is given back, so holds never exhaust
 * MAX_RELAY_ATTEMPTS; back at 0, no relay was ever attempted, so submitStarted goes too and the operator may still
 * release the batch).
 */
export const NOTE_ERROR = `
${FENCE}
redis.call('HSET', KEYS[2], 'lastError', ARGV[3], 'updated', ARGV[2])
if ARGV[4] == '1' and tonumber(redis.call('HGET', KEYS[2], 'relayAttempts') or '0') > 0 then
  if redis.call('HINCRBY', KEYS[2], 'relayAttempts', -1) == 0 then
    redis.call('HDEL', KEYS[2], 'submitStarted')
  end
end
return 1
`;

/**
 * SETTLE: signed|relayed -> sent, and the ledger move in the same step: per destination pending -= reserve,
 * paid += amount, balance += refund, feePaid += share, payments(addr) += "tx:amount:share:mixin"; paymentsAll +=
 * "tx:total:fee:mixin:nDest"; stats totalPaid/totalTxFees/totalFeesCharged.
 * KEYS: 1 payLock, 2 payBatch(id), 3 paymentsAll, 4 stats, then per destination worker(addr), payments(addr).
 * ARGV: 1 token, 2 now ms, 3 now unix s, 4 mixin, 5 worker key prefix, 6 payments key prefix.
 */
export const SETTLE = `
${FENCE}${DESTS}
local status = redis.call('HGET', KEYS[2], 'status')
if status ~= 'signed' and status ~= 'relayed' then return -5 end
local d = dests_of(KEYS[2], 5, 2, ARGV[5])
if not d then return -6 end
for i, x in ipairs(d) do
  if KEYS[6 + 2 * (i - 1)] ~= ARGV[6] .. x.address then return -6 end
end
local b = redis.call('HMGET', KEYS[2], 'txHash', 'fee', 'total', 'feeCharged')
local tx, fee, total, charged = b[1], b[2], b[3], b[4] or '0'
for i, x in ipairs(d) do
  local w, p = KEYS[5 + 2 * (i - 1)], KEYS[6 + 2 * (i - 1)]
  redis.call('HINCRBY', w, 'pending', '-' .. x.reserve)
  redis.call('HINCRBY', w, 'paid', x.amount)
  if x.refund ~= '0' then redis.call('HINCRBY', w, 'balance', x.refund) end
  if x.share ~= '0' then redis.call('HINCRBY', w, 'feePaid', x.share) end
  redis.call('ZADD', p, ARGV[3], tx .. ':' .. x.amount .. ':' .. x.share .. ':' .. ARGV[4])
end
redis.call('ZADD', KEYS[3], ARGV[3], tx .. ':' .. total .. ':' .. fee .. ':' .. ARGV[4] .. ':' .. #d)
redis.call('HINCRBY', KEYS[4], 'totalPaid', total)
redis.call('HINCRBY', KEYS[4], 'totalTxFees', fee)
if charged ~= '0' then redis.call('HINCRBY', KEYS[4], 'totalFeesCharged', charged) end
redis.call('HSET', KEYS[2], 'status', 'sent', 'sentAt', ARGV[2], 'updated', ARGV[2])
return 1
`;

/** FINALIZE: sent -> final, off the open list. KEYS: 1 payLock, 2 payBatch(id), 3 payBatchesOpen. ARGV: 1 token, 2 now. */
export const FINALIZE = `
${FENCE}
if redis.call('HGET', KEYS[2], 'status') ~= 'sent' then return -5 end
redis.call('HSET', KEYS[2], 'status', 'final', 'finalAt', ARGV[2], 'updated', ARGV[2])
redis.call('ZREM', KEYS[3], redis.call('HGET', KEYS[2], 'id'))
return 1
`;
