/**
 * One logged-in miner connection and the jobs it was sent.
 *
 * Data model (in memory): Miner {sessionId, ip, login (payout address), rig, solo, difficulty, fixedDiff, vardiff,
 * trust, jobs (the last MAX_JOBS, newest last), lastActivity}.
 * `difficulty` is what the miner asked for (`+DIFF`, fixedDiff) or what vardiff chose; a job is never harder than
 * the block it is for: job difficulty = min(difficulty, the template's network difficulty). A share that meets the
 * network difficulty is a block, so a harder job would only make the miner throw blocks away (xmrig drops a result
 * that misses the job target even when it meets the block's). A vardiff miner's own `difficulty` is lowered to the cap
 * too (whenever a job is made or vardiff retargets), so vardiff measures share times at the difficulty the miner really
 * mines at; a fixed `+DIFF` is kept as asked and applies again once the network is harder than it.
 * MinerJob {id (unique per push), templateId, height, difficulty, target, extraNonce (8 bytes, unique per job), seedHash,
 * submissions (canonical lowercase nonces already accepted or rejected for this job; created at the first submit)}.
 * The job's hashing blob is not kept (it is rebuilt from the template and the extra nonce when a share comes): a
 * miner holds MAX_JOBS jobs, and memory per connection is what lets one node hold tens of thousands of miners.
 */
import { randomBytes } from 'node:crypto';
import { targetForDifficulty, type StratumTarget } from '../shared/monero/difficulty.js';
import { bytesToHex } from '../shared/hex.js';
import { VarDiff, type VarDiffConfig } from './vardiff.js';
import { ShareTrust, type TrustConfig } from './trust.js';
import type { ActiveTemplate } from './jobs.js';

export const MAX_JOBS = 4;
/** Per job, the most submissions we remember for duplicate detection (a miner at its difficulty sends far fewer). */
export const MAX_SUBMISSIONS_PER_JOB = 100_000;

export interface MinerJob {
  readonly id: string;
  readonly templateId: number;
  readonly height: number;
  readonly difficulty: number;
  readonly target: StratumTarget;
  readonly extraNonce: Uint8Array;
  readonly seedHash: string;
  submissions: Set<string> | null;
}

/** The job object xmrig parses (docs/protocol.md, "The job object"). */
export interface StratumJob {
  readonly blob: string;
  readonly job_id: string;
  readonly target: string;
  readonly algo: 'rx/0';
  readonly height: number;
  readonly seed_hash: string;
  readonly next_seed_hash?: string;
  readonly id: string;
}

/** What a login decides about a miner. */
export interface MinerOptions {
  readonly ip: string;
  /** The stratum port it connected to. */
  readonly port: number;
  /** Payout address. */
  readonly login: string;
  readonly rig: string;
  readonly solo: boolean;
  /** Starting difficulty (the fixed one when `fixedDiff`). */
  readonly difficulty: number;
  /** Set by `ADDRESS+DIFF`: vardiff leaves this miner alone. */
  readonly fixedDiff: boolean;
  readonly varDiff: VarDiffConfig;
  readonly trust: TrustConfig;
}

/** The template's network difficulty as a job difficulty bound (beyond 2^53 no miner difficulty comes near it). */
function networkCap(t: ActiveTemplate): number {
  return t.difficulty > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(t.difficulty);
}

/**
 * Targets by difficulty, shared by every job at that difficulty (a broadcast to thousands of miners at a handful of
 * difficulties computes each once; jobs hold one shared object). Bounded: cleared when it reaches TARGET_CACHE_MAX.
 */
const TARGET_CACHE_MAX = 4096;
const targets = new Map<number, StratumTarget>();
function targetFor(difficulty: number): StratumTarget {
  let t = targets.get(difficulty);
  if (!t) {
    if (targets.size >= TARGET_CACHE_MAX) targets.clear();
    t = targetForDifficulty(difficulty);
    targets.set(difficulty, t);
  }
  return t;
}

let jobSeq = 0;
const jobSalt = randomBytes(3).toString('hex');

export class Miner {
  readonly sessionId = randomBytes(16).toString('hex');
  readonly jobs: MinerJob[] = [];
  difficulty: number;
  lastActivity = Date.now();
  validShares = 0;
  invalidShares = 0;
  readonly vardiff: VarDiff;
  readonly trust: ShareTrust;

  readonly ip: string;
  readonly port: number;
  readonly login: string;
  readonly rig: string;
  readonly solo: boolean;
  readonly fixedDiff: boolean;

  constructor(o: MinerOptions) {
    this.ip = o.ip;
    this.port = o.port;
    this.login = o.login;
    this.rig = o.rig;
    this.solo = o.solo;
    this.fixedDiff = o.fixedDiff;
    this.difficulty = o.difficulty;
    this.vardiff = new VarDiff(o.varDiff, Date.now() / 1000);
    this.trust = new ShareTrust(o.trust);
  }

  /** The difficulty of a job for template `t`: the miner's, capped at the block's (see the header). */
  jobDifficulty(t: ActiveTemplate): number {
    return Math.min(this.difficulty, networkCap(t));
  }

  /**
   * Sets the vardiff difficulty to `next`, capped at the template's network difficulty. Returns false when that
   * changes nothing (e.g. vardiff wants more but the miner is already at the cap): no new job is needed.
   */
  retarget(next: number, t: ActiveTemplate): boolean {
    const capped = Math.min(next, networkCap(t));
    if (capped === this.difficulty) return false;
    this.difficulty = capped;
    return true;
  }

  /**
   * Makes a new job (always a new id) for the given template at the miner's difficulty capped at the template's
   * network difficulty. Every job carries its own extra nonce, hence its own blob: a nonce found for one job can
   * never be resubmitted under another job id.
   */
  newJob(t: ActiveTemplate, extraNonce: Uint8Array, blob: Uint8Array, blobHex?: string): StratumJob {
    if (!this.fixedDiff) this.difficulty = this.jobDifficulty(t);
    const difficulty = this.jobDifficulty(t);
    const job: MinerJob = {
      id: `${jobSalt}${(++jobSeq).toString(36)}`,
      templateId: t.id,
      height: t.height,
      difficulty,
      target: targetFor(difficulty),
      extraNonce,
      seedHash: t.seedHash,
      submissions: null,
    };
    this.jobs.push(job);
    if (this.jobs.length > MAX_JOBS) this.jobs.shift();
    return {
      blob: blobHex ?? bytesToHex(blob),
      job_id: job.id,
      target: job.target.hex,
      algo: 'rx/0',
      height: t.height,
      seed_hash: t.seedHash,
      ...(t.nextSeedHash ? { next_seed_hash: t.nextSeedHash } : {}),
      id: this.sessionId,
    };
  }

  findJob(id: string): MinerJob | undefined {
    for (let i = this.jobs.length - 1; i >= 0; i--) if (this.jobs[i]!.id === id) return this.jobs[i];
    return undefined;
  }
}
