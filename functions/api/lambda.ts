/**
 * The API as a Lambda handler (Function URL / HTTP API v2 / REST / ALB events) through @fastify/aws-lambda:
 * requests become app.inject() calls, so there are no sockets and long polls answer at once (longPoll: false,
 * docs/cloud.md, "No long polls on Lambda"). Build it once at module scope in the entry file so warm invocations reuse the app.
 */
import awsLambdaFastify, { type PromiseHandler } from '@fastify/aws-lambda';
import { buildApi } from './app.js';
import type { ApiDeps } from './deps.js';

export function createLambdaHandler(deps: Omit<ApiDeps, 'longPoll'>): PromiseHandler<unknown> {
  return awsLambdaFastify(buildApi({ ...deps, longPoll: false }), {
    decorateRequest: false,
    // no route takes a list: keep "a,b" a string so schemas see what was sent
    parseCommaSeparatedQueryParams: false,
  });
}
