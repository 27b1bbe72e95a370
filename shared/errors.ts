/**
 * The one error catalog. Every error the pool raises on purpose is a PoolError with a stable `code`
 * (never renumbered, never reused) so logs, API replies, tests and on-call runbooks can match on it.
 *
 * Record shape: PoolError { code: ErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown }
 */
export const ERRORS = {
  // configuration and start-up
  CONFIG_INVALID: 'E_CONFIG_INVALID',
  CONFIG_UNREADABLE: 'E_CONFIG_UNREADABLE',
  CLI_USAGE: 'E_CLI_USAGE',
  // external RPC
  RPC_TIMEOUT: 'E_RPC_TIMEOUT',
  RPC_HTTP: 'E_RPC_HTTP',
  RPC_ERROR: 'E_RPC_ERROR',
  RPC_BAD_REPLY: 'E_RPC_BAD_REPLY',
  // chain data and primitives
  BAD_HEX: 'E_BAD_HEX',
  BAD_VARINT: 'E_BAD_VARINT',
  BAD_TEMPLATE: 'E_BAD_TEMPLATE',
  BAD_ADDRESS: 'E_BAD_ADDRESS',
  BAD_DIFFICULTY: 'E_BAD_DIFFICULTY',
  // native hashing
  HASHER_FAILED: 'E_HASHER_FAILED',
  // storage
  STORAGE: 'E_STORAGE',
  // back office
  LOCK_HELD: 'E_LOCK_HELD',
  SPLIT_MISMATCH: 'E_SPLIT_MISMATCH',
  PAYMENT_AMBIGUOUS: 'E_PAYMENT_AMBIGUOUS',
  NOT_FOUND: 'E_NOT_FOUND',
  BAD_REQUEST: 'E_BAD_REQUEST',
  // API: payout threshold changes (functions/api/threshold-proof.ts)
  THRESHOLD_UNSIGNED: 'E_THRESHOLD_UNSIGNED',
  THRESHOLD_BAD_SIGNATURE: 'E_THRESHOLD_BAD_SIGNATURE',
  THRESHOLD_MESSAGE_MISMATCH: 'E_THRESHOLD_MESSAGE_MISMATCH',
  THRESHOLD_STALE: 'E_THRESHOLD_STALE',
  THRESHOLD_REPLAYED: 'E_THRESHOLD_REPLAYED',
  THRESHOLD_UNDER_MIN: 'E_THRESHOLD_UNDER_MIN',
  THRESHOLD_OVER_MAX: 'E_THRESHOLD_OVER_MAX',
  THRESHOLD_IP_UNPROVEN: 'E_THRESHOLD_IP_UNPROVEN',
  SIGNATURE_WALLET_UNREACHABLE: 'E_SIGNATURE_WALLET_UNREACHABLE',
  // local services (devnet)
  SERVICE_START: 'E_SERVICE_START',
} as const;

export type ErrorCode = (typeof ERRORS)[keyof typeof ERRORS];

export class PoolError extends Error {
  override readonly name = 'PoolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isPoolError(e: unknown, code?: ErrorCode): e is PoolError {
  return e instanceof PoolError && (code === undefined || e.code === code);
}

/** A readable one-line message for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof PoolError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
