/**
 * Secure defaults at the edges of the config (shared/config/schema.ts): a PROXY protocol port is refused at load
 * without poolServer.proxyProtocolFrom (error code, path and a message saying what to set); daemon.zmq accepts
 * monerod's `tcp://HOST:PORT` publisher or null; the readiness settings of poolServer.health.
 */
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../shared/config/load.js';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { POOL_ADDRESS } from './support/pool-fixture.js';

function config(poolServer: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return configFromObject({
    coin: 'monero',
    poolServer: { poolAddress: POOL_ADDRESS, ports: [{ port: 3333, difficulty: 1000 }], ...poolServer },
    api: { password: 'a-long-random-admin-token' },
    ...extra,
  });
}

function problemOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (!isPoolError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected the config to be refused');
}

describe('config: PROXY protocol needs proxyProtocolFrom', () => {
  it('refuses a proxyProtocol port without proxyProtocolFrom, naming the port path and the field to set', () => {
    const p = problemOf(() =>
      config({
        ports: [
          { port: 3333, difficulty: 1000 },
          { port: 5555, difficulty: 1000, proxyProtocol: true },
        ],
      }),
    );
    expect(p.code).toBe(ERRORS.CONFIG_INVALID);
    expect(p.message).toContain(
      'poolServer.ports[1].proxyProtocol: a PROXY protocol port needs poolServer.proxyProtocolFrom',
    );
    expect(p.message).not.toContain('poolServer.ports[0]');
  });

  it('accepts it with the load balancer subnets, and plain ports without any', () => {
    const c = config({
      ports: [{ port: 3333, difficulty: 1000, proxyProtocol: true }],
      proxyProtocolFrom: ['10.40.0.0/24', '10.40.1.0/24'],
    });
    expect(c.poolServer.proxyProtocolFrom).toEqual(['10.40.0.0/24', '10.40.1.0/24']);
    expect(config({}).poolServer.proxyProtocolFrom).toEqual([]);
  });
});

describe('config: daemon.zmq and health readiness settings', () => {
  it('daemon.zmq: null by default, a tcp:// publisher address, anything else refused with its path', () => {
    expect(config({}).daemon.zmq).toBeNull();
    expect(config({}, { daemon: { zmq: 'tcp://10.40.8.10:18083' } }).daemon.zmq).toBe('tcp://10.40.8.10:18083');
    expect(config({}, { daemon: { zmq: 'tcp://[::1]:18083' } }).daemon.zmq).toBe('tcp://[::1]:18083');
    for (const bad of ['http://127.0.0.1:18083', 'tcp://127.0.0.1', '127.0.0.1:18083', '']) {
      expect(problemOf(() => config({}, { daemon: { zmq: bad } })).message, bad).toMatch(
        /daemon\.zmq: expected a ZMQ address/,
      );
    }
  });

  it('health: maxTemplateAge 120 s and no CloudWatch publishing by default; both settable', () => {
    expect(config({}).poolServer.health).toMatchObject({ maxTemplateAge: 120, cloudwatchNamespace: null });
    const c = config({ health: { maxTemplateAge: 30, cloudwatchNamespace: 'XmrPool/XmrPool' } });
    expect(c.poolServer.health).toMatchObject({ maxTemplateAge: 30, cloudwatchNamespace: 'XmrPool/XmrPool' });
    expect(problemOf(() => config({ health: { maxTemplateAge: 0 } })).message).toMatch(
      /poolServer\.health\.maxTemplateAge/,
    );
  });
});
