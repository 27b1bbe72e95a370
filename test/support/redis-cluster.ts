/**
 * A real Redis Cluster for tests: `redis-server --cluster-enabled yes` x 6 on free ports in one temp folder, joined
 * with `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes` (three primaries, one replica each), and
 * the faults a test needs: a coordinated failover (`CLUSTER FAILOVER` on a replica) and a kill -9 of a primary.
 *
 * - Ports: a node's cluster bus listens on port + 10000, so every node port is drawn from 20000 up to 10000 below
 *   the kernel's ephemeral range (at most 55535) with both the port and its bus port free.
 * - Nodes run with AOF (`appendonly yes`, the payments preflight needs it) and `cluster-node-timeout` 2000 ms, so a
 *   killed primary is replaced by its replica within a few seconds.
 * - stop() stops every node and removes the folder.
 *
 * Data model: `<dir>/node-<port>/` per node (nodes.conf, appendonlydir/, redis.stdout.log).
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canBind, pingRedis, redisServerArgs } from '../../shared/services/index.js';
import { serviceDir, spawnService, waitReady, type ManagedProcess } from '../../shared/services/process.js';

const run = promisify(execFile);

export interface ClusterNode {
  readonly port: number;
  process: ManagedProcess;
}

export interface RedisClusterService {
  readonly dir: string;
  readonly nodes: readonly ClusterNode[];
  /** The `redis` section of a pool config pointing at this cluster (seeded from the first node). */
  readonly config: { host: string; port: number; auth: null; db: number; tls: boolean; cluster: true };
  /** `redis-cli -p port ARGS...` (stdout, trimmed). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The primary serving `key`'s slot now, and its replicas (as every live node agrees). */
  ownerOf(key: string): Promise<{ primary: number; replicas: number[] }>;
  /** `CLUSTER FAILOVER` on `replica`; resolves when it is the primary of `key`'s slot as seen by every live node. */
  failover(replica: number, key: string): Promise<void>;
  /**
   * kill -9 of the node on `port`; `afterKill` runs right after the kill (e.g. to resume a stopped replica); resolves
   * when another node serves `key`'s slot and the cluster is ok.
   */
  kill9(port: number, key: string, afterKill?: () => void): Promise<void>;
  /** SIGSTOP / SIGCONT of a node: a stalled server (its sockets stay open, it answers nothing). */
  pause(port: number): void;
  resume(port: number): void;
  /** Restarts a killed node with its data (it rejoins as a replica). */
  restart(port: number): Promise<void>;
  /** Waits until every live node reports cluster_state:ok and agrees on the slot map. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const CLUSTER_NODE_TIMEOUT_MS = 2000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ephemeralStart(): number {
  try {
    const lo = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(lo) && lo > 12_000) return lo;
  } catch {
    // not Linux
  }
  return 32_768;
}

const taken = new Set<number>();

/** A port p <= 55535 with p and p + 10000 free now and below the ephemeral range. */
async function clusterPort(): Promise<number> {
  const hi = Math.min(55_535, ephemeralStart() - 10_001);
  const lo = 20_000;
  for (let i = 0; i < 200; i++) {
    const p = lo + Math.floor(Math.random() * (hi - lo + 1));
    if (taken.has(p) || taken.has(p + 10_000) || taken.has(p - 10_000)) continue;
    if ((await canBind(p)) && (await canBind(p + 10_000))) {
      taken.add(p);
      return p;
    }
  }
  throw new Error('redis cluster: no free port pair (port, port + 10000) found');
}

function nodeArgs(port: number, dir: string): string[] {
  return [
    ...redisServerArgs(port, dir),
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(CLUSTER_NODE_TIMEOUT_MS),
    // a replica that lost its primary a moment ago may always take over (the default refuses stale replicas)
    '--cluster-replica-validity-factor',
    '0',
  ];
}

async function startNode(root: string, port: number): Promise<ManagedProcess> {
  const dir = join(root, `node-${port}`);
  serviceDir('redis-cluster-node', dir);
  const proc = spawnService({
    name: 'redis',
    command: 'redis-server',
    args: nodeArgs(port, dir),
    dir,
    ownsDir: false,
    stopTimeoutMs: 10_000,
  });
  await waitReady(proc, () => pingRedis(port), 20_000);
  return proc;
}

/** Starts six nodes and creates the cluster. */
export async function startRedisCluster(): Promise<RedisClusterService> {
  const { dir: root } = serviceDir('redis-cluster');
  const nodes: ClusterNode[] = [];
  const cli = async (port: number, ...args: string[]): Promise<string> => {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 30_000 });
    return stdout.trim();
  };
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(nodes.map((n) => n.process.stop()));
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    let failures = 0;
    while (nodes.length < 6) {
      const port = await clusterPort();
      try {
        nodes.push({ port, process: await startNode(root, port) });
      } catch (e) {
        // another process took the port between the check and the bind: try another pair
        if (++failures >= 5) throw e;
      }
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      {
        timeout: 60_000,
      },
    );
  } catch (e) {
    await stopAll();
    throw e;
  }

  const live = (): ClusterNode[] => nodes.filter((n) => !n.process.hasExited);

  /** `CLUSTER SHARDS`-free view: parses CLUSTER NODES from one node. */
  async function topology(
    port: number,
  ): Promise<{ primaryOfSlot(slot: number): number | null; replicasOf(primary: number): number[] }> {
    const text = await cli(port, 'CLUSTER', 'NODES');
    interface Row {
      id: string;
      port: number;
      flags: string[];
      master: string;
      link: string;
      slots: [number, number][];
    }
    const rows: Row[] = text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const f = line.split(' ');
        const addr = f[1] ?? '';
        const slots: [number, number][] = f
          .slice(8)
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [a, b] = s.split('-').map(Number);
            return [a ?? 0, b ?? a ?? 0];
          });
        return {
          id: f[0] ?? '',
          port: Number(addr.split(':')[1]?.split('@')[0]),
          flags: (f[2] ?? '').split(','),
          master: f[3] ?? '-',
          link: f[7] ?? '',
          slots,
        };
      });
    return {
      primaryOfSlot(slot) {
        const r = rows.find(
          (x) =>
            x.flags.includes('master') && !x.flags.includes('fail') && x.slots.some(([a, b]) => slot >= a && slot <= b),
        );
        return r ? r.port : null;
      },
      replicasOf(primary) {
        const p = rows.find((x) => x.port === primary);
        return p ? rows.filter((x) => x.master === p.id && !x.flags.includes('fail')).map((x) => x.port) : [];
      },
    };
  }

  async function slotOf(key: string): Promise<number> {
    return Number(await cli(live()[0]!.port, 'CLUSTER', 'KEYSLOT', key));
  }

  async function agreedOwner(key: string): Promise<{ primary: number; replicas: number[] } | null> {
    const slot = await slotOf(key);
    let seen: number | null = null;
    let replicas: number[] = [];
    for (const n of live()) {
      const t = await topology(n.port);
      const p = t.primaryOfSlot(slot);
      if (p === null || (seen !== null && p !== seen)) return null;
      seen = p;
      replicas = t.replicasOf(p);
    }
    return seen === null ? null : { primary: seen, replicas };
  }

  /** Replicas expected to be linked: 3 at start, fewer after a kill -9 until the node is restarted. */
  let minReplicas = 3;

  async function waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const infos = await Promise.all(live().map((n) => cli(n.port, 'CLUSTER', 'INFO')));
        const ok = infos.every((i) => /cluster_state:ok/.test(i));
        const views = await Promise.all(live().map((n) => cli(n.port, 'CLUSTER', 'SLOTS')));
        const norm = views.map((v) => v.split('\n').filter((l) => /^\d+$/.test(l.trim())).length);
        const repl = await Promise.all(live().map((n) => cli(n.port, 'INFO', 'replication')));
        const replicas = repl.filter((r) => /role:slave/.test(r));
        const linked = replicas.every((r) => /master_link_status:up/.test(r) && !/master_sync_in_progress:1/.test(r));
        if (ok && norm.every((x) => x === norm[0]) && linked && replicas.length >= minReplicas) return;
        last =
          infos.find((i) => !/cluster_state:ok/.test(i)) ??
          (linked ? `${replicas.length} replicas` : 'a replica is not linked to its primary');
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      await sleep(200);
    }
    throw new Error(`redis cluster not healthy after ${timeoutMs} ms: ${last}`);
  }

  async function waitOwner(key: string, ok: (primary: number) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const o = await agreedOwner(key).catch(() => null);
      if (o && ok(o.primary)) return waitHealthy(timeoutMs);
      await sleep(200);
    }
    throw new Error(`redis cluster: slot of ${key} did not move within ${timeoutMs} ms`);
  }

  await waitHealthy(60_000).catch(async (e: unknown) => {
    await stopAll();
    throw e;
  });

  return {
    dir: root,
    nodes,
    config: { host: '127.0.0.1', port: nodes[0]!.port, auth: null, db: 0, tls: false, cluster: true },
    cli,
    async ownerOf(key) {
      const o = await agreedOwner(key);
      if (!o) throw new Error(`redis cluster: nodes disagree on the owner of ${key}`);
      return o;
    },
    async failover(replica, key) {
      await cli(replica, 'CLUSTER', 'FAILOVER');
      await waitOwner(key, (p) => p === replica, 30_000);
    },
    async kill9(port, key, afterKill) {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no cluster node on ${port}`);
      await node.process.kill9();
      afterKill?.();
      minReplicas = 2;
      await waitOwner(key, (p) => p !== port, 60_000);
    },
    async restart(port) {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no cluster node on ${port}`);
      if (!node.process.hasExited) return;
      node.process = await startNode(root, port);
      minReplicas = 3;
      await waitHealthy(60_000);
    },
    pause(port) {
      nodes.find((n) => n.port === port)?.process.process.kill('SIGSTOP');
    },
    resume(port) {
      nodes.find((n) => n.port === port)?.process.process.kill('SIGCONT');
    },
    waitHealthy,
    stop: async () => {
      for (const n of nodes) n.process.process.kill('SIGCONT');
      await stopAll();
    },
  };
}
