/**
 * The reward split of one unlocked block (pure; no I/O).
 *
 * 1. The whole reward is split by the largest-remainder method over basis-point weights:
 *    [pool fee, finder reward, donation 1..n, miners = 10000 - the others]. The pool fee is `soloFee` for solo blocks
 *    and `poolFee` otherwise; the finder reward applies to shared (non-solo) rounds only.
 * 2. The miners' part is split again over the round's integer weights (round(hash): PROP difficulty sums, PPLNS
 *    window difficulties, slush integer scores, SOLO {finder: 1}).
 * 3. Credits are merged per address (an address can be a miner and the finder, or a donation target).
 * The parts are asserted to sum to the reward: miners + fee + donations + finder == reward.
 *
 * The pool fee is not credited to anyone: it stays in the pool wallet and is recorded on the block (`fee`) and in
 * the `stats` hash (`totalRevenue`).
 */
import { ERRORS, PoolError } from '../../shared/errors.js';
import { BPS_WHOLE, assertSum, percentToBps, split } from '../../shared/money.js';

export type RewardScheme = 'prop' | 'pplns' | 'solo' | 'slush';

/** The config the split reads (a subset of PoolConfig). */
export interface SplitConfig {
  rewards: { soloFee: number; finderReward: number };
  blockUnlocker: {
    poolFee: number;
    /** The effective list: shared/config/schema.ts appends devDonation/coreDevDonation when their address is set. */
    donations: readonly { address: string; percent: number }[];
  };
}

export interface Credit {
  address: string;
  amount: bigint;
}

export interface RewardSplit {
  reward: bigint;
  fee: bigint;
  finder: Credit | null;
  donations: Credit[];
  miners: Credit[];
  /** Every non-zero credit merged per address, sorted by address (what the credit script writes). */
  credits: Credit[];
}

/** The donations in force (PoolConfig's list already includes the seed's devDonation/coreDevDonation entries). */
export function donationTargets(cfg: SplitConfig['blockUnlocker']): { address: string; bps: bigint }[] {
  return cfg.donations.map((d) => ({ address: d.address, bps: percentToBps(d.percent) })).filter((d) => d.bps > 0n);
}

export function splitReward(
  reward: bigint,
  scheme: RewardScheme,
  finder: string,
  round: ReadonlyMap<string, bigint>,
  cfg: SplitConfig,
): RewardSplit {
  if (reward <= 0n) throw new PoolError(ERRORS.SPLIT_MISMATCH, `block reward must be positive, got ${reward}`);
  const solo = scheme === 'solo';
  const feeBps = percentToBps(solo ? cfg.rewards.soloFee : cfg.blockUnlocker.poolFee);
  const finderBps = solo || !finder ? 0n : percentToBps(cfg.rewards.finderReward);
  const donations = donationTargets(cfg.blockUnlocker);
  const taken = feeBps + finderBps + donations.reduce((a, d) => a + d.bps, 0n);
  if (taken > BPS_WHOLE) {
    throw new PoolError(ERRORS.CONFIG_INVALID, 'pool fee + finder reward + donations exceed 100 %', {
      bps: taken.toString(),
    });
  }
  const top = split(reward, [feeBps, finderBps, ...donations.map((d) => d.bps), BPS_WHOLE - taken]);
  const fee = top[0] ?? 0n;
  const finderAmount = top[1] ?? 0n;
  const donationCredits = donations.map((d, i) => ({ address: d.address, amount: top[2 + i] ?? 0n }));
  const minersTotal = top[top.length - 1] ?? 0n;

  const logins = [...round.keys()].sort();
  const weights = logins.map((l) => round.get(l) ?? 0n);
  if (minersTotal > 0n && weights.every((w) => w <= 0n)) {
    throw new PoolError(ERRORS.SPLIT_MISMATCH, 'the round has no positive weights to split the miners part over');
  }
  const minerParts = split(minersTotal, weights);
  const miners = logins.map((address, i) => ({ address, amount: minerParts[i] ?? 0n }));

  const finderCredit = finderAmount > 0n ? { address: finder, amount: finderAmount } : null;
  const merged = new Map<string, bigint>();
  for (const c of [...miners, ...donationCredits, ...(finderCredit ? [finderCredit] : [])]) {
    if (c.amount > 0n) merged.set(c.address, (merged.get(c.address) ?? 0n) + c.amount);
  }
  const credits = [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([address, amount]) => ({ address, amount }));
  assertSum([fee, ...credits.map((c) => c.amount)], reward, `block reward split`);
  return { reward, fee, finder: finderCredit, donations: donationCredits, miners, credits };
}
