/**
 * The load generator of `npm run bench -- load`, run as a child process (its own 20,000-fd budget) and driven over
 * IPC by bench/load.ts. Loopback only: connections come from many 127.x.y.z source addresses (bound with
 * localAddress), so per-IP caps and bans act as they would for real miners.
 *
 * Commands (process.send/on('message')):
 *  - {cmd:'login', port, count, perIp, concurrency}: opens `count` connections, `perIp` per source address, at most
 *    `concurrency` logins in flight; replies {logins: ms latencies, failures}.
 *  - {cmd:'jobs', height}: first/last arrival (epoch ms, performance.timeOrigin based) of a job at `height` over all
 *    logged-in connections, and how many got one; replies when every connection has it or after 10 s.
 *  - {cmd:'flood', port, ips, rate, seconds, honest}: forged shares claiming block difficulty from `ips` (one
 *    connection each, reconnecting when closed) at `rate`/s in total for `seconds`, while the honest miner (already
 *    logged in by 'honest-login', shares pre-mined) submits; replies with every reply's latency and kind.
 *  - {cmd:'honest-login', port, ip, shares}: logs the honest miner in and returns its job, for the parent to pre-mine.
 *  - {cmd:'close'}: closes every socket and exits.
 *
 * Data model: per connection a socket, a line buffer, the pending request times (id -> ms) and job arrival times.
 */
import net from 'node:net';

const now = (): number => performance.timeOrigin + performance.now();

interface Conn {
  socket: net.Socket;
  buf: string;
  pending: Map<number, number>;
  nextId: number;
  session: string;
  job: { job_id: string; blob: string; target: string; height: number; seed_hash: string } | null;
  jobAt: Map<number, number>;
  onReply: (id: number, msg: { error: { message: string } | null; result?: unknown }, ms: number) => void;
  closed: boolean;
}

const conns: Conn[] = [];

function open(port: number, localAddress: string, onReply: Conn['onReply']): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const c: Conn = {
      socket,
      buf: '',
      pending: new Map(),
      nextId: 1,
      session: '',
      job: null,
      jobAt: new Map(),
      onReply,
      closed: false,
    };
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.on('close', () => {
      c.closed = true;
    });
    socket.on('data', (chunk: string) => {
      c.buf += chunk;
      let nl: number;
      while ((nl = c.buf.indexOf('\n')) >= 0) {
        const line = c.buf.slice(0, nl);
        c.buf = c.buf.slice(nl + 1);
        const msg = JSON.parse(line) as {
          id?: number;
          method?: string;
          params?: Conn['job'];
          error: { message: string } | null;
          result?: unknown;
        };
        if (msg.method === 'job' && msg.params) {
          c.job = msg.params;
          if (!c.jobAt.has(msg.params.height)) c.jobAt.set(msg.params.height, now());
          continue;
        }
        const id = typeof msg.id === 'number' ? msg.id : -1;
        const at = c.pending.get(id);
        if (at === undefined) continue;
        c.pending.delete(id);
        c.onReply(id, msg, now() - at);
      }
    });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(c);
    });
  });
}

function request(c: Conn, method: string, params: Record<string, unknown>): number {
  const id = c.nextId++;
  c.pending.set(id, now());
  c.socket.write(JSON.stringify({ id, jsonrpc: '2.0', method, params }) + '\n');
  return id;
}

const ADDRESS = '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';

/** Logs in and resolves with the login latency (ms) or the error message. */
function login(c: Conn, user: string): Promise<number | string> {
  return new Promise((resolve) => {
    c.onReply = (_id, msg, ms) => {
      if (msg.error) return resolve(msg.error.message);
      const r = msg.result as { id: string; job: NonNullable<Conn['job']> };
      c.session = r.id;
      c.job = r.job;
      c.jobAt.set(r.job.height, now());
      resolve(ms);
    };
    request(c, 'login', { login: user, pass: 'x', agent: 'XMRig/6.26.0 (bench)', algo: ['rx/0'] });
  });
}

/** The i-th source address: 127.1.0.1, 127.1.0.2, ... (never .0 or .255). */
function sourceIp(i: number, base = 1): string {
  return `127.${base}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

async function doLogin(
  port: number,
  count: number,
  perIp: number,
  concurrency: number,
): Promise<{ logins: number[]; failures: string[] }> {
  const logins: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        const c = await open(port, sourceIp(Math.floor(i / perIp)), () => undefined);
        const r = await login(c, `${ADDRESS}.b${i}`);
        if (typeof r === 'number') {
          logins.push(r);
          conns.push(c);
        } else {
          failures.push(r);
          c.socket.destroy();
        }
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { logins, failures };
}

async function doJobs(height: number): Promise<{ first: number | null; last: number | null; got: number; of: number }> {
  const deadline = Date.now() + 10_000;
  const live = conns.filter((c) => !c.closed);
  while (Date.now() < deadline && live.some((c) => !c.jobAt.has(height))) await new Promise((r) => setTimeout(r, 50));
  const times = live.map((c) => c.jobAt.get(height)).filter((t): t is number => t !== undefined);
  return {
    first: times.length ? Math.min(...times) : null,
    last: times.length ? Math.max(...times) : null,
    got: times.length,
    of: live.length,
  };
}

let honest: Conn | null = null;

async function doHonestLogin(port: number, ip: string): Promise<Conn['job']> {
  honest = await open(port, ip, () => undefined);
  const r = await login(honest, `${ADDRESS}.honest+1`);
  if (typeof r !== 'number') throw new Error(`honest login failed: ${r}`);
  return honest.job;
}

interface FloodReport {
  floodReplies: { ms: number; kind: string }[];
  floodSent: number;
  /** Requests whose socket closed before an answer (after a ban). */
  floodCut: number;
  /** ms from the flood start to the first "banned" answer, per IP (null: never). */
  bannedAfterMs: Record<string, number | null>;
  honestReplies: { ms: number; kind: string }[];
  /** Reconnections of flooding IPs refused at login ("banned"). */
  loginsRefused: number;
}

const BLOCK_CLAIM = '01' + '00'.repeat(31);

async function doFlood(
  port: number,
  ips: string[],
  rate: number,
  seconds: number,
  honestShares: { nonce: string; result: string }[],
): Promise<FloodReport> {
  const report: FloodReport = {
    floodReplies: [],
    floodSent: 0,
    floodCut: 0,
    bannedAfterMs: {},
    honestReplies: [],
    loginsRefused: 0,
  };
  const start = now();
  const end = start + seconds * 1000;
  const kind = (msg: { error: { message: string } | null }): string => msg.error?.message ?? 'OK';
  const flooders = new Map<string, Conn | null>();
  const cut = (c: Conn): void => {
    report.floodCut += c.pending.size;
    c.pending.clear();
  };
  const connect = async (ip: string): Promise<void> => {
    flooders.set(ip, null);
    try {
      const c = await open(port, ip, () => undefined);
      const r = await login(c, `${ADDRESS}.flood`);
      if (typeof r === 'string') {
        if (r.includes('banned')) {
          report.bannedAfterMs[ip] ??= now() - start;
          report.loginsRefused += 1;
        }
        c.socket.destroy();
        return;
      }
      c.onReply = (_id, msg, ms) => {
        const k = kind(msg);
        report.floodReplies.push({ ms, kind: k });
        if (k.includes('banned')) report.bannedAfterMs[ip] ??= now() - start;
      };
      c.socket.on('close', () => cut(c));
      flooders.set(ip, c);
    } catch {
      // refused: try again on the next tick
    }
  };
  for (const ip of ips) report.bannedAfterMs[ip] = null;
  // the honest miner has mined before the attack: one verified share (not counted in the flood's figures)
  const warm = honestShares.shift();
  if (honest && warm) {
    const h = honest;
    await new Promise<void>((resolve) => {
      h.onReply = () => resolve();
      request(h, 'submit', {
        id: h.session,
        job_id: h.job!.job_id,
        nonce: warm.nonce,
        result: warm.result,
        algo: 'rx/0',
      });
    });
  }
  await Promise.all(ips.map(connect));
  let nonce = 0x50000000;
  const perTick = Math.max(1, Math.round(rate / 100)); // 10 ms ticks
  let honestNext = 0;
  const honestEvery = Math.max(1, Math.floor((seconds * 100) / Math.max(1, honestShares.length)));
  let tick = 0;
  while (now() < end) {
    for (let k = 0; k < perTick; k++) {
      const ip = ips[(tick * perTick + k) % ips.length]!;
      const c = flooders.get(ip);
      if (c === undefined) continue;
      if (c === null || c.closed) {
        if (c !== null) void connect(ip); // closed after a ban: it tries again, as an attacker would
        continue;
      }
      const j = c.job!;
      request(c, 'submit', {
        id: c.session,
        job_id: j.job_id,
        nonce: (nonce++ >>> 0).toString(16).padStart(8, '0'),
        result: BLOCK_CLAIM,
        algo: 'rx/0',
      });
      report.floodSent += 1;
    }
    if (honest && tick % honestEvery === 0 && honestNext < honestShares.length) {
      const s = honestShares[honestNext++]!;
      honest.onReply = (_id, msg, ms) => report.honestReplies.push({ ms, kind: kind(msg) });
      request(honest, 'submit', {
        id: honest.session,
        job_id: honest.job!.job_id,
        nonce: s.nonce,
        result: s.result,
        algo: 'rx/0',
      });
    }
    tick += 1;
    const wait = start + tick * 10 - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  // let the answers in flight arrive
  const settle = now() + 15_000;
  while (
    now() < settle &&
    ([...flooders.values()].some((c) => c && !c.closed && c.pending.size > 0) || (honest && honest.pending.size > 0))
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const c of flooders.values()) if (c) c.socket.destroy();
  return report;
}

process.on('message', (m: { cmd: string; [k: string]: unknown }) => {
  const reply = (v: unknown): void => void process.send!({ cmd: m.cmd, value: v });
  const fail = (e: unknown): void =>
    void process.send!({ cmd: m.cmd, error: e instanceof Error ? e.message : String(e) });
  switch (m.cmd) {
    case 'login':
      doLogin(m.port as number, m.count as number, m.perIp as number, m.concurrency as number).then(reply, fail);
      break;
    case 'jobs':
      doJobs(m.height as number).then(reply, fail);
      break;
    case 'honest-login':
      doHonestLogin(m.port as number, m.ip as string).then(reply, fail);
      break;
    case 'flood':
      doFlood(
        m.port as number,
        m.ips as string[],
        m.rate as number,
        m.seconds as number,
        m.honest as { nonce: string; result: string }[],
      ).then(reply, fail);
      break;
    case 'close':
      for (const c of conns) c.socket.destroy();
      honest?.socket.destroy();
      reply(true);
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
process.send?.({ cmd: 'ready' });
