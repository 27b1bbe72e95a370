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
 * Replay rule (recorder.ts `replay`): records in file order rebuild the queue: batch/block append an op, `into`
 * merges into the op with that id (with the same merge function the recorder used), settle sets the block's submit,
 * drop turns the block op into its batch, ack removes the op. What is left is sent to Redis in that order, before
 * any new op, and every replayed op counts as already attempted (never merged into). A block whose verdict never
 * reached the journal (the node died while monerod was answering) is recorded "unconfirmed": the unlocker looks it up
 * by hash and credits or orphans it by the chain.
 *
 * Slots: several processes (stratum forks) can share a data folder; each claims a slot n, files `shares-<n>.journal`,
 * `shares-<n>.pid` (the owner: "pid boot-id start-ticks pid-namespace"; a slot whose owner is gone is free again, and its journal
 * is adopted and replayed by the next process that claims it; boot id and the process start time, from /proc on
 * Linux, keep a pid reused after a reboot or by another program from stranding the slot; an owner in another pid
 * namespace is judged by its heartbeat, the pid file's mtime touched every 10 s) and `shares-<n>.node` (the node id
 * the slot last used, reused when Redis is unreachable at start).
 *
 * Data model: JournalRecord below; payloads are scripts.ts's BatchPayload/BlockPayload.
 */
import {
  closeSync,
  existsSync,
  linkSync,
  readlinkSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
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

export interface JournalSlot {
  readonly journalPath: string;
  /** The node id this slot used last (null: never recorded). */
  readonly lastNodeId: number | null;
  rememberNodeId(id: number): void;
  release(): void;
}

/** This machine's boot id (Linux), or "" where there is none. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** A process's start time in clock ticks since boot (Linux /proc/PID/stat field 22), or "" where unknown. */
function startTicks(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after its closing ")"
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/** This process's pid namespace (Linux: the inode behind /proc/self/ns/pid), or "" where unknown. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

/** What a slot's pid file holds for this process: "pid boot-id start-ticks pid-namespace". */
function ownerLine(): string {
  return `${process.pid} ${bootId() || '-'} ${startTicks(process.pid) || '-'} ${pidNamespace() || '-'}`;
}

/** How often a slot's owner touches its pid file (its heartbeat, read across pid namespaces). */
const HEARTBEAT_MS = 10_000;
/** A pid file from another pid namespace whose heartbeat is older than this is an owner that is gone. */
const HEARTBEAT_STALE_MS = 35_000;
/** An empty owner file younger than this is a claim being written (filesystems without hard links). */
const EMPTY_GRACE_MS = 5_000;

/** An owner file's content and age, or null when it does not exist. */
function readOwner(path: string): { line: string; ageMs: number } | null {
  try {
    const line = readFileSync(path, 'utf8');
    return { line, ageMs: Date.now() - statSync(path).mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Whether the owner named by an owner file is still running: same boot, a process with that pid, and (where /proc
 * tells) the same start time, so a pid reused after a reboot or by another program does not hold the slot. An owner
 * in another pid namespace (a container sharing the folder) cannot be looked up: it is alive while its heartbeat
 * (the file's mtime, touched every HEARTBEAT_MS) is fresh, so a container restarted with the same volume adopts the
 * old container's journal once it is stale, and two live containers never share one.
 */
function ownerAlive(owner: { line: string; ageMs: number }): boolean {
  if (owner.line.trim() === '') return owner.ageMs < EMPTY_GRACE_MS;
  const [pidText, boot = '-', ticks = '-', ns = '-'] = owner.line.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (boot !== '-' && bootId() !== '' && boot !== bootId()) return false;
  if (ns !== '-' && pidNamespace() !== '' && ns !== pidNamespace()) return owner.ageMs < HEARTBEAT_STALE_MS;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTicks(pid);
  return ticks === '-' || now === '' || now === ticks;
}

/**
 * Creates `path` holding `content` only if it does not exist (false if it does). The content is in place the moment
 * the name appears (written to a temp file, then hard-linked), so no reader ever sees an empty owner file.
 */
function createWith(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`; // pids repeat across containers
  writeFileSync(tmp, content, { flush: true });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // a filesystem without hard links: exclusive create, then write (a reader may briefly see it empty)
    try {
      writeFileSync(path, content, { flag: 'wx', flush: true });
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

/** Removes `path` if it still holds `content` (never someone else's newer file). */
function removeIfHolds(path: string, content: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === content.trim()) unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Claims the first free journal slot in `dir` for this process (see the module comment). Claims are serialized by
 * `shares.lock` (held for the few milliseconds of the scan; a lock whose owner died is broken), so two forks starting
 * together never both adopt the same dead owner's slot.
 */
export function claimJournalSlot(dir: string): JournalSlot {
  mkdirSync(dir, { recursive: true });
  const me = ownerLine();
  const lock = join(dir, 'shares.lock');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; !createWith(lock, me); waited += 10) {
    const holder = readOwner(lock);
    if (holder === null) continue; // released meanwhile
    if (!ownerAlive(holder)) removeIfHolds(lock, holder.line);
    else if (waited > 10_000)
      throw new PoolError(ERRORS.SERVICE_START, `share journal slots in ${dir} stay locked`, {
        dir,
        holder: holder.line,
      });
    else Atomics.wait(pause, 0, 0, 10);
  }
  try {
    for (let n = 0; n < 1024; n++) {
      const pidPath = join(dir, `shares-${n}.pid`);
      if (createWith(pidPath, me)) return slot(dir, n, pidPath, me);
      const owner = readOwner(pidPath); // null: its owner released it meanwhile
      if (owner !== null && (owner.line.trim() === me || ownerAlive(owner))) continue;
      if (owner !== null) removeIfHolds(pidPath, owner.line); // a dead owner's slot: free it, adopt its journal
      if (createWith(pidPath, me)) return slot(dir, n, pidPath, me);
    }
  } finally {
    removeIfHolds(lock, me);
  }
  throw new PoolError(ERRORS.SERVICE_START, `no free share journal slot in ${dir}`, { dir });
}

function slot(dir: string, n: number, pidPath: string, me: string): JournalSlot {
  const nodePath = join(dir, `shares-${n}.node`);
  const stored = existsSync(nodePath) ? Number(readFileSync(nodePath, 'utf8').trim()) : NaN;
  const heartbeat = setInterval(() => {
    try {
      const t = new Date();
      utimesSync(pidPath, t, t);
    } catch {
      // the file is gone (released, or removed by hand): nothing to keep fresh
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    journalPath: join(dir, `shares-${n}.journal`),
    lastNodeId: Number.isSafeInteger(stored) && stored >= 0 ? stored : null,
    rememberNodeId(id) {
      writeFileSync(nodePath, String(id));
    },
    release() {
      clearInterval(heartbeat);
      removeIfHolds(pidPath, me);
    },
  };
}
