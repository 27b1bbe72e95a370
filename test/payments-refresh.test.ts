/**
 * The payer's preflight refreshes the wallet before judging its height (functions/payments/preflight.ts), against
 * real monerod (regtest), monero-wallet-rpc and redis-server. The pool wallet's own auto-refresh is switched off
 * (wallet-rpc `auto_refresh` {enable: false}), so only the preflight's `refresh` can bring it to the daemon's
 * height: without it every run right after new blocks would hold with "wallet height N differs".
 * The stall proxy below is a real fault: an HTTP server in front of wallet-rpc that never answers `refresh`.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkInvariants, ledgerOf, outgoingTxids } from './backoffice/ledger-check.js';
import {
  configInput,
  confirm,
  credit,
  keysOf,
  payIn,
  startPayEnv,
  syncPoolWallet,
  type PayEnv,
} from './backoffice/payments-env.js';
import { REGTEST_ADDRESS, useFixture } from './harness/index.js';

const XMR = 1_000_000_000_000n;
const LONG = 300_000;

async function walletCall(url: string, method: string, params: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/json_rpc`, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: '0', method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: unknown };
  if (body.result === undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
}

async function startEnv(): Promise<PayEnv> {
  const e = await startPayEnv();
  await walletCall(e.poolRpc.url, 'auto_refresh', { enable: false });
  return e;
}

const env = useFixture(startEnv, 600_000);

/** Forwards to wallet-rpc, except that `refresh` requests are held unanswered until stop(). */
async function startStallProxy(
  targetPort: number,
): Promise<{ port: number; stalled(): number; stop(): Promise<void> }> {
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (/"method"\s*:\s*"refresh"/.test(body.toString('utf8'))) {
        held.push(res);
        return;
      }
      const up = request(
        { host: '127.0.0.1', port: targetPort, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    stalled: () => held.length,
    stop: async () => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function begin(e: PayEnv, coin: string) {
  const keys = keysOf(coin);
  const addresses = e.takeAddresses(2);
  await credit(e.storage, keys, { [addresses[0] ?? '']: XMR / 2n, [addresses[1] ?? '']: XMR });
  await syncPoolWallet(e);
  const txidsBefore = await outgoingTxids(e.poolWallet);
  return { keys, addresses, txidsBefore };
}

describe('payments preflight refreshes the wallet', () => {
  it(
    'blocks mined just before the run: the wallet is behind, the run refreshes it and pays',
    async () => {
      const e = env();
      const { keys, addresses, txidsBefore } = await begin(e, 'fresh');
      await e.chain.daemon.generateBlocks(3, REGTEST_ADDRESS);
      const daemonHeight = (await e.chain.daemon.getInfo()).height;
      expect(await e.poolWallet.getHeight()).toBeLessThan(daemonHeight); // the state that used to hold the run
      const refreshes = e.walletProxy.count('refresh');

      const r = await payIn(e, configInput(e, 'fresh'));
      expect(r.reason).toBeUndefined();
      expect(r.status).toBe('paid');
      expect(e.walletProxy.count('refresh')).toBe(refreshes + 1);
      expect(await e.poolWallet.getHeight()).toBeGreaterThanOrEqual(daemonHeight);

      await confirm(e);
      const { ledgers, txs } = await checkInvariants({
        storage: e.storage,
        keys,
        poolWallet: e.poolWallet,
        minerWallet: e.minerWallet,
        txidsBefore,
        addresses,
      });
      expect(txs).toHaveLength(1);
      for (const a of addresses) expect(ledgers.get(a)?.paid).toBeGreaterThan(0n);
    },
    LONG,
  );

  it(
    'a refresh that never answers: held after walletRefreshTimeout with the reason, nothing reserved or sent; the next run pays',
    async () => {
      const e = env();
      const { keys, addresses, txidsBefore } = await begin(e, 'stall');
      await e.chain.daemon.generateBlocks(2, REGTEST_ADDRESS);
      const stall = await startStallProxy(e.poolRpc.port);
      const input = configInput(e, 'stall', { payments: { walletRefreshTimeout: 1 } });
      try {
        const held = await payIn(e, { ...input, wallet: { host: '127.0.0.1', port: stall.port, timeout: 120_000 } });
        expect(held.status).toBe('held');
        expect(held.reason).toMatch(
          /^wallet height \d+ differs from daemon height \d+ \(the refresh before the check failed \(limit 1 s\): E_RPC_TIMEOUT/,
        );
        expect(stall.stalled()).toBe(1);
      } finally {
        await stall.stop();
      }
      for (const a of addresses) expect(await ledgerOf(e.storage, keys, a)).toMatchObject({ pending: 0n, paid: 0n });
      expect(await outgoingTxids(e.poolWallet)).toEqual(txidsBefore);

      const r = await payIn(e, input);
      expect(r.status).toBe('paid');
      await confirm(e);
      const { txs } = await checkInvariants({
        storage: e.storage,
        keys,
        poolWallet: e.poolWallet,
        minerWallet: e.minerWallet,
        txidsBefore,
        addresses,
      });
      expect(txs).toHaveLength(1);
    },
    LONG,
  );
});
