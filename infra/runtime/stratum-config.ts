/**
 * Stratum instance boot step (run by systemd before each start of the node, see infra/lib/stratum.ts):
 *   node bin/run-ts.mjs infra/runtime/stratum-config.ts /etc/xmr-pool/config.json
 * Reads the same POOL_* environment as the Lambda functions (shared/cloud/env.ts, from /etc/xmr-pool/cloud.env),
 * fetches the storage secret once, and writes the node's config file (mode 0600) with the stratum overrides
 * (stratum-overrides.ts: every port speaks PROXY protocol v2, accepted from the load balancer's subnets only; the
 * health endpoint on all interfaces; readiness published to CloudWatch; monerod's ZMQ publisher) and logs to stdout
 * (journald). The file is validated by the same schema before it is written, so a bad deploy fails here with a
 * readable message, not in the node.
 */
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { cloudConfig } from '../../shared/cloud/env.js';
import { loadCloudSecrets } from '../../shared/cloud/secrets.js';
import { errorMessage } from '../../shared/errors.js';
import { stratumOverrides } from './stratum-overrides.js';

async function main(out: string): Promise<void> {
  const secrets = await loadCloudSecrets(process.env);
  const first = cloudConfig(process.env, secrets);
  if (first.storage.kind === 'upstash' && secrets.upstash?.redisHost === undefined) {
    throw new Error(
      'the upstash secret needs redisHost/redisPort/redisPassword: the stratum node speaks the Redis protocol (TLS)',
    );
  }
  const { input, config } = cloudConfig(process.env, secrets, stratumOverrides(process.env, first.config));
  const text = JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
  const tmp = `${out}.tmp`;
  writeFileSync(tmp, `${text}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, out);
  process.stdout.write(
    `stratum config written to ${out} (${config.poolServer.ports.length} ports, storage ${first.storage.kind})\n`,
  );
}

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: stratum-config.ts OUTPUT_FILE\n');
  process.exit(2);
}
main(out).catch((e: unknown) => {
  process.stderr.write(`stratum-config: ${errorMessage(e)}\n`);
  process.exit(1);
});
