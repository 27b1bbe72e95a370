/**
 * The operator's path: `pool start -config=FILE -module=pool` (the seed's spelling) with a config file in the
 * seed's format and two stratum forks, against a real regtest monerod and redis-server. An independent stratum
 * client mines real shares through it and finds a block monerod accepts; Ctrl-C stops it cleanly.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHasher, type Hasher } from '../native/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { freePort } from '../shared/services/index.js';
import { StratumClient, mineShare } from './support/stratum-client.js';
import { waitForPort } from './support/wait.js';
import { startChainFixture, POOL_ADDRESS, MINER_ADDRESS, type ChainFixture } from './support/pool-fixture.js';

const NETWORK_DIFFICULTY = 20n;
const keys = keySchema('monero');

describe('pool start -config=FILE -module=pool', () => {
  let chain: ChainFixture;
  let dir: string;
  let proc: ChildProcess;
  let port: number;
  let output = '';
  let hasher: Hasher;

  beforeAll(async () => {
    chain = await startChainFixture(Number(NETWORK_DIFFICULTY));
    dir = mkdtempSync(join(tmpdir(), 'pool-cli-'));
    port = await freePort();
    const health = await freePort();
    const api = await freePort();
    // The seed's config.json, field for field (plus the new fields health and network beside them).
    const config = `{
      /* Used for storage in redis so multiple coins can share the same redis instance. */
      "coin": "monero",
      "symbol": "XMR",
      "logging": {
        "files": { "level": "info", "directory": "${join(dir, 'logs')}", "flushInterval": 1 },
        "console": { "level": "warn", "colors": false }
      },
      "poolServer": {
        "enabled": true,
        "clusterForks": 2,
        "poolAddress": "${POOL_ADDRESS}",
        "blockRefreshInterval": 500,
        "minerTimeout": 900,
        "ports": [ { "port": ${port}, "difficulty": 5, "desc": "Low end hardware" } ],
        "varDiff": { "minDiff": 2, "maxDiff": 100000, "targetTime": 100, "retargetTime": 30, "variancePercent": 30, "maxJump": 100 },
        "shareTrust": { "enabled": true, "min": 10, "stepDown": 3, "threshold": 10, "penalty": 30 },
        "banning": { "enabled": true, "time": 600, "invalidPercent": 25, "checkThreshold": 30 },
        "slushMining": { "enabled": false, "weight": 120, "lastBlockCheckRate": 1 },
        "health": { "enabled": true, "host": "127.0.0.1", "port": ${health} }
      },
      "payments": { "enabled": true, "interval": 600, "maxAddresses": 50, "mixin": 3, "transferFee": 5000000000,
                    "minPayment": 100000000000, "denomination": 100000000000 },
      "blockUnlocker": { "enabled": true, "interval": 30, "depth": 60, "poolFee": 1.8, "devDonation": 0.1, "coreDevDonation": 0.1 },
      "api": { "enabled": true, "hashrateWindow": 600, "updateInterval": 3, "port": ${api}, "blocks": 30, "payments": 30, "password": "a-real-secret" },
      "daemon": { "host": "127.0.0.1", "port": ${chain.daemonPort} },
      "wallet": { "host": "127.0.0.1", "port": 8082 },
      "redis": { "host": "127.0.0.1", "port": ${chain.redisPort}, "auth": null }
    }`;
    writeFileSync(join(dir, 'config.json'), config);
    proc = spawn(process.execPath, ['bin/pool.mjs', 'start', `-config=${join(dir, 'config.json')}`, '-module=pool'], {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitForPort(port, 60_000);
    hasher = createHasher({ mode: 'light', threads: 2 });
  }, 120_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    await hasher?.close();
    await chain?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs two forks with distinct node ids and only the pool module', async () => {
    const deadline = Date.now() + 30_000;
    while (Number(await chain.redis.get(keys.nodeSeq)) < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(Number(await chain.redis.get(keys.nodeSeq))).toBe(2);
    expect(output).toMatch(/pool running: pool\b/);
  });

  it('accepts shares from an independent client and submits a block monerod accepts', async () => {
    const c = await StratumClient.connect({ port });
    expect((await c.login(`${MINER_ADDRESS}.cli`)).error).toBeNull();
    const before = await chain.daemon.getLastBlockHeader();
    const job = c.job;
    const share = await mineShare(hasher, job, { wantBlock: NETWORK_DIFFICULTY });
    expect((await c.submit(job, share.nonce, share.result)).error).toBeNull();
    const after = await chain.daemon.getLastBlockHeader();
    expect(after.height).toBe(before.height + 1);
    expect(await chain.redis.zscore(keys.blocksCandidates, after.hash)).toBe(String(after.height));
    c.close();
  }, 120_000);

  it('stops cleanly on SIGINT', async () => {
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 30_000);
});
