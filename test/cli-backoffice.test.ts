/**
 * The on-call surface through the real `pool` command: `pool invoke` of each function locally (JSON on stdout),
 * `pool payments status`, local scheduling under `pool start --module ...`, and `pool invoke --aws`, which speaks
 * the real Lambda Invoke protocol (@aws-sdk/client-lambda) to a local endpoint standing in for AWS.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keySchema } from '../shared/redis/keys.js';
import { freePort } from '../shared/services/index.js';
import { startChainFixture, POOL_ADDRESS, type ChainFixture } from './support/pool-fixture.js';

const ROOT = join(import.meta.dirname, '..');
const keys = keySchema('monero');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pool(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/pool.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pool invoke / payments / scheduled functions', () => {
  let chain: ChainFixture;
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    chain = await startChainFixture(1);
    await chain.daemon.generateBlocks(3, POOL_ADDRESS);
    dir = mkdtempSync(join(tmpdir(), 'pool-oncall-'));
    configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        poolServer: { poolAddress: POOL_ADDRESS, ports: [{ port: await freePort(), difficulty: 10 }] },
        daemon: { host: '127.0.0.1', port: chain.daemonPort },
        wallet: { host: '127.0.0.1', port: await freePort() },
        redis: { host: '127.0.0.1', port: chain.redisPort },
        api: { port: await freePort(), password: 'oncall-secret' },
        blockUnlocker: { interval: 1 },
        stats: { interval: 1 },
        logging: { console: { level: 'warn', colors: false }, files: { level: 'silent' } },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await chain?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('invokes stats and the unlocker locally and prints their JSON results', async () => {
    const stats = await pool(['invoke', 'stats', '--config', configFile]);
    expect(stats.code, stats.stderr).toBe(0);
    const snap = JSON.parse(stats.stdout) as { network: { height: number } };
    expect(snap.network.height).toBe((await chain.daemon.getLastBlockHeader()).height);
    expect(await chain.redis.get(keys.statsSnapshot)).not.toBeNull();
    const unlocker = await pool(['invoke', 'unlocker', '--config', configFile, '--dry-run']);
    expect(unlocker.code, unlocker.stderr).toBe(0);
    expect(JSON.parse(unlocker.stdout)).toMatchObject({ blocks: [] });
  }, 60_000);

  it('rejects an unknown function and a bad config with clear messages', async () => {
    const bad = await pool(['invoke', 'minter', '--config', configFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown function "minter"/);
    writeFileSync(join(dir, 'bad.json'), '{ "poolServer": { "ports": [ { "port": 3333, "difficulty": -5 } ] } }');
    const cfg = await pool(['invoke', 'stats', '--config', join(dir, 'bad.json')]);
    expect(cfg.code).toBe(1);
    expect(cfg.stderr).toMatch(/poolServer\.ports\[0\]\.difficulty: expected/);
  }, 60_000);

  it('shows the payments state', async () => {
    const r = await pool(['payments', 'status', '--config', configFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ failStop: null });
  }, 60_000);

  it('runs the functions on their intervals under `pool start --module`', async () => {
    await chain.redis.del(keys.heartbeat('unlocker'), keys.heartbeat('stats'));
    const p = spawn(
      process.execPath,
      ['bin/pool.mjs', 'start', '--config', configFile, '--module', 'unlocker', '--module', 'stats'],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const deadline = Date.now() + 40_000;
    while (
      Date.now() < deadline &&
      !((await chain.redis.get(keys.heartbeat('unlocker'))) && (await chain.redis.get(keys.heartbeat('stats'))))
    ) {
      await new Promise((r) => setTimeout(r, 300));
    }
    const first = Number(await chain.redis.get(keys.heartbeat('stats')));
    await new Promise((r) => setTimeout(r, 2500));
    const second = Number(await chain.redis.get(keys.heartbeat('stats')));
    const exited = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
    p.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(first).toBeGreaterThan(0);
    expect(await chain.redis.get(keys.heartbeat('unlocker'))).not.toBeNull();
    expect(second).toBeGreaterThan(first); // it ran again on its interval
  }, 60_000);

  it('invokes a deployed function through the Lambda Invoke API and prints result and log tail', async () => {
    const seen: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-amz-executed-version': '$LATEST',
          'x-amz-log-result': Buffer.from('START RequestId: 1\nunlocker: 0 candidates\nEND RequestId: 1\n').toString(
            'base64',
          ),
        });
        res.end(JSON.stringify({ blocks: [], credited: '0' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await pool(
        ['invoke', 'unlocker', '--aws', '--function-name', 'pool-unlocker', '--region', 'eu-west-1', '--dry-run'],
        {
          AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${port}`,
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        statusCode: 200,
        functionError: null,
        result: { blocks: [], credited: '0' },
      });
      expect(r.stderr).toContain('unlocker: 0 candidates');
      expect(seen).toHaveLength(1);
      expect(seen[0]!.path).toBe('/2015-03-31/functions/pool-unlocker/invocations');
      expect(seen[0]!.headers['x-amz-invocation-type']).toBe('RequestResponse');
      expect(seen[0]!.headers['x-amz-log-type']).toBe('Tail');
      expect(seen[0]!.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request/,
      );
      expect(JSON.parse(seen[0]!.body)).toEqual({ source: 'pool.invoke', dryRun: true });
    } finally {
      server.close();
    }
  }, 60_000);
});
