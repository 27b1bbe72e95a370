/**
 * A share that meets network difficulty: build the full block, hand it to monerod (`submit_block`) and record it.
 *
 * Order: submit -> credit the share -> record the block (candidate + round close, one Redis script) -> refresh the
 * template. A block the daemon rejects still credits its share (it was valid work at the job's difficulty).
 *
 * Data model: none of its own; writes through the ShareRecorder (recorder.ts) and reads the ActiveTemplate.
 */
import type { Logger } from 'pino';
import { bytesToHex } from '../shared/hex.js';
import { blockBlob, blockId } from '../shared/monero/template.js';
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

export async function onBlockFound(deps: BlockFoundDeps, found: BlockSolution): Promise<void> {
  const { template: t, miner } = found;
  const hash = bytesToHex(blockId(found.hashingBlob));
  const blob = bytesToHex(blockBlob(t.template, found.extraNonce, found.nonce));
  const log = deps.log.child({ height: t.height, hash, finder: miner.login });
  try {
    await deps.submitBlock(blob);
  } catch (err) {
    deps.metrics.blocks.inc({ result: 'rejected' });
    log.error({ err }, 'block rejected by the daemon');
    deps.recorder.add(found.share);
    return;
  }
  deps.metrics.blocks.inc({ result: 'accepted' });
  log.info('block found and accepted by the daemon');
  deps.recorder.add(found.share);
  try {
    await deps.recorder.recordBlock({
      hash,
      height: t.height,
      timeMs: Date.now(),
      difficulty: t.difficulty,
      finder: miner.login,
      solo: miner.solo,
    });
  } catch (err) {
    log.error({ err }, 'CRITICAL: block accepted but not recorded in Redis; record it by hand');
  }
  deps.jobs.refresh('tip').catch((err: unknown) => log.warn({ err }, 'template refresh after block failed'));
}
