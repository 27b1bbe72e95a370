/**
 * The share recorder's write-ahead journal: what Redis has not yet taken, on local disk, so a node killed during a
 * Redis outage (or while monerod is still answering a found block) loses nothing. One append-only file per stratum
 * process in `poolServer.dataDir`.
 *
 * File format (UTF-8, one JSON record per line, "\n"-terminated, appended with O_APPEND):
 *   {"t":"target","target":T}                            first line: the Redis endpoint and prefix the records are for
 *   {"t":"batch","id":ID,"p":BatchPayload}               a share batch, in the order it was cut
 *   {"t":"batch","id":ID,"into":TAIL,"p":BatchPayload}   a batch merged into the still unsent batch TAIL (same round)
 *   {"t":"block","id":ID,"b":BlockPayload,"p":BatchPayload}   a found block with the shares pending before it; written
 *                                                        BEFORE submit_block, with b.submit "unconfirmed"
 *   {"t":"settle","id":ID,"submit":"accepted"|"unconfirmed"}  the daemon's verdict on block ID: record it as that
 *   {"t":"drop","id":ID}                                 the daemon refused block ID: keep its shares as a plain batch
 *                                                        (id p.id), record no block
 *   {"t":"ack","id":ID}                                  Redis took op ID (a merged batch is acked under TAIL's id)
 * `batch`, `block`, `settle` and `drop` records are fsynced before the recorder acts on them; acks are not (replay is
 * idempotent: a batch applies once per id through flushed(id), a block once through EXISTS block(hash)). When
 * nothing is pending the file is truncated to empty; when it grows past the compaction size while ops are pending it
 * is rewritten (`rewrite`: a temp file with one record per pending op, fsynced, renamed over, folder fsynced), so a
 * long outage keeps it near the size of what is pending. It is read line by line in chunks, never whole. A torn last
 * line (a crash mid-write) is dropped when the file is opened. A journal written for another target (the operator
 * pointed the node at another Redis or coin) is never replayed into this one: it is renamed aside to
 * `<file>.<unix ms>.other-target` and reported by the caller.
 *
 * Replay rule (op-queue.ts `replayRecord`): records in file order rebuild the queue: batch/block append an op, `into`
 * merges into the op with that id (with the same merge function the recorder used), settle sets the block's submit,
 * drop turns the block op into its batch, ack removes the op. What is left is sent to Redis in that order, before
 * any new op, and every replayed op counts as already attempted (never merged into). A block whose verdict never
 * reached the journal (the node died while monerod was answering) is recorded "unconfirmed": the unlocker looks it up
 * by hash and credits or orphans it by the chain.
 *
 * Slots (one journal file per process in a shared data folder): journal-slots.ts.
 *
 * Data model: JournalRecord below; payloads are scripts.ts's BatchPayload/BlockPayload.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { ERRORS, PoolError } from '../shared/errors.js';
import type { BatchPayload, BlockPayload } from './scripts.js';

export type JournalRecord =
  | { t: 'target'; target: string }
  | { t: 'batch'; id: string; into?: string; p: BatchPayload }
  | { t: 'block'; id: string; b: BlockPayload; p: BatchPayload }
  | { t: 'settle'; id: string; submit: 'accepted' | 'unconfirmed' }
  | { t: 'drop'; id: string }
  | { t: 'ack'; id: string };

/** Bytes read at a time when a journal is opened. */
const READ_CHUNK = 1 << 20;
/** A line longer than this is not a record this recorder wrote (its largest is one merged batch). */
const MAX_RECORD = 256 << 20;

/**
 * Calls `onRecord` for each whole line of the file at `fd`, in order, reading it in chunks (a journal of any size
 * opens). Returns the byte length of the whole lines (a torn tail after them is the caller's to cut).
 */
function readLines(fd: number, path: string, onLine: (line: string) => void): number {
  const chunk = Buffer.allocUnsafe(READ_CHUNK);
  let pieces: Buffer[] = []; // the start of a line that spans chunks (each piece searched for "\n" once)
  let pending = 0;
  let whole = 0;
  for (let pos = 0; ;) {
    const n = readSync(fd, chunk, 0, chunk.length, pos);
    if (n === 0) break;
    pos += n;
    let from = 0;
    for (let nl = chunk.indexOf(10, 0); nl >= 0 && nl < n; nl = chunk.indexOf(10, from)) {
      const tail = chunk.subarray(from, nl);
      const line = pieces.length === 0 ? tail.toString('utf8') : Buffer.concat([...pieces, tail]).toString('utf8');
      whole += pending + tail.length + 1;
      pieces = [];
      pending = 0;
      from = nl + 1;
      if (line !== '') onLine(line);
    }
    if (from < n) {
      pieces.push(Buffer.from(chunk.subarray(from, n))); // copy: `chunk` is reused by the next read
      pending += n - from;
      if (pending > MAX_RECORD) {
        throw new PoolError(ERRORS.STORAGE, `share journal ${path}: a record longer than 256 MiB`, { path });
      }
    }
  }
  return whole;
}

function parseRecord(path: string, line: string): JournalRecord {
  try {
    return JSON.parse(line) as JournalRecord;
  } catch (e) {
    throw new PoolError(
      ERRORS.STORAGE,
      `share journal ${path}: unreadable record`,
      { path, line: line.slice(0, 200) },
      { cause: e },
    );
  }
}

/** The file's first whole line (without its newline), or null when it has none (empty, or torn before the first newline). */
function firstLine(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.subarray(0, n).indexOf(10);
    // a target line is short: no newline in the first 64 KiB means a foreign file (set aside: "" is no target)
    return nl >= 0 ? buf.toString('utf8', 0, nl) : n === buf.length ? '' : null;
  } finally {
    closeSync(fd);
  }
}

export class ShareJournal {
  private fd: number;
  private size: number;

  private constructor(
    readonly path: string,
    private readonly target: string,
    fd: number,
    size: number,
  ) {
    this.fd = fd;
    this.size = size;
  }

  /**
   * Opens (creating) the journal for `target` and hands `onRecord` the records it already holds, in order (a torn
   * tail is cut off). `setAside` names the file a journal of another target was moved to (its records are not read).
   */
  static open(
    path: string,
    target: string,
    onRecord: (rec: JournalRecord) => void,
    /** Targets an earlier format wrote for the same endpoint, whose records read the same (replayed, then rewritten). */
    alsoAccepted: readonly string[] = [],
  ): { journal: ShareJournal; setAside: string | null } {
    let setAside: string | null = null;
    const first = existsSync(path) ? firstLine(path) : null;
    if (first !== null) {
      let header: JournalRecord | null;
      try {
        header = JSON.parse(first) as JournalRecord;
      } catch {
        header = null;
      }
      if (header?.t !== 'target' || (header.target !== target && !alsoAccepted.includes(header.target))) {
        setAside = `${path}.${Date.now()}.other-target`;
        renameSync(path, setAside);
      }
    }
    const fd = openSync(path, 'a+');
    try {
      const whole = readLines(fd, path, (line) => {
        const rec = parseRecord(path, line);
        if (rec.t !== 'target') onRecord(rec);
      });
      if (fstatSync(fd).size > whole) {
        ftruncateSync(fd, whole);
        fsyncSync(fd);
      }
      return { journal: new ShareJournal(path, target, fd, whole), setAside };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Appends one record (after the target line when the file is empty); `sync` fsyncs it before returning. */
  append(rec: JournalRecord, sync: boolean): void {
    const head = this.size === 0 ? `${JSON.stringify({ t: 'target', target: this.target })}\n` : '';
    const buf = Buffer.from(`${head}${JSON.stringify(rec)}\n`);
    try {
      // writeSync may write less than asked (a full disk): loop, and on failure cut the file back to the last whole
      // record so a half record never sits in front of later ones
      for (let off = 0; off < buf.length;) off += writeSync(this.fd, buf, off, buf.length - off);
      if (sync) fsyncSync(this.fd);
    } catch (e) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // the file may be unusable; the caller stops journaling
      }
      throw e;
    }
    this.size += buf.length;
  }

  /**
   * Replaces the whole file with `records` (what is pending now), crash-safely: a temp file is written and fsynced,
   * renamed over the journal and the folder fsynced. A crash at any point leaves either the old or the new file.
   */
  rewrite(records: readonly JournalRecord[]): void {
    const tmp = `${this.path}.compact`;
    const lines = [{ t: 'target', target: this.target }, ...records].map((r) => `${JSON.stringify(r)}\n`);
    let size = 0;
    try {
      const fd = openSync(tmp, 'w');
      try {
        for (const line of lines) {
          const buf = Buffer.from(line);
          for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
          size += buf.length;
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (e) {
      // the journal itself is untouched (still open and appendable): only the copy failed
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
      throw e;
    }
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    closeSync(this.fd);
    this.fd = -1; // if reopening fails, close() must not close a descriptor number reused meanwhile
    this.fd = openSync(this.path, 'a');
    this.size = size;
  }

  /** Empties the file (call only when nothing is pending). */
  reset(): void {
    if (this.size === 0) return;
    ftruncateSync(this.fd, 0);
    this.size = 0;
  }

  get bytes(): number {
    return this.size;
  }

  /** False once a rewrite failed after replacing the file (the journal can no longer be appended to). */
  get usable(): boolean {
    return this.fd >= 0;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
