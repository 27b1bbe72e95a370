/**
 * Writes a found block exactly as the stratum node does (docs/CONTRACTS.md "What the stratum node writes"), so the
 * unlocker and payments tests start from the same Redis state a real pool would have:
 * - prop/slush: shares accumulate in roundCurrent/roundTotal, then one atomic step writes block(hash), ZADD
 *   blocksCandidates, HSET stats, RENAME roundCurrent -> round(hash) and resets roundTotal;
 * - pplns: round(hash) = the window's weights, roundCurrent cleared; solo: round(hash) = {finder: 1}.
 */
import type { KeySchema } from '../../shared/redis/keys.js';
import type { Storage } from '../../shared/storage/port.js';

export interface CandidateSpec {
  hash: string;
  height: number;
  finder: string;
  scheme: 'prop' | 'pplns' | 'solo' | 'slush';
  /** login -> integer weight (difficulty sum, window difficulty or slush score); ignored for solo. */
  round: Record<string, bigint>;
  difficulty?: bigint;
  timeMs?: number;
}

export async function writeCandidate(storage: Storage, keys: KeySchema, c: CandidateSpec): Promise<void> {
  const shares = Object.values(c.round).reduce((a, b) => a + b, 0n);
  if (c.scheme === 'prop' || c.scheme === 'slush') {
    // the share batches of the round
    await storage.pipeline(
      Object.entries(c.round).flatMap(([login, d]) => [
        ['HINCRBY', keys.roundCurrent, login, d.toString()],
        ['INCRBY', keys.roundTotal, d.toString()],
      ]),
    );
  }
  const time = String(c.timeMs ?? Date.now());
  const record = [
    'HSET',
    keys.block(c.hash),
    'hash',
    c.hash,
    'height',
    String(c.height),
    'time',
    time,
    'difficulty',
    String(c.difficulty ?? 1n),
    'shares',
    shares.toString(),
    'finder',
    c.finder,
    'scheme',
    c.scheme,
    'status',
    'candidate',
  ];
  const round: string[][] =
    c.scheme === 'prop' || c.scheme === 'slush'
      ? [['RENAME', keys.roundCurrent, keys.round(c.hash)]]
      : c.scheme === 'solo'
        ? [['HSET', keys.round(c.hash), c.finder, '1']]
        : [
            ['HSET', keys.round(c.hash), ...Object.entries(c.round).flatMap(([l, d]) => [l, d.toString()])],
            ['DEL', keys.roundCurrent],
          ];
  await storage.multi([
    record,
    ['ZADD', keys.blocksCandidates, String(c.height), c.hash],
    ['HSET', keys.stats, 'lastBlockFound', time, 'lastBlockFoundHeight', String(c.height), 'roundStart', time],
    ...round,
    ['SET', keys.roundTotal, '0'],
  ]);
}
