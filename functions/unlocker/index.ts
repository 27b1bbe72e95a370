/**
 * The block unlocker: `run(deps, input)` (run.ts, which states the data model and the algorithm), its Lambda handler
 * (handler.ts) and what the CLI and tests import. Every function folder keeps this layout: index.ts is the barrel.
 */
export { run, writeHeartbeat, type BlockAction, type BlockReport, type UnlockerResult } from './run.js';
export type { UnlockerDeps, RunInput } from './deps.js';
export { splitReward } from './split.js';
