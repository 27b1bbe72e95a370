/**
 * Live updates without reloads. A Poller runs one fetch at a time: on success it waits `intervalMs`, or re-arms at
 * once when `rearmAtOnce` says so (the long poll: a server that held the request gets the next one immediately; one
 * that answered at once, like the API under Lambda, is polled every `intervalMs` instead of in a tight loop); on
 * failure it backs off exponentially up to `maxBackoffMs`.
 * Connection is the site-wide health: while any poller's last request failed to reach the API (or got a 5xx) the
 * site is stale (the header marker and banner); each poller clears its own failure with its next success, or when it
 * stops, so one healthy route cannot hide another that is failing.
 *
 * Data model: ConnectionState {ok, lastOk (ms), error, retryAt (ms)}.
 */
import { ApiError } from './api.js';

export interface ConnectionState {
  ok: boolean;
  /** Unix ms of the last successful API answer; 0 = never. */
  lastOk: number;
  error: string;
  /** The API answered (with a 5xx) rather than being unreachable or timing out. */
  answered: boolean;
  /** Unix ms of the next retry while stale; 0 = none scheduled. */
  retryAt: number;
}

type Listener<T> = (v: T) => void;

export class Connection {
  private state: ConnectionState = { ok: true, lastOk: 0, error: '', answered: false, retryAt: 0 };
  /** Sources (pollers) whose last request failed, with that failure; stale while any is here. */
  private failing = new Map<symbol, Omit<ConnectionState, 'ok' | 'lastOk'>>();
  private listeners = new Set<Listener<ConnectionState>>();
  private retryHooks = new Set<() => void>();

  get current(): ConnectionState {
    return this.state;
  }

  ok(source: symbol): void {
    this.failing.delete(source);
    this.update(Date.now());
  }

  /** Unreachable, timed out or a 5xx make the site stale; a 4xx is an answer (e.g. "address not found"). */
  fail(source: symbol, e: unknown, retryAt = 0): void {
    if (e instanceof ApiError && e.kind === 'http' && e.status < 500) {
      this.ok(source);
      return;
    }
    const answered = e instanceof ApiError && e.kind === 'http';
    this.failing.set(source, { error: e instanceof Error ? e.message : String(e), answered, retryAt });
    this.update(this.state.lastOk);
  }

  /** A source that stopped (its page was left) no longer counts either way. */
  forget(source: symbol): void {
    if (this.failing.delete(source)) this.update(this.state.lastOk);
  }

  subscribe(fn: Listener<ConnectionState>): () => void {
    this.listeners.add(fn);
    fn(this.state);
    return () => this.listeners.delete(fn);
  }

  /** Pollers register to be woken by "Retry now". */
  onRetry(fn: () => void): () => void {
    this.retryHooks.add(fn);
    return () => this.retryHooks.delete(fn);
  }

  retryNow(): void {
    for (const fn of this.retryHooks) fn();
  }

  private update(lastOk: number): void {
    // the most recent failure speaks for all of them
    const last = [...this.failing.values()].pop();
    this.state = last ? { ok: false, lastOk, ...last } : { ok: true, lastOk, error: '', answered: false, retryAt: 0 };
    for (const fn of this.listeners) fn(this.state);
  }
}

export interface PollerOptions<T> {
  fetch: (signal: AbortSignal) => Promise<T>;
  onData: (data: T) => void;
  onError?: (e: unknown) => void;
  intervalMs: () => number;
  /**
   * Long poll: called after each answer with how long the request was held; true re-arms at once instead of
   * waiting `intervalMs` (e.g. after the first plain fetch, or after a poll the server really held open).
   */
  rearmAtOnce?: (heldMs: number) => boolean;
  maxBackoffMs?: number;
  connection: Connection;
}

const FIRST_BACKOFF_MS = 2_000;

export class Poller<T> {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private abort: AbortController | null = null;
  private failures = 0;
  private stopped = true;
  private unhookRetry: (() => void) | null = null;
  private readonly source = Symbol('poller');

  constructor(private readonly opts: PollerOptions<T>) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unhookRetry = this.opts.connection.onRetry(() => this.now());
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.abort = null;
    this.unhookRetry?.();
    this.unhookRetry = null;
    this.opts.connection.forget(this.source);
  }

  /** Fetch now (e.g. after a form changed something), cancelling the wait. */
  now(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.abort === null) void this.tick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const abort = new AbortController();
    this.abort = abort;
    const started = Date.now();
    try {
      const data = await this.opts.fetch(abort.signal);
      if (this.stopped || abort.signal.aborted) return;
      this.failures = 0;
      this.opts.connection.ok(this.source);
      this.opts.onData(data);
      const held = Date.now() - started;
      this.abort = null;
      this.schedule(this.opts.rearmAtOnce?.(held) === true ? 0 : this.opts.intervalMs());
    } catch (e) {
      if (this.stopped || abort.signal.aborted) return;
      this.abort = null;
      this.failures++;
      const wait = Math.min(FIRST_BACKOFF_MS * 2 ** (this.failures - 1), this.opts.maxBackoffMs ?? 60_000);
      this.opts.connection.fail(this.source, e, Date.now() + wait);
      this.opts.onError?.(e);
      this.schedule(wait);
    }
  }
}
