/**
 * startApiServer(deps, {host, port}): builds the app and listens (local runs and `pool start`; port 0 picks a free
 * port). close() stops accepting, answers waiting long polls and closes the server.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './app.js';
import type { ApiDeps } from './deps.js';

export interface ApiServer {
  app: FastifyInstance;
  /** The bound port (the real one when 0 was asked). */
  port: number;
  /** http://host:port (127.0.0.1 when bound to every interface). */
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(deps: ApiDeps, opts: { host: string; port: number }): Promise<ApiServer> {
  const app = buildApi(deps);
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    app,
    port: addr.port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`,
    close: () => app.close(),
  };
}
