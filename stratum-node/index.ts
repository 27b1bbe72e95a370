/**
 * Starts one stratum node process: node id from Redis, job manager, native hasher, share recorder, miner ports,
 * health/metrics endpoint. `startStratumNode` returns a handle whose stop() closes everything in order
 * (ports, then a final share flush, then Redis and the hasher).
 *
 * Redis written here: nodeSeq (INCR at start; the node id goes into every extra nonce), and everything listed in
 * docs/CONTRACTS.md "What the stratum node writes" through recorder.ts, over the Storage port (a single server or a
 * Redis Cluster). The recorder's journal lives in poolServer.dataDir (journal.ts: one slot per process); when Redis
 * is unreachable at start the slot's last node id is reused (no other process can hold it) and the journal replays
 * once Redis is back.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PoolConfig } from '../shared/config/schema.js';
import type { DaemonClient } from '../shared/rpc/daemon.js';
import { keySchema } from '../shared/redis/keys.js';
import { createHasher, type Hasher } from '../native/index.js';
import { JobManager } from './jobs.js';
import { subscribeChainPush } from './zmq.js';
import { chainFromDaemon } from './chain.js';
import { ShareRecorder } from './recorder.js';
import { claimJournalSlot } from './journal-slots.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import type { Storage } from '../shared/storage/port.js';
import { BanList } from './bans.js';
import { StratumPool, type PortSettings } from './pool.js';
import { startServers } from './server.js';
import { startNodeHealth } from './health-state.js';
import { createMetrics, type Metrics } from './metrics.js';

export interface StratumNodeDeps {
  readonly config: PoolConfig;
  /** A single server or a Redis Cluster (config.redis.cluster); the caller owns it. */
  readonly redis: Redis | Cluster;
  readonly daemon: DaemonClient;
  readonly log: Logger;
  /** Defaults to a native hasher in poolServer.randomx.mode with randomx.threads (else `hasherThreads`) threads. */
  readonly hasher?: Hasher;
  /** Threads for the default hasher (default: all cores; with cluster forks, cores / forks). */
  readonly hasherThreads?: number;
  /** Bind address for miner ports (default 0.0.0.0). */
  readonly host?: string;
  readonly onBan?: (ip: string, untilMs: number) => void;
}

export interface StratumNode {
  readonly nodeId: number;
  readonly ports: readonly number[];
  readonly healthPort: number | null;
  readonly pool: StratumPool;
  readonly jobs: JobManager;
  readonly bans: BanList;
  readonly recorder: ShareRecorder;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

export async function startStratumNode(deps: StratumNodeDeps): Promise<StratumNode> {
  const { config, redis, log } = deps;
  const ps = config.poolServer;
  const keys = keySchema(config.coin);
  const storage = createIoredisStorage(redis);
  const slot = ps.dataDir === null ? null : claimJournalSlot(ps.dataDir);
  const nodeId = await takeNodeId(storage, keys.nodeSeq, slot?.lastNodeId ?? null, log);
  slot?.rememberNodeId(nodeId);
  const metrics = createMetrics();
  const hasherThreads = ps.randomx.threads ?? deps.hasherThreads;
  const hasher =
    deps.hasher ?? createHasher({ mode: ps.randomx.mode, ...(hasherThreads ? { threads: hasherThreads } : {}) });
  const ownsHasher = deps.hasher === undefined;
  const jobs = new JobManager({
    chain: chainFromDaemon(deps.daemon),
    poolAddress: ps.poolAddress,
    nodeId,
    blockRefreshMs: ps.blockRefreshInterval,
    templateRefreshMs: ps.templateRefreshInterval * 1000,
    log: log.child({ part: 'jobs' }),
  });
  await jobs.start();
  const push =
    config.daemon.zmq === null ? null : subscribeChainPush(config.daemon.zmq, jobs, log.child({ part: 'zmq' }));
  const recorder = new ShareRecorder(
    storage,
    {
      prefix: keys.prefix,
      scheme: config.rewards.scheme,
      slushWeight: ps.slushMining.enabled ? ps.slushMining.weight : 0,
      pplnsWindow: config.rewards.pplnsWindow,
      batchMs: ps.shareBatchInterval,
      hashrateWindowSec: config.api.hashrateWindow,
      nodeId,
      journalPath: slot?.journalPath ?? null,
      journalTarget: `${config.redis.host}:${config.redis.port}/${config.redis.db}`,
    },
    log.child({ part: 'recorder' }),
  );
  if (jobs.hasTemplate) recorder.setNetworkDifficulty(jobs.current.difficulty);
  recorder.start();
  const bans = new BanList(ps.banning);
  const pool = new StratumPool({
    settings: {
      network: config.network,
      addressPolicy: ps.addressPolicy,
      fixedDiffSeparator: ps.fixedDiffSeparator,
      varDiff: ps.varDiff,
      shareTrust: ps.shareTrust,
      minerTimeoutSec: ps.minerTimeout,
    },
    jobs,
    hasher,
    recorder,
    bans,
    metrics,
    log: log.child({ part: 'stratum' }),
    submitBlock: (blob) => deps.daemon.submitBlock(blob).then(() => undefined),
    ...(deps.onBan ? { onBan: deps.onBan } : {}),
  });
  pool.start();
  const portSettings: PortSettings[] = ps.ports.map((p) => ({
    port: p.port,
    difficulty: p.difficulty,
    desc: p.desc,
    tls: p.tls,
    proxyProtocol: p.proxyProtocol,
    solo: p.solo,
  }));
  const servers = await startServers(
    pool,
    {
      host: deps.host ?? '0.0.0.0',
      ports: portSettings,
      tls: ps.tls,
      maxLineBytes: ps.maxLineBytes,
      loginTimeoutSec: ps.loginTimeout,
      maxConnectionsPerIp: ps.maxConnectionsPerIp,
      proxyProtocolFrom: ps.proxyProtocolFrom,
    },
    log.child({ part: 'server' }),
    metrics,
  );
  const health = await startNodeHealth(
    ps.health,
    { nodeId, jobs, pool, bans, recorder, metrics, configuredPorts: ps.ports.length, boundPorts: servers.boundPorts },
    log.child({ part: 'health' }),
  );
  log.info({ nodeId, ports: servers.boundPorts, health: health.port }, 'stratum node ready');

  return {
    nodeId,
    ports: servers.boundPorts,
    healthPort: health.port,
    pool,
    jobs,
    bans,
    recorder,
    metrics,
    async stop() {
      health.stopping();
      push?.close();
      const listenersClosed = servers.close(); // no new miner from here on
      await pool.stop(); // ends the sockets, then waits for submits in flight (a found block's submit and recording)
      jobs.stop();
      await listenersClosed;
      await recorder.stop();
      slot?.release();
      await health.close();
      if (ownsHasher) await hasher.close();
    },
  };
}

/** A fresh node id (INCR nodeSeq); when Redis cannot be reached, the id this journal slot used last. */
async function takeNodeId(storage: Storage, seqKey: string, lastId: number | null, log: Logger): Promise<number> {
  try {
    return Number(await storage.command(['INCR', seqKey])) >>> 0;
  } catch (err) {
    if (lastId === null) throw err;
    log.warn(
      { err, nodeId: lastId },
      "Redis unreachable at start: reusing this journal slot's node id; shares are journaled until Redis is back",
    );
    return lastId;
  }
}
