/**
 * Why the stratum node refuses a share or a request: a closed union of reasons, each bound to the one wire string
 * xmrig sees (messages.ts). The reason is what metrics and logs count (`pool_shares_total{result=<reason>}`);
 * the string is what the miner reads. Adding a reason means adding its string here, nowhere else.
 *
 * Data model: REJECTS, reason -> miner-facing message. Every reason except `stale`, `busy`, `unauthenticated` and
 * `banned` counts toward the IP's ban score (pool.ts `reject`); `bad_hash` bans at once when
 * poolServer.banning.banOnForgedResult is on (bans.ts).
 */
import { MSG } from './messages.js';

export const REJECTS = {
  unauthenticated: MSG.unauthenticated,
  unknown_job: MSG.invalidJobId,
  bad_nonce: MSG.invalidNonce,
  bad_result: MSG.invalidResult,
  duplicate: MSG.duplicate,
  job_full: MSG.blockExpired,
  stale: MSG.blockExpired,
  zero_result: MSG.invalidShare,
  low_difficulty: MSG.lowDifficulty,
  bad_hash: MSG.invalidShare,
  busy: MSG.busy,
  /** The hash scheduler refused work from an IP with no verified share (hash-scheduler.ts): counts toward its ban. */
  flood: MSG.busy,
  /** The IP was banned while its share waited to be hashed (or before it was read). */
  banned: MSG.banned,
} as const;

export type RejectReason = keyof typeof REJECTS;

/** Reasons that are not the miner's fault: answered, counted, but never held against its IP. */
export const HARMLESS_REJECTS: ReadonlySet<RejectReason> = new Set<RejectReason>([
  'stale',
  'busy',
  'unauthenticated',
  'banned',
]);
