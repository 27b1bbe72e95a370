/**
 * The stratum protocol and share validation in memory: the real StratumPool, dispatcher, share checks, bans and
 * real RandomX hashing (light mode), over in-memory seams instead of sockets, Redis and monerod: a fake
 * Connection, a ChainSource serving a template captured from monerod, and a ShareSink that keeps what it is given.
 * The same behaviour is covered end to end by stratum-protocol.test.ts and stratum-mining.test.ts on real services.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHasher, type Hasher } from '../native/index.js';
import { CountingHasher } from './support/counting-hasher.js';
import { mineShare, StratumClient, type Job } from './support/stratum-client.js';
import { StratumPool, type Connection, type PortSettings } from '../stratum-node/pool.js';
import { JobManager, type ChainSource, type RawTemplate } from '../stratum-node/jobs.js';
import { BanList } from '../stratum-node/bans.js';
import { createMetrics } from '../stratum-node/metrics.js';
import type { ShareSink } from '../stratum-node/share-sink.js';
import type { AcceptedShare, FoundBlock } from '../stratum-node/recorder.js';
import { silentLogger } from '../shared/log.js';
import { bytesToHex, hexToBytes } from '../shared/hex.js';
import { blockId, parseBlockTemplate } from '../shared/monero/template.js';
import { MSG } from '../stratum-node/messages.js';
import { startServers, type StratumServers } from '../stratum-node/server.js';
import { ERRORS, PoolError } from '../shared/errors.js';

const MINER = '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';
const POOL = '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';
const SEED = 'c0ffee'.padEnd(64, '0');
/** A regtest template (one transaction, reserve size 8) captured from monerod; see monero-template-vectors.test.ts. */
const TEMPLATE_BLOB =
  '10109dcaa7d806418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e300000000023d01ff0101808080' +
  'f0ffff07033ae633d7b87ed64318bdf0ec3e9b7466bc73b92f876d8c866e97482847eb3edb322b0169bff811ffb3bdbfb839de' +
  '2a794127670e299482a52c019acc6f28a661b7a10d020800000000000000000000';
const RESERVED_OFFSET = 126;
const PORT: PortSettings = { port: 3333, difficulty: 1, desc: 'test', tls: false, proxyProtocol: false, solo: false };

/** A chain whose tip and template the test moves by hand. */
class MemoryChain implements ChainSource {
  height = 100;
  difficulty = 1_000_000n;
  prevHash = 'aa'.repeat(32);
  tip() {
    return Promise.resolve({ hash: `${this.prevHash}:${this.height}`, height: this.height - 1 });
  }
  template(): Promise<RawTemplate> {
    return Promise.resolve({
      blob: TEMPLATE_BLOB,
      reservedOffset: RESERVED_OFFSET,
      height: this.height,
      difficulty: this.difficulty,
      seedHash: SEED,
      nextSeedHash: '',
      prevHash: this.prevHash,
      expectedReward: 600_000_000_000n,
    });
  }
}

class MemorySink implements ShareSink {
  shares: AcceptedShare[] = [];
  invalid = 0;
  /** Settled blocks, with the daemon's verdict. */
  blocks: (FoundBlock & { submit: 'accepted' | 'unconfirmed' })[] = [];
  /** Every block begun, in order, with what the daemon had been sent at that moment and what became of it. */
  begun: { block: FoundBlock; submittedBefore: number; state: 'held' | 'settled' | 'dropped' }[] = [];
  constructor(private readonly submitted: string[]) {}
  add(s: AcceptedShare) {
    this.shares.push(s);
  }
  addInvalid() {
    this.invalid += 1;
  }
  beginBlock(block: FoundBlock) {
    const entry = { block, submittedBefore: this.submitted.length, state: 'held' as 'held' | 'settled' | 'dropped' };
    this.begun.push(entry);
    return {
      settle: (submit: 'accepted' | 'unconfirmed') => {
        entry.state = 'settled';
        this.blocks.push({ ...block, submit });
        return Promise.resolve(true);
      },
      drop: () => {
        entry.state = 'dropped';
      },
    };
  }
  setNetworkDifficulty() {}
}

interface MemoryConnection extends Connection {
  readonly sent: Record<string, unknown>[];
  closed: string | null;
}

function connection(ip = '127.0.0.1'): MemoryConnection {
  return {
    ip,
    port: PORT,
    miner: null,
    sent: [],
    closed: null,
    send(msg) {
      this.sent.push(msg as Record<string, unknown>);
    },
    close(reason) {
      this.closed = reason;
    },
  };
}

interface Harness {
  pool: StratumPool;
  chain: MemoryChain;
  jobs: JobManager;
  sink: MemorySink;
  hasher: CountingHasher;
  submitted: string[];
}

let hasher: Hasher;

async function harness(opts: { trust?: boolean; banThreshold?: number; submitFails?: unknown } = {}): Promise<Harness> {
  const chain = new MemoryChain();
  const log = silentLogger();
  const jobs = new JobManager({
    chain,
    poolAddress: POOL,
    nodeId: 7,
    blockRefreshMs: 3_600_000,
    templateRefreshMs: 3_600_000,
    log,
  });
  await jobs.refresh('tip');
  const submitted: string[] = [];
  const sink = new MemorySink(submitted);
  const counting = new CountingHasher(hasher);
  const pool = new StratumPool({
    settings: {
      network: 'mainnet',
      addressPolicy: { integrated: 'reject', subaddress: 'allow' },
      fixedDiffSeparator: '+',
      varDiff: {
        minDiff: 1,
        maxDiff: 1_000_000,
        targetTime: 30,
        retargetTime: 3600,
        variancePercent: 30,
        maxJump: 100,
      },
      // with trust on, two verified shares drop the hashing probability to 0: every later share may skip hashing
      shareTrust: { enabled: opts.trust ?? false, min: 0, stepDown: 50, threshold: 2, penalty: 3 },
      minerTimeoutSec: 600,
    },
    jobs,
    hasher: counting,
    recorder: sink,
    bans: new BanList({ enabled: true, time: 60, invalidPercent: 25, checkThreshold: opts.banThreshold ?? 1000 }),
    metrics: createMetrics(false),
    log,
    submitBlock: (blob) => {
      submitted.push(blob);
      return opts.submitFails === undefined ? Promise.resolve() : Promise.reject(opts.submitFails);
    },
  });
  return { pool, chain, jobs, sink, hasher: counting, submitted };
}

/** Moves the chain to a new tip at network difficulty 1, logs a miner in and submits a share that is a block. */
async function submitBlockShare(h: Harness, prevHash: string) {
  h.chain.difficulty = 1n;
  h.chain.height += 1;
  h.chain.prevHash = prevHash;
  await h.jobs.refresh('tip');
  const c = connection();
  const { session, job } = await login(h, c);
  const share = await mineShare(hasher, job, { parallel: 1, wantBlock: 1n });
  const reply = await submit(h, c, { id: session, job_id: job.job_id, nonce: share.nonce, result: share.result });
  return { job, share, reply };
}

async function login(h: Harness, conn: MemoryConnection, user = MINER): Promise<{ session: string; job: Job }> {
  h.pool.attach(conn);
  await h.pool.handle(conn, { id: 1, method: 'login', params: { login: user, pass: 'x', agent: 'test' } });
  const reply = conn.sent.at(-1) as { error: unknown; result: { id: string; job: Job } };
  expect(reply.error).toBeNull();
  return { session: reply.result.id, job: reply.result.job };
}

async function submit(
  h: Harness,
  conn: MemoryConnection,
  params: Record<string, unknown>,
): Promise<{ error: { message: string } | null; result?: unknown }> {
  await h.pool.handle(conn, { id: 9, method: 'submit', params });
  return conn.sent.at(-1) as { error: { message: string } | null; result?: unknown };
}

beforeAll(async () => {
  hasher = createHasher({ mode: 'light', threads: 1 });
  await hasher.prepareSeed(SEED);
}, 120_000);

afterAll(async () => {
  await hasher.close();
});

describe('dispatcher', () => {
  it('answers malformed lines and unknown methods with the protocol errors, keeping the id', async () => {
    const h = await harness();
    const c = connection();
    await h.pool.handle(c, 'not an object');
    await h.pool.handle(c, [1, 2]);
    await h.pool.handle(c, { id: 3, params: {} });
    await h.pool.handle(c, { id: 4, method: 'mine_faster', params: {} });
    await h.pool.handle(c, { id: 'k', method: 'keepalived', params: { id: 'nobody' } });
    expect(c.sent).toEqual([
      { id: null, jsonrpc: '2.0', error: { code: -1, message: MSG.invalidRequest } },
      { id: null, jsonrpc: '2.0', error: { code: -1, message: MSG.invalidRequest } },
      { id: 3, jsonrpc: '2.0', error: { code: -1, message: MSG.invalidRequest } },
      { id: 4, jsonrpc: '2.0', error: { code: -1, message: MSG.invalidMethod } },
      { id: 'k', jsonrpc: '2.0', error: { code: -1, message: MSG.unauthenticated } },
    ]);
  });

  it('rejects a bad login address and closes the connection', async () => {
    const h = await harness();
    const c = connection();
    h.pool.attach(c);
    await h.pool.handle(c, { id: 1, method: 'login', params: { login: 'not-an-address', pass: 'x' } });
    expect((c.sent[0] as { error: { message: string } }).error.message).toMatch(/^invalid address used for login/);
    expect(c.closed).toMatch(/login rejected/);
    expect(h.pool.minerCount).toBe(0);
  });
});

describe('share validation in memory', () => {
  it('credits a valid share at the job difficulty and hashes it exactly once', async () => {
    const h = await harness();
    const c = connection();
    const { session, job } = await login(h, c);
    const share = await mineShare(hasher, job, { parallel: 1 });
    const before = h.hasher.calls;
    const reply = await submit(h, c, { id: session, job_id: job.job_id, nonce: share.nonce, result: share.result });
    expect(reply).toMatchObject({ error: null, result: { status: 'OK' } });
    expect(h.hasher.calls).toBe(before + 1);
    expect(h.sink.shares).toHaveLength(1);
    expect(h.sink.shares[0]).toMatchObject({ login: MINER, diff: 1, ip: '127.0.0.1', solo: false });
    expect(h.sink.invalid).toBe(0);
  });

  it('refuses duplicates, unknown jobs, malformed fields, wrong hashes and low claims, in that order of checks', async () => {
    const h = await harness();
    const c = connection();
    const { session, job } = await login(h, c);
    const share = await mineShare(hasher, job, { parallel: 1 });
    const base = { id: session, job_id: job.job_id, nonce: share.nonce, result: share.result };
    expect((await submit(h, c, base)).error).toBeNull();
    expect((await submit(h, c, base)).error?.message).toBe(MSG.duplicate);
    expect((await submit(h, c, { ...base, nonce: share.nonce.toUpperCase() })).error?.message).toBe(MSG.duplicate);
    expect((await submit(h, c, { ...base, job_id: 'nope' })).error?.message).toBe(MSG.invalidJobId);
    expect((await submit(h, c, { ...base, nonce: 'xyz' })).error?.message).toBe(MSG.invalidNonce);
    expect((await submit(h, c, { ...base, nonce: '00000001', result: 'zz' })).error?.message).toBe(MSG.invalidResult);
    expect((await submit(h, c, { ...base, nonce: '00000002', result: '00'.repeat(32) })).error?.message).toBe(
      MSG.invalidShare,
    );
    const hashedBefore = h.hasher.calls;
    // a claimed result that misses the target is refused before any hashing (the harness job difficulty is 1, so
    // use a fixed-difficulty login to get a real target)
    const hi = connection('127.0.0.2');
    const { session: s2, job: j2 } = await login(h, hi, `${MINER}+500000`);
    const low = 'ff'.repeat(32);
    expect((await submit(h, hi, { id: s2, job_id: j2.job_id, nonce: '00000003', result: low })).error?.message).toBe(
      MSG.lowDifficulty,
    );
    expect(h.hasher.calls).toBe(hashedBefore);
    // a result that is not the RandomX hash of the blob: hashed, then refused
    const forged = '00'.repeat(31) + '01';
    expect((await submit(h, c, { ...base, nonce: '00000004', result: forged })).error?.message).toBe(MSG.invalidShare);
    expect(h.hasher.calls).toBe(hashedBefore + 1);
    expect(h.sink.shares).toHaveLength(1);
    expect(h.sink.invalid).toBe(8);
  });

  it('answers a share for a replaced tip with "Block expired" without holding it against the miner', async () => {
    const h = await harness();
    const c = connection();
    const { session, job } = await login(h, c);
    const share = await mineShare(hasher, job, { parallel: 1 });
    h.chain.height += 1;
    h.chain.prevHash = 'bb'.repeat(32);
    await h.jobs.refresh('tip');
    const pushed = c.sent.at(-1) as { method?: string };
    expect(pushed.method).toBe('job'); // the broadcast reached the miner
    const reply = await submit(h, c, { id: session, job_id: job.job_id, nonce: share.nonce, result: share.result });
    expect(reply.error?.message).toBe(MSG.blockExpired);
    expect(h.sink.invalid).toBe(0);
    expect(h.sink.shares).toHaveLength(0);
  });

  it('submits a share meeting network difficulty as a block and records it with its id', async () => {
    const h = await harness();
    const { job, share, reply } = await submitBlockShare(h, 'cc'.repeat(32));
    expect(reply.error).toBeNull();
    expect(h.submitted).toHaveLength(1);
    expect(h.sink.blocks).toHaveLength(1);
    const hashing = hexToBytes(job.blob);
    hashing.set(hexToBytes(share.nonce), 39);
    expect(h.sink.blocks[0]).toMatchObject({
      hash: bytesToHex(blockId(hashing)),
      height: h.chain.height,
      finder: MINER,
      submit: 'accepted',
    });
    // queued (and journaled) before the daemon saw it, with the finder's share already in the sink
    expect(h.sink.begun).toEqual([expect.objectContaining({ submittedBefore: 0, state: 'settled' })]);
    // the submitted blob is a full block whose header carries the share's nonce
    const submittedBlock = parseBlockTemplate(hexToBytes(h.submitted[0]!), RESERVED_OFFSET, 8);
    expect(bytesToHex(submittedBlock.bytes.subarray(39, 43))).toBe(share.nonce);
    expect(h.sink.shares).toHaveLength(1);
  });

  it('a block the daemon refuses is dropped (no candidate) and its finder keeps the share; an ambiguous one is kept', async () => {
    for (const [failure, expected] of [
      [new PoolError(ERRORS.RPC_ERROR, 'Block not accepted', { code: -7 }), 'dropped'],
      [new PoolError(ERRORS.RPC_TIMEOUT, 'timed out'), 'unconfirmed'],
    ] as const) {
      const h = await harness({ submitFails: failure });
      const { reply } = await submitBlockShare(h, 'dd'.repeat(32));
      expect(reply.error).toBeNull();
      expect(h.submitted).toHaveLength(1);
      expect(h.sink.shares).toHaveLength(1);
      expect(h.sink.begun).toHaveLength(1);
      expect(h.sink.begun[0]!.submittedBefore).toBe(0);
      if (expected === 'dropped') {
        expect(h.sink.begun[0]!.state).toBe('dropped');
        expect(h.sink.blocks).toHaveLength(0);
      } else {
        expect(h.sink.blocks.map((b) => b.submit)).toEqual(['unconfirmed']);
      }
    }
  });

  it('bans an IP whose invalid shares pass the ratio and closes its connections', async () => {
    const h = await harness({ banThreshold: 4 });
    const c = connection('127.0.0.9');
    const { session, job } = await login(h, c);
    let last = '';
    for (let i = 0; i < 4; i++) {
      const r = await submit(h, c, { id: session, job_id: job.job_id, nonce: `0000000${i}`, result: '00'.repeat(32) });
      last = r.error?.message ?? '';
    }
    expect(last).toBe(MSG.banned);
    await new Promise((r) => setImmediate(r));
    expect(c.closed).toBe('banned');
    const again = connection('127.0.0.9');
    h.pool.attach(again);
    await h.pool.handle(again, { id: 1, method: 'login', params: { login: MINER, pass: 'x' } });
    expect((again.sent[0] as { error: { message: string } }).error.message).toBe(MSG.banned);
  });

  it('share trust skips hashing after its threshold but never for a block claim', async () => {
    const h = await harness({ trust: true });
    const c = connection();
    const { session, job } = await login(h, c);
    let nonce = 1;
    const hashedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await mineShare(hasher, job, { parallel: 1, startNonce: nonce });
      nonce = Number.parseInt(s.nonce.match(/../g)!.reverse().join(''), 16) + 1;
      const before = h.hasher.calls;
      expect(
        (await submit(h, c, { id: session, job_id: job.job_id, nonce: s.nonce, result: s.result })).error,
      ).toBeNull();
      hashedAt.push(h.hasher.calls - before);
    }
    expect(hashedAt).toEqual([1, 1, 0]); // two verified, then trusted
    const hashed = h.hasher.calls;
    // a block claim (a tiny result: hashes are little-endian numbers) is hashed whatever the trust: it is forged,
    // so it is refused
    const claim = '01' + '00'.repeat(31);
    expect(
      (await submit(h, c, { id: session, job_id: job.job_id, nonce: '7fffffff', result: claim })).error?.message,
    ).toBe(MSG.invalidShare);
    expect(h.hasher.calls).toBe(hashed + 1);
  });
});

describe('server sockets over the in-memory pool', () => {
  const serve = async (h: Harness, loginTimeoutSec: number): Promise<StratumServers> =>
    startServers(
      h.pool,
      {
        host: '127.0.0.1',
        ports: [{ ...PORT, port: 0 }],
        tls: null,
        maxLineBytes: 10_240,
        loginTimeoutSec,
        maxConnectionsPerIp: 2,
        proxyProtocolFrom: [],
      },
      silentLogger(),
      createMetrics(false),
    );
  const until = async (what: () => boolean, ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  };

  it('closes a socket not logged in by the login timeout (one sweep for all sockets), never one that logged in', async () => {
    const h = await harness();
    const servers = await serve(h, 1);
    try {
      const port = servers.boundPorts[0]!;
      const idle = await StratumClient.connect({ port, localAddress: '127.0.0.21' });
      const miner = await StratumClient.connect({ port, localAddress: '127.0.0.21' });
      expect((await miner.login(MINER)).error).toBeNull();
      const t0 = Date.now();
      await idle.waitClosed(5000);
      expect(Date.now() - t0).toBeLessThan(2500); // 1 s timeout, swept at most 1 s late
      await new Promise((r) => setTimeout(r, 1200));
      expect(miner.closed).toBe(false);
      // the closed socket gave its per-IP slot back (cap 2)
      const next = await StratumClient.connect({ port, localAddress: '127.0.0.21' });
      expect((await next.login(MINER)).error).toBeNull();
      miner.close();
      next.close();
    } finally {
      await servers.close();
    }
  });

  it('closes a miner that does not read once 1 MiB waits in its write buffer', async () => {
    const h = await harness();
    const servers = await serve(h, 30);
    try {
      const c = await StratumClient.connect({ port: servers.boundPorts[0]!, localAddress: '127.0.0.22' });
      expect((await c.login(MINER)).error).toBeNull();
      c.socket.pause();
      const conn = [...h.pool.connections].find((x) => x.ip === '127.0.0.22')!;
      const pad = { pad: 'x'.repeat(64 * 1024) };
      // the kernel's buffers on both ends fill first, then Node's write buffer
      for (let i = 0; i < 2000 && h.pool.connections.has(conn); i++) {
        conn.send(pad);
        await new Promise((r) => setImmediate(r));
      }
      await until(() => !h.pool.connections.has(conn), 5000); // ended, then destroyed 2 s later
      expect(h.pool.connections.has(conn)).toBe(false);
      c.close();
    } finally {
      await servers.close();
    }
  });
});
