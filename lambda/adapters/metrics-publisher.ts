// Publishes the contract's metrics as Embedded Metric Format through Powertools (no PutMetricData calls).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { APP_ID_DIMENSION, AppMetricName, METRIC_UNIT, MetricName, NAMESPACE, TOKEN_NAME_DIMENSION } from '../contract';

export class MetricsPublisher {
  private readonly metrics: Metrics;

  constructor(metrics?: Metrics) {
    this.metrics = metrics ?? new Metrics({ namespace: NAMESPACE });
    // Powertools adds a `service` dimension by default; alarms match the exact dimension set, which is
    // TokenName alone, so drop it.
    this.metrics.clearDefaultDimensions();
  }

  /** One EMF line carrying every value, under the single dimension TokenName. */
  publish(tokenName: string, values: Partial<Record<MetricName, number>>): void {
    const entries = Object.entries(values).filter((e): e is [MetricName, number] => typeof e[1] === 'number' && Number.isFinite(e[1]));
    if (entries.length === 0) return;
    this.metrics.addDimension(TOKEN_NAME_DIMENSION, tokenName);
    for (const [name, value] of entries) this.metrics.addMetric(name, METRIC_UNIT[name] === 'None' ? MetricUnit.NoUnit : MetricUnit.Count, value);
    this.metrics.publishStoredMetrics();
  }

  /** One EMF line for a metric about the Meta app (not a token), under the single dimension AppId. */
  publishForApp(appId: string, name: AppMetricName, percent: number): void {
    if (!Number.isFinite(percent)) return;
    this.metrics.addDimension(APP_ID_DIMENSION, appId);
    this.metrics.addMetric(name, MetricUnit.Percent, percent);
    this.metrics.publishStoredMetrics();
  }
}
