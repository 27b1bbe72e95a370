/**
 * PROXY protocol v2 header parsing (as sent by an AWS NLB or HAProxy with `send-proxy-v2`).
 *
 * Wire format: 12-byte signature 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A, then ver/cmd (0x2_: 0x21 PROXY, 0x20 LOCAL),
 * family/protocol (0x11 TCP/IPv4, 0x21 TCP/IPv6, ...), a 2-byte big-endian length, then the addresses
 * (IPv4: src 4, dst 4, src port 2, dst port 2; IPv6: 16, 16, 2, 2) and optional TLVs which we skip.
 */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export type ProxyParse =
  | { readonly state: 'incomplete' }
  | { readonly state: 'invalid'; readonly reason: string }
  | {
      readonly state: 'ok';
      readonly headerLength: number;
      readonly sourceIp: string | null;
      readonly sourcePort: number | null;
    };

const MAX_HEADER = 16 + 65535;

export function parseProxyV2(buf: Buffer): ProxyParse {
  const sigLen = Math.min(buf.length, 12);
  if (!buf.subarray(0, sigLen).equals(PROXY_V2_SIGNATURE.subarray(0, sigLen))) {
    return { state: 'invalid', reason: 'missing PROXY v2 signature' };
  }
  if (buf.length < 16) return { state: 'incomplete' };
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return { state: 'invalid', reason: 'unsupported PROXY version' };
  const cmd = verCmd & 0x0f;
  const fam = buf[13]!;
  const len = buf.readUInt16BE(14);
  const total = 16 + len;
  if (total > MAX_HEADER) return { state: 'invalid', reason: 'PROXY header too long' };
  if (buf.length < total) return { state: 'incomplete' };
  if (cmd === 0x0) return { state: 'ok', headerLength: total, sourceIp: null, sourcePort: null };
  if (cmd !== 0x1) return { state: 'invalid', reason: 'unsupported PROXY command' };
  const body = buf.subarray(16, total);
  const family = fam >> 4;
  if (family === 0x1) {
    if (body.length < 12) return { state: 'invalid', reason: 'short IPv4 address block' };
    const ip = `${body[0]}.${body[1]}.${body[2]}.${body[3]}`;
    return { state: 'ok', headerLength: total, sourceIp: ip, sourcePort: body.readUInt16BE(8) };
  }
  if (family === 0x2) {
    if (body.length < 36) return { state: 'invalid', reason: 'short IPv6 address block' };
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(body.readUInt16BE(i).toString(16));
    return {
      state: 'ok',
      headerLength: total,
      sourceIp: normalizeIp(parts.join(':')),
      sourcePort: body.readUInt16BE(32),
    };
  }
  // UNSPEC or UNIX: keep the socket's own address.
  return { state: 'ok', headerLength: total, sourceIp: null, sourcePort: null };
}

/** Normalises an address for per-IP accounting: strips the IPv4-mapped prefix. */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  if (lower.startsWith('0:0:0:0:0:ffff:')) {
    const tail = lower.slice(15).split(':');
    if (tail.length === 2) {
      const hi = parseInt(tail[0]!, 16);
      const lo = parseInt(tail[1]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
  }
  return lower;
}

/** Builds a PROXY v2 header (used by tests and the load generator). */
export function buildProxyV2(sourceIp: string, sourcePort: number, destIp = '127.0.0.1', destPort = 0): Buffer {
  const body = Buffer.alloc(12);
  sourceIp.split('.').forEach((p, i) => body.writeUInt8(Number(p), i));
  destIp.split('.').forEach((p, i) => body.writeUInt8(Number(p), 4 + i));
  body.writeUInt16BE(sourcePort, 8);
  body.writeUInt16BE(destPort, 10);
  const head = Buffer.from([0x21, 0x11, 0, 12]);
  return Buffer.concat([PROXY_V2_SIGNATURE, head, body]);
}
