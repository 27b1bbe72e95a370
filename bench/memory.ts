/**
 * The benches' memory reading: RSS and JS memory (heap used + external + array buffers) after full garbage
 * collections, so per-connection figures are not blurred by garbage not yet collected.
 *
 * Data model: MemoryReading {rss, heap} in bytes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemoryReading {
  readonly rss: number;
  readonly heap: number;
}

/** Exposes `gc` (V8 flag, set at run time) and returns a reader that collects three times, then reads. */
export function memoryReader(): () => MemoryReading {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    for (let i = 0; i < 3; i++) gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
  };
}
