/**
 * Health and metrics endpoint of a stratum process (plain node:http, no framework needed for four routes). Liveness
 * and readiness are separate on purpose: a monerod outage must never make the load balancer or the Auto Scaling
 * group replace healthy nodes (miners keep their sockets and current job), while a hung process still is replaced.
 *
 *   GET /live, /health -> liveness: 200 {status:"ok", ready, ...} while this process answers (its event loop
 *                         turns) and serves its stratum ports, whatever monerod does; 503 once the node is stopping
 *                         or lost its ports. A hung process answers nothing, so the health check times out. This is
 *                         what the NLB target groups (and through them the Auto Scaling group) act on.
 *   GET /ready         -> readiness: 200 {status:"ok", ...} while monerod confirmed the block template within
 *                         poolServer.health.maxTemplateAge, else 503 {status:"degraded", reason, ...}. For
 *                         monitoring and alarms (pool_ready, CloudWatch StratumReady), never for replacement.
 *   GET /metrics       -> Prometheus text from this process's registry (readiness gauges refreshed first).
 * Bodies are JSON with `cache-control: no-store`; HEAD is answered like GET without a body; other methods 405.
 */
import http from 'node:http';
import type { Metrics } from './metrics.js';

export interface HealthReport {
  readonly ok: boolean;
  readonly body: Record<string, unknown>;
}

export interface HealthSource {
  live(): HealthReport;
  ready(): HealthReport;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(
  host: string,
  port: number,
  src: HealthSource,
  metrics: Metrics,
): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => {
      res
        .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method not allowed' });
    if (path === '/live' || path === '/health') {
      const h = src.live();
      return json(h.ok ? 200 : 503, h.body);
    }
    if (path === '/ready') {
      const h = src.ready();
      return json(h.ok ? 200 : 503, h.body);
    }
    if (path === '/metrics') {
      src.ready(); // refreshes pool_ready / pool_template_age_seconds
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
      return;
    }
    return json(404, { error: 'not found' });
  });
  // a health check must not hold a socket open forever, nor wait long for its request
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
