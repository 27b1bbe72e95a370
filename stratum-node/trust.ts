/**
 * Share trust (the seed's feature, with the known holes closed): after `threshold` verified shares a miner's
 * shares are hashed with a probability that falls by `stepDown` % per valid share down to `min` %.
 *
 * State per miner (TrustState): probability (0..1), threshold (verified shares still needed), penalty (verified
 * shares still needed after a broken trust). Exactly ONE lottery draw per share (drawing twice squares the
 * verification rate). The caller must still hash every share that claims block difficulty and reject all-zero
 * results; this class only answers "may this share skip hashing?".
 */
export interface TrustConfig {
  readonly enabled: boolean;
  readonly min: number;
  readonly stepDown: number;
  readonly threshold: number;
  readonly penalty: number;
}

export class ShareTrust {
  private probability = 1;
  private threshold: number;
  private penalty = 0;

  constructor(
    private readonly cfg: TrustConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.threshold = cfg.threshold;
  }

  /** One draw: true when the share may be accepted without hashing. */
  maySkipHashing(): boolean {
    if (!this.cfg.enabled || this.threshold > 0 || this.penalty > 0) return false;
    return this.random() > this.probability;
  }

  onVerifiedValid(): void {
    if (!this.cfg.enabled) return;
    this.probability = Math.max(this.cfg.min / 100, this.probability - this.cfg.stepDown / 100);
    if (this.threshold > 0) this.threshold -= 1;
    if (this.penalty > 0) this.penalty -= 1;
  }

  onInvalid(): void {
    if (!this.cfg.enabled) return;
    this.probability = 1;
    this.penalty = this.cfg.penalty;
  }

  get trusted(): boolean {
    return this.cfg.enabled && this.threshold <= 0 && this.penalty <= 0;
  }
}
