// CloudWatch metric objects for the contract's metrics. Alarms and the dashboard both build on these, so
// what they watch is exactly what the Lambda emits: namespace, name, the single TokenName dimension, unit.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_UNIT, MetricName, NAMESPACE, TOKEN_NAME_DIMENSION } from '../lambda/contract';

export function guardMetric(metricName: MetricName, tokenName: string, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: NAMESPACE,
    metricName,
    dimensionsMap: { [TOKEN_NAME_DIMENSION]: tokenName },
    statistic,
    period,
    unit: METRIC_UNIT[metricName] === 'None' ? cloudwatch.Unit.NONE : cloudwatch.Unit.COUNT,
  });
}
