/** Pure parts of the payer: payee selection, batching, fee pricing, batch parsing. No services. */
import { describe, expect, it } from 'vitest';
import { parseBatch, destinationsJson, type Destination } from '../functions/payments/batch.js';
import { priceDestinations } from '../functions/payments/pay-batch.js';
import { selectPayees, toBatches } from '../functions/payments/select.js';
import { configFromObject } from '../shared/config/load.js';
import { encodeAddress } from '../shared/monero/address.js';

const addr = (n: number) =>
  encodeAddress({
    network: 'mainnet',
    kind: 'standard',
    spendKey: n.toString(16).padStart(64, '0'),
    viewKey: 'cd'.repeat(32),
  });
const config = (payments: Record<string, unknown> = {}) =>
  configFromObject({
    poolServer: { enabled: false, poolAddress: addr(999) },
    payments: { minPayment: '1000', denomination: '100', ...payments },
  });

describe('selectPayees', () => {
  it('pays balances over max(minPayment, own threshold), truncated to the denomination', () => {
    const rows = [
      { address: addr(1), balance: 999n, threshold: null },
      { address: addr(2), balance: 1234n, threshold: null },
      { address: addr(3), balance: 5000n, threshold: 6000n },
      { address: addr(4), balance: 7050n, threshold: 6000n },
      { address: addr(5), balance: 2000n, threshold: 10n }, // a threshold below minPayment does not lower it
      { address: 'not-an-address', balance: 5000n, threshold: null },
    ];
    const { payees, skipped } = selectPayees(rows, config());
    expect(payees.map((p) => [p.address, p.amount, p.reserve])).toEqual([
      [addr(2), 1200n, 1200n],
      [addr(4), 7000n, 7000n],
      [addr(5), 2000n, 2000n],
    ]);
    expect(skipped).toEqual([{ address: 'not-an-address', reason: expect.stringMatching(/invalid address/) }]);
  });

  it('a stored threshold above payments.maxThreshold (set before the cap, to freeze payouts) counts as the cap', () => {
    const rows = [
      { address: addr(1), balance: 9000n, threshold: 10n ** 19n },
      { address: addr(2), balance: 7900n, threshold: 10n ** 19n },
    ];
    const { payees } = selectPayees(rows, config({ maxThreshold: '8000' }));
    expect(payees.map((p) => [p.address, p.amount])).toEqual([[addr(1), 9000n]]);
  });

  it('feePayer payees: reserves the fee allowance on top of the amount', () => {
    const { payees } = selectPayees(
      [{ address: addr(1), balance: 1250n, threshold: null }],
      config({ feePayer: 'payees', transferFee: '60' }),
    );
    expect(payees).toEqual([{ address: addr(1), amount: 1100n, reserve: 1160n, share: 0n, refund: 60n }]);
  });

  it('batches by min(maxAddresses, 15)', () => {
    const items = Array.from({ length: 32 }, (_, i) => i);
    expect(toBatches(items, config()).map((b) => b.length)).toEqual([15, 15, 2]);
    expect(toBatches(items, config({ maxAddresses: 10 })).map((b) => b.length)).toEqual([10, 10, 10, 2]);
  });
});

describe('priceDestinations', () => {
  const d = (amount: bigint, allowance: bigint): Destination => ({
    address: addr(Number(amount)),
    amount,
    reserve: amount + allowance,
    share: 0n,
    refund: allowance,
  });

  it('pool pays: no shares, no refunds', () => {
    expect(priceDestinations([d(100n, 0n)], 77n)).toEqual([{ ...d(100n, 0n), share: 0n, refund: 0n }]);
  });

  it('payees pay: the fee split pro rata, exactly, the rest of the allowance refunded', () => {
    const out = priceDestinations([d(100n, 50n), d(200n, 50n), d(300n, 50n)], 61n);
    if (typeof out === 'string') throw new Error(out);
    expect(out.map((x) => x.share)).toEqual([10n, 20n, 31n]);
    expect(out.reduce((s, x) => s + x.share, 0n)).toBe(61n);
    for (const x of out) expect(x.share + x.refund + x.amount).toBe(x.reserve);
  });

  it('a share over the allowance refuses the batch', () => {
    expect(priceDestinations([d(100n, 5n), d(100n, 5n)], 12n)).toMatch(/more than the 5 reserved/);
  });
});

describe('parseBatch', () => {
  const dests = destinationsJson([{ address: addr(1), amount: 100n, reserve: 110n, share: 4n, refund: 6n }]);
  it('reads a well-formed batch', () => {
    const b = parseBatch('7', {
      status: 'signed',
      feePayer: 'payees',
      total: '100',
      destinations: dests,
      txHash: 'aa',
      txMetadata: 'bb',
      fee: '4',
      relayAttempts: '1',
    });
    expect(b).toMatchObject({ id: '7', status: 'signed', total: 100n, fee: 4n, relayAttempts: 1 });
  });
  it('refuses anything it cannot vouch for', () => {
    expect(() => parseBatch('7', { status: 'weird', feePayer: 'pool', destinations: dests })).toThrow(/unknown status/);
    expect(() => parseBatch('7', { status: 'signed', feePayer: 'pool', destinations: dests })).toThrow(
      /without a signed tx/,
    );
    const unbalanced = destinationsJson([{ address: addr(1), amount: 100n, reserve: 111n, share: 4n, refund: 6n }]);
    expect(() => parseBatch('7', { status: 'reserved', feePayer: 'pool', destinations: unbalanced })).toThrow(
      /does not balance/,
    );
  });
});
