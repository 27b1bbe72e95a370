/**
 * The stats function against a real redis-server and a real regtest monerod, on a Redis state written by the
 * stratum node's own recorder and settled by the real unlocker (test/backoffice/pool-activity.ts).
 */
import { describe, expect, it } from 'vitest';
import { bucketWindow, parseChart, parseSnapshot, run, type StatsDeps } from '../functions/stats/index.js';
import { silentLogger } from '../shared/log.js';
import { createDaemonClient } from '../shared/rpc/daemon.js';
import { HASHRATE_BUCKET_SECONDS } from '../shared/redis/keys.js';
import { freePort } from '../shared/services/index.js';
import { MINER_A, MINER_B, PAID_A, PAY_TX, startPoolActivity } from './backoffice/pool-activity.js';
import { useFixture } from './harness/index.js';

const env = useFixture(() => startPoolActivity('st'));

function deps(nowMs: number, over: Partial<StatsDeps> = {}): StatsDeps {
  const e = env();
  return {
    storage: e.storage,
    daemon: e.chain.daemon,
    config: e.config,
    log: silentLogger(),
    now: () => nowMs,
    ...over,
  };
}

const strs = async (args: string[]): Promise<string[]> => {
  const r = await env().storage.command(args);
  return Array.isArray(r) ? r.map(String) : [];
};

describe('stats run', () => {
  it('computes hashrate, miners, workers, round, network and totals from what the pool wrote', async () => {
    const e = env();
    const now = Date.now();
    const snap = await run(deps(now));
    const win = bucketWindow(Math.floor(now / 1000), 600);

    // pool hashrate = all credited difficulty in the window / the seconds the window's buckets cover
    expect(snap.pool.hashrate).toBe(Math.round(e.totalDiff / win.span));
    expect(win.span).toBeGreaterThan(600 - HASHRATE_BUCKET_SECONDS);
    expect(snap.pool.miners).toBe(2);
    expect(snap.pool.workers).toBe(3);

    // height/timestamp/reward/hash of the last block; difficulty = get_info's, the next block's (the template's)
    const header = await e.chain.daemon.getLastBlockHeader();
    const next = (await e.chain.daemon.getInfo()).difficulty;
    expect(snap.network).toEqual({
      difficulty: next.toString(),
      height: header.height,
      timestamp: header.timestamp,
      reward: header.reward.toString(),
      hash: header.hash,
      hashrate: Math.round(Number(next) / 120),
    });

    const roundTotal = String(await e.storage.command(['GET', e.keys.roundTotal]));
    expect(snap.pool.roundHashes).toBe(roundTotal);
    expect(roundTotal).toBe('4500'); // the open round's shares
    expect(snap.pool.effort).toBeCloseTo(Number(roundTotal) / Number(next), 9);

    const stats = await e.storage.command(['HGET', e.keys.stats, 'lastBlockFound']);
    expect(snap.pool.lastBlockFound).toBe(stats);
    expect(snap.pool.lastBlockFoundHeight).toBe(e.candidate.height);
    expect(snap.pool.stats).toMatchObject({ lastBlockFound: stats, lastBlockFoundHeight: String(e.candidate.height) });
    // the ledger totals in the same hash stay private
    expect(Object.keys(snap.pool.stats)).not.toContain('totalRevenue');
    expect(Object.keys(snap.pool.stats)).not.toContain('totalPaid');

    // blocks: the candidate first, then the matured ones newest first, in the seed's member format
    expect(snap.pool.totalBlocks).toBe(3);
    expect(snap.pool.blocksCandidates).toBe(1);
    expect(snap.pool.blocksUnlocked).toBe(1);
    expect(snap.pool.blocksOrphaned).toBe(1);
    expect(snap.pool.blocks).toHaveLength(6);
    const [cMember, cScore] = snap.pool.blocks;
    expect(cScore).toBe(String(e.candidate.height));
    // its round: its own shares plus the orphan's round, which the unlocker put back
    expect(cMember).toMatch(new RegExp(`^${e.candidate.hash}:\\d{10}:1:9000$`));
    const matured = new Map<string, string>();
    for (let i = 2; i < 6; i += 2)
      matured.set(String(snap.pool.blocks[i]).split(':')[0] ?? '', String(snap.pool.blocks[i]));
    const reward = await e.storage.command(['HGET', e.keys.block(e.unlocked.hash), 'reward']);
    expect(matured.get(e.unlocked.hash)).toMatch(new RegExp(`^${e.unlocked.hash}:\\d{10}:1:4500:0:${reward}$`));
    expect(matured.get(e.orphaned.hash)).toMatch(new RegExp(`^${e.orphaned.hash}:\\d{10}:1:4500:1$`));

    expect(snap.pool.payments).toEqual([`${PAY_TX}:${PAID_A}:30000000:16:1`, expect.stringMatching(/^\d{10}$/)]);
    expect(snap.pool.totalPayments).toBe(1);
    expect(snap.pool.totalMinersPaid).toBe(1);

    // stored: the snapshot (with a TTL) and the heartbeat
    const stored = parseSnapshot(String(await e.storage.command(['GET', e.keys.statsSnapshot])));
    expect(stored).toEqual(snap);
    expect(Number(await e.storage.command(['TTL', e.keys.statsSnapshot]))).toBeGreaterThan(3500);
    expect(await e.storage.command(['GET', e.keys.heartbeat('stats')])).toBe(String(now));
  });

  it('appends one chart point per chart interval, per pool series and per active miner, trimmed and with TTLs', async () => {
    const e = env();
    const interval = e.config.stats.chartInterval;
    const retention = e.config.stats.chartRetention;
    // a fresh slot: the next interval boundary from now, plus 1 s
    const base = (Math.floor(Date.now() / 1000 / interval) + 1) * interval + 1;
    const snap = await run(deps(base * 1000));
    const slot = base - 1;
    for (const name of ['hashrate', 'miners', 'workers', 'difficulty']) {
      const points = parseChart(await strs(['ZRANGE', e.keys.chart(name), '0', '-1', 'WITHSCORES']));
      expect(points.at(-1)?.[0], name).toBe(slot);
      const ttl = Number(await e.storage.command(['TTL', e.keys.chart(name)]));
      expect(ttl).toBeGreaterThan(retention);
      expect(ttl).toBeLessThanOrEqual(retention + interval);
    }
    const hr = parseChart(await strs(['ZRANGE', e.keys.chart('hashrate'), '0', '-1', 'WITHSCORES']));
    expect(hr.at(-1)).toEqual([slot, snap.pool.hashrate]);
    const miners = parseChart(await strs(['ZRANGE', e.keys.chart('miners'), '0', '-1', 'WITHSCORES']));
    expect(miners.at(-1)).toEqual([slot, 2]);
    for (const m of [MINER_A, MINER_B]) {
      const pts = parseChart(await strs(['ZRANGE', e.keys.minerChart(m), '0', '-1', 'WITHSCORES']));
      expect(pts.at(-1)?.[0]).toBe(slot);
      expect(pts.at(-1)?.[1]).toBeGreaterThan(0);
      expect(Number(await e.storage.command(['TTL', e.keys.minerChart(m)]))).toBeGreaterThan(retention);
    }
    const count = async (): Promise<number> => Number(await e.storage.command(['ZCARD', e.keys.chart('hashrate')]));
    const before = await count();

    // same slot: no new point
    await run(deps((base + 5) * 1000));
    expect(await count()).toBe(before);
    // next slot: one more
    await run(deps((base + interval) * 1000));
    expect(await count()).toBe(before + 1);
    // far later: the old points fall out of the retention window (miners idle by then: no miner point)
    const later = base + retention + 3 * interval;
    await run(deps(later * 1000));
    const pts = parseChart(await strs(['ZRANGE', e.keys.chart('hashrate'), '0', '-1', 'WITHSCORES']));
    expect(pts.every(([t]) => t >= later - retention)).toBe(true);
    expect(pts.at(-1)).toEqual([later - 1, 0]);
    const minerPts = parseChart(await strs(['ZRANGE', e.keys.minerChart(MINER_A), '0', '-1', 'WITHSCORES']));
    expect(minerPts.at(-1)?.[0]).toBe(base + interval - 1);
  });

  it('dry run computes the snapshot but writes nothing', async () => {
    const e = env();
    const beforeHb = await e.storage.command(['GET', e.keys.heartbeat('stats')]);
    const beforeSnap = await e.storage.command(['GET', e.keys.statsSnapshot]);
    const snap = await run(deps(Date.now() + 7000), { dryRun: true });
    expect(snap.pool.miners).toBe(2);
    expect(await e.storage.command(['GET', e.keys.heartbeat('stats')])).toBe(beforeHb);
    expect(await e.storage.command(['GET', e.keys.statsSnapshot])).toBe(beforeSnap);
  });

  it('keeps the previous network stats when the daemon is unreachable, and fails without any', async () => {
    const e = env();
    const deadPort = await freePort();
    const dead = createDaemonClient({ host: '127.0.0.1', port: deadPort, timeout: 500, retries: 0 });
    const good = await run(deps(Date.now()));
    const snap = await run(deps(Date.now(), { daemon: dead }));
    expect(snap.network).toEqual(good.network);
    expect(snap.pool.miners).toBe(2);
    await e.storage.command(['DEL', e.keys.statsSnapshot]);
    await expect(run(deps(Date.now(), { daemon: dead }))).rejects.toMatchObject({
      code: expect.stringMatching(/^E_RPC_/),
    });
    await run(deps(Date.now()));
    await dead.close();
  });
});
