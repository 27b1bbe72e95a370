/** Unit tests of the stratum node's pure parts: login parsing, vardiff, share trust, bans, PROXY v2. */
import { describe, it, expect } from 'vitest';
import { parseLogin, LoginError } from '../stratum-node/login.js';
import { VarDiff } from '../stratum-node/vardiff.js';
import { ShareTrust } from '../stratum-node/trust.js';
import { BanList } from '../stratum-node/bans.js';
import { parseProxyV2, buildProxyV2, normalizeIp, PROXY_V2_SIGNATURE } from '../stratum-node/proxy-protocol.js';

const A = '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';

describe('login parsing', () => {
  it('splits address, worker, fixed difficulty and solo', () => {
    expect(parseLogin(A, 'x', undefined, '+')).toEqual({ address: A, worker: 'default', fixedDiff: null, solo: false });
    expect(parseLogin(`${A}.rig-1+5000`, 'x', undefined, '+')).toEqual({
      address: A,
      worker: 'rig-1',
      fixedDiff: 5000,
      solo: false,
    });
    expect(parseLogin(`solo:${A}+7`, 'mypass', undefined, '+')).toEqual({
      address: A,
      worker: 'mypass',
      fixedDiff: 7,
      solo: true,
    });
    expect(parseLogin(`${A}.fromlogin`, 'x', 'fromrigid', '+').worker).toBe('fromrigid');
    expect(parseLogin(A, 'bad name/with:chars', undefined, '+').worker).toBe('badnamewithchars');
  });
  it('rejects missing logins and bad difficulties', () => {
    expect(() => parseLogin('', 'x', undefined, '+')).toThrow(LoginError);
    expect(() => parseLogin(undefined, 'x', undefined, '+')).toThrow(/missing login/);
    expect(() => parseLogin(`${A}+abc`, 'x', undefined, '+')).toThrow(/invalid fixed difficulty/);
    expect(() => parseLogin(`${A}+0`, 'x', undefined, '+')).toThrow(/invalid fixed difficulty/);
    expect(() => parseLogin('x'.repeat(600), 'x', undefined, '+')).toThrow(/too long/);
  });
});

describe('vardiff', () => {
  const cfg = { minDiff: 10, maxDiff: 10_000, targetTime: 100, retargetTime: 30, variancePercent: 30, maxJump: 100 };
  it('does nothing before retargetTime and with no samples (no NaN)', () => {
    const v = new VarDiff(cfg, 0);
    expect(v.onShare(10, 100)).toBeNull();
    const idle = new VarDiff(cfg, 0);
    expect(idle.maybeRetarget(31, 100)).toBeNull(); // 31 s since start < tMax 130: no sample, no change
  });
  it('raises a fast miner, capped by maxJump', () => {
    const v = new VarDiff(cfg, 0);
    let next: number | null = null;
    for (let t = 1; t <= 31; t++) next = v.onShare(t, 100) ?? next;
    expect(next).toBe(200); // 1 s per share wants x100; maxJump 100 % allows x2
  });
  it('lowers a quiet miner through the time since its last share, floored at minDiff', () => {
    const v = new VarDiff(cfg, 0);
    expect(v.maybeRetarget(400, 12)).toBe(10);
    const w = new VarDiff(cfg, 0);
    expect(w.maybeRetarget(200, 1000)).toBe(500);
  });
  it('leaves a miner inside the band alone', () => {
    const v = new VarDiff(cfg, 0);
    expect(v.onShare(100, 100)).toBeNull();
  });
});

describe('share trust', () => {
  const cfg = { enabled: true, min: 10, stepDown: 30, threshold: 2, penalty: 3 };
  it('needs threshold verified shares, then skips with falling probability, and resets on a bad share', () => {
    const t = new ShareTrust(cfg, () => 0.95);
    expect(t.maySkipHashing()).toBe(false);
    t.onVerifiedValid();
    expect(t.maySkipHashing()).toBe(false);
    t.onVerifiedValid(); // probability now 0.4
    expect(t.maySkipHashing()).toBe(true);
    t.onInvalid();
    expect(t.maySkipHashing()).toBe(false);
    for (let i = 0; i < 3; i++) t.onVerifiedValid();
    expect(t.trusted).toBe(true);
  });
  it('never skips below the minimum verification probability', () => {
    const t = new ShareTrust(cfg, () => 0.05);
    for (let i = 0; i < 50; i++) t.onVerifiedValid();
    expect(t.maySkipHashing()).toBe(false); // 0.05 < min 10 %: this share is hashed
  });
  it('is off when disabled', () => {
    const t = new ShareTrust({ ...cfg, enabled: false }, () => 1);
    for (let i = 0; i < 5; i++) t.onVerifiedValid();
    expect(t.maySkipHashing()).toBe(false);
  });
});

describe('bans', () => {
  it('bans at the invalid ratio after the threshold and unbans after the time', () => {
    let now = 0;
    const b = new BanList({ enabled: true, time: 60, invalidPercent: 25, checkThreshold: 10 }, () => now);
    for (let i = 0; i < 7; i++) b.record('1.2.3.4', true);
    b.record('1.2.3.4', false);
    expect(b.record('1.2.3.4', false)).toBe(false);
    expect(b.record('1.2.3.4', false)).toBe(true); // 3 invalid / 7 valid = 43 %
    expect(b.isBanned('1.2.3.4')).toBe(true);
    expect(b.isBanned('1.2.3.5')).toBe(false);
    now = 61_000;
    expect(b.isBanned('1.2.3.4')).toBe(false);
  });
  it('resets counters below the ratio', () => {
    const b = new BanList({ enabled: true, time: 60, invalidPercent: 25, checkThreshold: 10 });
    for (let i = 0; i < 9; i++) b.record('ip', true);
    expect(b.record('ip', false)).toBe(false);
    for (let i = 0; i < 3; i++) expect(b.record('ip', false)).toBe(false);
  });
});

describe('PROXY protocol v2', () => {
  it('parses IPv4, reports incomplete and rejects garbage', () => {
    const h = buildProxyV2('198.51.100.9', 51234);
    const r = parseProxyV2(Buffer.concat([h, Buffer.from('{"id":1}\n')]));
    expect(r).toEqual({ state: 'ok', headerLength: 28, sourceIp: '198.51.100.9', sourcePort: 51234 });
    expect(parseProxyV2(h.subarray(0, 10)).state).toBe('incomplete');
    expect(parseProxyV2(h.subarray(0, 20)).state).toBe('incomplete');
    expect(parseProxyV2(Buffer.from('{"id":1,"method":"login"}\n')).state).toBe('invalid');
  });
  it('parses IPv6 and LOCAL', () => {
    const body = Buffer.alloc(36);
    body.writeUInt16BE(0x2001, 0);
    body.writeUInt16BE(0x0db8, 2);
    body.writeUInt16BE(1, 14);
    body.writeUInt16BE(443, 32);
    const v6 = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x21, 0, 36]), body]);
    expect(parseProxyV2(v6)).toMatchObject({ state: 'ok', sourceIp: '2001:db8:0:0:0:0:0:1', sourcePort: 443 });
    const local = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0, 0])]);
    expect(parseProxyV2(local)).toEqual({ state: 'ok', headerLength: 16, sourceIp: null, sourcePort: null });
  });
  it('normalises IPv4-mapped addresses', () => {
    expect(normalizeIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp(undefined)).toBe('unknown');
  });
});
