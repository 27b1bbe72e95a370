/**
 * `poolServer.clusterForks` as in the seed: "auto" = one stratum fork per core, or a number. Each fork is a full
 * stratum node with its own node id (so extra nonces never collide) on the same ports (the kernel balances
 * connections). Bans are relayed: a fork that bans an IP tells the primary, which tells every fork.
 *
 * IPC messages: {type:'ban', ip, untilMs}.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from '../shared/log.js';

export interface BanMessage {
  readonly type: 'ban';
  readonly ip: string;
  readonly untilMs: number;
}

export function forkCount(setting: 'auto' | number): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

function isBan(m: unknown): m is BanMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as { type?: unknown }).type === 'ban' &&
    typeof (m as { ip?: unknown }).ip === 'string'
  );
}

/** In the primary: forks n stratum workers, relays bans, restarts a crashed fork after a pause. */
export function runPrimary(n: number, log: Logger): { stop(): Promise<void> } {
  let stopping = false;
  const fork = (): void => {
    const w = cluster.fork({ POOL_STRATUM_FORK: '1' });
    w.on('message', (m: unknown) => {
      if (!isBan(m)) return;
      for (const other of Object.values(cluster.workers ?? {})) if (other && other !== w) other.send(m);
    });
  };
  let crashes = 0;
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    crashes += 1;
    const delay = Math.min(60_000, 2000 * 2 ** Math.min(crashes - 1, 5)); // back off when a fork keeps crashing
    log.error({ pid: w.process.pid, code, signal, restartInMs: delay }, 'stratum fork died; restarting');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });
  for (let i = 0; i < n; i++) fork();
  log.info({ forks: n }, 'stratum forks started');
  return {
    async stop() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** In a fork: hooks ban relaying; returns the onBan callback for the node. */
export function forkBanRelay(apply: (ip: string, untilMs: number) => void): (ip: string, untilMs: number) => void {
  process.on('message', (m: unknown) => {
    if (isBan(m)) apply(m.ip, m.untilMs);
  });
  return (ip, untilMs) => process.send?.({ type: 'ban', ip, untilMs } satisfies BanMessage);
}
