/**
 * Share and block recording through the Storage port (shared/storage/port.ts: a single redis-server, a Redis
 * Cluster or ElastiCache Serverless alike). Accepted shares are buffered in memory and cut every `batchMs` into a
 * batch (one FLUSH_SHARES script call); a found block is one RECORD_BLOCK call that also carries the shares accepted
 * before it, so its round always contains every share mined before it and none mined after.
 *
 * A found block is queued and journaled BEFORE it is handed to monerod (`beginBlock`), held at its place in the queue
 * while the daemon answers, then settled (`settle`: recorded with the daemon's verdict) or dropped (`drop`: the daemon
 * refused it; its shares stay as a plain batch). A node killed while monerod was answering thus still records the
 * block, as "unconfirmed", for the unlocker to confirm by hash.
 *
 * Data model:
 * - AcceptedShare {login, rig, ip, diff (the job's difficulty), solo, atMs}: buffered until the next cut.
 * - The op queue (op-queue.ts: the op shapes and the journal replay rule): batches and blocks, strictly in the order
 *   they happened. Only the head is ever sent; nothing
 *   behind it goes to Redis before Redis has taken it, so shares mined after a block whose RECORD_BLOCK is still
 *   owed go to the NEXT round, and shares mined before it are never left behind for the next round.
 *   Every op is written to the journal (recorder-journal.ts over journal.ts, fsynced) before it is first sent; an
 *   ack follows Redis's reply.
 *   Ops are idempotent (a batch applies once per id via flushed(id), a block once via block(hash)), so the head is
 *   resent after an error or a restart without double counting.
 * - Ops behind a held block wait for its verdict (milliseconds; bounded by the daemon client's timeout).
 * - Memory bound during a long outage: a new batch is merged into the queue's tail when that tail is a batch never
 *   sent (same round, since no block lies between them) and in the same hashrate bucket, or whatever its bucket
 *   once the queue holds MAX_OPS ops. A merged batch is bounded by the number of distinct miners, rigs and IPs, so
 *   the queue stays within MAX_OPS ops plus one per found block. Building and merging batches: share-batch.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Cluster, Redis } from 'ioredis';
import {
  FLUSH_SHARES,
  RECORD_BLOCK,
  flushKeys,
  recordBlockKeys,
  type BatchPayload,
  type BlockPayload,
} from './scripts.js';
import type { JournalRecord } from './journal.js';
import { RecorderJournal } from './recorder-journal.js';
import { buildBatch, mergeBatches } from './share-batch.js';
import { headHeld, replayRecord, type BlockOp, type Op } from './op-queue.js';
import { hashTag, keySchema, type KeySchema } from '../shared/redis/keys.js';
import { ERRORS, PoolError } from '../shared/errors.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import type { Storage } from '../shared/storage/port.js';
import type { BlockRecording } from './share-sink.js';

export interface AcceptedShare {
  readonly login: string;
  readonly rig: string;
  readonly ip: string;
  readonly diff: number;
  readonly solo: boolean;
  readonly atMs: number;
}

export interface FoundBlock {
  readonly hash: string;
  readonly height: number;
  readonly timeMs: number;
  readonly difficulty: bigint;
  readonly finder: string;
  readonly solo: boolean;
  /** For `recordBlock` only: the daemon's verdict (default "accepted"); `beginBlock` always starts "unconfirmed". */
  readonly submit?: 'accepted' | 'unconfirmed';
}

export interface RecorderOptions {
  /** The key prefix (`keySchema(coin).prefix`, i.e. "{coin}:"). */
  readonly prefix: string;
  readonly scheme: 'prop' | 'pplns' | 'solo';
  readonly slushWeight: number;
  readonly pplnsWindow: number;
  readonly batchMs: number;
  readonly hashrateWindowSec: number;
  readonly nodeId: number;
  /** The journal file (journal.ts); null or absent: no journal (what Redis has not taken dies with the process). */
  readonly journalPath?: string | null;
  /** What the journal is for (the Redis endpoint); a journal written for another target is set aside, not replayed. */
  readonly journalTarget?: string;
  /** The journal is compacted once it is this many bytes and twice its last compacted size (default 64 MiB). */
  readonly journalCompactBytes?: number;
}

/** Ops kept in memory before unsent batches are merged across hashrate buckets. */
export const MAX_OPS = 1000;
const MAX_BUFFER = 1_000_000;
const BLOCK_ATTEMPTS = 3;
function keysFromPrefix(prefix: string): KeySchema {
  const coin = hashTag(prefix);
  const keys = coin === null ? null : keySchema(coin);
  if (keys === null || keys.prefix !== prefix) {
    throw new PoolError(ERRORS.CONFIG_INVALID, `share recorder: key prefix "${prefix}" is not of the form "{coin}:"`);
  }
  return keys;
}

export class ShareRecorder {
  private buffer: AcceptedShare[] = [];
  private invalid = 0;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private readonly ops: Op[] = [];
  private networkDifficulty = 1n;
  private readonly storage: Storage;
  private readonly keys: KeySchema;
  private journal: RecorderJournal | null = null;
  private stopped = false;
  /** Wakes the waiters of awaitBlock when a held block gets its verdict. */
  private verdictWaiters: (() => void)[] = [];

  /** `store`: the Storage port, or an ioredis connection (single server or Cluster) it is wrapped in. */
  constructor(
    store: Storage | Redis | Cluster,
    private readonly opts: RecorderOptions,
    private readonly log: Logger,
  ) {
    this.storage = store instanceof Redis || store instanceof Cluster ? createIoredisStorage(store) : store;
    this.keys = keysFromPrefix(opts.prefix);
    if (opts.journalPath) {
      this.journal = new RecorderJournal(
        {
          path: opts.journalPath,
          target: `${opts.journalTarget ?? 'redis'} ${opts.prefix}`,
          ...(opts.journalCompactBytes === undefined ? {} : { compactBytes: opts.journalCompactBytes }),
          log,
        },
        (rec) => replayRecord(this.ops, rec),
      );
      if (this.ops.length === 0) this.journal.reset();
      else {
        log.warn(
          { ops: this.ops.length, journal: opts.journalPath },
          'replaying share batches and blocks Redis had not taken',
        );
        this.journal.compact(this.ops); // also rewrites a journal of an earlier format in this one
      }
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.opts.batchMs);
    this.timer.unref?.();
    if (this.ops.length > 0) void this.drain().catch(() => undefined);
  }

  /**
   * Flushes what it can and closes the journal. A block still held (no verdict yet) stays in the journal. Call it
   * after the node has stopped taking shares (StratumPool.stop waits for submits in flight).
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopped = true;
    await this.flush().catch((err: unknown) =>
      this.log.error({ err, pending: this.ops.length }, 'final share flush failed (kept in the journal)'),
    );
    if (this.ops.length > 0) {
      this.log.error(
        { pending: this.ops.length, journal: this.opts.journalPath ?? null },
        this.journal?.active
          ? 'stopping with ops Redis has not taken: kept in the journal, replayed at the next start'
          : 'CRITICAL: stopping with ops Redis has not taken and no journal: they are lost',
      );
    }
    this.journal?.close();
    this.journal = null;
  }

  add(share: AcceptedShare): void {
    this.buffer.push(share);
    if (this.buffer.length > MAX_BUFFER) {
      // cut a batch now rather than hold a huge array: it goes to the journal and the queue like any other
      this.cut(Date.now());
    }
  }

  addInvalid(): void {
    this.invalid += 1;
  }

  /** Shares buffered plus ops (batches, blocks) Redis has not yet taken. */
  get pending(): number {
    return this.buffer.length + this.ops.length;
  }

  /** Ops (batches and blocks) Redis has not yet taken. */
  get queued(): number {
    return this.ops.length;
  }

  /** Cuts the buffered shares into a batch and writes everything owed to Redis, in order, up to a held block. */
  async flush(): Promise<void> {
    this.cut(Date.now());
    // a drain already running may have passed its last check before the cut: go again until the queue is empty
    while (this.ops.length > 0 && !this.headHeld()) await this.drain();
  }

  private headHeld(): boolean {
    return headHeld(this.ops);
  }

  /**
   * Queues a found block, before it is handed to the daemon, together with the shares pending before it (both go to
   * Redis in ONE script, so both apply or neither). It is journaled (fsynced) at once as "unconfirmed" and held at its
   * place in the queue until `settle` or `drop` (share-sink.ts BlockRecording).
   */
  beginBlock(block: FoundBlock): BlockRecording {
    const scheme = block.solo
      ? 'solo'
      : this.opts.slushWeight > 0 && this.opts.scheme === 'prop'
        ? 'slush'
        : this.opts.scheme;
    const payload: BlockPayload = {
      hash: block.hash,
      height: block.height,
      timeMs: block.timeMs,
      difficulty: block.difficulty.toString(),
      finder: block.finder,
      scheme,
      window: this.windowFor(block.difficulty).toString(),
      node: this.opts.nodeId,
      submit: 'unconfirmed',
    };
    const batch = this.payload(this.buffer, this.invalid, block.timeMs);
    this.buffer = [];
    this.invalid = 0;
    const op: BlockOp = {
      kind: 'block',
      id: `block-${block.hash}-${batch.id}`,
      block: payload,
      batch,
      attempted: false,
      held: true,
    };
    if (this.stopped) {
      this.log.error(
        { hash: block.hash },
        'CRITICAL: a block was found after the share recorder stopped; not journaled',
      );
    }
    this.enqueue(op, { t: 'block', id: op.id, b: payload, p: batch });
    let verdict: 'open' | 'settled' | 'dropped' = 'open'; // the first verdict counts; a second call changes nothing
    const release = (): void => {
      op.held = false;
      for (const wake of this.verdictWaiters.splice(0)) wake();
      void this.drain().catch(() => undefined);
    };
    return {
      settle: (submit: 'accepted' | 'unconfirmed') => {
        if (verdict === 'dropped') return Promise.resolve(false);
        if (verdict === 'settled') return this.awaitBlock(op);
        verdict = 'settled';
        op.block = { ...op.block, submit };
        this.journalAppend({ t: 'settle', id: op.id, submit }, true);
        release();
        return this.awaitBlock(op);
      },
      drop: () => {
        if (verdict !== 'open') return;
        verdict = 'dropped';
        const i = this.ops.indexOf(op);
        if (i >= 0) this.ops[i] = { kind: 'batch', id: op.batch.id, batch: op.batch, attempted: false };
        this.journalAppend({ t: 'drop', id: op.id }, true);
        release();
      },
    };
  }

  /**
   * Records a block the daemon has already answered for: `beginBlock` then `settle` (tests and tools; the stratum
   * node uses beginBlock so the block is journaled before the daemon sees it).
   */
  recordBlock(block: FoundBlock): Promise<boolean> {
    return this.beginBlock(block).settle(block.submit ?? 'accepted');
  }

  /**
   * Waits until Redis took a settled block: true when it was recorded now, false when it already was. After a few
   * failed attempts it throws E_STORAGE; the block stays queued (and journaled) and is recorded, in order, when Redis
   * is back.
   */
  private async awaitBlock(op: BlockOp): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        while (op.reply === undefined) {
          await this.drain();
          if (op.reply !== undefined) break;
          // a block found earlier is still held in front of this one: wait for its verdict
          if (this.headHeld()) await new Promise<void>((wake) => this.verdictWaiters.push(wake));
        }
        return op.reply === 1;
      } catch (err) {
        if (attempt >= BLOCK_ATTEMPTS) {
          this.log.error(
            { err, block: op.block, queued: this.ops.length },
            'CRITICAL: block accepted by the daemon but not yet recorded in Redis; journaled, retried in order every flush',
          );
          throw new PoolError(
            ERRORS.STORAGE,
            `block ${op.block.hash} not yet recorded in Redis (queued and journaled; retried in order)`,
            { hash: op.block.hash },
            { cause: err },
          );
        }
        await new Promise((r) => setTimeout(r, 300 * attempt));
      }
    }
  }

  /** Kept current by the node so the PPLNS share log is trimmed to the window of today's difficulty. */
  setNetworkDifficulty(d: bigint): void {
    this.networkDifficulty = d;
  }

  private windowFor(difficulty: bigint): bigint {
    return (BigInt(Math.max(1, Math.round(this.opts.pplnsWindow * 1000))) * difficulty) / 1000n;
  }

  /** Turns the buffer into a batch op (merged into an unsent tail batch when allowed). */
  private cut(nowMs: number): void {
    this.journal?.compactIfDue(this.ops);
    if (this.buffer.length === 0 && this.invalid === 0) return;
    const batch = this.payload(this.buffer, this.invalid, nowMs);
    this.buffer = [];
    this.invalid = 0;
    const tail = this.ops[this.ops.length - 1];
    if (
      tail &&
      tail.kind === 'batch' &&
      !tail.attempted &&
      (tail.batch.bucket === batch.bucket || this.ops.length >= MAX_OPS)
    ) {
      tail.batch = mergeBatches(tail.batch, batch);
      this.journalAppend({ t: 'batch', id: batch.id, into: tail.id, p: batch }, true);
      return;
    }
    this.enqueue({ kind: 'batch', id: batch.id, batch, attempted: false }, { t: 'batch', id: batch.id, p: batch });
  }

  /** Queues an op in memory first (it is never lost to a journal error), then journals it. */
  private enqueue(op: Op, rec: JournalRecord): void {
    this.ops.push(op);
    this.journalAppend(rec, true);
  }

  private journalAppend(rec: JournalRecord, sync: boolean): void {
    this.journal?.append(rec, sync);
  }

  /** Sends the queue head by head; one drain at a time (callers share it). Throws on the first failure. */
  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    if (this.ops.length === 0 || this.headHeld()) return Promise.resolve();
    let running: Promise<void> | null = null;
    running = (async () => {
      await Promise.resolve(); // never settle synchronously: `running` must be assigned before `finally` compares it
      try {
        while (this.ops.length > 0 && !this.headHeld()) {
          const op = this.ops[0]!;
          op.attempted = true;
          const reply =
            op.kind === 'batch'
              ? await this.storage.evalScript(FLUSH_SHARES, flushKeys(this.keys, op.batch), [JSON.stringify(op.batch)])
              : await this.storage.evalScript(RECORD_BLOCK, recordBlockKeys(this.keys, op.block, op.batch), [
                  JSON.stringify(op.block),
                  JSON.stringify(op.batch),
                ]);
          op.reply = Number(reply);
          this.ops.shift();
          if (this.ops.length === 0) this.journal?.reset();
          else this.journalAppend({ t: 'ack', id: op.id }, false);
          if (op.kind === 'block' && op.reply === 1 && op.block.timeMs < Date.now() - 5_000) {
            this.log.warn({ hash: op.block.hash }, 'a block owed to Redis was recorded late');
          }
        }
      } catch (err) {
        this.log.error({ err, queued: this.ops.length }, 'share flush failed; kept (journaled) and retried in order');
        throw err;
      } finally {
        if (this.draining === running) this.draining = null;
      }
    })();
    this.draining = running;
    return running;
  }

  private payload(batch: readonly AcceptedShare[], invalid: number, nowMs: number): BatchPayload {
    return buildBatch(batch, invalid, nowMs, {
      id: `${this.opts.nodeId}-${randomBytes(8).toString('hex')}`,
      slushWeight: this.opts.scheme === 'prop' ? this.opts.slushWeight : 0,
      pplnsKeep: this.opts.scheme === 'pplns' ? Number((this.windowFor(this.networkDifficulty) * 3n) / 2n) : 0,
      bucketTtl: this.opts.hashrateWindowSec * 2 + 3600,
    });
  }
}
