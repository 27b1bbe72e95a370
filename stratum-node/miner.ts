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
 * What a job holds is kept small, as memory per connection is what lets one node hold tens of thousands of miners
 * (each holds MAX_JOBS jobs): the hashing blob is not kept (it is rebuilt from the template and the extra nonce when
 * a share comes); a Job stores its id as a number (`seq`; the id string is JOB_SALT + seq in base 36, made when
 * sent or asked for), its extra nonce as two numbers (node id and counter; the 8 bytes are made when a share needs
 * them) and its template instead of the template's id, height and seed hash; targets are shared per difficulty,
 * payout addresses per address, and with share trust disabled one stateless ShareTrust serves every miner.
 */
import { randomBytes } from 'node:crypto';
import { targetForDifficulty, type StratumTarget } from '../shared/monero/difficulty.js';
import { bytesToHex } from '../shared/hex.js';
import { VarDiff, type VarDiffConfig } from './vardiff.js';
import { ShareTrust, type TrustConfig } from './trust.js';
import { extraNonceBytes, type ActiveTemplate } from './jobs.js';
import { jobParams } from './job-message.js';

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

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The template's network difficulty as a job difficulty bound (beyond 2^53 no miner difficulty comes near it). */
function networkCap(t: ActiveTemplate): number {
  return t.difficulty > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(t.difficulty);
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
/** Every job id starts with this (random per process), then the job's sequence number in base 36. */
const JOB_SALT = randomBytes(3).toString('hex');

/** The sequence number of a job id this process made, or null (another process's id, or not one we ever sent). */
function jobSeqOf(id: string): number | null {
  if (id.length <= JOB_SALT.length || !id.startsWith(JOB_SALT)) return null;
  const digits = id.slice(JOB_SALT.length);
  const seq = parseInt(digits, 36);
  return seq.toString(36) === digits ? seq : null; // one spelling per id: "0a" or "A" were never sent
}

/**
 * A job as a miner holds it (see the header): MinerJob with the id and the extra nonce stored as numbers, and the
 * template itself instead of its id, height and seed hash (every miner's jobs are for the last few templates, which
 * the job manager keeps anyway). 6 fields.
 */
export class Job implements MinerJob {
  submissions: Set<string> | null = null;
  constructor(
    readonly seq: number,
    private readonly template: ActiveTemplate,
    readonly difficulty: number,
    private readonly nodeId: number,
    private readonly nonce: number,
  ) {}

  get id(): string {
    return JOB_SALT + this.seq.toString(36);
  }

  get templateId(): number {
    return this.template.id;
  }

  get height(): number {
    return this.template.height;
  }

  get seedHash(): string {
    return this.template.seedHash;
  }

  /** Shared by every job at this difficulty. */
  get target(): StratumTarget {
    return targetFor(this.difficulty);
  }

  get extraNonce(): Uint8Array {
    return extraNonceBytes(this.nodeId, this.nonce);
  }
}

/** With trust disabled a ShareTrust holds no state (every method returns at once): one per config serves all. */
const untrusting = new WeakMap<TrustConfig, ShareTrust>();
function shareTrust(cfg: TrustConfig): ShareTrust {
  if (cfg.enabled) return new ShareTrust(cfg);
  let t = untrusting.get(cfg);
  if (!t) {
    t = new ShareTrust(cfg);
    untrusting.set(cfg, t);
  }
  return t;
}

/**
 * Payout addresses, one string per address: many miners of one wallet share it, and none keeps its whole login
 * line alive (a sliced address string would). Bounded: cleared when it reaches ADDRESSES_MAX.
 */
const ADDRESSES_MAX = 65_536;
const addresses = new Map<string, string>();
function sharedAddress(address: string): string {
  let shared = addresses.get(address);
  if (shared === undefined) {
    if (addresses.size >= ADDRESSES_MAX) addresses.clear();
    shared = Buffer.from(address, 'utf8').toString('utf8'); // a flat copy, not a slice of the login line
    addresses.set(shared, shared);
  }
  return shared;
}

export class Miner {
  readonly sessionId = randomBytes(16).toString('hex');
  /** The last MAX_JOBS jobs, newest last (an array of exactly their number: see `remember`). */
  jobs: readonly Job[] = [];
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
    this.login = sharedAddress(o.login);
    this.rig = o.rig;
    this.solo = o.solo;
    this.fixedDiff = o.fixedDiff;
    this.difficulty = o.difficulty;
    this.vardiff = new VarDiff(o.varDiff, Date.now() / 1000);
    this.trust = shareTrust(o.trust);
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
   * Records a new job (always a new id) for the given template at the miner's difficulty capped at the template's
   * network difficulty, with extra nonce (nodeId, nonce) (jobs.ts nextNonce). Every job carries its own extra nonce,
   * hence its own blob: a nonce found for one job can never be resubmitted under another job id. What is sent for it
   * is made by job-message.ts (jobLine, jobParams).
   */
  addJob(t: ActiveTemplate, nodeId: number, nonce: number): Job {
    if (!this.fixedDiff) this.difficulty = this.jobDifficulty(t);
    const difficulty = this.jobDifficulty(t);
    const job = new Job(++jobSeq, t, difficulty, nodeId, nonce);
    this.remember(job);
    return job;
  }

  /** addJob for an 8-byte extra nonce, returning the job object to send (its blob given as bytes or hex). */
  newJob(t: ActiveTemplate, extraNonce: Uint8Array, blob: Uint8Array, blobHex?: string): StratumJob {
    const v = new DataView(extraNonce.buffer, extraNonce.byteOffset, extraNonce.byteLength);
    const job = this.addJob(t, v.getUint32(0, false), v.getUint32(4, false));
    return jobParams(t, job, blobHex ?? bytesToHex(blob), this.sessionId);
  }

  /** Keeps the last MAX_JOBS jobs; the array is replaced while it grows (no spare capacity), then shifted in place. */
  private remember(job: Job): void {
    const jobs = this.jobs as Job[];
    if (jobs.length < MAX_JOBS) {
      this.jobs = jobs.concat(job);
      return;
    }
    for (let i = 1; i < MAX_JOBS; i++) jobs[i - 1] = jobs[i]!;
    jobs[MAX_JOBS - 1] = job;
  }

  findJob(id: string): Job | undefined {
    const seq = jobSeqOf(id);
    if (seq === null) return undefined;
    for (let i = this.jobs.length - 1; i >= 0; i--) if (this.jobs[i]!.seq === seq) return this.jobs[i];
    return undefined;
  }
}
