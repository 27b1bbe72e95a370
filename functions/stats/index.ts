/**
 * The stats function (see run.ts for its data model): `run(deps, input)` builds the PoolStatsSnapshot the API
 * serves and appends chart points. The helpers below are shared with functions/api.
 */
export { run, BLOCK_TIME_SECONDS, HEARTBEAT_NAME, SNAPSHOT_TTL_SECONDS } from './run.js';
export type { StatsDeps, StatsInput } from './deps.js';
export { parseSnapshot, snapshotSchema, SNAPSHOT_VERSION, type PoolStatsSnapshot } from './snapshot.js';
export { bucketWindow, hashrateOf, readableHashrate, sumBuckets, type BucketWindow } from './hashrate.js';
export { POOL_CHARTS, parseChart, type ChartPoint, type PoolChartName } from './charts.js';
export { blockMember, blockView, flatBlocks, loadBlocks, maturedTotals, type BlockView } from './blocks.js';
