/**
 * Variable difficulty, the seed's algorithm with its edge cases handled.
 *
 * State per miner (VarDiffState): a ring buffer of the last 16 seconds-between-accepted-shares, the time of the last
 * accepted share and of the last retarget. Every `retargetTime` seconds the average interval is compared with
 * targetTime ± variancePercent; outside that band the difficulty moves by target/avg, clamped to ±maxJump % and to
 * [minDiff, maxDiff]. An empty buffer (no shares yet) contributes only the time since the last share, never NaN.
 * The result is a wish: the caller (Miner.retarget) caps it at the current template's network difficulty, so a miner
 * at the cap whose shares still come fast stays there without a new job.
 */
export interface VarDiffConfig {
  readonly minDiff: number;
  readonly maxDiff: number;
  readonly targetTime: number;
  readonly retargetTime: number;
  readonly variancePercent: number;
  readonly maxJump: number;
}

const RING_SIZE = 16;

export class VarDiff {
  private readonly intervals: number[] = [];
  private lastShareAt: number;
  private lastRetargetAt: number;

  constructor(
    private readonly cfg: VarDiffConfig,
    nowSec: number,
  ) {
    this.lastShareAt = nowSec;
    this.lastRetargetAt = nowSec;
  }

  /** Records an accepted share; returns a new difficulty when a retarget is due and changes it, else null. */
  onShare(nowSec: number, currentDiff: number): number | null {
    const since = nowSec - this.lastShareAt;
    this.lastShareAt = nowSec;
    if (since >= 0) {
      this.intervals.push(since);
      if (this.intervals.length > RING_SIZE) this.intervals.shift();
    }
    return this.maybeRetarget(nowSec, currentDiff);
  }

  /** Called on a timer too, so a miner that went quiet gets its difficulty lowered. */
  maybeRetarget(nowSec: number, currentDiff: number): number | null {
    if (nowSec - this.lastRetargetAt < this.cfg.retargetTime) return null;
    this.lastRetargetAt = nowSec;
    const { targetTime, variancePercent, minDiff, maxDiff, maxJump } = this.cfg;
    const tMin = targetTime * (1 - variancePercent / 100);
    const tMax = targetTime * (1 + variancePercent / 100);
    const samples = [...this.intervals];
    const sinceLast = nowSec - this.lastShareAt;
    if (sinceLast > tMax) samples.push(sinceLast);
    this.intervals.length = 0;
    if (samples.length === 0) return null;
    const avg = samples.reduce((a, b) => a + b, 0) / samples.length;
    if (!Number.isFinite(avg)) return null;
    let next: number;
    if (avg > tMax && currentDiff > minDiff) {
      next = avg <= 0 ? currentDiff : currentDiff * (targetTime / avg);
    } else if (avg < tMin && currentDiff < maxDiff) {
      next = avg <= 0 ? currentDiff * (1 + maxJump / 100) : currentDiff * (targetTime / avg);
    } else {
      return null;
    }
    const jump = (currentDiff * maxJump) / 100;
    next = Math.min(Math.max(next, currentDiff - jump), currentDiff + jump);
    next = Math.round(Math.min(Math.max(next, minDiff), maxDiff));
    if (!Number.isFinite(next) || next < 1 || next === currentDiff) return null;
    if (sinceLast > tMax) this.lastShareAt = nowSec;
    return next;
  }
}
