/**
 * Liveness vs readiness of the stratum node (stratum-node/health*.ts), on real parts: redis-server, monerod
 * --regtest on fixed ports in its own folder, the node in-process, a miner on a real socket mining real RandomX
 * shares. The fault is real: monerod is killed (SIGKILL) for longer than poolServer.health.maxTemplateAge, then
 * started again on the same folder and ports.
 * During the outage: liveness (/live, /health) stays 200 (what the load balancer and Auto Scaling act on), readiness
 * (/ready) is 503 degraded with the reason, pool_ready is 0, and the miner keeps its socket and its current job,
 * whose shares are still accepted. When monerod is back, readiness recovers.
 * A hung process is still caught: `pool start --module pool` in a child process, frozen for real (SIGSTOP: event
 * loop stuck, sockets not served), does not answer /health within the target groups' 5 s check timeout, so the load
 * balancer marks it unhealthy and Auto Scaling replaces it; thawed (SIGCONT) it answers again.
 * Plus the health model on its own (stopping, lost ports) and the CloudWatch publisher with a stand-in sender.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis as RedisClient } from 'ioredis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHasher, type Hasher } from '../native/index.js';
import { configFromObject } from '../shared/config/load.js';
import { silentLogger } from '../shared/log.js';
import { createDaemonClient, type DaemonClient } from '../shared/rpc/daemon.js';
import { freePort, startMonerod, startRedis, type MonerodService } from '../shared/services/index.js';
import { nodeHealth } from '../stratum-node/health-state.js';
import {
  READY_METRIC,
  TEMPLATE_AGE_METRIC,
  cloudWatchSender,
  readinessData,
  startCloudWatchPublisher,
  type MetricBatch,
} from '../stratum-node/health-cloudwatch.js';
import { createMetrics } from '../stratum-node/metrics.js';
import { startStratumNode, type StratumNode } from '../stratum-node/index.js';
import { StratumClient, mineShare } from './support/stratum-client.js';
import { MINER_ADDRESS, POOL_ADDRESS } from './support/pool-fixture.js';

const MAX_TEMPLATE_AGE = 3; // seconds
/** The NLB target groups' health check timeout (infra/lib/stratum.ts). */
const NLB_CHECK_TIMEOUT_MS = 5_000;
const NETWORK_DIFFICULTY = 100_000; // shares at difficulty 1 practically never find a block here

interface Probe {
  status: number;
  body: Record<string, unknown>;
}

async function get(port: number, path: string): Promise<Probe> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** Polls `f` until it returns a value (no time assertion: the test's own timeout bounds the wait). */
async function until<T>(f: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('stratum node health: a monerod outage degrades readiness, never liveness', () => {
  let dir: string;
  let redisSvc: Awaited<ReturnType<typeof startRedis>>;
  let redis: RedisClient;
  let monerod: MonerodService;
  let rpcPort: number;
  let p2pPort: number;
  let daemon: DaemonClient;
  let hasher: Hasher;
  let node: StratumNode;
  let port: number;
  let health: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pool-health-monerod-'));
    rpcPort = await freePort();
    p2pPort = await freePort();
    redisSvc = await startRedis();
    monerod = await startMonerod({ dir, rpcPort, p2pPort, fixedDifficulty: NETWORK_DIFFICULTY });
    redis = new Redis({ host: '127.0.0.1', port: redisSvc.port, maxRetriesPerRequest: 2 });
    // a short timeout without retries: polls fail fast once monerod is gone
    daemon = createDaemonClient({ host: '127.0.0.1', port: rpcPort, timeout: 2_000, retries: 0 });
    hasher = createHasher({ mode: 'light', threads: 2 });
    port = await freePort();
    health = await freePort();
    const config = configFromObject({
      coin: 'monero',
      poolServer: {
        poolAddress: POOL_ADDRESS,
        clusterForks: 1,
        blockRefreshInterval: 200,
        templateRefreshInterval: 1,
        shareBatchInterval: 200,
        ports: [{ port, difficulty: 1, desc: 'test' }],
        varDiff: { minDiff: 1, maxDiff: 10, targetTime: 600, retargetTime: 600, variancePercent: 30, maxJump: 100 },
        health: { enabled: true, host: '127.0.0.1', port: health, maxTemplateAge: MAX_TEMPLATE_AGE },
      },
      daemon: { host: '127.0.0.1', port: rpcPort },
      redis: { host: '127.0.0.1', port: redisSvc.port },
      api: { enabled: false, password: 'not-the-example' },
      payments: { enabled: false },
      blockUnlocker: { enabled: false },
    });
    node = await startStratumNode({ config, redis, daemon, log: silentLogger(), host: '127.0.0.1', hasher });
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
    await hasher?.close();
    await daemon?.close();
    await monerod?.stop();
    redis?.disconnect();
    await redisSvc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('stays live, turns not ready, keeps the miner and its job while monerod is down; recovers when it is back', async () => {
    expect(await get(health, '/live')).toMatchObject({ status: 200, body: { status: 'ok', ready: true } });
    expect(await get(health, '/ready')).toMatchObject({
      status: 200,
      body: { status: 'ok', maxTemplateAgeSec: MAX_TEMPLATE_AGE },
    });

    const miner = await StratumClient.connect({ port });
    expect((await miner.login(MINER_ADDRESS)).error).toBeNull();
    const job = miner.job;
    const first = await mineShare(hasher, job);
    expect((await miner.submit(job, first.nonce, first.result)).result).toEqual({ status: 'OK' });

    // the fault: monerod killed for real; the node must see the template go stale past maxTemplateAge
    await monerod.kill9();
    // templates refresh every second while monerod is up; from here on nothing new can come
    const jobAtOutage = miner.job;
    const jobsAtOutage = miner.jobs.length;
    const degraded = await until(async () => {
      const r = await get(health, '/ready');
      return r.status === 503 ? r : undefined;
    });
    expect(degraded.body).toMatchObject({ status: 'degraded', maxTemplateAgeSec: MAX_TEMPLATE_AGE });
    expect(String(degraded.body['reason'])).toMatch(/not confirmed by monerod for \d+ s \(max 3 s\)/);
    expect(degraded.body['lastError']).toEqual(expect.any(String));
    expect(degraded.body['templateAgeSec']).toBeGreaterThan(MAX_TEMPLATE_AGE - 1);

    // liveness is untouched: the load balancer keeps the node, Auto Scaling does not replace it
    for (const path of ['/live', '/health']) {
      const live = await get(health, path);
      expect(live.status, path).toBe(200);
      expect(live.body, path).toMatchObject({ status: 'ok', ready: false, miners: 1 });
    }
    const metrics = await (await fetch(`http://127.0.0.1:${health}/metrics`)).text();
    expect(metrics).toMatch(/^pool_ready 0$/m);
    const age = Number(/^pool_template_age_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(age).toBeGreaterThan(MAX_TEMPLATE_AGE);

    // the miner keeps its socket and its job, and its shares still count
    expect(miner.closed).toBe(false);
    expect(miner.jobs.length).toBe(jobsAtOutage);
    const during = await mineShare(hasher, jobAtOutage);
    expect(await miner.submit(jobAtOutage, during.nonce, during.result)).toMatchObject({
      error: null,
      result: { status: 'OK' },
    });
    // a miner connecting during the outage still gets the current job
    const late = await StratumClient.connect({ port });
    const lateLogin = await late.login(`${MINER_ADDRESS}.late`);
    expect(lateLogin.error).toBeNull();
    expect(late.job.height).toBe(jobAtOutage.height);
    expect((await get(health, '/live')).status).toBe(200);

    // monerod back on the same folder and ports: readiness recovers
    monerod = await startMonerod({ dir, rpcPort, p2pPort, fixedDifficulty: NETWORK_DIFFICULTY });
    const recovered = await until(async () => {
      const r = await get(health, '/ready');
      return r.status === 200 ? r : undefined;
    });
    expect(recovered.body).toMatchObject({ status: 'ok' });
    expect(recovered.body['reason']).toBeUndefined();
    expect(await (await fetch(`http://127.0.0.1:${health}/metrics`)).text()).toMatch(/^pool_ready 1$/m);
    expect(miner.closed).toBe(false);
    expect(late.closed).toBe(false);
    await node.recorder.flush();
    miner.close();
    late.close();
  }, 300_000);

  it('a node started while monerod is down comes up live (not ready, logins told to retry) and serves work once it is back', async () => {
    await monerod.kill9();
    const port2 = await freePort();
    const health2 = await freePort();
    const config = configFromObject({
      coin: 'monero',
      poolServer: {
        poolAddress: POOL_ADDRESS,
        clusterForks: 1,
        blockRefreshInterval: 200,
        ports: [{ port: port2, difficulty: 1, desc: 'test' }],
        health: { enabled: true, host: '127.0.0.1', port: health2, maxTemplateAge: MAX_TEMPLATE_AGE },
      },
      daemon: { host: '127.0.0.1', port: rpcPort },
      redis: { host: '127.0.0.1', port: redisSvc.port },
      api: { enabled: false, password: 'not-the-example' },
      payments: { enabled: false },
      blockUnlocker: { enabled: false },
    });
    const node2 = await startStratumNode({ config, redis, daemon, log: silentLogger(), host: '127.0.0.1', hasher });
    try {
      expect((await get(health2, '/live')).status).toBe(200);
      expect((await get(health2, '/ready')).status).toBe(503);
      const early = await StratumClient.connect({ port: port2 });
      expect((await early.login(MINER_ADDRESS)).error).toMatchObject({
        message: 'No work available yet, retry shortly',
      });
      early.close();
      monerod = await startMonerod({ dir, rpcPort, p2pPort, fixedDifficulty: NETWORK_DIFFICULTY });
      await until(async () => ((await get(health2, '/ready')).status === 200 ? true : undefined));
      const miner = await StratumClient.connect({ port: port2 });
      expect((await miner.login(MINER_ADDRESS)).error).toBeNull();
      const share = await mineShare(hasher, miner.job);
      expect((await miner.submit(miner.job, share.nonce, share.result)).result).toEqual({ status: 'OK' });
      miner.close();
    } finally {
      await node2.stop();
    }
  }, 300_000);

  it('a hung process (SIGSTOP) fails the liveness check within the load balancer timeout; thawed, it passes again', async () => {
    const cliPort = await freePort();
    const cliHealth = await freePort();
    const file = join(dir, 'hung.json');
    writeFileSync(
      file,
      JSON.stringify({
        coin: 'monero',
        logging: {
          files: { level: 'silent', directory: join(dir, 'logs') },
          console: { level: 'warn', colors: false },
        },
        poolServer: {
          poolAddress: POOL_ADDRESS,
          clusterForks: 1,
          ports: [{ port: cliPort, difficulty: 1, desc: 'hung' }],
          health: { enabled: true, host: '127.0.0.1', port: cliHealth },
        },
        daemon: { host: '127.0.0.1', port: rpcPort },
        redis: { host: '127.0.0.1', port: redisSvc.port },
        api: { enabled: false },
        payments: { enabled: false },
        blockUnlocker: { enabled: false },
      }),
    );
    const proc = spawn(process.execPath, ['bin/pool.mjs', 'start', '--config', file, '--module', 'pool'], {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const check = async (): Promise<number | 'no answer'> => {
      try {
        return (
          await fetch(`http://127.0.0.1:${cliHealth}/health`, { signal: AbortSignal.timeout(NLB_CHECK_TIMEOUT_MS) })
        ).status;
      } catch {
        return 'no answer';
      }
    };
    try {
      expect(
        await until(async () =>
          (await check()) === 200 ? true : proc.exitCode !== null ? Promise.reject(new Error(stderr)) : undefined,
        ),
      ).toBe(true);
      proc.kill('SIGSTOP');
      expect(await check()).toBe('no answer');
      proc.kill('SIGCONT');
      expect(await check()).toBe(200);
    } finally {
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      await exited;
    }
  }, 180_000);
});

describe('stratum node health model', () => {
  const parts = (over: { confirmedAt?: number; hasTemplate?: boolean; bound?: number[] } = {}) => {
    let now = 1_000_000;
    const metrics = createMetrics(false);
    const h = nodeHealth({
      nodeId: 7,
      jobs: {
        hasTemplate: over.hasTemplate ?? true,
        get current() {
          return { height: 42 } as never;
        },
        confirmedAt: over.confirmedAt ?? now,
        lastError: null,
      },
      pool: { minerCount: 0, connections: new Map() } as never,
      bans: { size: 0 },
      recorder: { pending: 0 },
      metrics,
      configuredPorts: 2,
      boundPorts: over.bound ?? [3333, 5555],
      maxTemplateAgeSec: 10,
      now: () => now,
    });
    return { h, metrics, advance: (ms: number) => (now += ms) };
  };

  it('readiness follows the template age; liveness does not', () => {
    const { h, advance } = parts();
    expect(h.ready().ok).toBe(true);
    advance(10_000);
    expect(h.ready().ok).toBe(true); // exactly maxTemplateAge
    advance(1);
    expect(h.ready()).toMatchObject({ ok: false, body: { status: 'degraded', templateAgeSec: 10 } });
    expect(h.live()).toMatchObject({ ok: true, body: { status: 'ok', ready: false } });
  });

  it('no template yet: not ready, still live', () => {
    const { h } = parts({ hasTemplate: false, confirmedAt: 0 });
    expect(h.ready()).toMatchObject({
      ok: false,
      body: { reason: 'no block template yet', templateAgeSec: null, height: null },
    });
    expect(h.live().ok).toBe(true);
  });

  it('liveness fails while stopping and when a stratum port is not bound', () => {
    const lost = parts({ bound: [3333] });
    expect(lost.h.live()).toMatchObject({ ok: false, body: { status: 'down', reason: '1 of 2 stratum ports bound' } });
    const { h } = parts();
    h.stopping();
    expect(h.live()).toMatchObject({ ok: false, body: { status: 'down', reason: 'stopping' } });
  });

  it('publishes StratumReady and StratumTemplateAge to CloudWatch; a failed call is retried at the next tick', async () => {
    const { h, advance } = parts();
    const sent: MetricBatch[] = [];
    let fail = true;
    const pub = startCloudWatchPublisher({
      namespace: 'XmrPool/Test',
      health: h,
      log: silentLogger(),
      intervalMs: 3_600_000,
      sender: async (b) => {
        if (fail) throw new Error('throttled');
        sent.push(b);
      },
    });
    try {
      await pub.tick(); // fails: nothing recorded, no throw
      expect(sent).toHaveLength(0);
      fail = false;
      advance(12_000);
      await pub.tick();
      expect(sent).toHaveLength(1);
      expect(sent[0]!.namespace).toBe('XmrPool/Test');
      expect(sent[0]!.data.map((d) => [d.MetricName, d.Value, d.Unit])).toEqual([
        [READY_METRIC, 0, 'Count'],
        [TEMPLATE_AGE_METRIC, 12, 'Seconds'],
      ]);
    } finally {
      pub.stop();
    }
  });

  it('the real CloudWatch sender signs a PutMetricData request with the namespace and both metrics (stand-in endpoint)', async () => {
    const got: { headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('stand-in');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address() as { port: number };
    try {
      const send = cloudWatchSender({
        region: 'eu-west-1',
        endpoint: `http://127.0.0.1:${addr.port}`,
        credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in' },
        maxAttempts: 1,
      });
      const data = readinessData({ ready: false, age: 130.4, reason: 'stale' }, new Date(1_700_000_000_000));
      await expect(send({ namespace: 'XmrPool/Test', data })).rejects.toThrow();
      expect(got).toHaveLength(1);
      expect(String(got[0]!.headers['authorization'])).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN\/\d{8}\/eu-west-1\/monitoring\/aws4_request/,
      );
      const body = got[0]!.body.toString('latin1');
      for (const s of ['PutMetricData', 'XmrPool/Test', READY_METRIC, TEMPLATE_AGE_METRIC]) {
        expect(body + JSON.stringify(got[0]!.headers), s).toContain(s);
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
