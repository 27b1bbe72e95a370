/**
 * The share recorder's use of its journal (journal.ts): opening and replaying it, appending, compacting and emptying
 * it, and what happens when the disk fails. recorder.ts calls it for every op; a journal error never loses an op
 * (the queue in memory still holds everything and goes to Redis in order), it stops journaling for the process.
 *
 * State: the open ShareJournal (null once journaling stopped), `broken` (journaling stopped after an error: the file
 * left behind lacks acks, so once the queue is empty it is moved aside to `<file>.<unix ms>.stale`, never replayed),
 * `compactAt` (bytes: 64 MiB by default, then twice the last compacted size) and `compactDue` (compaction waits for
 * the next cut with no block held, never between a block and its submit).
 */
import { renameSync } from 'node:fs';
import type { Logger } from 'pino';
import { ShareJournal, type JournalRecord } from './journal.js';
import { opRecords, type Op } from './op-queue.js';

const COMPACT_BYTES = 64 * 1024 * 1024;
/**
 * The journal format, in its target line: a build that does not know it (an older one, after a rollback) sets the
 * file aside instead of misreading settle/drop records.
 */
const JOURNAL_FORMAT = 'journal-v2';

export interface RecorderJournalOptions {
  readonly path: string;
  /** What the journal is for (the Redis endpoint and key prefix). */
  readonly target: string;
  readonly compactBytes?: number;
  readonly log: Logger;
}

export class RecorderJournal {
  private journal: ShareJournal | null;
  private broken = false;
  private compactAt: number;
  private compactDue = false;

  /** Opens the journal at `o.path` and hands every record it holds to `onRecord`, in order. */
  constructor(
    private readonly o: RecorderJournalOptions,
    onRecord: (rec: JournalRecord) => void,
  ) {
    this.compactAt = this.minCompact;
    const { journal, setAside } = ShareJournal.open(
      o.path,
      `${o.target} ${JOURNAL_FORMAT}`,
      onRecord,
      [o.target], // written before the format tag (no settle/drop records): same records, replayed alike
    );
    if (setAside !== null) {
      o.log.error(
        { setAside, target: o.target },
        'share journal written for another Redis endpoint or coin, or by a newer build (another format): set aside, not replayed (replay it by hand if it belongs here)',
      );
    }
    this.journal = journal;
  }

  private get minCompact(): number {
    return this.o.compactBytes ?? COMPACT_BYTES;
  }

  /** True while records are being written (false once a journal error stopped journaling). */
  get active(): boolean {
    return this.journal !== null;
  }

  /** Appends a record (`sync`: fsynced before returning); past the compaction size, compaction becomes due. */
  append(rec: JournalRecord, sync: boolean): void {
    if (!this.journal) return;
    try {
      this.journal.append(rec, sync);
      if (this.journal.bytes >= this.compactAt) this.compactDue = true;
    } catch (err) {
      this.stop(err, 'share journal write failed');
    }
  }

  /** Compacts now if it is due and no block is held in `ops`. */
  compactIfDue(ops: readonly Op[]): void {
    if (this.compactDue && !ops.some((op) => op.kind === 'block' && op.held)) this.compact(ops);
  }

  /** Rewrites the journal as one record per op of `ops` (journal.ts `rewrite`). */
  compact(ops: readonly Op[]): void {
    if (!this.journal) return;
    this.compactDue = false;
    try {
      this.journal.rewrite(opRecords(ops));
    } catch (err) {
      if (!this.journal.usable) return this.stop(err, 'share journal could not be reopened after compaction');
      // the copy failed (a full disk?): keep appending to the journal as it is, try again when it has doubled
      this.o.log.error({ err, journal: this.o.path }, 'share journal compaction failed; journaling goes on');
      this.compactAt = this.journal.bytes * 2;
      return;
    }
    this.compactAt = Math.max(this.minCompact, this.journal.bytes * 2);
  }

  /** Nothing is pending: the journal is emptied (or, when journaling had stopped, its stale file moved aside). */
  reset(): void {
    this.compactAt = this.minCompact;
    this.compactDue = false;
    if (this.broken) {
      // its last records were never acked: replaying it after the batches' flushed(id) markers expire would count
      // them twice, so it is never replayed
      const aside = `${this.o.path}.${Date.now()}.stale`;
      this.broken = false; // one attempt: a file that cannot be moved is reported once, not every flush
      try {
        renameSync(this.o.path, aside);
        this.o.log.warn({ aside }, 'stale share journal moved aside (everything in it reached Redis)');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.o.log.error(
            { err, journal: this.o.path },
            'CRITICAL: stale share journal could not be moved aside: delete it before the next start (it must not be replayed)',
          );
        }
      }
      return;
    }
    try {
      this.journal?.reset();
    } catch (err) {
      this.stop(err, 'share journal could not be emptied');
    }
  }

  close(): void {
    this.journal?.close();
    this.journal = null;
  }

  /** After a journal error: journaling stops for this process; the queue in memory still holds everything. */
  private stop(err: unknown, what: string): void {
    this.o.log.error(
      { err, journal: this.o.path },
      `CRITICAL: ${what}; journaling stopped, pending shares and blocks kept in memory only`,
    );
    try {
      this.journal?.close();
    } catch {
      // already unusable
    }
    this.journal = null;
    this.broken = true;
  }
}
