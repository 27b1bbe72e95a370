/**
 * The hash scheduler in front of the real native hasher (light mode, one thread, one hash in flight, so the order
 * in which hashes finish is the order the scheduler chose): IPs with a verified share first, round robin between
 * IPs, per-connection and per-IP bounds answered 'busy' at once, block claims first in their IP's queue but never
 * ahead of a known miner, a banned IP's queued work answered 'banned' without hashing, and every hash equal to the
 * hasher's own.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHasher, type Hasher } from '../native/index.js';
import { bytesToHex } from '../shared/hex.js';
import { HashScheduler, type HashOutcome } from '../stratum-node/hash-scheduler.js';

const SEED = 'c0ffee'.padEnd(64, '0');
const blob = (n: number): Uint8Array => new Uint8Array(76).fill(n & 0xff);

describe('hash scheduler', () => {
  let hasher: Hasher;
  beforeAll(async () => {
    hasher = createHasher({ mode: 'light', threads: 1 });
    await hasher.prepareSeed(SEED);
  }, 120_000);
  afterAll(async () => {
    await hasher?.close();
  });

  const make = (over: Partial<ConstructorParameters<typeof HashScheduler>[1]> = {}): HashScheduler =>
    new HashScheduler(hasher, { maxInFlight: 1, perConnection: 8, perIp: 8, perIpKnown: 64, maxQueued: 4096, ...over });

  it('serves IPs with a verified share first, and unknown IPs round robin', async () => {
    const s = make();
    const order: string[] = [];
    const track = (tag: string, p: Promise<HashOutcome>): Promise<HashOutcome> =>
      p.then((o) => {
        order.push(tag);
        return o;
      });
    s.markVerified('10.0.0.9');
    const flooder = {};
    const first = track('a0', s.hash({ ip: '10.0.0.1', owner: flooder, seedHex: SEED, blob: blob(0) })); // takes the one slot
    const queued = [
      track('a1', s.hash({ ip: '10.0.0.1', owner: flooder, seedHex: SEED, blob: blob(1) })),
      track('a2', s.hash({ ip: '10.0.0.1', owner: flooder, seedHex: SEED, blob: blob(2) })),
      track('b0', s.hash({ ip: '10.0.0.2', owner: {}, seedHex: SEED, blob: blob(3) })),
      track('k0', s.hash({ ip: '10.0.0.9', owner: {}, seedHex: SEED, blob: blob(4) })),
    ];
    const outcomes = await Promise.all([first, ...queued]);
    expect(order).toEqual(['a0', 'k0', 'a1', 'b0', 'a2']);
    for (const [i, o] of outcomes.entries()) {
      expect(o.kind).toBe('hash');
      if (o.kind === 'hash') expect(bytesToHex(o.hash)).toBe(bytesToHex(await hasher.hash(SEED, blob(i))));
    }
  }, 120_000);

  it('serves a block claim past the bounds and ahead of queued work, one claim per connection at a time', async () => {
    const s = make({ perConnection: 1, perIp: 1 });
    const conn = {};
    const order: string[] = [];
    const track = (tag: string, p: Promise<HashOutcome>): Promise<HashOutcome> =>
      p.then((o) => {
        order.push(tag);
        return o;
      });
    const other = track('x', s.hash({ ip: '10.0.3.2', owner: {}, seedHex: SEED, blob: blob(9) })); // takes the slot
    const plain = track('p', s.hash({ ip: '10.0.3.1', owner: conn, seedHex: SEED, blob: blob(1) }));
    const over = track('o', s.hash({ ip: '10.0.3.1', owner: conn, seedHex: SEED, blob: blob(2) }));
    const claim = track('c', s.hash({ ip: '10.0.3.1', owner: conn, seedHex: SEED, blob: blob(3), claimsBlock: true }));
    const second = track(
      'c2',
      s.hash({ ip: '10.0.3.1', owner: conn, seedHex: SEED, blob: blob(4), claimsBlock: true }),
    );
    const kinds = Object.fromEntries(
      (await Promise.all([other, plain, over, claim, second])).map((o, i) => [['x', 'p', 'o', 'c', 'c2'][i], o.kind]),
    );
    expect(kinds).toEqual({ x: 'hash', p: 'hash', o: 'busy', c: 'hash', c2: 'busy' });
    expect(order.filter((t) => t !== 'o' && t !== 'c2')).toEqual(['x', 'c', 'p']);
  }, 120_000);

  it('answers busy beyond the per-connection and per-IP bounds, without hashing', async () => {
    const s = make({ perConnection: 2, perIp: 3 });
    const conn = {};
    const a = [0, 1, 2].map((i) => s.hash({ ip: '10.0.1.1', owner: conn, seedHex: SEED, blob: blob(i) }));
    const b = [3, 4].map((i) => s.hash({ ip: '10.0.1.1', owner: {}, seedHex: SEED, blob: blob(i) }));
    const kinds = (await Promise.all([...a, ...b])).map((o) => o.kind);
    // connection 1: two accepted, the third over perConnection; the other connection: one left under perIp
    expect(kinds).toEqual(['hash', 'hash', 'busy', 'hash', 'busy']);
    expect(s.stats()).toMatchObject({ queuedKnown: 0, queuedUnknown: 0, inFlight: 0 });
  }, 120_000);

  it("answers a dropped IP's queued work 'banned' and never hashes it; others are still served", async () => {
    const s = make();
    const running = s.hash({ ip: '10.0.2.1', owner: {}, seedHex: SEED, blob: blob(1) });
    const queued = [2, 3, 4].map((i) => s.hash({ ip: '10.0.2.1', owner: {}, seedHex: SEED, blob: blob(i) }));
    const other = s.hash({ ip: '10.0.2.2', owner: {}, seedHex: SEED, blob: blob(5) });
    expect(s.dropIp('10.0.2.1')).toBe(3);
    expect((await Promise.all(queued)).map((o) => o.kind)).toEqual(['banned', 'banned', 'banned']);
    expect((await running).kind).toBe('hash'); // already in the hasher: it finishes
    expect((await other).kind).toBe('hash');
    expect(s.isKnown('10.0.2.1')).toBe(false);
  }, 120_000);

  it('a full unknown level makes room by refusing the newest item of the IP with the most queued', async () => {
    const s = make({ maxQueued: 3, perIp: 8, perConnection: 8 });
    const running = s.hash({ ip: '10.0.3.9', owner: {}, seedHex: SEED, blob: blob(9) });
    const flood = [1, 2, 3].map((i) => s.hash({ ip: '10.0.3.1', owner: {}, seedHex: SEED, blob: blob(i) }));
    const honest = s.hash({ ip: '10.0.3.2', owner: {}, seedHex: SEED, blob: blob(7) });
    expect((await Promise.all(flood)).map((o) => o.kind)).toEqual(['hash', 'hash', 'busy']);
    expect((await honest).kind).toBe('hash');
    expect((await running).kind).toBe('hash');
  }, 120_000);

  it('at shutdown, queued plain shares are answered busy unhashed; block claims and work in the hasher finish', async () => {
    const s = make();
    const running = s.hash({ ip: '10.0.4.1', owner: {}, seedHex: SEED, blob: blob(1) });
    const plain = [2, 3].map((i) => s.hash({ ip: '10.0.4.2', owner: {}, seedHex: SEED, blob: blob(i) }));
    const claim = s.hash({ ip: '10.0.4.3', owner: {}, seedHex: SEED, blob: blob(4), claimsBlock: true });
    expect(s.dropQueuedShares()).toBe(2);
    expect((await Promise.all(plain)).map((o) => o.kind)).toEqual(['busy', 'busy']);
    expect((await claim).kind).toBe('hash');
    expect((await running).kind).toBe('hash');
    expect(s.stats()).toMatchObject({ queuedKnown: 0, queuedUnknown: 0, inFlight: 0 });
  }, 120_000);

  it("an unknown IP's block claims wait behind a known miner's shares; a full level never evicts a claim", async () => {
    const s = make({ maxQueued: 2 });
    s.markVerified('10.0.5.9');
    const order: string[] = [];
    const track = (tag: string, p: Promise<HashOutcome>): Promise<HashOutcome> =>
      p.then((o) => {
        order.push(tag);
        return o;
      });
    const busy = track('x', s.hash({ ip: '10.0.5.8', owner: {}, seedHex: SEED, blob: blob(1) })); // takes the slot
    // a flood of forged claims from one unknown IP, several connections (one claim each)
    const claims = [2, 3, 4].map((i) =>
      track(`c${i}`, s.hash({ ip: '10.0.5.1', owner: {}, seedHex: SEED, blob: blob(i), claimsBlock: true })),
    );
    const honest = track('k', s.hash({ ip: '10.0.5.9', owner: {}, seedHex: SEED, blob: blob(5) }));
    // the unknown level is over its cap with claims: a plain newcomer is refused, no claim is evicted
    const plain = s.hash({ ip: '10.0.5.1', owner: {}, seedHex: SEED, blob: blob(6) });
    expect((await plain).kind).toBe('busy');
    const kinds = (await Promise.all([busy, ...claims, honest])).map((o) => o.kind);
    expect(kinds).toEqual(['hash', 'hash', 'hash', 'hash', 'hash']);
    expect(order.slice(0, 2)).toEqual(['x', 'k']);
  }, 120_000);
});
