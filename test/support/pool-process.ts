/**
 * `pool start` as a real child process (bin/pool.mjs), the way an operator runs it: stdout and stderr collected for
 * failure messages, a stop by signal that waits for the exit, a kill -9 for fault tests.
 *
 * Data model: PoolProcess {proc, output()}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export interface PoolProcess {
  readonly proc: ChildProcess;
  /** Everything the process printed so far (stdout and stderr interleaved). */
  output(): string;
}

/** Starts `node bin/pool.mjs <args...>` in the repository root. */
export function startPoolProcess(args: readonly string[]): PoolProcess {
  let out = '';
  const proc = spawn(process.execPath, ['bin/pool.mjs', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

/**
 * Sends `signal` (SIGINT: a clean stop) and resolves with the exit code once the process is gone; a process still
 * running after `killAfterMs` gets SIGKILL. An already exited process resolves at once.
 */
export async function stopPoolProcess(
  p: PoolProcess | undefined,
  signal: NodeJS.Signals = 'SIGINT',
  killAfterMs = 30_000,
): Promise<number | null> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return p?.proc.exitCode ?? null;
  const exited = new Promise<number | null>((r) => p.proc.once('exit', (code) => r(code)));
  p.proc.kill(signal);
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), killAfterMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
