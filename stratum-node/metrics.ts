/**
 * Prometheus metrics of one stratum process (prom-client, its own registry so tests can run several nodes).
 * Names: pool_shares_total{result}, pool_hashes_total (credited difficulty), pool_blocks_total{result},
 * pool_logins_total, pool_login_failures_total, pool_trusted_shares_total, pool_vardiff_retargets_total,
 * pool_connections (gauge), pool_miners (gauge), pool_share_hash_seconds (histogram), pool_banned_ips (gauge),
 * pool_ready (gauge: 1 while monerod confirmed the block template within poolServer.health.maxTemplateAge, else 0)
 * and pool_template_age_seconds (gauge: seconds since monerod last confirmed it, -1 before the first template);
 * both are set on every health evaluation (each /metrics scrape, /live, /ready and the CloudWatch publisher's tick).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly shares: Counter<'result'>;
  readonly hashes: Counter;
  readonly blocks: Counter<'result'>;
  readonly logins: Counter;
  readonly loginFailures: Counter;
  readonly trustedShares: Counter;
  readonly retargets: Counter;
  readonly connections: Gauge;
  readonly miners: Gauge;
  readonly bannedIps: Gauge;
  readonly ready: Gauge;
  readonly templateAge: Gauge;
  readonly hashSeconds: Histogram;
}

export function createMetrics(defaults = true): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    shares: new Counter({ name: 'pool_shares_total', help: 'Shares by outcome', labelNames: ['result'], registers }),
    hashes: new Counter({ name: 'pool_hashes_total', help: 'Credited difficulty of accepted shares', registers }),
    blocks: new Counter({
      name: 'pool_blocks_total',
      help: 'Block candidates submitted',
      labelNames: ['result'],
      registers,
    }),
    logins: new Counter({ name: 'pool_logins_total', help: 'Successful logins', registers }),
    loginFailures: new Counter({ name: 'pool_login_failures_total', help: 'Rejected logins', registers }),
    trustedShares: new Counter({
      name: 'pool_trusted_shares_total',
      help: 'Shares accepted without hashing',
      registers,
    }),
    retargets: new Counter({ name: 'pool_vardiff_retargets_total', help: 'Vardiff changes', registers }),
    connections: new Gauge({ name: 'pool_connections', help: 'Open miner sockets', registers }),
    miners: new Gauge({ name: 'pool_miners', help: 'Logged-in miners', registers }),
    bannedIps: new Gauge({ name: 'pool_banned_ips', help: 'IPs currently banned', registers }),
    ready: new Gauge({
      name: 'pool_ready',
      help: '1 while monerod confirmed the block template recently (readiness), else 0',
      registers,
    }),
    templateAge: new Gauge({
      name: 'pool_template_age_seconds',
      help: 'Seconds since monerod last confirmed the block template',
      registers,
    }),
    hashSeconds: new Histogram({
      name: 'pool_share_hash_seconds',
      help: 'Time to verify one share (queue + RandomX)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}
