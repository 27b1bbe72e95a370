/**
 * Block template primitives against a REAL monerod (`--regtest --offline --fixed-difficulty 1`, started by
 * test/harness on free ports in a temp dir, stopped after): our hashing blob equals the daemon's, and blocks we
 * assemble with a non-zero extra nonce are accepted under the id we compute.
 * JSON-RPC is spoken directly (fetch) so this test depends only on the primitives under test.
 * Templates with mempool transactions (2..9 tree leaves) are pinned as daemon vectors in monero-template-vectors.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, u32ToBytesLE } from '../shared/hex.js';
import { blockBlob, blockId, hashingBlob, parseBlockTemplate } from '../shared/monero/template.js';
import { startMonerod, useFixture } from './harness/index.js';

/** The pool wallet: monero's functional-test wallet (regtest uses mainnet addresses). */
const WALLET = '42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm';
const RESERVE_SIZE = 8;

async function rpcCall<T>(url: string, method: string, params: unknown): Promise<T> {
  const res = await fetch(`${url}/json_rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: '0', method, params }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.code} ${body.error.message}`);
  if (body.result === undefined) throw new Error(`${method}: no result`);
  return body.result;
}

interface TemplateReply {
  blocktemplate_blob: string;
  blockhashing_blob: string;
  reserved_offset: number;
  height: number;
  prev_hash: string;
  status: string;
}

interface HeaderReply {
  block_header: { hash: string; height: number; nonce: number; num_txes: number };
}

describe('block templates from a real monerod', () => {
  const monerod = useFixture(() => startMonerod({ fixedDifficulty: 1 }));
  const rpc = <T>(method: string, params: unknown): Promise<T> => rpcCall<T>(monerod().url, method, params);
  const getTemplate = (): Promise<TemplateReply> =>
    rpc<TemplateReply>('get_block_template', { wallet_address: WALLET, reserve_size: RESERVE_SIZE });

  it('parses the template and reproduces blockhashing_blob', async () => {
    const reply = await getTemplate();
    const t = parseBlockTemplate(reply.blocktemplate_blob, reply.reserved_offset, RESERVE_SIZE);
    expect(t.height).toBe(reply.height);
    expect(t.prevId).toBe(reply.prev_hash);
    expect(t.nonceOffset).toBe(39);
    expect(t.txCount).toBe(1);
    expect(bytesToHex(hashingBlob(t, new Uint8Array(RESERVE_SIZE)))).toBe(reply.blockhashing_blob);
    const other = hashingBlob(t, hexToBytes('a1b2c3d4e5f60718'), hexToBytes('01020304'));
    expect(bytesToHex(other)).not.toBe(reply.blockhashing_blob);
    expect(other.length).toBe(hexToBytes(reply.blockhashing_blob).length);
  });

  it('mines blocks with a non-zero extra nonce that monerod accepts under the id we compute', async () => {
    for (let round = 1; round <= 3; round++) {
      const reply = await getTemplate();
      const t = parseBlockTemplate(reply.blocktemplate_blob, reply.reserved_offset, RESERVE_SIZE);
      const extraNonce = Uint8Array.from([round, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88]);
      const nonce = u32ToBytesLE(0x12345600 + round);
      const blob = blockBlob(t, extraNonce, nonce);
      const id = bytesToHex(blockId(hashingBlob(t, extraNonce, nonce)));

      const submitted = await rpc<{ status: string }>('submit_block', [bytesToHex(blob)]);
      expect(submitted.status).toBe('OK');

      const { block_header: header } = await rpc<HeaderReply>('get_last_block_header', {});
      expect(header.height).toBe(reply.height);
      expect(header.hash).toBe(id);
      expect(header.nonce).toBe(0x12345600 + round);
      expect(header.num_txes).toBe(0);
    }
  }, 120_000);
});
