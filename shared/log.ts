/**
 * Logging (pino), configured by the seed's `logging` block.
 * - Console: JSON lines on stdout at logging.console.level; when console.colors, pino-pretty instead, one record per
 *   line (`[yyyy-mm-dd HH:MM:ss] LEVEL (name): msg {"field":...}`, coloured), an `err` stack on indented lines below.
 * - Errors are logged as `{ err }` (the Error itself): the err serializer keeps its type, message, stack, code,
 *   details and cause, in the files and on the console.
 * - Files: like the seed, one file per level in logging.files.directory: `<name>_<level>.log` for files.level and
 *   each seed level above it (info, warn, error). Each file holds its level and everything more severe (fatal lands
 *   in the error file). Lines are pino JSON. Writes are buffered (sync:false, minLength) and flushed every
 *   files.flushInterval seconds by one unref'd timer, on flushLogs(), and synchronously on process exit.
 * - Level "silent" turns a sink off (e.g. files.level "silent" on Lambda).
 *
 * Data model: open file destinations are cached by path (one fd per file per process, shared by loggers).
 */
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type DestinationStream, type Level, type Logger, type StreamEntry } from 'pino';
import pretty from 'pino-pretty';
import type { LoggingConfig } from './config/schema.js';

export type { Logger } from 'pino';

/**
 * The logger surface the back-office functions need (a pino Logger satisfies it). Errors go in as `{ err }` (the
 * Error itself, not its message) so the `err` serializer keeps type, message, code, details and stack.
 */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

type LogLevel = Level | 'silent';
type FileDestination = ReturnType<typeof pino.destination>;

/** The shape createLogger needs (LoggingConfig, the validated config.logging, fits). */
export type LoggingOptions = {
  files: Pick<LoggingConfig['files'], 'directory' | 'flushInterval'> & { level: LogLevel };
  console: Pick<LoggingConfig['console'], 'colors'> & { level: LogLevel };
};

const RANK: Record<Level, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const SEED_FILE_LEVELS: readonly Level[] = ['info', 'warn', 'error'];
/** Bytes buffered before a write is issued between timer flushes. */
const FILE_BUFFER_BYTES = 4096;
const REDACT = ['password', 'auth', '*.password', '*.auth', '*.*.password', '*.*.auth'];
/** `err` (the one key errors are logged under) keeps type, message, stack, code, details and cause. */
const SERIALIZERS = { err: pino.stdSerializers.err };

const files = new Map<string, FileDestination>();
let flushTimer: NodeJS.Timeout | undefined;
let flushEveryMs = Infinity;
let exitHooked = false;

/** The file levels written for a files.level: that level, then each seed level above it. */
export function fileLevels(level: LogLevel): Level[] {
  if (level === 'silent') return [];
  return [level, ...SEED_FILE_LEVELS.filter((l) => RANK[l] > RANK[level])];
}

function flushAllSync(): void {
  for (const d of files.values()) {
    try {
      d.flushSync();
    } catch {
      // exiting: nothing more can be done for a file that cannot be written
    }
  }
}

function scheduleFlush(seconds: number): void {
  const ms = Math.max(10, Math.round(seconds * 1000));
  if (ms >= flushEveryMs) return;
  if (flushTimer !== undefined) clearInterval(flushTimer);
  flushEveryMs = ms;
  flushTimer = setInterval(() => {
    for (const d of files.values()) d.flush();
  }, ms);
  flushTimer.unref();
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', flushAllSync);
  }
}

function fileDestination(path: string): FileDestination {
  let d = files.get(path);
  if (d === undefined) {
    // open synchronously so a bad directory fails at start-up with a readable error, not later in an event
    const fd = openSync(path, 'a');
    d = pino.destination({ dest: fd, sync: false, minLength: FILE_BUFFER_BYTES });
    let reported = false;
    d.on('error', (err: Error) => {
      if (!reported) process.stderr.write(`log file ${path}: ${err.message}\n`);
      reported = true;
    });
    files.set(path, d);
  }
  return d;
}

function consoleStream(colors: boolean): DestinationStream {
  if (colors) {
    // one record per line: `[time] LEVEL (name): msg {fields}`; only an `err` stack continues on indented lines
    return pretty({
      colorize: true,
      singleLine: true,
      sync: true,
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss',
      ignore: 'pid,hostname',
    });
  }
  return pino.destination({ dest: 1, sync: true });
}

/** A pino logger named `name` writing to the console and per-level files as `logging` says. */
export function createLogger(logging: LoggingOptions, name: string): Logger {
  const streams: StreamEntry<Level>[] = [];
  if (logging.console.level !== 'silent') {
    streams.push({ level: logging.console.level, stream: consoleStream(logging.console.colors) });
  }
  const levels = fileLevels(logging.files.level);
  if (levels.length > 0) {
    mkdirSync(logging.files.directory, { recursive: true });
    for (const level of levels) {
      streams.push({ level, stream: fileDestination(join(logging.files.directory, `${name}_${level}.log`)) });
    }
    scheduleFlush(logging.files.flushInterval);
  }
  const lowest = streams.reduce<LogLevel>(
    (low, s) => (low === 'silent' || RANK[s.level as Level] < RANK[low] ? (s.level as Level) : low),
    'silent',
  );
  const options = {
    name,
    level: lowest,
    redact: REDACT,
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: SERIALIZERS,
  };
  return streams.length === 0 ? pino(options) : pino(options, pino.multistream(streams));
}

/** Write every buffered log file line now; resolves when the data reached the files. */
export async function flushLogs(): Promise<void> {
  await Promise.all(
    [...files.values()].map(
      (d) =>
        new Promise<void>((resolve) => {
          try {
            d.flush(() => resolve());
          } catch {
            resolve();
          }
        }),
    ),
  );
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Console-only logger for code that runs before the config is loaded (JSON lines, info and above). */
export const logger: Logger = pino({
  name: 'pool',
  level: 'info',
  timestamp: pino.stdTimeFunctions.isoTime,
  serializers: SERIALIZERS,
});
