/**
 * The CDK app (infra/), synthesized in-process and offline (no account, no credentials, no Docker; Lambda bundling
 * skipped here: test/handlers.test.ts runs the real bundles), checked with aws-cdk-lib/assertions:
 * - default deploy (Valkey, parameters for the RPC addresses) with cdk-nag AwsSolutions as a validation plugin:
 *   synth succeeds with no unacknowledged finding, no error or warning annotation, and every resource that matters
 *   (listeners and ports, target groups, schedules, payments concurrency and retries, IAM least privilege per
 *   function, bucket and distribution settings, secrets, alarms, outputs);
 * - everything optional on (Upstash, TLS listener, monero node, custom domain), also through cdk-nag;
 * - payments/unlocker disabled; bad context values fail with a readable message.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolStack } from '../infra/lib/pool-stack.js';
import { REPO_ROOT, settingsFrom } from '../infra/lib/settings.js';
import { SOURCE_PATHS } from '../infra/lib/stratum.js';
import { API_CACHE_QUERY } from '../infra/lib/api-cache.js';
import {
  apiQueryParams,
  cacheKeys,
  checkStratumOverrides,
  flat,
  healthSummary,
  ofType,
  originQueryStrings,
  proxySummary,
  zmqSummary,
} from './infra-template.js';
import { keySchema } from '../shared/redis/keys.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Synth {
  app: App;
  stack: PoolStack;
  template: Template;
  json: {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    Outputs: Record<string, { Value: unknown }>;
    Parameters?: Record<string, unknown>;
  };
  outdir: string;
}

/** Builds the app like infra/bin/app.ts, with `context` as if given by -c; `nag` adds the AwsSolutions plugin. */
function synth(context: Record<string, unknown>, nag: boolean): Synth {
  const outdir = mkdtempSync(join(tmpdir(), 'pool-infra-'));
  dirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PoolStack(app, 'XmrPool', { settings: settingsFrom(context) });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth(); // throws "Validation failed" on any unacknowledged finding
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() as Synth['json'], outdir };
}

/** The secrets (by logical id) each IAM policy may read. */
function secretReads(s: Synth): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [, p] of ofType(s, 'AWS::IAM::Policy')) {
    const roles = (p['Roles'] as { Ref: string }[]).map((r) => r.Ref);
    const stmts = (p['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
    const reads = stmts
      .filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'))
      .flatMap((st) => [st.Resource].flat())
      .map((r) => flat(r));
    for (const role of roles) out.set(role, [...(out.get(role) ?? []), ...reads]);
  }
  return out;
}

function roleOf(s: Synth, fnLogicalPrefix: string): string {
  const [, fn] = ofType(s, 'AWS::Lambda::Function').find(([id]) => id.startsWith(fnLogicalPrefix)) ?? [];
  expect(fn, fnLogicalPrefix).toBeDefined();
  return (fn!['Role'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
}

function validationViolations(outdir: string): unknown[] {
  const file = join(outdir, 'validation-report.json');
  if (!readdirSync(outdir).includes('validation-report.json')) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    pluginReports: { pluginName: string; violations?: unknown[] }[];
  };
  return report.pluginReports.flatMap((r) => r.violations ?? []);
}

describe('infra: default deploy (Valkey, RPC addresses as parameters), through cdk-nag', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({}, true);
  }, 240_000);

  it('cdk-nag AwsSolutions: synth passes, nothing unacknowledged, no error or warning annotation', () => {
    expect(validationViolations(s.outdir)).toEqual([]);
    const annotations = Annotations.fromStack(s.stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('every acknowledgement carries a reason', () => {
    const acks: { id: string; reason: string }[] = [];
    const visit = (c: IConstruct): void => {
      for (const m of c.node.metadata.filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) acks.push({ id, reason });
      }
      for (const ch of c.node.children) visit(ch);
    };
    visit(s.stack);
    expect(acks.length).toBeGreaterThan(10);
    for (const a of acks) expect(a.reason.length, a.id).toBeGreaterThan(30);
  });

  it('network: a VPC over two AZs without lookups, NAT egress, rejected-traffic flow logs', () => {
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    s.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    s.template.resourceCountIs('AWS::EC2::Subnet', 4);
    s.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    expect(JSON.stringify(s.json)).not.toMatch(/dummy-value-for|lookup/i);
  });

  it('NLB: internet-facing with its own security group; one TCP listener per configured port', () => {
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internet-facing',
      SecurityGroups: Match.anyValue(),
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }]),
    });
    const listeners = ofType(s, 'AWS::ElasticLoadBalancingV2::Listener').map(([, p]) => [p['Port'], p['Protocol']]);
    expect(listeners.sort()).toEqual([
      [3333, 'TCP'],
      [5555, 'TCP'],
      [7777, 'TCP'],
    ]);
  });

  it('target groups: PROXY protocol v2, no client IP preservation, HTTP liveness checks on /health:9101', () => {
    const tgs = ofType(s, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(tgs.map(([, p]) => p['Port']).sort()).toEqual([3333, 5555, 7777]);
    for (const [, p] of tgs) {
      expect(p).toMatchObject({
        Protocol: 'TCP',
        TargetType: 'instance',
        HealthCheckProtocol: 'HTTP',
        HealthCheckPath: '/health',
        HealthCheckPort: '9101',
      });
      expect(p['TargetGroupAttributes']).toEqual(
        expect.arrayContaining([
          { Key: 'proxy_protocol_v2.enabled', Value: 'true' },
          { Key: 'preserve_client_ip.enabled', Value: 'false' },
        ]),
      );
    }
  });

  it('security groups: the world reaches only the NLB listener ports; nodes accept only the NLB', () => {
    const open = ofType(s, 'AWS::EC2::SecurityGroup').flatMap(([, p]) =>
      ((p['SecurityGroupIngress'] as Record<string, unknown>[] | undefined) ?? []).filter(
        (r) => r['CidrIp'] === '0.0.0.0/0',
      ),
    );
    expect(open.map((r) => r['FromPort']).sort()).toEqual([3333, 5555, 7777]);
    const nodeIngress = ofType(s, 'AWS::EC2::SecurityGroupIngress').filter(([, p]) =>
      flat(p['GroupId']).includes('StratumNodeSg'),
    );
    expect(nodeIngress.map(([, p]) => p['FromPort']).sort()).toEqual([3333, 5555, 7777, 9101]);
    for (const [, p] of nodeIngress) expect(flat(p['SourceSecurityGroupId'])).toContain('StratumNlbSg');
    const cacheIngress = ofType(s, 'AWS::EC2::SecurityGroupIngress').filter(([, p]) =>
      flat(p['GroupId']).includes('CacheSg'),
    );
    expect(cacheIngress.map(([, p]) => flat(p['SourceSecurityGroupId'])).sort()).toEqual([
      expect.stringContaining('FunctionsSg'),
      expect.stringContaining('StratumNodeSg'),
    ]);
    for (const [, p] of cacheIngress) expect([p['FromPort'], p['ToPort']]).toEqual([6379, 6380]);
  });

  it('stratum: Auto Scaling group of Debian instances (IMDSv2, encrypted root) running `pool start --module pool`', () => {
    s.template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '2',
      HealthCheckType: 'ELB',
      NotificationConfigurations: Match.anyValue(),
      TargetGroupARNs: Match.anyValue(),
    });
    const [[, lt]] = ofType(s, 'AWS::EC2::LaunchTemplate') as [
      [string, { LaunchTemplateData: Record<string, unknown> }],
    ];
    expect(lt.LaunchTemplateData['MetadataOptions']).toMatchObject({ HttpTokens: 'required' });
    expect(lt.LaunchTemplateData['BlockDeviceMappings']).toEqual([
      expect.objectContaining({ Ebs: expect.objectContaining({ Encrypted: true, VolumeType: 'gp3' }) as unknown }),
    ]);
    const userData = flat(lt.LaunchTemplateData['UserData']);
    expect(userData).toContain('bin/pool.mjs start --config /etc/xmr-pool/config.json --module pool');
    expect(userData).toContain('infra/runtime/stratum-config.ts');
    expect(userData).toContain('npm ci');
    expect(userData).toContain('StateDirectory=xmr-pool'); // poolServer.dataDir (the share journal) lives there
    expect(userData).toMatch(/POOL_DAEMON_HOST=<DaemonHost>/);
    expect(userData).toMatch(/POOL_REDIS_SECRET=<DataValkeyPassword/);
    expect(userData).not.toMatch(/password"?\s*[:=]\s*"?[A-Za-z0-9]{16,}/i);
    expect(JSON.stringify(s.json.Parameters)).toContain('/aws/service/debian/release/13/latest/amd64');
  });

  it('stratum source asset: only the runtime paths, no node_modules, tests or website', () => {
    const staged = join(s.outdir, 'stratum-source');
    const top = readdirSync(staged).sort();
    expect(top).toEqual([...new Set(SOURCE_PATHS.map((p) => p.split('/')[0]!))].filter((p) => top.includes(p)).sort());
    expect(top).not.toContain('test');
    expect(top).not.toContain('website');
    expect(readdirSync(join(staged, 'infra'))).toEqual(['runtime']);
  });

  it('data: ElastiCache Serverless Valkey with a password user group; keys keep one hash slot per coin', () => {
    s.template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      MajorEngineVersion: '8',
      UserGroupId: Match.anyValue(),
      SecurityGroupIds: Match.anyValue(),
    });
    s.template.hasResourceProperties('AWS::ElastiCache::User', {
      Engine: 'valkey',
      UserName: 'default',
      AuthenticationMode: { Type: 'password', Passwords: [Match.anyValue()] },
    });
    const user = ofType(s, 'AWS::ElastiCache::User')[0]![1];
    expect(flat((user['AuthenticationMode'] as { Passwords: unknown[] }).Passwords[0])).toMatch(
      /^\{\{resolve:secretsmanager:<DataValkeyPassword.*>:SecretString:password::\}\}$/,
    );
    const keys = keySchema('monero');
    for (const k of [
      keys.roundCurrent,
      keys.round('h'),
      keys.worker('a'),
      keys.payLock,
      keys.hashrateBucket(0),
      keys.heartbeat('x'),
    ]) {
      expect(k.startsWith('{monero}:')).toBe(true);
    }
  });

  it('functions: Node.js 24 arm64 in the VPC, bundled handlers, config in the environment (under 4 KB)', () => {
    const fns = ofType(s, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Functions'));
    expect(fns.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'FunctionsApi',
      'FunctionsPayments',
      'FunctionsStats',
      'FunctionsUnlocker',
    ]);
    for (const [, p] of fns) {
      expect(p).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        VpcConfig: expect.anything() as unknown,
      });
      const env = (p['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(JSON.stringify(env).length).toBeLessThan(4096);
      expect(JSON.parse(env['POOL_CONFIG_JSON'] as string)).toMatchObject({
        coin: 'monero',
        poolServer: expect.anything() as unknown,
      });
      expect(JSON.parse(env['POOL_CONFIG_JSON'] as string)).toMatchObject({
        payments: { requireAof: false, minReplicas: 0 },
      });
      expect(env).toMatchObject({
        POOL_STORAGE: 'redis',
        POOL_REDIS_TLS: 'true',
        POOL_REDIS_CLUSTER: 'true',
        POOL_METRICS_NAMESPACE: 'XmrPool/XmrPool',
      });
    }
  });

  it('schedules: unlocker and stats every minute, payments every payments.interval, never retried', () => {
    const rules = ofType(s, 'AWS::Events::Rule').map(([id, p]) => ({
      id,
      expr: p['ScheduleExpression'],
      state: p['State'],
      retry: (p['Targets'] as { RetryPolicy: unknown }[])[0]!.RetryPolicy,
    }));
    const by = (name: string) => rules.find((r) => r.id.startsWith(`Functions${name}Schedule`));
    expect(by('Unlocker')).toMatchObject({
      expr: 'rate(1 minute)',
      state: 'ENABLED',
      retry: { MaximumRetryAttempts: 0 },
    });
    expect(by('Stats')).toMatchObject({ expr: 'rate(1 minute)', state: 'ENABLED', retry: { MaximumRetryAttempts: 0 } });
    expect(by('Payments')).toMatchObject({
      expr: 'rate(30 minutes)',
      state: 'ENABLED',
      retry: { MaximumRetryAttempts: 0 },
    }); // interval 1800 s
  });

  it('payments: reserved concurrency 1, no async retries, timeout below the payout lock TTL', () => {
    const [, payments] = ofType(s, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FunctionsPayments'))!;
    expect(payments['ReservedConcurrentExecutions']).toBe(1);
    expect(payments['Timeout']).toBe(570); // lockTtl 600 - 30
    const configs = ofType(s, 'AWS::Lambda::EventInvokeConfig');
    const pay = configs.find(([, p]) => flat(p['FunctionName']).includes('FunctionsPayments'));
    expect(pay?.[1]).toMatchObject({ MaximumRetryAttempts: 0 });
    for (const [id] of ofType(s, 'AWS::Lambda::Function').filter(([i]) => /^Functions(Unlocker|Stats)/.test(i))) {
      expect(
        ofType(s, 'AWS::Lambda::Function').find(([i]) => i === id)![1]['ReservedConcurrentExecutions'],
      ).toBeUndefined();
    }
  });

  it('IAM least privilege: each function reads only the secrets it needs', () => {
    const reads = secretReads(s);
    const of = (fn: string) => (reads.get(roleOf(s, fn)) ?? []).join(' ');
    expect(of('FunctionsApi')).toMatch(/AdminToken/);
    expect(of('FunctionsApi')).toMatch(/ValkeyPassword/);
    expect(of('FunctionsApi')).not.toMatch(/WalletRpc/);
    expect(of('FunctionsPayments')).toMatch(/WalletRpc/);
    expect(of('FunctionsPayments')).not.toMatch(/AdminToken/);
    for (const fn of ['FunctionsUnlocker', 'FunctionsStats']) {
      expect(of(fn)).toMatch(/ValkeyPassword/);
      expect(of(fn)).not.toMatch(/WalletRpc|AdminToken/);
    }
    for (const [, p] of ofType(s, 'AWS::IAM::Policy')) {
      for (const st of (p['PolicyDocument'] as { Statement: { Action: unknown; Resource: unknown }[] }).Statement) {
        if ([st.Action].flat().some((a) => String(a).startsWith('secretsmanager:'))) expect(st.Resource).not.toBe('*');
      }
    }
  });

  it('api: Function URL with AWS_IAM auth, invocable by this distribution only', () => {
    s.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'BUFFERED' });
    const perms = ofType(s, 'AWS::Lambda::Permission').filter(([, p]) => p['Principal'] === 'cloudfront.amazonaws.com');
    expect(perms.map(([, p]) => p['Action']).sort()).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
    for (const [, p] of perms) expect(flat(p['SourceArn'])).toContain(':distribution/<WebsiteDistribution');
  });

  it('website bucket: public access blocked, TLS enforced, encrypted, access-logged', () => {
    const buckets = ofType(s, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [, p] of buckets) {
      expect(p['PublicAccessBlockConfiguration']).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(p['BucketEncryption']).toBeDefined();
    }
    expect(buckets.some(([, p]) => p['LoggingConfiguration'] !== undefined)).toBe(true);
    for (const [, p] of ofType(s, 'AWS::S3::BucketPolicy')) {
      expect(JSON.stringify(p['PolicyDocument'])).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('distribution: S3 and the API origin both through origin access control; API paths routed, admin and POST uncached', () => {
    const [[, d]] = ofType(s, 'AWS::CloudFront::Distribution') as [
      [string, { DistributionConfig: Record<string, unknown> }],
    ];
    const dc = d.DistributionConfig;
    expect(dc).toMatchObject({ DefaultRootObject: 'index.html', Enabled: true, Logging: expect.anything() as unknown });
    expect(dc['DefaultCacheBehavior']).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', Compress: true });
    const origins = dc['Origins'] as Record<string, unknown>[];
    expect(origins).toHaveLength(2);
    for (const o of origins) expect(o['OriginAccessControlId']).toBeDefined();
    s.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 2);
    s.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 'lambda',
        SigningBehavior: 'always',
      }),
    });
    const behaviors = dc['CacheBehaviors'] as {
      PathPattern: string;
      AllowedMethods: string[];
      CachePolicyId: unknown;
      ViewerProtocolPolicy: string;
    }[];
    const paths = behaviors.map((b) => b.PathPattern);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/stats',
        '/live_stats',
        '/stats_address',
        '/get_payments',
        '/get_blocks',
        '/admin_stats',
        '/set_payout_threshold',
      ]),
    );
    const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
    for (const b of behaviors) {
      expect(b.ViewerProtocolPolicy).toBe('https-only');
      if (b.PathPattern.startsWith('/admin_') || b.PathPattern === '/set_payout_threshold')
        expect(b.CachePolicyId).toBe(CACHING_DISABLED);
      else expect(b.CachePolicyId).not.toBe(CACHING_DISABLED);
    }
    expect(behaviors.find((b) => b.PathPattern === '/set_payout_threshold')!.AllowedMethods).toContain('POST');
    expect(behaviors.find((b) => b.PathPattern === '/stats')!.AllowedMethods).not.toContain('POST');
    s.template.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        HeadersConfig: {
          HeaderBehavior: 'whitelist',
          Headers: Match.arrayWith(['CloudFront-Viewer-Address', 'X-Admin-Token', 'x-amz-content-sha256']),
        },
      }),
    });
  });

  it('deploy: the built site minus config.js, then config.js written at deploy with the API URL and the pool host', () => {
    const deployments = ofType(s, 'Custom::CDKBucketDeployment');
    expect(deployments).toHaveLength(2);
    const config = deployments.find(([id]) => id.includes('DeployConfig'))![1];
    expect(config['Prune']).toBe(false);
    expect(JSON.stringify(config['SystemMetadata'])).toContain('no-cache');
    const markers = flat(config['SourceMarkers']);
    expect(markers).toContain('WebsiteDistribution');
    expect(markers).toContain('StratumNlb');
    const site = deployments.find(([id]) => id.includes('DeploySite'))![1];
    expect(site['Exclude']).toEqual(['config.js']);
    expect(site['DistributionPaths']).toEqual(['/*']);
  });

  it('secrets: wallet RPC login, admin token and the Valkey password are generated, never in the template', () => {
    const secrets = ofType(s, 'AWS::SecretsManager::Secret');
    expect(secrets.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'DataValkeyPassword',
      'SecretsAdminToken',
      'SecretsWalletRpc',
    ]);
    for (const [, p] of secrets) {
      expect(p['GenerateSecretString']).toBeDefined();
      expect(p['SecretString']).toBeUndefined();
    }
  });

  it('alarms to one SNS topic: errors per function, missing heartbeats, payouts halted, NLB healthy hosts', () => {
    const alarms = ofType(s, 'AWS::CloudWatch::Alarm');
    for (const [, a] of alarms) expect(flat(a['AlarmActions'])).toContain('OperationsAlarms');
    const errors = alarms.filter(([, a]) => a['MetricName'] === 'Errors' && a['Namespace'] === 'AWS/Lambda');
    expect(errors).toHaveLength(4);
    const heartbeats = alarms.filter(([, a]) => a['MetricName'] === 'Heartbeat');
    expect(heartbeats.map(([, a]) => [(a['Dimensions'] as { Value: string }[])[0]!.Value, a['Period']]).sort()).toEqual(
      [
        ['payments', 5400],
        ['stats', 600],
        ['unlocker', 600],
      ],
    );
    for (const [, a] of heartbeats)
      expect(a).toMatchObject({
        TreatMissingData: 'breaching',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        Namespace: 'XmrPool/XmrPool',
      });
    expect(alarms.filter(([, a]) => a['MetricName'] === 'PayoutsHalted')).toHaveLength(1);
    const hosts = alarms.filter(([, a]) => a['MetricName'] === 'HealthyHostCount');
    expect(hosts).toHaveLength(3);
    for (const [, a] of hosts)
      expect(a).toMatchObject({
        Namespace: 'AWS/NetworkELB',
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 3,
      });
  });

  it('health: the NLB and Auto Scaling act on liveness only; readiness is a CloudWatch metric with its own alarm', () => {
    expect(healthSummary(s)).toEqual({
      paths: ['/health'],
      asgCheck: 'ELB',
      readyAlarm: true,
      putMetricNamespace: 'XmrPool/XmrPool',
      envNamespace: true,
    });
  });

  it('PROXY protocol: the node accepts headers from the load balancer subnets only; the rendered config validates', () => {
    expect(proxySummary(s)).toEqual({
      from: ['10.40.0.0/24', '10.40.1.0/24'],
      publicSubnets: ['10.40.0.0/24', '10.40.1.0/24'],
    });
    checkStratumOverrides();
  });

  it('api: reserved concurrency apiReservedConcurrency (default 10)', () => {
    const [, api] = ofType(s, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FunctionsApi'))!;
    expect(api['ReservedConcurrentExecutions']).toBe(10);
  });

  it('CloudFront cache key per API route: only the query parameters the route reads, and only those reach the origin', async () => {
    expect(cacheKeys(s)).toEqual(
      Object.fromEntries(Object.entries(API_CACHE_QUERY).map(([r, q]) => [r, [...q].sort()])),
    );
    expect(await apiQueryParams()).toEqual(
      Object.fromEntries(Object.entries(API_CACHE_QUERY).map(([r, q]) => [r, [...q].sort()])),
    );
    expect(originQueryStrings(s)).toEqual({ cached: 'none', uncached: 'all' });
  });

  it('outputs: stratum host and ports, website and API URL, function names for `pool invoke --aws`', () => {
    const o = s.json.Outputs;
    for (const k of [
      'StratumHost',
      'StratumPorts',
      'StratumTlsPorts',
      'WebsiteUrl',
      'ApiUrl',
      'ApiFunctionName',
      'UnlockerFunctionName',
      'PaymentsFunctionName',
      'StatsFunctionName',
      'AlarmTopicArn',
      'RedisEndpoint',
    ]) {
      expect(o[k], k).toBeDefined();
    }
    expect(o['StratumPorts']!.Value).toBe('3333:1000,5555:15000,7777:50000');
    expect(flat(o['StratumHost']!.Value)).toContain('StratumNlb');
    expect(flat(o['ApiUrl']!.Value)).toMatch(/^https:\/\/<WebsiteDistribution.*\.DomainName>$/);
    expect(flat(o['PaymentsFunctionName']!.Value)).toContain('FunctionsPayments');
    expect(Object.keys(s.json.Parameters ?? {})).toEqual(
      expect.arrayContaining(['DaemonHost', 'DaemonPort', 'WalletHost', 'WalletPort']),
    );
  });
});

describe('infra: everything optional on (Upstash, TLS listener, monero node, custom domain), through cdk-nag', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(
      {
        storage: 'upstash',
        upstashSecretName: 'pool/upstash',
        moneroNode: 'true',
        tlsCertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
        tlsListeners: '[{"port": 443, "targetPort": 5555}]',
        domainName: 'pool.example.org',
        domainCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/def',
        stratumDomainName: 'mine.example.org',
        alarmEmail: 'oncall@example.org',
      },
      true,
    );
  }, 240_000);

  it('passes cdk-nag with nothing unacknowledged', () => {
    expect(validationViolations(s.outdir)).toEqual([]);
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('upstash: no cache in the VPC; functions get the secret name, and may read that secret only', () => {
    s.template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
    for (const [id, p] of ofType(s, 'AWS::Lambda::Function').filter(([i]) => i.startsWith('Functions'))) {
      const env = (p['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(env, id).toMatchObject({ POOL_STORAGE: 'upstash', POOL_UPSTASH_SECRET: 'pool/upstash' });
      expect(env['POOL_REDIS_HOST']).toBeUndefined();
    }
    expect((secretReads(s).get(roleOf(s, 'FunctionsStats')) ?? []).join(' ')).toMatch(
      /secret:pool\/upstash-\?\?\?\?\?\?/,
    );
  });

  it('TLS listener on the NLB with the ACM certificate, forwarding to the plain pool port', () => {
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'TLS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc' }],
      SslPolicy: Match.stringLikeRegexp('TLS'),
    });
    expect(s.json.Outputs['StratumTlsPorts']!.Value).toBe('443->5555');
    expect(s.json.Outputs['StratumHost']!.Value).toBe('mine.example.org');
  });

  it('monero node: encrypted data volume kept on termination; RPC addresses come from it (no parameters)', () => {
    s.template.hasResourceProperties('AWS::EC2::Instance', {
      DisableApiTermination: true,
      Monitoring: true,
      BlockDeviceMappings: Match.arrayWith([
        {
          DeviceName: '/dev/sdf',
          Ebs: Match.objectLike({ Encrypted: true, DeleteOnTermination: false, VolumeType: 'gp3' }),
        },
      ]),
    });
    expect(Object.keys(s.json.Parameters ?? {})).not.toContain('DaemonHost');
    const [, payments] = ofType(s, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FunctionsPayments'))!;
    const env = (payments['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(flat(env['POOL_WALLET_HOST'])).toMatch(/<MoneroNodeInstance.*\.PrivateIp>/);
    expect(env['POOL_WALLET_PORT']).toBe('18082');
  });

  it('monero node: ZMQ publisher on 18083 for the stratum nodes only; their config gets daemon.zmq', () => {
    expect(zmqSummary(s)).toEqual({ execStart: true, ingressFrom: ['StratumNodeSg'], stratumEnv: true });
  });

  it('custom domain on the distribution with TLS 1.2; config.js points the site at it', () => {
    const [[, d]] = ofType(s, 'AWS::CloudFront::Distribution') as [
      [string, { DistributionConfig: Record<string, unknown> }],
    ];
    expect(d.DistributionConfig).toMatchObject({
      Aliases: ['pool.example.org'],
      ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
    });
    expect(s.json.Outputs['WebsiteUrl']!.Value).toBe('https://pool.example.org');
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.org' });
  });
});

describe('infra: settings', () => {
  it('payments and unlocker disabled in the pool config: rules disabled, no heartbeat alarms for them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pool-cfg-'));
    dirs.push(dir);
    const file = join(dir, 'pool.jsonc');
    const base = readFileSync(join(REPO_ROOT, 'infra', 'pool.cloud.example.jsonc'), 'utf8');
    writeFileSync(
      file,
      base
        .replace('"payments": { "enabled": true', '"payments": { "enabled": false')
        .replace('"blockUnlocker": { "enabled": true', '"blockUnlocker": { "enabled": false'),
    );
    const s = synth({ poolConfig: file }, false);
    const rules = ofType(s, 'AWS::Events::Rule');
    expect(rules.find(([id]) => id.startsWith('FunctionsPaymentsSchedule'))![1]['State']).toBe('DISABLED');
    expect(rules.find(([id]) => id.startsWith('FunctionsUnlockerSchedule'))![1]['State']).toBe('DISABLED');
    const hb = ofType(s, 'AWS::CloudWatch::Alarm').filter(
      ([, a]) => a['MetricName'] === 'Heartbeat' || a['MetricName'] === 'PayoutsHalted',
    );
    expect(hb.map(([, a]) => (a['Dimensions'] as { Value: string }[])[0]!.Value)).toEqual(['stats']);
  }, 120_000);

  it('website not built: a placeholder page is deployed, so synth never fails on a fresh clone', () => {
    const s = synth({ websiteDist: '/nonexistent/website/dist' }, false);
    expect(s.stack.website.usedPlaceholder).toBe(true);
    expect(readdirSync(join(s.outdir, 'website-placeholder'))).toEqual(['index.html']);
    expect(readFileSync(join(s.outdir, 'website-placeholder', 'index.html'), 'utf8')).toContain('config.js');
  }, 120_000);

  it('bad context values fail with a message naming the key', () => {
    expect(() => settingsFrom({ storage: 'dynamo' })).toThrow(/context storage/);
    expect(() =>
      settingsFrom({ tlsListeners: '[{"port": 443, "targetPort": 4444}]', tlsCertificateArn: 'arn:aws:acm:x' }),
    ).toThrow(/targetPort 4444 is not one of poolServer.ports/);
    expect(() => settingsFrom({ tlsListeners: [{ port: 443, targetPort: 3333 }] })).toThrow(/tlsCertificateArn/);
    expect(() => settingsFrom({ poolConfig: '/nope.jsonc' })).toThrow(/no file/);
    expect(() => settingsFrom({ stratumMinInstances: 3, stratumMaxInstances: 2 })).toThrow(/stratumMaxInstances/);
    const dir = mkdtempSync(join(tmpdir(), 'pool-cfg-'));
    dirs.push(dir);
    const file = join(dir, 'secret.jsonc');
    writeFileSync(
      file,
      readFileSync(join(REPO_ROOT, 'infra', 'pool.cloud.example.jsonc'), 'utf8').replace(
        '"api": {',
        '"api": { "password": "hunter2",',
      ),
    );
    expect(() => settingsFrom({ poolConfig: file })).toThrow(/api.password must not be in the cloud config/);
  });

  it('apiReservedConcurrency and daemonZmq: set by context, bad values named', () => {
    const s = synth({ apiReservedConcurrency: '25', daemonZmq: 'tcp://10.40.8.10:18083' }, false);
    const [, api] = ofType(s, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FunctionsApi'))!;
    expect(api['ReservedConcurrentExecutions']).toBe(25);
    expect(s.json.Parameters?.['DaemonZmq']).toMatchObject({ Type: 'String', Default: 'tcp://10.40.8.10:18083' });
    expect(() => settingsFrom({ apiReservedConcurrency: 0 })).toThrow(/context apiReservedConcurrency/);
    expect(() => settingsFrom({ daemonZmq: 'http://10.0.0.1:18083' })).toThrow(/context daemonZmq/);
  }, 120_000);

  it('payments schedule and timeout follow the pool config', () => {
    const s = settingsFrom({});
    expect(s.paymentsEveryMinutes).toBe(30);
    expect(s.paymentsTimeoutSeconds).toBe(570);
    expect(s.stratumPorts.map((p) => p.listen)).toEqual([3333, 5555, 7777]);
    expect(s.healthPort).toBe(9101);
  });
});
