// Dashboard rows for one token, drawn from the same metric objects the alarms watch, with the alarm
// thresholds as annotations, and the checker function's own health (the "no check reported" runbook
// sends you there).
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Metric } from '../lambda/contract';
import { guardMetric } from './guard-metrics';
import { TokenAlarms } from './token-alarms';

export interface TokenWidgetsOptions {
  readonly tokenName: string;
  readonly alarms: TokenAlarms;
  readonly expiryWarningDays: number;
  /** Whether the token has asset probes (wabaId/phoneNumberId): only then is AssetAccess emitted. */
  readonly assetProbes: boolean;
  /** The checker/rotation function: errors, throttles and duration. */
  readonly checker: lambda.IFunction;
}

export function addTokenWidgets(dashboard: cloudwatch.Dashboard, o: TokenWidgetsOptions): void {
  const { tokenName, alarms, expiryWarningDays } = o;
  const period = Duration.minutes(15);
  const m = (name: (typeof Metric)[keyof typeof Metric], stat: string, label: string): cloudwatch.Metric => guardMetric(name, tokenName, stat, period).with({ label });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `## WhatsApp token \`${tokenName}\`\nEach alarm's description says what to do. Run \`npx --no-install whatsapp-token-guard check --token ${tokenName}\` for the full report.`,
      width: 24,
      height: 2,
    }),
  );
  const health = [m(Metric.TokenValid, 'Minimum', 'TokenValid'), m(Metric.SystemUserToken, 'Minimum', 'SystemUserToken')];
  if (o.assetProbes) health.push(m(Metric.AssetAccess, 'Minimum', 'AssetAccess'));
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: `${tokenName}: alarms`, alarms: Object.values(alarms.alarms), width: 8, height: 6 }),
    new cloudwatch.GraphWidget({
      title: `${tokenName}: health (1 = good)`,
      left: health,
      leftYAxis: { min: 0, max: 1.1 },
      width: 8,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: `${tokenName}: days until expiry`,
      left: [m(Metric.DaysUntilExpiry, 'Minimum', 'DaysUntilExpiry')],
      leftAnnotations: [{ value: expiryWarningDays, label: `warning at ${expiryWarningDays} days`, color: '#d62728' }],
      leftYAxis: { min: 0 },
      width: 8,
      height: 6,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: `${tokenName}: problems (0 = good)`,
      left: [m(Metric.MissingScopes, 'Maximum', 'MissingScopes'), m(Metric.CheckFailed, 'Maximum', 'CheckFailed')],
      leftYAxis: { min: 0 },
      width: 12,
      height: 5,
    }),
    new cloudwatch.GraphWidget({
      title: `${tokenName}: rotations`,
      left: [guardMetric(Metric.RotationSucceeded, tokenName, 'Sum', Duration.days(1)).with({ label: 'RotationSucceeded' }), guardMetric(Metric.RotationFailed, tokenName, 'Sum', Duration.days(1)).with({ label: 'RotationFailed' })],
      stacked: true,
      leftYAxis: { min: 0 },
      width: 12,
      height: 5,
    }),
  );
  // Lambda's own metrics (AWS/Lambda, FunctionName): what to look at when no check reports.
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: `${tokenName}: checker invocations, errors and throttles`,
      left: [
        o.checker.metricInvocations({ period, statistic: 'Sum', label: 'Invocations' }),
        o.checker.metricErrors({ period, statistic: 'Sum', label: 'Errors' }),
        o.checker.metricThrottles({ period, statistic: 'Sum', label: 'Throttles' }),
      ],
      leftYAxis: { min: 0 },
      width: 12,
      height: 5,
    }),
    new cloudwatch.GraphWidget({
      title: `${tokenName}: checker duration (ms)`,
      left: [o.checker.metricDuration({ period, statistic: 'Average', label: 'Average' }), o.checker.metricDuration({ period, statistic: 'Maximum', label: 'Maximum' })],
      leftYAxis: { min: 0 },
      width: 12,
      height: 5,
    }),
  );
}
