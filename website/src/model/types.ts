/**
 * The site's model of the API's JSON (money as bigint atomic units, times as unix milliseconds):
 * PoolStats, PortInfo, BlockRow, PaymentRow, MinerStats, WorkerRow, ChartSeries, AdminStats, AdminUser.
 */
export type Json = Record<string, unknown>;

export interface PortInfo {
  port: number;
  difficulty: number;
  desc: string;
  tls: boolean;
  solo: boolean;
}

export type BlockStatus = 'pending' | 'confirmed' | 'orphaned';

export interface BlockRow {
  height: number;
  hash: string;
  /** Found at, unix ms. */
  time: number;
  difficulty: bigint;
  /** Sum of share difficulty in the round that found it. */
  shares: bigint;
  status: BlockStatus;
  /** Atomic units; null while unknown (pending blocks in the seed format). */
  reward: bigint | null;
}

export interface PaymentRow {
  /** Unix ms. */
  time: number;
  hash: string;
  amount: bigint;
  fee: bigint;
  mixin: number;
  /** Destinations in the transaction (pool-wide list only). */
  payees: number | null;
}

export interface PoolStats {
  config: {
    ports: PortInfo[];
    /** Percent (1.8 = 1.8 %). */
    fee: number;
    donation: number;
    coreDonation: number;
    symbol: string;
    coin: string;
    depth: number;
    minPaymentThreshold: bigint | null;
    denominationUnit: bigint | null;
    hashrateWindow: number;
    /** Seconds between blocks on the network. */
    blockTime: number;
    scheme: string;
    version: string;
    fixedDiffSeparator: string;
    /** Seconds between snapshots (/stats updateInterval). */
    updateInterval: number;
  };
  network: {
    difficulty: bigint;
    height: number;
    /** Unix ms of the last block. */
    timestamp: number;
    reward: bigint;
    hash: string;
    hashrate: number;
  };
  pool: {
    hashrate: number;
    miners: number;
    workers: number;
    totalBlocks: number;
    blocksUnlocked: number;
    blocksOrphaned: number;
    lastBlockFound: number;
    lastBlockFoundHeight: number | null;
    roundHashes: bigint;
    /** roundHashes / network difficulty; null when unknown. */
    roundEffort: number | null;
    totalPayments: number;
    totalMinersPaid: number;
    blocks: BlockRow[];
    payments: PaymentRow[];
  };
}

export interface MinerStats {
  address: string;
  hashrate: number;
  hashes: bigint;
  lastShare: number;
  balance: bigint;
  /** Reserved in a payment being sent. */
  pending: bigint;
  paid: bigint;
  /** The miner's own payout threshold, null = the pool's. */
  threshold: bigint | null;
  payments: PaymentRow[];
}

export interface WorkerRow {
  name: string;
  hashrate: number;
  lastShare: number;
  hashes: bigint | null;
}

export interface ChartSeries {
  /** Unix seconds. */
  times: number[];
  values: number[];
}

export interface AdminStats {
  totalOwed: bigint;
  totalPaid: bigint;
  totalRevenue: bigint;
  totalDiff: bigint;
  totalShares: bigint;
  blocksOrphaned: number;
  blocksUnlocked: number;
  totalWorkers: number;
  extra: Json;
}

export interface AdminUser {
  address: string;
  hashrate: number;
  balance: bigint;
  paid: bigint;
  lastShare: number;
  workers: number | null;
}

// ---- scalar readers -------------------------------------------------------------------------------------------
