/**
 * Miner sockets: one TCP listener per configured port, optionally TLS and/or PROXY protocol v2 (the PROXY header
 * comes first on the raw TCP stream, TLS starts after it, as an NLB sends it). Each socket gets newline framing with
 * a hard line limit, a login timeout, a per-IP connection cap and write back-pressure limits, then its parsed lines
 * go to StratumPool.handle. A socket that misbehaves is closed; other miners never notice.
 *
 * State (per process): Map ip -> open connection count; Map connection not logged in yet -> login deadline (ms),
 * swept every LOGIN_SWEEP_MS (one timer for all sockets, so a socket closes at most that much after its deadline);
 * the set of raw sockets (closed on shutdown). Per socket: a MinerConnection {ip, port, socket, miner, closed,
 * draining, cleaned, inFlight, buf (an unfinished line, usually null)} that the socket points to (kConn); the
 * socket's listeners are functions shared by all sockets.
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
/** How often sockets that have not logged in are checked against poolServer.loginTimeout (at most this late). */
const LOGIN_SWEEP_MS = 1000;
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

/** What every connection of one startServers call shares. */
interface ServerContext {
  readonly pool: StratumPool;
  readonly opts: ServerOptions;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** ip -> open connections */
  readonly perIp: Map<string, number>;
  /** connections not logged in yet -> their login deadline (ms): swept every LOGIN_SWEEP_MS */
  readonly awaitingLogin: Map<MinerConnection, number>;
}

/** The connection a socket belongs to (set on the raw socket and on its TLS socket): shared listeners find it here. */
const kConn = Symbol('stratum connection');
type OwnedSocket = net.Socket & { [kConn]?: MinerConnection };

function ignoreError(): void {
  // a socket error is followed by 'close', which cleans up
}

/**
 * One miner socket: newline framing with the line limit, requests in flight, back-pressure, the ban drain and the
 * close. Listeners are shared functions (on the prototype or per server, never per socket): memory per connection
 * is what lets one node hold tens of thousands of miners.
 */
class MinerConnection implements Connection {
  miner: Miner | null = null;
  private closed = false;
  private draining = false;
  private cleaned = false;
  private inFlight = 0;
  /** bytes of an unfinished line (null when none: most sockets hold no buffer between lines) */
  private buf: Buffer | null = null;

  constructor(
    private readonly ctx: ServerContext,
    readonly ip: string,
    readonly port: PortSettings,
    private readonly socket: net.Socket,
  ) {}

  send(msg: object): void {
    this.sendRaw(JSON.stringify(msg) + '\n');
  }

  /** Writes one whole line (job-message.ts makes broadcast lines). */
  sendRaw(line: string): void {
    if (this.closed || !this.socket.writable) return;
    if (this.socket.writableLength > MAX_WRITE_BUFFER) return this.close('miner is not reading');
    this.socket.write(line);
  }

  close(reason: string): void {
    if (this.closed || this.draining) return;
    if (reason === 'banned') {
      this.draining = true;
      setTimeout(() => {
        this.draining = false;
        this.close('banned, drained');
      }, BAN_DRAIN_MS).unref();
      return;
    }
    this.closed = true;
    this.ctx.log.debug({ ip: this.ip, reason }, 'closing miner socket');
    this.socket.end();
    const socket = this.socket;
    setTimeout(() => socket.destroy(), 2000).unref();
  }

  /** Once, when the TLS or the raw socket closes (both report it). */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    this.closed = true;
    const { perIp, metrics, pool, awaitingLogin } = this.ctx;
    const left = (perIp.get(this.ip) ?? 1) - 1;
    if (left <= 0) perIp.delete(this.ip);
    else perIp.set(this.ip, left);
    metrics.connections.dec();
    awaitingLogin.delete(this);
    pool.detach(this);
  }

  /**
   * Raw Buffers, no setEncoding (a StringDecoder per socket costs memory on every idle miner): a line is decoded
   * once complete, so a multi-byte character split across chunks is whole by then.
   */
  onData(chunk: Buffer): void {
    if (this.closed) return;
    const max = this.ctx.opts.maxLineBytes;
    let data = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = null;
    let nl: number;
    while ((nl = data.indexOf(0x0a)) >= 0 && !this.closed) {
      const end = nl > 0 && data[nl - 1] === 0x0d ? nl - 1 : nl;
      if (end > max) return this.close('line too long');
      const line = data.toString('utf8', 0, end);
      data = data.subarray(nl + 1);
      this.onLine(line);
    }
    if (this.closed || data.length === 0) return;
    if (data.length > max) {
      this.close('line too long without newline');
      this.socket.destroy();
      return;
    }
    this.buf = Buffer.from(data); // a copy: never pin the whole chunk for a partial line
  }

  private onLine(line: string): void {
    if (line.length === 0) return;
    if (this.draining) return this.answerBanned(line);
    if (line.startsWith('GET ') || line.startsWith('HEAD ')) {
      this.socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nmining server online\n');
      this.closed = true;
      const socket = this.socket;
      setTimeout(() => socket.destroy(), 2000).unref();
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.send(fail(null, 'Invalid JSON'));
      this.close('malformed JSON');
      return;
    }
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.send(fail(requestId(msg), MSG.busy));
      return;
    }
    this.inFlight += 1;
    this.ctx.pool
      .handle(this, msg)
      .catch((e: unknown) =>
        this.ctx.log.error({ err: e instanceof Error ? e.message : String(e) }, 'stratum handler failed'),
      )
      .finally(() => {
        this.inFlight -= 1;
      });
  }

  private answerBanned(line: string): void {
    let msg: unknown = null;
    try {
      msg = JSON.parse(line);
    } catch {
      // not JSON: answered with a null id
    }
    this.send(fail(requestId(msg), MSG.banned));
  }
}

/** A request's id when it is a number or a string, else null. */
function requestId(msg: unknown): number | string | null {
  const id = typeof msg === 'object' && msg !== null && 'id' in msg ? msg.id : null;
  return typeof id === 'number' || typeof id === 'string' ? id : null;
}

/** Closes the connections still not logged in at their deadline; forgets those that logged in or closed. */
function sweepLogins(awaiting: Map<MinerConnection, number>, now: number): void {
  for (const [conn, deadline] of awaiting) {
    if (conn.miner !== null) awaiting.delete(conn);
    else if (now >= deadline) {
      awaiting.delete(conn);
      conn.close('no login in time');
    }
  }
}

export async function startServers(
  pool: StratumPool,
  opts: ServerOptions,
  log: Logger,
  metrics: Metrics,
): Promise<StratumServers> {
  const ctx: ServerContext = { pool, opts, log, metrics, perIp: new Map(), awaitingLogin: new Map() };
  const proxyPeers = opts.proxyProtocolFrom.length > 0 ? blockList(opts.proxyProtocolFrom) : null;
  let secureContext: tls.SecureContext | null = null;
  if (opts.ports.some((p) => p.tls)) {
    if (!opts.tls) throw new Error('a TLS port is configured but poolServer.tls.cert/key are not set');
    secureContext = tls.createSecureContext({ cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) });
  }
  const servers: net.Server[] = [];
  const bound: number[] = [];
  const sockets = new Set<net.Socket>();
  const loginSweep = setInterval(
    () => sweepLogins(ctx.awaitingLogin, Date.now()),
    Math.max(100, Math.min(LOGIN_SWEEP_MS, opts.loginTimeoutSec * 1000)),
  );
  loginSweep.unref();

  // shared by every socket (a closure per socket would cost memory on each)
  function onRawClose(this: OwnedSocket): void {
    sockets.delete(this);
    this[kConn]?.cleanup();
  }
  function onTlsClose(this: OwnedSocket): void {
    this[kConn]?.cleanup();
  }
  function onSocketData(this: OwnedSocket, chunk: Buffer): void {
    this[kConn]?.onData(chunk);
  }

  const accept = (raw: net.Socket, port: PortSettings): void => {
    sockets.add(raw);
    raw.on('close', onRawClose);
    raw.on('error', ignoreError);
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

  const open = (raw: OwnedSocket, ip: string, port: PortSettings, rest: Buffer | null): void => {
    const count = (ctx.perIp.get(ip) ?? 0) + 1;
    if (count > opts.maxConnectionsPerIp) {
      raw.end(JSON.stringify(fail(null, MSG.tooManyConnections)) + '\n');
      setTimeout(() => raw.destroy(), 1000).unref();
      return;
    }
    ctx.perIp.set(ip, count);
    let socket: OwnedSocket = raw;
    if (port.tls && secureContext) {
      // After a PROXY header the raw stream has been read in JS, and bytes past the header (often the ClientHello)
      // are already out of the kernel: TLS must read from a stream that replays them first.
      const source = port.proxyProtocol ? replayStream(raw, rest ?? Buffer.alloc(0)) : raw;
      socket = new tls.TLSSocket(source as net.Socket, { isServer: true, secureContext });
      socket.on('error', ignoreError);
      socket.on('close', onTlsClose);
      rest = null;
    }
    metrics.connections.inc();
    const conn = new MinerConnection(ctx, ip, port, socket);
    raw[kConn] = conn;
    socket[kConn] = conn;
    ctx.awaitingLogin.set(conn, Date.now() + opts.loginTimeoutSec * 1000);
    pool.attach(conn);
    socket.on('data', onSocketData);
    if (rest && rest.length > 0) conn.onData(rest);
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
      clearInterval(loginSweep);
      const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      const grace = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
    },
  };
}
