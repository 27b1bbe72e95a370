/**
 * `pool start`: runs the chosen modules in this process against the daemon, wallet and Redis in the config —
 * pool (stratum node, optionally forked per clusterForks), api (fastify, serving the website), and the
 * unlocker/payments/stats functions on local timers. Without --config it first starts the embedded devnet.
 * Ctrl-C stops everything in order (miner ports first, then the functions, then the devnet).
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import type { PoolConfig } from '../shared/config/schema.js';
import { errorMessage, ERRORS, PoolError } from '../shared/errors.js';
import { flushLogs, type Log } from '../shared/log.js';
import { startStratumNode } from '../stratum-node/index.js';
import { startApiServer } from '../functions/api/index.js';
import { createContext, type Context } from './context.js';
import { schedule } from './scheduler.js';
import { forkCount, runPrimary, forkBanRelay } from './cluster.js';
import { FUNCTION_NAMES, isFunctionName } from './functions.js';

export const MODULES = ['pool', 'api', ...FUNCTION_NAMES] as const;

interface Stoppable {
  stop(): Promise<void>;
}

/** The modules to run: those named, else every module the config enables. */
export function selectModules(config: PoolConfig, named: readonly string[]): string[] {
  for (const m of named) {
    if (!(MODULES as readonly string[]).includes(m)) {
      throw new PoolError(ERRORS.CLI_USAGE, `unknown module "${m}": expected one of ${MODULES.join(', ')}`);
    }
  }
  if (named.length > 0) return [...named];
  const enabled: Record<(typeof MODULES)[number], boolean> = {
    pool: config.poolServer.enabled,
    api: config.api.enabled,
    unlocker: config.blockUnlocker.enabled,
    payments: config.payments.enabled,
    stats: config.api.enabled || config.blockUnlocker.enabled,
  };
  return MODULES.filter((m) => enabled[m]);
}

/** Starts modules; resolves with a stopper. In a stratum fork only the pool runs. */
export async function startModules(
  config: PoolConfig,
  modules: readonly string[],
  opts: { websiteDir?: string } = {},
): Promise<{ ctx: Context; stop(): Promise<void> }> {
  const ctx = createContext(config);
  const log = ctx.log('start');
  const running: Stoppable[] = [];
  const isFork = cluster.isWorker && process.env.POOL_STRATUM_FORK === '1';
  try {
    if (modules.includes('pool')) {
      const forks = forkCount(config.poolServer.clusterForks);
      if (!isFork && forks > 1 && cluster.isPrimary) {
        running.push(runPrimary(forks, log));
      } else {
        let node: Awaited<ReturnType<typeof startStratumNode>> | null = null;
        const onBan = isFork
          ? forkBanRelay((ip, until) => {
              node?.bans.ban(ip, until);
              node?.pool.dropIp(ip); // close the banned IP's sockets on this fork too
            })
          : undefined;
        // one hashing thread per core across all forks
        const hasherThreads = Math.max(1, Math.floor(availableParallelism() / (isFork ? forks : 1)));
        node = await startStratumNode({
          config,
          redis: ctx.redis,
          daemon: ctx.daemon,
          log: ctx.log('pool'),
          hasherThreads,
          ...(onBan ? { onBan } : {}),
        });
        const n = node;
        running.push({ stop: () => n.stop() });
      }
    }
    if (!isFork) {
      if (modules.includes('api')) {
        const websiteDir = opts.websiteDir ?? config.api.website;
        const api = await startApiServer(
          {
            storage: ctx.storage,
            daemon: ctx.daemon,
            config,
            log: ctx.log('api'),
            now: () => Date.now(),
            longPoll: true,
            websiteDir: websiteDir && existsSync(websiteDir) ? websiteDir : null,
          },
          { host: config.api.host, port: config.api.port },
        );
        running.push({ stop: () => api.close() });
        log.info(
          { url: `http://${config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host}:${config.api.port}/` },
          'API and website listening',
        );
      }
      for (const m of modules) if (isFunctionName(m)) running.push(schedule(ctx, m));
    }
  } catch (e) {
    for (const r of running.reverse()) await r.stop().catch(() => undefined);
    await ctx.close();
    throw e;
  }
  return {
    ctx,
    async stop() {
      for (const r of running.reverse()) {
        await r.stop().catch((e: unknown) => log.error({ err: e }, 'stop failed'));
      }
      await ctx.close();
      await flushLogs();
    },
  };
}

/**
 * Keeps the process alive until SIGINT/SIGTERM, then runs the stoppers in order. With `log`, the stop is reported
 * through it (the console keeps one format); without, as a plain line on stderr.
 */
export function untilSignal(stop: () => Promise<void>, log?: Pick<Log, 'info' | 'error'>): void {
  let stopping = false;
  const handler = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    if (log) log.info({ signal: sig }, 'stopping');
    else process.stderr.write(`\n${sig} received: stopping...\n`);
    stop()
      .then(async () => {
        await flushLogs();
        process.exit(0);
      })
      .catch(async (e: unknown) => {
        if (log) log.error({ err: e }, 'error while stopping');
        else process.stderr.write(`error while stopping: ${errorMessage(e)}\n`);
        await flushLogs();
        process.exit(1);
      });
  };
  // A stratum fork ignores Ctrl-C (the terminal sends it to the whole group): its primary stops it with SIGTERM,
  // so the primary never mistakes an orderly stop for a crash and restarts it.
  if (cluster.isWorker) process.on('SIGINT', () => undefined);
  else process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}
