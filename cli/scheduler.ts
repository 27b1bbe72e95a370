/**
 * Local scheduling: each enabled back-office function runs on its configured interval in-process, under the same
 * lock as `pool invoke` (functions.ts). A run that fails is logged and retried at the next tick; runs never overlap.
 */
import { errorMessage, isPoolError, ERRORS } from '../shared/errors.js';
import { runLocked, type FunctionName } from './functions.js';
import type { Context } from './context.js';

export interface Scheduled {
  stop(): Promise<void>;
}

export function intervalSeconds(ctx: Context, name: FunctionName): number {
  const c = ctx.config;
  switch (name) {
    case 'unlocker':
      return c.blockUnlocker.interval;
    case 'payments':
      return c.payments.interval;
    case 'stats':
      return Math.min(c.stats.interval, c.api.updateInterval);
  }
}

export function schedule(ctx: Context, name: FunctionName): Scheduled {
  const log = ctx.log(name);
  const everyMs = intervalSeconds(ctx, name) * 1000;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const tick = (): void => {
    if (stopped) return;
    running = runLocked(ctx, name)
      .then((result) => log.debug({ result }, `${name} run finished`))
      .catch((e: unknown) => {
        if (isPoolError(e, ERRORS.LOCK_HELD))
          log.info({ reason: errorMessage(e) }, `${name} skipped: its lock is held`);
        else log.error({ err: e }, `${name} run failed`);
      })
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(tick, everyMs);
      });
  };
  timer = setTimeout(tick, Math.min(everyMs, 1000));
  log.info({ everySeconds: everyMs / 1000 }, `${name} scheduled`);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
