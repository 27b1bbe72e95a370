/**
 * Launches a local redis-server (tests, devnet): `--port P --bind 127.0.0.1 --dir D --daemonize no`, with either
 * no persistence (`--save ""`, appendonly no) or AOF (`--appendonly yes`, fsync per `appendfsync`). Ready when PING
 * answers (PONG, or NOAUTH when a password is set).
 *
 * Data model: files in `dir`: redis.stdout.log (its log), appendonlydir/ (AOF), dump.rdb (never written unless AOF
 * rewrite).
 */
import { connect } from 'node:net';
import { freePort } from './ports.js';
import { retryStart, serviceDir, spawnService, waitReady, type ManagedProcess } from './process.js';

export interface StartRedisOptions {
  /** Data folder; default a new temp dir, removed by stop(). */
  dir?: string;
  /** Default a free port. */
  port?: number;
  /** AOF persistence (default false: no persistence at all). */
  appendonly?: boolean;
  appendfsync?: 'always' | 'everysec' | 'no';
  /** requirepass. */
  password?: string;
  /** Path of redis-server (default "redis-server"). */
  binary?: string;
  extraArgs?: readonly string[];
  readyTimeoutMs?: number;
}

export interface RedisService extends ManagedProcess {
  readonly host: string;
  readonly port: number;
  /** redis://[:password@]127.0.0.1:port */
  readonly url: string;
  /** The `redis` section of a pool config pointing at this server. */
  readonly config: { host: string; port: number; auth: string | null; db: number; tls: boolean };
}

/** Sends PING on a raw socket; true on +PONG or -NOAUTH (the server is up and answering). */
export function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    let buf = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.setEncoding('utf8');
    sock.once('error', () => finish(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.includes('\r\n')) finish(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH'));
    });
    sock.once('close', () => finish(false));
  });
}

/** The arguments every redis-server started here shares: loopback only, in its own folder, foreground, no RDB. */
export function redisServerArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--save',
    '',
  ];
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisService> {
  const { dir, owned } = serviceDir('redis', opts.dir);
  return retryStart({ dir, ownsDir: owned, autoPorts: opts.port === undefined }, async () => {
    const port = opts.port ?? (await freePort());
    const args = [
      ...redisServerArgs(port, dir),
      ...(opts.appendonly
        ? ['--appendonly', 'yes', '--appendfsync', opts.appendfsync ?? 'everysec']
        : ['--appendonly', 'no']),
      ...(opts.password ? ['--requirepass', opts.password] : []),
      ...(opts.extraArgs ?? []),
    ];
    const proc = spawnService({
      name: 'redis',
      command: opts.binary ?? 'redis-server',
      args,
      dir,
      ownsDir: owned,
      stopTimeoutMs: 10_000,
    });
    await waitReady(proc, () => pingRedis(port), opts.readyTimeoutMs ?? 20_000);
    const auth = opts.password ?? null;
    return Object.assign(proc, {
      host: '127.0.0.1',
      port,
      url: `redis://${auth ? `:${encodeURIComponent(auth)}@` : ''}127.0.0.1:${port}`,
      config: { host: '127.0.0.1', port, auth, db: 0, tls: false },
    });
  });
}
