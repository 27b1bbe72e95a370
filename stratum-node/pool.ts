/**
 * The stratum pool: the session table and what happens to a miner between its lines. Sockets feed it parsed lines
 * (server.ts); the protocol dispatcher (dispatcher.ts) routes each to a handler here; share checks live in
 * share-validation.ts, a found block in block-found.ts, job pushes for a new template in broadcast.ts.
 *
 * State: connections (every attached socket), sessions (Map sessionId -> Connection with a logged-in Miner), submits
 * in flight (awaited by stop()), the housekeeping timer (miner timeouts, vardiff retargets for idle miners, ban sweeps).
 * A valid share is credited at the job's difficulty (never the miner's claim); every reject reason but the harmless
 * ones (rejects.ts) counts toward the IP's ban score. No job is harder than its block: port difficulty, `+DIFF` and
 * vardiff are all capped at the template's network difficulty when the job is made (miner.ts).
 */
import type { Logger } from 'pino';
import type { Hasher } from '../native/index.js';
import { validateMinerAddress, type AddressPolicy, type Network } from '../shared/monero/address.js';
import { errorMessage } from '../shared/errors.js';
import { parseLogin, LoginError } from './login.js';
import { Miner } from './miner.js';
import { MSG, ok, fail, type StratumReply } from './messages.js';
import { REJECTS, HARMLESS_REJECTS, type RejectReason } from './rejects.js';
import { dispatch, type MethodHandlers, type Params, type RequestId } from './dispatcher.js';
import { validateShare, type ValidationDeps } from './share-validation.js';
import { HashScheduler, DEFAULT_HASH_SCHEDULER, type HashSchedulerConfig } from './hash-scheduler.js';
import { onBlockFound } from './block-found.js';
import { broadcastJobs } from './broadcast.js';
import { jobFor, jobLineFor } from './job-message.js';
import type { JobManager, ActiveTemplate } from './jobs.js';
import type { ShareSink } from './share-sink.js';
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
  readonly recorder: ShareSink;
  readonly bans: BanList;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly submitBlock: (blobHex: string) => Promise<void>;
  /** Called when this process bans an IP (cluster.ts relays it to the other forks). */
  readonly onBan?: (ip: string, untilMs: number) => void;
  /** Bounds of the hash scheduler (hash-scheduler.ts); default DEFAULT_HASH_SCHEDULER, one hash in flight per hasher thread. */
  readonly hashQueue?: Partial<HashSchedulerConfig>;
}

const EXTENSIONS = ['algo', 'keepalive'];

export class StratumPool implements MethodHandlers<Connection> {
  readonly connections = new Set<Connection>();
  private readonly sessions = new Map<string, Connection>();
  private retargetTimer: NodeJS.Timeout | null = null;
  /** Every share hash goes through here: fair per IP, IPs with verified shares first. */
  readonly hashes: HashScheduler;
  private readonly validation: ValidationDeps;
  /** Submits under way (hashing, a found block's submit and recording): stop() waits for them. */
  private readonly submitsInFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly deps: PoolDeps) {
    this.hashes = new HashScheduler(deps.hasher, {
      ...DEFAULT_HASH_SCHEDULER,
      maxInFlight: deps.hasher.threads,
      ...deps.hashQueue,
    });
    this.validation = { jobs: deps.jobs, hashes: this.hashes, metrics: deps.metrics, log: deps.log };
    deps.jobs.on('template', (t) => {
      this.onTemplate(t).catch((err: unknown) => deps.log.error({ err }, 'job broadcast failed'));
    });
  }

  start(): void {
    const every = Math.max(1, Math.min(this.deps.settings.varDiff.retargetTime, 30)) * 1000;
    this.retargetTimer = setInterval(() => this.housekeeping(), every);
    this.retargetTimer.unref?.();
    if (this.deps.jobs.hasTemplate) {
      this.deps.hasher
        .prepareSeed(this.deps.jobs.current.seedHash)
        .catch((err: unknown) => this.deps.log.warn({ err }, 'preparing the seed failed'));
    }
  }

  /**
   * Closes every connection (and any attached later), then waits until no submit is under way: shares still being
   * hashed and found blocks still being submitted and recorded finish before the recorder is stopped.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retargetTimer) clearInterval(this.retargetTimer);
    for (const c of [...this.connections]) c.close('shutting down');
    this.hashes.dropQueuedShares(); // a backlog of plain shares is not hashed at shutdown; block claims still are
    while (this.submitsInFlight.size > 0) await Promise.allSettled([...this.submitsInFlight]);
  }

  get minerCount(): number {
    return this.sessions.size;
  }

  attach(conn: Connection): void {
    this.connections.add(conn);
    if (this.stopping) conn.close('shutting down');
  }

  detach(conn: Connection): void {
    this.connections.delete(conn);
    if (conn.miner) this.sessions.delete(conn.miner.sessionId);
  }

  /** Handles one parsed JSON message from a connection. */
  handle(conn: Connection, msg: unknown): Promise<void> {
    return dispatch(this, conn, msg);
  }

  touch(conn: Connection): void {
    if (conn.miner) conn.miner.lastActivity = Date.now();
  }

  private authed(conn: Connection, params: Params): conn is Connection & { miner: Miner } {
    return conn.miner !== null && params.id === conn.miner.sessionId;
  }

  login(conn: Connection, id: RequestId, params: Params): void {
    const s = this.deps.settings;
    if (this.deps.bans.isBanned(conn.ip)) return this.rejectLogin(conn, id, MSG.banned);
    let parsed;
    try {
      parsed = parseLogin(params.login, params.pass, params.rigid, s.fixedDiffSeparator);
      validateMinerAddress(parsed.address, s.network, s.addressPolicy);
    } catch (e) {
      const reason =
        e instanceof LoginError ? e.message : `${MSG.invalidAddress}: ${errorMessage(e).replace(/^E_\w+: /, '')}`;
      return this.rejectLogin(conn, id, reason);
    }
    if (!this.deps.jobs.hasTemplate) return this.rejectLogin(conn, id, MSG.noWork);
    const v = s.varDiff;
    // a fixed difficulty may go above the vardiff range but never below its floor (each share costs us a hash)
    const difficulty =
      parsed.fixedDiff === null
        ? clamp(conn.port.difficulty, v.minDiff, v.maxDiff)
        : Math.max(v.minDiff, parsed.fixedDiff);
    if (conn.miner) this.sessions.delete(conn.miner.sessionId);
    const miner = new Miner({
      ip: conn.ip,
      port: conn.port.port,
      login: parsed.address,
      rig: parsed.worker,
      solo: parsed.solo || conn.port.solo,
      difficulty,
      fixedDiff: parsed.fixedDiff !== null,
      varDiff: s.varDiff,
      trust: s.shareTrust,
    });
    const t = this.deps.jobs.current;
    let job;
    try {
      job = this.jobFor(miner, t); // before the session exists: a miner is registered only with a job to send
    } catch (err) {
      this.deps.log.error({ err, ip: conn.ip }, 'login: no job could be built');
      return this.rejectLogin(conn, id, MSG.noWork);
    }
    conn.miner = miner;
    this.sessions.set(miner.sessionId, conn);
    this.deps.metrics.logins.inc();
    this.deps.log.info(
      {
        ip: conn.ip,
        login: parsed.address,
        rig: parsed.worker,
        diff: difficulty,
        jobDiff: miner.jobDifficulty(t),
        solo: miner.solo,
      },
      'miner logged in',
    );
    conn.send(ok(id, { id: miner.sessionId, job, extensions: EXTENSIONS, status: 'OK' }));
  }

  /**
   * A new job with a fresh extra nonce (node id + counter), so its blob is unique to this job. Every job (login,
   * getjob, retarget here; broadcast as a pre-serialized line, job-message.ts jobLineFor) is made by job-message.ts,
   * and Miner.addJob caps its difficulty at the template's network difficulty.
   */
  private jobFor(miner: Miner, t: ActiveTemplate) {
    return jobFor(this.deps.jobs, miner, t);
  }

  private rejectLogin(conn: Connection, id: RequestId, message: string): void {
    this.deps.metrics.loginFailures.inc();
    conn.send(fail(id, message));
    conn.close(`login rejected: ${message}`);
  }

  getjob(conn: Connection, id: RequestId, params: Params): void {
    if (!this.authed(conn, params)) {
      conn.send(fail(id, MSG.unauthenticated));
      return;
    }
    conn.send(ok(id, this.jobFor(conn.miner, this.deps.jobs.current)));
  }

  keepalived(conn: Connection, id: RequestId, params: Params): StratumReply {
    return this.authed(conn, params) ? ok(id, { status: 'KEEPALIVED' }) : fail(id, MSG.unauthenticated);
  }

  submit(conn: Connection, id: RequestId, params: Params): Promise<StratumReply> {
    const running = this.submitShare(conn, id, params);
    this.submitsInFlight.add(running);
    const done = (): void => void this.submitsInFlight.delete(running);
    running.then(done, done);
    return running;
  }

  private async submitShare(conn: Connection, id: RequestId, params: Params): Promise<StratumReply> {
    if (!this.authed(conn, params)) return fail(id, MSG.unauthenticated);
    const miner = conn.miner;
    const { metrics } = this.deps;
    if (this.deps.bans.isBanned(conn.ip)) return this.reject(conn, id, 'banned');
    const outcome = await validateShare(this.validation, miner, params);
    if (outcome.kind === 'rejected') return this.reject(conn, id, outcome.reason);
    const { job, template } = outcome;
    miner.validShares += 1;
    this.deps.bans.record(conn.ip, true);
    metrics.shares.inc({ result: 'valid' });
    metrics.hashes.inc(job.difficulty);
    const now = Date.now();
    const share = {
      login: miner.login,
      rig: miner.rig,
      ip: conn.ip,
      diff: job.difficulty,
      solo: miner.solo,
      atMs: now,
    };
    if (outcome.isBlock) {
      await onBlockFound(this.deps, {
        template,
        miner,
        extraNonce: job.extraNonce,
        nonce: outcome.nonce,
        hashingBlob: outcome.blob,
        share,
      });
    } else {
      this.deps.recorder.add(share);
    }
    this.afterValidShare(conn, miner, now);
    return ok(id, { status: 'OK' });
  }

  private afterValidShare(conn: Connection, miner: Miner, nowMs: number): void {
    if (miner.fixedDiff) return;
    const next = miner.vardiff.onShare(nowMs / 1000, miner.difficulty);
    if (next !== null) this.retarget(conn, miner, next);
  }

  /** Applies a vardiff decision, capped at the network difficulty; nothing is pushed when the cap leaves it unchanged. */
  private retarget(conn: Connection, miner: Miner, next: number): void {
    const t = this.deps.jobs.current;
    const from = miner.difficulty;
    if (!miner.retarget(next, t)) return;
    this.deps.log.debug({ login: miner.login, from, to: miner.difficulty, wanted: next }, 'vardiff retarget');
    this.deps.metrics.retargets.inc();
    // The reply to the share goes out first; the new job follows on the next tick.
    setImmediate(() => conn.send({ jsonrpc: '2.0', method: 'job', params: this.jobFor(miner, t) }));
  }

  /** Answers a refused share; every reason but the harmless ones counts as invalid and toward a ban. */
  private reject(conn: Connection, id: RequestId, reason: RejectReason): StratumReply {
    this.deps.metrics.shares.inc({ result: reason });
    if (HARMLESS_REJECTS.has(reason)) return fail(id, REJECTS[reason]);
    this.deps.recorder.addInvalid();
    if (conn.miner) conn.miner.invalidShares += 1;
    if (reason === 'bad_hash' ? this.deps.bans.recordForged(conn.ip) : this.deps.bans.record(conn.ip, false)) {
      const until = Date.now() + this.deps.bans.banSeconds * 1000;
      this.deps.log.warn({ ip: conn.ip, reason }, 'IP banned for invalid shares');
      this.deps.onBan?.(conn.ip, until);
      this.dropIp(conn.ip);
      return fail(id, MSG.banned);
    }
    return fail(id, REJECTS[reason]);
  }

  /** Closes every connection from an IP (after the current reply is written). */
  dropIp(ip: string): void {
    this.hashes.dropIp(ip); // its shares still waiting are answered "banned", not hashed
    for (const c of this.connections) if (c.ip === ip) setImmediate(() => c.close('banned'));
  }

  private async onTemplate(t: ActiveTemplate): Promise<void> {
    this.deps.recorder.setNetworkDifficulty(t.difficulty);
    // the current seed too: a share must never wait for a cache build (the first one after start would, or a new epoch's)
    this.deps.hasher
      .prepareSeed(t.seedHash)
      .catch((err: unknown) => this.deps.log.warn({ err }, 'preparing the seed failed'));
    if (t.nextSeedHash) {
      // build the next epoch's RandomX cache before miners switch to it
      this.deps.hasher
        .prepareSeed(t.nextSeedHash)
        .catch((err: unknown) => this.deps.log.warn({ err }, 'preparing the next seed failed'));
    }
    const started = performance.now();
    const r = await broadcastJobs(
      t,
      this.sessions.values(),
      (miner, tpl) => jobLineFor(this.deps.jobs, miner, tpl),
      () => this.deps.jobs.current,
    );
    const ms = Math.round(performance.now() - started);
    if (r.failed > 0) {
      this.deps.log.error(
        { height: t.height, failed: r.failed, err: r.firstError },
        'jobs broadcast: some miners got no job (their job could not be built)',
      );
    }
    this.deps.log.info({ height: t.height, miners: r.sent, ms, superseded: r.superseded }, 'jobs broadcast');
  }

  private housekeeping(): void {
    const now = Date.now();
    this.deps.bans.sweep();
    this.hashes.sweep();
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
