/**
 * Functions: the four back-office Lambda functions, bundled from functions/<name>/handler.ts by NodejsFunction with
 * the locally installed esbuild (no Docker: `forceDockerBundling` stays off and esbuild is a devDependency).
 * Node.js 24 on arm64, ESM bundles (a `require` shim for CommonJS dependencies), source maps, in the private
 * subnets (they reach the Redis, monerod and monero-wallet-rpc on private addresses; Upstash and Secrets Manager
 * through the NAT gateway). Configuration: the POOL_* environment (shared/cloud/env.ts) plus secrets read once per
 * cold start. Each function may read only the secrets it needs.
 *
 * - api: Function URL with AWS_IAM auth (only CloudFront, through origin access control, may call it; the website
 *   distribution routes the API paths to it, see website.ts). 512 MB, 29 s (under CloudFront's 30 s origin timeout),
 *   reserved concurrency `apiReservedConcurrency` (context, default 10): a flood of uncached requests is throttled
 *   (CloudFront answers 5xx for the excess) instead of using up the account's concurrency or the budget.
 * - unlocker, stats: EventBridge rule every minute (rate(1 minute): Lambda's schedule floor; the unlocker's 30 s
 *   local interval becomes 60 s). No retries: the next minute is the retry.
 * - payments: EventBridge rule every payments.interval (rounded up to whole minutes), target retryAttempts 0,
 *   async-invoke retryAttempts 0, reserved concurrency 1, timeout below payments.lockTtl. With payments.enabled
 *   false the rule exists but is disabled (on-call can still invoke the function).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CLOUD_ENV } from '../../shared/cloud/env.js';
import { HANDLER_BUNDLING } from './bundling.js';
import type { PoolData } from './data.js';
import { acknowledge } from './nag.js';
import { REPO_ROOT } from './settings.js';

export const FUNCTION_NAMES = ['api', 'unlocker', 'payments', 'stats'] as const;
export type PoolFunctionName = (typeof FUNCTION_NAMES)[number];

export interface RpcEndpoints {
  daemonHost: string;
  daemonPort: string;
  walletHost: string;
  walletPort: string;
  /** The verification-only wallet-rpc for the api function's signature checks (the monero node's); none: the config file's. */
  signatureWalletHost?: string;
  signatureWalletPort?: string;
}

export interface PoolFunctionsProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  data: PoolData;
  rpc: RpcEndpoints;
  walletSecret: secretsmanager.ISecret;
  adminSecret: secretsmanager.ISecret;
  configJson: string;
  metricsNamespace: string;
  paymentsEveryMinutes: number;
  paymentsTimeoutSeconds: number;
  paymentsEnabled: boolean;
  unlockerEnabled: boolean;
  /** Reserved concurrent executions of the api function. */
  apiReservedConcurrency: number;
}

const POOL_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export class PoolFunctions extends Construct {
  readonly api: nodejs.NodejsFunction;
  readonly unlocker: nodejs.NodejsFunction;
  readonly payments: nodejs.NodejsFunction;
  readonly stats: nodejs.NodejsFunction;
  readonly apiUrl: lambda.FunctionUrl;
  readonly securityGroup: ec2.SecurityGroup;
  readonly rules: Record<'unlocker' | 'payments' | 'stats', events.Rule>;

  constructor(scope: Construct, id: string, props: PoolFunctionsProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'Sg', {
      vpc: props.vpc,
      description: 'Pool Lambda functions (egress only)',
      allowAllOutbound: true,
    });
    const baseEnv: Record<string, string> = {
      ...props.data.env(),
      [CLOUD_ENV.config]: props.configJson,
      [CLOUD_ENV.daemonHost]: props.rpc.daemonHost,
      [CLOUD_ENV.daemonPort]: props.rpc.daemonPort,
      [CLOUD_ENV.metricsNamespace]: props.metricsNamespace,
      ...(props.rpc.signatureWalletHost !== undefined
        ? {
            [CLOUD_ENV.signatureWalletHost]: props.rpc.signatureWalletHost,
            [CLOUD_ENV.signatureWalletPort]: props.rpc.signatureWalletPort ?? '',
          }
        : {}),
      NODE_OPTIONS: '--enable-source-maps',
      POOL_VERSION,
    };

    const make = (
      name: PoolFunctionName,
      o: { memory: number; timeout: Duration; env?: Record<string, string>; reserved?: number },
    ): nodejs.NodejsFunction => {
      const logGroup = new logs.LogGroup(this, `${cap(name)}Logs`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const fn = new nodejs.NodejsFunction(this, cap(name), {
        description: `Pool ${name} (functions/${name}/handler.ts)`,
        entry: join(REPO_ROOT, 'functions', name, 'handler.ts'),
        handler: 'handler',
        projectRoot: REPO_ROOT,
        depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: o.memory,
        timeout: o.timeout,
        vpc: props.vpc,
        vpcSubnets: props.subnets,
        securityGroups: [this.securityGroup],
        logGroup,
        environment: { ...baseEnv, ...(o.env ?? {}) },
        ...(o.reserved !== undefined ? { reservedConcurrentExecutions: o.reserved } : {}),
        bundling: {
          format: nodejs.OutputFormat.ESM,
          target: HANDLER_BUNDLING.target,
          mainFields: [...HANDLER_BUNDLING.mainFields],
          banner: HANDLER_BUNDLING.banner,
          minify: HANDLER_BUNDLING.minify,
          sourceMap: HANDLER_BUNDLING.sourcemap,
          sourcesContent: false,
          externalModules: [...HANDLER_BUNDLING.external],
          forceDockerBundling: false,
          logLevel: nodejs.LogLevel.ERROR,
        },
      });
      props.data.grantAccess(this.securityGroup, fn);
      return fn;
    };

    this.api = make('api', {
      memory: 512,
      timeout: Duration.seconds(29),
      reserved: props.apiReservedConcurrency,
      env: { [CLOUD_ENV.adminSecret]: props.adminSecret.secretArn },
    });
    props.adminSecret.grantRead(this.api);
    this.unlocker = make('unlocker', { memory: 256, timeout: Duration.seconds(55) });
    this.stats = make('stats', { memory: 256, timeout: Duration.seconds(55) });
    this.payments = make('payments', {
      memory: 256,
      timeout: Duration.seconds(props.paymentsTimeoutSeconds),
      reserved: 1,
      env: {
        [CLOUD_ENV.walletHost]: props.rpc.walletHost,
        [CLOUD_ENV.walletPort]: props.rpc.walletPort,
        [CLOUD_ENV.walletSecret]: props.walletSecret.secretArn,
      },
    });
    props.walletSecret.grantRead(this.payments);
    for (const fn of [this.unlocker, this.stats, this.payments])
      fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });

    this.apiUrl = this.api.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });

    const schedule = (
      name: 'unlocker' | 'payments' | 'stats',
      fn: lambda.IFunction,
      minutes: number,
      enabled: boolean,
    ): events.Rule => {
      const rule = new events.Rule(this, `${cap(name)}Schedule`, {
        description: `Runs ${name} every ${minutes} minute(s)`,
        schedule: events.Schedule.rate(Duration.minutes(minutes)),
        enabled,
      });
      rule.addTarget(new targets.LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(2) }));
      return rule;
    };
    this.rules = {
      unlocker: schedule('unlocker', this.unlocker, 1, props.unlockerEnabled),
      stats: schedule('stats', this.stats, 1, true),
      payments: schedule('payments', this.payments, props.paymentsEveryMinutes, props.paymentsEnabled),
    };

    for (const fn of this.all()) {
      acknowledge(
        fn.role!,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "AWS-managed basic execution policy: writes to the function's own log group only.",
      );
      acknowledge(
        fn.role!,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'AWS-managed policy Lambda needs to attach its network interfaces in the VPC.',
      );
    }
  }

  all(): nodejs.NodejsFunction[] {
    return [this.api, this.unlocker, this.payments, this.stats];
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
