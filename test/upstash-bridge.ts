/**
 * An Upstash-REST-compatible bridge over a real redis-server, for tests only (docs/cloud.md, "Upstash REST", is the protocol).
 *
 * Routes (what @upstash/redis sends, plus the path form for curl):
 * - `POST /`            body `["SET","k","v"]`           -> 200 `{"result": …}` | 400 `{"error": "…"}`
 * - `POST /pipeline`    body `[["SET","k","v"],["GET","k"]]` -> 200 `[{"result": …} | {"error": "…"}, …]`, in order, not atomic
 * - `POST /multi-exec`  same body -> MULTI, each command, EXEC on a dedicated connection (atomic);
 *                       200 with one entry per command, or 400 `{"error": "EXECABORT …"}` when Redis discards it
 * - `GET|POST|PUT|HEAD /cmd/arg/arg` path form (a POST body is the last argument); any other method -> 405
 * Auth: `Authorization: Bearer <token>` (or `?_token=`); missing or wrong -> 401 `{"error": "Unauthorized"}`.
 * Replies: bulk/simple string -> string, integer -> number, nil -> null, array -> array (recursively). With the
 * request header `Upstash-Encoding: base64` every string is base64-encoded except a top-level `"OK"`; numbers, null
 * and error messages are sent unchanged. Arguments are converted with String() (the SDK sends numbers as JSON numbers).
 * Connection-state commands (MULTI, EXEC, WATCH, SELECT, SUBSCRIBE, …) are refused: the shared connection must stay
 * clean. `upstash-sync-token` and telemetry headers are ignored (a sync token is echoed back so clients stay happy).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { Redis } from 'ioredis';

export interface UpstashBridgeOptions {
  /** The redis-server to forward to. */
  redis: { host?: string; port: number; password?: string };
  /** The Bearer token clients must send; default "bridge-token". */
  token?: string;
  /** Port to listen on (127.0.0.1); default a free one. */
  port?: number;
}

/** Requests seen per route, so tests can prove which path the client took. */
export interface UpstashBridgeCounters {
  single: number;
  pipeline: number;
  multiExec: number;
  pathForm: number;
  unauthorized: number;
  base64: number;
}

export interface UpstashBridge {
  readonly url: string;
  readonly token: string;
  readonly port: number;
  readonly counters: UpstashBridgeCounters;
  close(): Promise<void>;
}

type JsonReply = string | number | null | JsonReply[];
type Entry = { result: JsonReply } | { error: string };

/** Commands that change connection state or block it; Upstash refuses them too. */
const REFUSED = new Set([
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
  'SELECT',
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
  'MONITOR',
  'QUIT',
  'RESET',
  'HELLO',
  'AUTH',
  'CLIENT',
  'SYNC',
  'PSYNC',
  'BLPOP',
  'BRPOP',
  'BLMOVE',
  'BRPOPLPUSH',
  'BZPOPMIN',
  'BZPOPMAX',
  'BLMPOP',
  'BZMPOP',
  'WAIT',
  'SHUTDOWN',
]);

class BadRequest extends Error {}

export async function startUpstashBridge(opts: UpstashBridgeOptions): Promise<UpstashBridge> {
  const token = opts.token ?? 'bridge-token';
  const redisOpts = {
    host: opts.redis.host ?? '127.0.0.1',
    port: opts.redis.port,
    ...(opts.redis.password ? { password: opts.redis.password } : {}),
    // RESP2 like Upstash's replies: flat ZRANGE WITHSCORES / HGETALL arrays (ioredis 6 would otherwise negotiate RESP3)
    protocol: 2 as const,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  };
  const shared = new Redis(redisOpts);
  const dedicated = new Set<Redis>();
  const counters: UpstashBridgeCounters = {
    single: 0,
    pipeline: 0,
    multiExec: 0,
    pathForm: 0,
    unauthorized: 0,
    base64: 0,
  };
  let syncSeq = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const msg = e instanceof Error ? e.message : String(e);
      send(res, e instanceof BadRequest ? 400 : 500, { error: msg });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    if (!['GET', 'HEAD', 'POST', 'PUT'].includes(method)) {
      send(res, 405, { error: 'Method Not Allowed' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://bridge');
    if (!authorized(req.headers.authorization, url.searchParams.get('_token'))) {
      counters.unauthorized++;
      send(res, 401, { error: 'Unauthorized' });
      return;
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    if (base64) counters.base64++;
    res.setHeader('upstash-sync-token', String(++syncSeq));
    const raw = await readBody(req);
    const path = url.pathname.replace(/\/+$/, '');

    if (method === 'POST' && (path === '' || path === '/')) {
      counters.single++;
      const cmd = toCommand(parseJson(raw));
      const entry = await runOne(shared, cmd, base64);
      send(res, 'error' in entry ? 400 : 200, entry);
      return;
    }
    if (method === 'POST' && (path === '/pipeline' || path === '/multi-exec')) {
      const body = parseJson(raw);
      if (!Array.isArray(body) || body.length === 0) throw new BadRequest('ERR expected a non-empty array of commands');
      const cmds = body.map(toCommand);
      if (path === '/pipeline') {
        counters.pipeline++;
        // ioredis keeps order on one connection; commands of other requests may interleave (not atomic), as upstream.
        send(res, 200, await Promise.all(cmds.map((c) => runOne(shared, c, base64))));
      } else {
        counters.multiExec++;
        const out = await runMulti(cmds, base64);
        send(res, Array.isArray(out) ? 200 : 400, out);
      }
      return;
    }
    // Path form: /set/foo/bar, POST body appended as the last argument.
    const segments = path
      .split('/')
      .filter((s) => s.length > 0)
      .map((s) => decodeURIComponent(s));
    if (segments.length === 0) throw new BadRequest('ERR empty command');
    counters.pathForm++;
    const args = [...segments];
    if ((method === 'POST' || method === 'PUT') && raw.length > 0) args.push(raw.toString('utf8'));
    for (const [k, v] of url.searchParams) if (k !== '_token') args.push(k, ...(v === '' ? [] : [v]));
    const entry = await runOne(shared, checkRefused(args), base64);
    send(res, 'error' in entry ? 400 : 200, method === 'HEAD' ? {} : entry);
  }

  function authorized(header: string | undefined, queryToken: string | null): boolean {
    const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : queryToken;
    if (!presented) return false;
    const a = Buffer.from(presented);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async function runMulti(cmds: string[][], base64: boolean): Promise<Entry[] | { error: string }> {
    const conn = shared.duplicate();
    dedicated.add(conn);
    try {
      await conn.callBuffer('MULTI', []);
      let queueError: string | null = null;
      for (const [name, ...args] of cmds) {
        try {
          await conn.callBuffer(name ?? '', args);
        } catch (e) {
          queueError ??= e instanceof Error ? e.message : String(e);
        }
      }
      let replies: unknown;
      try {
        replies = await conn.callBuffer('EXEC', []);
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(queueError ?? e) };
      }
      if (!Array.isArray(replies)) return { error: 'ERR transaction aborted' };
      return replies.map((r: unknown) => toEntry(r, base64));
    } finally {
      dedicated.delete(conn);
      conn.disconnect();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    port,
    counters,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of dedicated) c.disconnect();
      shared.disconnect();
    },
  };
}

async function runOne(conn: Redis, cmd: string[], base64: boolean): Promise<Entry> {
  const [name, ...args] = cmd;
  try {
    return toEntry(await conn.callBuffer(name ?? '', args), base64);
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** A Redis reply (Buffers, numbers, null, arrays, nested errors) as one Upstash response entry. */
function toEntry(reply: unknown, base64: boolean): Entry {
  if (reply instanceof Error) return { error: reply.message };
  try {
    if (base64 && Buffer.isBuffer(reply) && reply.toString('latin1') === 'OK') return { result: 'OK' };
    return { result: toJson(reply, base64) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function toJson(reply: unknown, base64: boolean): JsonReply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'bigint') return Number(reply);
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString('base64') : reply.toString('utf8');
  if (typeof reply === 'string') return base64 ? Buffer.from(reply, 'utf8').toString('base64') : reply;
  if (Array.isArray(reply)) return reply.map((r: unknown) => toJson(r, base64));
  if (reply instanceof Error) throw reply; // an error nested in an array reply fails the whole command
  throw new Error(`ERR unsupported reply type ${typeof reply}`);
}

function toCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new BadRequest('ERR command must be a non-empty array');
  const args = value.map((v: unknown) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new BadRequest('ERR command arguments must be strings, numbers or booleans');
  });
  return checkRefused(args);
}

function checkRefused(args: string[]): string[] {
  const name = (args[0] ?? '').toUpperCase();
  if (REFUSED.has(name)) throw new BadRequest(`ERR Command is not allowed: ${name}`);
  return args;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new BadRequest('ERR failed to parse command');
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
