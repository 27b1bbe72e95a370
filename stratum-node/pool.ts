/**
 * The stratum protocol and share validation, independent of sockets (server.ts feeds it parsed lines).
 *
 * State: sessions (Map sessionId -> Miner), the job manager's templates, the ban list, the share recorder buffer.
 * Order of checks for `submit` (cheapest first, before any hashing): session -> job -> nonce/result format ->
 * duplicate (canonical lowercase nonce, recorded before hashing so concurrent copies are caught) -> stale template ->
 * all-zero result -> the claimed result against the job target -> the share-trust lottery (one draw; never for a
 * share claiming block difficulty) -> RandomX hash off the event loop -> equal to the claimed result (so it meets
 * the target too) -> credit at the job's difficulty ->
 * submit_block when the hash meets network difficulty.
 */
import type { Logger } from 'pino';
import type { Hasher } from '../native/index.js';
import { hexToBytes, bytesToHex, bytesEqual } from '../shared/hex.js';
import { hashMeetsDifficulty, hashMeetsTarget64 } from '../shared/monero/difficulty.js';
import { blockBlob, blockId } from '../shared/monero/template.js';
import { validateMinerAddress, type AddressPolicy, type Network } from '../shared/monero/address.js';
import { errorMessage } from '../shared/errors.js';
import { parseLogin, LoginError } from './login.js';
import { Miner, MAX_SUBMISSIONS_PER_JOB } from './miner.js';
import { MSG, ok, fail, type StratumReply } from './messages.js';
import type { JobManager, ActiveTemplate } from './jobs.js';
import type { ShareRecorder } from './recorder.js';
import type { BanList } from './bans.js';
import type { VarDiffConfig } from './vardiff.js';
import type { TrustConfig } from './trust.js';
import type { Metrics } from './metrics.js';

export interface PortSettings {
  readonly port: number;
  readonly difficulty: number;
  readonly desc: string;
  readonly tls: boolean;
  readonly proxyProtocol: boolean;
  readonly solo: boolean;
}

export interface StratumSettings {
  readonly network: Network;
  readonly addressPolicy: AddressPolicy;
  readonly fixedDiffSeparator: string;
  readonly varDiff: VarDiffConfig;
  readonly shareTrust: TrustConfig;
  readonly minerTimeoutSec: number;
}

/** What the protocol layer needs from a connection. */
export interface Connection {
  readonly ip: string;
  readonly port: PortSettings;
  miner: Miner | null;
  send(msg: object): void;
  close(reason: string): void;
}

export interface PoolDeps {
  readonly settings: StratumSettings;
  readonly jobs: JobManager;
  readonly hasher: Hasher;
  readonly recorder: ShareRecorder;
  readonly bans: BanList;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly submitBlock: (blobHex: string) => Promise<void>;
  /** Called when this process bans an IP (cluster.ts relays it to the other forks). */
  readonly onBan?: (ip: string, untilMs: number) => void;
}

const NONCE_RE = /^[0-9a-fA-F]{8}$/;
const RESULT_RE = /^[0-9a-fA-F]{64}$/;
const EXTENSIONS = ['algo', 'keepalive'];

type Params = Record<string, unknown>;

export class StratumPool {
  readonly connections = new Set<Connection>();
  private readonly sessions = new Map<string, Connection>();
  private retargetTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: PoolDeps) {
    deps.jobs.on('template', (t) => void this.broadcast(t));
  }

  start(): void {
    const every = Math.max(1, Math.min(this.deps.settings.varDiff.retargetTime, 30)) * 1000;
    this.retargetTimer = setInterval(() => this.housekeeping(), every);
    this.retargetTimer.unref?.();
  }

  stop(): void {
    if (this.retargetTimer) clearInterval(this.retargetTimer);
    for (const c of [...this.connections]) c.close('shutting down');
  }

  get minerCount(): number {
    return this.sessions.size;
  }

  attach(conn: Connection): void {
    this.connections.add(conn);
  }

  detach(conn: Connection): void {
    this.connections.delete(conn);
    if (conn.miner) this.sessions.delete(conn.miner.sessionId);
  }

  /** Handles one parsed JSON message from a connection. */
  async handle(conn: Connection, msg: unknown): Promise<void> {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      conn.send(fail(null, MSG.invalidRequest));
      return;
    }
    const m = msg as Record<string, unknown>;
    const id = typeof m.id === 'number' || typeof m.id === 'string' ? m.id : null;
    const method = m.method;
    const params: Params = typeof m.params === 'object' && m.params !== null && !Array.isArray(m.params) ? (m.params as Params) : {};
    if (typeof method !== 'string') {
      conn.send(fail(id, MSG.invalidRequest));
      return;
    }
    if (conn.miner) conn.miner.lastActivity = Date.now();
    switch (method) {
      case 'login':
        return this.login(conn, id, params);
      case 'getjob':
        return this.getjob(conn, id, params);
      case 'submit':
        conn.send(await this.submit(conn, id, params));
        return;
      case 'keepalived':
      case 'keepalive':
        conn.send(this.authed(conn, params) ? ok(id, { status: 'KEEPALIVED' }) : fail(id, MSG.unauthenticated));
        return;
      default:
        conn.send(fail(id, MSG.invalidMethod));
    }
  }

  private authed(conn: Connection, params: Params): conn is Connection & { miner: Miner } {
    return conn.miner !== null && params.id === conn.miner.sessionId;
  }

  private login(conn: Connection, id: number | string | null, params: Params): void {
    const s = this.deps.settings;
    if (this.deps.bans.isBanned(conn.ip)) return this.rejectLogin(conn, id, MSG.banned);
    let parsed;
    try {
      parsed = parseLogin(params.login, params.pass, params.rigid, s.fixedDiffSeparator);
      validateMinerAddress(parsed.address, s.network, s.addressPolicy);
    } catch (e) {
      const reason = e instanceof LoginError ? e.message : `${MSG.invalidAddress}: ${errorMessage(e).replace(/^E_\w+: /, '')}`;
      return this.rejectLogin(conn, id, reason);
    }
    if (!this.deps.jobs.hasTemplate) return this.rejectLogin(conn, id, MSG.noWork);
    const v = s.varDiff;
    // a fixed difficulty may go above the vardiff range but never below its floor (each share costs us a hash)
    const difficulty = parsed.fixedDiff === null ? clamp(conn.port.difficulty, v.minDiff, v.maxDiff) : Math.max(v.minDiff, parsed.fixedDiff);
    if (conn.miner) this.sessions.delete(conn.miner.sessionId);
    const miner = new Miner(
      conn.ip,
      conn.port.port,
      parsed.address,
      parsed.worker,
      parsed.solo || conn.port.solo,
      difficulty,
      parsed.fixedDiff !== null,
      s.varDiff,
      s.shareTrust,
    );
    conn.miner = miner;
    this.sessions.set(miner.sessionId, conn);
    const job = this.jobFor(miner, this.deps.jobs.current);
    this.deps.metrics.logins.inc();
    this.deps.log.info({ ip: conn.ip, login: parsed.address, rig: parsed.worker, diff: difficulty, solo: miner.solo }, 'miner logged in');
    conn.send(ok(id, { id: miner.sessionId, job, extensions: EXTENSIONS, status: 'OK' }));
  }

  /** A new job with a fresh extra nonce (node id + counter), so its blob is unique to this job. */
  private jobFor(miner: Miner, t: ActiveTemplate) {
    const extraNonce = this.deps.jobs.nextExtraNonce();
    return miner.newJob(t, extraNonce, this.deps.jobs.blobFor(t, extraNonce));
  }

  private rejectLogin(conn: Connection, id: number | string | null, message: string): void {
    this.deps.metrics.loginFailures.inc();
    conn.send(fail(id, message));
    conn.close(`login rejected: ${message}`);
  }

  private getjob(conn: Connection, id: number | string | null, params: Params): void {
    if (!this.authed(conn, params)) {
      conn.send(fail(id, MSG.unauthenticated));
      return;
    }
    conn.send(ok(id, this.jobFor(conn.miner, this.deps.jobs.current)));
  }

  private async submit(conn: Connection, id: number | string | null, params: Params): Promise<StratumReply> {
    if (!this.authed(conn, params)) return fail(id, MSG.unauthenticated);
    const miner = conn.miner;
    const { metrics } = this.deps;
    const job = typeof params.job_id === 'string' ? miner.findJob(params.job_id) : undefined;
    if (!job) return this.invalid(conn, id, MSG.invalidJobId, 'unknown_job');
    if (typeof params.nonce !== 'string' || !NONCE_RE.test(params.nonce)) return this.invalid(conn, id, MSG.invalidNonce, 'bad_nonce');
    if (typeof params.result !== 'string' || !RESULT_RE.test(params.result)) return this.invalid(conn, id, MSG.invalidResult, 'bad_result');
    const nonce = params.nonce.toLowerCase();
    if (job.submissions.has(nonce)) return this.invalid(conn, id, MSG.duplicate, 'duplicate');
    if (job.submissions.size >= MAX_SUBMISSIONS_PER_JOB) return this.invalid(conn, id, MSG.blockExpired, 'job_full');
    job.submissions.add(nonce);
    const template = this.deps.jobs.find(job.templateId);
    const current = this.deps.jobs.current;
    if (!template || template.height < current.height || template.prevHash !== current.prevHash) {
      metrics.shares.inc({ result: 'stale' });
      return fail(id, MSG.blockExpired);
    }
    const claimed = hexToBytes(params.result);
    if (claimed.every((b) => b === 0)) return this.invalid(conn, id, MSG.invalidShare, 'zero_result');
    // a claimed result that does not even meet the target is rejected before we spend a hash on it
    if (!hashMeetsTarget64(claimed, job.target.t64)) {
      miner.trust.onInvalid();
      return this.invalid(conn, id, MSG.lowDifficulty, 'low_difficulty');
    }
    const nonceBytes = hexToBytes(nonce);
    const blob = Uint8Array.from(job.blob);
    blob.set(nonceBytes, template.template.nonceOffset);
    const claimsBlock = hashMeetsDifficulty(claimed, template.difficulty);
    let hash = claimed;
    const skip = !claimsBlock && miner.trust.maySkipHashing();
    if (skip) {
      metrics.trustedShares.inc();
    } else {
      const end = metrics.hashSeconds.startTimer();
      try {
        hash = await this.deps.hasher.hash(job.seedHash, blob);
      } catch (e) {
        this.deps.log.error({ err: errorMessage(e) }, 'hashing failed');
        job.submissions.delete(nonce);
        return fail(id, MSG.busy);
      } finally {
        end();
      }
      if (!bytesEqual(hash, claimed)) {
        miner.trust.onInvalid();
        return this.invalid(conn, id, MSG.invalidShare, 'bad_hash');
      }
    }
    if (!skip) miner.trust.onVerifiedValid();
    miner.validShares += 1;
    this.deps.bans.record(conn.ip, true);
    metrics.shares.inc({ result: 'valid' });
    metrics.hashes.inc(job.difficulty);
    const now = Date.now();
    const share = { login: miner.login, rig: miner.rig, ip: conn.ip, diff: job.difficulty, solo: miner.solo, atMs: now };
    if (!skip && hashMeetsDifficulty(hash, template.difficulty)) {
      await this.foundBlock(template, miner, job.extraNonce, nonceBytes, blob, share);
    } else {
      this.deps.recorder.add(share);
    }
    this.afterValidShare(conn, miner, now);
    return ok(id, { status: 'OK' });
  }

  private async foundBlock(
    t: ActiveTemplate,
    miner: Miner,
    extraNonce: Uint8Array,
    nonce: Uint8Array,
    hashingBlob: Uint8Array,
    share: Parameters<ShareRecorder['add']>[0],
  ): Promise<void> {
    const hash = bytesToHex(blockId(hashingBlob));
    const blob = bytesToHex(blockBlob(t.template, extraNonce, nonce));
    const log = this.deps.log.child({ height: t.height, hash, finder: miner.login });
    try {
      await this.deps.submitBlock(blob);
    } catch (e) {
      this.deps.metrics.blocks.inc({ result: 'rejected' });
      log.error({ err: errorMessage(e) }, 'block rejected by the daemon');
      this.deps.recorder.add(share);
      return;
    }
    this.deps.metrics.blocks.inc({ result: 'accepted' });
    log.info('block found and accepted by the daemon');
    this.deps.recorder.add(share);
    try {
      await this.deps.recorder.recordBlock({
        hash,
        height: t.height,
        timeMs: Date.now(),
        difficulty: t.difficulty,
        finder: miner.login,
        solo: miner.solo,
      });
    } catch (e) {
      log.error({ err: errorMessage(e) }, 'CRITICAL: block accepted but not recorded in Redis; record it by hand');
    }
    void this.deps.jobs.refresh('tip').catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'template refresh after block failed'));
  }

  private afterValidShare(conn: Connection, miner: Miner, nowMs: number): void {
    if (miner.fixedDiff) return;
    const next = miner.vardiff.onShare(nowMs / 1000, miner.difficulty);
    if (next !== null) this.retarget(conn, miner, next);
  }

  private retarget(conn: Connection, miner: Miner, next: number): void {
    this.deps.log.debug({ login: miner.login, from: miner.difficulty, to: next }, 'vardiff retarget');
    miner.difficulty = next;
    this.deps.metrics.retargets.inc();
    const t = this.deps.jobs.current;
    // The reply to the share goes out first; the new job follows on the next tick.
    setImmediate(() => conn.send({ jsonrpc: '2.0', method: 'job', params: this.jobFor(miner, t) }));
  }

  private invalid(conn: Connection, id: number | string | null, message: string, reason: string): StratumReply {
    this.deps.metrics.shares.inc({ result: reason });
    this.deps.recorder.addInvalid();
    if (conn.miner) conn.miner.invalidShares += 1;
    if (this.deps.bans.record(conn.ip, false)) {
      const until = Date.now() + this.deps.bans.banSeconds * 1000;
      this.deps.log.warn({ ip: conn.ip }, 'IP banned for invalid shares');
      this.deps.onBan?.(conn.ip, until);
      this.dropIp(conn.ip);
      return fail(id, MSG.banned);
    }
    return fail(id, message);
  }

  /** Closes every connection from an IP (after the current reply is written). */
  dropIp(ip: string): void {
    for (const c of this.connections) if (c.ip === ip) setImmediate(() => c.close('banned'));
  }

  private async broadcast(t: ActiveTemplate): Promise<void> {
    this.deps.recorder.setNetworkDifficulty(t.difficulty);
    if (t.nextSeedHash) {
      // build the next epoch's RandomX cache before miners switch to it
      this.deps.hasher.prepareSeed(t.nextSeedHash).catch((e: unknown) => this.deps.log.warn({ err: errorMessage(e) }, 'preparing the next seed failed'));
    }
    let n = 0;
    for (const conn of [...this.sessions.values()]) {
      const miner = conn.miner;
      if (!miner) continue;
      conn.send({ jsonrpc: '2.0', method: 'job', params: this.jobFor(miner, t) });
      if (++n % 500 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  private housekeeping(): void {
    const now = Date.now();
    this.deps.bans.sweep();
    for (const conn of [...this.sessions.values()]) {
      const miner = conn.miner;
      if (!miner) continue;
      if (now - miner.lastActivity > this.deps.settings.minerTimeoutSec * 1000) {
        conn.close('miner timed out');
        continue;
      }
      if (!miner.fixedDiff) {
        const next = miner.vardiff.maybeRetarget(now / 1000, miner.difficulty);
        if (next !== null) this.retarget(conn, miner, next);
      }
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
