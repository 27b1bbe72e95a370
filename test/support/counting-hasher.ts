import type { Hasher } from '../../native/index.js';

/** The pool's hasher, counting how many shares it really hashed. */
export class CountingHasher implements Hasher {
  calls = 0;
  constructor(private readonly inner: Hasher) {}
  get mode() {
    return this.inner.mode;
  }
  get threads() {
    return this.inner.threads;
  }
  hash(seed: string, blob: Uint8Array): Promise<Uint8Array> {
    this.calls += 1;
    return this.inner.hash(seed, blob);
  }
  hashWithKey(key: Uint8Array, input: Uint8Array): Promise<Uint8Array> {
    return this.inner.hashWithKey(key, input);
  }
  prepareSeed(seed: string) {
    return this.inner.prepareSeed(seed);
  }
  prepareKey(key: Uint8Array) {
    return this.inner.prepareKey(key);
  }
  stats() {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
