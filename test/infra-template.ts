/**
 * Reading a synthesized CloudFormation template in tests (test/infra.test.ts): resources by type, intrinsic values
 * flattened to text, and summaries of the edge settings (liveness vs readiness, PROXY protocol peers, API cache
 * keys, monerod's ZMQ publisher), plus the two checks that need code outside the template: the stratum instance's
 * config rendering (infra/runtime/stratum-overrides.ts) and the query parameters each API route really reads.
 */
import { expect } from 'vitest';
import { buildApi } from '../functions/api/index.js';
import { PUBLIC_ROUTES } from '../functions/api/app.js';
import { STRATUM_ENV, stratumOverrides } from '../infra/runtime/stratum-overrides.js';
import { settingsFrom } from '../infra/lib/settings.js';
import { cloudConfig } from '../shared/cloud/env.js';
import { silentLogger } from '../shared/log.js';
import type { Storage } from '../shared/storage/port.js';

export interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown }>;
  Parameters?: Record<string, unknown>;
}

export function ofType(s: { json: TemplateJson }, type: string): [string, Record<string, unknown>][] {
  return Object.entries(s.json.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** Flattens an Fn::Join / Fn::Base64 value into text with `<Ref>` placeholders (for user data and config.js). */
export function flat(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(flat).join('');
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if ('Fn::Base64' in o) return flat(o['Fn::Base64']);
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flat).join(sep);
    }
    if ('Ref' in o) return `<${String(o['Ref'])}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    return JSON.stringify(o);
  }
  return String(v);
}

type S = { json: TemplateJson };

function stratumUserData(s: S): string {
  const [[, lt]] = ofType(s, 'AWS::EC2::LaunchTemplate') as [[string, { LaunchTemplateData: Record<string, unknown> }]];
  return flat(lt.LaunchTemplateData['UserData']);
}

function ref(v: unknown): string {
  return (v as { Ref: string }).Ref;
}

/** What decides replacement (target group checks, ASG check type) and what reports readiness (metric, alarm). */
export function healthSummary(s: S) {
  const paths = [
    ...new Set(ofType(s, 'AWS::ElasticLoadBalancingV2::TargetGroup').map(([, p]) => String(p['HealthCheckPath']))),
  ].sort();
  const [, asg] = ofType(s, 'AWS::AutoScaling::AutoScalingGroup')[0]!;
  const readyAlarm = ofType(s, 'AWS::CloudWatch::Alarm').some(
    ([, a]) =>
      a['MetricName'] === 'StratumReady' &&
      a['Namespace'] === 'XmrPool/XmrPool' &&
      a['Statistic'] === 'Minimum' &&
      a['Period'] === 60 &&
      a['Threshold'] === 1 &&
      a['EvaluationPeriods'] === 3 &&
      a['ComparisonOperator'] === 'LessThanThreshold' &&
      a['TreatMissingData'] === 'notBreaching' &&
      flat(a['AlarmActions']).includes('OperationsAlarms'),
  );
  let putMetricNamespace: unknown = null;
  for (const [, p] of ofType(s, 'AWS::IAM::Policy')) {
    if (!(p['Roles'] as { Ref: string }[]).some((r) => r.Ref.startsWith('StratumRole'))) continue;
    for (const st of (
      p['PolicyDocument'] as {
        Statement: { Action: unknown; Resource: unknown; Condition?: Record<string, Record<string, unknown>> }[];
      }
    ).Statement) {
      if ([st.Action].flat().includes('cloudwatch:PutMetricData'))
        putMetricNamespace = st.Condition?.['StringEquals']?.['cloudwatch:namespace'] ?? 'UNCONDITIONED';
    }
  }
  return {
    paths,
    asgCheck: asg['HealthCheckType'],
    readyAlarm,
    putMetricNamespace,
    envNamespace: stratumUserData(s).includes('POOL_METRICS_NAMESPACE=XmrPool/XmrPool'),
  };
}

/** The PROXY peers given to the node, and the public subnets (where the NLB's nodes sit). */
export function proxySummary(s: S) {
  const m = /POOL_PROXY_PROTOCOL_FROM=(.*)/.exec(stratumUserData(s));
  const publicSubnets = ofType(s, 'AWS::EC2::Subnet')
    .filter(([, p]) => p['MapPublicIpOnLaunch'] === true)
    .map(([, p]) => String(p['CidrBlock']))
    .sort();
  return { from: (m?.[1] ?? '').split(',').filter((x) => x !== ''), publicSubnets };
}

/** Renders a stratum instance's config like infra/runtime/stratum-config.ts does, and checks it. */
export function checkStratumOverrides(): void {
  const settings = settingsFrom({});
  const env: Record<string, string> = {
    POOL_CONFIG_JSON: JSON.stringify(settings.poolConfigObject),
    POOL_STORAGE: 'redis',
    POOL_REDIS_HOST: 'cache.internal',
    POOL_REDIS_PORT: '6379',
    POOL_DAEMON_HOST: '10.40.8.10',
    POOL_DAEMON_PORT: '18081',
    POOL_METRICS_NAMESPACE: 'XmrPool/XmrPool',
    [STRATUM_ENV.proxyProtocolFrom]: '10.40.0.0/24,10.40.1.0/24',
    [STRATUM_ENV.daemonZmq]: 'tcp://10.40.8.10:18083',
  };
  const secrets = { redis: { password: 'p' } };
  const first = cloudConfig(env, secrets);
  const { config } = cloudConfig(env, secrets, stratumOverrides(env, first.config));
  expect(config.poolServer.ports.map((p) => p.proxyProtocol)).toEqual([true, true, true]);
  expect(config.poolServer.proxyProtocolFrom).toEqual(['10.40.0.0/24', '10.40.1.0/24']);
  expect(config.poolServer.health).toMatchObject({
    enabled: true,
    host: '0.0.0.0',
    port: 9101,
    cloudwatchNamespace: 'XmrPool/XmrPool',
  });
  expect(config.daemon).toMatchObject({ host: '10.40.8.10', zmq: 'tcp://10.40.8.10:18083' });
  expect(config.payments.enabled).toBe(false);
  expect(config.poolServer.dataDir).toBe('/var/lib/xmr-pool/stratum'); // the unit's StateDirectory
  // no subnets: the instance refuses to render (the schema would refuse PROXY ports without peers anyway)
  expect(() => stratumOverrides({ ...env, [STRATUM_ENV.proxyProtocolFrom]: '' }, first.config)).toThrow(
    /POOL_PROXY_PROTOCOL_FROM is empty/,
  );
  const open = {
    ...stratumOverrides(env, first.config),
    poolServer: { ...stratumOverrides(env, first.config).poolServer, proxyProtocolFrom: [] },
  };
  expect(() => cloudConfig(env, secrets, open)).toThrow(
    /poolServer\.ports\[0\]\.proxyProtocol: a PROXY protocol port needs poolServer\.proxyProtocolFrom/,
  );
  // no ZMQ publisher given: poll only
  expect(
    cloudConfig(env, secrets, stratumOverrides({ ...env, [STRATUM_ENV.daemonZmq]: '' }, first.config)).config.daemon
      .zmq,
  ).toBeNull();
}

function distribution(s: S): {
  CacheBehaviors: { PathPattern: string; CachePolicyId: unknown; OriginRequestPolicyId: unknown }[];
} {
  const [[, d]] = ofType(s, 'AWS::CloudFront::Distribution') as [[string, { DistributionConfig: never }]];
  return d.DistributionConfig;
}

/** Route -> the query strings in its cache key (sorted; [] when none), for the public API routes. */
export function cacheKeys(s: S): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const b of distribution(s).CacheBehaviors) {
    if (!PUBLIC_ROUTES.includes(b.PathPattern)) continue;
    const policy = s.json.Resources[ref(b.CachePolicyId)];
    expect(policy?.Type, b.PathPattern).toBe('AWS::CloudFront::CachePolicy');
    const cfg = (
      policy!.Properties!['CachePolicyConfig'] as {
        ParametersInCacheKeyAndForwardedToOrigin: {
          QueryStringsConfig: { QueryStringBehavior: string; QueryStrings?: string[] };
        };
      }
    ).ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig;
    expect(['none', 'whitelist'], b.PathPattern).toContain(cfg.QueryStringBehavior);
    out[b.PathPattern] = cfg.QueryStringBehavior === 'none' ? [] : [...(cfg.QueryStrings ?? [])].sort();
  }
  return out;
}

/** What query strings the origin request policies forward beyond the cache key: cached routes vs the others. */
export function originQueryStrings(s: S): { cached: string; uncached: string } {
  const of = (cached: boolean) =>
    [
      ...new Set(
        distribution(s)
          .CacheBehaviors.filter((b) => PUBLIC_ROUTES.includes(b.PathPattern) === cached)
          .map((b) => {
            const p = s.json.Resources[ref(b.OriginRequestPolicyId)]!.Properties!['OriginRequestPolicyConfig'] as {
              QueryStringsConfig: { QueryStringBehavior: string };
            };
            return p.QueryStringsConfig.QueryStringBehavior;
          }),
      ),
    ].join(',');
  return { cached: of(true), uncached: of(false) };
}

/** Route -> the query parameters its querystring schema declares, from the API as built (no Redis touched). */
export async function apiQueryParams(): Promise<Record<string, string[]>> {
  const storage = new Proxy({}, { get: () => () => Promise.reject(new Error('no storage in this test')) }) as Storage;
  const app = buildApi({
    storage,
    daemon: { getInfo: () => Promise.reject(new Error('no daemon')) },
    config: settingsFrom({}).pool,
    log: silentLogger(),
    now: () => Date.now(),
    longPoll: false,
  });
  const out: Record<string, string[]> = {};
  app.addHook('onRoute', (r) => {
    const methods = [r.method].flat();
    if (!methods.includes('GET') || !PUBLIC_ROUTES.includes(r.url)) return;
    const qs = (r.schema as { querystring?: { properties?: Record<string, unknown> } } | undefined)?.querystring;
    out[r.url] = Object.keys(qs?.properties ?? {}).sort();
  });
  await app.ready();
  await app.close();
  return out;
}

/** monerod's ZMQ publisher on the optional node: flag, who may reach it, what the stratum nodes are told. */
export function zmqSummary(s: S) {
  const [, inst] = ofType(s, 'AWS::EC2::Instance')[0]!;
  const execStart = flat(inst['UserData']).includes('--zmq-pub tcp://0.0.0.0:18083');
  const ingressFrom = ofType(s, 'AWS::EC2::SecurityGroupIngress')
    .filter(([, p]) => flat(p['GroupId']).includes('MoneroNodeSg') && p['FromPort'] === 18083)
    .map(
      ([, p]) =>
        /(StratumNodeSg|FunctionsSg|StratumNlbSg)/.exec(flat(p['SourceSecurityGroupId']))?.[1] ??
        flat(p['SourceSecurityGroupId']),
    );
  const stratumEnv = /POOL_DAEMON_ZMQ=tcp:\/\/<MoneroNodeInstance[0-9A-F]*\.PrivateIp>:18083/.test(stratumUserData(s));
  return { execStart, ingressFrom, stratumEnv };
}
