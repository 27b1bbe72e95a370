/**
 * Job broadcast: when the job manager has a new template, every logged-in miner gets a new job for it.
 *
 * Sends are batched: after every BROADCAST_SLICE miners the loop yields to the event loop so submits and logins
 * keep flowing during a broadcast to many thousands of miners.
 *
 * Data model: none of its own; walks the pool's session table and asks `jobFor` for each miner's job. A template
 * with a lower network difficulty thus lowers every job above it to the new cap (Miner.newJob).
 */
import type { ActiveTemplate } from './jobs.js';
import type { Miner } from './miner.js';
import type { StratumJob } from './miner.js';

export const BROADCAST_SLICE = 500;

export interface BroadcastTarget {
  readonly miner: Miner | null;
  send(msg: object): void;
}

export async function broadcastJobs(
  t: ActiveTemplate,
  sessions: Iterable<BroadcastTarget>,
  jobFor: (miner: Miner, t: ActiveTemplate) => StratumJob,
): Promise<number> {
  let n = 0;
  for (const conn of [...sessions]) {
    const miner = conn.miner;
    if (!miner) continue;
    conn.send({ jsonrpc: '2.0', method: 'job', params: jobFor(miner, t) });
    if (++n % BROADCAST_SLICE === 0) await new Promise((r) => setImmediate(r));
  }
  return n;
}
