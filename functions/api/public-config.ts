/**
 * The `config` section of /stats: the seed's fields (docs/api.md) read from PoolConfig, plus `tls` per port,
 * `scheme` and `coinUnits`. Percent fields are the config's numbers; money fields (minPaymentThreshold,
 * denominationUnit, coinUnits) are bigint written as exact JSON integers (json.ts).
 *
 * Donations: the seed had one dev and one core-dev percent and showed fee + donation + coreDonation as the total
 * deduction. We have a list (blockUnlocker.donations, which already includes the mapped dev/core-dev entries), so
 * `coreDonation` is the core-dev entry and `donation` is everything else, keeping that sum right.
 */
import { readFileSync } from 'node:fs';
import type { PoolConfig } from '../../shared/config/schema.js';
import { percentToBps } from '../../shared/money.js';
import { BLOCK_TIME_SECONDS } from '../stats/index.js';
import type { Json } from './json.js';

function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') {
      return parsed.version;
    }
  } catch {
    // bundled (Lambda): no package.json beside the code
  }
  return 'unknown';
}

const bpsToPercent = (bps: bigint): number => Number(bps) / 100;

export function publicConfig(config: PoolConfig, version: string = packageVersion()): Json {
  const u = config.blockUnlocker;
  const coreBps = u.coreDevAddress !== null ? percentToBps(u.coreDevDonation) : 0n;
  const allBps = u.donations.reduce((s, d) => s + percentToBps(d.percent), 0n);
  const donationBps = allBps - coreBps;
  return {
    ports: config.poolServer.ports
      .filter((p) => !p.hidden)
      .map((p) => ({ port: p.port, difficulty: p.difficulty, desc: p.desc, tls: p.tls, solo: p.solo })),
    fixedDiffSeparator: config.poolServer.fixedDiffSeparator,
    hashrateWindow: config.api.hashrateWindow,
    fee: u.poolFee,
    coin: config.coin,
    symbol: config.symbol,
    depth: u.depth,
    donation: bpsToPercent(donationBps),
    coreDonation: bpsToPercent(coreBps),
    doDonations: allBps > 0n,
    version,
    minPaymentThreshold: config.payments.minPayment,
    denominationUnit: config.payments.denomination,
    blockTime: BLOCK_TIME_SECONDS,
    slushMiningEnabled: config.poolServer.slushMining.enabled,
    weight: config.poolServer.slushMining.weight,
    scheme: config.rewards.scheme,
    coinUnits: config.coinUnits,
  };
}
