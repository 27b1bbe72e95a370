/**
 * Operations: one SNS topic every alarm (and Auto Scaling event) goes to, and the alarms on-call acts on:
 * - <fn>Errors: any Lambda error (an uncaught throw) in 5 minutes;
 * - <fn>Heartbeat: the function's success heartbeat (a CloudWatch metric the handler writes in Embedded Metric
 *   Format after a successful run; see shared/cloud/lambda.ts) is missing for the window. Missing data is
 *   breaching, so a function that stopped being invoked pages too;
 * - PayoutsHalted: the payments run reported a fail-stop (payouts stopped for an operator's review);
 * - StratumHealthyHosts: fewer than one healthy (live) stratum instance behind the load balancer for 3 minutes;
 * - StratumNotReady: a stratum node reported no fresh block template (StratumReady 0, published by each node every
 *   minute, see stratum-node/health-cloudwatch.ts) in 3 consecutive minutes. Readiness never replaces instances:
 *   miners keep mining the current job while on-call looks at monerod. Missing data is not breaching (no node
 *   running is StratumHealthyHosts' alarm).
 * Metric names: namespace `XmrPool/<stack>`, metrics Heartbeat and PayoutsHalted (dimension Function),
 * StratumReady and StratumTemplateAge (no dimension: one series for the fleet).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

export interface OperationsProps {
  /** CloudWatch namespace of the custom metrics. */
  metricsNamespace: string;
  alarmEmail?: string | undefined;
}

export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly namespace: string;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.namespace = props.metricsNamespace;
    this.topic = new sns.Topic(this, 'Alarms', { displayName: 'Pool alarms', enforceSSL: true });
    acknowledge(
      this.topic,
      'AwsSolutions-SNS2',
      'Alarm and scaling notifications carry no secrets. CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer key would have to trust the Auto Scaling service-linked role before it exists.',
    );
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new subs.EmailSubscription(props.alarmEmail));
    this.action = new actions.SnsAction(this.topic);
  }

  private wire(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }

  /** Any error of the function within 5 minutes. */
  functionErrors(id: string, fn: lambda.IFunction): cloudwatch.Alarm {
    return this.wire(
      fn
        .metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM })
        .createAlarm(this, `${id}Errors`, {
          alarmDescription: `${id}: the Lambda function threw. Logs: CloudWatch log group of the function; rerun by hand with npx pool invoke --aws.`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
  }

  heartbeatMetric(fnName: string, window: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: 'Heartbeat',
      dimensionsMap: { Function: fnName },
      statistic: cloudwatch.Stats.SUM,
      period: window,
    });
  }

  /** No successful run of `fnName` within `window` (missing data breaches). */
  missingHeartbeat(id: string, fnName: string, window: Duration): cloudwatch.Alarm {
    return this.wire(
      this.heartbeatMetric(fnName, window).createAlarm(this, `${id}Heartbeat`, {
        alarmDescription: `${id}: no successful ${fnName} run for ${window.toMinutes()} minutes. Check the function's logs and run it by hand (npx pool invoke --aws).`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );
  }

  /** The payer reported a fail-stop: payouts are halted until an operator resolves it. */
  payoutsHalted(): cloudwatch.Alarm {
    const metric = new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: 'PayoutsHalted',
      dimensionsMap: { Function: 'payments' },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(5),
    });
    return this.wire(
      metric.createAlarm(this, 'PayoutsHalted', {
        alarmDescription:
          'Payments are in fail-stop: an ambiguous payout needs review (docs/cloud.md runbook, "Payouts halted").',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Some stratum node not ready (stale block template) in 3 consecutive minutes. */
  stratumNotReady(): cloudwatch.Alarm {
    const metric = new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: 'StratumReady',
      statistic: cloudwatch.Stats.MINIMUM,
      period: Duration.minutes(1),
    });
    return this.wire(
      metric.createAlarm(this, 'StratumNotReady', {
        alarmDescription:
          'A stratum node has no fresh block template from monerod (GET /ready says why): miners keep their current job, blocks found meanwhile may be stale. Check monerod (docs/cloud.md runbook, "Stratum not ready").',
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Fewer than one healthy stratum target for 3 consecutive minutes. */
  healthyHosts(id: string, targetGroup: elbv2.NetworkTargetGroup): cloudwatch.Alarm {
    return this.wire(
      targetGroup.metrics
        .healthyHostCount({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MINIMUM })
        .createAlarm(this, id, {
          alarmDescription:
            'No healthy stratum instance behind the load balancer: miners cannot connect. Check the Auto Scaling group and the node logs.',
          threshold: 1,
          evaluationPeriods: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
    );
  }
}
