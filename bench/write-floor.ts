/**
 * `node bin/run-ts.mjs bench/write-floor.ts [--connections N] [--rounds K]`: what one `socket.write` of a job-sized
 * line (about 330 bytes) costs on loopback with nothing else in the process: N sockets accepted by a bare net.Server
 * here, the other ends opened by a child process (this same file with `--client`), then K rounds of one write per
 * socket, timed in this process. Cases: the peer reading every line (as miners do: each write wakes it) and the
 * peer paused (no read interest; the data only queues in the kernel), each with a string and with a pre-encoded
 * Buffer. This is the floor under a job broadcast from one process; what the stratum node adds is the rest.
 * Also the memory a bare idle socket costs here (RSS and JS heap after full GCs, before and after accepting N, each
 * with one 'data' listener): the floor under the stratum node's memory per connection.
 * Row shapes: { suite: 'write-floor', case, connections, usPerWrite: [per round] } and { suite, case: 'memory',
 * connections, rssPerSocketKiB, heapPerSocketKiB }. Nothing is asserted.
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { memoryReader } from './memory.js';

const LINE =
  '{"jsonrpc":"2.0","method":"job","params":{"blob":"' +
  '10'.repeat(76) +
  '","job_id":"abcdef1a2b","target":"b88d0600","algo":"rx/0","height":123456,"seed_hash":"' +
  'c0'.repeat(32) +
  '","id":"' +
  'ab'.repeat(16) +
  '"}}\n';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** Opens `n` connections, 100 at a time (a burst of thousands overflows the listen backlog). */
async function openAll(port: number, n: number): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, (_, k) => {
      const j = i + k;
      const s = net.connect({ port, host: '127.0.0.1', localAddress: `127.2.${Math.floor(j / 250)}.${(j % 250) + 1}` });
      s.on('data', () => undefined);
      s.on('error', () => undefined);
      out.push(s);
      return new Promise((r) => s.once('connect', r));
    });
    await Promise.all(batch);
  }
  return out;
}

/** Child: opens N connections from 127.2.x.y; 'pause'/'resume' stop and restart reading on all of them. */
function client(): void {
  let sockets: net.Socket[] = [];
  process.on('message', (m: { cmd: string; port?: number; n?: number }) => {
    if (m.cmd === 'open') {
      void openAll(m.port!, m.n!).then((s) => {
        sockets = s;
        process.send!({ cmd: 'open' });
      });
    } else if (m.cmd === 'pause' || m.cmd === 'resume') {
      for (const s of sockets) {
        if (m.cmd === 'pause') s.pause();
        else s.resume();
      }
      setTimeout(() => process.send!({ cmd: m.cmd }), 300);
    } else if (m.cmd === 'close') {
      for (const s of sockets) s.destroy();
      process.exit(0);
    }
  });
  process.send!({ cmd: 'ready' });
}

async function main(): Promise<void> {
  const n = arg('--connections', 5000);
  const rounds = arg('--rounds', 5);
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    accepted.push(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const memory = memoryReader();
  const before = memory();
  const port = (server.address() as net.AddressInfo).port;
  const child = fork(join(import.meta.dirname, '..', 'bin', 'run-ts.mjs'), [process.argv[1]!, '--client']);
  const next = (cmd: string): Promise<void> =>
    new Promise((resolve) => {
      const on = (m: { cmd: string }): void => {
        if (m.cmd !== cmd) return;
        child.off('message', on);
        resolve();
      };
      child.on('message', on);
    });
  await next('ready');
  const opened = next('open');
  child.send({ cmd: 'open', port, n });
  await opened;
  while (accepted.length < n) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 500));
  const after = memory();
  const kib = (bytes: number): number => Math.round((bytes / n / 1024) * 100) / 100;
  console.log(
    JSON.stringify({
      suite: 'write-floor',
      case: 'memory',
      connections: n,
      rssPerSocketKiB: kib(after.rss - before.rss),
      heapPerSocketKiB: kib(after.heap - before.heap),
    }),
  );
  const buf = Buffer.from(LINE);
  const round = (write: (s: net.Socket) => void): number => {
    const t0 = performance.now();
    for (const s of accepted) write(s);
    return Math.round(((performance.now() - t0) * 1000 * 10) / n) / 10;
  };
  const cases: [string, (s: net.Socket) => void][] = [
    ['string', (s) => s.write(LINE)],
    ['buffer', (s) => s.write(buf)],
  ];
  for (const mode of ['resume', 'pause']) {
    const done = next(mode);
    child.send({ cmd: mode });
    await done;
    for (const [name, write] of cases) {
      const us: number[] = [];
      for (let r = 0; r < rounds; r++) {
        await new Promise((res) => setTimeout(res, 300));
        us.push(round(write));
      }
      const peer = mode === 'resume' ? 'peer reading' : 'peer paused';
      console.log(JSON.stringify({ suite: 'write-floor', case: `${name}, ${peer}`, connections: n, usPerWrite: us }));
    }
  }
  child.send({ cmd: 'close' });
  server.close();
  for (const s of accepted) s.destroy();
}

if (process.argv.includes('--client')) client();
else await main();
