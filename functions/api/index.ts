/**
 * The pool's HTTP API (fastify): `buildApi(deps)` (app.ts, route list and shapes in routes/*.ts),
 * `startApiServer(deps, {host, port})` for local runs and `createLambdaHandler(deps)` for Lambda.
 */
export { buildApi, ADMIN_ROUTES, PUBLIC_ROUTES, WRITE_ROUTE, LONG_POLL_INTERVALS } from './app.js';
export { startApiServer, type ApiServer } from './server.js';
export { createLambdaHandler } from './lambda.js';
export type { ApiDeps } from './deps.js';
export { ADMIN_FAIL_LIMIT, ADMIN_FAIL_WINDOW_SECONDS, tokenMatches } from './auth.js';
export { THRESHOLD_IP_WINDOW_MS } from './routes/miner.js';
export { toJson, type Json } from './json.js';
