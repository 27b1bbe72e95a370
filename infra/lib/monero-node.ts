/**
 * Optional monero node (context `moneroNode: true`): one EC2 instance in a private subnet running monerod (pruned
 * blockchain) and monero-wallet-rpc from Debian's `monero` package, with the chain and the wallet on a separate
 * encrypted gp3 data volume mounted at /data (kept when the instance is replaced: deleteOnTermination false).
 *
 * - monerod: P2P out through the NAT gateway (no inbound P2P: the pool only needs to follow the chain and relay its
 *   blocks); RPC on 18081 reachable from the stratum nodes and the functions only (security group); ZMQ publisher
 *   (`--zmq-pub`, new-block pushes) on 18083 reachable from the stratum nodes only. Its ZMQ RPC stays on
 *   127.0.0.1:18084 (monerod's default 18082 would collide with the wallet RPC).
 * - monero-wallet-rpc: 18082, --rpc-login from the WalletRpc secret (read at each start), --trusted-daemon on the
 *   local monerod. It starts once the wallet file /data/wallet/pool exists: create or restore it once through
 *   Session Manager (docs/cloud.md "Monero node"), with its password in /data/wallet/pool.pass.
 * - monero-wallet-rpc for signature checks only: SIGNATURE_WALLET_RPC_PORT, --offline, no login, wallet dir
 *   /data/verify; the api function verifies payout-threshold signatures there (`verify` uses no keys) and creates
 *   its throwaway wallet on first use (functions/api/threshold-proof.ts). No funds, no keys of value: the payments
 *   wallet's login never reaches the internet-facing api function.
 * The instance has termination protection and detailed monitoring; replace it deliberately.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

export const DAEMON_RPC_PORT = 18081;
export const WALLET_RPC_PORT = 18082;
/** The verification-only monero-wallet-rpc (api.signatureWallet for the api function). */
export const SIGNATURE_WALLET_RPC_PORT = 18085;
export const DAEMON_ZMQ_PUB_PORT = 18083;
const DAEMON_ZMQ_RPC_PORT = 18084;

export interface MoneroNodeProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  instanceType: string;
  volumeGiB: number;
  amiParameter: string;
  walletSecret: secretsmanager.ISecret;
}

export class MoneroNode extends Construct {
  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: MoneroNodeProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'Sg', {
      vpc: props.vpc,
      description: 'monerod + wallet RPC: pool components only',
      allowAllOutbound: true,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Monero node: Session Manager and the wallet RPC login secret',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    props.walletSecret.grantRead(role);
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'Session Manager access for the one-time wallet setup and on-call (no SSH, no open port).',
    );

    const userData = ec2.UserData.forLinux();
    userData.addCommands(...bootScript(props.walletSecret.secretArn, Stack.of(this).region));
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      instanceType: new ec2.InstanceType(props.instanceType),
      machineImage: ec2.MachineImage.fromSsmParameter(props.amiParameter, { os: ec2.OperatingSystemType.LINUX }),
      securityGroup: this.securityGroup,
      role,
      userData,
      httpTokens: ec2.HttpTokens.REQUIRED,
      detailedMonitoring: true,
      disableApiTermination: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
        {
          deviceName: '/dev/sdf',
          volume: ec2.BlockDeviceVolume.ebs(props.volumeGiB, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: false,
          }),
        },
      ],
      userDataCausesReplacement: false,
    });
    acknowledge(
      this.instance,
      'AwsSolutions-EC26',
      'Both block devices are encrypted (asserted in test/infra.test.ts). cdk-nag 3.0.2 throws evaluating this rule for an instance without a launch template when the stack holds another launch template (the stratum one).',
    );
  }

  get privateIp(): string {
    return this.instance.instancePrivateIp;
  }

  /** monerod's ZMQ publisher address for the stratum nodes' daemon.zmq. */
  get zmqAddress(): string {
    return `tcp://${this.privateIp}:${DAEMON_ZMQ_PUB_PORT}`;
  }

  /** Lets `peer` subscribe to monerod's ZMQ publisher (the stratum nodes only). */
  allowZmqFrom(peer: ec2.IConnectable): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(DAEMON_ZMQ_PUB_PORT), 'monerod ZMQ publisher');
  }

  /** Lets `peer` call monerod's and the wallet's RPC. */
  allowRpcFrom(peer: ec2.IConnectable): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(DAEMON_RPC_PORT), 'monerod RPC');
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(WALLET_RPC_PORT), 'wallet RPC');
    this.securityGroup.connections.allowFrom(
      peer,
      ec2.Port.tcp(SIGNATURE_WALLET_RPC_PORT),
      'signature-check wallet RPC',
    );
  }
}

function bootScript(walletSecretArn: string, region: string): string[] {
  return [
    'set -euxo pipefail',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update -q',
    'apt-get install -y -q monero ca-certificates curl unzip jq',
    'if ! command -v aws >/dev/null; then curl -fsSL https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip -o /tmp/awscli.zip && unzip -q /tmp/awscli.zip -d /tmp && /tmp/aws/install; fi',
    `if ! systemctl list-unit-files | grep -q amazon-ssm-agent; then curl -fsSL "https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_amd64/amazon-ssm-agent.deb" -o /tmp/ssm.deb && dpkg -i /tmp/ssm.deb && systemctl enable --now amazon-ssm-agent; fi`,
    // The data volume: the one non-root disk; formatted only when it has no filesystem yet.
    'ROOT=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)")',
    'DATA=$(lsblk -dpno NAME,TYPE | awk -v r="/dev/$ROOT" \'$2=="disk" && $1!=r {print $1; exit}\')',
    'blkid "$DATA" || mkfs.ext4 -L monerodata "$DATA"',
    'mkdir -p /data && grep -q LABEL=monerodata /etc/fstab || echo "LABEL=monerodata /data ext4 defaults,nofail 0 2" >> /etc/fstab',
    'mount -a',
    'id monero >/dev/null 2>&1 || useradd --system --home-dir /data --shell /usr/sbin/nologin monero',
    'install -d -o monero -g monero -m 0750 /data/bitmonero /data/wallet /data/verify',
    "cat > /etc/systemd/system/monerod.service <<'UNIT_EOF'",
    '[Unit]',
    'Description=monerod (pool node)',
    'After=network-online.target',
    'Wants=network-online.target',
    '[Service]',
    'User=monero',
    'ExecStart=/usr/bin/monerod --non-interactive --data-dir /data/bitmonero --prune-blockchain --rpc-bind-ip 0.0.0.0 --rpc-bind-port 18081 --restricted-rpc --confirm-external-bind --no-igd --out-peers 32 --in-peers 0 ' +
      `--zmq-rpc-bind-ip 127.0.0.1 --zmq-rpc-bind-port ${DAEMON_ZMQ_RPC_PORT} --zmq-pub tcp://0.0.0.0:${DAEMON_ZMQ_PUB_PORT}`,
    'Restart=always',
    'RestartSec=10',
    'TimeoutStopSec=120',
    'LimitNOFILE=65536',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT_EOF',
    "cat > /usr/local/bin/monero-wallet-rpc-start <<'SCRIPT_EOF'",
    '#!/bin/sh',
    'set -eu',
    `LOGIN=$(aws secretsmanager get-secret-value --region ${region} --secret-id '${walletSecretArn}' --query SecretString --output text | jq -r '.username + ":" + .password')`,
    // the login goes in a 0600 config file, not on the command line (visible in ps)
    'umask 077',
    'printf "rpc-login=%s\\n" "$LOGIN" > /data/wallet/rpc.conf',
    'exec /usr/bin/monero-wallet-rpc --config-file /data/wallet/rpc.conf --wallet-file /data/wallet/pool --password-file /data/wallet/pool.pass --daemon-address 127.0.0.1:18081 --trusted-daemon --rpc-bind-ip 0.0.0.0 --rpc-bind-port 18082 --confirm-external-bind --non-interactive',
    'SCRIPT_EOF',
    'chmod 0755 /usr/local/bin/monero-wallet-rpc-start',
    "cat > /etc/systemd/system/monero-wallet-rpc.service <<'UNIT_EOF'",
    '[Unit]',
    'Description=monero-wallet-rpc (pool wallet)',
    'After=monerod.service',
    'ConditionPathExists=/data/wallet/pool',
    '[Service]',
    'User=monero',
    'ExecStart=/usr/local/bin/monero-wallet-rpc-start',
    'Restart=always',
    'RestartSec=10',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT_EOF',
    "cat > /etc/systemd/system/monero-wallet-rpc-verify.service <<'UNIT_EOF'",
    '[Unit]',
    'Description=monero-wallet-rpc for signature checks only (offline, throwaway wallet)',
    'After=network-online.target',
    '[Service]',
    'User=monero',
    `ExecStart=/usr/bin/monero-wallet-rpc --offline --wallet-dir /data/verify --rpc-bind-ip 0.0.0.0 --rpc-bind-port ${SIGNATURE_WALLET_RPC_PORT} --confirm-external-bind --disable-rpc-login --non-interactive --no-dns`,
    'Restart=always',
    'RestartSec=10',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT_EOF',
    'systemctl daemon-reload',
    'systemctl enable --now monerod.service',
    'systemctl enable --now monero-wallet-rpc-verify.service',
    'systemctl enable monero-wallet-rpc.service',
    'systemctl start monero-wallet-rpc.service || true',
  ];
}
