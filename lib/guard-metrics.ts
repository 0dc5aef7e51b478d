// CloudWatch metric objects for the contract's metrics. Alarms and the dashboard both build on these, so
// what they watch is exactly what the Lambda emits: namespace, name, the single TokenName dimension, unit.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { APP_ID_DIMENSION, AppMetric, METRIC_UNIT, MetricName, NAMESPACE, TOKEN_NAME_DIMENSION } from '../lambda/contract';

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

/**
 * The statistic that answers "what happened in this period" for each metric, as a user's own alarm or graph would
 * want it: counts (one sample per event or per check) add up; gauges (one reading per check) show their worst reading.
 */
export const GUARD_METRIC_STATISTIC: { readonly [m in MetricName]: 'Sum' | 'Minimum' | 'Maximum' } = {
  TokenValid: 'Minimum',
  DaysUntilExpiry: 'Minimum',
  MissingScopes: 'Maximum',
  SystemUserToken: 'Minimum',
  AssetAccess: 'Minimum',
  CheckFailed: 'Sum',
  RotationSucceeded: 'Sum',
  RotationFailed: 'Sum',
  NotificationFailed: 'Sum',
  RevokeFailed: 'Sum',
};

/** The one metric of the Meta app rather than a token: dimension AppId, unit Percent. */
export function graphUsageMetric(appId: string, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: NAMESPACE,
    metricName: AppMetric.GraphUsagePercent,
    dimensionsMap: { [APP_ID_DIMENSION]: appId },
    statistic,
    period,
    unit: cloudwatch.Unit.PERCENT,
  });
}
