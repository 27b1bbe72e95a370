/**
 * The Lambda handler of a scheduled back-office function (unlocker, payments, stats), built once per cold start:
 *   export const handler = scheduledHandler({ name: 'unlocker', run: (deps, input) => ..., metrics: (r) => ... });
 * Per invocation: parse the event (EventBridge schedule or `pool invoke --aws`), take the function's Redis lock
 * for the rest of the invocation's time, run, emit the heartbeat metrics, and return the function's JSON result
 * (what `npx pool invoke --aws` prints). Results are made JSON-safe (bigint -> decimal string).
 */
import { CLOUD_ENV } from './env.js';
import { emitMetrics, scheduledRun, withFunctionLock } from './lambda.js';
import { cachedDeps, loadCloudDeps, type CloudDeps, type LoadCloudDepsOptions } from './runtime.js';

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export interface ScheduledFunction<R> {
  name: string;
  run(deps: CloudDeps, input: { dryRun: boolean }): Promise<R>;
  /** Metrics after a run that was not a dry run (e.g. {Heartbeat: 1} when it succeeded). */
  metrics(result: R): Record<string, number>;
}

export type Skipped = { function: string; skipped: true; reason: string };
export type ScheduledHandler<R> = (event: unknown, context?: InvocationContext) => Promise<R | Skipped>;

const DEFAULT_LOCK_MS = 10 * 60_000;

export function scheduledHandler<R>(
  fn: ScheduledFunction<R>,
  opts: Omit<LoadCloudDepsOptions, 'name'> = {},
): ScheduledHandler<R> & { deps: () => Promise<CloudDeps> } {
  const deps = cachedDeps(() => loadCloudDeps({ ...opts, name: fn.name }));
  const env = opts.env ?? process.env;
  const handler = async (event: unknown, context?: InvocationContext): Promise<R | Skipped> => {
    const run = scheduledRun(event);
    const d = await deps.get();
    const ttl = context ? Math.max(5_000, context.getRemainingTimeInMillis() + 5_000) : DEFAULT_LOCK_MS;
    const out = await withFunctionLock(d.storage, d.config.coin, fn.name, ttl, () => fn.run(d, { dryRun: run.dryRun }));
    if (out.skipped) {
      d.log.warn({ reason: out.reason, trigger: run.trigger }, `${fn.name}: skipped`);
      return { function: fn.name, skipped: true, reason: out.reason };
    }
    if (!run.dryRun) emitMetrics(env[CLOUD_ENV.metricsNamespace], fn.name, fn.metrics(out.result));
    return jsonSafe(out.result) as R;
  };
  return Object.assign(handler, { deps: () => deps.get() });
}

/** bigint -> decimal string, recursively (Lambda serializes the result with JSON.stringify). */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}
