/**
 * What a stratum instance changes in the operator's pool config (used by stratum-config.ts at each service start).
 *
 * Instance environment (written by infra/lib/stratum.ts into /etc/xmr-pool/cloud.env), beyond shared/cloud/env.ts:
 *   POOL_PROXY_PROTOCOL_FROM  comma-separated CIDRs of the load balancer's subnets: the only peers allowed to send a
 *                             PROXY header (required: every port speaks PROXY protocol v2 behind the NLB, and the
 *                             config refuses PROXY ports without poolServer.proxyProtocolFrom)
 *   POOL_DAEMON_ZMQ           monerod's ZMQ publisher, "tcp://HOST:PORT" (empty or absent: poll only)
 *   POOL_METRICS_NAMESPACE    CloudWatch namespace for the node's readiness metrics (poolServer.health.cloudwatchNamespace)
 *
 * Overrides: every port gets proxyProtocol true; poolServer.proxyProtocolFrom from the env; poolServer.dataDir in the
 * unit's state directory; the health endpoint on
 * all interfaces at the file's port (the load balancer's health checks); daemon.zmq; the back-office modules off
 * (they run on Lambda).
 */
import type { ConfigOverrides } from '../../shared/config/load.js';
import type { PoolConfig } from '../../shared/config/schema.js';
import { CLOUD_ENV, type Env } from '../../shared/cloud/env.js';

export const STRATUM_ENV = {
  proxyProtocolFrom: 'POOL_PROXY_PROTOCOL_FROM',
  daemonZmq: 'POOL_DAEMON_ZMQ',
} as const;

/** Where a stratum instance keeps its share journal (poolServer.dataDir). */
export const STRATUM_DATA_DIR = '/var/lib/xmr-pool/stratum';

export function stratumOverrides(env: Env, base: PoolConfig): ConfigOverrides {
  const from = (env[STRATUM_ENV.proxyProtocolFrom] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (from.length === 0) {
    throw new Error(
      `${STRATUM_ENV.proxyProtocolFrom} is empty: the load balancer's subnets are needed to accept its PROXY protocol headers`,
    );
  }
  const zmq = (env[STRATUM_ENV.daemonZmq] ?? '').trim();
  const namespace = (env[CLOUD_ENV.metricsNamespace] ?? '').trim();
  return {
    poolServer: {
      ports: base.poolServer.ports.map((p) => ({ ...p, proxyProtocol: true })),
      proxyProtocolFrom: from,
      // the share journal lives in systemd's state directory (StateDirectory=xmr-pool in the unit): on the
      // instance's disk, kept across service restarts and source redeploys
      dataDir: STRATUM_DATA_DIR,
      health: {
        enabled: true,
        host: '0.0.0.0',
        port: base.poolServer.health.port,
        ...(namespace !== '' ? { cloudwatchNamespace: namespace } : {}),
      },
    },
    ...(zmq !== '' ? { daemon: { zmq } } : {}),
    api: { enabled: false },
    payments: { enabled: false },
    blockUnlocker: { enabled: false },
  };
}
