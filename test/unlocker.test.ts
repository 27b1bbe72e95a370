/**
 * The unlocker against a real regtest monerod (fixed difficulty 1) and redis-server: candidates are written the way
 * the stratum node writes them, with real block hashes from the chain, so every lookup the unlocker makes is real.
 */
import { describe, expect, it } from 'vitest';
import { run, type UnlockerDeps } from '../functions/unlocker/index.js';
import { configFromObject } from '../shared/config/load.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { silentLogger } from '../shared/log.js';
import { createDaemonClient } from '../shared/rpc/daemon.js';
import { keySchema } from '../shared/redis/keys.js';
import { createIoredisStorage } from '../shared/storage/ioredis.js';
import type { Storage } from '../shared/storage/port.js';
import { asHash } from '../shared/storage/replies.js';
import { encodeAddress } from '../shared/monero/address.js';
import { writeCandidate } from './backoffice/candidates.js';
import { REGTEST_ADDRESS, mature, startChain, startRedis, useFixture } from './harness/index.js';

/** Monero's general-fund donation address: a second valid mainnet address for blocks on a competing branch. */
const OTHER_ADDRESS = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';
/** Syntactically valid mainnet addresses (the unlocker never sends to them) for the donation targets. */
const fakeAddress = (n: number) =>
  encodeAddress({
    network: 'mainnet',
    kind: 'standard',
    spendKey: n.toString(16).padStart(64, '0'),
    viewKey: 'ab'.repeat(32),
  });
const DEV = fakeAddress(1);
/** Unlock depth for these tests: the logic is the same at 60, but each regtest block costs a RandomX hash. */
const DEPTH = 3;
const DONATION = fakeAddress(2);

const env = useFixture(async () => {
  const chain = await startChain({ fixedDifficulty: 1 });
  const redis = await startRedis();
  const storage = createIoredisStorage(redis.config);
  await mature(chain.daemon, 2);
  return {
    chain,
    redis,
    storage,
    async stop() {
      await storage.close();
      await redis.stop();
      await chain.stop();
    },
  };
});

function makeConfig(over: Record<string, unknown> = {}): PoolConfig {
  return configFromObject({
    poolServer: { enabled: false, poolAddress: REGTEST_ADDRESS },
    rewards: { soloFee: 0.5, finderReward: 0.5 },
    blockUnlocker: {
      depth: DEPTH,
      poolFee: 1.8,
      devDonation: 0.1,
      devAddress: DEV,
      donations: [{ address: DONATION, percent: 0.2 }],
    },
    logging: { console: { level: 'silent' }, files: { level: 'silent' } },
    ...over,
  });
}

const coin = 'unl';
const keys = keySchema(coin);
function deps(over: Partial<UnlockerDeps> = {}): UnlockerDeps {
  return {
    storage: env().storage,
    daemon: env().chain.daemon,
    config: makeConfig({ coin }),
    log: silentLogger(),
    now: () => Date.now(),
    ...over,
  };
}

/** Mines one block and returns its hash and height. */
async function newBlock(address = REGTEST_ADDRESS): Promise<{ hash: string; height: number }> {
  const r = await env().chain.daemon.generateBlocks(1, address);
  const hash = r.blocks[0] ?? '';
  const header = await env().chain.daemon.getBlockHeaderByHash(hash);
  return { hash, height: header.height };
}

async function balances(storage: Storage, addrs: readonly string[]): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  for (const a of addrs) out[a] = BigInt(String((await storage.command(['HGET', keys.worker(a), 'balance'])) ?? '0'));
  return out;
}

async function snapshot(storage: Storage): Promise<Record<string, unknown>> {
  const all = (await storage.command(['KEYS', `${keys.prefix}*`])) as string[];
  const out: Record<string, unknown> = {};
  for (const k of all.sort()) out[k] = await storage.command(['DUMP', k]);
  return out;
}

const sum = (xs: Iterable<bigint>) => [...xs].reduce((a, b) => a + b, 0n);

describe('unlocker', () => {
  it('prop: waits for depth, then credits miners + finder + donations + fee == the real reward, exactly once', async () => {
    const { storage, chain } = env();
    await storage.command(['FLUSHALL']);
    const b = await newBlock();
    await writeCandidate(storage, keys, { ...b, finder: 'B', scheme: 'prop', round: { A: 300n, B: 700n, C: 1n } });

    const early = await run(deps());
    expect(early.blocks).toEqual([{ hash: b.hash, height: b.height, action: 'waiting', confirmations: 0 }]);
    await mature(chain.daemon, DEPTH - 1);
    expect((await run(deps())).blocks[0]).toMatchObject({ action: 'waiting', confirmations: DEPTH - 1 });
    await mature(chain.daemon, 1);

    const dry = await run(deps(), { dryRun: true });
    expect(dry.blocks[0]?.action).toBe('unlocked');
    expect(await balances(storage, ['A'])).toEqual({ A: 0n });

    const r = await run(deps());
    const header = await chain.daemon.getBlockHeaderByHeight(b.height);
    expect(r.blocks[0]).toMatchObject({ action: 'unlocked', reward: header.reward.toString() });
    expect(r.blocks[0]?.credits).toEqual(dry.blocks[0]?.credits);
    const addrs = ['A', 'B', 'C', DEV, DONATION];
    const bal = await balances(storage, addrs);
    const block = asHash(await storage.command(['HGETALL', keys.block(b.hash)]));
    expect(block).toMatchObject({ status: 'unlocked', credited: '1', reward: header.reward.toString() });
    const fee = BigInt(block.fee ?? '-1');
    expect(sum(Object.values(bal)) + fee).toBe(header.reward);
    const exactFee = (header.reward * 180n) / 10000n; // 1.8 %, within one unit (largest remainder)
    expect(fee === exactFee || fee === exactFee + 1n).toBe(true);
    expect(bal[DEV]).toBeGreaterThan(0n);
    expect(bal[DONATION]).toBeGreaterThan(bal[DEV] ?? 0n);
    expect(bal.B).toBeGreaterThan(((bal.A ?? 0n) * 7n) / 3n); // B's 70 % share plus the finder reward
    expect(await storage.command(['EXISTS', keys.round(b.hash)])).toBe(0);
    expect(await storage.command(['ZSCORE', keys.blocksMatured, b.hash])).toBe(String(b.height));
    const stats = asHash(await storage.command(['HGETALL', keys.stats]));
    expect(stats).toMatchObject({
      totalRevenue: fee.toString(),
      totalMined: header.reward.toString(),
      blocksUnlocked: '1',
    });
    expect(BigInt(stats.totalCredited ?? '0')).toBe(sum(Object.values(bal)));

    // a second run: nothing left; even a stale candidate entry put back is refused by the credited guard
    expect((await run(deps())).candidates).toBe(0);
    await storage.command(['ZADD', keys.blocksCandidates, String(b.height), b.hash]);
    const again = await run(deps());
    expect(again.blocks[0]?.action).toBe('already-settled');
    expect(await balances(storage, addrs)).toEqual(bal);
  });

  it('pplns and solo split exactly; the solo finder gets the reward less the solo fee', async () => {
    const { storage, chain } = env();
    await storage.command(['FLUSHALL']);
    const p = await newBlock();
    await writeCandidate(storage, keys, { ...p, finder: 'P1', scheme: 'pplns', round: { P1: 5n, P2: 11n } });
    const s = await newBlock();
    await writeCandidate(storage, keys, { ...s, finder: 'S1', scheme: 'solo', round: { S1: 99n } });
    await mature(chain.daemon, DEPTH);
    const r = await run(deps());
    expect(r.unlocked).toBe(2);
    const rp = (await chain.daemon.getBlockHeaderByHeight(p.height)).reward;
    const rs = (await chain.daemon.getBlockHeaderByHeight(s.height)).reward;
    const feeP = BigInt(asHash(await storage.command(['HGETALL', keys.block(p.hash)])).fee ?? '0');
    const feeS = BigInt(asHash(await storage.command(['HGETALL', keys.block(s.hash)])).fee ?? '0');
    const bal = await balances(storage, ['P1', 'P2', 'S1', DEV, DONATION]);
    expect(sum(Object.values(bal)) + feeP + feeS).toBe(rp + rs);
    // solo: soloFee 0.5 %, donations 0.3 % -> finder gets the rest, and no finder reward on top
    const soloDonations = rs - feeS - (bal.S1 ?? 0n);
    expect(feeS - (rs * 50n) / 10000n).toBeLessThanOrEqual(1n);
    expect(soloDonations - (rs * 30n) / 10000n).toBeLessThanOrEqual(2n);
    expect(bal.P2).toBeGreaterThan(bal.P1 ?? 0n);
  });

  it('two unlockers racing credit each block once', async () => {
    const { storage, chain, redis } = env();
    await storage.command(['FLUSHALL']);
    const blocks = [];
    for (let i = 0; i < 3; i++) {
      const b = await newBlock();
      await writeCandidate(storage, keys, { ...b, finder: 'R1', scheme: 'prop', round: { R1: BigInt(i + 1), R2: 3n } });
      blocks.push(b);
    }
    await mature(chain.daemon, DEPTH);
    const other = createIoredisStorage(redis.config);
    const otherDaemon = createDaemonClient(chain.monerod.config);
    try {
      const [a, b] = await Promise.all([run(deps()), run(deps({ storage: other, daemon: otherDaemon }))]);
      expect(a.unlocked + b.unlocked).toBe(3);
      for (const r of [a, b])
        expect(r.blocks.every((x) => x.action === 'unlocked' || x.action === 'already-settled')).toBe(true);
    } finally {
      await other.close();
      await otherDaemon.close();
    }
    let rewards = 0n;
    let fees = 0n;
    for (const b of blocks) {
      rewards += (await chain.daemon.getBlockHeaderByHeight(b.height)).reward;
      fees += BigInt(asHash(await storage.command(['HGETALL', keys.block(b.hash)])).fee ?? '0');
    }
    const bal = await balances(storage, ['R1', 'R2', DEV, DONATION]);
    expect(sum(Object.values(bal)) + fees).toBe(rewards);
    expect(asHash(await storage.command(['HGETALL', keys.stats])).blocksUnlocked).toBe('3');
  });

  it('a daemon RPC error changes nothing', async () => {
    const { storage, chain } = env();
    await storage.command(['FLUSHALL']);
    const b = await newBlock();
    await writeCandidate(storage, keys, { ...b, finder: 'E', scheme: 'prop', round: { E: 10n } });
    await mature(chain.daemon, DEPTH);
    const before = await snapshot(storage);
    const dead = createDaemonClient({ host: '127.0.0.1', port: 9, timeout: 1000, retries: 0 });
    const r = await run(deps({ daemon: dead }));
    await dead.close();
    expect(r.blocks[0]?.action).toBe('error');
    expect(r.errors).toBe(1);
    const after = await snapshot(storage);
    delete after[keys.heartbeat('unlocker')];
    expect(after).toEqual(before);
  });

  it('an orphan (another block at its height, at depth) returns a PROP round to the current round', async () => {
    const { storage, chain } = env();
    await storage.command(['FLUSHALL']);
    const b = await newBlock();
    await writeCandidate(storage, keys, { ...b, finder: 'O1', scheme: 'prop', round: { O1: 40n, O2: 60n } });
    await storage.command(['HINCRBY', keys.roundCurrent, 'O1', '5']); // the next round has begun
    await storage.command(['INCRBY', keys.roundTotal, '5']);
    await chain.daemon.popBlocks(1);
    const replaced = await newBlock(OTHER_ADDRESS);
    expect(replaced.height).toBe(b.height);
    expect(replaced.hash).not.toBe(b.hash);

    const waiting = await run(deps());
    expect(waiting.blocks[0]).toMatchObject({ action: 'waiting', mainChainHashDiffers: true });
    await mature(chain.daemon, DEPTH);
    const r = await run(deps());
    expect(r.blocks[0]).toMatchObject({ hash: b.hash, action: 'orphaned' });
    expect(asHash(await storage.command(['HGETALL', keys.roundCurrent]))).toEqual({ O1: '45', O2: '60' });
    expect(await storage.command(['GET', keys.roundTotal])).toBe('105');
    expect(asHash(await storage.command(['HGETALL', keys.block(b.hash)])).status).toBe('orphaned');
    expect(await storage.command(['EXISTS', keys.round(b.hash)])).toBe(0);
    expect(await storage.command(['ZSCORE', keys.blocksMatured, b.hash])).toBe(String(b.height));
    expect(await balances(storage, ['O1', 'O2'])).toEqual({ O1: 0n, O2: 0n });
    expect((await run(deps())).candidates).toBe(0);
  });
});
