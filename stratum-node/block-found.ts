/**
 * A share that meets network difficulty: build the full block, hand it to monerod (`submit_block`) and record it.
 *
 * Order: credit the share -> queue the block in the recorder (journaled, fsynced, as "unconfirmed") -> submit ->
 * settle or drop it by the daemon's verdict (candidate + round close, one Redis script) -> refresh the template. The
 * share is credited whatever the daemon says (it was valid work at the job's difficulty). Queued before the submit,
 * a block survives the node being killed while monerod answers: it is recorded "unconfirmed" at the next start.
 *
 * What the submit's outcome does to the block (shared/rpc/daemon.ts `classifySubmitFailure`):
 * - accepted (status OK): recorded as a candidate with submit "accepted";
 * - ambiguous (a timeout, a connection reset after the request was sent, a 5xx, an unreadable reply): the daemon
 *   may well have added it, so it is recorded as a candidate anyway with submit "unconfirmed". The unlocker looks
 *   its hash up on the daemon each run (an unconfirmed block the daemon has becomes submit "accepted") and settles it
 *   by the main chain at depth like any candidate: one the chain never had is orphaned (its round given back as for
 *   any orphan), one the chain has is credited;
 * - rejected (monerod answered with an error or a non-OK status, or a 4xx) or undelivered (no connection could be
 *   made, after the client's connect retries): dropped, not recorded; the round goes on with its shares.
 *
 * Data model: none of its own; writes through the ShareSink (recorder.ts) and reads the ActiveTemplate.
 */
import type { Logger } from 'pino';
import { bytesToHex } from '../shared/hex.js';
import { blockBlob, blockId } from '../shared/monero/template.js';
import { classifySubmitFailure } from '../shared/rpc/daemon.js';
import type { ActiveTemplate, JobManager } from './jobs.js';
import type { Metrics } from './metrics.js';
import type { Miner } from './miner.js';
import type { AcceptedShare } from './recorder.js';
import type { ShareSink } from './share-sink.js';

export interface BlockFoundDeps {
  readonly jobs: JobManager;
  readonly recorder: ShareSink;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Resolves when monerod took the block; throws the daemon client's error otherwise. */
  readonly submitBlock: (blobHex: string) => Promise<void>;
}

export interface BlockSolution {
  readonly template: ActiveTemplate;
  readonly miner: Miner;
  readonly extraNonce: Uint8Array;
  readonly nonce: Uint8Array;
  /** The hashing blob with the nonce in place (its id is the block hash). */
  readonly hashingBlob: Uint8Array;
  readonly share: AcceptedShare;
}

/**
 * What became of a found block: "accepted" and "unconfirmed" are recorded as candidates with that `submit` value;
 * "rejected" and "undelivered" are not recorded. Also the `result` label of pool_blocks_total.
 */
export type BlockFoundResult = 'accepted' | 'unconfirmed' | 'rejected' | 'undelivered';

export async function onBlockFound(deps: BlockFoundDeps, found: BlockSolution): Promise<BlockFoundResult> {
  const { template: t, miner } = found;
  const hash = bytesToHex(blockId(found.hashingBlob));
  const blob = bytesToHex(blockBlob(t.template, found.extraNonce, found.nonce));
  const log = deps.log.child({ height: t.height, hash, finder: miner.login });
  deps.recorder.add(found.share);
  const recording = deps.recorder.beginBlock({
    hash,
    height: t.height,
    timeMs: Date.now(),
    difficulty: t.difficulty,
    finder: miner.login,
    solo: miner.solo,
  });
  let submit: 'accepted' | 'unconfirmed' = 'accepted';
  let decided = false;
  try {
    try {
      await deps.submitBlock(blob);
    } catch (err) {
      const failure = classifySubmitFailure(err);
      if (failure !== 'ambiguous') {
        recording.drop();
        decided = true;
        deps.metrics.blocks.inc({ result: failure });
        log.error(
          { err, failure },
          failure === 'rejected' ? 'block rejected by the daemon' : 'block not delivered to the daemon',
        );
        return failure;
      }
      submit = 'unconfirmed';
      log.warn({ err }, 'block submit ambiguous (no verdict from the daemon): recorded as an unconfirmed candidate');
    }
    const recorded = recording.settle(submit);
    decided = true;
    deps.metrics.blocks.inc({ result: submit });
    if (submit === 'accepted') log.info('block found and accepted by the daemon');
    await recorded;
  } catch (err) {
    // the recorder keeps the block queued in order (and journaled to poolServer.dataDir) and retries it every flush
    log.error({ err }, 'block found but not yet recorded in Redis; queued and retried in order');
  } finally {
    // whatever went wrong above, the block never stays held (that would stop every write behind it)
    if (!decided) void recording.settle('unconfirmed').catch(() => undefined);
  }
  deps.jobs.refresh('tip').catch((err: unknown) => log.warn({ err }, 'template refresh after block failed'));
  return submit;
}
