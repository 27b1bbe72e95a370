/**
 * Job broadcast: when the job manager has a new template, every logged-in miner gets a new job for it.
 *
 * Sends are batched: after every BROADCAST_SLICE miners the loop yields to the event loop so submits and logins
 * keep flowing during a broadcast to many thousands of miners.
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

export async function broadcastJobs(
  t: ActiveTemplate,
  sessions: Iterable<BroadcastTarget>,
  lineFor: (miner: Miner, t: ActiveTemplate) => string,
): Promise<number> {
  let n = 0;
  for (const conn of [...sessions]) {
    const miner = conn.miner;
    if (!miner) continue;
    const line = lineFor(miner, t);
    if (conn.sendRaw) conn.sendRaw(line);
    else conn.send(JSON.parse(line) as object);
    if (++n % BROADCAST_SLICE === 0) await new Promise((r) => setImmediate(r));
  }
  return n;
}
