/**
 * In-browser check of a payout address, with the same parser the pool uses on login (shared/monero/address.ts,
 * bundled at build time): length, base58, checksum, network and kind, each with a message a miner can act on.
 *
 * Data model: AddressCheck = {ok: true, kind} | {ok: false, message}.
 */
import { parseAddress } from '../../shared/monero/address.js';
import type { Network } from './config.js';

export type AddressCheck =
  { ok: true; kind: 'standard' | 'integrated' | 'subaddress' } | { ok: false; message: string };

export function checkAddress(input: string, network: Network): AddressCheck {
  const address = input.trim();
  if (address === '') return { ok: false, message: 'Enter your Monero wallet address.' };
  if (/\s/.test(address)) return { ok: false, message: 'The address contains spaces; paste it as one word.' };
  try {
    const parsed = parseAddress(address);
    if (parsed.network !== network) {
      return {
        ok: false,
        message: `This is a ${parsed.network} address, but this pool runs on ${network}. Use a ${network} wallet address.`,
      };
    }
    if (parsed.kind === 'integrated') {
      return {
        ok: false,
        message:
          'Integrated addresses (with a payment ID) are not accepted. Use your main address (starts with 4) or a subaddress (starts with 8).',
      };
    }
    return { ok: true, kind: parsed.kind };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { ok: false, message: `Not a valid Monero address: ${reason}.` };
  }
}
