/**
 * The pool, one stack, read top to bottom: network -> operations (alarm topic) -> secrets -> data (Redis) ->
 * optional monero node -> stratum (EC2 + NLB) -> functions (Lambda + schedules) -> website/API edge (CloudFront)
 * -> alarms -> outputs. Environment-agnostic (no account or region at synth); every deploy-time choice is a
 * context value (settings.ts) or a CloudFormation parameter (daemon and wallet RPC addresses).
 */
import { CfnOutput, CfnParameter, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ADMIN_ROUTES, PUBLIC_ROUTES, WRITE_ROUTE } from '../../functions/api/app.js';
import { CLOUD_ENV } from '../../shared/cloud/env.js';
import { PoolData } from './data.js';
import { PoolFunctions, type RpcEndpoints } from './functions.js';
import { DAEMON_RPC_PORT, MoneroNode, SIGNATURE_WALLET_RPC_PORT, WALLET_RPC_PORT } from './monero-node.js';
import { Network } from './network.js';
import { Operations } from './operations.js';
import { PoolSecrets } from './secrets.js';
import type { DeploySettings } from './settings.js';
import { Stratum } from './stratum.js';
import { Website } from './website.js';

export interface PoolStackProps extends StackProps {
  settings: DeploySettings;
}

export class PoolStack extends Stack {
  readonly network: Network;
  readonly ops: Operations;
  readonly data: PoolData;
  readonly stratum: Stratum;
  readonly functions: PoolFunctions;
  readonly website: Website;
  readonly moneroNode?: MoneroNode;

  constructor(scope: Construct, id: string, props: PoolStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const prefix = this.stackName;
    const configJson = JSON.stringify(s.poolConfigObject);
    if (configJson.length > 3000) {
      throw new Error(
        `the pool config file is ${configJson.length} bytes as JSON; Lambda environments hold 4 KB in total: drop comments-only sections and defaults`,
      );
    }

    this.network = new Network(this, 'Network', { natGateways: s.natGateways });
    const { vpc } = this.network;
    const subnets = this.network.privateSubnets;
    const metricsNamespace = `XmrPool/${prefix}`;
    this.ops = new Operations(this, 'Operations', { metricsNamespace, alarmEmail: s.alarmEmail });
    const secrets = new PoolSecrets(this, 'Secrets', { namePrefix: prefix });
    this.data = new PoolData(this, 'Data', {
      vpc,
      subnets,
      storage: s.storage,
      namePrefix: prefix,
      upstashSecretName: s.upstashSecretName ?? `${prefix}/upstash`,
    });

    // Daemon and wallet RPC: the monero node's private address, or CloudFormation parameters.
    let rpc: RpcEndpoints;
    let daemonZmq: string;
    if (s.moneroNode) {
      this.moneroNode = new MoneroNode(this, 'MoneroNode', {
        vpc,
        subnets,
        instanceType: s.moneroNodeInstanceType,
        volumeGiB: s.moneroNodeVolumeGiB,
        amiParameter: s.stratumAmiParameter,
        walletSecret: secrets.walletRpc,
      });
      const ip = this.moneroNode.privateIp;
      rpc = {
        daemonHost: ip,
        daemonPort: String(DAEMON_RPC_PORT),
        walletHost: ip,
        walletPort: String(WALLET_RPC_PORT),
        signatureWalletHost: ip,
        signatureWalletPort: String(SIGNATURE_WALLET_RPC_PORT),
      };
      daemonZmq = this.moneroNode.zmqAddress;
    } else {
      const param = (
        name: string,
        description: string,
        value: string | number | undefined,
        type: 'String' | 'Number',
      ): string =>
        new CfnParameter(this, name, { type, description, ...(value !== undefined ? { default: String(value) } : {}) })
          .valueAsString;
      rpc = {
        daemonHost: param(
          'DaemonHost',
          'monerod RPC host (private IP or DNS name reachable from the VPC)',
          s.daemonHost,
          'String',
        ),
        daemonPort: param('DaemonPort', 'monerod RPC port', s.daemonPort ?? s.pool.daemon.port, 'Number'),
        walletHost: param(
          'WalletHost',
          'monero-wallet-rpc host (private IP or DNS name reachable from the VPC)',
          s.walletHost,
          'String',
        ),
        walletPort: param('WalletPort', 'monero-wallet-rpc port', s.walletPort ?? s.pool.wallet.port, 'Number'),
      };
      daemonZmq = param(
        'DaemonZmq',
        'monerod ZMQ publisher for new-block pushes, tcp://HOST:PORT (monerod --zmq-pub); empty = poll only',
        s.daemonZmq ?? s.pool.daemon.zmq ?? '',
        'String',
      );
    }

    this.stratum = new Stratum(this, 'Stratum', {
      vpc,
      subnets,
      ports: s.stratumPorts,
      healthPort: s.healthPort,
      instanceType: s.stratumInstanceType,
      minInstances: s.stratumMinInstances,
      maxInstances: s.stratumMaxInstances,
      amiParameter: s.stratumAmiParameter,
      tlsCertificateArn: s.tlsCertificateArn,
      // the wallet address (not its login) is there for on-call's `pool payments status|resume` on an instance
      env: {
        ...this.data.env(),
        [CLOUD_ENV.daemonHost]: rpc.daemonHost,
        [CLOUD_ENV.daemonPort]: rpc.daemonPort,
        [CLOUD_ENV.walletHost]: rpc.walletHost,
        [CLOUD_ENV.walletPort]: rpc.walletPort,
      },
      configJson,
      topic: this.ops.topic,
      // the load balancer's nodes sit in the public subnets: only they may send PROXY headers
      proxyProtocolFrom: vpc.publicSubnets.map((sn) => sn.ipv4CidrBlock),
      metricsNamespace,
      daemonZmq,
    });
    this.data.grantAccess(this.stratum.securityGroup, this.stratum.role);

    this.functions = new PoolFunctions(this, 'Functions', {
      vpc,
      subnets,
      data: this.data,
      rpc,
      walletSecret: secrets.walletRpc,
      adminSecret: secrets.adminToken,
      configJson,
      metricsNamespace,
      paymentsEveryMinutes: s.paymentsEveryMinutes,
      paymentsTimeoutSeconds: s.paymentsTimeoutSeconds,
      paymentsEnabled: s.pool.payments.enabled,
      unlockerEnabled: s.pool.blockUnlocker.enabled,
      apiReservedConcurrency: s.apiReservedConcurrency,
    });
    this.moneroNode?.allowRpcFrom(this.stratum.securityGroup);
    this.moneroNode?.allowZmqFrom(this.stratum.securityGroup);
    this.moneroNode?.allowRpcFrom(this.functions.securityGroup);

    const poolHost = s.stratumDomainName ?? this.stratum.nlb.loadBalancerDnsName;
    this.website = new Website(this, 'Website', {
      distDir: s.websiteDistPath,
      apiUrl: this.functions.apiUrl,
      routes: { public: PUBLIC_ROUTES, admin: ADMIN_ROUTES, write: WRITE_ROUTE },
      poolHost,
      siteFields: {
        coinUnits: s.pool.coinUnits.toString(),
        symbol: s.pool.symbol,
        network: s.pool.network,
        liveMode: 'poll',
        refreshSeconds: Math.max(10, s.pool.api.updateInterval),
      },
      domainName: s.domainName,
      domainCertificateArn: s.domainCertificateArn,
    });

    // Alarms.
    for (const [name, fn] of [
      ['Api', this.functions.api],
      ['Unlocker', this.functions.unlocker],
      ['Payments', this.functions.payments],
      ['Stats', this.functions.stats],
    ] as const) {
      this.ops.functionErrors(name, fn);
    }
    if (s.pool.blockUnlocker.enabled)
      this.ops.missingHeartbeat('Unlocker', 'unlocker', Duration.minutes(s.unlockerHeartbeatMinutes));
    this.ops.missingHeartbeat('Stats', 'stats', Duration.minutes(s.statsHeartbeatMinutes));
    if (s.pool.payments.enabled) {
      this.ops.missingHeartbeat(
        'Payments',
        'payments',
        Duration.minutes(Math.min(1440, s.paymentsEveryMinutes * s.paymentsHeartbeatIntervals)),
      );
      this.ops.payoutsHalted();
    }
    for (const [port, tg] of this.stratum.targetGroups) this.ops.healthyHosts(`StratumHealthyHosts${port}`, tg);
    this.ops.stratumNotReady();

    // Outputs (docs/cloud.md: what each is for).
    const out = (id: string, value: string, description: string): CfnOutput =>
      new CfnOutput(this, id, { value, description });
    out('StratumHost', poolHost, 'Stratum host for miners (CNAME your pool name to StratumLoadBalancerDns)');
    out(
      'StratumLoadBalancerDns',
      this.stratum.nlb.loadBalancerDnsName,
      'DNS name of the stratum network load balancer',
    );
    out(
      'StratumPorts',
      s.stratumPorts
        .filter((p) => p.protocol === 'TCP')
        .map((p) => `${p.listen}:${p.difficulty}`)
        .join(','),
      'Plain TCP stratum ports (port:difficulty)',
    );
    out(
      'StratumTlsPorts',
      s.stratumPorts
        .filter((p) => p.protocol === 'TLS')
        .map((p) => `${p.listen}->${p.target}`)
        .join(',') || 'none',
      'TLS stratum ports terminated on the load balancer (listen->pool port)',
    );
    out('WebsiteUrl', this.website.url, 'The pool website');
    out('ApiUrl', this.website.url, 'API base URL (same origin as the website, e.g. <ApiUrl>/stats)');
    out('WebsiteBucket', this.website.bucket.bucketName, 'Bucket holding the website');
    out('DistributionId', this.website.distribution.distributionId, 'CloudFront distribution (website + API)');
    out('ApiFunctionName', this.functions.api.functionName, 'API Lambda function');
    out(
      'UnlockerFunctionName',
      this.functions.unlocker.functionName,
      'npx pool invoke unlocker --aws --function-name <this>',
    );
    out(
      'PaymentsFunctionName',
      this.functions.payments.functionName,
      'npx pool invoke payments --aws --function-name <this> [--dry-run]',
    );
    out('StatsFunctionName', this.functions.stats.functionName, 'npx pool invoke stats --aws --function-name <this>');
    out('AlarmTopicArn', this.ops.topic.topicArn, 'SNS topic of every alarm (subscribe on-call here)');
    out('WalletRpcSecretArn', secrets.walletRpc.secretArn, 'monero-wallet-rpc login {username, password}');
    out('AdminTokenSecretArn', secrets.adminToken.secretArn, 'Admin API token {token}');
    out(
      'StorageSecret',
      this.data.storage === 'upstash' ? this.data.secret.secretName : this.data.secret.secretArn,
      'Redis credentials (Valkey password, or the Upstash secret to create)',
    );
    if (this.data.cache)
      out(
        'RedisEndpoint',
        this.data.cache.attrEndpointAddress,
        'ElastiCache Serverless Valkey endpoint (TLS, port 6379)',
      );
    if (this.moneroNode)
      out('MoneroNodeInstanceId', this.moneroNode.instance.instanceId, 'Monero node instance (Session Manager target)');
  }
}
