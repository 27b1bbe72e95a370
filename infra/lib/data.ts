/**
 * Data: the pool's one Redis, chosen by the context value `storage`:
 * - "valkey": ElastiCache Serverless (engine valkey 8) in the private subnets. In-transit encryption is always on;
 *   AUTH through an RBAC user group whose "default" user has a generated password (secret `<prefix>/valkey`
 *   {password}), so the pool's plain `AUTH <password>` (config.redis.auth) works. A serverless cache is a
 *   cluster-mode endpoint, so every module connects with a cluster client (POOL_REDIS_CLUSTER=true -> redis.cluster)
 *   and every key carries the `{coin}:` hash tag (shared/redis/keys.ts), so Lua scripts and MULTI/EXEC stay in one slot. Only the stratum instances and the functions may connect (security group).
 * - "upstash": nothing is created; the secret `upstashSecretName` (created by the operator, docs/cloud.md) holds
 *   {restUrl, restToken, redisHost, redisPort, redisPassword}: Lambdas use REST (@upstash/redis), the stratum node
 *   the TLS Redis endpoint.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CLOUD_ENV } from '../../shared/cloud/env.js';
import { acknowledge } from './nag.js';
import { NO_ROTATION } from './secrets.js';

export interface PoolDataProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  storage: 'valkey' | 'upstash';
  /** Lower-case prefix for resource names (ElastiCache ids are lower case). */
  namePrefix: string;
  upstashSecretName: string;
}

export class PoolData extends Construct {
  readonly storage: 'valkey' | 'upstash';
  readonly secret: secretsmanager.ISecret;
  /** Present for "valkey": who may connect. */
  readonly connections?: ec2.Connections;
  readonly cache?: elasticache.CfnServerlessCache;

  constructor(scope: Construct, id: string, props: PoolDataProps) {
    super(scope, id);
    this.storage = props.storage;
    if (props.storage === 'upstash') {
      this.secret = secretsmanager.Secret.fromSecretNameV2(this, 'Upstash', props.upstashSecretName);
      return;
    }
    const name = props.namePrefix.toLowerCase();
    const secret = new secretsmanager.Secret(this, 'ValkeyPassword', {
      secretName: `${props.namePrefix}/valkey`,
      description: 'Password of the Valkey "default" user {password}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
    acknowledge(secret, 'AwsSolutions-SMG4', NO_ROTATION);
    this.secret = secret;

    const user = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: 'valkey',
      userId: `${name}-default`,
      userName: 'default',
      accessString: 'on ~* +@all',
      authenticationMode: { Type: 'password', Passwords: [secret.secretValueFromJson('password').unsafeUnwrap()] },
    });
    const group = new elasticache.CfnUserGroup(this, 'Users', {
      engine: 'valkey',
      userGroupId: `${name}-users`,
      userIds: [user.userId],
    });
    group.addResourceDependency(user);

    const sg = new ec2.SecurityGroup(this, 'CacheSg', {
      vpc: props.vpc,
      description: 'Valkey: stratum and functions only',
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [sg], defaultPort: ec2.Port.tcpRange(6379, 6380) });
    this.cache = new elasticache.CfnServerlessCache(this, 'Cache', {
      serverlessCacheName: `${name}-redis`,
      description: `Pool storage for ${Stack.of(this).stackName}`,
      engine: 'valkey',
      majorEngineVersion: '8',
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
      securityGroupIds: [sg.securityGroupId],
      userGroupId: group.userGroupId,
      cacheUsageLimits: { dataStorage: { maximum: 5, unit: 'GB' }, ecpuPerSecond: { maximum: 15000 } },
      dailySnapshotTime: '04:00',
      snapshotRetentionLimit: 7,
    });
    this.cache.addResourceDependency(group);
  }

  /** Environment for a Lambda function or the stratum boot script (shared/cloud/env.ts). */
  env(): Record<string, string> {
    if (this.storage === 'upstash')
      return { [CLOUD_ENV.storage]: 'upstash', [CLOUD_ENV.upstashSecret]: this.secret.secretName };
    const cache = this.cache!;
    return {
      [CLOUD_ENV.storage]: 'redis',
      [CLOUD_ENV.redisHost]: cache.attrEndpointAddress,
      [CLOUD_ENV.redisPort]: cache.attrEndpointPort,
      [CLOUD_ENV.redisTls]: 'true',
      [CLOUD_ENV.redisCluster]: 'true',
      [CLOUD_ENV.redisSecret]: this.secret.secretArn,
    };
  }

  /** Lets `peer` reach the cache and read the storage secret. */
  grantAccess(peer: ec2.IConnectable, principal: iam.IGrantable): void {
    this.connections?.allowDefaultPortFrom(peer, 'pool storage');
    this.secret.grantRead(principal);
  }
}
