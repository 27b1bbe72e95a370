/**
 * How the api function reaches a wallet-rpc for payout-threshold signature checks in the cloud: with the monero
 * node (-c moneroNode=true) the node runs a verification-only monero-wallet-rpc (--offline, no login) on
 * SIGNATURE_WALLET_RPC_PORT, its security group lets the functions in on that port, and the api function gets
 * POOL_SIGNATURE_WALLET_HOST/PORT, which shared/cloud/env.ts turns into api.signatureWallet. The payments wallet's
 * secret stays readable by the payments function only. Synthesized in-process, offline (no bundling).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { SIGNATURE_WALLET_RPC_PORT } from '../infra/lib/monero-node.js';
import { PoolStack } from '../infra/lib/pool-stack.js';
import { settingsFrom } from '../infra/lib/settings.js';
import { CLOUD_ENV, cloudConfig } from '../shared/cloud/env.js';
import { REGTEST_ADDRESS } from './harness/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Json = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

function synth(context: Record<string, unknown>): Json {
  const outdir = mkdtempSync(join(tmpdir(), 'pool-infra-sig-'));
  dirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PoolStack(app, 'XmrPool', { settings: settingsFrom(context) });
  app.synth();
  return Template.fromStack(stack).toJSON() as Json;
}

const ofType = (j: Json, type: string) => Object.entries(j.Resources).filter(([, r]) => r.Type === type);
const envOf = (j: Json, prefix: string): Record<string, unknown> => {
  const fn = ofType(j, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix));
  expect(fn, prefix).toBeDefined();
  return (fn![1].Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables;
};

describe("cloud: the api function's signature-check wallet", () => {
  it("monero node: a verification-only wallet-rpc, reachable from the functions, named in the api function's env", () => {
    const j = synth({ moneroNode: 'true' });
    const api = envOf(j, 'FunctionsApi');
    expect(api[CLOUD_ENV.signatureWalletPort]).toBe(String(SIGNATURE_WALLET_RPC_PORT));
    expect(JSON.stringify(api[CLOUD_ENV.signatureWalletHost])).toMatch(/MoneroNode.*PrivateIp/);
    // the payments wallet stays the payments function's: no wallet host or login secret for the api
    expect(api[CLOUD_ENV.walletSecret]).toBeUndefined();
    expect(api[CLOUD_ENV.walletHost]).toBeUndefined();

    const nodes = ofType(j, 'AWS::EC2::Instance');
    expect(nodes).toHaveLength(1);
    const userData = JSON.stringify(nodes[0]?.[1].Properties?.['UserData']);
    expect(userData).toContain(
      `monero-wallet-rpc --offline --wallet-dir /data/verify --rpc-bind-ip 0.0.0.0 --rpc-bind-port ${SIGNATURE_WALLET_RPC_PORT} --confirm-external-bind --disable-rpc-login`,
    );
    expect(userData).toContain('systemctl enable --now monero-wallet-rpc-verify.service');

    const ingress = ofType(j, 'AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties ?? {})
      .filter((p) => p['FromPort'] === SIGNATURE_WALLET_RPC_PORT && p['ToPort'] === SIGNATURE_WALLET_RPC_PORT);
    const from = ingress.map((p) => JSON.stringify(p['SourceSecurityGroupId']));
    expect(from.some((s) => /FunctionsSg/.test(s))).toBe(true);
    expect(ingress.every((p) => p['CidrIp'] === undefined)).toBe(true);
  }, 240_000);

  it('own hosts: no signature wallet in the env (api.signatureWallet comes from the config file)', () => {
    const api = envOf(synth({}), 'FunctionsApi');
    expect(api[CLOUD_ENV.signatureWalletHost]).toBeUndefined();
  }, 240_000);

  it("POOL_SIGNATURE_WALLET_HOST/PORT become api.signatureWallet (no login); absent, the file's value stays", () => {
    const file = {
      poolServer: { enabled: false, poolAddress: REGTEST_ADDRESS },
      api: { signatureWallet: { host: '10.9.9.9', port: 18099, timeout: 3000 } },
    };
    const env = {
      [CLOUD_ENV.config]: JSON.stringify(file),
      [CLOUD_ENV.storage]: 'redis',
      [CLOUD_ENV.redisHost]: '10.0.0.2',
    };
    expect(cloudConfig(env, {}).config.api.signatureWallet).toEqual({
      host: '10.9.9.9',
      port: 18099,
      user: null,
      password: null,
      timeout: 3000,
    });
    const node = {
      ...env,
      [CLOUD_ENV.signatureWalletHost]: '10.40.8.10',
      [CLOUD_ENV.signatureWalletPort]: String(SIGNATURE_WALLET_RPC_PORT),
    };
    expect(cloudConfig(node, {}).config.api.signatureWallet).toEqual({
      host: '10.40.8.10',
      port: SIGNATURE_WALLET_RPC_PORT,
      user: null,
      password: null,
      timeout: 3000,
    });
    const plain = {
      ...node,
      [CLOUD_ENV.config]: JSON.stringify({ poolServer: { enabled: false, poolAddress: REGTEST_ADDRESS } }),
    };
    expect(cloudConfig(plain, {}).config.api.signatureWallet).toEqual({
      host: '10.40.8.10',
      port: SIGNATURE_WALLET_RPC_PORT,
      user: null,
      password: null,
      timeout: 10000,
    });
    expect(() => cloudConfig({ ...node, [CLOUD_ENV.signatureWalletPort]: 'x' }, {})).toThrow(
      /POOL_SIGNATURE_WALLET_PORT must be a port number/,
    );
  });
});
