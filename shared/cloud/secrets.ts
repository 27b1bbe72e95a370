/**
 * Secrets Manager reads for the cloud runtime: every secret a process needs (shared/cloud/env.ts secretIds) is
 * fetched once, in parallel, and parsed; callers cache the promise for the life of the process (one Lambda cold
 * start, one stratum boot). Values never reach logs: errors name the secret kind and id only.
 *
 * The client honours the usual SDK environment (AWS_REGION, credentials, AWS_ENDPOINT_URL_SECRETS_MANAGER), so tests
 * point it at a local stand-in endpoint.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ERRORS, PoolError, errorMessage } from '../errors.js';
import { parseSecret, secretIds, type CloudSecrets, type Env } from './env.js';

export interface SecretReader {
  /** The SecretString of one secret (by name or ARN). */
  read(secretId: string): Promise<string>;
}

export function secretsManagerReader(client = new SecretsManagerClient({ maxAttempts: 3 })): SecretReader {
  return {
    async read(secretId) {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (typeof out.SecretString !== 'string') throw new Error('the secret has no SecretString');
      return out.SecretString;
    },
  };
}

/** Fetches and parses every secret named in the env. */
export async function loadCloudSecrets(env: Env, reader: SecretReader = secretsManagerReader()): Promise<CloudSecrets> {
  const ids = secretIds(env);
  const entries = Object.entries(ids) as [keyof CloudSecrets, string][];
  const out: CloudSecrets = {};
  await Promise.all(
    entries.map(async ([kind, id]) => {
      let text: string;
      try {
        text = await reader.read(id);
      } catch (e) {
        throw new PoolError(
          ERRORS.CONFIG_UNREADABLE,
          `cannot read the ${kind} secret ${id}: ${errorMessage(e)}`,
          { kind, id },
          { cause: e },
        );
      }
      assign(out, kind, text);
    }),
  );
  return out;
}

function assign<K extends keyof CloudSecrets>(out: CloudSecrets, kind: K, text: string): void {
  out[kind] = parseSecret(kind, text);
}
