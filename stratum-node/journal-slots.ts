/**
 * Share journal slots: several processes (stratum forks, or containers sharing a volume) can use one data folder;
 * each claims a slot n, files `shares-<n>.journal` (journal.ts), `shares-<n>.pid` and `shares-<n>.node`.
 *
 * Data model:
 * - `shares-<n>.pid`, the owner: "pid boot-id start-ticks pid-namespace". A slot whose owner is gone is free again,
 *   and its journal is adopted and replayed by the next process that claims it. Boot id and the process start time
 *   (from /proc on Linux) keep a pid reused after a reboot or by another program from stranding the slot; an owner in
 *   another pid namespace is judged by its heartbeat, the pid file's mtime touched every 10 s.
 * - `shares.lock` (same format) serializes claims; a lock whose owner is gone is broken.
 * - `shares-<n>.node`: the node id the slot last used, reused when Redis is unreachable at start.
 * Owner files are created by hard link from a temp file, so a reader never sees one empty.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ERRORS, PoolError } from '../shared/errors.js';

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
