/**
 * A quiet, readable console. `pool start` without a config (what `npm start` runs after its prestart check) brings
 * up the embedded devnet in a fresh folder and every module on it; from its first line to its exit after Ctrl-C,
 * every line it prints is one pino-pretty record `[yyyy-mm-dd HH:MM:ss] LEVEL (name): message {fields}`; the
 * stats snapshot never reaches the console at info. And errors logged as `{ err }` keep their stack, code and
 * details on the console and in the files (shared/log.ts serializers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const RECORD = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) \([a-z-]+\): \S/;

/** Output lines that are not one record each; an indented line may only continue a WARN/ERROR/FATAL (its err). */
function offFormat(text: string): string[] {
  const bad: string[] = [];
  let lastLevel = '';
  for (const line of text.replace(ANSI, '').split('\n')) {
    if (line === '') continue;
    const m = RECORD.exec(line);
    if (m) {
      lastLevel = m[1] ?? '';
      continue;
    }
    if (/^\s{4}/.test(line) && ['WARN', 'ERROR', 'FATAL'].includes(lastLevel)) continue;
    bad.push(line);
  }
  return bad;
}

const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function run(
  args: string[],
  cwd: string,
): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, FORCE_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, output: () => out, exited };
}

async function until(what: string, cond: () => boolean, exited: Promise<unknown>, output: () => string): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  while (!cond()) {
    if (done) throw new Error(`exited before ${what}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('console format', () => {
  it('an { err } keeps its stack, code and details: indented under its record on the console, whole in the file', async () => {
    const dir = tempDir('pool-console-err-');
    const script = join(dir, 'log-err.mts');
    writeFileSync(
      script,
      [
        `import { createLogger, flushLogs } from ${JSON.stringify(join(ROOT, 'shared/log.ts'))};`,
        `import { PoolError, ERRORS } from ${JSON.stringify(join(ROOT, 'shared/errors.ts'))};`,
        `const log = createLogger({ files: { level: 'info', directory: ${JSON.stringify(join(dir, 'logs'))}, flushInterval: 1 }, console: { level: 'info', colors: true } }, 'demo');`,
        `log.info({ port: 3333 }, 'listening');`,
        `log.error({ err: new PoolError(ERRORS.STORAGE, 'redis went away', { host: 'h' }) }, 'run failed');`,
        `await flushLogs();`,
      ].join('\n'),
    );
    const r = run([join(ROOT, 'bin/run-ts.mjs'), script], ROOT);
    expect(await r.exited).toBe(0);
    const text = r.output().replace(ANSI, '');
    expect(offFormat(text)).toEqual([]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/INFO \(demo\): listening \{"port":3333\}$/);
    expect(lines[1]).toMatch(/ERROR \(demo\): run failed/);
    expect(text).toMatch(/^\s+at .*log-err\.mts/m); // the stack, indented
    expect(text).toContain('E_STORAGE');

    const rec = JSON.parse(readFileSync(join(dir, 'logs', 'demo_error.log'), 'utf8').trim()) as {
      err: { type: string; message: string; stack: string; code: string; details: unknown };
    };
    expect(rec.err).toMatchObject({
      type: 'PoolError',
      message: 'redis went away',
      code: 'E_STORAGE',
      details: { host: 'h' },
    });
    expect(rec.err.stack).toMatch(/\n\s+at .*log-err\.mts/);
  });

  it('`pool start` on the devnet prints one record format from its first line to its exit after Ctrl-C', async () => {
    const cwd = tempDir('pool-console-start-');
    const r = run([join(ROOT, 'bin/pool.mjs'), 'start'], cwd);
    // up (devnet bootstrapped, modules running, banner printed), and one stats run summarized
    await until('the banner', () => r.output().includes('pool running on the devnet'), r.exited, r.output);
    await until('a stats summary', () => r.output().includes('stats: snapshot written'), r.exited, r.output);
    r.proc.kill('SIGINT');
    expect(await r.exited).toBe(0);

    const text = r.output().replace(ANSI, '');
    expect(text.length).toBeGreaterThan(0);
    expect(offFormat(text)).toEqual([]);
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(RECORD);
    expect(lines.some((l) => /INFO \(devnet\): mine with: xmrig -o 127\.0\.0\.1:3333 /.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/INFO \(devnet\): devnet: stopped$/);
    // the snapshot itself is debug-only: the info summary carries counts, not the block and payment lists
    for (const l of lines.filter((x) => x.includes('stats: snapshot written'))) {
      expect(l).not.toMatch(/"blocks"|"payments"|"network"/);
    }
    expect(lines.filter((l) => /\(stats\): stats: snapshot written/.test(l)).length).toBeGreaterThanOrEqual(1);
  }, 900_000);
});
