/**
 * Adapts the daemon RPC client to the job manager's ChainSource (tip and template; blocks are submitted by block-found.ts).
 * The tip is read with get_last_block_header, the cheapest call that names the top block.
 */
import type { DaemonClient } from '../shared/rpc/daemon.js';
import type { ChainSource } from './jobs.js';

export function chainFromDaemon(daemon: DaemonClient): ChainSource {
  return {
    async tip() {
      const h = await daemon.getLastBlockHeader();
      return { hash: h.hash, height: h.height };
    },
    async template(walletAddress, reserveSize) {
      const t = await daemon.getBlockTemplate({ walletAddress, reserveSize });
      return {
        blob: t.blocktemplateBlob,
        reservedOffset: t.reservedOffset,
        height: t.height,
        difficulty: t.difficulty,
        seedHash: t.seedHash,
        nextSeedHash: t.nextSeedHash ?? '',
        prevHash: t.prevHash,
        expectedReward: t.expectedReward,
      };
    },
  };
}
