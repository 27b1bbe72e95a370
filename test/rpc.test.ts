/**
 * RPC plumbing: exact-integer JSON, the Digest handshake (RFC 2617 vector), and the error/timeout/retry mapping of
 * the daemon and wallet clients. Error paths use a small local HTTP server that injects the faults (timeouts, 500s,
 * malformed replies) real daemons produce only under failure; the happy paths run on the real binaries in
 * test/services.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { createDaemonClient } from '../shared/rpc/daemon.js';
import { DigestSession, parseDigestChallenges } from '../shared/rpc/digest.js';
import { JsonSyntaxError, parseJson, stringifyJson } from '../shared/rpc/json.js';
import { createWalletClient } from '../shared/rpc/wallet.js';
import { freePort } from './harness/index.js';

describe('parseJson / stringifyJson', () => {
  it('keeps integers beyond 2^53 exact as bigint, safe ones as numbers', () => {
    const v = parseJson(
      '{"a": 18446744073709551615, "b": 9007199254740991, "c": 9007199254740993, "d": -9007199254740993, "e": 1.5, "f": 1e3, "g": 0}',
    );
    expect(v).toEqual({
      a: 18446744073709551615n,
      b: 9007199254740991,
      c: 9007199254740993n,
      d: -9007199254740993n,
      e: 1.5,
      f: 1000,
      g: 0,
    });
  });

  it('parses the whole grammar like JSON.parse for ordinary documents', () => {
    const docs = [
      '{"s":"x\\"y\\\\z\\u00e9\\n","t":true,"f":false,"n":null,"arr":[1,[2,[3,{}]],[]],"o":{"k":{"k":-0.5e-3}}}',
      '  [ 1 , "two" , { "3" : [ ] } ]  ',
      '"just a string"',
      '42',
      '{"__proto__": {"polluted": true}}',
    ];
    for (const d of docs) expect(parseJson(d)).toEqual(JSON.parse(d));
    const proto = parseJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects malformed JSON', () => {
    for (const bad of [
      '',
      '{',
      '{"a":1,}',
      '[1 2]',
      '01',
      '1.',
      '"unterminated',
      '{"a" 1}',
      'tru',
      '{"a":1} x',
      '"\u0001"',
      'NaN',
      '"\\x"',
    ]) {
      expect(() => parseJson(bad), bad).toThrow(JsonSyntaxError);
    }
  });

  it('stringifyJson writes bigint as bare integers and drops undefined members', () => {
    expect(
      stringifyJson({ amount: 18446744073709551615n, a: [1n, 'x', null, undefined], skip: undefined, t: true, n: 1.5 }),
    ).toBe('{"amount":18446744073709551615,"a":[1,"x",null,null],"t":true,"n":1.5}');
    const round = parseJson(stringifyJson({ v: 123456789012345678901234567890n }));
    expect(round).toEqual({ v: 123456789012345678901234567890n });
  });

  it('parses a 1 MB reply quickly', () => {
    const doc = JSON.stringify({
      blob: 'ab'.repeat(500_000),
      list: Array.from({ length: 20_000 }, (_, i) => ({ amount: i * 1e6, txid: 'f'.repeat(64) })),
    });
    const t0 = performance.now();
    const v = parseJson(doc) as { list: unknown[] };
    expect(v.list).toHaveLength(20_000);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

describe('Digest', () => {
  it('matches the RFC 2617 example', () => {
    const s = new DigestSession('Mufasa', 'Circle Of Life', () => '0a4f113b');
    expect(
      s.accept(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      ),
    ).toBe(true);
    const h = s.authorization('GET', '/dir/index.html');
    expect(h).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(h).toContain('nc=00000001');
    expect(h).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    expect(s.authorization('GET', '/dir/index.html')).toContain('nc=00000002');
  });

  it("parses epee's two challenges, joined or separate, and prefers MD5", () => {
    const a = 'Digest qop="auth",algorithm=MD5,realm="monero-rpc",nonce="FlQqn4J801O6/1xwkm9Oaw==",stale=false';
    const b = 'Digest qop="auth",algorithm=MD5-sess,realm="monero-rpc",nonce="FlQqn4J801O6/1xwkm9Oaw==",stale=false';
    expect(parseDigestChallenges([a, b])).toHaveLength(2);
    expect(parseDigestChallenges(`${a}, ${b}`).map((c) => c.algorithm)).toEqual(['MD5', 'MD5-sess']);
    const s = new DigestSession('u', 'p');
    expect(s.accept([b, a])).toBe(true);
    expect(s.authorization('POST', '/json_rpc')).toContain('algorithm=MD5,');
    expect(new DigestSession('u', 'p').accept('Basic realm="x"')).toBe(false);
  });
});

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('client error mapping (fault-injecting HTTP server)', () => {
  let server: Server;
  let port: number;
  let handler: Handler = () => undefined;
  let hits = 0;
  const sockets = new Set<import('node:net').Socket>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hits++;
        handler(req, body, res);
      });
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    hits = 0;
  });

  const json = (res: ServerResponse, text: string, status = 200): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  };
  const daemon = (retries = 2, timeout = 300) =>
    createDaemonClient({ host: '127.0.0.1', port, timeout, retries }, { retryBaseMs: 5 });

  it('a JSON-RPC error is RPC_ERROR {method, code, message}', async () => {
    handler = (_q, _b, res) =>
      json(res, '{"id":"1","jsonrpc":"2.0","error":{"code":-7,"message":"Block not accepted"}}');
    const c = daemon();
    const err = await c.submitBlock('00').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ERRORS.RPC_ERROR,
      details: { method: 'submit_block', code: -7, message: 'Block not accepted' },
    });
    expect(hits).toBe(1);
    await c.close();
  });

  it('submit_block answered "core busy" (-9) is sent again: the daemon did not look at the block', async () => {
    let n = 0;
    handler = (_q, _b, res) => {
      n++;
      if (n <= 2) json(res, '{"id":"1","jsonrpc":"2.0","error":{"code":-9,"message":"Core is busy"}}');
      else json(res, '{"id":"1","jsonrpc":"2.0","result":{"status":"OK"}}');
    };
    const c = daemon(3);
    expect(await c.submitBlock('00')).toMatchObject({ status: 'OK' });
    expect(hits).toBe(3);
    await c.close();
  });

  it('a reply missing a field is RPC_BAD_REPLY naming method and field', async () => {
    handler = (_q, body, res) => {
      const method = (JSON.parse(body) as { method: string }).method;
      if (method === 'get_block_count') json(res, '{"id":"1","jsonrpc":"2.0","result":{"count":"12","status":"OK"}}');
      else json(res, '{"id":"1","jsonrpc":"2.0","result":{"block_header":{"hash":"zz"},"status":"OK"}}');
    };
    const c = daemon();
    const e1 = await c.getBlockCount().catch((e: unknown) => e);
    expect(e1).toMatchObject({
      code: ERRORS.RPC_BAD_REPLY,
      details: { method: 'get_block_count', field: 'result.count' },
    });
    const e2 = await c.getLastBlockHeader().catch((e: unknown) => e);
    expect(e2).toMatchObject({
      code: ERRORS.RPC_BAD_REPLY,
      details: { method: 'get_last_block_header', field: 'result.block_header.hash' },
    });
    expect(hits).toBe(2); // a bad reply is not retried
    await c.close();
  });

  it('non-JSON and non-object replies are RPC_BAD_REPLY', async () => {
    handler = (_q, _b, res) => json(res, '<html>oops</html>');
    const c = daemon();
    await expect(c.getInfo()).rejects.toMatchObject({ code: ERRORS.RPC_BAD_REPLY, details: { method: 'get_info' } });
    handler = (_q, _b, res) => json(res, '[1,2]');
    await expect(c.getInfo()).rejects.toMatchObject({ code: ERRORS.RPC_BAD_REPLY });
    await c.close();
  });

  it('a non-OK status is RPC_ERROR; BUSY is retried for reads', async () => {
    handler = (_q, _b, res) => json(res, '{"status":"Failed","height":0}');
    const c = daemon();
    await expect(c.popBlocks(1)).rejects.toMatchObject({
      code: ERRORS.RPC_ERROR,
      details: { method: 'pop_blocks', message: 'Failed' },
    });
    expect(hits).toBe(1);
    hits = 0;
    handler = (_q, _b, res) => json(res, '{"id":"1","jsonrpc":"2.0","result":{"status":"BUSY"}}');
    await expect(c.getBlockCount()).rejects.toMatchObject({ code: ERRORS.RPC_ERROR, details: { message: 'BUSY' } });
    expect(hits).toBe(3);
    await c.close();
  });

  it('HTTP 500 is RPC_HTTP; reads are retried with backoff then succeed', async () => {
    let n = 0;
    handler = (_q, _b, res) => {
      n++;
      if (n <= 2) json(res, 'boom', 500);
      else json(res, '{"id":"1","jsonrpc":"2.0","result":{"count":7,"status":"OK"}}');
    };
    const c = daemon(2);
    expect(await c.getBlockCount()).toBe(7);
    expect(hits).toBe(3);
    hits = 0;
    n = -10;
    await expect(c.getBlockCount()).rejects.toMatchObject({
      code: ERRORS.RPC_HTTP,
      details: { status: 500, method: 'get_block_count' },
    });
    expect(hits).toBe(3);
    await c.close();
  });

  it('a timeout is RPC_TIMEOUT; submit_block and generateblocks are not retried', async () => {
    handler = () => undefined; // never answers
    const c = daemon(2, 150);
    const t0 = Date.now();
    await expect(c.submitBlock('00')).rejects.toMatchObject({
      code: ERRORS.RPC_TIMEOUT,
      details: { method: 'submit_block', timeoutMs: 150 },
    });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(hits).toBe(1);
    hits = 0;
    await expect(c.generateBlocks(1, 'x', { timeoutMs: 100 })).rejects.toMatchObject({ code: ERRORS.RPC_TIMEOUT });
    expect(hits).toBe(1);
    hits = 0;
    await expect(c.getInfo()).rejects.toMatchObject({ code: ERRORS.RPC_TIMEOUT });
    expect(hits).toBe(3);
    await c.close();
  });

  it('connection refused is RPC_HTTP with connectFailed', async () => {
    const dead = await freePort();
    const c = createDaemonClient({ host: '127.0.0.1', port: dead, timeout: 500, retries: 1 }, { retryBaseMs: 5 });
    await expect(c.getInfo()).rejects.toMatchObject({ code: ERRORS.RPC_HTTP, details: { connectFailed: true } });
    await expect(c.submitBlock('00')).rejects.toMatchObject({
      code: ERRORS.RPC_HTTP,
      details: { connectFailed: true },
    });
    await c.close();
  });

  it('the wallet client never retries, and keeps amounts exact', async () => {
    handler = (_q, _b, res) => json(res, 'boom', 503);
    const w = createWalletClient({ host: '127.0.0.1', port, timeout: 300 });
    await expect(w.transfer({ destinations: [{ address: 'a', amount: 1n }] })).rejects.toMatchObject({
      code: ERRORS.RPC_HTTP,
    });
    expect(hits).toBe(1);
    hits = 0;
    handler = () => undefined;
    await expect(w.relayTx('00')).rejects.toMatchObject({ code: ERRORS.RPC_TIMEOUT, details: { method: 'relay_tx' } });
    expect(hits).toBe(1);

    let seen = '';
    handler = (_q, body, res) => {
      seen = body;
      json(
        res,
        '{"id":"1","jsonrpc":"2.0","result":{"amount":18446744073709551615,"fee":9007199254740993,"tx_hash":"' +
          'ab'.repeat(32) +
          '","tx_key":"","tx_metadata":"0102","tx_blob":"","weight":1500}}',
      );
    };
    const r = await w.transfer({
      destinations: [{ address: 'addr', amount: 18446744073709551615n }],
      doNotRelay: true,
      getTxMetadata: true,
    });
    expect(seen).toContain('"amount":18446744073709551615');
    expect(seen).toContain('"do_not_relay":true');
    expect(r.amount).toBe(18446744073709551615n);
    expect(r.fee).toBe(9007199254740993n);
    expect(r.txMetadata).toBe('0102');

    handler = (_q, _b, res) => json(res, '{"id":"1","jsonrpc":"2.0","result":{"balance":-1,"unlocked_balance":0}}');
    await expect(w.getBalance()).rejects.toMatchObject({
      code: ERRORS.RPC_BAD_REPLY,
      details: { field: 'result.balance' },
    });
    await w.close();
  });

  it('digest: answers the challenge once, reuses the nonce, fails cleanly on bad credentials', async () => {
    const nonce = 'abc123==';
    let authorized = 0;
    let challenged = 0;
    handler = (req, _b, res) => {
      const auth = req.headers['authorization'];
      if (!auth) {
        challenged++;
        res.writeHead(401, [
          ['WWW-Authenticate', `Digest qop="auth",algorithm=MD5,realm="monero-rpc",nonce="${nonce}",stale=false`],
          ['WWW-Authenticate', `Digest qop="auth",algorithm=MD5-sess,realm="monero-rpc",nonce="${nonce}",stale=false`],
        ]);
        res.end();
        return;
      }
      const check = new DigestSession('user', 'pass', () => /cnonce="([^"]+)"/.exec(auth)?.[1] ?? '');
      check.accept(`Digest qop="auth",algorithm=MD5,realm="monero-rpc",nonce="${nonce}"`);
      const nc = Number.parseInt(/nc=([0-9a-f]+)/.exec(auth)?.[1] ?? '0', 16);
      for (let i = 1; i < nc; i++) check.authorization('POST', '/json_rpc');
      const expected = /response="([^"]+)"/.exec(check.authorization('POST', '/json_rpc'))?.[1];
      if (/response="([^"]+)"/.exec(auth)?.[1] !== expected) {
        res.writeHead(401, {
          'WWW-Authenticate': `Digest qop="auth",algorithm=MD5,realm="monero-rpc",nonce="${nonce}"`,
        });
        res.end();
        return;
      }
      authorized++;
      json(res, '{"id":"1","jsonrpc":"2.0","result":{"height":5}}');
    };
    const w = createWalletClient({ host: '127.0.0.1', port, user: 'user', password: 'pass', timeout: 1_000 });
    expect(await w.getHeight()).toBe(5);
    expect(await w.getHeight()).toBe(5);
    expect(await w.getHeight()).toBe(5);
    expect(challenged).toBe(1);
    expect(authorized).toBe(3);
    await w.close();
    const bad = createWalletClient({ host: '127.0.0.1', port, user: 'user', password: 'nope', timeout: 1_000 });
    const err = await bad.getHeight().catch((e: unknown) => e);
    expect(isPoolError(err, ERRORS.RPC_HTTP)).toBe(true);
    expect((err as { details: { status: number } }).details.status).toBe(401);
    await bad.close();
  });
});
