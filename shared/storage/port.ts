/**
 * The storage port: the small Redis surface the back-office functions use, so that the same code runs on
 * ioredis (stratum host, local, ElastiCache) and on @upstash/redis (Lambda over REST).
 *
 * Contract (the suite `storageContract` in test/storage-contract.ts, run against every adapter):
 * - Arguments are strings (callers format integers as decimal strings, bigint via toString()).
 * - Replies are raw Redis replies mapped to JS: bulk/simple string -> string, integer -> number,
 *   nil -> null, array -> array (recursively). No JSON parsing, no numeric coercion of strings.
 *   An integer reply beyond ±(2^53-1) is returned as its exact decimal string rather than a rounded number
 *   (read counters with `BigInt(String(reply))`). Inside Lua every number is a double: return big values as strings.
 * - `command` throws StorageError (PoolError E_STORAGE) on a Redis error reply.
 * - `pipeline` runs commands in order, not atomically; `multi` runs them in MULTI/EXEC atomically.
 *   Both return one reply per command and throw if any command errored.
 * - `evalScript` runs a Lua script atomically through shared/storage/eval.ts (EVALSHA, NOSCRIPT -> EVAL). `keys`
 *   must name every key the script touches, be non-empty and share one hash tag; otherwise it throws E_STORAGE
 *   before sending. A reply proving the script did not run (MOVED/ASK/TRYAGAIN/CLUSTERDOWN/LOADING) is retried.
 */
export type StorageReply = string | number | null | StorageReply[];

export interface Storage {
  command(args: readonly string[]): Promise<StorageReply>;
  pipeline(cmds: readonly (readonly string[])[]): Promise<StorageReply[]>;
  multi(cmds: readonly (readonly string[])[]): Promise<StorageReply[]>;
  evalScript(script: string, keys: readonly string[], args: readonly string[]): Promise<StorageReply>;
  close(): Promise<void>;
}
