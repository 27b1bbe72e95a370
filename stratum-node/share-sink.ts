/**
 * What the protocol layer needs from the share recorder (recorder.ts implements it over Redis; in-memory tests
 * implement it with arrays): credit a valid share, count an invalid one, record a found block, and learn the
 * network difficulty of the current template.
 *
 * Data model: AcceptedShare and FoundBlock are defined by recorder.ts (the shapes it writes to Redis).
 */
import type { AcceptedShare, FoundBlock } from './recorder.js';

export interface ShareSink {
  add(share: AcceptedShare): void;
  addInvalid(): void;
  /** Resolves true when the block was recorded now, false when it already was. */
  recordBlock(block: FoundBlock): Promise<boolean>;
  setNetworkDifficulty(d: bigint): void;
}
