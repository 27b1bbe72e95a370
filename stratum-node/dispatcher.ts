/**
 * The protocol dispatcher: one parsed JSON line from a miner -> the method handler it names, or an error reply.
 *
 * Accepted shape: `{id, method, params}` with an integer or string id, a string method and an object params (a
 * missing or non-object params is treated as `{}`). Methods: login, getjob, submit, keepalived (xmrig) and keepalive
 * (an alias some proxies send). Anything else is answered with "Invalid method"; a line that is not an object, or
 * has no string method, with "Invalid request". Replies keep the request's id.
 *
 * Data model: none; the handlers (pool.ts) own sessions and state.
 */
import { MSG, fail, type StratumReply } from './messages.js';

export type RequestId = number | string | null;
export type Params = Record<string, unknown>;

export interface MethodHandlers<C> {
  login(conn: C, id: RequestId, params: Params): void;
  getjob(conn: C, id: RequestId, params: Params): void;
  submit(conn: C, id: RequestId, params: Params): Promise<StratumReply>;
  keepalived(conn: C, id: RequestId, params: Params): StratumReply;
  /** Called before any handler for a well-formed request (activity bookkeeping). */
  touch(conn: C): void;
}

export interface ReplyChannel {
  send(msg: object): void;
}

export async function dispatch<C extends ReplyChannel>(h: MethodHandlers<C>, conn: C, msg: unknown): Promise<void> {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    conn.send(fail(null, MSG.invalidRequest));
    return;
  }
  const m = msg as Record<string, unknown>;
  const id = typeof m.id === 'number' || typeof m.id === 'string' ? m.id : null;
  const method = m.method;
  const params: Params =
    typeof m.params === 'object' && m.params !== null && !Array.isArray(m.params) ? (m.params as Params) : {};
  if (typeof method !== 'string') {
    conn.send(fail(id, MSG.invalidRequest));
    return;
  }
  h.touch(conn);
  switch (method) {
    case 'login':
      return h.login(conn, id, params);
    case 'getjob':
      return h.getjob(conn, id, params);
    case 'submit':
      conn.send(await h.submit(conn, id, params));
      return;
    case 'keepalived':
    case 'keepalive':
      conn.send(h.keepalived(conn, id, params));
      return;
    default:
      conn.send(fail(id, MSG.invalidMethod));
  }
}
