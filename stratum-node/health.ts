/**
 * Health and metrics endpoint of a stratum process (plain node:http, no framework needed for two routes):
 *   GET /health  -> 200 {status:"ok", height, miners, connections, templateAgeSec, nodeId} while the node has a block
 *                   template no older than 10 x templateRefreshInterval and its last poll succeeded, else 503 with the reason.
 *   GET /metrics -> Prometheus text from this process's registry.
 */
import http from 'node:http';
import type { Metrics } from './metrics.js';

export interface HealthSource {
  health(): { ok: boolean; body: Record<string, unknown> };
}

export async function startHealthServer(host: string, port: number, src: HealthSource, metrics: Metrics): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'method not allowed' }));
      return;
    }
    if (path === '/health') {
      const h = src.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(h.body));
      return;
    }
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
