/**
 * Full-path share validation throughput: a real stratum node (real redis-server and regtest monerod) receives
 * pre-mined valid shares over TCP from several xmrig-protocol clients; we time how many it validates and credits
 * per second, with every share hashed and with share trust on, and record the event loop's worst stall meanwhile.
 * Shares are mined beforehand with a separate hasher at fixed difficulty 1 (every hash is a share), so the timed
 * part is the pool's work only.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createHasher } from '../native/index.js';
import { hexToBytes, bytesToHex } from '../shared/hex.js';
import { freePort } from '../shared/services/index.js';
import { StratumClient, type Job, type Reply } from '../test/support/stratum-client.js';
import { CountingHasher } from '../test/support/counting-hasher.js';
import { startChainFixture, poolConfig, startNode, MINER_ADDRESS } from '../test/support/pool-fixture.js';

export interface ShareBenchRow {
  readonly name: string;
  readonly shares: number;
  readonly seconds: number;
  readonly sharesPerSecond: number;
  readonly accepted: number;
  /** Rejection messages and counts (JSON). */
  readonly rejected: string;
  readonly hashedByPool: number;
  readonly maxEventLoopStallMs: number;
  readonly poolThreads: number;
}

async function premine(job: Job, count: number, startNonce: number): Promise<{ nonce: string; result: string }[]> {
  const hasher = createHasher({ mode: 'light' });
  try {
    const blob = hexToBytes(job.blob);
    return await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const b = Uint8Array.from(blob);
        new DataView(b.buffer).setUint32(39, startNonce + i, true);
        const h = await hasher.hash(job.seed_hash, b);
        const n = new Uint8Array(4);
        new DataView(n.buffer).setUint32(0, startNonce + i, true);
        return { nonce: bytesToHex(n), result: bytesToHex(h) };
      }),
    );
  } finally {
    await hasher.close();
  }
}

const WINDOW = 16;

async function submitWindowed(
  c: StratumClient,
  job: Job,
  shares: readonly { nonce: string; result: string }[],
  window: number,
): Promise<Reply[]> {
  const out: Reply[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < shares.length) {
      const s = shares[next++]!;
      out.push(await c.submit(job, s.nonce, s.result));
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return out;
}

async function runCase(name: string, trust: boolean, shareCount: number, clients: number): Promise<ShareBenchRow> {
  const chain = await startChainFixture(1_000_000_000);
  const port = await freePort();
  const config = await poolConfig(chain, {
    ports: [{ port, difficulty: 1, desc: 'bench' }],
    varDiff: { minDiff: 1, maxDiff: 1, targetTime: 30, retargetTime: 600, variancePercent: 30, maxJump: 100 },
    shareTrust: trust ? { enabled: true, min: 10, stepDown: 100, threshold: 0, penalty: 0 } : { enabled: false },
    banning: { enabled: false },
    maxConnectionsPerIp: 1000,
  });
  const inner = createHasher({ mode: 'light' });
  const counting = new CountingHasher(inner);
  const node = await startNode(chain, config, counting);
  try {
    const conns = await Promise.all(Array.from({ length: clients }, () => StratumClient.connect({ port })));
    for (const c of conns) await c.login(`${MINER_ADDRESS}+1`);
    const per = Math.ceil(shareCount / clients);
    const jobs = conns.map((c) => c.job); // the shares are mined for these jobs: submit them against these jobs
    const work = await Promise.all(conns.map((c, i) => premine(jobs[i]!, per, i * per)));
    const hashedBefore = counting.calls;
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const started = performance.now();
    // each client keeps WINDOW submits in flight, as a miner with several threads would (the node answers
    // "Server busy" past 64 in flight per connection)
    const replies = await Promise.all(conns.map((c, i) => submitWindowed(c, jobs[i]!, work[i]!, WINDOW)));
    const seconds = (performance.now() - started) / 1000;
    h.disable();
    const accepted = replies.flat().filter((r) => r.error === null).length;
    const rejected: Record<string, number> = {};
    for (const r of replies.flat()) if (r.error) rejected[r.error.message] = (rejected[r.error.message] ?? 0) + 1;
    for (const c of conns) c.close();
    return {
      name,
      shares: per * clients,
      seconds: Number(seconds.toFixed(3)),
      sharesPerSecond: Number(((per * clients) / seconds).toFixed(1)),
      accepted,
      rejected: JSON.stringify(rejected),
      hashedByPool: counting.calls - hashedBefore,
      maxEventLoopStallMs: Number(Math.max(0, h.max / 1e6 - 1).toFixed(2)), // beyond the 1 ms sampling interval
      poolThreads: inner.threads,
    };
  } finally {
    await node.stop();
    await inner.close();
    await chain.stop();
  }
}

export async function benchShares(): Promise<ShareBenchRow[]> {
  const hashedRow = await runCase('share validation, every share hashed', false, 400, 4);
  const trustRow = await runCase('share validation, share trust (min 10 %)', true, 1200, 4);
  return [hashedRow, trustRow];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchShares());
}
