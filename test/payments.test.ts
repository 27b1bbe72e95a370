/**
 * Payments against real monerod (regtest), two real monero-wallet-rpc (the pool's and a miner's) and redis-server.
 * Each test uses its own coin prefix (so its own ledger) and fresh miner subaddresses, and ends with the invariants
 * I1-I3 checked against the wallets (backoffice/ledger-check.ts).
 */
import { describe, expect, it } from 'vitest';
import { paymentStatus, resolveBatch, resumePayments } from '../functions/payments/index.js';
import { run as unlock } from '../functions/unlocker/index.js';
import { asHash } from '../shared/storage/replies.js';
import { configFromObject } from '../shared/config/load.js';
import { silentLogger } from '../shared/log.js';
import { createIoredisStorage, type IoredisStorage } from '../shared/storage/ioredis.js';
import type { Storage } from '../shared/storage/port.js';
import { writeCandidate } from './backoffice/candidates.js';
import { checkInvariants, ledgerOf, outgoingTxids } from './backoffice/ledger-check.js';
import {
  configInput,
  confirm,
  credit,
  depsFor,
  keysOf,
  payIn,
  payInChild,
  sleep,
  startPayEnv,
  syncPoolWallet,
  type PayEnv,
} from './backoffice/payments-env.js';
import { freePort, mature, startRedis, useFixture } from './harness/index.js';

const env = useFixture(startPayEnv, 600_000);
const XMR = 1_000_000_000_000n;
const LONG = 300_000;

/** Starts a test: its coin, payees credited with `amounts`, the pool wallet synced, the txids already out. */
async function begin(coin: string, amounts: readonly bigint[], payments: Record<string, unknown> = {}) {
  const e: PayEnv = env();
  const keys = keysOf(coin);
  const addresses = e.takeAddresses(amounts.length);
  await credit(e.storage, keys, Object.fromEntries(addresses.map((a, i) => [a, amounts[i] ?? 0n])));
  await syncPoolWallet(e);
  const txidsBefore = await outgoingTxids(e.poolWallet);
  const input = configInput(e, coin, { payments });
  const check = async () => {
    await confirm(e);
    return checkInvariants({
      storage: e.storage,
      keys,
      poolWallet: e.poolWallet,
      minerWallet: e.minerWallet,
      txidsBefore,
      addresses,
    });
  };
  return { e, keys, addresses, input, check };
}

describe('payments', () => {
  it(
    'full cycle: pool blocks unlock, the unlocker credits, payments pay, the miner wallet receives exactly `paid`',
    async () => {
      const e = env();
      const coin = 'cycle';
      const keys = keysOf(coin);
      const addresses = e.takeAddresses(3);
      const config = configFromObject(configInput(e, coin));
      const mined = await e.chain.daemon.generateBlocks(1, e.poolAddress);
      const hash = mined.blocks[0] ?? '';
      const height = (await e.chain.daemon.getBlockHeaderByHash(hash)).height;
      await writeCandidate(e.storage, keys, {
        hash,
        height,
        finder: addresses[0] ?? '',
        scheme: 'prop',
        round: { [addresses[0] ?? '']: 1000n, [addresses[1] ?? '']: 3000n, [addresses[2] ?? '']: 6000n },
      });
      await mature(e.chain.daemon, 3);
      const u = await unlock({
        storage: e.storage,
        daemon: e.chain.daemon,
        config,
        log: silentLogger(),
        now: () => Date.now(),
      });
      expect(u.unlocked).toBe(1);
      const reward = (await e.chain.daemon.getBlockHeaderByHeight(height)).reward;
      const fee = BigInt(asHash(await e.storage.command(['HGETALL', keys.block(hash)])).fee ?? '0');
      let credited = 0n;
      for (const a of addresses) credited += (await ledgerOf(e.storage, keys, a)).credited;
      expect(credited + fee).toBe(reward);

      await syncPoolWallet(e);
      const txidsBefore = await outgoingTxids(e.poolWallet);
      const dry = await payIn(e, configInput(e, coin), e.storage, true);
      expect(dry.status).toBe('dry-run');
      expect(dry.planned?.[0]?.length).toBe(3);
      expect((await ledgerOf(e.storage, keys, addresses[0] ?? '')).pending).toBe(0n);

      const r = await payIn(e, configInput(e, coin));
      expect(r.status).toBe('paid');
      expect(r.batches).toHaveLength(1);
      await confirm(e);
      const { ledgers } = await checkInvariants({
        storage: e.storage,
        keys,
        poolWallet: e.poolWallet,
        minerWallet: e.minerWallet,
        txidsBefore,
        addresses,
      });
      for (const l of ledgers.values()) {
        expect(l.paid).toBeGreaterThan(0n);
        expect(l.balance).toBeLessThan(1_000_000_000n); // only the sub-denomination remainder is left
      }
      const paymentsAll = (await e.storage.command(['ZRANGE', keys.paymentsAll, '0', '-1'])) as string[];
      expect(paymentsAll).toHaveLength(1);
      const [tx, total, txFee, mixin, n] = (paymentsAll[0] ?? '').split(':');
      expect(tx).toMatch(/^[0-9a-f]{64}$/);
      expect(BigInt(total ?? '0')).toBe([...ledgers.values()].reduce((s, l) => s + l.paid, 0n));
      expect(BigInt(txFee ?? '0')).toBeGreaterThan(0n);
      expect([mixin, n]).toEqual(['15', '3']);
      const mine = (await e.storage.command([
        'ZRANGE',
        keys.payments(addresses[2] ?? ''),
        '0',
        '-1',
        'WITHSCORES',
      ])) as string[];
      expect(mine[0]).toBe(`${tx}:${ledgers.get(addresses[2] ?? '')?.paid}:0:15`);
      expect(Number(mine[1])).toBeGreaterThan(1_600_000_000);

      // a second run finds nothing due and sends nothing
      const again = await payIn(e, configInput(e, coin));
      expect(again.status).toBe('idle');
      expect((await outgoingTxids(e.poolWallet)).size).toBe(txidsBefore.size + 1);
    },
    LONG,
  );

  it(
    'feePayer "payees": the real fee is split exactly over the batch and charged to the payees',
    async () => {
      const { e, keys, addresses, input, check } = await begin('feepay', [XMR / 2n, XMR, (3n * XMR) / 2n], {
        feePayer: 'payees',
        transferFee: '10000000000',
      });
      const r = await payIn(e, input);
      expect(r.status).toBe('paid');
      const fee = BigInt(r.batches[0]?.result === 'sent' ? r.batches[0].fee : '0');
      const { ledgers } = await check();
      const charged = [...ledgers.values()].reduce((s, l) => s + l.feePaid, 0n);
      expect(charged).toBe(fee);
      for (const a of addresses) {
        const l = ledgers.get(a);
        expect(l?.feePaid).toBeGreaterThan(0n);
        expect((l?.balance ?? 0n) + (l?.paid ?? 0n) + (l?.feePaid ?? 0n)).toBe(l?.credited);
      }
      expect(asHash(await e.storage.command(['HGETALL', keys.stats])).totalFeesCharged).toBe(fee.toString());
    },
    LONG,
  );

  it(
    '20 payees go out in two transactions (15 + 5)',
    async () => {
      const { e, input, check } = await begin(
        'twenty',
        Array.from({ length: 20 }, () => XMR / 5n),
      );
      const r = await payIn(e, input);
      expect(r.status).toBe('paid');
      // the second tx is built while the first waits for its confirmations (its balances are already paid)
      expect(r.batches.map((b) => (b.result === 'sent' ? b.payees : -1))).toEqual([15, 5]);
      const { txs } = await check();
      expect(txs).toHaveLength(2);
    },
    LONG,
  );

  it(
    'two payers at once: one pays, the other is held by the lock',
    async () => {
      const { e, input, check } = await begin('twopay', [XMR / 2n, XMR / 2n]);
      const other = createIoredisStorage(e.redis.config);
      try {
        const [a, b] = await Promise.all([payIn(e, input), payIn(e, input, other)]);
        expect([a.status, b.status].sort()).toEqual(['held', 'paid']);
        expect((a.status === 'held' ? a : b).reason).toMatch(/lock/);
      } finally {
        await other.close();
      }
      expect((await check()).txs).toHaveLength(1);
    },
    LONG,
  );

  it(
    'a relay_tx reply lost after the wallet relayed: the daemon shows the tx, the batch settles, one tx',
    async () => {
      const { e, keys, input, check } = await begin('relaylost', [XMR / 2n]);
      e.walletProxy.dropReply('relay_tx');
      const relays = e.walletProxy.count('relay_tx');
      const r = await payIn(e, input);
      expect(r.status).toBe('paid');
      expect(e.walletProxy.count('relay_tx')).toBe(relays + 1);
      const b = asHash(await e.storage.command(['HGETALL', keys.payBatch('1')]));
      expect(b).toMatchObject({ status: 'sent', relayAttempts: '1' });
      expect(b.lastError).toMatch(/relay attempt 1/);
      expect((await check()).txs).toHaveLength(1);
    },
    LONG,
  );

  it(
    'a transfer reply lost (tx built, never relayed): reservation released, the next run pays once',
    async () => {
      const { e, keys, addresses, input, check } = await begin('buildlost', [XMR / 2n]);
      e.walletProxy.dropReply('transfer');
      const first = await payIn(e, input);
      expect(first.status).toBe('held');
      expect(first.batches[0]?.result).toBe('released');
      expect(await ledgerOf(e.storage, keys, addresses[0] ?? '')).toMatchObject({ pending: 0n, balance: XMR / 2n });
      const second = await payIn(e, input);
      expect(second.status).toBe('paid');
      expect((await check()).txs).toHaveLength(1);
    },
    LONG,
  );

  for (const phase of ['reserved', 'built', 'signed', 'relayed', 'confirmed'] as const) {
    it(
      `kill -9 of the payer after "${phase}", then a new run: paid exactly once, I1-I3 hold`,
      async () => {
        const { e, input, check } = await begin(`kill-${phase}`, [XMR / 2n, XMR / 3n]);
        const crashInput = {
          ...input,
          payments: { ...(input.payments as object), lockTtl: 2, walletRefreshTimeout: 1 },
        };
        const crashed = await payInChild(crashInput, phase);
        expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
        await sleep(2_100); // the dead payer's lock expires
        const r = await payIn(e, input);
        expect(r.status, r.reason).toBe(phase === 'confirmed' ? 'idle' : 'paid');
        const recovered = r.recovered[0]?.result;
        expect(recovered).toBe(
          { reserved: 'released', built: 'released', signed: 'sent', relayed: 'sent', confirmed: 'waiting' }[phase],
        );
        expect(r.batches).toHaveLength(phase === 'reserved' || phase === 'built' ? 1 : 0);
        expect((await check()).txs).toHaveLength(1);
        expect((await payIn(e, input)).status).toBe('idle');
      },
      LONG,
    );
  }

  it(
    'Redis down at the start: the run fails before any wallet call',
    async () => {
      const e = env();
      const dead = await freePort();
      const before = e.walletProxy.count();
      const storage = createIoredisStorage({ host: '127.0.0.1', port: dead });
      try {
        await expect(payIn(e, configInput(e, 'redisdown', { redisPort: dead }), storage)).rejects.toMatchObject({
          code: 'E_STORAGE',
        });
      } finally {
        storage.redis.disconnect();
      }
      expect(e.walletProxy.count()).toBe(before);
    },
    LONG,
  );

  it(
    'daemon not synchronized, or wallet behind the daemon: held with the reason, nothing reserved or sent',
    async () => {
      const { e, keys, addresses, input, check } = await begin('unsynced', [XMR / 2n]);
      const transfers = e.walletProxy.count('transfer');
      e.daemonProxy.rewrite('get_info', (r) => ({ ...r, synchronized: false }));
      try {
        const r = await payIn(e, input);
        expect(r).toMatchObject({ status: 'held', reason: 'daemon is not synchronized' });
      } finally {
        e.daemonProxy.rewrite('get_info', null);
      }
      e.daemonProxy.rewrite('get_info', (r) => ({ ...r, height: Number(r.height) + 1 }));
      try {
        const r = await payIn(e, input);
        expect(r.status).toBe('held');
        expect(r.reason).toMatch(/wallet height \d+ differs from daemon height/);
      } finally {
        e.daemonProxy.rewrite('get_info', null);
      }
      expect(e.walletProxy.count('transfer')).toBe(transfers);
      expect(await ledgerOf(e.storage, keys, addresses[0] ?? '')).toMatchObject({
        balance: XMR / 2n,
        pending: 0n,
        paid: 0n,
      });
      expect(await e.storage.command(['EXISTS', keys.heartbeat('payments')])).toBe(0);
      expect((await check()).txs).toHaveLength(0);
    },
    LONG,
  );

  it(
    'fail-stop on an ambiguous batch; the operator inspects, is refused an unsafe release, fixes, resumes',
    async () => {
      const { e, keys, input, check } = await begin('failstop', [XMR / 2n]);
      const crashed = await payInChild(
        { ...input, payments: { ...(input.payments as object), lockTtl: 2, walletRefreshTimeout: 1 } },
        'signed',
      );
      expect(crashed.signal).toBe('SIGKILL');
      await sleep(2_100);
      const id = '1';
      const realTx = asHash(await e.storage.command(['HGETALL', keys.payBatch(id)])).txHash ?? '';
      // make it look like three relays went out and the daemon never saw the tx
      await e.storage.command([
        'HSET',
        keys.payBatch(id),
        'relayAttempts',
        '3',
        'submitStarted',
        String(Date.now()),
        'txHash',
        'ab'.repeat(32),
      ]);
      const r = await payIn(e, input);
      expect(r.status).toBe('failstop');
      const calls = e.walletProxy.count();
      const again = await payIn(e, input);
      expect(again).toMatchObject({ status: 'failstop' });
      expect(e.walletProxy.count()).toBe(calls);

      const { deps, close } = depsFor(e, input);
      try {
        const status = await paymentStatus(deps);
        expect(status.failStop).toMatchObject({ batchId: id });
        expect(status.openBatches).toHaveLength(1);
        expect(JSON.stringify(status)).not.toMatch(/txMetadata/);
        await expect(resolveBatch(deps, id, 'release')).rejects.toThrow(/could still be mined/);
        // the operator finds the real tx hash in the wallet's logs and lets the payer relay it once more
        await e.storage.command(['HSET', keys.payBatch(id), 'txHash', realTx, 'relayAttempts', '0']);
        expect((await resumePayments(deps)).cleared?.batchId).toBe(id);
      } finally {
        await close();
      }
      const resumed = await payIn(e, input);
      expect(resumed.status, resumed.reason).toBe('paid');
      expect(resumed.recovered[0]?.result).toBe('sent');
      expect((await check()).txs).toEqual([realTx]);
    },
    LONG,
  );

  it(
    'Redis without AOF: held before any wallet call, unless payments.requireAof is false',
    async () => {
      const e = env();
      const plain = await startRedis();
      const storage = createIoredisStorage(plain.config);
      try {
        const transfers = e.walletProxy.count('transfer');
        await syncPoolWallet(e);
        const base = configInput(e, 'noaof');
        const input = { ...base, redis: plain.config };
        const r = await payIn(e, input, storage);
        expect(r.status).toBe('held');
        expect(r.reason).toMatch(/^Redis persistence: appendonly must be yes for payouts/);
        expect(e.walletProxy.count('transfer')).toBe(transfers);
        const optOut = { ...input, payments: { ...(base.payments as object), requireAof: false } };
        const dry = await payIn(e, optOut, storage, true);
        expect(dry).toMatchObject({ status: 'dry-run' });
        expect(dry.reason).toBeUndefined();
      } finally {
        await storage.close();
        await plain.stop();
      }
    },
    LONG,
  );

  it(
    'WAITAOF times out before the relay: nothing relayed, the batch stays signed; the next run relays it once',
    async () => {
      const { e, keys, input, check } = await begin('aoftimeout', [XMR / 2n]);
      let waits = 0;
      // WAITAOF goes to the primary owning the pool's slot in a pipeline behind a touch of the batch (durable.ts)
      const slowFsync: Storage = {
        command: (args) => e.storage.command(args),
        pipeline: async (c) =>
          c[1]?.[0] === 'WAITAOF'
            ? [...(await e.storage.pipeline([c[0]!])), ++waits === 1 ? [1, 0] : [0, 0]]
            : e.storage.pipeline(c),
        multi: (c) => e.storage.multi(c),
        evalScript: (sc, k, a) => e.storage.evalScript(sc, k, a),
        close: () => Promise.resolve(),
      };
      const relays = e.walletProxy.count('relay_tx');
      const first = await payIn(e, input, slowFsync as IoredisStorage);
      expect(first.status).toBe('held');
      expect(first.reason).toMatch(/not relayed: its record is not durable/);
      expect(e.walletProxy.count('relay_tx')).toBe(relays);
      expect(asHash(await e.storage.command(['HGETALL', keys.payBatch('1')])).status).toBe('signed');
      const second = await payIn(e, input);
      expect(second.recovered[0]?.result).toBe('sent');
      expect(e.walletProxy.count('relay_tx')).toBe(relays + 1);
      expect((await check()).txs).toHaveLength(1);
    },
    LONG,
  );

  it(
    'a sent batch stays open until 10 confirmations; a tx gone from pool and chain, or double-spent, fail-stops',
    async () => {
      const { e, keys, input, check } = await begin('confirms', [XMR / 2n]);
      expect((await payIn(e, input)).batches[0]?.result).toBe('sent');
      expect(await e.storage.command(['ZRANGE', keys.payBatchesOpen, '0', '-1'])).toEqual(['1']);
      await check(); // one block: 1 confirmation
      expect((await payIn(e, input)).recovered[0]).toMatchObject({ result: 'waiting', confirmations: 1 });

      // the daemon forgets the tx (dropped / reorged out): fail-stop naming the batch
      e.daemonProxy.rewrite('/get_transactions', (r) => ({ ...r, txs: [], missed_tx: [] }));
      try {
        const r = await payIn(e, input);
        expect(r.status).toBe('failstop');
        expect(r.reason).toMatch(/neither the pool nor the chain/);
      } finally {
        e.daemonProxy.rewrite('/get_transactions', null);
      }
      const { deps, close } = depsFor(e, input);
      try {
        expect((await resumePayments(deps)).cleared?.batchId).toBe('1');
      } finally {
        await close();
      }
      await mature(e.chain.daemon, 9);
      await syncPoolWallet(e);
      const done = await payIn(e, input);
      expect(done.status, done.reason).toBe('paid');
      expect(done.recovered[0]?.result).toBe('final');
      expect(await e.storage.command(['ZRANGE', keys.payBatchesOpen, '0', '-1'])).toEqual([]);
      expect((await check()).txs).toHaveLength(1);
    },
    LONG,
  );

  it(
    'double_spend_seen before settling: fail-stop, the ledger does not move',
    async () => {
      const { e, keys, addresses, input } = await begin('dblspend', [XMR / 2n]);
      e.daemonProxy.rewrite('/get_transactions', (r) => ({
        ...r,
        txs: ((r.txs as Record<string, unknown>[] | undefined) ?? []).map((t) => ({ ...t, double_spend_seen: true })),
      }));
      try {
        const r = await payIn(e, input);
        expect(r.status).toBe('failstop');
        expect(r.reason).toMatch(/double_spend_seen/);
      } finally {
        e.daemonProxy.rewrite('/get_transactions', null);
      }
      expect(await ledgerOf(e.storage, keys, addresses[0] ?? '')).toMatchObject({ pending: XMR / 2n, paid: 0n });
      expect(asHash(await e.storage.command(['HGETALL', keys.payBatch('1')])).status).toBe('relayed');
      // leave the regtest world clean for later tests: the tx is real, settle it as the operator would
      const { deps, close } = depsFor(e, input);
      try {
        await resumePayments(deps);
        expect((await resolveBatch(deps, '1', 'sent')).after).toBe('final');
      } finally {
        await close();
      }
      await confirm(e);
    },
    LONG,
  );

  it(
    'feePayer "payees" with a too-small transferFee: held twice, then fail-stop naming payments.transferFee',
    async () => {
      const { e, keys, addresses, input, check } = await begin('feesmall', [XMR / 2n], {
        feePayer: 'payees',
        transferFee: '1',
      });
      const runs = [await payIn(e, input), await payIn(e, input), await payIn(e, input)];
      expect(runs.map((r) => r.status)).toEqual(['held', 'held', 'failstop']);
      expect(runs[2]?.reason).toMatch(/raise payments\.transferFee/);
      expect(await e.storage.command(['GET', keys.payFeeHolds])).toBe('3');
      expect(await ledgerOf(e.storage, keys, addresses[0] ?? '')).toMatchObject({ balance: XMR / 2n, pending: 0n });
      expect((await check()).txs).toHaveLength(0);
    },
    LONG,
  );
});
