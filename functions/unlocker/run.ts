/**
 * The block unlocker: settles each candidate block exactly once.
 *
 * Per candidate in blocksCandidates (score = height, member = hash):
 * 1. look up the main-chain header at its height; an RPC error changes nothing for that block;
 * 2. while that header is shallower than `blockUnlocker.depth`, wait (report its confirmations). As in the seed,
 *    nothing is decided before maturity, so a short reorg that later resolves back never loses a block;
 * 3. at depth: a different hash is an orphan (prop rounds go back into the current round, as the seed does;
 *    slush rounds do not: their scores are on the old round's time scale; scripts.ts ORPHAN);
 *    the same hash unlocks: the header's reward is split exactly (split.ts) and credited in one Lua step (CREDIT).
 * A candidate recorded with submit "unconfirmed" (the stratum node's submit_block got no verdict: a timeout, a reset
 * after sending, a 5xx) is looked up by hash first (`get_block_header_by_hash`): if the daemon has it, the record
 * becomes submit "accepted"; if not (or the lookup fails), it stays unconfirmed. Either way steps 1-3 decide it, so an
 * unconfirmed candidate the chain never had is orphaned at depth (another block holds its height) with its round
 * treated like any orphan's, and one the chain has is credited once it matures.
 * A dry run computes and reports the same decisions and splits without writing anything.
 *
 * Data model (Redis, keys from shared/redis/keys.ts):
 * - reads blocksCandidates, block(hash) {height, scheme, finder, shares, submit}, round(hash) {login -> integer weight};
 * - an unconfirmed candidate the daemon has: block(hash) {submit "accepted"};
 * - on unlock: worker(addr) `balance` += credit and `credited` += credit (the lifetime total, for ledger checks),
 *   creditedAddresses += addr, block(hash) {status "unlocked", reward, fee, credited "1", settledAt, split JSON},
 *   blocksMatured += hash, round(hash) deleted, stats {totalRevenue += fee, totalMined += reward,
 *   totalCredited += reward - fee, blocksUnlocked += 1};
 * - on orphan: roundCurrent/roundTotal += the round (prop only), block(hash) {status "orphaned", settledAt},
 *   blocksMatured += hash, round(hash) deleted, stats.blocksOrphaned += 1;
 * - heartbeat('unlocker') = unix ms after each run that was not a dry run.
 */
import { ERRORS, PoolError, errorMessage } from '../../shared/errors.js';
import { keySchema, type KeySchema } from '../../shared/redis/keys.js';
import type { Storage } from '../../shared/storage/port.js';
import type { BlockHeader } from '../../shared/rpc/daemon.js';
import type { RunInput, UnlockerDeps } from './deps.js';
import { asBigint, asHash, asInt, asScored } from '../../shared/storage/replies.js';
import { CREDIT_BLOCK, ORPHAN_BLOCK, creditKeys, orphanKeys } from './scripts.js';
import { splitReward, type RewardScheme, type RewardSplit } from './split.js';

export type BlockAction = 'unlocked' | 'orphaned' | 'waiting' | 'error' | 'already-settled';

export interface BlockReport {
  hash: string;
  height: number;
  action: BlockAction;
  confirmations?: number;
  /** Set while waiting when the main chain holds another block at this height (orphan at maturity unless it changes back). */
  mainChainHashDiffers?: boolean;
  /** Only for a candidate recorded with submit "unconfirmed": what the lookup by hash found this run. */
  submit?: 'accepted' | 'unconfirmed';
  reward?: string;
  fee?: string;
  credits?: Record<string, string>;
  error?: string;
}

export interface UnlockerResult {
  function: 'unlocker';
  dryRun: boolean;
  at: number;
  candidates: number;
  unlocked: number;
  orphaned: number;
  waiting: number;
  errors: number;
  blocks: BlockReport[];
}

const SCHEMES: readonly RewardScheme[] = ['prop', 'pplns', 'solo', 'slush'];

export async function run(deps: UnlockerDeps, input: RunInput = {}): Promise<UnlockerResult> {
  const dryRun = input.dryRun === true;
  const keys = keySchema(deps.config.coin);
  const candidates = asScored(await deps.storage.command(['ZRANGE', keys.blocksCandidates, '0', '-1', 'WITHSCORES']));
  const blocks: BlockReport[] = [];
  for (const { member: hash, score: height } of candidates) {
    const report = await settleOne(deps, keys, hash, height, dryRun).catch((e: unknown): BlockReport => ({
      hash,
      height,
      action: 'error',
      error: errorMessage(e),
    }));
    if (report.action === 'error') deps.log.error({ block: report }, 'unlocker: block left unchanged');
    else if (report.action !== 'waiting') deps.log.info({ block: report }, `unlocker: block ${report.action}`);
    blocks.push(report);
  }
  const at = deps.now();
  if (!dryRun) await writeHeartbeat(deps.storage, keys, at);
  const count = (a: BlockAction) => blocks.filter((b) => b.action === a).length;
  return {
    function: 'unlocker',
    dryRun,
    at,
    candidates: candidates.length,
    unlocked: count('unlocked'),
    orphaned: count('orphaned'),
    waiting: count('waiting'),
    errors: count('error'),
    blocks,
  };
}

/** keys.heartbeat('unlocker') = unix ms; alarms and /admin_monitoring read it. */
export async function writeHeartbeat(storage: Storage, keys: KeySchema, atMs: number): Promise<void> {
  await storage.command(['SET', keys.heartbeat('unlocker'), String(atMs)]);
}

async function settleOne(
  deps: UnlockerDeps,
  keys: KeySchema,
  hash: string,
  height: number,
  dryRun: boolean,
): Promise<BlockReport> {
  const block = asHash(await deps.storage.command(['HGETALL', keys.block(hash)]));
  if (block.height === undefined)
    return { hash, height, action: 'error', error: `no block record ${keys.block(hash)}` };
  if (isSettled(block)) return { hash, height, action: 'already-settled' };
  const scheme = block.scheme as RewardScheme;
  if (!SCHEMES.includes(scheme)) return { hash, height, action: 'error', error: `unknown scheme ${block.scheme}` };
  const submit = block.submit === 'unconfirmed' ? await confirmSubmit(deps, keys, hash, dryRun) : undefined;
  const report = await settleByChain(deps, keys, block, hash, height, scheme, dryRun);
  return submit ? { ...report, submit } : report;
}

/**
 * An unconfirmed candidate (its submit_block got no verdict) that the daemon knows by hash, on the main chain or a
 * side chain, was delivered after all: its record becomes submit "accepted". A daemon that does not know it (or no
 * answer) leaves it unconfirmed; the main chain at depth decides it either way.
 */
async function confirmSubmit(
  deps: UnlockerDeps,
  keys: KeySchema,
  hash: string,
  dryRun: boolean,
): Promise<'accepted' | 'unconfirmed'> {
  try {
    await deps.daemon.getBlockHeaderByHash(hash);
  } catch (err) {
    deps.log.info({ hash, err }, 'unlocker: unconfirmed candidate not (yet) known to the daemon');
    return 'unconfirmed';
  }
  if (!dryRun) await deps.storage.command(['HSET', keys.block(hash), 'submit', 'accepted']);
  return 'accepted';
}

async function settleByChain(
  deps: UnlockerDeps,
  keys: KeySchema,
  block: Record<string, string>,
  hash: string,
  height: number,
  scheme: RewardScheme,
  dryRun: boolean,
): Promise<BlockReport> {
  let header: BlockHeader;
  try {
    header = await deps.daemon.getBlockHeaderByHeight(height);
  } catch (e) {
    return { hash, height, action: 'error', error: `daemon: ${errorMessage(e)}` };
  }
  if (header.height !== height) {
    return { hash, height, action: 'error', error: `daemon answered height ${header.height} for ${height}` };
  }
  const differs = header.hash !== hash;
  if (header.depth < deps.config.blockUnlocker.depth) {
    return {
      hash,
      height,
      action: 'waiting',
      confirmations: header.depth,
      ...(differs ? { mainChainHashDiffers: true } : {}),
    };
  }
  return differs
    ? orphan(deps, keys, hash, height, scheme, dryRun)
    : unlock(deps, keys, block, hash, height, header, dryRun);
}

async function unlock(
  deps: UnlockerDeps,
  keys: KeySchema,
  block: Record<string, string>,
  hash: string,
  height: number,
  header: BlockHeader,
  dryRun: boolean,
): Promise<BlockReport> {
  const round = await readRound(deps.storage, keys, hash);
  const scheme = block.scheme as RewardScheme;
  const finder = block.finder ?? '';
  if (round.size === 0 && scheme === 'solo' && finder) round.set(finder, 1n);
  if (round.size === 0) {
    // another unlocker may have settled the block (and deleted its round) since we read the block record
    const now = asHash(await deps.storage.command(['HGETALL', keys.block(hash)]));
    if (isSettled(now)) return { hash, height, action: 'already-settled' };
    return { hash, height, action: 'error', error: `round ${keys.round(hash)} is empty or missing` };
  }
  const s = splitReward(header.reward, scheme, finder, round, deps.config);
  const report: BlockReport = {
    hash,
    height,
    action: 'unlocked',
    confirmations: header.depth,
    reward: s.reward.toString(),
    fee: s.fee.toString(),
    credits: Object.fromEntries(s.credits.map((c) => [c.address, c.amount.toString()])),
  };
  if (dryRun) return report;
  const credited = s.reward - s.fee;
  const reply = await deps.storage.evalScript(
    CREDIT_BLOCK,
    creditKeys(
      keys,
      hash,
      s.credits.map((c) => c.address),
    ),
    [
      hash,
      String(height),
      s.reward.toString(),
      s.fee.toString(),
      String(deps.now()),
      splitSummary(s),
      credited.toString(),
      ...s.credits.flatMap((c) => [c.address, c.amount.toString()]),
    ],
  );
  return scriptOutcome(asInt(reply), report);
}

async function orphan(
  deps: UnlockerDeps,
  keys: KeySchema,
  hash: string,
  height: number,
  scheme: RewardScheme,
  dryRun: boolean,
): Promise<BlockReport> {
  const report: BlockReport = { hash, height, action: 'orphaned' };
  if (dryRun) return report;
  // Slush scores grow with time from their round's start; added to the next round unchanged they would be on the
  // wrong scale (by exp(elapsed/weight)) and take most of the next block, so an orphaned slush round is not given back.
  const giveBack = scheme === 'prop' ? '1' : '0';
  const reply = await deps.storage.evalScript(ORPHAN_BLOCK, orphanKeys(keys, hash), [
    hash,
    String(height),
    giveBack,
    String(deps.now()),
  ]);
  return scriptOutcome(asInt(reply), report);
}

function isSettled(block: Record<string, string>): boolean {
  return block.credited !== undefined || block.status === 'unlocked' || block.status === 'orphaned';
}

function scriptOutcome(code: number, report: BlockReport): BlockReport {
  if (code === 1) return report;
  if (code === 0) return { hash: report.hash, height: report.height, action: 'already-settled' };
  return { hash: report.hash, height: report.height, action: 'error', error: 'round holds a non-integer weight' };
}

/** round(hash) as login -> weight; every weight must be a non-negative integer (the seed's float slush scores are not). */
async function readRound(storage: Storage, keys: KeySchema, hash: string): Promise<Map<string, bigint>> {
  const raw = asHash(await storage.command(['HGETALL', keys.round(hash)]));
  const out = new Map<string, bigint>();
  for (const [login, w] of Object.entries(raw)) {
    const weight = asBigint(w);
    if (weight < 0n) throw new PoolError(ERRORS.STORAGE, `negative weight for ${login} in ${keys.round(hash)}`);
    if (weight > 0n) out.set(login, weight);
  }
  return out;
}

function splitSummary(s: RewardSplit): string {
  return JSON.stringify({
    fee: s.fee.toString(),
    finder: s.finder ? { address: s.finder.address, amount: s.finder.amount.toString() } : null,
    donations: s.donations.map((d) => ({ address: d.address, amount: d.amount.toString() })),
    miners: s.miners.reduce((a, m) => a + m.amount, 0n).toString(),
    payees: s.miners.filter((m) => m.amount > 0n).length,
  });
}
