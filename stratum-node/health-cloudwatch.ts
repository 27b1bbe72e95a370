/**
 * Publishes a stratum node's readiness to CloudWatch (poolServer.health.cloudwatchNamespace set; the CDK app sets it
 * to `XmrPool/<stack>` and alarms on StratumReady, see infra/lib/operations.ts).
 *
 * Data model: every `intervalMs` (60 s) one PutMetricData call in the namespace, no dimensions (the fleet is one
 * series; instances come and go):
 *   StratumReady        1 while the node is ready (health-state.ts), else 0   (Unit Count)
 *   StratumTemplateAge  seconds since monerod confirmed the template           (Unit Seconds; omitted before the first)
 * A failed call is logged as a warning and retried at the next tick; it never affects the node. Credentials and
 * region come from the AWS SDK's default chain (on EC2: the instance role and AWS_REGION).
 */
import type { CloudWatchClient, CloudWatchClientConfig, MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Logger } from 'pino';
import { errorMessage } from '../shared/errors.js';
import type { ReadinessSample } from './health-state.js';

export const READY_METRIC = 'StratumReady';
export const TEMPLATE_AGE_METRIC = 'StratumTemplateAge';

export interface MetricBatch {
  readonly namespace: string;
  readonly data: readonly MetricDatum[];
}

/** Sends one batch (the real one wraps CloudWatchClient.send(PutMetricDataCommand)). */
export type MetricSender = (batch: MetricBatch) => Promise<void>;

/**
 * The real sender; the SDK is loaded on first use, so a node without cloudwatchNamespace never loads it. `config`
 * defaults to the SDK's own chain (region, credentials, endpoint from the environment or the instance).
 */
export function cloudWatchSender(config: CloudWatchClientConfig = {}): MetricSender {
  let client: CloudWatchClient | null = null;
  return async (b) => {
    const sdk = await import('@aws-sdk/client-cloudwatch');
    client ??= new sdk.CloudWatchClient(config);
    await client.send(new sdk.PutMetricDataCommand({ Namespace: b.namespace, MetricData: [...b.data] }));
  };
}

/** The data points of one readiness sample. */
export function readinessData(s: ReadinessSample, at: Date): MetricDatum[] {
  const data: MetricDatum[] = [{ MetricName: READY_METRIC, Value: s.ready ? 1 : 0, Unit: 'Count', Timestamp: at }];
  if (s.age !== null)
    data.push({ MetricName: TEMPLATE_AGE_METRIC, Value: Math.round(s.age), Unit: 'Seconds', Timestamp: at });
  return data;
}

export interface PublisherOptions {
  readonly namespace: string;
  readonly health: { sample(): ReadinessSample };
  readonly log: Logger;
  readonly sender?: MetricSender;
  readonly intervalMs?: number;
}

export function startCloudWatchPublisher(o: PublisherOptions): { tick(): Promise<void>; stop(): void } {
  const send = o.sender ?? cloudWatchSender();
  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      await send({ namespace: o.namespace, data: readinessData(o.health.sample(), new Date()) });
    } catch (e) {
      o.log.warn({ err: errorMessage(e), namespace: o.namespace }, 'publishing readiness to CloudWatch failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), o.intervalMs ?? 60_000);
  timer.unref();
  void tick();
  return {
    tick,
    stop: () => clearInterval(timer),
  };
}
