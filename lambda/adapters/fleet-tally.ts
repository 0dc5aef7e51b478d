// Counts a fleet function's work and publishes it as one EMF line per invocation, under the single dimension
// Fleet (Powertools Metrics, no PutMetricData). Sum over the sweep interval is the sweep's count; no metric
// carries a token's name.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FLEET_DIMENSION, FLEET_METRIC_UNIT, FleetMetricName, NAMESPACE } from '../contract';

const UNIT = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds, Percent: MetricUnit.Percent } as const;
/** Published as Maximum-style values, not sums. */
const PEAKS: ReadonlySet<FleetMetricName> = new Set(['SweepDuration', 'AppUsagePercent']);

export class FleetTally {
  private counts = new Map<FleetMetricName, number>();
  private readonly metrics: Metrics;

  constructor(
    private readonly fleet: string,
    metrics?: Metrics,
  ) {
    this.metrics = metrics ?? new Metrics({ namespace: NAMESPACE });
    // Alarms match the exact dimension set, which is Fleet alone: drop Powertools' default `service` dimension.
    this.metrics.clearDefaultDimensions();
  }

  add(name: FleetMetricName, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }

  peak(name: FleetMetricName, value: number): void {
    if (Number.isFinite(value)) this.counts.set(name, Math.max(this.counts.get(name) ?? -Infinity, value));
  }

  /** What was counted since the last flush (for logs, the bench and tests). */
  snapshot(): Partial<Record<FleetMetricName, number>> {
    return Object.fromEntries(this.counts);
  }

  /** One EMF line with every count (zeros included, so the dashboard shows a sweep that found nothing wrong), then reset. */
  flush(zeros: readonly FleetMetricName[] = []): void {
    for (const z of zeros) if (!this.counts.has(z)) this.counts.set(z, 0);
    if (this.counts.size === 0) return;
    this.metrics.addDimension(FLEET_DIMENSION, this.fleet);
    for (const [name, value] of this.counts) this.metrics.addMetric(name, UNIT[FLEET_METRIC_UNIT[name]], PEAKS.has(name) ? Math.round(value) : value);
    this.metrics.publishStoredMetrics();
    this.counts = new Map();
  }
}
