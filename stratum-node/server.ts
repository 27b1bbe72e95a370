/**
 * Miner sockets: one TCP listener per configured port, optionally TLS and/or PROXY protocol v2 (the PROXY header
 * comes first on the raw TCP stream, TLS starts after it, as an NLB sends it). Each socket gets newline framing with
 * a hard line limit, a login timeout, a per-IP connection cap and write back-pressure limits, then its parsed lines
 * go to StratumPool.handle. A socket that misbehaves is closed; other miners never notice.
 *
 * State: Map ip -> open connection count (per process).
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { parseProxyV2, normalizeIp } from './proxy-protocol.js';
import { MSG, fail } from './messages.js';
import type { Connection, PortSettings, StratumPool } from './pool.js';
import type { Metrics } from './metrics.js';
import type { Miner } from './miner.js';

export interface ServerOptions {
  readonly host: string;
  readonly ports: readonly PortSettings[];
  readonly tls: { readonly cert: string; readonly key: string } | null;
  readonly maxLineBytes: number;
  readonly loginTimeoutSec: number;
  readonly maxConnectionsPerIp: number;
  /** Who may send a PROXY header (IPs/CIDRs); empty = anyone. */
  readonly proxyProtocolFrom: readonly string[];
}

export interface StratumServers {
  /** The bound port for each configured port (configured 0 means "any free port", used by tests). */
  readonly boundPorts: readonly number[];
  close(): Promise<void>;
}

const PROXY_HEADER_TIMEOUT_MS = 5000;
const MAX_WRITE_BUFFER = 1 << 20;
const MAX_IN_FLIGHT = 64;
/**
 * A banned IP's sockets stay open this long, answering every request they already sent with "IP Address currently
 * banned" (no request goes unanswered), then close.
 */
const BAN_DRAIN_MS = 1000;
/** At shutdown, how long sockets may take to end after the node ended them before they are destroyed. */
const CLOSE_GRACE_MS = 2000;

/** The allowed PROXY peers as a net.BlockList (used as an allow list). */
function blockList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split('/');
    const type = net.isIPv6(addr!) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr!, type);
    else list.addSubnet(addr!, Number(bits), type);
  }
  return list;
}

/** A duplex over `raw` that first yields `head` (bytes already read from it), then everything `raw` reads. */
function replayStream(raw: net.Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      raw.write(chunk, cb);
    },
    final(cb) {
      raw.end();
      cb();
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  if (head.length > 0) d.push(head);
  raw.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) raw.pause();
  });
  raw.on('end', () => d.push(null));
  raw.on('close', () => d.destroy());
  return d;
}

export async function startServers(
  pool: StratumPool,
  opts: ServerOptions,
  log: Logger,
  metrics: Metrics,
): Promise<StratumServers> {
  const perIp = new Map<string, number>();
  const proxyPeers = opts.proxyProtocolFrom.length > 0 ? blockList(opts.proxyProtocolFrom) : null;
  let secureContext: tls.SecureContext | null = null;
  if (opts.ports.some((p) => p.tls)) {
    if (!opts.tls) throw new Error('a TLS port is configured but poolServer.tls.cert/key are not set');
    secureContext = tls.createSecureContext({ cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) });
  }
  const servers: net.Server[] = [];
  const bound: number[] = [];
  const sockets = new Set<net.Socket>();

  const accept = (raw: net.Socket, port: PortSettings): void => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    raw.on('error', () => undefined);
    raw.setNoDelay(true);
    raw.setKeepAlive(true, 60_000);
    if (!port.proxyProtocol) return open(raw, normalizeIp(raw.remoteAddress), port, null);
    if (
      proxyPeers &&
      !proxyPeers.check(normalizeIp(raw.remoteAddress), net.isIPv6(normalizeIp(raw.remoteAddress)) ? 'ipv6' : 'ipv4')
    ) {
      log.warn({ peer: raw.remoteAddress }, 'PROXY header from a peer not in poolServer.proxyProtocolFrom: closed');
      raw.destroy();
      return;
    }
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => raw.destroy(), PROXY_HEADER_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const r = parseProxyV2(head);
      if (r.state === 'incomplete') return;
      clearTimeout(timer);
      raw.off('data', onData);
      if (r.state === 'invalid') {
        log.debug({ reason: r.reason }, 'bad PROXY header');
        raw.destroy();
        return;
      }
      raw.pause();
      const ip = r.sourceIp ?? normalizeIp(raw.remoteAddress);
      open(raw, ip, port, head.subarray(r.headerLength));
    };
    raw.on('data', onData);
  };

  const open = (raw: net.Socket, ip: string, port: PortSettings, rest: Buffer | null): void => {
    const count = (perIp.get(ip) ?? 0) + 1;
    if (count > opts.maxConnectionsPerIp) {
      raw.end(JSON.stringify(fail(null, MSG.tooManyConnections)) + '\n');
      setTimeout(() => raw.destroy(), 1000).unref();
      return;
    }
    perIp.set(ip, count);
    let socket: net.Socket = raw;
    if (port.tls && secureContext) {
      // After a PROXY header the raw stream has been read in JS, and bytes past the header (often the ClientHello)
      // are already out of the kernel: TLS must read from a stream that replays them first.
      const source = port.proxyProtocol ? replayStream(raw, rest ?? Buffer.alloc(0)) : raw;
      socket = new tls.TLSSocket(source as net.Socket, { isServer: true, secureContext });
      socket.on('error', () => undefined);
      rest = null;
    }
    metrics.connections.inc();
    let closed = false;
    let draining = false;
    let inFlight = 0;
    const conn: Connection & { miner: Miner | null; sendRaw(line: string): void } = {
      ip,
      port,
      miner: null,
      send(msg: object): void {
        conn.sendRaw(JSON.stringify(msg) + '\n');
      },
      sendRaw(line: string): void {
        if (closed || !socket.writable) return;
        if (socket.writableLength > MAX_WRITE_BUFFER) return conn.close('miner is not reading');
        socket.write(line);
      },
      close(reason: string): void {
        if (closed || draining) return;
        if (reason === 'banned') {
          draining = true;
          setTimeout(() => {
            draining = false;
            conn.close('banned, drained');
          }, BAN_DRAIN_MS).unref();
          return;
        }
        closed = true;
        log.debug({ ip, reason }, 'closing miner socket');
        socket.end();
        setTimeout(() => socket.destroy(), 2000).unref();
      },
    };
    let cleaned = false;
    const cleanup = (): void => {
      if (cleaned) return; // both the TLS socket and the raw socket report close
      cleaned = true;
      closed = true;
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
      metrics.connections.dec();
      pool.detach(conn);
      clearTimeout(loginTimer);
    };
    socket.once('close', cleanup);
    raw.once('close', cleanup);
    const loginTimer = setTimeout(() => {
      if (!conn.miner) conn.close('no login in time');
    }, opts.loginTimeoutSec * 1000);
    loginTimer.unref();
    pool.attach(conn);

    // bytes of an unfinished line (null when none: most sockets hold no buffer between lines)
    let buf: Buffer | null = null;
    const onLine = (line: string): void => {
      if (line.length === 0) return;
      if (draining) return answerBanned(line);
      if (line.startsWith('GET ') || line.startsWith('HEAD ')) {
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nmining server online\n');
        closed = true;
        setTimeout(() => socket.destroy(), 2000).unref();
        return;
      }
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        conn.send(fail(null, 'Invalid JSON'));
        conn.close('malformed JSON');
        return;
      }
      if (inFlight >= MAX_IN_FLIGHT) {
        const id = typeof msg === 'object' && msg !== null && 'id' in msg ? (msg as { id: unknown }).id : null;
        conn.send(fail(typeof id === 'number' || typeof id === 'string' ? id : null, MSG.busy));
        return;
      }
      inFlight += 1;
      pool
        .handle(conn, msg)
        .catch((e: unknown) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'stratum handler failed'))
        .finally(() => {
          inFlight -= 1;
        });
    };
    // raw Buffers, no setEncoding: a StringDecoder per socket costs memory on every idle miner; a line is decoded
    // once complete (a multi-byte character split across chunks is whole by then)
    const answerBanned = (line: string): void => {
      let id: unknown = null;
      try {
        const msg: unknown = JSON.parse(line);
        if (typeof msg === 'object' && msg !== null && 'id' in msg) id = msg.id;
      } catch {
        // not JSON: answered with a null id
      }
      conn.send(fail(typeof id === 'number' || typeof id === 'string' ? id : null, MSG.banned));
    };
    socket.on('data', (chunk: Buffer) => {
      if (closed) return;
      let data = buf === null ? chunk : Buffer.concat([buf, chunk]);
      buf = null;
      let nl: number;
      while ((nl = data.indexOf(0x0a)) >= 0 && !closed) {
        const end = nl > 0 && data[nl - 1] === 0x0d ? nl - 1 : nl;
        if (end > opts.maxLineBytes) return conn.close('line too long');
        const line = data.toString('utf8', 0, end);
        data = data.subarray(nl + 1);
        onLine(line);
      }
      if (closed || data.length === 0) return;
      if (data.length > opts.maxLineBytes) {
        conn.close('line too long without newline');
        socket.destroy();
        return;
      }
      buf = Buffer.from(data); // a copy: never pin the whole chunk for a partial line
    });
    if (rest && rest.length > 0) socket.emit('data', rest);
    raw.resume();
  };

  for (const port of opts.ports) {
    const server = net.createServer({ pauseOnConnect: false }, (s) => accept(s, port));
    server.maxConnections = 20_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    bound.push(typeof addr === 'object' && addr ? addr.port : port.port);
    servers.push(server);
    log.info(
      {
        port: bound[bound.length - 1],
        difficulty: port.difficulty,
        tls: port.tls,
        proxyProtocol: port.proxyProtocol,
        solo: port.solo,
      },
      'stratum port listening',
    );
  }

  return {
    boundPorts: bound,
    /** Stops accepting at once; sockets still open after CLOSE_GRACE_MS (a peer that never ends) are destroyed. */
    async close(): Promise<void> {
      const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      const grace = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
    },
  };
}
