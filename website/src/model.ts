/**
 * The site's model of the API's JSON, and the parsers from the wire shapes. The API keeps the seed's shapes
 * (docs/api.md: `/stats` {config, network, pool}, flat `[member, score, ...]` lists for blocks and payments with
 * colon-separated members) plus our additions; the parsers also accept object rows, so a page never has to care.
 * Money stays bigint (atomic units); times are unix milliseconds.
 *
 * Data model: PoolStats, PortInfo, BlockRow, PaymentRow, MinerStats, WorkerRow, ChartSeries, AdminStats (below).
 */
export * from './model/types.js';
export { obj, num, big, hashrate, text } from './model/read.js';
export { parseBlocks, parsePayments } from './model/lists.js';
export {
  parseStats,
  parseMinerStats,
  parseWorkers,
  parseChart,
  parseAdminStats,
  parseAdminUsers,
} from './model/parse.js';
