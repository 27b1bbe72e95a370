/**
 * Job broadcast: when the job manager has a new template, every logged-in miner gets a new job for it.
 *
 * Sends are batched: after every BROADCAST_SLICE miners the loop yields to the event loop so submits and logins
 * keep flowing during a broadcast to many thousands of miners; a broadcast overtaken by a newer template stops
 * there, and one miner's failure never stops the others.
 *
 * Data model: none of its own; walks the pool's session table and asks `lineFor` for each miner's job line
 * (job-message.ts jobLineFor: the job is recorded, the line is pre-serialized). A template with a lower network
 * difficulty thus lowers every job above it to the new cap (Miner.addJob).
 */
import type { ActiveTemplate } from './jobs.js';
import type { Miner } from './miner.js';

export const BROADCAST_SLICE = 500;

export interface BroadcastTarget {
  readonly miner: Miner | null;
  send(msg: object): void;
  /** Writes one whole line as is (server.ts); a target without it is sent the parsed line (in-memory tests). */
  sendRaw?(line: string): void;
}

/** What a broadcast did: miners sent a job, and the first failure (one miner's job that could not be built). */
export interface BroadcastResult {
  readonly sent: number;
  readonly failed: number;
  readonly firstError: unknown;
  /** A newer template arrived meanwhile: the rest of the miners get that one's broadcast instead. */
  readonly superseded: boolean;
}

/**
 * Sends every logged-in miner a job for `t`. A miner whose job cannot be built is skipped (counted, the first error
 * kept), never the miners after it; the loop stops when `current()` is no longer `t` (a newer template's broadcast
 * runs), so no miner gets an older job after a newer one.
 */
export async function broadcastJobs(
  t: ActiveTemplate,
  sessions: Iterable<BroadcastTarget>,
  lineFor: (miner: Miner, t: ActiveTemplate) => string,
  current: () => ActiveTemplate = () => t,
): Promise<BroadcastResult> {
  let sent = 0;
  let failed = 0;
  let firstError: unknown = null;
  let seen = 0;
  for (const conn of [...sessions]) {
    const miner = conn.miner;
    if (!miner) continue;
    try {
      const line = lineFor(miner, t);
      if (conn.sendRaw) conn.sendRaw(line);
      else conn.send(JSON.parse(line) as object);
      sent += 1;
    } catch (err) {
      if (failed === 0) firstError = err;
      failed += 1;
    }
    if (++seen % BROADCAST_SLICE === 0) {
      await new Promise((r) => setImmediate(r));
      if (current() !== t) return { sent, failed, firstError, superseded: true };
    }
  }
  return { sent, failed, firstError, superseded: false };
}
