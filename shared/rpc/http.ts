/**
 * The HTTP transport shared by the daemon and wallet clients: JSON-RPC 2.0 (`POST /json_rpc`) and the plain JSON
 * endpoints (`POST /get_transactions`, ...), over one undici Agent per client (keep-alive, closed by `close()`).
 *
 * - Every call has its own timeout (AbortController): expiry -> PoolError RPC_TIMEOUT {service, method, timeoutMs}.
 * - Connection failures and non-2xx statuses -> RPC_HTTP {service, method, status?, connectFailed}; `connectFailed`
 *   is true only when no connection could be made, i.e. the request was certainly not delivered.
 * - A JSON-RPC `error` member -> RPC_ERROR {service, method, code, message}; a plain endpoint answering a `status`
 *   other than "OK" -> RPC_ERROR {service, method, code: null, message: status}.
 * - The reply is parsed by `parseJson` (integers above 2^53 stay exact as bigint) and validated with zod; a reply that
 *   does not match -> RPC_BAD_REPLY {service, method, field, issue} naming the offending field.
 * - Optional HTTP Digest auth (monero-wallet-rpc `--rpc-login`): a 401 with a challenge is answered once per call;
 *   a 401 means the server did not run the request, so answering it never repeats an operation. epee binds the
 *   Digest session to the TCP connection, so an authenticated transport uses one keep-alive socket.
 * This layer never retries; the daemon client adds retries for idempotent reads.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { ERRORS, PoolError } from '../errors.js';
import { DigestSession } from './digest.js';
import { parseJson, stringifyJson, type JsonValue } from './json.js';

export interface RpcTransportOptions {
  /** Label used in errors and logs, e.g. "daemon" or "wallet". */
  service: string;
  /** Base URL, e.g. http://127.0.0.1:18081 (no trailing path). */
  baseUrl: string;
  /** Default per-call timeout in ms. */
  timeoutMs: number;
  /** Digest credentials; null/undefined for none. */
  login?: { user: string; password: string } | null;
  /** Max sockets to the server (default 4; always 1 with a login). */
  connections?: number;
  /** Treat a JSON-RPC result whose `status` is a string other than "OK" as RPC_ERROR (monerod style). */
  checkStatus?: boolean;
}

export interface CallOptions {
  /** Overrides the transport's default timeout for this call. */
  timeoutMs?: number;
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur !== null && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeZodIssue(issue: z.ZodIssue): { field: string; issue: string } {
  const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return { field, issue: issue.message };
}

/** Validates `value` against `schema`, or throws RPC_BAD_REPLY naming the method and the first bad field. */
export function validateReply<S extends z.ZodTypeAny>(
  service: string,
  method: string,
  schema: S,
  value: unknown,
  root = 'result',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<S>;
  const first = parsed.error.issues[0];
  const { field, issue } = first ? describeZodIssue(first) : { field: '(root)', issue: 'invalid' };
  const fullField = field === '(root)' ? root : `${root}.${field}`;
  throw new PoolError(ERRORS.RPC_BAD_REPLY, `${service} ${method}: bad reply field "${fullField}": ${issue}`, {
    service,
    method,
    field: fullField,
    issue,
  });
}

export class RpcTransport {
  readonly service: string;
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly digest: DigestSession | undefined;
  private readonly checkStatus: boolean;
  private nextId = 1;
  private closed = false;

  constructor(opts: RpcTransportOptions) {
    this.service = opts.service;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs;
    // epee keeps the Digest session (nonce, nc) per TCP connection: with a login, use a single keep-alive socket so
    // the handshake is done once per connection, not once per call.
    const connections = opts.login ? 1 : (opts.connections ?? 4);
    this.agent = new Agent({ connections, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 10_000 });
    this.digest = opts.login ? new DigestSession(opts.login.user, opts.login.password) : undefined;
    this.checkStatus = opts.checkStatus ?? false;
  }

  /** Calls a JSON-RPC method and validates `result` with `schema`. */
  async jsonRpc<S extends z.ZodTypeAny>(
    method: string,
    params: unknown,
    schema: S,
    opts: CallOptions = {},
  ): Promise<z.output<S>> {
    const id = this.nextId++;
    const body = stringifyJson({ jsonrpc: '2.0', id: String(id), method, ...(params === undefined ? {} : { params }) });
    const reply = await this.postText('/json_rpc', method, body, opts);
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply) || typeof reply === 'bigint') {
      throw new PoolError(ERRORS.RPC_BAD_REPLY, `${this.service} ${method}: reply is not a JSON object`, {
        service: this.service,
        method,
        field: '(root)',
      });
    }
    const err = reply['error'];
    if (err !== undefined && err !== null) {
      const code =
        typeof err === 'object' && !Array.isArray(err) && typeof err['code'] === 'number' ? err['code'] : null;
      const message =
        typeof err === 'object' && !Array.isArray(err) && typeof err['message'] === 'string'
          ? err['message']
          : JSON.stringify(String(err));
      throw new PoolError(ERRORS.RPC_ERROR, `${this.service} ${method}: error ${code ?? '?'}: ${message}`, {
        service: this.service,
        method,
        code,
        message,
      });
    }
    if (!('result' in reply)) {
      throw new PoolError(ERRORS.RPC_BAD_REPLY, `${this.service} ${method}: reply has neither result nor error`, {
        service: this.service,
        method,
        field: 'result',
      });
    }
    const result = reply['result'];
    if (this.checkStatus) this.throwOnStatus(method, result);
    return validateReply(this.service, method, schema, result);
  }

  /** POSTs JSON to a plain endpoint (e.g. /get_transactions); checks `status` when present and validates. */
  async plain<S extends z.ZodTypeAny>(
    path: string,
    body: unknown,
    schema: S,
    opts: CallOptions = {},
  ): Promise<z.output<S>> {
    const method = path.replace(/^\//, '');
    const reply = await this.postText(path, method, stringifyJson(body), opts);
    this.throwOnStatus(method, reply);
    return validateReply(this.service, method, schema, reply, 'reply');
  }

  private throwOnStatus(method: string, reply: JsonValue | undefined): void {
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) return;
    const status = reply['status'];
    if (typeof status === 'string' && status !== 'OK') {
      throw new PoolError(ERRORS.RPC_ERROR, `${this.service} ${method}: status ${status}`, {
        service: this.service,
        method,
        code: null,
        message: status,
      });
    }
  }

  private async postText(path: string, method: string, body: string, opts: CallOptions): Promise<JsonValue> {
    if (this.closed)
      throw new PoolError(ERRORS.RPC_HTTP, `${this.service} ${method}: client closed`, {
        service: this.service,
        method,
      });
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, timeoutMs);
    try {
      let res = await this.send(path, body, ac.signal);
      if (res.statusCode === 401 && this.digest) {
        const challenge = res.headers['www-authenticate'];
        await res.body.dump();
        if (this.digest.accept(challenge)) res = await this.send(path, body, ac.signal);
        else {
          this.digest.forget();
          throw new PoolError(
            ERRORS.RPC_HTTP,
            `${this.service} ${method}: HTTP 401 without a usable Digest challenge`,
            {
              service: this.service,
              method,
              status: 401,
              connectFailed: false,
            },
          );
        }
      }
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        if (res.statusCode === 401) this.digest?.forget();
        throw new PoolError(ERRORS.RPC_HTTP, `${this.service} ${method}: HTTP ${res.statusCode}`, {
          service: this.service,
          method,
          status: res.statusCode,
          connectFailed: false,
          body: text.slice(0, 200),
        });
      }
      try {
        return parseJson(text);
      } catch (e) {
        throw new PoolError(
          ERRORS.RPC_BAD_REPLY,
          `${this.service} ${method}: reply is not JSON (${e instanceof Error ? e.message : String(e)})`,
          { service: this.service, method, field: '(root)', body: text.slice(0, 200) },
        );
      }
    } catch (e) {
      if (e instanceof PoolError) throw e;
      if (timedOut) {
        throw new PoolError(
          ERRORS.RPC_TIMEOUT,
          `${this.service} ${method}: no reply within ${timeoutMs} ms`,
          {
            service: this.service,
            method,
            timeoutMs,
          },
          { cause: e },
        );
      }
      const code = errorCode(e);
      throw new PoolError(
        ERRORS.RPC_HTTP,
        `${this.service} ${method}: ${code ?? 'request failed'}: ${e instanceof Error ? e.message : String(e)}`,
        { service: this.service, method, code, connectFailed: code !== undefined && CONNECT_ERRORS.has(code) },
        { cause: e },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private send(path: string, body: string, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.digest?.ready) headers['authorization'] = this.digest.authorization('POST', path);
    return request(`${this.baseUrl}${path}`, { method: 'POST', body, headers, signal, dispatcher: this.agent });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }
}

/** Builds "http://host:port" (IPv6 literals bracketed). */
export function httpBaseUrl(host: string, port: number, protocol: 'http' | 'https' = 'http'): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${protocol}://${h}:${port}`;
}
