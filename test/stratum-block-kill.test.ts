/**
 * A node killed -9 while monerod is answering a found block still records the block. The stratum node (`pool start
 * -module=pool`, a real process) talks to a real regtest monerod through a real HTTP proxy (test/backoffice/
 * rpc-proxy.ts) that forwards submit_block and holds the reply; while it is held (monerod has added the block, the
 * node has no verdict yet), the node is killed with SIGKILL and started again on the same data folder.
 *
 * Checked, share by share and against the chain: the block is recorded once, as "unconfirmed", with exactly the
 * shares mined before it in its round (the finder's included) and none of those mined after the restart; the
 * unlocker's lookup by hash turns it "accepted"; the node's journal is empty afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHasher, type Hasher } from '../native/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { hexToBytes, bytesToHex } from '../shared/hex.js';
import { blockId } from '../shared/monero/template.js';
import { freePort } from '../shared/services/index.js';
import { silentLogger } from '../shared/log.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import { run as runUnlocker } from '../functions/unlocker/index.js';
import { configFromObject } from '../shared/config/load.js';
import { startRpcProxy, type RpcProxy } from './backoffice/rpc-proxy.js';
import { StratumClient, mineShare } from './support/stratum-client.js';
import { startPoolProcess, stopPoolProcess, type PoolProcess } from './support/pool-process.js';
import { waitFor, waitForPort } from './support/wait.js';
import { startChainFixture, POOL_ADDRESS, MINER_ADDRESS, type ChainFixture } from './support/pool-fixture.js';

const NETWORK_DIFFICULTY = 40n;
const SHARE_DIFF = 4;
const keys = keySchema('monero');

describe('stratum node killed -9 while monerod answers a found block', () => {
  let chain: ChainFixture;
  let proxy: RpcProxy;
  let dir: string;
  let hasher: Hasher;
  let port: number;
  let configPath: string;
  let configObject: Record<string, unknown>;
  let node: PoolProcess | undefined;
  let storage: IoredisStorage;

  const startNodeProcess = (): PoolProcess => startPoolProcess(['start', `-config=${configPath}`, '-module=pool']);
  const connect = async (): Promise<StratumClient> => {
    await waitForPort(port);
    const c = await StratumClient.connect({ port });
    expect((await c.login(`${MINER_ADDRESS}.rig+${SHARE_DIFF}`)).error).toBeNull();
    return c;
  };
  /** Mines one accepted share that is not a block. */
  const oneShare = async (c: StratumClient): Promise<void> => {
    let nonce = Math.floor(Math.random() * 0xffffff);
    for (;;) {
      const job = c.job;
      const s = await mineShare(hasher, job, { startNonce: nonce, notBlock: NETWORK_DIFFICULTY });
      nonce = parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
      const r = await c.submit(job, s.nonce, s.result);
      if (r.error?.message === 'Block expired') continue;
      expect(r.error).toBeNull();
      return;
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pool-block-kill-'));
    chain = await startChainFixture(Number(NETWORK_DIFFICULTY));
    await chain.daemon.generateBlocks(2, POOL_ADDRESS);
    proxy = await startRpcProxy(chain.daemonPort);
    port = await freePort();
    configPath = join(dir, 'config.json');
    configObject = {
      coin: 'monero',
      logging: { console: { level: 'warn', colors: false } },
      poolServer: {
        enabled: true,
        clusterForks: 1,
        poolAddress: POOL_ADDRESS,
        blockRefreshInterval: 500,
        shareBatchInterval: 200,
        dataDir: join(dir, 'data'),
        ports: [{ port, difficulty: SHARE_DIFF, desc: 'test' }],
        varDiff: { minDiff: 1, maxDiff: 1000, targetTime: 60, retargetTime: 60, variancePercent: 30, maxJump: 100 },
        shareTrust: { enabled: false },
        health: { enabled: false },
      },
      rewards: { scheme: 'prop', finderReward: 0 },
      daemon: { host: '127.0.0.1', port: proxy.port, timeout: 120_000 },
      redis: { host: '127.0.0.1', port: chain.redisPort },
      api: { enabled: false, password: 'not-the-example' },
      payments: { enabled: false },
      blockUnlocker: { enabled: false, depth: 6, poolFee: 0 },
    };
    writeFileSync(configPath, JSON.stringify(configObject));
    storage = createIoredisStorage({ host: '127.0.0.1', port: chain.redisPort });
    hasher = createHasher({ mode: 'light', threads: 2 });
    node = startNodeProcess();
  }, 180_000);

  afterAll(async () => {
    await stopPoolProcess(node, 'SIGKILL');
    await storage?.close();
    await hasher?.close();
    await proxy?.stop();
    await chain?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('records the block "unconfirmed" with exactly its round, and the unlocker confirms it', async () => {
    const c = await connect();
    for (let i = 0; i < 3; i++) await oneShare(c);
    await waitFor(
      'the first shares in Redis',
      async () => (await chain.redis.hget(keys.roundCurrent, MINER_ADDRESS)) === String(3 * SHARE_DIFF),
      30_000,
    );

    // the block: monerod gets it, its reply is held; the miner's submit stays unanswered
    proxy.delayReply('submit_block', 10 * 60_000, 1);
    const before = await chain.daemon.getLastBlockHeader();
    const job = c.job;
    const s = await mineShare(hasher, job, { wantBlock: NETWORK_DIFFICULTY });
    const hashing = hexToBytes(job.blob);
    hashing.set(hexToBytes(s.nonce), 39);
    const hash = bytesToHex(blockId(hashing));
    void c.submit(job, s.nonce, s.result).catch(() => undefined);
    await waitFor(
      'monerod to add the block',
      async () => (await chain.daemon.getLastBlockHeader()).height > before.height,
      60_000,
    );
    expect((await chain.daemon.getLastBlockHeader()).hash).toBe(hash);
    expect(proxy.count('submit_block')).toBe(1);
    // the journal already holds the block (written and fsynced before the submit)
    const data = join(dir, 'data');
    const journal = readdirSync(data).find((f) => f.endsWith('.journal'))!;
    expect(readFileSync(join(data, journal), 'utf8')).toContain(hash);
    expect(await chain.redis.exists(keys.block(hash))).toBe(0);

    // killed with no verdict
    await stopPoolProcess(node, 'SIGKILL');
    c.close();

    // started again on the same data folder: the journal is replayed before anything new
    node = startNodeProcess();
    const c2 = await connect();
    await waitFor('the block recorded', async () => (await chain.redis.exists(keys.block(hash))) === 1, 60_000);
    expect(await chain.redis.hget(keys.block(hash), 'submit')).toBe('unconfirmed');
    expect(await chain.redis.zrange(keys.blocksCandidates, '0', '-1')).toEqual([hash]);
    // its round: the three shares before it and the finder's own, no more
    expect(await chain.redis.hgetall(keys.round(hash))).toEqual({ [MINER_ADDRESS]: String(4 * SHARE_DIFF) });
    // mining after the restart opens the next round
    await oneShare(c2);
    await waitFor(
      'the next round',
      async () => (await chain.redis.hget(keys.roundCurrent, MINER_ADDRESS)) === String(SHARE_DIFF),
      30_000,
    );
    expect(await chain.redis.hget(keys.worker(MINER_ADDRESS), 'hashes')).toBe(String(5 * SHARE_DIFF));
    expect(await chain.redis.hget(keys.stats, 'blocksFound')).toBe('1');
    c2.close();

    // the unlocker looks it up by hash: the daemon has it
    const config = configFromObject({ ...configObject, daemon: { host: '127.0.0.1', port: chain.daemonPort } });
    const result = await runUnlocker({
      storage,
      daemon: chain.daemon,
      config,
      log: silentLogger(),
      now: () => Date.now(),
    });
    expect(result.blocks.find((b) => b.hash === hash)).toMatchObject({ submit: 'accepted' });
    expect(await chain.redis.hget(keys.block(hash), 'submit')).toBe('accepted');

    // a clean stop leaves an empty journal
    expect(await stopPoolProcess(node)).toBe(0);
    expect(existsSync(join(data, journal)) ? readFileSync(join(data, journal), 'utf8') : '').toBe('');
  }, 300_000);
});
