/**
 * Managed child processes for local services (redis-server, monerod, monero-wallet-rpc), shared by the tests and the
 * devnet.
 *
 * - stdout/stderr go to `<dir>/<name>.stdout.log` (the parent keeps no fd open after spawn).
 * - Children die with the parent: they are started through `setpriv --pdeathsig TERM` when available (the kernel
 *   sends SIGTERM if the parent dies, even by SIGKILL), every live child is SIGKILLed on process 'exit', and on
 *   SIGINT/SIGTERM/SIGHUP that nobody else handles they get SIGTERM before the signal is re-raised (default exit).
 *   When the application handles the signal itself (a graceful stop), the children are left to it.
 * - `stop()` sends SIGTERM, waits for the exit (SIGKILL after a timeout) and removes a temp dir the launcher created;
 *   `kill9()` is for fault tests (keeps the dir). Both are idempotent.
 * - A start failure is PoolError SERVICE_START with the last lines of the service's logs.
 *
 * Data model: process-wide sets of live children and of temp dirs still to remove (also removed on 'exit').
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERRORS, PoolError } from '../errors.js';

const live = new Set<ChildProcess>();
/** Temp dirs created by launchers and not yet removed: removed on 'exit' if a test forgot stop(). */
const ownedDirs = new Set<string>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const d of ownedDirs) {
      try {
        rmSync(d, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        // best effort
      }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      // someone else handles the signal (e.g. the CLI's graceful stop): leave the children to it; 'exit' and
      // pdeathsig still catch anything left behind
      if (process.listenerCount(sig) > 1) return;
      for (const c of live) {
        try {
          c.kill('SIGTERM');
        } catch {
          // already gone
        }
      }
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = existsSync(SETPRIV);

/** Number of live children started by this process (for leak checks). */
export function liveServiceCount(): number {
  return live.size;
}

/** Reads the last `maxLines` lines (from the last 16 KiB) of a file; "" when missing. */
export function tailFile(path: string, maxLines = 25): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, 16_384);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-maxLines).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function removeOwnedDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  ownedDirs.delete(dir);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A folder for a service: `dir` as given (created if missing, never removed) or a new temp dir (removed by stop). */
export function serviceDir(name: string, dir?: string): { dir: string; owned: boolean } {
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
    return { dir, owned: false };
  }
  installHandlers();
  const created = mkdtempSync(join(tmpdir(), `pool-${name}-`));
  ownedDirs.add(created);
  return { dir: created, owned: true };
}

export interface ManagedProcess {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly dir: string;
  /** Log files searched by logTail(), stdout capture first. */
  readonly logFiles: readonly string[];
  /** Resolves with the exit code (or signal name) when the process has exited. */
  readonly exited: Promise<number | string>;
  readonly hasExited: boolean;
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  kill9(): Promise<void>;
  logTail(lines?: number): string;
}

export interface SpawnServiceOptions {
  name: string;
  command: string;
  args: readonly string[];
  dir: string;
  /** Remove `dir` on stop(). */
  ownsDir: boolean;
  /** Extra log files the service writes itself (e.g. monerod's --log-file). */
  serviceLogs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Grace period after SIGTERM before SIGKILL (default 20 s). */
  stopTimeoutMs?: number;
}

export function spawnService(opts: SpawnServiceOptions): ManagedProcess {
  installHandlers();
  const stdoutLog = join(opts.dir, `${opts.name}.stdout.log`);
  const fd = openSync(stdoutLog, 'a');
  let child: ChildProcess;
  try {
    const [cmd, args] = hasSetpriv
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', opts.command, ...opts.args]]
      : [opts.command, [...opts.args]];
    child = spawn(cmd, args, {
      cwd: opts.dir,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      detached: false,
    });
  } finally {
    closeSync(fd);
  }
  live.add(child);
  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      exitedFlag = true;
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    };
    child.once('exit', done);
    child.once('error', () => {
      // spawn failure (ENOENT...): 'exit' may never come
      if (child.pid === undefined) done(null, null);
    });
  });
  const logFiles = [stdoutLog, ...(opts.serviceLogs ?? [])];
  let stopping: Promise<void> | undefined;

  const waitExit = async (ms: number): Promise<boolean> => {
    if (exitedFlag) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), ms);
    });
    const ok = await Promise.race([exited.then(() => true as const), timeout]);
    if (timer) clearTimeout(timer);
    return ok;
  };

  const handle: ManagedProcess = {
    name: opts.name,
    process: child,
    pid: child.pid ?? -1,
    dir: opts.dir,
    logFiles,
    exited,
    get hasExited() {
      return exitedFlag;
    },
    stop(o) {
      stopping ??= (async () => {
        if (!exitedFlag) {
          child.kill('SIGTERM');
          if (!(await waitExit(o?.timeoutMs ?? opts.stopTimeoutMs ?? 20_000))) {
            child.kill('SIGKILL');
            await exited;
          }
        }
        if (opts.ownsDir) removeOwnedDir(opts.dir);
      })();
      return stopping;
    },
    async kill9() {
      if (!exitedFlag) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    logTail(lines = 25) {
      return logFiles
        .map((f) => {
          const t = tailFile(f, lines);
          return t ? `--- ${f}\n${t}` : '';
        })
        .filter(Boolean)
        .join('\n');
    },
  };
  return handle;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it resolves true. Fails (after killing the process; its dir is left for the caller) with
 * SERVICE_START and the log tail when the process exits first or the deadline passes.
 */
export async function waitReady(proc: ManagedProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc.hasExited) break;
    try {
      if (await probe()) return;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    await sleep(100);
  }
  const exitedEarly = proc.hasExited;
  const exitCode = exitedEarly ? await proc.exited : undefined;
  await proc.kill9();
  const tail = proc.logTail();
  throw new PoolError(
    ERRORS.SERVICE_START,
    `${proc.name} did not start: ${exitedEarly ? `exited (${String(exitCode)})` : `not ready after ${timeoutMs} ms`}` +
      `${lastError ? ` (last probe error: ${lastError})` : ''}\n${tail}`,
    { service: proc.name, exitedEarly, exitCode, logTail: tail },
  );
}

/**
 * Runs `attempt` up to 3 times while it fails with a service that exited early and the ports were chosen by us
 * (another process may have taken a port between the check and the bind). Removes an owned dir on final failure.
 */
export async function retryStart<T>(
  opts: { dir: string; ownsDir: boolean; autoPorts: boolean },
  attempt: () => Promise<T>,
): Promise<T> {
  const attempts = opts.autoPorts ? 3 : 1;
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      const early = e instanceof PoolError && e.code === ERRORS.SERVICE_START && e.details?.['exitedEarly'] === true;
      if (i >= attempts || !early) {
        if (opts.ownsDir) removeOwnedDir(opts.dir);
        throw e;
      }
    }
  }
}
