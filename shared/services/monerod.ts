/**
 * Launches a private regtest chain: `monerod --regtest --offline --keep-fakechain --fixed-difficulty N
 * --non-interactive --rpc-ssl disabled` on 127.0.0.1 (unrestricted RPC, so generateblocks and pop_blocks work),
 * with `--no-zmq` unless `zmq` is asked for: then its ZMQ RPC binds a free port and `--zmq-pub tcp://127.0.0.1:PORT`
 * publishes new chain tips and txpool additions (`zmqPub`, the address for the pool's `daemon.zmq`). `--keep-fakechain` keeps the chain across restarts on the same `dir` (regtest deletes it otherwise). Ready
 * when get_info answers.
 *
 * Data model: files in `dir`: fake/ (the LMDB chain), monerod.log (its log), monerod.stdout.log.
 */
import { join } from 'node:path';
import { createDaemonClient } from '../rpc/daemon.js';
import { freePort } from './ports.js';
import { retryStart, serviceDir, spawnService, waitReady, type ManagedProcess } from './process.js';

export interface StartMonerodOptions {
  /** Data folder; default a new temp dir, removed by stop(). Reusing a dir keeps the chain. */
  dir?: string;
  /** Default a free port. */
  rpcPort?: number;
  p2pPort?: number;
  /** --fixed-difficulty (every block needs this difficulty; 1 = any hash). */
  fixedDifficulty: number;
  /** Default "monerod". */
  binary?: string;
  /** Log level 0-4 (default 0). */
  logLevel?: number;
  extraArgs?: readonly string[];
  readyTimeoutMs?: number;
  /** Start the ZMQ publisher (on free ports unless given; give both ports to restart on the same address). */
  zmq?: boolean;
  zmqPubPort?: number;
  zmqRpcPort?: number;
}

export interface MonerodService extends ManagedProcess {
  readonly host: string;
  /** RPC port. */
  readonly port: number;
  readonly p2pPort: number;
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly fixedDifficulty: number;
  /** "tcp://127.0.0.1:PORT" of the ZMQ publisher, or null when started without `zmq`. */
  readonly zmqPub: string | null;
  readonly zmqPubPort: number | null;
  readonly zmqRpcPort: number | null;
  /** The `daemon` section of a pool config pointing at this daemon. */
  readonly config: { host: string; port: number; timeout: number; retries: number };
}

export async function startMonerod(opts: StartMonerodOptions): Promise<MonerodService> {
  const { dir, owned } = serviceDir('monerod', opts.dir);
  const zmq = opts.zmq === true;
  const autoPorts =
    opts.rpcPort === undefined ||
    opts.p2pPort === undefined ||
    (zmq && (opts.zmqPubPort === undefined || opts.zmqRpcPort === undefined));
  return retryStart({ dir, ownsDir: owned, autoPorts }, async () => {
    const rpcPort = opts.rpcPort ?? (await freePort());
    const p2pPort = opts.p2pPort ?? (await freePort());
    const zmqPubPort = zmq ? (opts.zmqPubPort ?? (await freePort())) : null;
    const zmqRpcPort = zmq ? (opts.zmqRpcPort ?? (await freePort())) : null;
    const zmqArgs =
      zmqPubPort !== null && zmqRpcPort !== null
        ? [
            '--zmq-rpc-bind-ip',
            '127.0.0.1',
            '--zmq-rpc-bind-port',
            String(zmqRpcPort),
            '--zmq-pub',
            `tcp://127.0.0.1:${zmqPubPort}`,
          ]
        : ['--no-zmq'];
    const logFile = join(dir, 'monerod.log');
    const args = [
      '--regtest',
      '--offline',
      '--keep-fakechain',
      '--fixed-difficulty',
      String(opts.fixedDifficulty),
      '--non-interactive',
      ...zmqArgs,
      '--no-igd',
      '--check-updates',
      'disabled',
      '--disable-dns-checkpoints',
      '--data-dir',
      dir,
      '--log-file',
      logFile,
      '--log-level',
      String(opts.logLevel ?? 0),
      '--rpc-bind-ip',
      '127.0.0.1',
      '--rpc-bind-port',
      String(rpcPort),
      '--rpc-ssl',
      'disabled',
      '--p2p-bind-ip',
      '127.0.0.1',
      '--p2p-bind-port',
      String(p2pPort),
      '--max-concurrency',
      '2',
      '--prep-blocks-threads',
      '1',
      ...(opts.extraArgs ?? []),
    ];
    const proc = spawnService({
      name: 'monerod',
      command: opts.binary ?? 'monerod',
      args,
      dir,
      ownsDir: owned,
      serviceLogs: [logFile],
      stopTimeoutMs: 30_000,
    });
    const probe = createDaemonClient({ host: '127.0.0.1', port: rpcPort, timeout: 2_000, retries: 0 });
    try {
      await waitReady(proc, async () => (await probe.getInfo()).height >= 1, opts.readyTimeoutMs ?? 60_000);
    } finally {
      await probe.close();
    }
    return Object.assign(proc, {
      host: '127.0.0.1',
      port: rpcPort,
      p2pPort,
      url: `http://127.0.0.1:${rpcPort}`,
      fixedDifficulty: opts.fixedDifficulty,
      zmqPub: zmqPubPort === null ? null : `tcp://127.0.0.1:${zmqPubPort}`,
      zmqPubPort,
      zmqRpcPort,
      config: { host: '127.0.0.1', port: rpcPort, timeout: 30_000, retries: 2 },
    });
  });
}
