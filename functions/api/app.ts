/**
 * buildApi(deps): the pool's HTTP API as one fastify app, used by the local server (server.ts) and by Lambda
 * (lambda.ts, through @fastify/aws-lambda). Routes and JSON shapes: see routes/*.ts; the seed's are kept so its
 * front-ends work unchanged (docs/api.md).
 *
 * Layout of the app:
 * - root: trustProxy from config.api.trustProxy, error handler (every error is `{error: "<message>"}`, input
 *   validation failures are 400), not-found handler (404 {error: "Invalid API call"}, the seed's text), CORS;
 * - public context: @fastify/etag (ETag, 304 on If-None-Match) + /stats, /live_stats, /stats_address, /workers,
 *   /get_payments, /get_blocks, /charts/*, POST /set_payout_threshold;
 * - admin context: the token check as a preHandler + /admin_stats, /admin_users, /admin_monitoring;
 * - the website (deps.websiteDir ?? config.api.website) at `/` through @fastify/static when the folder exists.
 *
 * CORS (docs/api.md, "Security rules"): `Access-Control-Allow-Origin: *` on the public GET routes only; none on admin
 * routes (their preflight is refused as an unknown route); POST /set_payout_threshold only for deps.writeOrigins.
 * Every input has a JSON schema (querystring/body); addresses are checked with validateMinerAddress.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import fastifyEtag from '@fastify/etag';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { keySchema } from '../../shared/redis/keys.js';
import type { ApiContext } from './context.js';
import type { ApiDeps } from './deps.js';
import { cache, errorReply, sendJson } from './http.js';
import { SnapshotSource } from './live.js';
import { publicConfig } from './public-config.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerBlockRoutes } from './routes/blocks.js';
import { registerChartRoutes } from './routes/charts.js';
import { registerMinerRoutes } from './routes/miner.js';
import { registerStatsRoutes } from './routes/stats.js';

/** Public read routes: CORS for any origin. */
export const PUBLIC_ROUTES: readonly string[] = [
  '/stats',
  '/live_stats',
  '/stats_address',
  '/workers',
  '/get_payments',
  '/get_blocks',
  '/charts/pool',
  '/charts/miner',
];
export const ADMIN_ROUTES: readonly string[] = ['/admin_stats', '/admin_users', '/admin_monitoring'];
export const WRITE_ROUTE = '/set_payout_threshold';

/** The long-poll timeout, as the seed's clients expect an answer at least every few broadcasts. */
export const LONG_POLL_INTERVALS = 10;
const BODY_LIMIT_BYTES = 16 * 1024;

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function corsFor(deps: ApiDeps) {
  const publicSet = new Set(PUBLIC_ROUTES);
  const writeOrigins = deps.writeOrigins ?? [];
  return async (req: FastifyRequest): Promise<FastifyCorsOptions> => {
    const path = pathOf(req.url);
    if (publicSet.has(path)) {
      return {
        origin: '*',
        methods: ['GET', 'HEAD'],
        allowedHeaders: ['Content-Type', 'If-None-Match'],
        exposedHeaders: ['ETag'],
        maxAge: 600,
        strictPreflight: false,
      };
    }
    if (path === WRITE_ROUTE && writeOrigins.length > 0) {
      return { origin: [...writeOrigins], methods: ['POST'], allowedHeaders: ['Content-Type'], maxAge: 600 };
    }
    return { origin: false };
  };
}

function websiteRoot(deps: ApiDeps): string | null {
  const dir = deps.websiteDir ?? deps.config.api.website;
  if (dir === null || dir === undefined || dir === '') return null;
  const abs = resolve(dir);
  return existsSync(abs) && statSync(abs).isDirectory() ? abs : null;
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const { config, log } = deps;
  const keys = keySchema(config.coin);
  const snapshots = new SnapshotSource(deps.storage, keys.statsSnapshot, deps.livePollMs ?? 1000, (e) =>
    log.warn({ err: e }, 'api: reading the stats snapshot failed'),
  );
  const ctx: ApiContext = {
    deps,
    keys,
    snapshots,
    publicConfig: deps.version === undefined ? publicConfig(config) : publicConfig(config, deps.version),
    longPollTimeoutMs: config.api.updateInterval * LONG_POLL_INTERVALS * 1000,
  };

  const tp = config.api.trustProxy;
  // a hop count as the function fastify builds from it at runtime (its types omit the number form)
  const trustProxy = typeof tp === 'number' ? (_addr: string, hop: number): boolean => hop < tp : tp;
  const app = Fastify({ logger: false, trustProxy, bodyLimit: BODY_LIMIT_BYTES });

  app.setErrorHandler((err, req, reply) => {
    const { status, message, internal } = errorReply(err);
    if (internal) log.error({ err, route: req.routeOptions.url, method: req.method }, 'api: request failed');
    return sendJson(reply, { error: message }, cache.noStore, status);
  });
  app.setNotFoundHandler((_req, reply) => sendJson(reply, { error: 'Invalid API call' }, cache.noStore, 404));
  // never the raw URL: the admin pages' ?password= must not reach the logs
  app.addHook('onResponse', async (req, reply) => {
    log.debug(
      {
        method: req.method,
        route: req.routeOptions.url ?? pathOf(req.url).slice(0, 64),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ip: req.ip,
      },
      'api: request',
    );
  });
  app.addHook('onClose', async () => snapshots.close());

  void app.register(fastifyCors, { delegator: corsFor(deps) });
  void app.register(async (pub) => {
    await pub.register(fastifyEtag);
    registerStatsRoutes(pub, ctx);
    registerMinerRoutes(pub, ctx);
    registerBlockRoutes(pub, ctx);
    registerChartRoutes(pub, ctx);
  });
  void app.register(async (admin) => registerAdminRoutes(admin, ctx));

  const root = websiteRoot(deps);
  if (root !== null) {
    void app.register(fastifyStatic, {
      root,
      prefix: '/',
      index: ['index.html'],
      cacheControl: true,
      maxAge: 60_000,
      dotfiles: 'deny',
      serveDotFiles: false,
    });
  }
  return app;
}
