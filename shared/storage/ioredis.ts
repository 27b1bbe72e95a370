/**
 * The Storage port (shared/storage/port.ts) on ioredis: the stratum host, local runs and ElastiCache.
 *
 * Replies are mapped raw, bypassing ioredis's per-command reply transformers (HGETALL -> object, ZRANGE WITHSCORES
 * pair handling): every command is sent as a `RawCommand` whose reply is decoded here:
 *   bulk/simple string -> string (utf8), integer -> number, nil -> null, array -> array (recursively).
 * A connection this adapter opens itself uses `stringNumbers`, so integer replies arrive as decimal strings and are
 * turned into numbers only when exact; an integer reply beyond ±(2^53-1) is returned as its decimal string, never
 * rounded. Lua scripts go through the shared eval helper (shared/storage/eval.ts: keys required and on one hash tag,
 * EVALSHA with a NOSCRIPT fallback to EVAL, retry only on replies proving the script did not run).
 * The connection is a single server (`Redis`) or a Redis Cluster (`Cluster`, config.redis.cluster): the cluster
 * client routes each command, pipeline and MULTI to the node owning its keys' slot (all pool keys share one slot).
 * Every Redis error (error reply, connection failure) is a PoolError STORAGE {command, index?, reply?}.
 *
 * Data model: none of its own (a transport); keys come from shared/redis/keys.ts.
 */
import { Cluster, Command, Redis } from 'ioredis';
import { ERRORS, PoolError } from '../errors.js';
import { createRedisConnection, type RedisClientConfig, type RedisConnection } from '../redis/client.js';
import { createEvalScript } from './eval.js';
import type { Storage, StorageReply } from './port.js';

/** A command whose reply skips ioredis's reply transformers (we decode Buffers ourselves). */
class RawCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

function rawCommand(args: readonly string[]): RawCommand {
  const [name, ...rest] = args;
  if (name === undefined || name === '') throw new PoolError(ERRORS.STORAGE, 'empty Redis command', { command: '' });
  return new RawCommand(name.toLowerCase(), rest, { replyEncoding: null });
}

/** Maps a raw ioredis reply to a StorageReply. Throws the Redis error when the reply is one. */
function decodeReply(v: unknown): StorageReply {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    // stringNumbers: an integer reply as a decimal string
    if (/^-?\d+$/.test(v)) {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    }
    return v;
  }
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(decodeReply);
  if (v instanceof Error) throw v;
  if (typeof v === 'boolean') return v ? 1 : null; // RESP3 boolean on a foreign connection, RESP2 semantics
  throw new Error(`unexpected Redis reply type ${typeof v}`);
}

function storageError(e: unknown, command: string, index?: number): PoolError {
  if (e instanceof PoolError) return e;
  const reply = e instanceof Error ? e.message : String(e);
  return new PoolError(
    ERRORS.STORAGE,
    `redis ${command.toUpperCase()}${index === undefined ? '' : ` (#${index})`}: ${reply}`,
    { command: command.toUpperCase(), ...(index === undefined ? {} : { index }), reply },
    { cause: e },
  );
}

const commandName = (args: readonly string[]): string => (args[0] ?? '').toUpperCase();

interface PipelineLike {
  sendCommand(command: Command): unknown;
  exec(): Promise<[Error | null, unknown][] | null>;
}

export interface IoredisStorage extends Storage {
  /** The underlying connection (owned by the adapter when it was created from a config). */
  readonly redis: RedisConnection;
}

/**
 * Creates the adapter. From a config it opens (and on close() quits) its own connection (a Cluster when
 * `cluster` is true); from a `Redis` or `Cluster` instance it uses that one and close() leaves it open (the caller
 * owns it).
 */
export function createIoredisStorage(source: RedisClientConfig | RedisConnection): IoredisStorage {
  const given = source instanceof Redis || source instanceof Cluster ? source : null;
  const owned = given === null;
  const redis: RedisConnection =
    given ??
    createRedisConnection(source as RedisClientConfig, { stringNumbers: true, connectionName: 'pool-storage' });
  // connection errors surface on the commands (as STORAGE); keep ioredis from printing them as unhandled
  if (owned) redis.on('error', () => undefined);
  let closed = false;

  async function send(args: readonly string[]): Promise<StorageReply> {
    const cmd = rawCommand(args);
    try {
      await redis.sendCommand(cmd);
    } catch {
      // the command's own promise carries the error
    }
    try {
      return decodeReply(await cmd.promise);
    } catch (e) {
      throw storageError(e, commandName(args));
    }
  }

  async function batch(cmds: readonly (readonly string[])[], transactional: boolean): Promise<StorageReply[]> {
    if (cmds.length === 0) return [];
    const p = (transactional ? redis.multi() : redis.pipeline()) as unknown as PipelineLike;
    const prepared = cmds.map((c) => rawCommand(c));
    for (const c of prepared) p.sendCommand(c);
    let results: [Error | null, unknown][] | null;
    try {
      results = await p.exec();
    } catch (e) {
      throw storageError(e, transactional ? 'EXEC' : 'PIPELINE');
    }
    if (results === null) throw new PoolError(ERRORS.STORAGE, 'redis EXEC: transaction aborted', { command: 'EXEC' });
    const out: StorageReply[] = [];
    results.forEach(([err, value], i) => {
      const name = commandName(cmds[i] ?? []);
      if (err) throw storageError(err, name, i);
      try {
        out.push(decodeReply(value));
      } catch (e) {
        throw storageError(e, name, i);
      }
    });
    return out;
  }

  return {
    redis,
    command(args) {
      return send(args);
    },
    pipeline(cmds) {
      return batch(cmds, false);
    },
    multi(cmds) {
      return batch(cmds, true);
    },
    evalScript: createEvalScript(send),
    async close() {
      if (closed || !owned) return;
      closed = true;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
