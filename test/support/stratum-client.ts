/**
 * A stratum client that speaks xmrig's protocol (docs/protocol.md), for tests and the benchmark: newline-delimited
 * JSON, integer ids from one counter, login with id 1, job pushes collected in order.
 * It can also mine: `mineShare` walks nonces, hashes them with the native RandomX addon (async, off the event loop)
 * and returns the first that meets the job's target — real work, no shortcuts.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Hasher } from '../../native/index.js';
import { hexToBytes, bytesToHex } from '../../shared/hex.js';
import { hashMeetsTarget64, targetHexToT64, hashMeetsDifficulty } from '../../shared/monero/difficulty.js';

export interface Job {
  blob: string;
  job_id: string;
  target: string;
  algo?: string;
  height?: number;
  seed_hash: string;
  id?: string;
}

export interface Reply {
  id: number | string | null;
  jsonrpc: string;
  error: { code: number; message: string } | null;
  result?: unknown;
}

export interface ClientOptions {
  port: number;
  host?: string;
  tls?: boolean;
  localAddress?: string;
  /** Bytes written before anything else (a PROXY v2 header). */
  preamble?: Buffer;
}

export class StratumClient {
  readonly socket: net.Socket;
  readonly jobs: Job[] = [];
  readonly lines: unknown[] = [];
  sessionId = '';
  closed = false;
  private nextId = 1;
  private buf = '';
  private readonly waiters = new Map<number | string, (r: Reply) => void>();
  private readonly jobWaiters: ((j: Job) => void)[] = [];
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  static connect(opts: ClientOptions): Promise<StratumClient> {
    return new Promise((resolve, reject) => {
      const host = opts.host ?? '127.0.0.1';
      const raw = net.connect({
        port: opts.port,
        host,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
      raw.once('error', reject);
      raw.once('connect', () => {
        // cork: the PROXY header and the TLS ClientHello leave in one segment, as a load balancer often sends them
        if (opts.preamble) {
          raw.cork();
          raw.write(opts.preamble);
          setTimeout(() => raw.uncork(), 5);
        }
        if (!opts.tls) return resolve(new StratumClient(raw));
        const s = tls.connect({ socket: raw, rejectUnauthorized: false });
        s.once('error', reject);
        s.once('secureConnect', () => resolve(new StratumClient(s)));
      });
    });
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.lines.push(line); // not JSON (e.g. an HTTP reply): keep it for the test to inspect
        continue;
      }
      this.lines.push(msg);
      if (msg.method === 'job') {
        const job = msg.params as Job;
        this.jobs.push(job);
        const w = this.jobWaiters.shift();
        if (w) w(job);
        continue;
      }
      const id = msg.id as number | string | null;
      const w = id === null ? undefined : this.waiters.get(id);
      if (w && id !== null) {
        this.waiters.delete(id);
        w(msg as unknown as Reply);
      }
    }
  }

  /** Sends a request and resolves with its reply (rejects if the socket closes first). */
  request(method: string, params: Record<string, unknown>, id?: number): Promise<Reply> {
    const rid = id ?? this.nextId++;
    return new Promise((resolve, reject) => {
      const onClose = (): void => reject(new Error(`socket closed before reply to ${method}`));
      this.closeWaiters.push(onClose);
      this.waiters.set(rid, (r) => {
        const i = this.closeWaiters.indexOf(onClose);
        if (i >= 0) this.closeWaiters.splice(i, 1);
        resolve(r);
      });
      this.socket.write(JSON.stringify({ id: rid, jsonrpc: '2.0', method, params }) + '\n');
    });
  }

  writeRaw(text: string): void {
    this.socket.write(text);
  }

  async login(login: string, extra: Record<string, unknown> = {}): Promise<Reply> {
    const r = await this.request(
      'login',
      { login, pass: 'x', agent: 'XMRig/6.26.0 (Linux x86_64) libuv/1 gcc/12', algo: ['rx/0'], ...extra },
      1,
    );
    this.nextId = Math.max(this.nextId, 2);
    if (!r.error) {
      const res = r.result as { id: string; job: Job };
      this.sessionId = res.id;
      this.jobs.push(res.job);
    }
    return r;
  }

  get job(): Job {
    const j = this.jobs[this.jobs.length - 1];
    if (!j) throw new Error('no job yet');
    return j;
  }

  nextJob(timeoutMs = 10_000): Promise<Job> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no job push in time')), timeoutMs);
      this.jobWaiters.push((j) => {
        clearTimeout(t);
        resolve(j);
      });
    });
  }

  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket still open')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  submit(job: Job, nonce: string, result: string, sessionId = this.sessionId): Promise<Reply> {
    return this.request('submit', { id: sessionId, job_id: job.job_id, nonce, result, algo: 'rx/0' });
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface MinedShare {
  nonce: string;
  result: string;
  /** True when the hash also meets `blockDifficulty` (if given). */
  isBlock: boolean;
  tries: number;
}

/**
 * Finds a nonce whose RandomX hash meets the job's target, starting at `startNonce`.
 * With `wantBlock` set, keeps going until the hash also meets that network difficulty; with `notBlock` set, skips
 * hashes that meet it (a test that counts rounds must not end one by chance).
 */
export async function mineShare(
  hasher: Hasher,
  job: Job,
  opts: { startNonce?: number; wantBlock?: bigint; notBlock?: bigint; maxTries?: number; parallel?: number } = {},
): Promise<MinedShare> {
  const blob = hexToBytes(job.blob);
  const t64 = targetHexToT64(job.target);
  const parallel = opts.parallel ?? 4;
  let nonce = opts.startNonce ?? Math.floor(Math.random() * 0xffffff);
  const max = opts.maxTries ?? 100_000;
  for (let tries = 0; tries < max; tries += parallel) {
    const batch = Array.from({ length: parallel }, (_, i) => (nonce + i) >>> 0);
    nonce += parallel;
    const hashes = await Promise.all(
      batch.map((n) => {
        const b = Uint8Array.from(blob);
        new DataView(b.buffer).setUint32(39, n, true);
        return hasher.hash(job.seed_hash, b);
      }),
    );
    for (let i = 0; i < batch.length; i++) {
      const h = hashes[i]!;
      if (!hashMeetsTarget64(h, t64)) continue;
      const isBlock = opts.wantBlock !== undefined && hashMeetsDifficulty(h, opts.wantBlock);
      if (opts.wantBlock !== undefined && !isBlock) continue;
      if (opts.notBlock !== undefined && hashMeetsDifficulty(h, opts.notBlock)) continue;
      const nb = new Uint8Array(4);
      new DataView(nb.buffer).setUint32(0, batch[i]!, true);
      return { nonce: bytesToHex(nb), result: bytesToHex(h), isBlock, tries: tries + i + 1 };
    }
  }
  throw new Error(`no share found in ${max} tries`);
}
