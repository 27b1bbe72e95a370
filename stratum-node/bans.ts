/**
 * IP banning by invalid-share ratio (the seed's rule): once an IP has submitted `checkThreshold` shares, if
 * invalid/valid >= invalidPercent % it is banned for `time` seconds, else both counters reset. Bans expire on
 * their own (checked on lookup and swept periodically). Bans are per process; in cluster mode the primary relays a
 * ban to every fork (see cluster.ts).
 *
 * A forged result (a share whose claimed result is not the RandomX hash of its blob, which an honest miner never
 * sends) bans the IP at once when `banOnForgedResult` is on (the default in the config schema), whatever the ratio.
 *
 * State: Map ip -> {valid, invalid, at (last share, ms)}; Map ip -> bannedUntil (unix ms).
 */
export interface BanConfig {
  readonly enabled: boolean;
  readonly time: number;
  readonly invalidPercent: number;
  readonly checkThreshold: number;
  /** Ban at the first forged result (default off here; the config schema defaults it on). */
  readonly banOnForgedResult?: boolean;
}

export class BanList {
  private readonly counts = new Map<string, { valid: number; invalid: number; at: number }>();
  private readonly banned = new Map<string, number>();

  constructor(
    private readonly cfg: BanConfig,
    private readonly now: () => number = Date.now,
  ) {}

  get banSeconds(): number {
    return this.cfg.time;
  }

  isBanned(ip: string): boolean {
    const until = this.banned.get(ip);
    if (until === undefined) return false;
    if (until <= this.now()) {
      this.banned.delete(ip);
      return false;
    }
    return true;
  }

  /** Records a share outcome; returns true when this share got the IP banned. */
  record(ip: string, valid: boolean): boolean {
    if (!this.cfg.enabled) return false;
    const c = this.counts.get(ip) ?? { valid: 0, invalid: 0, at: 0 };
    c.at = this.now();
    if (valid) c.valid += 1;
    else c.invalid += 1;
    this.counts.set(ip, c);
    if (c.valid + c.invalid < this.cfg.checkThreshold) return false;
    this.counts.delete(ip);
    const ratio = c.valid === 0 ? Infinity : (c.invalid / c.valid) * 100;
    if (ratio >= this.cfg.invalidPercent) {
      this.ban(ip);
      return true;
    }
    return false;
  }

  /** Records a forged result; returns true when it got the IP banned (at once with banOnForgedResult, else by ratio). */
  recordForged(ip: string): boolean {
    if (!this.cfg.enabled) return false;
    if (!this.cfg.banOnForgedResult) return this.record(ip, false);
    this.ban(ip);
    return true;
  }

  ban(ip: string, untilMs = this.now() + this.cfg.time * 1000): void {
    this.banned.set(ip, untilMs);
    this.counts.delete(ip);
  }

  /** Drops expired bans, and the counters of IPs idle for longer than a ban lasts (so the map stays bounded). */
  sweep(): void {
    const t = this.now();
    for (const [ip, until] of this.banned) if (until <= t) this.banned.delete(ip);
    for (const [ip, c] of this.counts) if (t - c.at > this.cfg.time * 1000) this.counts.delete(ip);
  }

  get size(): number {
    return this.banned.size;
  }
}
