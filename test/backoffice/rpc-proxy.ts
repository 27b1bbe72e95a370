/**
 * A tiny HTTP proxy for fault tests, in front of monero-wallet-rpc or monerod. It counts calls per method (the
 * JSON-RPC `method`, or the path for plain endpoints like /get_transactions), and can
 * - drop the reply to a method: the request IS forwarded and executed upstream, then the client's socket is
 *   destroyed instead of answering (a reply lost after the server acted);
 * - rewrite a method's JSON reply (e.g. get_info synchronized:false);
 * - hold the reply to a method for some ms after the upstream answered (a client with a shorter timeout gives up
 *   although the server acted), or answer it with an HTTP error status instead (a 5xx after the server acted);
 * - swallow a request: it is NOT forwarded and the client's socket is destroyed (a reset, the server never saw it).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type JsonObject = Record<string, unknown>;

export interface RpcProxy {
  readonly port: number;
  /** calls per method, counted when the request arrives */
  readonly calls: Map<string, number>;
  count(method?: string): number;
  /** Drop the next `times` replies to `method` after the upstream answered. */
  dropReply(method: string, times?: number): void;
  /** Rewrite replies to `method` (null to stop). */
  rewrite(method: string, fn: ((reply: JsonObject) => JsonObject) | null): void;
  /** Hold the next `times` replies to `method` for `ms` after the upstream answered, then send them. */
  delayReply(method: string, ms: number, times?: number): void;
  /** Answer the next `times` calls to `method` with HTTP `status` after the upstream answered. */
  failReply(method: string, status: number, times?: number): void;
  /** Do not forward the next `times` calls to `method`: destroy the client's socket instead. */
  swallow(method: string, times?: number): void;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function methodOf(path: string, body: Buffer): string {
  if (path !== '/json_rpc') return path;
  try {
    const m = (JSON.parse(body.toString('utf8')) as JsonObject).method;
    return typeof m === 'string' ? m : path;
  } catch {
    return path;
  }
}

export async function startRpcProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<RpcProxy> {
  const calls = new Map<string, number>();
  const drops = new Map<string, number>();
  const rewrites = new Map<string, (reply: JsonObject) => JsonObject>();
  const delays = new Map<string, { ms: number; times: number }>();
  const failures = new Map<string, { status: number; times: number }>();
  const swallows = new Map<string, number>();
  /** Takes one use of a per-method fault; returns it, or undefined when none is left. */
  const take = <T extends { times: number }>(m: Map<string, T>, method: string): T | undefined => {
    const f = m.get(method);
    if (!f || f.times <= 0) return undefined;
    f.times -= 1;
    return f;
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const method = methodOf(req.url ?? '/', body);
      calls.set(method, (calls.get(method) ?? 0) + 1);
      const swallowLeft = swallows.get(method) ?? 0;
      if (swallowLeft > 0) {
        swallows.set(method, swallowLeft - 1);
        req.socket.destroy();
        return;
      }
      const headers = { ...req.headers, host: `${targetHost}:${targetPort}`, 'content-length': String(body.length) };
      const up = request(
        { host: targetHost, port: targetPort, path: req.url, method: req.method, headers },
        (upRes) => {
          void (async () => {
            let out = await readBody(upRes);
            const left = drops.get(method) ?? 0;
            if (left > 0) {
              drops.set(method, left - 1);
              req.socket.destroy();
              return;
            }
            const failure = take(failures, method);
            if (failure) {
              res.writeHead(failure.status, { 'content-type': 'text/plain' });
              res.end('injected failure');
              return;
            }
            const delay = take(delays, method);
            if (delay) await new Promise((r) => setTimeout(r, delay.ms));
            if (req.socket.destroyed) return;
            const fn = rewrites.get(method);
            if (fn && upRes.statusCode === 200) {
              const json = JSON.parse(out.toString('utf8')) as JsonObject;
              const rewritten = 'result' in json ? { ...json, result: fn(json.result as JsonObject) } : fn(json);
              out = Buffer.from(JSON.stringify(rewritten));
            }
            const h = { ...upRes.headers, 'content-length': String(out.length) };
            res.writeHead(upRes.statusCode ?? 502, h);
            res.end(out);
          })();
        },
      );
      up.on('error', () => req.socket.destroy());
      up.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    calls,
    count: (method) => (method ? (calls.get(method) ?? 0) : [...calls.values()].reduce((a, b) => a + b, 0)),
    dropReply: (method, times = 1) => drops.set(method, times),
    rewrite: (method, fn) => (fn ? rewrites.set(method, fn) : rewrites.delete(method)),
    delayReply: (method, ms, times = 1) => delays.set(method, { ms, times }),
    failReply: (method, status, times = 1) => failures.set(method, { status, times }),
    swallow: (method, times = 1) => swallows.set(method, times),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
