/**
 * Share and block recording. Accepted shares are buffered in memory and written every `batchMs` in ONE Redis
 * round trip (the FLUSH_SHARES script); a found block flushes the buffer and records the candidate in the same
 * MULTI, so the block's round always contains every share accepted before it.
 *
 * Buffered record: AcceptedShare {login, rig, ip, diff (the job's difficulty), solo, atMs}.
 * A batch becomes a JSON payload with a unique id when it is first sent; until Redis confirms it, the same payload
 * is retried, and the script applies each id once, so a lost reply never double-counts. New shares wait in the
 * buffer (bounded at MAX_BUFFER; beyond that the oldest are dropped with an error log, since unbounded memory would
 * take the whole node down). A found block is recorded with the pending shares in one script, retried until Redis
 * takes it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { FLUSH_SHARES, RECORD_BLOCK } from './scripts.js';
import { HASHRATE_BUCKET_SECONDS } from '../shared/redis/keys.js';
import { errorMessage } from '../shared/errors.js';

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
}

export interface RecorderOptions {
  readonly prefix: string;
  readonly scheme: 'prop' | 'pplns' | 'solo';
  readonly slushWeight: number;
  readonly pplnsWindow: number;
  readonly batchMs: number;
  readonly hashrateWindowSec: number;
  readonly nodeId: number;
}

const MAX_BUFFER = 1_000_000;

interface MinerAggregate {
  l: string;
  d: number;
  rd: number;
  s: [number, number][];
  rigs: [string, number][];
  ips: [string, number][];
}

export class ShareRecorder {
  private buffer: AcceptedShare[] = [];
  private invalid = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** Share batches (JSON payloads with their ids) not yet confirmed by Redis, oldest first. */
  private retries: string[] = [];
  /** Found blocks not yet recorded: [block JSON, share batch JSON]. */
  private blocksOwed: [string, string][] = [];
  private networkDifficulty = 1n;

  constructor(
    private readonly redis: Redis,
    private readonly opts: RecorderOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.opts.batchMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch((e: unknown) => this.log.error({ err: errorMessage(e) }, 'final share flush failed'));
  }

  add(share: AcceptedShare): void {
    this.buffer.push(share);
    if (this.buffer.length > MAX_BUFFER) {
      // drop a tenth at once (not one per share: splicing a huge array per share would stall the event loop)
      const dropped = Math.ceil(MAX_BUFFER / 10);
      this.buffer.splice(0, dropped);
      this.log.error({ dropped }, 'share buffer full (Redis unreachable?): oldest shares dropped');
    }
  }

  addInvalid(): void {
    this.invalid += 1;
  }

  get pending(): number {
    return this.buffer.length + this.retries.length + this.blocksOwed.length;
  }

  /** Writes the buffered shares (and any batch or block still owed to Redis); concurrent callers share one write. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (this.buffer.length === 0 && this.invalid === 0 && this.retries.length === 0 && this.blocksOwed.length === 0) return;
    if (this.buffer.length > 0 || this.invalid > 0) {
      this.retries.push(this.payload(this.buffer, this.invalid, Date.now()));
      this.buffer = [];
      this.invalid = 0;
    }
    this.flushing = (async () => {
      try {
        // batches keep their id until Redis has taken them: a retry after a lost reply is a no-op there
        while (this.retries.length > 0) {
          await this.redis.eval(FLUSH_SHARES, 0, this.opts.prefix, this.retries[0]!);
          this.retries.shift();
        }
        while (this.blocksOwed.length > 0) {
          const [blockArgs, shareArgs] = this.blocksOwed[0]!;
          await this.redis.eval(RECORD_BLOCK, 0, this.opts.prefix, blockArgs, shareArgs);
          this.blocksOwed.shift();
          this.log.warn('a block owed to Redis was recorded on retry');
        }
      } catch (e) {
        this.log.error({ err: errorMessage(e), batches: this.retries.length, blocks: this.blocksOwed.length }, 'share flush failed; will retry');
        throw e;
      } finally {
        this.flushing = null;
      }
    })();
    await this.flushing;
  }

  /**
   * Records a found block together with the pending shares in ONE script (both apply or neither). Returns false if
   * the block was already recorded. If Redis cannot be reached the block is kept and retried on every flush tick.
   */
  async recordBlock(block: FoundBlock): Promise<boolean> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    const shares = this.payload(this.buffer, this.invalid, block.timeMs);
    this.buffer = [];
    this.invalid = 0;
    const scheme = block.solo ? 'solo' : this.opts.slushWeight > 0 && this.opts.scheme === 'prop' ? 'slush' : this.opts.scheme;
    const blockArgs = JSON.stringify({
      hash: block.hash,
      height: block.height,
      timeMs: block.timeMs,
      difficulty: block.difficulty.toString(),
      finder: block.finder,
      scheme,
      window: this.windowFor(block.difficulty).toString(),
      node: this.opts.nodeId,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        return Number(await this.redis.eval(RECORD_BLOCK, 0, this.opts.prefix, blockArgs, shares)) === 1;
      } catch (e) {
        if (attempt >= 3) {
          this.blocksOwed.push([blockArgs, shares]);
          this.log.error({ err: errorMessage(e), block: blockArgs }, 'CRITICAL: block accepted by the daemon but not yet recorded in Redis; retrying every flush');
          throw e;
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

  private payload(batch: readonly AcceptedShare[], invalid: number, nowMs: number): string {
    const byLogin = new Map<string, MinerAggregate>();
    const rigs = new Map<string, Map<string, number>>();
    const ips = new Map<string, Map<string, number>>();
    for (const s of batch) {
      let m = byLogin.get(s.login);
      if (!m) {
        m = { l: s.login, d: 0, rd: 0, s: [], rigs: [], ips: [] };
        byLogin.set(s.login, m);
        rigs.set(s.login, new Map());
        ips.set(s.login, new Map());
      }
      m.d += s.diff;
      if (!s.solo) {
        m.rd += s.diff;
        if (this.opts.slushWeight > 0) m.s.push([s.diff, s.atMs]);
      }
      const r = rigs.get(s.login)!;
      r.set(s.rig, (r.get(s.rig) ?? 0) + s.diff);
      ips.get(s.login)!.set(s.ip, s.atMs);
    }
    for (const m of byLogin.values()) {
      m.rigs = [...rigs.get(m.l)!];
      m.ips = [...ips.get(m.l)!];
    }
    const nowSec = Math.floor(nowMs / 1000);
    return JSON.stringify({
      id: `${this.opts.nodeId}-${randomBytes(8).toString('hex')}`,
      nowSec,
      nowMs,
      bucket: nowSec - (nowSec % HASHRATE_BUCKET_SECONDS),
      bucketTtl: this.opts.hashrateWindowSec * 2 + 3600,
      slushWeight: this.opts.scheme === 'prop' ? this.opts.slushWeight : 0,
      pplnsKeep: this.opts.scheme === 'pplns' ? Number(this.windowFor(this.networkDifficulty) * 3n / 2n) : 0,
      slushLatestMs: batch.reduce((m, s) => Math.max(m, s.atMs), 0) || nowMs,
      miners: [...byLogin.values()],
      shares: batch.length,
      invalid,
    });
  }
}
