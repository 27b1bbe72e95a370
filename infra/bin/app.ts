/**
 * The CDK app: `npm run synth` (offline, writes infra/cdk.out) and `npx cdk deploy` from infra/ (docs/cloud.md).
 * One environment-agnostic stack; settings from context (infra/cdk.json and `-c key=value`); cdk-nag's AwsSolutions
 * pack runs as a policy-validation plugin, so any finding that is not acknowledged with a reason fails the synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PoolStack } from '../lib/pool-stack.js';
import { readSettings } from '../lib/settings.js';

const app = new App();
const settings = readSettings(app);
new PoolStack(app, settings.stackName, {
  settings,
  description: 'Monero mining pool: stratum on EC2 behind an NLB, back office on Lambda, website on CloudFront',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
