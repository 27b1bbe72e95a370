/**
 * The hash scheduler: every share the pool must hash goes through here, between share validation and the native
 * RandomX hasher, so hashing is shared fairly and an attacker with no hashrate cannot starve honest miners.
 *
 * Data model (per process, in memory):
 * - Two levels of waiting work. `known`: IPs that have shown a hash-verified valid share in the last VERIFIED_TTL_MS
 *   (Map ip -> last verified ms); `unknown`: everyone else. Known work is always handed to the hasher first.
 * - Within a level, one FIFO per IP, served round robin (Map ip -> queue, insertion order = turn), so a flooding IP
 *   gets one hash per turn like every other IP, however much it sends.
 * - Counters of work accepted and not finished (queued or hashing) per connection (the `owner` object) and per IP.
 *   Beyond `perConnection` or `perIp` (`perIpKnown` for known IPs) a request is refused at once ('busy').
 * - A level holds at most `maxQueued` items; when the unknown level is full, the newest item of the IP with the most
 *   queued is refused ('busy') to make room, so one IP cannot keep another's first share out.
 * - A block claim (the claimed result meets network difficulty), one per connection at a time, passes every bound and
 *   is never evicted; it waits at the front of its IP's queue in its IP's level, so a flood of forged claims from
 *   unknown IPs never delays a known miner's shares.
 * - At most `maxInFlight` hashes are inside the native hasher at a time (one per thread by default: its own queue
 *   stays empty, so the order is decided here). `dropIp` answers every queued item of an IP with 'banned' without hashing it;
 *   `dropQueuedShares` (at shutdown) answers every queued item but block claims with 'busy'.
 *
 * Outcomes are values, never throws: {kind:'hash'} | {kind:'busy'} | {kind:'banned'} | {kind:'failed', err}.
 */
import type { Hasher } from '../native/index.js';

export interface HashSchedulerConfig {
  /** Hashes handed to the native hasher at once (default: one per hasher thread, so a share that comes first waits for
   * at most the hashes already running, never for a backlog inside the hasher). */
  readonly maxInFlight: number;
  /** Work accepted and not finished per connection. */
  readonly perConnection: number;
  /** ... per IP without a verified share. */
  readonly perIp: number;
  /** ... per IP with a verified share (many rigs behind one NAT). */
  readonly perIpKnown: number;
  /** Items waiting per level. */
  readonly maxQueued: number;
}

export const DEFAULT_HASH_SCHEDULER: Omit<HashSchedulerConfig, 'maxInFlight'> = {
  perConnection: 8,
  perIp: 2,
  perIpKnown: 256,
  maxQueued: 4096,
};

/** How long a verified share keeps an IP in the known level. */
export const VERIFIED_TTL_MS = 3_600_000;

export type HashOutcome =
  | { readonly kind: 'hash'; readonly hash: Uint8Array }
  | { readonly kind: 'busy' }
  | { readonly kind: 'banned' }
  | { readonly kind: 'failed'; readonly err: unknown };

export interface HashRequest {
  readonly ip: string;
  /** The connection (any object identifying it). */
  readonly owner: object;
  readonly seedHex: string;
  readonly blob: Uint8Array;
  /** The claimed result meets network difficulty: first in its IP's queue, past the per-connection/IP bounds and the
   * level cap (a block refused 'busy' would be lost: miners do not resend). One claim per connection at a time. */
  readonly claimsBlock?: boolean;
}

interface Item extends HashRequest {
  readonly known: boolean;
  readonly done: (o: HashOutcome) => void;
}

/** One priority level: per-IP FIFOs served round robin. */
class Level {
  readonly byIp = new Map<string, Item[]>();
  size = 0;

  push(item: Item): void {
    const q = this.byIp.get(item.ip);
    if (q) q.push(item);
    else this.byIp.set(item.ip, [item]);
    this.size += 1;
  }

  /** Puts `item` at the front of its IP's queue (the IP keeps its place in the turn order). */
  pushFront(item: Item): void {
    const q = this.byIp.get(item.ip);
    if (q) q.unshift(item);
    else this.byIp.set(item.ip, [item]);
    this.size += 1;
  }

  /** The first item of the IP whose turn it is; that IP moves to the back of the turn order. */
  shift(): Item | undefined {
    for (const [ip, q] of this.byIp) {
      const item = q.shift();
      this.byIp.delete(ip);
      if (q.length > 0) this.byIp.set(ip, q);
      if (item) {
        this.size -= 1;
        return item;
      }
    }
    return undefined;
  }

  /** Removes the newest item that claims no block of the IP with the most queued (a block claim is never evicted). */
  evictLargest(): Item | undefined {
    let worst: Item[] | undefined;
    let worstIp = '';
    for (const [ip, q] of this.byIp) {
      if (!worst || q.length > worst.length) {
        worst = q;
        worstIp = ip;
      }
    }
    if (!worst) return undefined;
    for (let i = worst.length - 1; i >= 0; i--) {
      if (worst[i]!.claimsBlock === true) continue;
      const [item] = worst.splice(i, 1);
      if (worst.length === 0) this.byIp.delete(worstIp);
      this.size -= 1;
      return item;
    }
    return undefined;
  }

  take(ip: string): Item[] {
    const q = this.byIp.get(ip) ?? [];
    this.byIp.delete(ip);
    this.size -= q.length;
    return q;
  }

  /** Removes and returns every item `pick` selects, keeping the others in order. */
  takeWhere(pick: (item: Item) => boolean): Item[] {
    const out: Item[] = [];
    for (const [ip, q] of this.byIp) {
      const keep = q.filter((item) => !pick(item));
      out.push(...q.filter(pick));
      if (keep.length > 0) this.byIp.set(ip, keep);
      else this.byIp.delete(ip);
    }
    this.size -= out.length;
    return out;
  }
}

export interface HashSchedulerStats {
  readonly queuedKnown: number;
  readonly queuedUnknown: number;
  readonly inFlight: number;
  readonly knownIps: number;
}

export class HashScheduler {
  private readonly known = new Level();
  private readonly unknown = new Level();
  private readonly perOwner = new WeakMap<object, number>();
  private readonly perIp = new Map<string, number>();
  private readonly verified = new Map<string, number>();
  /** Connections with a block claim waiting or hashing (the priority lane: one each). */
  private readonly blockClaims = new WeakSet<object>();
  private inFlight = 0;

  constructor(
    private readonly hasher: Hasher,
    private readonly cfg: HashSchedulerConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `ip` has shown a hash-verified valid share recently. */
  isKnown(ip: string): boolean {
    const at = this.verified.get(ip);
    if (at === undefined) return false;
    if (this.now() - at > VERIFIED_TTL_MS) {
      this.verified.delete(ip);
      return false;
    }
    return true;
  }

  /** Records a hash-verified valid share from `ip`: its work is served in the known level from now on. */
  markVerified(ip: string): void {
    this.verified.delete(ip); // re-insert: the map stays ordered oldest first for sweep()
    this.verified.set(ip, this.now());
  }

  /** Drops known IPs not verified for VERIFIED_TTL_MS (the map stays bounded by recent honest IPs). */
  sweep(): void {
    const t = this.now();
    for (const [ip, at] of this.verified) {
      if (t - at <= VERIFIED_TTL_MS) break;
      this.verified.delete(ip);
    }
  }

  hash(req: HashRequest): Promise<HashOutcome> {
    const known = this.isKnown(req.ip);
    const ownerCount = this.perOwner.get(req.owner) ?? 0;
    const ipCount = this.perIp.get(req.ip) ?? 0;
    if (req.claimsBlock && !this.blockClaims.has(req.owner)) {
      // a forged claim costs its IP a ban (banning.banOnForgedResult); and a claim waits in its IP's own level, at
      // the front of that IP's queue: an attacker's claims never delay the miners who have shown valid work
      this.blockClaims.add(req.owner);
      this.perOwner.set(req.owner, ownerCount + 1);
      this.perIp.set(req.ip, ipCount + 1);
      return new Promise<HashOutcome>((resolve) => {
        const done = (o: HashOutcome): void => {
          this.blockClaims.delete(req.owner);
          resolve(o);
        };
        (known ? this.known : this.unknown).pushFront({ ...req, known, done });
        this.pump();
      });
    }
    if (ownerCount >= this.cfg.perConnection || ipCount >= (known ? this.cfg.perIpKnown : this.cfg.perIp)) {
      return Promise.resolve({ kind: 'busy' });
    }
    const level = known ? this.known : this.unknown;
    if (level.size >= this.cfg.maxQueued) {
      if (known) return Promise.resolve({ kind: 'busy' });
      const evicted = level.evictLargest();
      if (!evicted || evicted.ip === req.ip) {
        if (evicted) level.push(evicted); // it was this IP's own: refuse the newcomer instead
        return Promise.resolve({ kind: 'busy' });
      }
      this.finish(evicted, { kind: 'busy' });
    }
    this.perOwner.set(req.owner, ownerCount + 1);
    this.perIp.set(req.ip, ipCount + 1);
    return new Promise<HashOutcome>((resolve) => {
      level.push({ ...req, known, done: resolve });
      this.pump();
    });
  }

  /** Answers every queued item of `ip` with 'banned' (not hashed). Work already in the hasher finishes. */
  dropIp(ip: string): number {
    this.verified.delete(ip);
    const dropped = [...this.known.take(ip), ...this.unknown.take(ip)];
    for (const item of dropped) this.finish(item, { kind: 'banned' });
    return dropped.length;
  }

  /**
   * At shutdown: answers every queued share that claims no block with 'busy' (not hashed), so stopping does not wait
   * for a backlog of hashes; block claims stay queued and are hashed (a found block is never dropped).
   */
  dropQueuedShares(): number {
    const dropped = [
      ...this.known.takeWhere((i) => i.claimsBlock !== true),
      ...this.unknown.takeWhere((i) => i.claimsBlock !== true),
    ];
    for (const item of dropped) this.finish(item, { kind: 'busy' });
    return dropped.length;
  }

  stats(): HashSchedulerStats {
    return {
      queuedKnown: this.known.size,
      queuedUnknown: this.unknown.size,
      inFlight: this.inFlight,
      knownIps: this.verified.size,
    };
  }

  private finish(item: Item, outcome: HashOutcome): void {
    const o = (this.perOwner.get(item.owner) ?? 1) - 1;
    if (o <= 0) this.perOwner.delete(item.owner);
    else this.perOwner.set(item.owner, o);
    const i = (this.perIp.get(item.ip) ?? 1) - 1;
    if (i <= 0) this.perIp.delete(item.ip);
    else this.perIp.set(item.ip, i);
    item.done(outcome);
  }

  private pump(): void {
    while (this.inFlight < this.cfg.maxInFlight) {
      const item = this.known.shift() ?? this.unknown.shift();
      if (!item) return;
      this.inFlight += 1;
      this.hasher.hash(item.seedHex, item.blob).then(
        (hash) => this.settle(item, { kind: 'hash', hash }),
        (err: unknown) => this.settle(item, { kind: 'failed', err }),
      );
    }
  }

  private settle(item: Item, outcome: HashOutcome): void {
    this.inFlight -= 1;
    this.finish(item, outcome);
    this.pump();
  }
}
