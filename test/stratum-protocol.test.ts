/**
 * Every bad input a miner can send gets its error without disturbing other miners; share trust, bans, vardiff,
 * TLS and PROXY protocol ports work. Real monerod, redis-server and sockets; real RandomX hashing.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHasher, type Hasher } from '../native/index.js';
import { CountingHasher } from './support/counting-hasher.js';
import { bytesToHex, u64ToBytesLE } from '../shared/hex.js';
import { buildProxyV2 } from '../stratum-node/proxy-protocol.js';
import { freePort } from '../shared/services/index.js';
import { StratumClient, mineShare } from './support/stratum-client.js';
import { startChainFixture, poolConfig, startNode, MINER_ADDRESS, type ChainFixture } from './support/pool-fixture.js';
import type { StratumNode } from '../stratum-node/index.js';

const NETWORK_DIFFICULTY = 1000;
const TESTNET_ADDRESS =
  '9tTLtauaEKSj7xoVXytVH32R1pLZBk4VV4mZFGEh4wkXhDWqw1soPyf3fGixf1kni31VznEZkWNEza9d5TvjWwq5PaohYHC';
const INTEGRATED =
  '4CMe2PUhs4J4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfSbLRB61BQVATzerHGj';

/** A result hash that meets a job target of difficulty `diff` without being a block at NETWORK_DIFFICULTY. */
function fakeShareResult(diff: number): string {
  const top64 = (1n << 64n) / BigInt(diff * 2); // meets diff, far from the network difficulty
  return bytesToHex(new Uint8Array(24).fill(0x5a)) + bytesToHex(u64ToBytesLE(top64));
}

/** A result hash that claims to be a block (tiny H), which the pool must always hash. */
function fakeBlockResult(): string {
  return '01' + '00'.repeat(31);
}

describe('stratum protocol: bad inputs, trust, bans, vardiff, TLS, PROXY v2', () => {
  let chain: ChainFixture;
  let node: StratumNode;
  let poolHasher: CountingHasher;
  let minerHasher: Hasher;
  let plain: number;
  let proxied: number;
  let secure: number;
  let secureProxied: number;
  let trustPort: number;
  let certDir: string;

  beforeAll(async () => {
    chain = await startChainFixture(NETWORK_DIFFICULTY);
    certDir = mkdtempSync(join(tmpdir(), 'pool-cert-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(certDir, 'key.pem'),
        '-out',
        join(certDir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    [plain, proxied, secure, trustPort, secureProxied] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const config = await poolConfig(chain, {
      ports: [
        { port: plain, difficulty: 5, desc: 'plain' },
        { port: proxied, difficulty: 5, desc: 'behind a load balancer', proxyProtocol: true },
        { port: secure, difficulty: 5, desc: 'TLS', tls: true },
        { port: secureProxied, difficulty: 5, desc: 'TLS behind a load balancer', tls: true, proxyProtocol: true },
      ],
      tls: { cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') },
      maxLineBytes: 10240,
      maxConnectionsPerIp: 50,
      proxyProtocolFrom: ['127.0.0.1', '127.0.1.0/24'],
      loginTimeout: 2,
      shareBatchInterval: 200,
      varDiff: { minDiff: 1, maxDiff: 10000, targetTime: 60, retargetTime: 1, variancePercent: 30, maxJump: 100 },
      shareTrust: { enabled: true, min: 0, stepDown: 100, threshold: 2, penalty: 30 },
      // forged results count toward the ratio here (the ban at the first one is tested in stratum-flood.test.ts)
      banning: { enabled: true, time: 600, invalidPercent: 25, checkThreshold: 20, banOnForgedResult: false },
    });
    poolHasher = new CountingHasher(createHasher({ mode: 'light', threads: 1 }));
    node = await startNode(chain, config, poolHasher);
    minerHasher = createHasher({ mode: 'light', threads: 1 });
    void trustPort;
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await poolHasher?.close();
    await minerHasher?.close();
    await chain?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it('rejects a bad address with an error and closes the socket', async () => {
    for (const [login, msg] of [
      ['notanaddress', /invalid address used for login/],
      [TESTNET_ADDRESS, /testnet/],
      [INTEGRATED, /integrated addresses are not accepted/],
      ['', /missing login/],
    ] as const) {
      const c = await StratumClient.connect({ port: plain });
      const r = await c.login(login);
      expect(r.error?.message).toMatch(msg);
      expect(r.id).toBe(1);
      await c.waitClosed();
    }
  });

  it('closes on malformed JSON and on a 200 KB line, while another miner keeps being served', async () => {
    const good = await StratumClient.connect({ port: plain });
    expect((await good.login(`${MINER_ADDRESS}+5`)).error).toBeNull();
    const bad = await StratumClient.connect({ port: plain });
    bad.writeRaw('{"id":1,"method":"login",,,}\n');
    await bad.waitClosed();
    const flood = await StratumClient.connect({ port: plain });
    flood.writeRaw('{' + 'a'.repeat(200 * 1024));
    await flood.waitClosed();
    const r = await good.request('keepalived', { id: good.sessionId });
    expect(r.result).toEqual({ status: 'KEEPALIVED' });
    good.close();
  });

  it('answers unknown job ids, wrong hashes, foreign sessions, unknown methods and duplicates', async () => {
    const c = await StratumClient.connect({ port: plain });
    expect((await c.login(`${MINER_ADDRESS}.dup+5`)).error).toBeNull();
    const other = await StratumClient.connect({ port: plain });
    expect((await other.login(`${MINER_ADDRESS}.other+5`)).error).toBeNull();
    const job = c.job;
    expect((await c.submit({ ...job, job_id: 'nope' }, '00000001', 'ab'.repeat(32))).error?.message).toBe(
      'Invalid job id',
    );
    expect((await c.submit(job, '00000001', 'ab'.repeat(32), other.sessionId)).error?.message).toBe('Unauthenticated');
    expect((await c.request('getjob', { id: 'forged' })).error?.message).toBe('Unauthenticated');
    expect((await c.request('mining.authorize', {})).error?.message).toBe('Invalid method');
    expect((await c.submit(job, 'zz000001', 'ab'.repeat(32))).error?.message).toBe('Invalid nonce');
    const share = await mineShare(minerHasher, job, { startNonce: 1000 });
    const wrong = share.result.slice(0, 62) + (share.result.endsWith('00') ? '01' : '00');
    expect((await c.submit(job, share.nonce, wrong)).error?.message).toBe('Invalid share');
    // that nonce is now spent for this job; a new one is accepted once, then is a duplicate in any letter case
    const s2 = await mineShare(minerHasher, job, { startNonce: 5000 });
    expect((await c.submit(job, s2.nonce, s2.result)).error).toBeNull();
    expect((await c.submit(job, s2.nonce, s2.result)).error?.message).toBe('Duplicate share');
    const upper = s2.nonce.toUpperCase() === s2.nonce ? s2.nonce : s2.nonce.toUpperCase();
    expect((await c.submit(job, upper, s2.result)).error?.message).toBe('Duplicate share');
    const gj = await c.request('getjob', { id: c.sessionId });
    const fresh = gj.result as { job_id: string; blob: string; seed_hash: string; target: string };
    expect(fresh.job_id).not.toBe(job.job_id);
    // every job has its own extra nonce: the accepted share cannot be credited again under the new job id
    expect(fresh.blob).not.toBe(job.blob);
    expect((await c.submit(fresh, s2.nonce, s2.result)).error?.message).toBe('Invalid share');
    c.close();
    other.close();
  }, 120_000);

  it('share trust skips hashing after its threshold, but never for a share claiming a block', async () => {
    const c = await StratumClient.connect({ port: plain, localAddress: '127.0.0.3' });
    expect((await c.login(`${MINER_ADDRESS}.trust+5`)).error).toBeNull();
    for (let i = 0; i < 2; i++) {
      const job = c.job;
      const s = await mineShare(minerHasher, job, { startNonce: 20_000 + i * 1000 });
      expect((await c.submit(job, s.nonce, s.result)).error).toBeNull();
    }
    const before = poolHasher.calls;
    // trusted now: a share that meets the target but is not a block is accepted without hashing
    const r = await c.submit(c.job, '0badc0de', fakeShareResult(5));
    expect(r.error).toBeNull();
    expect(poolHasher.calls).toBe(before);
    // a share claiming block difficulty is always hashed, and this forged one fails
    const blockClaim = await c.submit(c.job, '0badc0df', fakeBlockResult());
    expect(poolHasher.calls).toBe(before + 1);
    expect(blockClaim.error?.message).toBe('Invalid share');
    // an all-zero result is never accepted
    expect((await c.submit(c.job, '0badc0e0', '00'.repeat(32))).error?.message).toBe('Invalid share');
    c.close();
  }, 120_000);

  it('bans an IP after the invalid ratio, and another IP is still served', async () => {
    const header = buildProxyV2('203.0.113.7', 40000);
    const c = await StratumClient.connect({ port: proxied, preamble: header });
    expect((await c.login(`${MINER_ADDRESS}.bad+5`)).error).toBeNull();
    const replies: string[] = [];
    for (let i = 0; i < 20 && !c.closed; i++) {
      const r = await c.submit(c.job, (0x10000000 + i).toString(16), 'cd'.repeat(32)).catch(() => null);
      if (r?.error) replies.push(r.error.message);
    }
    expect(replies.at(-1)).toBe('IP Address currently banned');
    await c.waitClosed();
    const again = await StratumClient.connect({ port: proxied, preamble: buildProxyV2('203.0.113.7', 40001) });
    expect((await again.login(MINER_ADDRESS)).error?.message).toBe('IP Address currently banned');
    await again.waitClosed();
    const neighbour = await StratumClient.connect({ port: proxied, preamble: buildProxyV2('203.0.113.8', 40002) });
    expect((await neighbour.login(MINER_ADDRESS)).error).toBeNull();
    const direct = await StratumClient.connect({ port: plain, localAddress: '127.0.0.2' });
    expect((await direct.login(MINER_ADDRESS)).error).toBeNull();
    neighbour.close();
    direct.close();
  }, 60_000);

  it('vardiff raises a fast miner and pushes a new job with the new target', async () => {
    const c = await StratumClient.connect({ port: plain, localAddress: '127.0.0.4' });
    expect((await c.login(`${MINER_ADDRESS}.vardiff`)).error).toBeNull();
    const first = c.job;
    const deadline = Date.now() + 60_000;
    let n = 0;
    const retargeted = () => c.jobs.slice(1).find((j) => j.target !== first.target);
    while (!retargeted() && Date.now() < deadline) {
      const s = await mineShare(minerHasher, first, { startNonce: 40_000 + n * 500 });
      n += 1;
      await c.submit(first, s.nonce, s.result);
      await new Promise((r) => setTimeout(r, 300));
    }
    const job = retargeted();
    expect(job).toBeDefined();
    expect(job!.job_id).not.toBe(first.job_id);
    const t64 = (hex: string) => BigInt('0x' + hex.match(/../g)!.reverse().join(''));
    expect(t64(job!.target)).toBeLessThan(t64(first.target));
    c.close();
  }, 90_000);

  it('closes a socket that never logs in, and caps connections per IP without touching other IPs', async () => {
    const idle = await StratumClient.connect({ port: plain, localAddress: '127.0.0.7' });
    await idle.waitClosed(6000);
    const held: StratumClient[] = [];
    for (let i = 0; i < 50; i++) held.push(await StratumClient.connect({ port: plain, localAddress: '127.0.0.8' }));
    expect((await held[0]!.login(MINER_ADDRESS)).error).toBeNull();
    const extra = await StratumClient.connect({ port: plain, localAddress: '127.0.0.8' });
    await extra.waitClosed();
    expect(JSON.stringify(extra.lines)).toContain('Too many connections from your IP');
    // closing two of the held sockets frees exactly two slots
    held[1]!.close();
    held[2]!.close();
    await Promise.all([held[1]!.waitClosed(), held[2]!.waitClosed()]);
    await new Promise((r) => setTimeout(r, 200));
    const again = [
      await StratumClient.connect({ port: plain, localAddress: '127.0.0.8' }),
      await StratumClient.connect({ port: plain, localAddress: '127.0.0.8' }),
    ];
    const over = await StratumClient.connect({ port: plain, localAddress: '127.0.0.8' });
    await over.waitClosed();
    expect(JSON.stringify(over.lines)).toContain('Too many connections from your IP');
    for (const a of again) expect(a.closed).toBe(false);
    held.push(...again);
    const elsewhere = await StratumClient.connect({ port: plain, localAddress: '127.0.0.9' });
    expect((await elsewhere.login(MINER_ADDRESS)).error).toBeNull();
    expect((await held[0]!.request('keepalived', { id: held[0]!.sessionId })).result).toEqual({ status: 'KEEPALIVED' }); // existing sockets untouched
    for (const c of [...held, elsewhere]) c.close();
  }, 30_000);

  it('accepts PROXY headers only from the configured load balancer addresses', async () => {
    const spoofer = await StratumClient.connect({
      port: proxied,
      localAddress: '127.0.0.66',
      preamble: buildProxyV2('203.0.113.99', 40100),
    });
    await spoofer.waitClosed();
    const lb = await StratumClient.connect({
      port: proxied,
      localAddress: '127.0.1.7',
      preamble: buildProxyV2('203.0.113.98', 40101),
    });
    expect((await lb.login(MINER_ADDRESS)).error).toBeNull();
    lb.close();
  }, 30_000);

  it('serves TLS behind PROXY v2 when the header and the ClientHello arrive together', async () => {
    const c = await StratumClient.connect({
      port: secureProxied,
      tls: true,
      preamble: buildProxyV2('198.51.100.20', 41000),
    });
    expect((await c.login(`${MINER_ADDRESS}+5`)).error).toBeNull();
    c.close();
  }, 30_000);

  it('serves a TLS port end to end', async () => {
    const c = await StratumClient.connect({ port: secure, tls: true, localAddress: '127.0.0.5' });
    expect((await c.login(`${MINER_ADDRESS}+5`)).error).toBeNull();
    const job = c.job;
    const s = await mineShare(minerHasher, job, { startNonce: 90_000 });
    expect((await c.submit(job, s.nonce, s.result)).error).toBeNull();
    c.close();
  }, 60_000);
});
