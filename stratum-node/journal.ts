/**
 * The share recorder's write-ahead journal: what Redis has not yet taken, on local disk, so a node killed during a
 * Redis outage loses nothing. One append-only file per stratum process in `poolServer.dataDir`.
 *
 * File format (UTF-8, one JSON record per line, "\n"-terminated, appended with O_APPEND):
 *   {"t":"target","target":T}                            first line: the Redis endpoint and prefix the records are for
 *   {"t":"batch","id":ID,"p":BatchPayload}               a share batch, in the order it was cut
 *   {"t":"batch","id":ID,"into":TAIL,"p":BatchPayload}   a batch merged into the still unsent batch TAIL (same round)
 *   {"t":"block","id":ID,"b":BlockPayload,"p":BatchPayload}   a found block with the shares pending before it
 *   {"t":"ack","id":ID}                                  Redis took op ID (a merged batch is acked under TAIL's id)
 * `batch` and `block` records are fsynced before the recorder first sends them; acks are not (replay is idempotent:
 * a batch applies once per id through flushed(id), a block once through EXISTS block(hash)). When nothing is pending
 * the file is truncated to empty. A torn last line (a crash mid-write) is dropped when the file is opened.
 * A journal written for another target (the operator pointed the node at another Redis or coin) is never replayed
 * into this one: it is renamed aside to `<file>.<unix ms>.other-target` and reported by the caller.
 *
 * Replay rule (`readJournal`): records in file order rebuild the queue: batch/block append an op, `into` merges into
 * the op with that id (with the same merge function the recorder used), ack removes the op. What is left is sent to
 * Redis in that order, before any new op, and every replayed op counts as already attempted (never merged into).
 *
 * Slots: several processes (stratum forks) can share a data folder; each claims a slot n, files `shares-<n>.journal`,
 * `shares-<n>.pid` (the owner's pid; a slot whose pid is no longer alive is free again, and its journal is adopted
 * and replayed by the next process that claims it) and `shares-<n>.node` (the node id the slot last used, reused when
 * Redis is unreachable at start).
 *
 * Data model: JournalRecord below; payloads are scripts.ts's BatchPayload/BlockPayload.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ERRORS, PoolError } from '../shared/errors.js';
import type { BatchPayload, BlockPayload } from './scripts.js';

export type JournalRecord =
  | { t: 'target'; target: string }
  | { t: 'batch'; id: string; into?: string; p: BatchPayload }
  | { t: 'block'; id: string; b: BlockPayload; p: BatchPayload }
  | { t: 'ack'; id: string };

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
   * Opens (creating) the journal for `target` and returns it with the records it already holds (a torn tail is cut
   * off). `setAside` names the file a journal of another target was moved to (its records are not returned).
   */
  static open(
    path: string,
    target: string,
  ): { journal: ShareJournal; records: JournalRecord[]; setAside: string | null } {
    let setAside: string | null = null;
    let text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const first = text.slice(0, text.indexOf('\n') + 1);
    if (first !== '') {
      let header: JournalRecord | null;
      try {
        header = JSON.parse(first) as JournalRecord;
      } catch {
        header = null;
      }
      if (header?.t !== 'target' || header.target !== target) {
        setAside = `${path}.${Date.now()}.other-target`;
        renameSync(path, setAside);
        text = '';
      }
    }
    const end = text.lastIndexOf('\n') + 1;
    const records: JournalRecord[] = [];
    for (const line of text.slice(0, end).split('\n')) {
      if (line === '') continue;
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch (e) {
        throw new PoolError(
          ERRORS.STORAGE,
          `share journal ${path}: unreadable record`,
          { path, line: line.slice(0, 200) },
          { cause: e },
        );
      }
    }
    const fd = openSync(path, 'a');
    if (end !== Buffer.byteLength(text)) {
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
      fsyncSync(fd);
    }
    return {
      journal: new ShareJournal(path, target, fd, Buffer.byteLength(text.slice(0, end))),
      records: records.filter((r) => r.t !== 'target'),
      setAside,
    };
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

  /** Empties the file (call only when nothing is pending). */
  reset(): void {
    if (this.size === 0) return;
    ftruncateSync(this.fd, 0);
    this.size = 0;
  }

  get bytes(): number {
    return this.size;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

export interface JournalSlot {
  readonly journalPath: string;
  /** The node id this slot used last (null: never recorded). */
  readonly lastNodeId: number | null;
  rememberNodeId(id: number): void;
  release(): void;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims the first free journal slot in `dir` for this process (see the module comment). */
export function claimJournalSlot(dir: string): JournalSlot {
  mkdirSync(dir, { recursive: true });
  for (let n = 0; n < 1024; n++) {
    const pidPath = join(dir, `shares-${n}.pid`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(pidPath, 'wx');
        writeSync(fd, String(process.pid));
        fsyncSync(fd);
        closeSync(fd);
        return slot(dir, n, pidPath);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = Number(readFileSync(pidPath, 'utf8').trim());
        if (owner === process.pid || alive(owner)) break;
        try {
          unlinkSync(pidPath); // a dead owner's slot: free it and try to take it
        } catch {
          // another process freed it first
        }
      }
    }
  }
  throw new PoolError(ERRORS.SERVICE_START, `no free share journal slot in ${dir}`, { dir });
}

function slot(dir: string, n: number, pidPath: string): JournalSlot {
  const nodePath = join(dir, `shares-${n}.node`);
  const stored = existsSync(nodePath) ? Number(readFileSync(nodePath, 'utf8').trim()) : NaN;
  return {
    journalPath: join(dir, `shares-${n}.journal`),
    lastNodeId: Number.isSafeInteger(stored) && stored >= 0 ? stored : null,
    rememberNodeId(id) {
      writeFileSync(nodePath, String(id));
    },
    release() {
      try {
        if (Number(readFileSync(pidPath, 'utf8').trim()) === process.pid) unlinkSync(pidPath);
      } catch {
        // already gone
      }
    },
  };
}
