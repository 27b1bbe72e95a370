/**
 * Storage port over Upstash's REST API with @upstash/redis (Lambda, no VPC): `createUpstashStorage({url, token})`.
 *
 * The SDK's defaults are wrong for this pool, so every one that matters is set explicitly (docs/cloud.md, "Upstash REST"):
 * - `automaticDeserialization: false`: the default JSON.parses every string reply ("123" -> 123, "true" -> true),
 *   which breaks the port's contract (raw strings, integers as decimal strings written by the stratum's ioredis).
 * - `responseEncoding`: set explicitly (default here "base64", the safe mode for any bytes; `false` is supported and
 *   tested too) because the SDK's own default changes between releases.
 * - `enableTelemetry: false`, `enableAutoPipelining: false`: no telemetry headers, and each port call is exactly one
 *   HTTP request (`command` -> `POST /`, `pipeline` -> `POST /pipeline`, `multi` -> `POST /multi-exec`), so
 *   pipeline-vs-transaction semantics are ours, not the SDK's batching.
 * - retries: the SDK retries a request whose fetch failed, which can run a write twice (INCRBY, a payout step).
 *   `retry: {retries: 0}` sends every request once (note: `retry: false` still makes two attempts in 1.39.0).
 * - a timeout through a signal *factory*: with a plain AbortSignal the SDK turns an abort into a fake
 *   `{"result": "Aborted"}` reply; with a function it throws, which we report as E_STORAGE.
 * - `readYourWrites` stays on (default): a later read in the same invocation sees earlier writes on any replica.
 *
 * The SDK's Pipeline class has no raw-command method, so `pipeline`/`multi` post through the SDK's own requester
 * (same auth, encoding and base64 decoding) from a small subclass; single commands use the public `redis.exec`.
 * Replies are checked to be string | number | null | arrays of those; anything else is an E_STORAGE error.
 * Lua scripts go through the shared eval helper (shared/storage/eval.ts); an error carries the Redis message in
 * details.reply.
 */
import { Redis, type Requester } from '@upstash/redis';
import { ERRORS, PoolError, errorMessage } from '../errors.js';
import { createEvalScript } from './eval.js';
import type { Storage, StorageReply } from './port.js';

export interface UpstashStorageOptions {
  /** REST URL, e.g. https://eu1-xxx.upstash.io (http:// allowed for local bridges). */
  url: string;
  /** REST token (Bearer). */
  token: string;
  /** How the server encodes string replies. Default "base64". */
  responseEncoding?: 'base64' | false;
  /** Per-request timeout in ms. Default 10 000. */
  timeoutMs?: number;
}

/** @upstash/redis with access to its requester (a protected member) for raw pipeline and multi-exec posts. */
class RawUpstash extends Redis {
  requester(): Requester {
    return this.client;
  }
}

interface UpstashEntry {
  result?: unknown;
  error?: string;
}

export function createUpstashStorage(opts: UpstashStorageOptions): Storage {
  if (!/^https?:\/\//.test(opts.url)) {
    throw new PoolError(ERRORS.CONFIG_INVALID, 'Upstash REST URL must start with https:// (or http:// locally)', {
      url: opts.url,
    });
  }
  if (!opts.token) throw new PoolError(ERRORS.CONFIG_INVALID, 'Upstash REST token is empty');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const redis = new RawUpstash({
    url: opts.url,
    token: opts.token,
    automaticDeserialization: false,
    responseEncoding: opts.responseEncoding ?? 'base64',
    enableTelemetry: false,
    enableAutoPipelining: false,
    latencyLogging: false,
    retry: { retries: 0, backoff: () => 0 },
    signal: () => AbortSignal.timeout(timeoutMs),
  });
  const requester = redis.requester();
  let closed = false;

  function checkOpen(): void {
    if (closed) throw new PoolError(ERRORS.STORAGE, 'storage is closed');
  }

  async function command(args: readonly string[]): Promise<StorageReply> {
    checkOpen();
    if (args.length === 0) throw new PoolError(ERRORS.STORAGE, 'empty command');
    let reply: unknown;
    try {
      reply = await redis.exec<unknown>([args[0] ?? '', ...args.slice(1)]);
    } catch (e) {
      throw storageError(e, args);
    }
    return toReply(reply, args);
  }

  async function batch(path: 'pipeline' | 'multi-exec', cmds: readonly (readonly string[])[]): Promise<StorageReply[]> {
    checkOpen();
    if (cmds.length === 0) return [];
    for (const c of cmds) if (c.length === 0) throw new PoolError(ERRORS.STORAGE, 'empty command in batch');
    let entries: unknown;
    try {
      entries = await requester.request<unknown>({ path: [path], body: cmds.map((c) => [...c]) });
    } catch (e) {
      throw storageError(e, [path]);
    }
    if (!Array.isArray(entries) || entries.length !== cmds.length) {
      throw new PoolError(ERRORS.STORAGE, `${path}: expected ${cmds.length} replies`, {
        got: Array.isArray(entries) ? entries.length : typeof entries,
      });
    }
    const out: StorageReply[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as UpstashEntry;
      const cmd = cmds[i] ?? [];
      if (entry.error !== undefined && entry.error !== null) {
        throw new PoolError(ERRORS.STORAGE, `${path} command ${i + 1} (${cmd[0] ?? ''}) failed: ${entry.error}`, {
          command: cmd[0],
          index: i,
        });
      }
      out.push(toReply(entry.result, cmd));
    }
    return out;
  }

  return {
    command,
    pipeline: (cmds) => batch('pipeline', cmds),
    multi: (cmds) => batch('multi-exec', cmds),
    evalScript: createEvalScript(command),
    async close() {
      closed = true;
    },
  };
}

function storageError(e: unknown, args: readonly string[]): PoolError {
  // UpstashError messages end with ", command was: [...]" including the arguments; keep only the Redis message.
  const msg = errorMessage(e).replace(/, command was: .*$/s, '');
  return new PoolError(
    ERRORS.STORAGE,
    `${args[0] ?? 'command'}: ${msg}`,
    { command: args[0], reply: msg },
    { cause: e },
  );
}

function toReply(value: unknown, args: readonly string[]): StorageReply {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => toReply(v, args));
  throw new PoolError(ERRORS.STORAGE, `${args[0] ?? 'command'}: unexpected reply type ${typeof value}`, {
    command: args[0],
  });
}
