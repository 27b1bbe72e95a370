/**
 * Share validation: decides whether one `submit` is a valid share, without touching sockets, Redis or bans.
 *
 * Order of checks (cheapest first, nothing hashed until the claim could be worth it):
 * 1. job id known to this miner -> 2. nonce and result well formed -> 3. not a duplicate (canonical lowercase nonce,
 * remembered before hashing so concurrent copies are caught) -> 4. the job's template still current (same height and
 * parent) -> 5. result not all zero -> 6. the claimed result meets the job target -> 7. the share-trust lottery
 * (one draw; never for a share claiming block difficulty) -> 8. RandomX hash off the event loop, through the hash
 * scheduler (hash-scheduler.ts: fair per IP, IPs with verified shares first), equal to the claimed result (so it
 * meets the target too). A hash that matches makes the IP "known" to the scheduler. When the scheduler refuses
 * (its per-connection/per-IP bounds), the reply is 'busy' for a known IP (harmless) and 'flood' for an unknown one
 * (counts toward its ban); work of an IP banned while it waited comes back 'banned', unhashed.
 *
 * Data model: reads Miner/MinerJob (miner.ts) and the job manager's templates; writes only the job's submission set
 * and the miner's share-trust state. Returns a ShareOutcome; the caller credits, bans and answers.
 */
import type { Logger } from 'pino';
import type { HashScheduler } from './hash-scheduler.js';
import { hexToBytes, bytesEqual } from '../shared/hex.js';
import { hashMeetsDifficulty, hashMeetsTarget64 } from '../shared/monero/difficulty.js';
import type { ActiveTemplate, JobManager } from './jobs.js';
import { MAX_SUBMISSIONS_PER_JOB, type Miner, type MinerJob } from './miner.js';
import type { Metrics } from './metrics.js';
import type { RejectReason } from './rejects.js';

const NONCE_RE = /^[0-9a-fA-F]{8}$/;
const RESULT_RE = /^[0-9a-fA-F]{64}$/;

export interface ValidationDeps {
  readonly jobs: JobManager;
  readonly hashes: HashScheduler;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** A share that passed every check. `hash` is the verified RandomX hash, or the claimed result when trusted. */
export interface ValidShare {
  readonly kind: 'valid';
  readonly job: MinerJob;
  readonly template: ActiveTemplate;
  readonly nonce: Uint8Array;
  /** The hashing blob with the nonce in place. */
  readonly blob: Uint8Array;
  readonly hash: Uint8Array;
  /** Hashing was skipped by share trust (never for a block claim). */
  readonly trusted: boolean;
  /** The verified hash meets the template's network difficulty. */
  readonly isBlock: boolean;
}

export type ShareOutcome = ValidShare | { readonly kind: 'rejected'; readonly reason: RejectReason };

const reject = (reason: RejectReason): ShareOutcome => ({ kind: 'rejected', reason });

export async function validateShare(
  deps: ValidationDeps,
  miner: Miner,
  params: Record<string, unknown>,
): Promise<ShareOutcome> {
  const job = typeof params.job_id === 'string' ? miner.findJob(params.job_id) : undefined;
  if (!job) return reject('unknown_job');
  if (typeof params.nonce !== 'string' || !NONCE_RE.test(params.nonce)) return reject('bad_nonce');
  if (typeof params.result !== 'string' || !RESULT_RE.test(params.result)) return reject('bad_result');
  const nonceHex = params.nonce.toLowerCase();
  const seen = (job.submissions ??= new Set());
  if (seen.has(nonceHex)) return reject('duplicate');
  if (seen.size >= MAX_SUBMISSIONS_PER_JOB) return reject('job_full');
  seen.add(nonceHex);
  const template = deps.jobs.find(job.templateId);
  const current = deps.jobs.current;
  if (!template || template.height < current.height || template.prevHash !== current.prevHash) return reject('stale');
  const claimed = hexToBytes(params.result);
  if (claimed.every((b) => b === 0)) return reject('zero_result');
  // a claimed result that does not even meet the target is rejected before we spend a hash on it
  if (!hashMeetsTarget64(claimed, job.target.t64)) {
    miner.trust.onInvalid();
    return reject('low_difficulty');
  }
  const nonce = hexToBytes(nonceHex);
  const blob = deps.jobs.blobFor(template, job.extraNonce); // not kept per job: rebuilt (a few keccaks, no RandomX)
  blob.set(nonce, template.template.nonceOffset);
  const claimsBlock = hashMeetsDifficulty(claimed, template.difficulty);
  if (!claimsBlock && miner.trust.maySkipHashing()) {
    deps.metrics.trustedShares.inc();
    return { kind: 'valid', job, template, nonce, blob, hash: claimed, trusted: true, isBlock: false };
  }
  const end = deps.metrics.hashSeconds.startTimer();
  const outcome = await deps.hashes.hash({ ip: miner.ip, owner: miner, seedHex: job.seedHash, blob, claimsBlock });
  end();
  if (outcome.kind !== 'hash') {
    seen.delete(nonceHex); // not hashed: the same share may come again
    if (outcome.kind === 'banned') return reject('banned');
    if (outcome.kind === 'busy') return reject(deps.hashes.isKnown(miner.ip) ? 'busy' : 'flood');
    deps.log.error({ err: outcome.err }, 'hashing failed');
    return reject('busy');
  }
  const hash = outcome.hash;
  if (!bytesEqual(hash, claimed)) {
    miner.trust.onInvalid();
    return reject('bad_hash');
  }
  miner.trust.onVerifiedValid();
  deps.hashes.markVerified(miner.ip);
  return {
    kind: 'valid',
    job,
    template,
    nonce,
    blob,
    hash,
    trusted: false,
    isBlock: hashMeetsDifficulty(hash, template.difficulty),
  };
}
