/**
 * The back-office functions as the local runner sees them: name -> run(context, input) returning a JSON-safe result.
 * Local timers (scheduler.ts) and `pool invoke` both go through `runLocked`, so a function never runs twice at once
 * against one Redis, whoever started it. (Payments also holds its own fenced payer lock inside.)
 *
 * Redis: `{coin}:lock:fn:<name>` string = random token, PX = lock TTL; released only by its holder.
 */
import * as unlocker from '../functions/unlocker/index.js';
import * as payments from '../functions/payments/index.js';
import * as stats from '../functions/stats/index.js';
import { withFunctionLock } from '../shared/cloud/lambda.js';
import { ERRORS, PoolError } from '../shared/errors.js';
import type { Context } from './context.js';

export const FUNCTION_NAMES = ['unlocker', 'payments', 'stats'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface RunOptions {
  readonly dryRun?: boolean;
}

export function isFunctionName(s: string): s is FunctionName {
  return (FUNCTION_NAMES as readonly string[]).includes(s);
}

async function runFunction(ctx: Context, name: FunctionName, opts: RunOptions): Promise<unknown> {
  const base = { storage: ctx.storage, config: ctx.config, now: () => Date.now() };
  const input = { dryRun: opts.dryRun ?? false };
  switch (name) {
    case 'unlocker':
      return unlocker.run({ ...base, daemon: ctx.daemon, log: ctx.log('unlocker') }, input);
    case 'payments':
      return payments.run({ ...base, daemon: ctx.daemon, wallet: ctx.wallet, log: ctx.log('payments') }, input);
    case 'stats':
      return stats.run({ ...base, daemon: ctx.daemon, log: ctx.log('stats') }, input);
  }
}

/** Runs a function under its Redis lock (the same lock the Lambda handlers take); throws PoolError LOCK_HELD if held. */
export async function runLocked(
  ctx: Context,
  name: FunctionName,
  opts: RunOptions = {},
  ttlMs = 10 * 60_000,
): Promise<unknown> {
  const out = await withFunctionLock(ctx.storage, ctx.config.coin, name, ttlMs, () => runFunction(ctx, name, opts));
  if (out.skipped) throw new PoolError(ERRORS.LOCK_HELD, out.reason);
  return out.result;
}
