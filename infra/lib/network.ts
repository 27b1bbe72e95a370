/**
 * Network: one VPC over two Availability Zones, no lookups (the AZs resolve at deploy time with Fn::GetAZs, so
 * synth needs no account). Public subnets hold the network load balancer and the NAT gateway(s); private subnets
 * with egress hold the stratum instances, the Lambda functions, the cache and the optional monero node. Egress is
 * needed for Secrets Manager, Upstash, npm and Debian packages at instance boot. VPC flow logs (rejected traffic)
 * go to CloudWatch Logs.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  natGateways: number;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('RejectedTraffic', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
  }

  /** Where private workloads go. */
  get privateSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: 'private' };
  }
}
