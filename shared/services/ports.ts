/**
 * Free TCP ports on 127.0.0.1 for locally started services. Ports are drawn at random BELOW the kernel's ephemeral
 * range (net.ipv4.ip_local_port_range), so an outgoing connection can never take a port between our check and the
 * service's bind; each candidate is checked by binding it, and a port handed out by this process is not handed out
 * again for a minute. Starting a service still retries with a new port if the bind fails (another process may win
 * the race).
 *
 * Data model: a process-wide map port -> time handed out.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const recentlyHanded = new Map<number, number>();
const RECENT_MS = 60_000;

function ephemeralStart(): number {
  try {
    const [lo] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && Number.isInteger(lo) && lo > 12_000) return lo;
  } catch {
    // not Linux: fall through
  }
  return 32_768;
}

/** Resolves true when `port` can be bound on host right now. */
export function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => {
      srv.close(() => resolve(true));
    });
  });
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP port that is free on 127.0.0.1 now and was not returned by this process in the last minute. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const now = Date.now();
  for (const [p, t] of recentlyHanded) if (now - t > RECENT_MS) recentlyHanded.delete(p);
  const hi = ephemeralStart() - 1;
  const lo = 20_000;
  for (let i = 0; i < 64; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo + 1));
    if (recentlyHanded.has(port)) continue;
    if (await canBind(port, host)) {
      recentlyHanded.set(port, Date.now());
      return port;
    }
  }
  for (let i = 0; i < 16; i++) {
    const port = await kernelPort(host);
    if (!recentlyHanded.has(port)) {
      recentlyHanded.set(port, Date.now());
      return port;
    }
  }
  throw new Error('freePort: no free port found');
}
