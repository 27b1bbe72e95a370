/**
 * The `job` a miner is sent (docs/protocol.md, "The job object"), in the two forms the node writes:
 *  - jobParams: the object inside a login reply, a getjob answer or a retarget push (serialized with the message);
 *  - jobLine: a whole `{"jsonrpc":"2.0","method":"job","params":{...}}` line with its newline, for broadcasts,
 *    byte for byte what JSON.stringify of {jsonrpc, method, params: jobParams(...)} + '\n' gives, without building
 *    the object or walking it per miner.
 * jobFor / jobLineFor make a new job for a miner (extra nonce, bookkeeping, blob) and return either form.
 *
 * Data model: per template (WeakMap ActiveTemplate -> string) the constant end of the params, from `","algo":"rx/0"`
 * to `"id":"`, with the template's height, seed hash and next seed hash serialized once (by JSON.stringify, as the
 * object form would be). Per miner only four strings are spliced in: the blob hex, the job id (hex salt + base 36),
 * the target hex and the session id (hex). All four are lowercase hex or base 36 by construction, so they need no
 * JSON escaping.
 */
import type { ActiveTemplate, JobManager } from './jobs.js';
import type { Job, Miner, StratumJob } from './miner.js';

const HEAD = '{"jsonrpc":"2.0","method":"job","params":{"blob":"';
const tails = new WeakMap<ActiveTemplate, string>();

/** The params' end for template `t`, up to and including the opening quote of the session id. */
function tailFor(t: ActiveTemplate): string {
  let tail = tails.get(t);
  if (tail === undefined) {
    const next = t.nextSeedHash ? `,"next_seed_hash":${JSON.stringify(t.nextSeedHash)}` : '';
    tail = `","algo":"rx/0","height":${JSON.stringify(t.height)},"seed_hash":${JSON.stringify(t.seedHash)}${next},"id":"`;
    tails.set(t, tail);
  }
  return tail;
}

/** The job object for `job` of template `t` (field order as in the line). */
export function jobParams(t: ActiveTemplate, job: Job, blobHex: string, sessionId: string): StratumJob {
  return {
    blob: blobHex,
    job_id: job.id,
    target: job.target.hex,
    algo: 'rx/0',
    height: t.height,
    seed_hash: t.seedHash,
    ...(t.nextSeedHash ? { next_seed_hash: t.nextSeedHash } : {}),
    id: sessionId,
  };
}

/** The `job` notification line for `job` of template `t` (see the header). */
export function jobLine(t: ActiveTemplate, job: Job, blobHex: string, sessionId: string): string {
  return HEAD + blobHex + '","job_id":"' + job.id + '","target":"' + job.target.hex + tailFor(t) + sessionId + '"}}\n';
}

/** A new job for `miner` on `t` (a fresh extra nonce, recorded by miner.ts addJob) as the object a reply carries. */
export function jobFor(jobs: JobManager, miner: Miner, t: ActiveTemplate): StratumJob {
  const nonce = jobs.nextNonce();
  const blobHex = jobs.jobBlobHex(t, nonce); // first: a blob that cannot be built leaves no job behind
  return jobParams(t, miner.addJob(t, jobs.nodeId, nonce), blobHex, miner.sessionId);
}

/** A new job for `miner` on `t` as the line a broadcast writes. */
export function jobLineFor(jobs: JobManager, miner: Miner, t: ActiveTemplate): string {
  const nonce = jobs.nextNonce();
  const blobHex = jobs.jobBlobHex(t, nonce); // first: a blob that cannot be built leaves no job behind
  return jobLine(t, miner.addJob(t, jobs.nodeId, nonce), blobHex, miner.sessionId);
}
