/**
 * A hash flood that hurts nobody, on real parts (monerod regtest, Redis, the stratum node with its light-mode native
 * hasher, real sockets from several 127.x source addresses): attackers with no hashrate pipeline forged shares that
 * claim block difficulty (so share trust never skips them and each would cost the pool a RandomX hash) while an
 * honest miner mines. Every flood request is answered (or its socket closed after a ban reply), every flooding IP
 * is banned, the honest miner never sees "Server busy" and every share it sent is credited.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHasher, type Hasher } from '../native/index.js';
import { keySchema } from '../shared/redis/keys.js';
import { freePort } from '../shared/services/index.js';
import { MSG } from '../stratum-node/messages.js';
import { StratumClient, mineShare, type Reply } from './support/stratum-client.js';
import { CountingHasher } from './support/counting-hasher.js';
import { startChainFixture, poolConfig, startNode, MINER_ADDRESS, type ChainFixture } from './support/pool-fixture.js';
import type { StratumNode } from '../stratum-node/index.js';

const keys = keySchema('monero');
const FLOOD_IPS = ['127.0.5.1', '127.0.5.2', '127.0.5.3', '127.0.5.4', '127.0.5.5', '127.0.5.6'];
const CONNECTIONS_PER_IP = 2;
const SHARES_PER_CONNECTION = 60;
const HONEST_IP = '127.0.6.1';
const HONEST_SHARES = 6;
/** The smallest possible hash: meets any block difficulty, so the pool must hash it. */
const BLOCK_CLAIM = '01' + '00'.repeat(31);

interface FloodResult {
  ip: string;
  answers: string[];
  /** Requests whose socket closed before an answer. */
  cut: number;
  closed: boolean;
}

async function flood(port: number, ip: string, conn: number): Promise<FloodResult> {
  const c = await StratumClient.connect({ port, localAddress: ip });
  const login = await c.login(`${MINER_ADDRESS}.flood${conn}+2`);
  if (login.error) return { ip, answers: [login.error.message], cut: 0, closed: true };
  const job = c.job;
  const pending: Promise<Reply | null>[] = [];
  for (let i = 0; i < SHARES_PER_CONNECTION; i++) {
    const nonce = (0x40000000 + conn * 0x10000 + i).toString(16).padStart(8, '0');
    pending.push(c.submit(job, nonce, BLOCK_CLAIM).catch(() => null));
  }
  const replies = await Promise.all(pending);
  const answers = replies.filter((r): r is Reply => r !== null).map((r) => r.error?.message ?? 'OK');
  if (!c.closed) await c.waitClosed(30_000).catch(() => undefined);
  const result = { ip, answers, cut: replies.filter((r) => r === null).length, closed: c.closed };
  c.close();
  return result;
}

describe('a forged-share flood while an honest miner mines', () => {
  let chain: ChainFixture;
  let node: StratumNode;
  let poolHasher: CountingHasher;
  let minerHasher: Hasher;
  let port: number;

  beforeAll(async () => {
    chain = await startChainFixture(1_000_000);
    port = await freePort();
    const config = await poolConfig(chain, {
      ports: [{ port, difficulty: 2, desc: 'test' }],
      shareBatchInterval: 200,
      varDiff: { minDiff: 1, maxDiff: 1000, targetTime: 60, retargetTime: 3600, variancePercent: 30, maxJump: 100 },
      banning: { enabled: true, time: 600, invalidPercent: 25, checkThreshold: 30, banOnForgedResult: true },
    });
    poolHasher = new CountingHasher(createHasher({ mode: 'light', threads: 1 }));
    node = await startNode(chain, config, poolHasher);
    minerHasher = createHasher({ mode: 'light', threads: 1 });
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
    await poolHasher?.close();
    await minerHasher?.close();
    await chain?.stop();
  });

  it('answers the flood, bans every flooding IP, and the honest miner mines through it uncharged', async () => {
    const honest = await StratumClient.connect({ port, localAddress: HONEST_IP });
    expect((await honest.login(`${MINER_ADDRESS}.honest+2`)).error).toBeNull();
    // mine the honest shares first (off the pool), so they are submitted while the flood is at its height
    const job = honest.job;
    const shares = [];
    let start = 1;
    for (let i = 0; i < HONEST_SHARES; i++) {
      const s = await mineShare(minerHasher, job, { startNonce: start, parallel: 1 });
      start = Number.parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
      shares.push(s);
    }
    const floods = FLOOD_IPS.flatMap((ip, i) =>
      Array.from({ length: CONNECTIONS_PER_IP }, (_, k) => flood(port, ip, i * CONNECTIONS_PER_IP + k)),
    );
    const honestReplies: string[] = [];
    for (const s of shares) {
      const r = await honest.submit(job, s.nonce, s.result);
      honestReplies.push(r.error?.message ?? 'OK');
    }
    const results = await Promise.all(floods);

    expect(honestReplies).toEqual(shares.map(() => 'OK'));
    for (const r of results) {
      for (const a of r.answers) expect([MSG.invalidShare, MSG.banned, MSG.busy]).toContain(a);
      // every request was answered, or the connection was closed by a ban that it was told about
      if (r.cut > 0) {
        expect(r.answers).toContain(MSG.banned);
        expect(r.closed).toBe(true);
      }
    }
    for (const ip of FLOOD_IPS) expect(node.bans.isBanned(ip)).toBe(true);
    expect(node.bans.isBanned(HONEST_IP)).toBe(false);
    // the flood cost at most a few hashes per IP, not one per forged share
    const sent = FLOOD_IPS.length * CONNECTIONS_PER_IP * SHARES_PER_CONNECTION;
    expect(poolHasher.calls).toBeLessThan(HONEST_SHARES + sent / 4);
    // a flooding IP cannot come back; the honest miner is still served
    const back = await StratumClient.connect({ port, localAddress: FLOOD_IPS[0] });
    expect((await back.login(MINER_ADDRESS)).error?.message).toBe(MSG.banned);
    back.close();
    const more = await mineShare(minerHasher, honest.job, { startNonce: start, parallel: 1 });
    expect((await honest.submit(honest.job, more.nonce, more.result)).error).toBeNull();
    // every honest share was credited at its job difficulty (2)
    await node.recorder.flush();
    const worker = await chain.redis.hgetall(keys.worker(MINER_ADDRESS));
    expect(Number(worker.hashes)).toBe((HONEST_SHARES + 1) * 2);
    honest.close();
  }, 300_000);
});
