/**
 * The API's view of `statsSnapshot` (written by functions/stats): reads the raw JSON, and lets long polls wait for
 * it to change. One timer per process re-reads the key every `pollMs` while at least one poll waits and wakes every
 * waiter whose last seen text differs; each waiter also has its own timeout, after which it gets the current text.
 * No timer runs while nobody waits, and the timer never keeps the process alive.
 */
import type { Storage } from '../../shared/storage/port.js';
import { asOptString } from '../../shared/storage/replies.js';

interface Waiter {
  seen: string | null;
  resolve(raw: string | null): void;
  timer: NodeJS.Timeout;
}

export class SnapshotSource {
  private readonly waiters = new Set<Waiter>();
  private poller: NodeJS.Timeout | undefined;
  private latest: string | null = null;
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly key: string,
    private readonly pollMs: number,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** The stored snapshot text now (null when absent). */
  async read(): Promise<string | null> {
    this.latest = asOptString(await this.storage.command(['GET', this.key]), 'statsSnapshot');
    return this.latest;
  }

  /**
   * Resolves with the snapshot text once it differs from `seen`, or with the latest text after `timeoutMs`, or
   * at once when `signal` aborts (client gone) or the source is closed.
   */
  waitForChange(seen: string | null, timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
    if (this.closed || signal?.aborted === true) return Promise.resolve(this.latest);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        seen,
        resolve: (raw) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          resolve(raw);
        },
        timer: setTimeout(() => waiter.resolve(this.latest), timeoutMs),
      };
      const onAbort = (): void => waiter.resolve(this.latest);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
      this.schedule();
    });
  }

  /** Wakes every waiter with the latest text and stops polling. */
  close(): void {
    this.closed = true;
    if (this.poller !== undefined) clearTimeout(this.poller);
    this.poller = undefined;
    for (const w of [...this.waiters]) w.resolve(this.latest);
  }

  private schedule(): void {
    if (this.poller !== undefined || this.closed) return;
    this.poller = setTimeout(() => void this.poll(), this.pollMs);
    this.poller.unref();
  }

  private async poll(): Promise<void> {
    try {
      const raw = await this.read();
      for (const w of [...this.waiters]) if (raw !== w.seen) w.resolve(raw);
    } catch (e) {
      this.onError(e);
    } finally {
      this.poller = undefined;
      if (this.waiters.size > 0) this.schedule();
    }
  }
}
