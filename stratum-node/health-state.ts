/**
 * Liveness and readiness of one stratum node, computed from the live objects (no state of its own beyond the start
 * time and a stopping flag), plus the wiring that serves them (health.ts) and publishes them (health-cloudwatch.ts).
 *
 * Data model:
 * - Liveness = the process is not stopping and every configured stratum port is bound. (Answering at all proves
 *   the event loop turns; a hung process does not answer and its health check times out.) monerod plays no part.
 * - Template age = seconds since monerod last confirmed the node's current block template (JobManager.confirmedAt:
 *   a successful tip poll or template fetch); null before the first template.
 * - Readiness = a template exists and its age <= maxTemplateAge seconds. Degraded readiness changes nothing for
 *   miners: they keep their sockets and their current job, and shares are still credited.
 * Each evaluation sets the gauges pool_ready, pool_template_age_seconds, pool_miners and pool_banned_ips.
 */
import type { Logger } from 'pino';
import type { PoolServerConfig } from '../shared/config/schema.js';
import type { BanList } from './bans.js';
import { startCloudWatchPublisher, type MetricSender } from './health-cloudwatch.js';
import { startHealthServer, type HealthReport, type HealthSource } from './health.js';
import type { JobManager } from './jobs.js';
import type { Metrics } from './metrics.js';
import type { StratumPool } from './pool.js';
import type { ShareRecorder } from './recorder.js';

export interface NodeHealthParts {
  readonly nodeId: number;
  readonly jobs: Pick<JobManager, 'hasTemplate' | 'current' | 'confirmedAt' | 'lastError'>;
  readonly pool: Pick<StratumPool, 'minerCount' | 'connections'>;
  readonly bans: Pick<BanList, 'size'>;
  readonly recorder: Pick<ShareRecorder, 'pending'>;
  readonly metrics: Metrics;
  /** Ports configured and ports actually bound. */
  readonly configuredPorts: number;
  readonly boundPorts: readonly number[];
  readonly maxTemplateAgeSec: number;
  readonly now?: () => number;
}

export interface ReadinessSample {
  readonly ready: boolean;
  /** Seconds since monerod confirmed the template; null before the first one. */
  readonly age: number | null;
  readonly reason: string | null;
}

export interface NodeHealth extends HealthSource {
  /** Evaluates readiness (and sets the gauges). */
  sample(): ReadinessSample;
  /** Marks the node as stopping: liveness turns 503 so the load balancer drains it. */
  stopping(): void;
}

export function nodeHealth(p: NodeHealthParts): NodeHealth {
  const now = p.now ?? Date.now;
  const startedAt = now();
  let stopping = false;

  const common = (): Record<string, unknown> => {
    const has = p.jobs.hasTemplate;
    return {
      nodeId: p.nodeId,
      height: has ? p.jobs.current.height : null,
      miners: p.pool.minerCount,
      connections: p.pool.connections.size,
      pendingShares: p.recorder.pending,
      ports: p.boundPorts,
      uptimeSec: Math.round((now() - startedAt) / 1000),
    };
  };

  const readiness = (): ReadinessSample => {
    const confirmed = p.jobs.confirmedAt;
    const age = p.jobs.hasTemplate && confirmed > 0 ? Math.max(0, (now() - confirmed) / 1000) : null;
    let reason: string | null = null;
    if (age === null) reason = 'no block template yet';
    else if (age > p.maxTemplateAgeSec) {
      reason = `block template not confirmed by monerod for ${Math.round(age)} s (max ${p.maxTemplateAgeSec} s)`;
      if (p.jobs.lastError !== null) reason += `: ${p.jobs.lastError}`;
    }
    const ready = reason === null;
    p.metrics.ready.set(ready ? 1 : 0);
    p.metrics.templateAge.set(age === null ? -1 : age);
    p.metrics.miners.set(p.pool.minerCount);
    p.metrics.bannedIps.set(p.bans.size);
    return { ready, age, reason };
  };

  return {
    sample: readiness,
    live(): HealthReport {
      const r = readiness();
      const portsOk = p.boundPorts.length === p.configuredPorts;
      const ok = !stopping && portsOk;
      return {
        ok,
        body: {
          status: ok ? 'ok' : 'down',
          ...(stopping
            ? { reason: 'stopping' }
            : !portsOk
              ? { reason: `${p.boundPorts.length} of ${p.configuredPorts} stratum ports bound` }
              : {}),
          // readiness is reported here for humans; load balancers act on the status code only
          ready: r.ready,
          templateAgeSec: r.age === null ? null : Math.round(r.age),
          ...common(),
        },
      };
    },
    ready(): HealthReport {
      const r = readiness();
      return {
        ok: r.ready,
        body: {
          status: r.ready ? 'ok' : 'degraded',
          ...(r.reason !== null ? { reason: r.reason } : {}),
          ...(p.jobs.lastError !== null ? { lastError: p.jobs.lastError } : {}),
          templateAgeSec: r.age === null ? null : Math.round(r.age),
          maxTemplateAgeSec: p.maxTemplateAgeSec,
          ...common(),
        },
      };
    },
    stopping() {
      stopping = true;
    },
  };
}

export interface NodeHealthService {
  readonly port: number | null;
  readonly health: NodeHealth;
  /** Liveness turns 503 from now on (called first thing in the node's stop()). */
  stopping(): void;
  close(): Promise<void>;
}

/**
 * Serves the node's health (when poolServer.health.enabled) and publishes readiness to CloudWatch (when
 * poolServer.health.cloudwatchNamespace is set). `sender` replaces the CloudWatch client (tests).
 */
export async function startNodeHealth(
  cfg: PoolServerConfig['health'],
  parts: Omit<NodeHealthParts, 'maxTemplateAgeSec'>,
  log: Logger,
  sender?: MetricSender,
): Promise<NodeHealthService> {
  const health = nodeHealth({ ...parts, maxTemplateAgeSec: cfg.maxTemplateAge });
  const server = cfg.enabled ? await startHealthServer(cfg.host, cfg.port, health, parts.metrics) : null;
  const publisher =
    cfg.cloudwatchNamespace !== null
      ? startCloudWatchPublisher({ namespace: cfg.cloudwatchNamespace, health, log, ...(sender ? { sender } : {}) })
      : null;
  return {
    port: server?.port ?? null,
    health,
    stopping: () => health.stopping(),
    async close() {
      publisher?.stop();
      await server?.close();
    },
  };
}
