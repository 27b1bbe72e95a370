/**
 * Share and block recording. Accepted shares are buffered in memory and written every `batchMs` in ONE Redis
 * round trip (the FLUSH_SHARES script); a found block flushes the buffer and records the candidate in the same
 * MULTI, so the block's round always contains every share accepted before it.
 *
 * Buffered record: AcceptedShare {login, rig, ip, diff (the job's difficulty), solo, atMs}.
 * If Redis is unreachable the buffer is kept and retried (bounded at MAX_BUFFER shares; beyond that the oldest are
 * dropped with an error log, since holding unbounded memory would take the whole node down).
 */
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
      const dropped = this.buffer.length - MAX_BUFFER;
      this.buffer.splice(0, dropped);
      this.log.error({ dropped }, 'share buffer full (Redis unreachable?): oldest shares dropped');
    }
  }

  addInvalid(): void {
    this.invalid += 1;
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Writes the buffered shares; concurrent callers share one write. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0 && this.invalid === 0) return;
    const batch = this.buffer;
    const invalid = this.invalid;
    this.buffer = [];
    this.invalid = 0;
    this.flushing = (async () => {
      try {
        await this.redis.eval(FLUSH_SHARES, 0, this.opts.prefix, this.payload(batch, invalid, Date.now()));
      } catch (e) {
        this.buffer = batch.concat(this.buffer);
        this.invalid += invalid;
        this.log.error({ err: errorMessage(e), pending: this.buffer.length }, 'share flush failed; will retry');
        throw e;
      } finally {
        this.flushing = null;
      }
    })();
    await this.flushing;
  }

  /** Flushes pending shares and records the block candidate in one MULTI. Returns false if it was already recorded. */
  async recordBlock(block: FoundBlock): Promise<boolean> {
    while (this.flushing) await this.flushing;
    const batch = this.buffer;
    const invalid = this.invalid;
    this.buffer = [];
    this.invalid = 0;
    const scheme = block.solo ? 'solo' : this.opts.slushWeight > 0 && this.opts.scheme === 'prop' ? 'slush' : this.opts.scheme;
    const window = this.windowFor(block.difficulty);
    const blockPayload = JSON.stringify({
      hash: block.hash,
      height: block.height,
      timeMs: block.timeMs,
      difficulty: block.difficulty.toString(),
      finder: block.finder,
      scheme,
      window: window.toString(),
      node: this.opts.nodeId,
    });
    try {
      const res = await this.redis
        .multi()
        .eval(FLUSH_SHARES, 0, this.opts.prefix, this.payload(batch, invalid, block.timeMs))
        .eval(RECORD_BLOCK, 0, this.opts.prefix, blockPayload)
        .exec();
      if (!res) throw new Error('MULTI aborted');
      for (const [err] of res) if (err) throw err;
      return Number(res[1]?.[1]) === 1;
    } catch (e) {
      this.buffer = batch.concat(this.buffer);
      this.invalid += invalid;
      throw e;
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
