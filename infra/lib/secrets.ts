/**
 * Secrets (Secrets Manager), generated at the first deploy; each is JSON (shapes in shared/cloud/env.ts):
 * - WalletRpc  {username, password}: monero-wallet-rpc's --rpc-login. With your own wallet host, put its login here
 *   (`aws secretsmanager put-secret-value`); the optional monero node reads it at boot.
 * - AdminToken {token}: the admin API token (api.password).
 * Functions and instances read them once per cold start / boot; nothing secret is in a template or env var.
 */
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

const NO_ROTATION =
  'Rotated by the operator (docs/cloud.md "Secrets"): a rotation Lambda cannot restart monero-wallet-rpc or update clients atomically; functions re-read secrets at each cold start.';

export class PoolSecrets extends Construct {
  readonly walletRpc: secretsmanager.Secret;
  readonly adminToken: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: { namePrefix: string }) {
    super(scope, id);
    this.walletRpc = new secretsmanager.Secret(this, 'WalletRpc', {
      secretName: `${props.namePrefix}/wallet-rpc`,
      description: 'monero-wallet-rpc login {username, password} used by the payments function',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'pool' }),
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
    this.adminToken = new secretsmanager.Secret(this, 'AdminToken', {
      secretName: `${props.namePrefix}/admin-token`,
      description: 'Admin API token {token}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'token',
        excludePunctuation: true,
        passwordLength: 40,
      },
    });
    for (const s of [this.walletRpc, this.adminToken]) acknowledge(s, 'AwsSolutions-SMG4', NO_ROTATION);
  }
}

export { NO_ROTATION };
