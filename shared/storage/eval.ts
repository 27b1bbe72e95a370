/**
 * The one way a Lua script reaches Redis: `createEvalScript(send)` builds the Storage port's `evalScript` for an
 * adapter (ioredis and Upstash both use it) from the adapter's single-command sender.
 *
 * Rules it enforces (docs/redis.md, "Scripts and slots"):
 * - A script names every key it touches in KEYS. A call with zero keys is refused before anything is sent (Redis
 *   Cluster and ElastiCache Serverless refuse keyless scripts, and cannot route them to the pool's slot), and so is
 *   a call whose keys do not all carry one and the same non-empty hash tag (they would not share a slot).
 * - EVALSHA first (the SHA1 of the script, computed once per script text); a NOSCRIPT reply (a new server, a
 *   failover, SCRIPT FLUSH, another cluster node) falls back to EVAL, which also caches the script there.
 * - Retries only replies that prove the script did NOT run: MOVED, ASK (the slot lives elsewhere: the server
 *   redirects before executing), TRYAGAIN (a slot migration in progress), CLUSTERDOWN (the cluster refuses commands)
 *   and LOADING (the server is loading its data set). Each is an error reply sent instead of executing the command,
 *   so sending the script again can never apply it twice. A connection error or a timeout is NOT retried here: the
 *   script may have run and only its reply been lost; the caller decides (the share recorder resends its batch
 *   because the script itself is idempotent per batch id).
 * - Any other error reply (a script error, WRONGTYPE, NOSCRIPT after EVAL) is thrown as the adapter threw it
 *   (PoolError E_STORAGE).
 *
 * Data model: a per-helper cache script text -> SHA1 (hex).
 */
import { createHash } from 'node:crypto';
import { ERRORS, PoolError } from '../errors.js';
import { hashTag } from '../redis/keys.js';
import type { StorageReply } from './port.js';

/** Sends one command (name first) and returns its decoded reply; throws PoolError E_STORAGE on an error reply. */
export type SendCommand = (args: readonly string[]) => Promise<StorageReply>;

/** The Storage port's evalScript signature. */
export type EvalScript = (script: string, keys: readonly string[], args: readonly string[]) => Promise<StorageReply>;

export interface EvalScriptOptions {
  /** Attempts for a not-executed reply (MOVED/ASK/TRYAGAIN/CLUSTERDOWN/LOADING), first one included. Default 5. */
  maxAttempts?: number;
  /** Pause before attempt n+1 (n >= 1). Default 100 ms x n. */
  retryDelayMs?: (attempt: number) => number;
}

/** SHA1 hex of a script, as EVALSHA and SCRIPT LOAD name it. */
export function scriptSha(script: string): string {
  return createHash('sha1').update(script).digest('hex');
}

/**
 * Throws E_STORAGE unless `keys` is non-empty and every key carries the same non-empty hash tag (one cluster slot).
 */
export function checkScriptKeys(keys: readonly string[]): void {
  if (keys.length === 0) {
    throw new PoolError(
      ERRORS.STORAGE,
      'refused to send a Lua script with no keys: every key a script touches must be passed in KEYS',
      {
        command: 'EVAL',
        reason: 'no-keys',
      },
    );
  }
  const tag = hashTag(keys[0] ?? '');
  for (const key of keys) {
    const t = hashTag(key);
    if (t === null || t !== tag) {
      throw new PoolError(
        ERRORS.STORAGE,
        `refused to send a Lua script whose keys do not share one hash tag: "${key}" (expected {${tag ?? ''}})`,
        {
          command: 'EVAL',
          reason: 'cross-slot',
          key,
        },
      );
    }
  }
}

/** The Redis error text carried by a thrown storage error (the adapters keep it in details.reply or the message). */
export function errorReply(e: unknown): string {
  if (e instanceof PoolError) {
    const reply = e.details?.['reply'];
    if (typeof reply === 'string') return reply;
  }
  return e instanceof Error ? e.message : String(e);
}

const NOT_EXECUTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING)\b/;
const NOSCRIPT = /^NOSCRIPT\b/;

/** True for an error reply that Redis sends instead of executing the command (safe to send again). */
export function isNotExecutedReply(reply: string): boolean {
  return NOT_EXECUTED.test(reply);
}

export function createEvalScript(send: SendCommand, opts: EvalScriptOptions = {}): EvalScript {
  const shas = new Map<string, string>();
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const delay = opts.retryDelayMs ?? ((n: number) => 100 * n);

  async function once(script: string, tail: readonly string[]): Promise<StorageReply> {
    let sha = shas.get(script);
    if (sha === undefined) {
      sha = scriptSha(script);
      shas.set(script, sha);
    }
    try {
      return await send(['EVALSHA', sha, ...tail]);
    } catch (e) {
      if (!NOSCRIPT.test(errorReply(e))) throw e;
      return send(['EVAL', script, ...tail]);
    }
  }

  return async (script, keys, args) => {
    checkScriptKeys(keys);
    const tail = [String(keys.length), ...keys, ...args];
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(script, tail);
      } catch (e) {
        if (attempt >= maxAttempts || !isNotExecutedReply(errorReply(e))) throw e;
        await new Promise((r) => setTimeout(r, delay(attempt)));
      }
    }
  };
}
