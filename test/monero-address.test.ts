import { describe, expect, it } from 'vitest';
import { ERRORS, PoolError } from '../shared/errors.js';
import { hexToBytes } from '../shared/hex.js';
import { base58Decode, base58Encode } from '../shared/monero/base58.js';
import { keccak256 } from '../shared/monero/keccak.js';
import {
  encodeAddress,
  makeIntegratedAddress,
  parseAddress,
  validateMinerAddress,
  type AddressPolicy,
} from '../shared/monero/address.js';

const TEST_KEYS = '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';
const REGTEST = '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';
const REGTEST_INTEGRATED =
  '4CMe2PUhs4J4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfSbLRB61BQVATzerHGj';
const GENERAL_FUND = '888tNkZrPN6JsEgekjMnABU4TBzc2Dt29EPAvkRxbANsAnjyPbb3iQ1YBRk1UXcdRsiKc9dhwMVgN5S9cQUiyoogDavup3H';
const TESTNET = '9tTLtauaEKSj7xoVXytVH32R1pLZBk4VV4mZFGEh4wkXhDWqw1soPyf3fGixf1kni31VznEZkWNEza9d5TvjWwq5PaohYHC';

function badAddress(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PoolError);
    expect((e as PoolError).code).toBe(ERRORS.BAD_ADDRESS);
    expect((e as PoolError).message).toMatch(message);
    return;
  }
  throw new Error('expected BAD_ADDRESS');
}

/** Re-encode raw address bytes with a fresh, valid checksum. */
function withChecksum(body: Uint8Array): string {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  out.set(keccak256(body).subarray(0, 4), body.length);
  return base58Encode(out);
}

describe('parseAddress / encodeAddress', () => {
  it('decodes and re-encodes the test-keys address exactly', () => {
    const p = parseAddress(TEST_KEYS);
    expect(p).toMatchObject({
      network: 'mainnet',
      kind: 'standard',
      spendKey: 'f724bc5c6cfbb9d97602c300423a2f28641874513a035778a0c1778d833201e9',
      viewKey: '220939689edf1abd5bc1d031f73ecd6c993add66d6808870456afeb8e7eeb68d',
    });
    expect(p.paymentId).toBeUndefined();
    expect(encodeAddress(p)).toBe(TEST_KEYS);
  });

  it('builds the integrated address from the regtest wallet and a payment id', () => {
    const std = parseAddress(REGTEST);
    expect(std).toMatchObject({ network: 'mainnet', kind: 'standard' });
    expect(makeIntegratedAddress(REGTEST, '0123456789abcdef')).toBe(REGTEST_INTEGRATED);
    const integ = parseAddress(REGTEST_INTEGRATED);
    expect(integ).toMatchObject({
      network: 'mainnet',
      kind: 'integrated',
      spendKey: std.spendKey,
      viewKey: std.viewKey,
      paymentId: '0123456789abcdef',
    });
    expect(encodeAddress(integ)).toBe(REGTEST_INTEGRATED);
    expect(REGTEST_INTEGRATED.length).toBe(106);
  });

  it('recognises subaddresses and other networks', () => {
    const sub = parseAddress(GENERAL_FUND);
    expect(sub).toMatchObject({ network: 'mainnet', kind: 'subaddress' });
    expect(encodeAddress(sub)).toBe(GENERAL_FUND);
    const t = parseAddress(TESTNET);
    expect(t).toMatchObject({ network: 'testnet', kind: 'standard' });
    expect(encodeAddress(t)).toBe(TESTNET);
  });

  it('gets first characters from prefixes for every network and kind', () => {
    const keys = { spendKey: 'ab'.repeat(32), viewKey: 'cd'.repeat(32) };
    const cases = [
      ['mainnet', 'standard', /^4/],
      ['mainnet', 'integrated', /^4/],
      ['mainnet', 'subaddress', /^8/],
      ['testnet', 'standard', /^[9A]/],
      ['testnet', 'integrated', /^A/],
      ['testnet', 'subaddress', /^B/],
      ['stagenet', 'standard', /^5/],
      ['stagenet', 'integrated', /^5/],
      ['stagenet', 'subaddress', /^7/],
    ] as const;
    for (const [network, kind, first] of cases) {
      const paymentId = kind === 'integrated' ? '00'.repeat(8) : undefined;
      const addr = encodeAddress({ network, kind, ...keys, ...(paymentId ? { paymentId } : {}) });
      expect(addr).toMatch(first);
      expect(addr.length).toBe(kind === 'integrated' ? 106 : 95);
      expect(parseAddress(addr)).toMatchObject({ network, kind, ...keys });
    }
  });

  it('rejects bad length, character, checksum and prefix with readable reasons', () => {
    badAddress(() => parseAddress(''), /empty/);
    badAddress(() => parseAddress(TEST_KEYS.slice(0, 94)), /94 characters/);
    badAddress(() => parseAddress(TEST_KEYS + 'a'), /96 characters/);
    badAddress(() => parseAddress(TEST_KEYS.slice(0, 94) + '0'), /character '0'/);
    badAddress(() => parseAddress(TEST_KEYS.slice(0, 94) + 'l'), /character 'l'/);
    // Change one character in the middle: checksum no longer matches.
    const typo = TEST_KEYS.slice(0, 50) + (TEST_KEYS[50] === 'a' ? 'b' : 'a') + TEST_KEYS.slice(51);
    badAddress(() => parseAddress(typo), /checksum/);
    // A correctly checksummed address with an unknown prefix (17).
    const raw = base58Decode(TEST_KEYS).slice(0, 65);
    raw[0] = 17;
    badAddress(() => parseAddress(withChecksum(raw)), /prefix 17/);
    // A standard prefix on integrated-length data.
    const long = new Uint8Array(73);
    long[0] = 18;
    badAddress(() => parseAddress(withChecksum(long)), /wrong length/);
    // Overflowing base58 block.
    badAddress(() => parseAddress('z'.repeat(95)), /base58/);
  });

  it('rejects bad parts when encoding', () => {
    const keys = { spendKey: 'ab'.repeat(32), viewKey: 'cd'.repeat(32) };
    badAddress(() => encodeAddress({ network: 'mainnet', kind: 'integrated', ...keys }), /payment id/);
    badAddress(
      () => encodeAddress({ network: 'mainnet', kind: 'standard', ...keys, paymentId: '00'.repeat(8) }),
      /cannot carry/,
    );
    badAddress(() => encodeAddress({ network: 'mainnet', kind: 'standard', ...keys, spendKey: 'ab' }), /spend key/);
    badAddress(() => makeIntegratedAddress(GENERAL_FUND, '00'.repeat(8)), /standard address/);
    expect(hexToBytes(keys.spendKey).length).toBe(32);
  });
});

describe('validateMinerAddress', () => {
  const strict: AddressPolicy = { integrated: 'reject', subaddress: 'reject' };
  const loose: AddressPolicy = { integrated: 'allow', subaddress: 'allow' };

  it('accepts matching addresses', () => {
    expect(validateMinerAddress(REGTEST, 'mainnet', strict).kind).toBe('standard');
    expect(validateMinerAddress(GENERAL_FUND, 'mainnet', loose).kind).toBe('subaddress');
    expect(validateMinerAddress(REGTEST_INTEGRATED, 'mainnet', loose).paymentId).toBe('0123456789abcdef');
    expect(validateMinerAddress(TESTNET, 'testnet').network).toBe('testnet');
    expect(validateMinerAddress(GENERAL_FUND, 'mainnet').kind).toBe('subaddress'); // default policy allows
  });

  it('rejects wrong network and disallowed kinds', () => {
    badAddress(() => validateMinerAddress(TESTNET, 'mainnet', loose), /^address is for testnet, pool runs on mainnet$/);
    badAddress(() => validateMinerAddress(REGTEST, 'stagenet', loose), /address is for mainnet, pool runs on stagenet/);
    badAddress(
      () => validateMinerAddress(REGTEST_INTEGRATED, 'mainnet', strict),
      /^integrated addresses are not accepted$/,
    );
    badAddress(() => validateMinerAddress(REGTEST_INTEGRATED, 'mainnet'), /integrated addresses are not accepted/);
    badAddress(() => validateMinerAddress(GENERAL_FUND, 'mainnet', strict), /^subaddresses are not accepted$/);
    badAddress(() => validateMinerAddress('nonsense', 'mainnet', loose), /8 characters/);
  });
});
