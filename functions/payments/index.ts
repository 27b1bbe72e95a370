/**
 * The payer: `run(deps, input)` (run.ts, which states the data model and the algorithm), its Lambda handler
 * (handler.ts) and what the CLI and tests import. Every function folder keeps this layout: index.ts is the barrel.
 */
export { run, writeHeartbeat, type PaymentsResult, type PaymentsStatus } from './run.js';
export type { PaymentsDeps, RunInput } from './deps.js';
export { paymentStatus, resolveBatch, resumePayments } from './operator.js';
