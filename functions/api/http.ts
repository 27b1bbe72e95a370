/**
 * Reply helpers shared by the routes: JSON bodies through json.ts (bigint-exact), the Cache-Control policy, and
 * ApiError for handler-raised 4xx replies (always `{error: "<message>"}`, like the seed's `{error: ...}` bodies).
 */
import type { FastifyReply } from 'fastify';
import type { PoolConfig } from '../../shared/config/schema.js';
import { ERRORS, PoolError, isPoolError } from '../../shared/errors.js';
import { validateMinerAddress, type ParsedAddress } from '../../shared/monero/address.js';
import { toJson, type Json } from './json.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Cache-Control values. Stats change every stats run; long polls and admin data must never be cached. */
export const cache = {
  stats: (updateInterval: number): string => `public, max-age=${updateInterval}`,
  noCache: 'no-cache',
  noStore: 'no-store',
} as const;

export function sendJson(reply: FastifyReply, body: Json | string, cacheControl: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('Cache-Control', cacheControl)
    .type(JSON_TYPE)
    .send(typeof body === 'string' ? body : toJson(body));
}

/**
 * A miner address from a query or body: a Monero address of the pool's network (any kind: lookups must work for
 * an address even if the login policy changed since it mined). Throws ApiError 400 with the parser's reason.
 */
export function minerAddress(config: PoolConfig, address: string): ParsedAddress {
  try {
    return validateMinerAddress(address, config.network, { integrated: 'allow', subaddress: 'allow' });
  } catch (e) {
    if (isPoolError(e, ERRORS.BAD_ADDRESS)) throw new ApiError(400, `invalid address: ${e.message}`);
    throw e;
  }
}

/** Maps any error to [status, message] for the error handler. */
export function errorReply(e: unknown): { status: number; message: string; internal: boolean } {
  if (e instanceof ApiError) return { status: e.status, message: e.message, internal: false };
  if (e instanceof PoolError) {
    if (e.code === ERRORS.BAD_ADDRESS || e.code === ERRORS.BAD_REQUEST) {
      return { status: 400, message: e.message, internal: false };
    }
    if (e.code === ERRORS.STORAGE) return { status: 503, message: 'storage unavailable', internal: true };
    if (e.code.startsWith('E_RPC_')) return { status: 502, message: 'daemon unavailable', internal: true };
    return { status: 500, message: 'internal error', internal: true };
  }
  if (e instanceof Error) {
    if ('validation' in e && e.validation !== undefined) {
      return { status: 400, message: `invalid request: ${e.message}`, internal: false };
    }
    if ('statusCode' in e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return { status: e.statusCode, message: e.message, internal: false };
    }
  }
  return { status: 500, message: 'internal error', internal: true };
}
