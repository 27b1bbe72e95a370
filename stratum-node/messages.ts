/**
 * The error strings the stratum node sends to miners. They are part of the wire protocol: xmrig reconnects on
 * "Unauthenticated", "IP Address currently banned" and "Invalid job id" (docs/protocol.md §3) and counts every other
 * error as a rejected share, so each string is used for exactly the situation it names.
 */
export const MSG = {
  missingLogin: 'missing login',
  invalidAddress: 'invalid address used for login',
  banned: 'IP Address currently banned',
  unauthenticated: 'Unauthenticated',
  invalidJobId: 'Invalid job id',
  blockExpired: 'Block expired',
  duplicate: 'Duplicate share',
  lowDifficulty: 'Low difficulty share',
  invalidShare: 'Invalid share',
  invalidNonce: 'Invalid nonce',
  invalidResult: 'Invalid result',
  invalidMethod: 'Invalid method',
  invalidRequest: 'Invalid request',
  noWork: 'No work available yet, retry shortly',
  tooManyConnections: 'Too many connections from your IP',
  busy: 'Server busy, retry shortly',
} as const;

export type StratumReply = {
  readonly id: number | string | null;
  readonly jsonrpc: '2.0';
  readonly error: { readonly code: number; readonly message: string } | null;
  readonly result?: unknown;
};

export function ok(id: number | string | null, result: unknown): StratumReply {
  return { id, jsonrpc: '2.0', error: null, result };
}

export function fail(id: number | string | null, message: string): StratumReply {
  return { id, jsonrpc: '2.0', error: { code: -1, message } };
}
