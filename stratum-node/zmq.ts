/**
 * New blocks by push: a ZMQ subscriber on monerod's publisher (`--zmq-pub`, config `daemon.zmq`). monerod publishes
 * one-frame messages "<topic>:<json>"; we subscribe to two topics and only use them as signals, never as data (the
 * template still comes from get_block_template):
 *  - `json-minimal-chain_main` (a new chain tip) -> JobManager.pushed('tip'): a template is fetched at once;
 *  - `json-minimal-txpool_add` (new transactions) -> JobManager.pushed('txpool'): the template is refreshed at most
 *    every TXPOOL_REFRESH_MS (jobs.ts), so a busy mempool does not re-broadcast to every miner on every transaction.
 * The poll in jobs.ts stays as the fallback. ZMQ reconnects by itself when monerod goes away and comes back
 * (reconnect interval below, heartbeats to notice a dead peer); on every (re)connect the tip is checked at once,
 * since blocks published while disconnected are lost.
 *
 * Data model: one zeromq Subscriber socket and its receive loop; nothing stored.
 */
import { Subscriber } from 'zeromq';
import type { Logger } from 'pino';

export const TOPIC_CHAIN_MAIN = 'json-minimal-chain_main';
export const TOPIC_TXPOOL_ADD = 'json-minimal-txpool_add';

export interface ChainPushTarget {
  pushed(kind: 'tip' | 'txpool'): void;
}

export interface ChainPush {
  /** Messages received per topic (for metrics and tests). */
  readonly received: { tip: number; txpool: number; connects: number };
  close(): void;
}

export function subscribeChainPush(url: string, target: ChainPushTarget, log: Logger): ChainPush {
  const sock = new Subscriber({
    reconnectInterval: 200,
    reconnectMaxInterval: 2000,
    heartbeatInterval: 10_000,
    heartbeatTimeout: 30_000,
    linger: 0,
  });
  const received = { tip: 0, txpool: 0, connects: 0 };
  let closed = false;
  sock.events.on('connect', () => {
    received.connects += 1;
    log.info({ url, connects: received.connects }, 'monerod ZMQ publisher connected');
    // whatever was published while we were away is lost: look at the tip now
    if (received.connects > 1) target.pushed('tip');
  });
  sock.events.on('disconnect', () => {
    if (!closed) log.warn({ url }, 'monerod ZMQ publisher disconnected; polling until it is back');
  });
  sock.connect(url);
  sock.subscribe(TOPIC_CHAIN_MAIN, TOPIC_TXPOOL_ADD);
  void (async () => {
    try {
      for await (const frames of sock) {
        const head = frames[0]?.subarray(0, 64).toString('latin1') ?? '';
        if (head.startsWith(TOPIC_CHAIN_MAIN)) {
          received.tip += 1;
          target.pushed('tip');
        } else if (head.startsWith(TOPIC_TXPOOL_ADD)) {
          received.txpool += 1;
          target.pushed('txpool');
        }
      }
    } catch (err) {
      if (!closed) log.error({ err }, 'monerod ZMQ subscriber stopped; polling only');
    }
  })();
  return {
    received,
    close() {
      if (closed) return;
      closed = true;
      sock.close();
    },
  };
}
