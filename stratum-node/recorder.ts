/**
 * Share and block recording through the Storage port (shared/storage/port.ts: a single redis-server, a Redis
 * Cluster or ElastiCache Serverless alike). Accepted shares are buffered in memory and cut every `batchMs` into a
 * batch (one FLUSH_SHARES script call); a found block is one RECORD_BLOCK call that also carries the shares accepted
 * before it, so its round always contains every share mined before it and none mined after.
 *
 * Data model:
 * - AcceptedShare {login, rig, ip, diff (the job's difficulty), solo, atMs}: buffered until the next cut.
 * - The op queue: batches and blocks, strictly in the order they happened. Only the head is ever sent; nothing
 *   behind it goes to Redis before Redis has taken it, so shares mined after a block whose RECORD_BLOCK is still
 *   owed go to the NEXT round, and shares mined before it are never left behind for the next round.
 *   Every op is written to the journal (journal.ts, fsynced) before it is first sent; an ack follows Redis's reply.
 *   Ops are idempotent (a batch applies once per id via flushed(id), a block once via block(hash)), so the head is
 *   resent after an error or a restart without double counting.
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
import { ShareJournal, type JournalRecord } from './journal.js';
import { buildBatch, mergeBatches } from './share-batch.js';
import { hashTag, keySchema, type KeySchema } from '../shared/redis/keys.js';
import { ERRORS, PoolError } from '../shared/errors.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import type { Storage } from '../shared/storage/port.js';

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
  /** "unconfirmed" when monerod's submit_block reply was lost (block-found.ts); written as the block's `submit`. */
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
}

/** Ops kept in memory before unsent batches are merged across hashrate buckets. */
export const MAX_OPS = 1000;
const MAX_BUFFER = 1_000_000;
const BLOCK_ATTEMPTS = 3;

type Op =
  | { kind: 'batch'; id: string; batch: BatchPayload; attempted: boolean; reply?: number }
  | { kind: 'block'; id: string; block: BlockPayload; batch: BatchPayload; attempted: boolean; reply?: number };

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
  private journal: ShareJournal | null = null;

  /** `store`: the Storage port, or an ioredis connection (single server or Cluster) it is wrapped in. */
  constructor(
    store: Storage | Redis | Cluster,
    private readonly opts: RecorderOptions,
    private readonly log: Logger,
  ) {
    this.storage = store instanceof Redis || store instanceof Cluster ? createIoredisStorage(store) : store;
    this.keys = keysFromPrefix(opts.prefix);
    if (opts.journalPath) {
      const { journal, records, setAside } = ShareJournal.open(
        opts.journalPath,
        `${opts.journalTarget ?? 'redis'} ${opts.prefix}`,
      );
      if (setAside !== null) {
        log.error(
          { setAside, target: opts.journalTarget },
          'share journal written for another Redis endpoint or coin: set aside, not replayed (replay it by hand if it belongs here)',
        );
      }
      this.journal = journal;
      this.replay(records);
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.opts.batchMs);
    this.timer.unref?.();
    if (this.ops.length > 0) void this.drain().catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch((err: unknown) =>
      this.log.error({ err, pending: this.ops.length }, 'final share flush failed (kept in the journal)'),
    );
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

  /** Cuts the buffered shares into a batch and writes everything owed to Redis, in order. */
  async flush(): Promise<void> {
    this.cut(Date.now());
    if (this.ops.length === 0) return;
    // a drain already running may have passed its last check before the cut: go again until the queue is empty
    while (this.ops.length > 0) await this.drain();
  }

  /**
   * Records a found block together with the shares pending before it in ONE script (both apply or neither). The
   * block goes to the journal first, behind every batch still owed, and is sent in that order. Resolves true when
   * it was recorded now, false when it already was. If Redis does not take it within a few attempts it throws
   * E_STORAGE; the block stays queued (and journaled) and is recorded, in order, when Redis is back.
   */
  async recordBlock(block: FoundBlock): Promise<boolean> {
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
      ...(block.submit ? { submit: block.submit } : {}),
    };
    const batch = this.payload(this.buffer, this.invalid, block.timeMs);
    this.buffer = [];
    this.invalid = 0;
    const op: Op = { kind: 'block', id: `block-${block.hash}-${batch.id}`, block: payload, batch, attempted: false };
    this.enqueue(op, { t: 'block', id: op.id, b: payload, p: batch });
    for (let attempt = 1; ; attempt++) {
      try {
        while (op.reply === undefined) await this.drain();
        return op.reply === 1;
      } catch (err) {
        if (attempt >= BLOCK_ATTEMPTS) {
          this.log.error(
            { err, block: payload, queued: this.ops.length },
            'CRITICAL: block accepted by the daemon but not yet recorded in Redis; journaled, retried in order every flush',
          );
          throw new PoolError(
            ERRORS.STORAGE,
            `block ${block.hash} not yet recorded in Redis (queued and journaled; retried in order)`,
            { hash: block.hash },
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

  private journalReset(): void {
    try {
      this.journal?.reset();
    } catch (err) {
      this.log.error(
        { err, journal: this.opts.journalPath },
        'CRITICAL: share journal could not be emptied; journaling stopped',
      );
      this.journal = null;
    }
  }

  /** Queues an op in memory first (it is never lost to a journal error), then journals it. */
  private enqueue(op: Op, rec: JournalRecord): void {
    this.ops.push(op);
    this.journalAppend(rec, true);
  }

  /**
   * Appends to the journal; a write that fails (disk full, I/O error) stops journaling for this process instead of
   * losing the op: the queue in memory still holds everything and is sent to Redis in order.
   */
  private journalAppend(rec: JournalRecord, sync: boolean): void {
    if (!this.journal) return;
    try {
      this.journal.append(rec, sync);
    } catch (err) {
      this.log.error(
        { err, journal: this.opts.journalPath, queued: this.ops.length },
        'CRITICAL: share journal write failed; journaling stopped, pending shares and blocks kept in memory only',
      );
      try {
        this.journal.close();
      } catch {
        // already unusable
      }
      this.journal = null;
    }
  }

  /** Sends the queue head by head; one drain at a time (callers share it). Throws on the first failure. */
  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = (async () => {
      try {
        while (this.ops.length > 0) {
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
          if (this.ops.length === 0) this.journalReset();
          else this.journalAppend({ t: 'ack', id: op.id }, false);
          if (op.kind === 'block' && op.reply === 1 && op.block.timeMs < Date.now() - 5_000) {
            this.log.warn({ hash: op.block.hash }, 'a block owed to Redis was recorded late');
          }
        }
      } catch (err) {
        this.log.error({ err, queued: this.ops.length }, 'share flush failed; kept (journaled) and retried in order');
        throw err;
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  /** Rebuilds the queue from the journal (journal.ts replay rule); every replayed op counts as attempted. */
  private replay(records: readonly JournalRecord[]): void {
    for (const rec of records) {
      if (rec.t === 'target') continue;
      if (rec.t === 'ack') {
        const i = this.ops.findIndex((o) => o.id === rec.id);
        if (i >= 0) this.ops.splice(i, 1);
      } else if (rec.t === 'block') {
        this.ops.push({ kind: 'block', id: rec.id, block: rec.b, batch: rec.p, attempted: true });
      } else if (rec.into !== undefined) {
        const into = this.ops.find((o) => o.id === rec.into);
        if (into && into.kind === 'batch') into.batch = mergeBatches(into.batch, rec.p);
        else this.ops.push({ kind: 'batch', id: rec.p.id, batch: rec.p, attempted: true });
      } else {
        this.ops.push({ kind: 'batch', id: rec.id, batch: rec.p, attempted: true });
      }
    }
    if (this.ops.length === 0) this.journal?.reset();
    else
      this.log.warn(
        { ops: this.ops.length, journal: this.opts.journalPath },
        'replaying share batches and blocks Redis had not taken',
      );
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
