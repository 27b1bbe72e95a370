/**
 * Monero addresses (src/common/base58.cpp encode_addr/decode_addr, src/cryptonote_config.h prefixes).
 *
 * Layout before base58: varint(prefix) || spend_pub(32) || view_pub(32) || [payment_id(8), integrated only]
 * || checksum(4), the checksum being the first 4 bytes of keccak256 over everything before it.
 * Standard and subaddress: 69 bytes = 95 characters; integrated: 77 bytes = 106 characters.
 * Regtest uses the mainnet prefixes.
 *
 * Data model: ParsedAddress { address, network, kind, spendKey (64 hex), viewKey (64 hex), paymentId? (16 hex) }.
 * Every failure is PoolError BAD_ADDRESS with a message fit to show a miner.
 */
import { ERRORS, PoolError, isPoolError } from '../errors.js';
import { bytesEqual, bytesToHex, concatBytes, hexToBytes, isHex } from '../hex.js';
import { base58Decode, base58Encode } from './base58.js';
import { keccak256 } from './keccak.js';
import { decodeVarint, encodeVarint } from './varint.js';

export type Network = 'mainnet' | 'testnet' | 'stagenet';
export type AddressKind = 'standard' | 'integrated' | 'subaddress';

export interface ParsedAddress {
  /** The address string as given. */
  address: string;
  network: Network;
  kind: AddressKind;
  /** Public spend key, 64 lowercase hex. */
  spendKey: string;
  /** Public view key, 64 lowercase hex. */
  viewKey: string;
  /** Integrated addresses only: the 8-byte payment id, 16 lowercase hex. */
  paymentId?: string;
}

export interface AddressPolicy {
  integrated: 'reject' | 'allow';
  subaddress: 'allow' | 'reject';
}

export const DEFAULT_ADDRESS_POLICY: Readonly<AddressPolicy> = Object.freeze({
  integrated: 'reject',
  subaddress: 'allow',
});

/** Address prefixes per network and kind (cryptonote_config.h). */
export const ADDRESS_PREFIXES: Readonly<Record<Network, Readonly<Record<AddressKind, number>>>> = Object.freeze({
  mainnet: Object.freeze({ standard: 18, integrated: 19, subaddress: 42 }),
  testnet: Object.freeze({ standard: 53, integrated: 54, subaddress: 63 }),
  stagenet: Object.freeze({ standard: 24, integrated: 25, subaddress: 36 }),
});

const PREFIX_TABLE: ReadonlyMap<number, { network: Network; kind: AddressKind }> = new Map(
  (Object.keys(ADDRESS_PREFIXES) as Network[]).flatMap((network) =>
    (Object.keys(ADDRESS_PREFIXES[network]) as AddressKind[]).map(
      (kind) => [ADDRESS_PREFIXES[network][kind], { network, kind }] as const,
    ),
  ),
);

const KEY_BYTES = 32;
const PAYMENT_ID_BYTES = 8;
const CHECKSUM_BYTES = 4;
export const STANDARD_ADDRESS_LENGTH = 95;
export const INTEGRATED_ADDRESS_LENGTH = 106;

function bad(message: string, details?: Record<string, unknown>): never {
  throw new PoolError(ERRORS.BAD_ADDRESS, message, details);
}

/** Parse and fully check a Monero address. Throws PoolError BAD_ADDRESS with a readable reason. */
export function parseAddress(address: string): ParsedAddress {
  if (typeof address !== 'string' || address.length === 0) bad('address is empty');
  if (address.length !== STANDARD_ADDRESS_LENGTH && address.length !== INTEGRATED_ADDRESS_LENGTH) {
    bad(
      `address has ${address.length} characters; a Monero address has ${STANDARD_ADDRESS_LENGTH} (standard or subaddress) or ${INTEGRATED_ADDRESS_LENGTH} (integrated)`,
      { length: address.length },
    );
  }
  let raw: Uint8Array;
  try {
    raw = base58Decode(address);
  } catch (e) {
    if (isPoolError(e)) bad(`address is not valid base58: ${e.message}`);
    throw e;
  }
  if (raw.length < 1 + 2 * KEY_BYTES + CHECKSUM_BYTES) bad('address is too short');
  const body = raw.subarray(0, raw.length - CHECKSUM_BYTES);
  const checksum = raw.subarray(raw.length - CHECKSUM_BYTES);
  if (!bytesEqual(keccak256(body).subarray(0, CHECKSUM_BYTES), checksum)) {
    bad('address checksum does not match (mistyped or truncated address?)');
  }
  let prefix: bigint;
  let prefixLength: number;
  try {
    ({ value: prefix, length: prefixLength } = decodeVarint(body, 0));
  } catch (e) {
    if (isPoolError(e)) bad('address prefix is malformed');
    throw e;
  }
  const info = prefix <= 0xffffn ? PREFIX_TABLE.get(Number(prefix)) : undefined;
  if (info === undefined)
    bad(`address prefix ${prefix} is not a known Monero address type`, { prefix: prefix.toString() });
  const expected = prefixLength + 2 * KEY_BYTES + (info.kind === 'integrated' ? PAYMENT_ID_BYTES : 0);
  if (body.length !== expected) {
    bad(`${info.kind} ${info.network} address has the wrong length (${body.length} data bytes, expected ${expected})`);
  }
  const spend = body.subarray(prefixLength, prefixLength + KEY_BYTES);
  const view = body.subarray(prefixLength + KEY_BYTES, prefixLength + 2 * KEY_BYTES);
  const parsed: ParsedAddress = {
    address,
    network: info.network,
    kind: info.kind,
    spendKey: bytesToHex(spend),
    viewKey: bytesToHex(view),
  };
  if (info.kind === 'integrated') parsed.paymentId = bytesToHex(body.subarray(prefixLength + 2 * KEY_BYTES));
  return parsed;
}

/** Fields needed to build an address. */
export interface AddressParts {
  network: Network;
  kind: AddressKind;
  spendKey: string;
  viewKey: string;
  /** Required (16 hex) for integrated, forbidden otherwise. */
  paymentId?: string;
}

/** Build the base58 address string for the given keys. Throws PoolError BAD_ADDRESS on malformed parts. */
export function encodeAddress(parts: AddressParts): string {
  const prefixes = ADDRESS_PREFIXES[parts.network];
  if (prefixes === undefined) bad(`unknown network ${String(parts.network)}`);
  const prefix = prefixes[parts.kind];
  if (prefix === undefined) bad(`unknown address kind ${String(parts.kind)}`);
  if (!isHex(parts.spendKey, KEY_BYTES)) bad('spend key must be 64 hex characters');
  if (!isHex(parts.viewKey, KEY_BYTES)) bad('view key must be 64 hex characters');
  const pieces = [encodeVarint(prefix), hexToBytes(parts.spendKey), hexToBytes(parts.viewKey)];
  if (parts.kind === 'integrated') {
    if (parts.paymentId === undefined || !isHex(parts.paymentId, PAYMENT_ID_BYTES)) {
      bad('integrated address needs a payment id of 16 hex characters');
    }
    pieces.push(hexToBytes(parts.paymentId));
  } else if (parts.paymentId !== undefined) {
    bad(`a ${parts.kind} address cannot carry a payment id`);
  }
  const body = concatBytes(...pieces);
  return base58Encode(concatBytes(body, keccak256(body).subarray(0, CHECKSUM_BYTES)));
}

/** The integrated address for a standard address and an 8-byte payment id (16 hex). */
export function makeIntegratedAddress(standardAddress: string, paymentId: string): string {
  const p = parseAddress(standardAddress);
  if (p.kind !== 'standard') bad(`an integrated address can only be made from a standard address, not a ${p.kind}`);
  return encodeAddress({ network: p.network, kind: 'integrated', spendKey: p.spendKey, viewKey: p.viewKey, paymentId });
}

/**
 * Check a miner's payout address for this pool: parsable, on the pool's network, and of a kind the policy allows.
 * Returns the parsed address or throws PoolError BAD_ADDRESS.
 */
export function validateMinerAddress(
  address: string,
  network: Network,
  policy: AddressPolicy = DEFAULT_ADDRESS_POLICY,
): ParsedAddress {
  const parsed = parseAddress(address);
  if (parsed.network !== network) {
    bad(`address is for ${parsed.network}, pool runs on ${network}`, { addressNetwork: parsed.network, network });
  }
  if (parsed.kind === 'integrated' && policy.integrated !== 'allow') bad('integrated addresses are not accepted');
  if (parsed.kind === 'subaddress' && policy.subaddress !== 'allow') bad('subaddresses are not accepted');
  return parsed;
}
