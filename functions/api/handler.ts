/**
 * Lambda entry of the API (bundled by infra/lib/functions.ts): the same fastify app as the local server, through
 * @fastify/aws-lambda, behind CloudFront (Function URL with AWS_IAM auth and origin access control). Built once per
 * cold start. Each event is normalized first (shared/cloud/lambda.ts fromCloudFront): the client IP comes from
 * CloudFront-Viewer-Address, and the admin token from X-Admin-Token (CloudFront's SigV4 occupies Authorization).
 * The website is on the same CloudFront domain, so no cross-origin write origins are needed.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LambdaResponse } from '@fastify/aws-lambda';
import { fromCloudFront } from '../../shared/cloud/lambda.js';
import { cachedDeps, loadCloudDeps } from '../../shared/cloud/runtime.js';
import { createLambdaHandler } from './lambda.js';

const app = cachedDeps(async () => {
  const d = await loadCloudDeps({ name: 'api' });
  const version = process.env['POOL_VERSION'];
  return createLambdaHandler({
    storage: d.storage,
    daemon: d.daemon,
    config: d.config,
    log: d.log,
    now: Date.now,
    websiteDir: null,
    ...(version ? { version } : {}),
  });
});

export async function handler(event: APIGatewayProxyEventV2, context: unknown): Promise<LambdaResponse> {
  const proxy = await app.get();
  return (await proxy(fromCloudFront(event), context as never)) as LambdaResponse;
}
