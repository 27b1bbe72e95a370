/**
 * What the four Lambda handlers share (functions/<name>/handler.ts stay thin):
 *
 * - Events. Scheduled functions accept exactly two shapes: an EventBridge scheduled event
 *   (`{"source":"aws.events","detail-type":"Scheduled Event",...}` -> a real run) and the on-call invoke of
 *   `npx pool invoke --aws` (`{"source":"pool.invoke","dryRun":bool}`). Anything else is refused (BAD_REQUEST), so a
 *   stray test event can never start a payout.
 * - One run at a time per function, across Lambda and local `pool invoke`: withFunctionLock takes the Redis lock
 *   functionLock(name) = `{coin}:lock:fn:<name>` (shared/redis/keys.ts; SET NX PX, random token, released only by
 *   its holder); cli/functions.ts uses the same function. A scheduled run that finds the lock held returns {skipped: true} and writes no heartbeat.
 * - Heartbeat metrics in CloudWatch Embedded Metric Format, one JSON line on stdout (raw, not through console.log,
 *   so Lambda's log formatting never wraps it): namespace POOL_METRICS_NAMESPACE, dimension Function, metrics
 *   Heartbeat (1 after a successful run) and PayoutsHalted (payments: 1 when the payer reported a fail-stop).
 * - CloudFront in front of the API (origin access control, Function URL with AWS_IAM): CloudFront signs each origin
 *   request with SigV4 in `Authorization`, so the viewer's own Authorization header cannot pass; the admin token
 *   travels as `X-Admin-Token` (or `?password=`) and is moved back into `Authorization: Bearer` here. The viewer's
 *   address comes from `CloudFront-Viewer-Address` (set by CloudFront, not spoofable by the viewer); it replaces the
 *   event's source IP and X-Forwarded-For is dropped, so the API (trustProxy false) sees the real client.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { ERRORS, PoolError } from '../errors.js';
import { keySchema } from '../redis/keys.js';
import type { Storage } from '../storage/port.js';

export interface ScheduledRun {
  dryRun: boolean;
  trigger: 'schedule' | 'invoke';
}

export function scheduledRun(event: unknown): ScheduledRun {
  if (typeof event === 'object' && event !== null && !Array.isArray(event)) {
    const e = event as Record<string, unknown>;
    if (e['source'] === 'aws.events' && e['detail-type'] === 'Scheduled Event')
      return { dryRun: false, trigger: 'schedule' };
    if (e['source'] === 'pool.invoke') {
      const dry = e['dryRun'];
      if (dry !== undefined && typeof dry !== 'boolean')
        throw new PoolError(ERRORS.BAD_REQUEST, 'pool.invoke event: dryRun must be a boolean');
      return { dryRun: dry === true, trigger: 'invoke' };
    }
  }
  throw new PoolError(
    ERRORS.BAD_REQUEST,
    'unsupported event: expected an EventBridge scheduled event or {"source":"pool.invoke","dryRun":bool}',
  );
}

/** KEYS: 1 functionLock(name). ARGV: 1 token. Deletes the lock only while it still holds the caller's token. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export type Locked<T> = { skipped: false; result: T } | { skipped: true; reason: string };

/** Runs `f` under the function's Redis lock (shared with the local runner). */
export async function withFunctionLock<T>(
  storage: Storage,
  coin: string,
  name: string,
  ttlMs: number,
  f: () => Promise<T>,
): Promise<Locked<T>> {
  const key = keySchema(coin).functionLock(name);
  const token = randomBytes(12).toString('hex');
  const got = await storage.command(['SET', key, token, 'NX', 'PX', String(ttlMs)]);
  if (got !== 'OK') return { skipped: true, reason: `${name} is already running elsewhere (lock ${key})` };
  try {
    return { skipped: false, result: await f() };
  } finally {
    await storage.evalScript(RELEASE, [key], [token]).catch(() => undefined);
  }
}

/** Writes one EMF record; a no-op without a namespace (local runs, tests that do not ask for it). */
export function emitMetrics(
  namespace: string | undefined,
  fn: string,
  values: Readonly<Record<string, number>>,
  write: (line: string) => void = (line) => void process.stdout.write(line),
): void {
  if (namespace === undefined || namespace === '') return;
  const names = Object.keys(values);
  if (names.length === 0) return;
  const record = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: [['Function']], Metrics: names.map((Name) => ({ Name, Unit: 'Count' })) },
      ],
    },
    Function: fn,
    ...values,
  };
  write(`${JSON.stringify(record)}\n`);
}

/** The subset of a Function URL / HTTP API v2 event this module rewrites. */
export interface HttpEventLike {
  headers?: Record<string, string | undefined> | null;
  requestContext?: { http?: { sourceIp?: string } } | null;
}

/** The viewer IP from a `CloudFront-Viewer-Address` value ("ip:port"; IPv6 unbracketed), or null. */
export function viewerIp(value: string | undefined): string | null {
  if (value === undefined) return null;
  const i = value.lastIndexOf(':');
  if (i <= 0) return null;
  const ip = value.slice(0, i).replace(/^\[|\]$/g, '');
  return isIP(ip) === 0 ? null : ip;
}

/**
 * Normalizes an API event that came through CloudFront (see the module comment). Returns a new event; headers are
 * matched case-insensitively (Function URL events carry lower-case names).
 */
export function fromCloudFront<E extends HttpEventLike>(event: E): E {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  const viewer = viewerIp(headers['cloudfront-viewer-address']);
  delete headers['x-forwarded-for'];
  delete headers['authorization'];
  const admin = headers['x-admin-token'];
  delete headers['x-admin-token'];
  if (admin !== undefined && admin !== '') headers['authorization'] = `Bearer ${admin}`;
  const http = { ...(event.requestContext?.http ?? {}) };
  if (viewer !== null) http.sourceIp = viewer;
  return { ...event, headers, requestContext: { ...(event.requestContext ?? {}), http } };
}
