/**
 * The share recorder's op queue as data: what an op is, how the journal's records rebuild the queue at start, and
 * which records stand for the queue as it is now (for compaction). Pure functions; recorder.ts owns the queue and
 * sends it, journal.ts owns the file.
 *
 * Data model:
 * - BatchOp {id, batch, attempted, reply?}: one FLUSH_SHARES call (a batch merged while unsent keeps the tail's id).
 * - BlockOp {id, block, batch, attempted, held, reply?}: one RECORD_BLOCK call (the block and the shares before it);
 *   `held` while the daemon's verdict is awaited: nothing from it on is sent.
 * - `attempted`: sent at least once (Redis may have applied it), so its payload never changes again.
 * Replay rule (journal.ts records, in file order): batch/block append an op, `into` merges into the op with that id,
 * settle sets a block's submit, drop turns a block into its batch (id p.id), ack removes the op. Every replayed op
 * counts as attempted and is never held: a block whose verdict was never journaled stays "unconfirmed".
 */
import type { JournalRecord } from './journal.js';
import type { BatchPayload, BlockPayload } from './scripts.js';
import { mergeBatches } from './share-batch.js';

export type BatchOp = { kind: 'batch'; id: string; batch: BatchPayload; attempted: boolean; reply?: number };
export type BlockOp = {
  kind: 'block';
  id: string;
  block: BlockPayload;
  batch: BatchPayload;
  attempted: boolean;
  /** Waiting for the daemon's verdict: nothing from here on is sent. */
  held: boolean;
  reply?: number;
};
export type Op = BatchOp | BlockOp;

/** True when the queue's head is a block still waiting for the daemon's verdict. */
export function headHeld(ops: readonly Op[]): boolean {
  const head = ops[0];
  return head?.kind === 'block' && head.held;
}

/** Applies one journal record to the queue being rebuilt (the replay rule above). */
export function replayRecord(ops: Op[], rec: JournalRecord): void {
  const at = (id: string): number => ops.findIndex((o) => o.id === id);
  switch (rec.t) {
    case 'target':
      return;
    case 'ack': {
      const i = at(rec.id);
      if (i >= 0) ops.splice(i, 1);
      return;
    }
    case 'block':
      ops.push({ kind: 'block', id: rec.id, block: rec.b, batch: rec.p, attempted: true, held: false });
      return;
    case 'settle': {
      const op = ops[at(rec.id)];
      if (op?.kind === 'block') op.block = { ...op.block, submit: rec.submit };
      return;
    }
    case 'drop': {
      const i = at(rec.id);
      const op = ops[i];
      if (op?.kind === 'block') ops[i] = { kind: 'batch', id: op.batch.id, batch: op.batch, attempted: true };
      return;
    }
    case 'batch': {
      const into = rec.into === undefined ? undefined : ops[at(rec.into)];
      if (into?.kind === 'batch') into.batch = mergeBatches(into.batch, rec.p);
      else ops.push({ kind: 'batch', id: rec.into === undefined ? rec.id : rec.p.id, batch: rec.p, attempted: true });
    }
  }
}

/** One journal record per op, standing for the queue as it is now (what a compacted journal holds). */
export function opRecords(ops: readonly Op[]): JournalRecord[] {
  return ops.map((op) =>
    op.kind === 'batch' ? { t: 'batch', id: op.id, p: op.batch } : { t: 'block', id: op.id, b: op.block, p: op.batch },
  );
}
