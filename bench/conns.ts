/**
 * `node bin/run-ts.mjs bench/conns.ts [--connections N] [--broadcasts K] [--profile] [--heap-snapshot]`: the stratum
 * node's sockets alone, without monerod, Redis or RandomX (a fixed regtest template in memory, a hasher that is never
 * called), so what is measured is only the node's per-connection cost:
 *  - memory: RSS and JS heap (+ external + array buffers) before and after N idle logged-in miners, after full GCs,
 *    per connection, and again after the broadcasts (each miner then holds MAX_JOBS jobs); with --heap-snapshot, a V8 heap snapshot before and after, summarized as the objects added per
 *    connection (count and bytes by constructor; the RSS figures then include the snapshots' own memory, and
 *    KEEP_SNAPSHOT=1 keeps the .heapsnapshot files in the working directory for a closer look);
 *  - broadcast: K new templates (height + 1 each), the node's own "jobs broadcast" time (from the template event to
 *    the last job written) per template and per miner, and the clients' first/last arrival; with --profile, a CPU
 *    profile of the broadcasts only (node:inspector), summarized as self time by function;
 *  - parts: the per-miner steps of a broadcast timed alone on N Miner objects, no socket (see `parts`), best of
 *    several runs.
 * The miners are bench/load-client.ts in a child process (its own fds and CPU), N / 50 source addresses 127.1.x.y.
 * Row shape: { suite: 'conns', case, ... } printed as JSON lines; nothing is asserted.
 */
import { fork } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import type { Profiler } from 'node:inspector';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync } from 'node:fs';
import { pino } from 'pino';
import { JobManager, type ChainSource, type RawTemplate } from '../stratum-node/jobs.js';
import { StratumPool } from '../stratum-node/pool.js';
import { startServers } from '../stratum-node/server.js';
import { BanList } from '../stratum-node/bans.js';
import { createMetrics } from '../stratum-node/metrics.js';
import { MAX_JOBS, Miner } from '../stratum-node/miner.js';
import { jobFor, jobLineFor } from '../stratum-node/job-message.js';
import type { Hasher } from '../native/index.js';
import type { ShareSink } from '../stratum-node/share-sink.js';
import { memoryReader } from './memory.js';

const POOL = '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';
/** monerod --regtest get_block_template (reserve size 8), miner tx only. */
const TEMPLATE_BLOB =
  '10109dcaa7d806418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e300000000023d01ff0101808080' +
  'f0ffff07033ae633d7b87ed64318bdf0ec3e9b7466bc73b92f876d8c866e97482847eb3edb322b0169bff811ffb3bdbfb839de' +
  '2a794127670e299482a52c019acc6f28a661b7a10d020800000000000000000000';
const PER_IP = 50;

class BenchChain implements ChainSource {
  height = 100;
  tip() {
    return Promise.resolve({ hash: `h${this.height}`, height: this.height - 1 });
  }
  template(): Promise<RawTemplate> {
    return Promise.resolve({
      blob: TEMPLATE_BLOB,
      reservedOffset: 126,
      height: this.height,
      difficulty: 1_000_000n,
      seedHash: 'c0ffee'.padEnd(64, '0'),
      nextSeedHash: '',
      prevHash: this.height.toString(16).padStart(64, '0'),
      expectedReward: 600_000_000_000n,
    });
  }
}

const idleHasher: Hasher = {
  hash: () => Promise.reject(new Error('no hashing in this bench')),
  hashWithKey: () => Promise.reject(new Error('no hashing in this bench')),
  prepareSeed: () => Promise.resolve('light'),
  prepareKey: () => Promise.resolve('light'),
  stats: () => {
    throw new Error('no stats');
  },
  mode: 'light',
  threads: 1,
  close: () => Promise.resolve(),
};

const nullSink: ShareSink = {
  add: () => undefined,
  addInvalid: () => undefined,
  beginBlock: () => ({ settle: () => Promise.resolve(true), drop: () => undefined }),
  setNetworkDifficulty: () => undefined,
};

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const round = (x: number, d = 1): number => Number(x.toFixed(d));

/** Objects in a heap snapshot by constructor name: count and self bytes. */
function heapSummary(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  if (!process.env.KEEP_SNAPSHOT) rmSync(file);
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + iType]!]!;
    const name = type === 'object' || type === 'native' ? snap.strings[snap.nodes[i + iName]!]! : `(${type})`;
    const e = out.get(name) ?? { count: 0, bytes: 0 };
    e.count += 1;
    e.bytes += snap.nodes[i + iSize]!;
    out.set(name, e);
  }
  return out;
}

/** Self time by function over a CPU profile, top `n`. */
function profileSummary(profile: Profiler.Profile): { fn: string; ms: number; pct: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  (profile.samples ?? []).forEach((id, k) => {
    const n = byId.get(id)!;
    const file = n.callFrame.url.split('/').slice(-2).join('/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`;
    const dt = profile.timeDeltas?.[k] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 30)
    .map(([fn, us]) => ({ fn, ms: round(us / 1000), pct: round((100 * us) / total) }));
}

/** Microseconds per miner of `f` over `miners`, best of `runs` passes. */
function usPerMiner(miners: readonly Miner[], runs: number, f: (m: Miner) => unknown): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (const m of miners) f(m);
    best = Math.min(best, ((performance.now() - t0) * 1000) / miners.length);
  }
  return round(best, 2);
}

/**
 * The per-miner steps of a broadcast without a socket: the extra nonce and the job's bookkeeping (Miner.addJob), the
 * blob, the whole line (job-message.ts jobLineFor) and, for comparison, the object form serialized per miner as
 * before (a job object in a message object, JSON.stringify).
 */
function parts(jobs: JobManager, n: number): Record<string, unknown> {
  const t = jobs.current;
  const miners = Array.from({ length: n }, () => new Miner(minerOptions()));
  return {
    suite: 'conns',
    case: 'parts (no socket), us per miner',
    miners: n,
    jobBookkeeping: usPerMiner(miners, 7, (m) => m.addJob(t, jobs.nodeId, jobs.nextNonce())),
    blobHex: usPerMiner(miners, 7, () => jobs.jobBlobHex(t, jobs.nextNonce())),
    line: usPerMiner(miners, 7, (m) => jobLineFor(jobs, m, t)),
    objectFormStringified: usPerMiner(
      miners,
      7,
      (m) => JSON.stringify({ jsonrpc: '2.0', method: 'job', params: jobFor(jobs, m, t) }) + '\n',
    ),
  };
}

function minerOptions() {
  return {
    ip: '127.0.0.1',
    port: 3333,
    login: POOL,
    rig: 'x',
    solo: false,
    difficulty: 10,
    fixedDiff: false,
    varDiff: { minDiff: 1, maxDiff: 1000, targetTime: 60, retargetTime: 3600, variancePercent: 30, maxJump: 100 },
    trust: { enabled: false, min: 0, stepDown: 50, threshold: 2, penalty: 3 },
  };
}

async function main(): Promise<void> {
  const n = arg('--connections', 5000);
  const broadcastsWanted = arg('--broadcasts', 5);
  const memory = memoryReader();
  const broadcasts: { miners: number; ms: number }[] = [];
  const log = pino(
    { level: 'info' },
    {
      write(line: string) {
        if (line.includes('"jobs broadcast"')) broadcasts.push(JSON.parse(line) as { miners: number; ms: number });
      },
    },
  );
  const chain = new BenchChain();
  const jobs = new JobManager({
    chain,
    poolAddress: POOL,
    nodeId: 7,
    blockRefreshMs: 3_600_000,
    templateRefreshMs: 3_600_000,
    log,
  });
  await jobs.refresh('tip');
  const varDiff = minerOptions().varDiff;
  const pool = new StratumPool({
    settings: {
      network: 'mainnet',
      addressPolicy: { integrated: 'reject', subaddress: 'allow' },
      fixedDiffSeparator: '+',
      varDiff,
      shareTrust: minerOptions().trust,
      minerTimeoutSec: 3600,
    },
    jobs,
    hasher: idleHasher,
    recorder: nullSink,
    bans: new BanList({ enabled: true, time: 60, invalidPercent: 25, checkThreshold: 1000 }),
    metrics: createMetrics(false),
    log,
    submitBlock: () => Promise.resolve(),
  });
  const port = { port: 0, difficulty: 10, desc: 'bench', tls: false, proxyProtocol: false, solo: false };
  const servers = await startServers(
    pool,
    {
      host: '127.0.0.1',
      ports: [port],
      tls: null,
      maxLineBytes: 10_240,
      loginTimeoutSec: 3600,
      maxConnectionsPerIp: 100,
      proxyProtocolFrom: [],
    },
    log,
    createMetrics(false),
  );
  const child = fork(join(import.meta.dirname, '..', 'bin', 'run-ts.mjs'), [
    join(import.meta.dirname, 'load-client.ts'),
  ]);
  const waiting = new Map<string, (v: unknown) => void>();
  child.on('message', (m: { cmd: string; value?: unknown; error?: string }) => {
    if (m.error !== undefined) throw new Error(m.error);
    waiting.get(m.cmd)?.(m.value);
  });
  const call = <T>(cmd: string, params: Record<string, unknown> = {}): Promise<T> =>
    new Promise<T>((resolve) => {
      waiting.set(cmd, resolve as (v: unknown) => void);
      if (cmd !== 'ready') child.send({ cmd, ...params });
    });
  const rows: Record<string, unknown>[] = [];
  try {
    await call('ready');
    const snapshots = process.argv.includes('--heap-snapshot');
    const before = memory();
    const beforeHeap = snapshots ? heapSummary(writeHeapSnapshot()) : null;
    const login = await call<{ logins: number[]; failures: string[] }>('login', {
      port: servers.boundPorts[0],
      count: n,
      perIp: PER_IP,
      concurrency: 100,
    });
    await new Promise((r) => setTimeout(r, 500));
    const after = memory();
    const connected = login.logins.length;
    rows.push({
      suite: 'conns',
      case: 'memory',
      connections: connected,
      failures: login.failures.length,
      rssPerConnectionKiB: round((after.rss - before.rss) / connected / 1024, 2),
      heapPerConnectionKiB: round((after.heap - before.heap) / connected / 1024, 2),
    });
    if (beforeHeap) {
      const afterHeap = heapSummary(writeHeapSnapshot());
      const added = [...afterHeap.entries()]
        .map(([name, a]) => {
          const b = beforeHeap.get(name) ?? { count: 0, bytes: 0 };
          return { name, perConn: round((a.count - b.count) / connected, 2), bytes: (a.bytes - b.bytes) / connected };
        })
        .filter((e) => Math.abs(e.bytes) >= 4)
        .sort((x, y) => y.bytes - x.bytes)
        .map((e) => ({ ...e, bytes: round(e.bytes) }));
      const total = added.reduce((s, e) => s + e.bytes, 0);
      rows.push({ suite: 'conns', case: 'heap objects added per connection', totalBytes: round(total), added });
    }

    const session = process.argv.includes('--profile') ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    const firsts: number[] = [];
    const lasts: number[] = [];
    for (let b = 0; b < broadcastsWanted; b++) {
      await new Promise((r) => setTimeout(r, 1000));
      chain.height += 1;
      const at = performance.timeOrigin + performance.now();
      await jobs.refresh('tip');
      const got = await call<{ first: number | null; last: number | null; got: number; of: number }>('jobs', {
        height: chain.height,
      });
      if (got.first !== null && got.last !== null) {
        firsts.push(got.first - at);
        lasts.push(got.last - at);
      }
    }
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      rows.push({ suite: 'conns', case: 'broadcast profile (self time)', top: profileSummary(profile) });
    }
    const ms = broadcasts.filter((x) => x.miners >= connected).map((x) => x.ms);
    rows.push({
      suite: 'conns',
      case: 'broadcast',
      miners: connected,
      nodeBroadcastMs: ms,
      usPerMiner: ms.map((x) => round((x * 1000) / connected)),
      clientFirstMs: firsts.map((x) => round(x)),
      clientLastMs: lasts.map((x) => round(x)),
    });
    if (broadcastsWanted >= MAX_JOBS - 1) {
      // every miner now holds MAX_JOBS jobs (login + broadcasts), as in steady state
      const held = memory();
      rows.push({
        suite: 'conns',
        case: `memory after ${broadcastsWanted} broadcasts (${MAX_JOBS} jobs per miner)`,
        connections: connected,
        rssPerConnectionKiB: round((held.rss - before.rss) / connected / 1024, 2),
        heapPerConnectionKiB: round((held.heap - before.heap) / connected / 1024, 2),
      });
    }
    rows.push(parts(jobs, connected));
    await call('close');
  } finally {
    child.kill();
    await servers.close();
    await pool.stop();
    jobs.stop();
  }
  for (const r of rows) console.log(JSON.stringify(r));
}

await main();
process.exit(0);
