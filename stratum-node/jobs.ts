/**
 * The job manager: follows the chain tip, keeps the current block template plus a short history, and makes
 * per-miner jobs from it.
 *
 * Data model (in memory only):
 * - ActiveTemplate {id, height, prevHash, seedHash, nextSeedHash, difficulty (network, bigint), reward, template}:
 *   the current one and up to HISTORY-1 older ones. A job whose template has a lower height than the current one is
 *   stale ("Block expired"); one for an older template at the same height (a transaction refresh) is still a valid
 *   block and is accepted.
 * - Extra nonce (reserve_size 8 at reserved_offset): 4 bytes node id (from Redis INCR at start, unique per stratum
 *   process) + 4 bytes counter, one value per job pushed, so no two jobs (hence no two miners) on any node ever hash
 *   the same blob, and a share can never be replayed under another job id.
 *
 * The tip is polled every blockRefreshInterval ms with the cheap get_last_block_header; the template is fetched
 * only when the tip changed, and again every templateRefreshInterval s to pick up new transactions. With monerod's
 * ZMQ publisher (zmq.ts, `daemon.zmq`) a new tip is pushed: `pushed('tip')` fetches a template at once (after any
 * fetch already running, which may predate the block), and `pushed('txpool')` refreshes it for new transactions at
 * most every TXPOOL_REFRESH_MS; the poll stays as the fallback.
 */
import { EventEmitter } from 'node:events';
import { bytesToHex, hexToBytes } from '../shared/hex.js';
import {
  hashingBlob,
  jobBlobMaker,
  parseBlockTemplate,
  type BlockTemplate,
  type JobBlob,
} from '../shared/monero/template.js';
import { errorMessage } from '../shared/errors.js';
import { minerJobRoot } from '../native/index.js';
import type { Logger } from 'pino';

export const RESERVE_SIZE = 8;
const HISTORY = 4;
/** Shortest time between two template refreshes asked by txpool pushes. */
export const TXPOOL_REFRESH_MS = 5000;

/** Writes extra nonce (node id, counter) to `out`: both 4 bytes big-endian. */
export function writeExtraNonce(out: Uint8Array, nodeId: number, nonce: number): void {
  for (let i = 0; i < 4; i++) {
    out[i] = (nodeId >>> (24 - 8 * i)) & 0xff;
    out[4 + i] = (nonce >>> (24 - 8 * i)) & 0xff;
  }
}

/** The 8 bytes of extra nonce (node id, counter). */
export function extraNonceBytes(nodeId: number, nonce: number): Uint8Array {
  const b = new Uint8Array(RESERVE_SIZE);
  writeExtraNonce(b, nodeId, nonce);
  return b;
}

export interface RawTemplate {
  readonly blob: string;
  readonly reservedOffset: number;
  readonly height: number;
  readonly difficulty: bigint;
  readonly seedHash: string;
  readonly nextSeedHash: string;
  readonly prevHash: string;
  readonly expectedReward: bigint;
}

/** What the job manager needs from monerod (an adapter over the daemon RPC client, see chain.ts). */
export interface ChainSource {
  tip(): Promise<{ hash: string; height: number }>;
  template(walletAddress: string, reserveSize: number): Promise<RawTemplate>;
}

export interface ActiveTemplate {
  readonly id: number;
  readonly height: number;
  readonly prevHash: string;
  readonly seedHash: string;
  readonly nextSeedHash: string;
  readonly difficulty: bigint;
  readonly reward: bigint;
  readonly template: BlockTemplate;
  readonly createdAt: number;
}

export interface JobManagerOptions {
  readonly chain: ChainSource;
  readonly poolAddress: string;
  readonly nodeId: number;
  readonly blockRefreshMs: number;
  readonly templateRefreshMs: number;
  readonly log: Logger;
}

export class JobManager extends EventEmitter {
  private readonly history: ActiveTemplate[] = [];
  private templateSeq = 0;
  private nonceCounter = 0;
  private lastTipHash = '';
  private lastTemplateAt = 0;
  private lastPollOkAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private stopped = false;
  lastError: string | null = null;

  constructor(private readonly opts: JobManagerOptions) {
    super();
  }

  /** 'template': a new template (reason 'tip' for a new block, 'refresh' for new transactions at the same height). */
  override on(event: 'template', listener: (t: ActiveTemplate, reason: 'tip' | 'refresh') => void): this {
    return super.on(event, listener);
  }

  /** Fetches the first template (throws if the daemon cannot give one), then starts polling. */
  /**
   * Fetches the first template, then starts polling. A daemon that cannot give one yet (down, syncing) does not stop
   * the node: it serves sockets (logins answer "No work available yet"), stays live for the load balancer, reports
   * not ready, and the poll keeps asking every blockRefreshInterval.
   */
  async start(): Promise<void> {
    try {
      await this.refresh('tip');
    } catch (err) {
      this.lastError = errorMessage(err);
      this.opts.log.warn({ err }, 'no block template yet; serving sockets and retrying');
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.txpoolTimer) clearTimeout(this.txpoolTimer);
    this.txpoolTimer = null;
  }

  get current(): ActiveTemplate {
    const t = this.history[0];
    if (!t) throw new Error('no block template yet');
    return t;
  }

  /** ms timestamp of the last time monerod confirmed the current template (a successful poll or fetch); 0 = never. */
  get confirmedAt(): number {
    return Math.max(this.lastTemplateAt, this.lastPollOkAt);
  }

  get hasTemplate(): boolean {
    return this.history.length > 0;
  }

  find(id: number): ActiveTemplate | undefined {
    return this.history.find((t) => t.id === id);
  }

  /** The high 4 bytes of every extra nonce this node makes. */
  get nodeId(): number {
    return this.opts.nodeId >>> 0;
  }

  /** The counter of a fresh extra nonce (its low 4 bytes; the job keeps the number, see miner.ts). */
  nextNonce(): number {
    this.nonceCounter = (this.nonceCounter + 1) >>> 0;
    return this.nonceCounter;
  }

  /** A fresh 8-byte extra nonce for a job: node id (BE) then counter (BE). */
  nextExtraNonce(): Uint8Array {
    return extraNonceBytes(this.nodeId, this.nextNonce());
  }

  /** The hashing blob (zero nonce) of a template for one miner's extra nonce. */
  blobFor(t: ActiveTemplate, extraNonce: Uint8Array): Uint8Array {
    return hashingBlob(t.template, extraNonce);
  }

  private readonly makers = new WeakMap<ActiveTemplate, (extraNonce: Uint8Array) => JobBlob>();

  /**
   * The same blob with its hex, for a job: what does not depend on the extra nonce is prepared once per template
   * (job-blob.ts jobBlobMaker), so a broadcast pays per miner only the patch, the miner tx hash and the merkle fold,
   * the last two in the addon's Keccak (native/index.ts minerJobRoot).
   */
  jobBlob(t: ActiveTemplate, extraNonce: Uint8Array): JobBlob {
    let make = this.makers.get(t);
    if (!make) {
      make = this.checkedMaker(t);
      this.makers.set(t, make);
    }
    return make(extraNonce);
  }

  /**
   * The native maker, checked once per template against the JS hashing blob that shares are validated with
   * (hashingBlob): if they ever differed, every honest share would fail as a wrong hash and get its miner banned,
   * so a mismatch logs an error and the template's jobs are built in JS.
   */
  private checkedMaker(t: ActiveTemplate): (extraNonce: Uint8Array) => JobBlob {
    const native = jobBlobMaker(t.template, minerJobRoot);
    const probe = extraNonceBytes(this.nodeId, 0xffffffff);
    if (bytesToHex(native(probe).bytes) === bytesToHex(hashingBlob(t.template, probe))) return native;
    this.opts.log.error(
      { height: t.height },
      "the addon's job blob differs from the JS hashing blob: building this template's jobs in JS",
    );
    return jobBlobMaker(t.template);
  }

  /** scratch for jobBlobHex: jobBlobMaker copies the extra nonce in before it returns */
  private readonly scratchNonce = new Uint8Array(RESERVE_SIZE);

  /** jobBlob's hex for the extra nonce (nodeId, nonce), without making the extra nonce's bytes. */
  jobBlobHex(t: ActiveTemplate, nonce: number): string {
    writeExtraNonce(this.scratchNonce, this.nodeId, nonce);
    return this.jobBlob(t, this.scratchNonce).hex;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), this.opts.blockRefreshMs);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const tip = await this.opts.chain.tip();
      if (tip.hash !== this.lastTipHash) await this.refresh('tip');
      else if (Date.now() - this.lastTemplateAt >= this.opts.templateRefreshMs) await this.refresh('refresh');
      this.lastError = null;
      this.lastPollOkAt = Date.now();
    } catch (e) {
      this.lastError = errorMessage(e);
      this.opts.log.warn({ err: this.lastError }, 'block template poll failed');
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  private refreshing: Promise<ActiveTemplate> | null = null;
  private tipPending = false;
  private txpoolTimer: NodeJS.Timeout | null = null;

  /** A push from monerod (zmq.ts): see the header. Never throws; failures are logged and left to the poll. */
  pushed(kind: 'tip' | 'txpool'): void {
    if (this.stopped) return;
    if (kind === 'tip') {
      if (this.refreshing) {
        // the running fetch may have read the template before this block: fetch again once it is done
        this.tipPending = true;
        return;
      }
      this.refreshQuietly('tip');
      return;
    }
    if (this.txpoolTimer) return;
    const wait = Math.max(0, this.lastTemplateAt + TXPOOL_REFRESH_MS - Date.now());
    this.txpoolTimer = setTimeout(() => {
      this.txpoolTimer = null;
      if (!this.stopped) this.refreshQuietly('refresh');
    }, wait);
    this.txpoolTimer.unref?.();
  }

  private refreshQuietly(reason: 'tip' | 'refresh'): void {
    this.refresh(reason).catch((e: unknown) => {
      this.lastError = errorMessage(e);
      this.opts.log.warn({ err: this.lastError }, 'pushed template refresh failed');
    });
  }

  /** Fetches a template now (also used right after a block is found); concurrent callers share one fetch. */
  refresh(reason: 'tip' | 'refresh'): Promise<ActiveTemplate> {
    if (!this.refreshing) {
      this.refreshing = this.fetchTemplate(reason).finally(() => {
        this.refreshing = null;
        if (this.tipPending && !this.stopped) {
          this.tipPending = false;
          this.refreshQuietly('tip');
        }
      });
    }
    return this.refreshing;
  }

  private async fetchTemplate(reason: 'tip' | 'refresh'): Promise<ActiveTemplate> {
    const tip = await this.opts.chain.tip();
    const raw = await this.opts.chain.template(this.opts.poolAddress, RESERVE_SIZE);
    const template = parseBlockTemplate(hexToBytes(raw.blob), raw.reservedOffset, RESERVE_SIZE);
    const prev = this.history[0];
    const t: ActiveTemplate = {
      id: ++this.templateSeq,
      height: raw.height,
      prevHash: raw.prevHash,
      seedHash: raw.seedHash,
      nextSeedHash: raw.nextSeedHash,
      difficulty: raw.difficulty,
      reward: raw.expectedReward,
      template,
      createdAt: Date.now(),
    };
    this.lastTipHash = tip.hash;
    const sameTip = prev !== undefined && prev.height === t.height && prev.prevHash === t.prevHash;
    if (sameTip && reason === 'tip') {
      // a tip fetch (push and poll racing, or a reconnect) for the tip we already have: no new job for anyone;
      // new transactions come with the 'refresh' fetches
      return prev;
    }
    this.lastTemplateAt = Date.now();
    if (sameTip && bytesToHex(prev.template.bytes) === raw.blob) {
      return prev; // nothing changed: keep job ids stable, push nothing
    }
    this.history.unshift(t);
    if (this.history.length > HISTORY) this.history.length = HISTORY;
    this.opts.log.info(
      { height: t.height, difficulty: t.difficulty.toString(), reason, txs: template.txCount - 1 },
      'new block template',
    );
    this.emit('template', t, prev && prev.height === t.height ? 'refresh' : reason);
    return t;
  }
}
