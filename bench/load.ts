/**
 * `npm run bench -- load [--connections N] [--flood-seconds S] [--flood-rate R] [--fast]`: one stratum node under
 * load, on real parts (redis-server, monerod --regtest with its ZMQ publisher, the native hasher in light mode, or
 * with `--fast` in fast mode: its 2 GiB dataset is built before the scenario starts), loopback only.
 * The node runs in this process; the load generator (bench/load-client.ts) in a child process, so each stays under
 * the 20,000-fd limit. Measured, never asserted:
 *  - login burst: N connections from N/50 source addresses (127.1.x.y), LOGIN_CONCURRENCY logins in flight: latency
 *    p50/p99/max;
 *  - memory: the node's RSS and JS heap before and after (after a full GC), per connection;
 *  - block to job: a block made on monerod (generateblocks; its time = our own ZMQ subscriber's receipt of the
 *    chain_main message) to the first and the last miner's job for the new height, three times;
 *  - forged-share flood: R shares/s for S s from 50 addresses (127.9.0.x), each claiming block difficulty, while an
 *    honest miner (127.8.0.1; one verified share before the flood, as a miner already mining when an attack starts)
 *    submits pre-mined shares (HONEST_RATE/s): answers, reply latencies, time until each flooding IP is
 *    banned, the honest miner's reply latencies and refusals;
 *  - the event loop's worst stall in each phase.
 * Bounded: connections default 19,000 (max 19,500), flood at most 30 s.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Subscriber } from 'zeromq';
import { createHasher } from '../native/index.js';
import { hexToBytes, bytesToHex } from '../shared/hex.js';
import { hashMeetsDifficulty } from '../shared/monero/difficulty.js';
import { createDaemonClient } from '../shared/rpc/daemon.js';
import { configFromObject } from '../shared/config/load.js';
import { pino } from 'pino';
import { freePort, startMonerod, startRedis } from '../shared/services/index.js';
import { startStratumNode } from '../stratum-node/index.js';
import { memoryReader } from './memory.js';

const POOL_ADDRESS = '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';
const NETWORK_DIFFICULTY = 50;
const PER_IP = 50;
const FLOOD_IPS = Array.from({ length: 50 }, (_, i) => `127.9.0.${i + 1}`);
const HONEST_IP = '127.8.0.1';
/** The honest miner submits this many shares per second during the flood (xmrig at vardiff's 30 s target: 1/30). */
const HONEST_RATE = 2;
const BLOCKS = 3;
/** Logins in flight during the burst (each connection logs in as soon as it is open). */
const LOGIN_CONCURRENCY = 100;

export interface LoadOptions {
  connections: number;
  floodSeconds: number;
  floodRate: number;
  /** The node's RandomX mode (poolServer.randomx.mode). */
  randomx: 'light' | 'fast';
}

function arg(args: readonly string[], name: string, def: number, max: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number`);
  return Math.min(v, max);
}

export function loadOptions(args: readonly string[]): LoadOptions {
  return {
    connections: arg(args, '--connections', 19_000, 19_500),
    floodSeconds: arg(args, '--flood-seconds', 10, 30),
    floodRate: arg(args, '--flood-rate', 2000, 5000),
    randomx: args.includes('--fast') ? 'fast' : 'light',
  };
}

const pct = (xs: number[], p: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!);
};
const round = (x: number): number => Math.round(x * 10) / 10;

/** Talks to the load generator: one request at a time per command name. */
class Generator {
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;
  constructor(readonly child: ChildProcess) {
    let ready!: () => void;
    this.ready = new Promise((r) => (ready = r));
    child.on('message', (m: { cmd: string; value?: unknown; error?: string }) => {
      if (m.cmd === 'ready') return ready();
      const w = this.waiting.get(m.cmd);
      this.waiting.delete(m.cmd);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.value);
    });
  }
  call<T>(cmd: string, params: Record<string, unknown> = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(cmd, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ cmd, ...params });
    });
  }
}

function stallMonitor(): { stop(): number } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    stop() {
      h.disable();
      return round(h.max / 1e6);
    },
  };
}

export async function benchLoad(opts: LoadOptions): Promise<Record<string, unknown>[]> {
  const memory = memoryReader();
  const redisSvc = await startRedis();
  const monerod = await startMonerod({ fixedDifficulty: NETWORK_DIFFICULTY, zmq: true });
  const redis = new Redis({ host: '127.0.0.1', port: redisSvc.port, maxRetriesPerRequest: 2 });
  const daemon = createDaemonClient({ host: '127.0.0.1', port: monerod.port, timeout: 60_000, retries: 2 });
  const port = await freePort();
  const config = configFromObject({
    coin: 'monero',
    poolServer: {
      poolAddress: POOL_ADDRESS,
      clusterForks: 1,
      dataDir: null,
      health: { enabled: false },
      ports: [{ port, difficulty: 10, desc: 'bench' }],
      varDiff: { minDiff: 1, maxDiff: 1000, targetTime: 60, retargetTime: 3600, variancePercent: 30, maxJump: 100 },
    },
    daemon: { host: '127.0.0.1', port: monerod.port, zmq: monerod.zmqPub },
    redis: { host: '127.0.0.1', port: redisSvc.port },
    api: { enabled: false, password: 'not-the-example' },
    payments: { enabled: false },
    blockUnlocker: { enabled: false },
  });
  const hasher = createHasher({ mode: opts.randomx });
  // info-level logs as in production; the 'jobs broadcast' lines give the node's own broadcast time per block
  const broadcasts: { height: number; miners: number; ms: number }[] = [];
  const log = pino(
    { level: 'info' },
    {
      write(line: string) {
        if (line.includes('"jobs broadcast"'))
          broadcasts.push(JSON.parse(line) as { height: number; miners: number; ms: number });
      },
    },
  );
  const node = await startStratumNode({ config, redis, daemon, log, host: '127.0.0.1', hasher });
  await hasher.prepareSeed(node.jobs.current.seedHash); // the 256 MiB cache is not a per-connection cost
  if (opts.randomx === 'fast') {
    // fast mode hashes in light mode until the dataset is built: the scenario starts once it is
    const deadline = Date.now() + 600_000;
    while (hasher.stats().seeds.find((x) => x.key === node.jobs.current.seedHash)?.dataset !== 'ready') {
      if (Date.now() > deadline) throw new Error('fast mode: the RandomX dataset was not ready within 10 minutes');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  // our own subscriber dates each block: the time monerod published it
  const sub = new Subscriber();
  sub.connect(monerod.zmqPub!);
  sub.subscribe('json-minimal-chain_main');
  const published: number[] = [];
  void (async () => {
    for await (const _ of sub) published.push(performance.timeOrigin + performance.now());
  })().catch(() => undefined);

  const child = fork(
    join(import.meta.dirname, '..', 'bin', 'run-ts.mjs'),
    [join(import.meta.dirname, 'load-client.ts')],
    { stdio: 'inherit' },
  );
  const gen = new Generator(child);
  const rows: Record<string, unknown>[] = [];
  try {
    await gen.ready;
    const before = memory();
    let stall = stallMonitor();
    const t0 = Date.now();
    const login = await gen.call<{ logins: number[]; failures: string[] }>('login', {
      port,
      count: opts.connections,
      perIp: PER_IP,
      concurrency: LOGIN_CONCURRENCY,
    });
    const loginSeconds = (Date.now() - t0) / 1000;
    const loginStall = stall.stop();
    const after = memory();
    const n = login.logins.length;
    rows.push({
      suite: 'load',
      case: 'login burst',
      connections: n,
      failures: login.failures.length,
      firstFailure: login.failures[0] ?? null,
      seconds: round(loginSeconds),
      loginP50Ms: pct(login.logins, 50),
      loginP99Ms: pct(login.logins, 99),
      loginMaxMs: pct(login.logins, 100),
      maxEventLoopStallMs: loginStall,
    });
    rows.push({
      suite: 'load',
      case: 'memory',
      connections: n,
      rssPerConnectionKiB: n ? round((after.rss - before.rss) / n / 1024) : null,
      heapPerConnectionKiB: n ? round((after.heap - before.heap) / n / 1024) : null,
      rssMiB: round(after.rss / 2 ** 20),
    });

    const firsts: number[] = [];
    const lasts: number[] = [];
    stall = stallMonitor();
    for (let b = 0; b < BLOCKS; b++) {
      await new Promise((r) => setTimeout(r, 1500)); // let the previous broadcast and its replies settle
      const seen = published.length;
      const { height } = await daemon.generateBlocks(1, POOL_ADDRESS);
      const jobs = await gen.call<{ first: number | null; last: number | null; got: number; of: number }>('jobs', {
        height: height + 1,
      });
      const at = published[seen];
      if (at === undefined || jobs.first === null || jobs.last === null) continue;
      firsts.push(jobs.first - at);
      lasts.push(jobs.last - at);
      if (jobs.got < jobs.of)
        rows.push({ suite: 'load', case: `block ${b}: miners without the new job`, missing: jobs.of - jobs.got });
    }
    rows.push({
      suite: 'load',
      case: 'block to job',
      blocks: firsts.length,
      firstMinerMs: firsts.map(round),
      lastMinerMs: lasts.map(round),
      worstFirstMs: firsts.length ? round(Math.max(...firsts)) : null,
      worstLastMs: lasts.length ? round(Math.max(...lasts)) : null,
      /** The node's own time from the new template to the last job written (the clients' parsing is not in it). */
      nodeBroadcastMs: broadcasts.filter((b) => b.miners > 1000).map((b) => b.ms),
      maxEventLoopStallMs: stall.stop(),
    });

    // the honest miner's shares are mined before the flood (none a block, so the job stays the same)
    const job = await gen.call<{ blob: string; seed_hash: string; height: number; job_id: string }>('honest-login', {
      port,
      ip: HONEST_IP,
    });
    const miner = createHasher({ mode: 'light', threads: 2 });
    const shares: { nonce: string; result: string }[] = [];
    try {
      const blob = hexToBytes(job.blob);
      for (let nonce = 1; shares.length < HONEST_RATE * opts.floodSeconds + 1; nonce++) {
        const b = Uint8Array.from(blob);
        new DataView(b.buffer).setUint32(39, nonce, true);
        const h = await miner.hash(job.seed_hash, b);
        if (hashMeetsDifficulty(h, BigInt(NETWORK_DIFFICULTY))) continue;
        shares.push({ nonce: bytesToHex(b.subarray(39, 43)), result: bytesToHex(h) });
      }
    } finally {
      await miner.close();
    }
    stall = stallMonitor();
    const flood = await gen.call<{
      floodReplies: { ms: number; kind: string }[];
      floodSent: number;
      floodCut: number;
      bannedAfterMs: Record<string, number | null>;
      honestReplies: { ms: number; kind: string }[];
      loginsRefused: number;
    }>('flood', { port, ips: FLOOD_IPS, rate: opts.floodRate, seconds: opts.floodSeconds, honest: shares });
    const floodStall = stall.stop();
    const kinds: Record<string, number> = {};
    for (const r of flood.floodReplies) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
    const honestKinds: Record<string, number> = {};
    for (const r of flood.honestReplies) honestKinds[r.kind] = (honestKinds[r.kind] ?? 0) + 1;
    const bannedAfter = Object.values(flood.bannedAfterMs);
    rows.push({
      suite: 'load',
      case: 'forged-share flood',
      randomx: opts.randomx,
      ratePerSecond: opts.floodRate,
      seconds: opts.floodSeconds,
      ips: FLOOD_IPS.length,
      sent: flood.floodSent,
      answered: flood.floodReplies.length,
      cutByBan: flood.floodCut,
      unanswered: flood.floodSent - flood.floodReplies.length - flood.floodCut,
      answers: kinds,
      replyP99Ms: pct(
        flood.floodReplies.map((r) => r.ms),
        99,
      ),
      ipsBanned: FLOOD_IPS.filter((ip) => node.bans.isBanned(ip)).length,
      worstTimeToBanMs: bannedAfter.includes(null) ? null : round(Math.max(...(bannedAfter as number[]))),
      loginsRefusedAfterBan: flood.loginsRefused,
      honestSent: shares.length - 1,
      honestRatePerSecond: HONEST_RATE,
      honestAnswers: honestKinds,
      honestReplyP99Ms: pct(
        flood.honestReplies.map((r) => r.ms),
        99,
      ),
      honestIpBanned: node.bans.isBanned(HONEST_IP),
      maxEventLoopStallMs: floodStall,
    });
    await gen.call('close').catch(() => undefined);
  } finally {
    child.kill();
    sub.close();
    await node.stop();
    redis.disconnect();
    await daemon.close();
    await hasher.close();
    await monerod.stop();
    await redisSvc.stop();
  }
  return rows;
}
