/**
 * The Redis key schema: every key the pool reads or writes, its type, its writer and its lifetime.
 * All keys share one prefix with a hash tag, `{<coin>}:`, so Lua scripts and MULTI stay valid on a
 * cluster endpoint (all keys land in one slot). Integers are stored as decimal strings.
 * Money (balances, rewards, fees) is always an integer count of atomic units (1 XMR = 1e12).
 *
 * | key                          | type   | writer                | contents / lifetime |
 * |------------------------------|--------|-----------------------|---------------------|
 * | nodeSeq                      | string | stratum (INCR)        | last node id handed to a stratum process; forever |
 * | flushed(batchId)             | string | stratum (SET NX EX)   | "1": share batch `batchId` ("<nodeId>-<hex>") was applied; makes a retried or replayed batch a no-op; TTL 1 day |
 * | roundCurrent                 | hash   | stratum               | PROP/slush: login -> summed credited difficulty (slush: integer score) of the open round; renamed at block found |
 * | roundTotal                   | string | stratum               | sum of raw share difficulty in the open round (effort numerator) |
 * | shareLog                     | list   | stratum (LPUSH)       | PPLNS: newest-first entries "login:diff"; trimmed from the tail to just over 1.5 windows |
 * | shareLogTotal                | string | stratum               | PPLNS: sum of the diffs in shareLog |
 * | round(hash)                  | hash   | stratum (block found) | login -> credited score for the round ending in block `hash`; deleted when the block is settled |
 * | blocksCandidates             | zset   | stratum / unlocker    | score = height, member = block hash; blocks waiting for maturity |
 * | blocksMatured                | zset   | unlocker              | score = height, member = block hash; unlocked or orphaned; forever |
 * | block(hash)                  | hash   | stratum / unlocker    | BlockRecord (below); forever |
 * | worker(addr)                 | hash   | stratum / unlocker / payments | hashes, lastShare (unix s), balance, pending, paid, threshold?, credited (lifetime credits), feePaid (tx fees charged, feePayer "payees"); NEVER expires |
 * | creditedAddresses            | set    | unlocker              | every address ever credited (the payer's and the ledger checks' index; no KEYS/SCAN); forever |
 * | workerRigs(addr)             | hash   | stratum               | rig name -> lastShare (unix s); expires after 7 days idle |
 * | minerIps(addr)               | zset   | stratum               | ip -> last seen (unix ms); trimmed to 30 days, proves ownership for threshold changes |
 * | hashrateBucket(t)            | hash   | stratum               | field "total" | "m:<addr>" | "w:<addr>:<rig>" -> summed difficulty in the bucket starting at unix second t; TTL 2 x hashrateWindow + 1 h |
 * | stats                        | hash   | stratum / unlocker / payments | lastBlockFound (ms), lastBlockFoundHeight, totalShares, totalInvalid, roundStart (ms); unlocker: totalMined, totalRevenue (pool fees), totalCredited, blocksUnlocked, blocksOrphaned; payments: totalPaid, totalTxFees, totalFeesCharged |
 * | paymentsAll                  | zset   | payments              | score = unix s, member "txHash:amount:fee:mixin:nDest" (seed format); forever |
 * | payments(addr)               | zset   | payments              | score = unix s, member "txHash:amount:fee:mixin" (seed format); forever |
 * | payLock                      | string | payments              | "<token>" with PX; the single-payer lock |
 * | payFence                     | string | payments (INCR)       | fencing token counter |
 * | payFailStop                  | string | payments / operator   | JSON {reason, batchId?, at}; payouts halted while present |
 * | payBatch(id)                 | hash   | payments              | PaymentBatch record; forever |
 * | payBatchesOpen               | zset   | payments              | score = created ms, member = batch id; batches not yet finalized |
 * | payBatchSeq                  | string | payments (INCR)       | batch id counter |
 * | payFeeHolds                  | string | payments (INCR/DEL)   | consecutive runs held because payments.transferFee was too small (feePayer "payees"); fail-stop at 3 |
 * | statsSnapshot                | string | stats function        | JSON PoolStatsSnapshot for the API; TTL 1 h |
 * | chart(name)                  | zset   | stats function        | score = unix s, member "<unix s>:<value>"; trimmed to chart retention |
 * | minerChart(addr)             | zset   | stats function        | same shape, per miner hashrate; TTL = retention |
 * | heartbeat(fn)                | string | each function         | unix ms of the last successful run; for alarms and /admin_monitoring |
 * | adminFail(ip)                | string | api                   | failed admin logins counter; TTL 15 min |
 * | functionLock(name)           | string | each function / `pool invoke` | "<random token>" with PX; one run of function `name` at a time |
 *
 * BlockRecord (hash `block(hash)`): hash, height, time (ms found), difficulty (network), shares (sum of round
 * difficulty), finder (login), scheme ("prop"|"pplns"|"solo"|"slush"), status ("candidate"|"unlocked"|"orphaned"),
 * reward? (atomic units, set at unlock), credited? ("1" once balances were credited), node (stratum node id),
 * submit? ("accepted": monerod accepted submit_block; "unconfirmed": the submit_block reply was lost, so the block is
 * a candidate the unlocker must find on the chain before trusting it; absent on records written before the field).
 *
 * Slot rule: every key above starts with the same hash-tagged prefix, and every Lua script receives every key it
 * touches in KEYS, built here (never assembled inside the script); see docs/redis.md.
 */
export interface KeySchema {
  readonly prefix: string;
  readonly nodeSeq: string;
  flushed(batchId: string): string;
  readonly roundCurrent: string;
  readonly roundTotal: string;
  readonly shareLog: string;
  readonly shareLogTotal: string;
  round(blockHash: string): string;
  readonly blocksCandidates: string;
  readonly blocksMatured: string;
  block(blockHash: string): string;
  worker(address: string): string;
  readonly creditedAddresses: string;
  workerRigs(address: string): string;
  minerIps(address: string): string;
  hashrateBucket(bucketStartSec: number): string;
  readonly stats: string;
  readonly paymentsAll: string;
  payments(address: string): string;
  readonly payLock: string;
  readonly payFence: string;
  readonly payFailStop: string;
  payBatch(id: string): string;
  readonly payBatchesOpen: string;
  readonly payBatchSeq: string;
  readonly payFeeHolds: string;
  readonly statsSnapshot: string;
  chart(name: string): string;
  minerChart(address: string): string;
  heartbeat(fn: string): string;
  adminFail(ip: string): string;
  functionLock(name: string): string;
}

export function keySchema(coin: string): KeySchema {
  const p = `{${coin}}:`;
  return Object.freeze({
    prefix: p,
    nodeSeq: `${p}nodes:seq`,
    flushed: (id: string) => `${p}flushed:${id}`,
    roundCurrent: `${p}shares:roundCurrent`,
    roundTotal: `${p}shares:roundTotal`,
    shareLog: `${p}shares:log`,
    shareLogTotal: `${p}shares:logTotal`,
    round: (h: string) => `${p}shares:round:${h}`,
    blocksCandidates: `${p}blocks:candidates`,
    blocksMatured: `${p}blocks:matured`,
    block: (h: string) => `${p}block:${h}`,
    worker: (a: string) => `${p}workers:${a}`,
    creditedAddresses: `${p}ledger:addresses`,
    workerRigs: (a: string) => `${p}workers:${a}:rigs`,
    minerIps: (a: string) => `${p}workers:${a}:ips`,
    hashrateBucket: (t: number) => `${p}hr:${t}`,
    stats: `${p}stats`,
    paymentsAll: `${p}payments:all`,
    payments: (a: string) => `${p}payments:${a}`,
    payLock: `${p}pay:lock`,
    payFence: `${p}pay:fence`,
    payFailStop: `${p}pay:failstop`,
    payBatch: (id: string) => `${p}pay:batch:${id}`,
    payBatchesOpen: `${p}pay:batches:open`,
    payBatchSeq: `${p}pay:batch:seq`,
    payFeeHolds: `${p}pay:feeholds`,
    statsSnapshot: `${p}stats:snapshot`,
    chart: (n: string) => `${p}charts:${n}`,
    minerChart: (a: string) => `${p}charts:miner:${a}`,
    heartbeat: (fn: string) => `${p}heartbeat:${fn}`,
    adminFail: (ip: string) => `${p}admin:fail:${ip}`,
    functionLock: (name: string) => `${p}lock:fn:${name}`,
  });
}

/** The hash tag of a key (the text between the first "{" and the next "}", when not empty), as Redis Cluster hashes it; null when none. */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return null;
  return key.slice(open + 1, close);
}

/** Hashrate bucket width in seconds. Buckets are aligned to multiples of this. */
export const HASHRATE_BUCKET_SECONDS = 30;
