/**
 * What the protocol layer needs from the share recorder (recorder.ts implements it over Redis; in-memory tests
 * implement it with arrays): credit a valid share, count an invalid one, record a found block, and learn the
 * network difficulty of the current template. A found block is begun before the daemon sees it and then settled
 * with the daemon's verdict or dropped (recorder.ts journals it at once, so a crash in between still records it).
 *
 * Data model: AcceptedShare and FoundBlock are defined by recorder.ts (the shapes it writes to Redis).
 */
import type { AcceptedShare, FoundBlock } from './recorder.js';

export interface ShareSink {
  add(share: AcceptedShare): void;
  addInvalid(): void;
  /** Queues a found block (with the shares pending before it) before it is submitted; see BlockRecording. */
  beginBlock(block: FoundBlock): BlockRecording;
  setNetworkDifficulty(d: bigint): void;
}

/** A found block queued before the daemon's verdict; exactly one of settle or drop is meant to be called. */
export interface BlockRecording {
  /** Records it with the daemon's verdict; true when recorded now, false when it already was (throws E_STORAGE if Redis is away). */
  settle(submit: 'accepted' | 'unconfirmed'): Promise<boolean>;
  /** The daemon refused it: no block is recorded; the shares pending before it are kept as a plain batch. */
  drop(): void;
}
