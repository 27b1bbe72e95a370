/**
 * A value with subscribers: the latest /stats snapshot is one, shared by every page.
 *
 * Data model: Store<T> {value: T | null, at: ms of the last set}.
 */
type Listener<T> = (v: T) => void;

export class Store<T> {
  private v: T | null = null;
  private t = 0;
  private listeners = new Set<Listener<T>>();

  get value(): T | null {
    return this.v;
  }

  /** Unix ms of the last update; 0 = never. */
  get at(): number {
    return this.t;
  }

  set(v: T): void {
    this.v = v;
    this.t = Date.now();
    for (const fn of this.listeners) fn(v);
  }

  /** Calls `fn` now if there is a value, then on every update. Returns the unsubscribe function. */
  subscribe(fn: Listener<T>): () => void {
    this.listeners.add(fn);
    if (this.v !== null) fn(this.v);
    return () => this.listeners.delete(fn);
  }
}
