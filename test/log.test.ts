import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, fileLevels, flushLogs, silentLogger, type LoggingOptions } from '../shared/log.js';

function opts(directory: string, level: LoggingOptions['files']['level'], flushInterval = 3600): LoggingOptions {
  return { files: { level, directory, flushInterval }, console: { level: 'silent', colors: false } };
}

function messages(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

describe('createLogger', () => {
  it('writes one file per level, each holding that level and above, after a flush', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pool-log-')), 'logs');
    const log = createLogger(opts(dir, 'info'), 'pool');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    // buffered: nothing reached the files yet
    expect(readFileSync(join(dir, 'pool_info.log'), 'utf8')).toBe('');
    await flushLogs();
    expect(messages(join(dir, 'pool_error.log'))).toEqual(['e']);
    log.fatal('f'); // pino flushes synchronously on fatal
    expect(messages(join(dir, 'pool_error.log'))).toEqual(['e', 'f']);
    expect(messages(join(dir, 'pool_info.log'))).toEqual(['i', 'w', 'e', 'f']);
    expect(messages(join(dir, 'pool_warn.log'))).toEqual(['w', 'e', 'f']);
    expect(messages(join(dir, 'pool_error.log'))).toEqual(['e', 'f']);
    expect(existsSync(join(dir, 'pool_debug.log'))).toBe(false);
    const line = JSON.parse(readFileSync(join(dir, 'pool_error.log'), 'utf8').split('\n')[0]!) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({ level: 50, name: 'pool', msg: 'e' });
    expect(typeof line['time']).toBe('string');
  });

  it('adds lower levels, redacts secrets, shares files between loggers of one name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pool-log-'));
    const a = createLogger(opts(dir, 'debug'), 'api');
    const b = createLogger(opts(dir, 'debug'), 'api');
    a.debug({ wallet: { password: 'hunter2' } }, 'cfg');
    b.warn('second');
    await flushLogs();
    expect(messages(join(dir, 'api_debug.log'))).toEqual(['cfg', 'second']);
    expect(readFileSync(join(dir, 'api_debug.log'), 'utf8')).not.toContain('hunter2');
    expect(messages(join(dir, 'api_warn.log'))).toEqual(['second']);
  });

  it('flushes on its own every flushInterval seconds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pool-log-'));
    createLogger(opts(dir, 'warn', 0.05), 'timer').warn('tick');
    await new Promise((r) => setTimeout(r, 300));
    expect(messages(join(dir, 'timer_warn.log'))).toEqual(['tick']);
  });

  it('flushes on process exit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pool-log-'));
    const script = join(dir, 'child.ts');
    const logModule = join(import.meta.dirname, '..', 'shared', 'log.ts');
    writeFileSync(
      script,
      `import { createLogger } from ${JSON.stringify(logModule)};\n` +
        `const log = createLogger(${JSON.stringify(opts(dir, 'info'))}, 'child');\n` +
        `log.error('bye');\nprocess.exit(0);\n`,
    );
    execFileSync(process.execPath, ['--import', 'tsx', script], {
      cwd: join(import.meta.dirname, '..'),
      stdio: 'pipe',
    });
    expect(messages(join(dir, 'child_error.log'))).toEqual(['bye']);
  });

  it('"silent" files write nothing; fileLevels follows the seed', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pool-log-')), 'none');
    createLogger(opts(dir, 'silent'), 'x').error('nothing');
    expect(existsSync(dir)).toBe(false);
    expect(fileLevels('trace')).toEqual(['trace', 'info', 'warn', 'error']);
    expect(fileLevels('warn')).toEqual(['warn', 'error']);
    expect(fileLevels('fatal')).toEqual(['fatal']);
    expect(fileLevels('silent')).toEqual([]);
  });

  it('console-only and silent loggers', () => {
    const log = createLogger(
      { files: { level: 'silent', directory: 'unused', flushInterval: 1 }, console: { level: 'warn', colors: true } },
      'c',
    );
    expect(log.level).toBe('warn');
    expect(silentLogger().level).toBe('silent');
  });
});
