/**
 * Every production Lua script, driven through its real TypeScript call site with realistic inputs, on any Storage:
 * the share recorder (PROP, slush, PPLNS and solo rounds, several miners with rigs and IPs, found blocks with and
 * without a `submit` verdict), the unlocker's credit and orphan, the payer's whole batch life (lock, reserve, sign,
 * durability touch, submit, relay, note, settle, finalize; a released batch; lock extend/release), the function lock and the admin
 * login counter. Used by test/redis-script-keys.test.ts (MONITOR: every key a script touches was declared) and by
 * the storage contract (test/storage-contract.ts: the same scripts and results on every adapter, Upstash included).
 *
 * `runScriptScenarios` asserts the money and round outcomes it produces, so an adapter that mangles a script's
 * input or reply fails here. All keys live under keySchema(coin); `scenarioKeys` lists them for cleanup.
 *
 * Data model: ScenarioResult (the block hashes and batch ids it created).
 */
import { expect } from 'vitest';
import { configFromObject } from '../shared/config/load.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { silentLogger } from '../shared/log.js';
import { keySchema, type KeySchema } from '../shared/redis/keys.js';
import type { Storage } from '../shared/storage/port.js';
import { ShareRecorder, type AcceptedShare, type RecorderOptions } from '../stratum-node/recorder.js';
import { CREDIT_BLOCK, ORPHAN_BLOCK, creditKeys, orphanKeys } from '../functions/unlocker/scripts.js';
import * as ledger from '../functions/payments/ledger.js';
import type { PaymentsDeps } from '../functions/payments/deps.js';
import type { Destination } from '../functions/payments/batch.js';
import { confirmDurable } from '../functions/payments/durable.js';
import { withFunctionLock } from '../shared/cloud/lambda.js';
import { checkAdmin } from '../functions/api/auth.js';

export const POOL_ADDRESS =
  '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';
const A = 'minerA-4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9Sfzg';
const B = 'minerB-48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5';
const C = 'minerC-solo-44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7ot';

export interface ScenarioResult {
  readonly blocks: { prop: string; slush: string; pplns: string; solo: string };
  readonly paidBatch: string;
  readonly releasedBatch: string;
}

function scenarioConfig(coin: string): PoolConfig {
  return configFromObject({
    coin,
    poolServer: {
      poolAddress: POOL_ADDRESS,
      clusterForks: 1,
      ports: [{ port: 3333, difficulty: 1000 }],
      health: { enabled: false },
    },
    api: { enabled: false, password: 'scenario-admin' },
  });
}

const never = (what: string) => (): never => {
  throw new Error(`${what} is not used by the ledger scripts`);
};

function recorder(storage: Storage, keys: KeySchema, o: Partial<RecorderOptions>): ShareRecorder {
  return new ShareRecorder(
    storage,
    {
      prefix: keys.prefix,
      scheme: 'prop',
      slushWeight: 0,
      pplnsWindow: 2,
      batchMs: 1000,
      hashrateWindowSec: 600,
      nodeId: 7,
      ...o,
    },
    silentLogger(),
  );
}

function shares(r: ShareRecorder, list: readonly [string, string, string, number, boolean?][], atMs: number): void {
  list.forEach(([login, rig, ip, diff, solo], i) => {
    const s: AcceptedShare = { login, rig, ip, diff, solo: solo ?? false, atMs: atMs + i };
    r.add(s);
  });
}

const hash = (n: number): string => n.toString(16).padStart(2, '0').repeat(32);

export async function runScriptScenarios(storage: Storage, coin: string): Promise<ScenarioResult> {
  const keys = keySchema(coin);
  const config = scenarioConfig(coin);
  const t0 = Date.now();
  const hget = async (key: string, f: string) => storage.command(['HGET', key, f]);

  // --- PROP round: three miners, two rigs and two IPs for A; a block found by B, then shares of the next round
  const prop = recorder(storage, keys, {});
  shares(
    prop,
    [
      [A, 'r1', '10.0.0.1', 100],
      [A, 'r2', '10.0.0.2', 50],
      [B, 'box', '10.0.0.3', 70],
      [C, 'x', '10.0.0.4', 30, true],
    ],
    t0,
  );
  prop.addInvalid();
  await prop.flush();
  shares(prop, [[B, 'box', '10.0.0.3', 30]], t0 + 10);
  const propHash = hash(1);
  expect(
    await prop.recordBlock({
      hash: propHash,
      height: 101,
      timeMs: t0 + 20,
      difficulty: 1000n,
      finder: B,
      solo: false,
      submit: 'accepted',
    }),
  ).toBe(true);
  expect(await storage.command(['HGETALL', keys.round(propHash)])).toEqual(
    expect.arrayContaining([A, '150', B, '100']),
  );
  expect(await hget(keys.block(propHash), 'submit')).toBe('accepted');
  shares(prop, [[A, 'r1', '10.0.0.1', 40]], t0 + 30);
  await prop.flush();
  expect(await hget(keys.roundCurrent, A)).toBe('40');

  // --- slush (PROP with a weight): another block, recorded as "unconfirmed"
  const slush = recorder(storage, keys, { slushWeight: 120 });
  shares(
    slush,
    [
      [A, 'r1', '10.0.0.1', 100],
      [B, 'box', '10.0.0.3', 100],
    ],
    t0 + 40,
  );
  const slushHash = hash(2);
  expect(
    await slush.recordBlock({
      hash: slushHash,
      height: 102,
      timeMs: t0 + 50,
      difficulty: 1000n,
      finder: A,
      solo: false,
      submit: 'unconfirmed',
    }),
  ).toBe(true);
  expect(await hget(keys.block(slushHash), 'scheme')).toBe('slush');
  expect(await hget(keys.block(slushHash), 'submit')).toBe('unconfirmed');

  // --- PPLNS: the window cut from the share log (network difficulty 100, window 2 -> 200)
  const pplns = recorder(storage, keys, { scheme: 'pplns' });
  pplns.setNetworkDifficulty(100n);
  for (const [login, d] of [
    [A, 120],
    [B, 50],
    [A, 40],
    [B, 60],
  ] as const) {
    shares(pplns, [[login, 'r1', '10.0.0.9', d]], t0 + 60);
    await pplns.flush();
  }
  const pplnsHash = hash(3);
  expect(
    await pplns.recordBlock({
      hash: pplnsHash,
      height: 103,
      timeMs: t0 + 70,
      difficulty: 100n,
      finder: B,
      solo: false,
    }),
  ).toBe(true);
  expect(await storage.command(['HGETALL', keys.round(pplnsHash)])).toEqual(
    expect.arrayContaining([B, '110', A, '90']),
  );
  expect(await hget(keys.block(pplnsHash), 'submit')).toBe('accepted'); // recordBlock's default verdict

  // --- solo: the finder alone
  const solo = recorder(storage, keys, { scheme: 'solo' });
  shares(solo, [[C, 'x', '10.0.0.4', 500, true]], t0 + 80);
  const soloHash = hash(4);
  expect(
    await solo.recordBlock({ hash: soloHash, height: 104, timeMs: t0 + 90, difficulty: 1000n, finder: C, solo: true }),
  ).toBe(true);
  expect(
    await solo.recordBlock({ hash: soloHash, height: 104, timeMs: t0 + 90, difficulty: 1000n, finder: C, solo: true }),
  ).toBe(false);

  // --- unlocker: credit the PROP block, orphan the PPLNS one
  const credits: [string, bigint][] = [
    [A, 3_000_000_000_000n],
    [B, 2_000_000_000_000n],
  ];
  const credited = credits.reduce((s, [, v]) => s + v, 0n);
  expect(
    await storage.evalScript(
      CREDIT_BLOCK,
      creditKeys(
        keys,
        propHash,
        credits.map(([a]) => a),
      ),
      [
        propHash,
        '101',
        '5100000000000',
        '100000000000',
        String(t0),
        '{"scheme":"prop"}',
        credited.toString(),
        ...credits.flatMap(([a, v]) => [a, v.toString()]),
      ],
    ),
  ).toBe(1);
  expect(await hget(keys.worker(A), 'balance')).toBe('3000000000000');
  expect(await storage.evalScript(ORPHAN_BLOCK, orphanKeys(keys, pplnsHash), [pplnsHash, '103', '0', String(t0)])).toBe(
    1,
  );
  expect(await hget(keys.block(pplnsHash), 'status')).toBe('orphaned');

  // --- payments: one batch paid end to end, one released
  let clock = t0;
  const deps: PaymentsDeps = {
    storage,
    config,
    log: silentLogger(),
    now: () => (clock += 1),
    daemon: {
      getInfo: never('getInfo'),
      getTransactions: never('getTransactions'),
      isKeyImageSpent: never('isKeyImageSpent'),
    },
    wallet: {
      getHeight: never('getHeight'),
      refresh: never('refresh'),
      transfer: never('transfer'),
      relayTx: never('relayTx'),
      store: never('store'),
    },
  };
  const token = await ledger.acquireLock(deps, keys);
  expect(token).not.toBeNull();
  const p: ledger.Payer = { deps, keys, token: token!, ttlMs: 60_000 };
  await ledger.extendLock(p);
  const dests: Destination[] = [
    { address: A, amount: 1_000_000_000_000n, reserve: 1_000_000_000_000n, share: 0n, refund: 0n },
    { address: B, amount: 500_000_000_000n, reserve: 500_000_000_000n, share: 0n, refund: 0n },
  ];
  const paid = 'scenario-1';
  expect(await ledger.reserve(p, paid, dests)).toBe(1);
  expect(
    await ledger.persistSigned(
      p,
      paid,
      {
        txHash: 'ab'.repeat(32),
        txKey: 'cd'.repeat(32),
        txMetadata: 'meta',
        fee: 30_000_000n,
        keyImages: ['ef'.repeat(32)],
      },
      dests,
    ),
  ).toBe(1);
  // the durability touch (TOUCH_BATCH, sent raw in a pipeline beside WAITAOF, or alone where WAITAOF is unknown)
  expect(await confirmDurable(p, paid, { replicas: false, txHash: 'ab'.repeat(32) })).toBeNull();
  expect(await ledger.markSubmit(p, paid)).toBe(1);
  // a hold before relaying gives the attempt back
  expect(await ledger.noteError(p, paid, 'held: not durable', true)).toBe(1);
  expect(await hget(keys.payBatch(paid), 'relayAttempts')).toBe('0');
  expect(await hget(keys.payBatch(paid), 'submitStarted')).toBeNull();
  expect(await ledger.markSubmit(p, paid)).toBe(1);
  expect(await ledger.markRelayed(p, paid)).toBe(1);
  expect(await ledger.noteError(p, paid, 'a note')).toBe(1);
  const batch = await ledger.loadBatch(storage, keys, paid);
  expect(batch?.status).toBe('relayed');
  expect(await ledger.settle(p, batch!)).toBe(1);
  expect(await ledger.finalize(p, paid)).toBe(1);
  expect(await hget(keys.worker(A), 'paid')).toBe('1000000000000');
  expect(await hget(keys.worker(A), 'balance')).toBe('2000000000000');
  const released = 'scenario-2';
  expect(await ledger.reserve(p, released, dests.slice(1))).toBe(1);
  expect(await ledger.release(p, (await ledger.loadBatch(storage, keys, released))!, 'scenario release')).toBe(1);
  expect(await hget(keys.worker(B), 'balance')).toBe('1500000000000');
  expect(await hget(keys.worker(B), 'pending')).toBe('0');
  await ledger.releaseLock(p);
  expect(await storage.command(['EXISTS', keys.payLock])).toBe(0);

  // --- the function lock and the admin login counter
  expect(await withFunctionLock(storage, coin, 'stats', 10_000, async () => 'ran')).toEqual({
    skipped: false,
    result: 'ran',
  });
  expect(await storage.command(['EXISTS', keys.functionLock('stats')])).toBe(0);
  expect(await checkAdmin(storage, keys, 'scenario-admin', '10.9.9.9', 'wrong', 10)).toMatchObject({
    ok: false,
    status: 401,
  });
  expect(await checkAdmin(storage, keys, 'scenario-admin', '10.9.9.9', 'scenario-admin', 10)).toEqual({ ok: true });
  expect(await storage.command(['GET', keys.adminFail('10.9.9.9')])).toBe('1');

  return {
    blocks: { prop: propHash, slush: slushHash, pplns: pplnsHash, solo: soloHash },
    paidBatch: paid,
    releasedBatch: released,
  };
}

/** Every key under the coin's prefix (SCAN), for cleanup. */
export async function scenarioKeys(storage: Storage, coin: string): Promise<string[]> {
  const match = `${keySchema(coin).prefix.replace(/[{}*?[\]]/g, (c) => `\\${c}`)}*`;
  const out: string[] = [];
  let cursor = '0';
  do {
    const reply = await storage.command(['SCAN', cursor, 'MATCH', match, 'COUNT', '1000']);
    const [next, found] = reply as [string, string[]];
    cursor = String(next);
    out.push(...found);
  } while (cursor !== '0');
  return out;
}
