/**
 * Stratum: the long-running node (`pool start --module pool`) on an EC2 Auto Scaling group behind a Network Load
 * Balancer.
 *
 * Why EC2 and not Fargate: the node loads a native addon built against Debian's librandomx (native/, node-gyp), so
 * an instance installs the Debian packages and builds the project from the same source tree a developer runs, with
 * no container image to build and no Docker anywhere (synth or deploy). Share validation is CPU-bound RandomX
 * hashing that wants whole, predictable cores and, for fast mode, huge pages, which Fargate does not offer. Instance
 * targets also keep miners' connections on one long-lived host, and one always-on small instance costs less than
 * the same Fargate capacity.
 *
 * Load balancer: internet-facing NLB with its own security group. One TCP listener per configured pool port; an
 * optional TLS listener (ACM certificate, TLS terminated on the NLB) per context `tlsListeners` entry, forwarding to
 * a plain pool port. Target groups send PROXY protocol v2 (the node reads the miner's address from it) with client
 * IP preservation off, so the instances accept traffic from the load balancer's security group only, and the node
 * accepts PROXY headers only from the load balancer's subnets (POOL_PROXY_PROTOCOL_FROM -> poolServer.proxyProtocolFrom).
 *
 * Health: liveness only. The target groups check HTTP GET /health (liveness, alias /live) on poolServer.health.port:
 * 200 while the process serves its stratum ports, whatever monerod does; a hung process does not answer. The Auto
 * Scaling group uses those ELB checks (grace 15 min for the first boot), so a monerod outage never replaces the
 * fleet. Readiness (fresh block template) is published by each node to CloudWatch (StratumReady, namespace
 * POOL_METRICS_NAMESPACE; the role may put metrics in that namespace only) and alarmed on in operations.ts, while
 * miners keep their current job.
 *
 * Instances (private subnets): Debian (public SSM parameter, resolved at deploy), IMDSv2 only, encrypted gp3 root,
 * Session Manager for on-call. Boot (user data): packages (nodejs, build tools, librandomx), AWS CLI v2, the project
 * source from an S3 asset, `npm ci` (builds the addon), then systemd unit `xmr-pool-stratum`: each start renders
 * /etc/xmr-pool/config.json from the cloud environment and secrets (infra/runtime/stratum-config.ts) and runs
 * `node bin/pool.mjs start --config /etc/xmr-pool/config.json --module pool`. Logs: `journalctl -u xmr-pool-stratum`.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Duration, Stack, Stage } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CLOUD_ENV } from '../../shared/cloud/env.js';
import { STRATUM_ENV } from '../runtime/stratum-overrides.js';
import { acknowledge, acknowledgeEach } from './nag.js';
import { REPO_ROOT, type StratumPort } from './settings.js';

/**
 * What the node needs from the repository (copied into the cloud assembly at synth, then zipped as one asset). An
 * allow-list, so that only changes to these paths change the asset (and roll the instances): not tests, docs, the
 * website or the CDK code itself.
 */
export const SOURCE_PATHS = [
  'package.json',
  'package-lock.json',
  'binding.gyp',
  'tsconfig.json',
  'bin',
  'cli',
  'shared',
  'native',
  'stratum-node',
  'functions',
  'infra/runtime',
];

/** Copies SOURCE_PATHS (minus build outputs, dependencies and dot-files) into `<outdir>/stratum-source`. */
export function stageSource(outdir: string): string {
  const dest = join(outdir, 'stratum-source');
  rmSync(dest, { recursive: true, force: true });
  for (const rel of SOURCE_PATHS) {
    const from = join(REPO_ROOT, rel);
    if (!existsSync(from)) continue;
    cpSync(from, join(dest, rel), {
      recursive: true,
      filter: (src) => !/(^|\/)(node_modules|build|\.[^/]+)$/.test(relative(REPO_ROOT, src)),
    });
  }
  return dest;
}

export interface StratumProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  ports: StratumPort[];
  healthPort: number;
  instanceType: string;
  minInstances: number;
  maxInstances: number;
  amiParameter: string;
  tlsCertificateArn?: string | undefined;
  /** POOL_* environment (shared/cloud/env.ts) without POOL_CONFIG_JSON. */
  env: Record<string, string>;
  /** The pool config JSON (POOL_CONFIG_JSON). */
  configJson: string;
  topic: sns.ITopic;
  /** CIDRs allowed to send PROXY headers: the load balancer's subnets. */
  proxyProtocolFrom: readonly string[];
  /** CloudWatch namespace of the readiness metrics. */
  metricsNamespace: string;
  /** monerod's ZMQ publisher ("tcp://HOST:PORT"), or "" for none. */
  daemonZmq: string;
}

export class Stratum extends Construct {
  readonly nlb: elbv2.NetworkLoadBalancer;
  readonly asg: autoscaling.AutoScalingGroup;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  /** Target groups by instance port. */
  readonly targetGroups = new Map<number, elbv2.NetworkTargetGroup>();

  constructor(scope: Construct, id: string, props: StratumProps) {
    super(scope, id);
    const { vpc } = props;

    const source = new s3assets.Asset(this, 'Source', { path: stageSource(Stage.of(this)?.outdir ?? '.') });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Stratum node: Session Manager, source asset, storage secret',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    source.grantRead(this.role);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': props.metricsNamespace } },
      }),
    );
    acknowledge(
      this.role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'Session Manager access for on-call (no SSH, no open port); the AWS-managed policy is the documented minimum for the SSM agent.',
    );
    acknowledgeEach(
      this.role.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5',
      ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', ASSET_OBJECTS],
      'Read-only access to the CDK asset bucket for the node source archive (grantRead of the asset); the object key changes with every source change.',
    );
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      "cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the pool's metrics namespace by the cloudwatch:namespace condition.",
    );

    this.securityGroup = new ec2.SecurityGroup(this, 'NodeSg', {
      vpc,
      description: 'Stratum nodes: traffic from the load balancer only',
      allowAllOutbound: true,
    });
    const nlbSg = new ec2.SecurityGroup(this, 'NlbSg', {
      vpc,
      description: 'Stratum load balancer: miners from anywhere on the stratum ports',
      allowAllOutbound: false,
    });
    for (const p of props.ports)
      nlbSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(p.listen), `stratum ${p.protocol} ${p.listen}`);
    acknowledge(
      nlbSg,
      'AwsSolutions-EC23',
      'Public mining pool: miners connect from any address to the stratum listener ports only (bans and per-IP limits are enforced by the node).',
    );
    const targetPorts = [...new Set(props.ports.map((p) => p.target))];
    for (const port of [...targetPorts, props.healthPort]) {
      this.securityGroup.connections.allowFrom(
        nlbSg,
        ec2.Port.tcp(port),
        port === props.healthPort ? 'NLB health checks' : `stratum ${port} from the NLB`,
      );
    }

    const userData = ec2.UserData.forLinux();
    userData.addCommands(...bootScript(props, source));
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.fromSsmParameter(props.amiParameter, { os: ec2.OperatingSystemType.LINUX }),
      instanceType: new ec2.InstanceType(props.instanceType),
      role: this.role,
      securityGroup: this.securityGroup,
      userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });

    this.asg = new autoscaling.AutoScalingGroup(this, 'Asg', {
      vpc,
      vpcSubnets: props.subnets,
      launchTemplate,
      minCapacity: props.minInstances,
      maxCapacity: props.maxInstances,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(15),
      }),
      notifications: [{ topic: props.topic }],
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: props.minInstances,
        pauseTime: Duration.minutes(12),
      }),
      defaultInstanceWarmup: Duration.minutes(10),
    });

    this.nlb = new elbv2.NetworkLoadBalancer(this, 'Nlb', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      crossZoneEnabled: true,
      securityGroups: [nlbSg],
    });
    acknowledge(
      this.nlb,
      'AwsSolutions-ELB2',
      'NLB access logs only cover TLS listeners; the node logs every miner connection with the address from PROXY protocol v2, and NLB flow counts are in CloudWatch metrics.',
    );

    for (const port of targetPorts) {
      this.targetGroups.set(
        port,
        new elbv2.NetworkTargetGroup(this, `Tg${port}`, {
          vpc,
          port,
          protocol: elbv2.Protocol.TCP,
          targetType: elbv2.TargetType.INSTANCE,
          proxyProtocolV2: true,
          preserveClientIp: false,
          connectionTermination: true,
          deregistrationDelay: Duration.seconds(30),
          healthCheck: {
            enabled: true,
            protocol: elbv2.Protocol.HTTP,
            port: String(props.healthPort),
            // /health is liveness (alias of /live) and also answers on nodes from before the split, so a rolling
            // update that changes this check never fails the old instances
            path: '/health',
            interval: Duration.seconds(10),
            timeout: Duration.seconds(5),
            healthyThresholdCount: 2,
            unhealthyThresholdCount: 2,
          },
          targets: [this.asg],
        }),
      );
    }
    for (const p of props.ports) {
      const tg = this.targetGroups.get(p.target)!;
      if (p.protocol === 'TCP') {
        this.nlb.addListener(`Tcp${p.listen}`, {
          port: p.listen,
          protocol: elbv2.Protocol.TCP,
          defaultTargetGroups: [tg],
        });
      } else {
        if (props.tlsCertificateArn === undefined) throw new Error('a TLS listener needs tlsCertificateArn');
        this.nlb.addListener(`Tls${p.listen}`, {
          port: p.listen,
          protocol: elbv2.Protocol.TLS,
          certificates: [elbv2.ListenerCertificate.fromArn(props.tlsCertificateArn)],
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          defaultTargetGroups: [tg],
        });
      }
    }
  }
}

/** The CDK asset bucket's objects, as cdk-nag names the resource (default synthesizer, qualifier hnb659fds). */
const ASSET_OBJECTS = 'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*';

const APP = '/opt/xmr-pool/app';
const ETC = '/etc/xmr-pool';

function bootScript(props: StratumProps, source: s3assets.Asset): string[] {
  const env = {
    ...props.env,
    [CLOUD_ENV.metricsNamespace]: props.metricsNamespace,
    [STRATUM_ENV.proxyProtocolFrom]: props.proxyProtocolFrom.join(','),
    [STRATUM_ENV.daemonZmq]: props.daemonZmq,
    AWS_REGION: Stack.of(source).region,
    NODE_ENV: 'production',
  };
  const envLines = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [
    'set -euxo pipefail',
    'export DEBIAN_FRONTEND=noninteractive',
    `export AWS_DEFAULT_REGION=${Stack.of(source).region}`,
    'apt-get update -q',
    'apt-get install -y -q ca-certificates curl unzip build-essential python3 librandomx-dev nodejs npm',
    // Node 20 or newer (Debian 13 ships 20); older images get NodeSource's 20.x.
    'if [ "$(node -p "process.versions.node.split(\'.\')[0]" 2>/dev/null || echo 0)" -lt 20 ]; then curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y -q nodejs; fi',
    // AWS CLI v2 (asset download) and the SSM agent (Session Manager) when the image has none.
    'if ! command -v aws >/dev/null; then curl -fsSL https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip -o /tmp/awscli.zip && unzip -q /tmp/awscli.zip -d /tmp && /tmp/aws/install; fi',
    'if ! systemctl list-unit-files | grep -q amazon-ssm-agent; then curl -fsSL "https://s3.$AWS_DEFAULT_REGION.amazonaws.com/amazon-ssm-$AWS_DEFAULT_REGION/latest/debian_amd64/amazon-ssm-agent.deb" -o /tmp/ssm.deb && dpkg -i /tmp/ssm.deb && systemctl enable --now amazon-ssm-agent; fi',
    'id pool >/dev/null 2>&1 || useradd --system --home-dir /opt/xmr-pool --create-home --shell /usr/sbin/nologin pool',
    `install -d -o pool -g pool -m 0750 ${ETC} ${APP}`,
  ]
    .concat(s3Download(source, '/opt/xmr-pool/source.zip'))
    .concat([
      `rm -rf ${APP}/* && unzip -q -o /opt/xmr-pool/source.zip -d ${APP} && chown -R pool:pool ${APP}`,
      `cd ${APP} && runuser -u pool -- env HOME=/opt/xmr-pool npm ci --no-audit --no-fund`,
      `cat > ${ETC}/pool-config.json <<'POOL_CONFIG_EOF'`,
      props.configJson,
      'POOL_CONFIG_EOF',
      `cat > ${ETC}/cloud.env <<'POOL_ENV_EOF'`,
      ...envLines,
      'POOL_ENV_EOF',
      `chown pool:pool ${ETC}/pool-config.json ${ETC}/cloud.env && chmod 0640 ${ETC}/pool-config.json ${ETC}/cloud.env`,
      `cat > /etc/systemd/system/xmr-pool-stratum.service <<'POOL_UNIT_EOF'`,
      '[Unit]',
      'Description=Monero pool stratum node',
      'After=network-online.target',
      'Wants=network-online.target',
      '[Service]',
      'User=pool',
      `WorkingDirectory=${APP}`,
      'StateDirectory=xmr-pool',
      `EnvironmentFile=${ETC}/cloud.env`,
      `ExecStartPre=/bin/sh -c 'POOL_CONFIG_JSON="$(cat ${ETC}/pool-config.json)" exec /usr/bin/node bin/run-ts.mjs infra/runtime/stratum-config.ts ${ETC}/config.json'`,
      `ExecStart=/usr/bin/node bin/pool.mjs start --config ${ETC}/config.json --module pool`,
      'Restart=always',
      'RestartSec=5',
      'LimitNOFILE=1048576',
      'TimeoutStopSec=30',
      '[Install]',
      'WantedBy=multi-user.target',
      'POOL_UNIT_EOF',
      'systemctl daemon-reload',
      'systemctl enable --now xmr-pool-stratum.service',
    ]);
}

function s3Download(source: s3assets.Asset, localFile: string): string[] {
  const ud = ec2.UserData.forLinux();
  ud.addS3DownloadCommand({ bucket: source.bucket, bucketKey: source.s3ObjectKey, localFile });
  return ud
    .render()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#!'));
}
