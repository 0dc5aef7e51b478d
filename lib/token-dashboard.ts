// Dashboard rows for one token, drawn from the same metric objects the alarms watch, with the alarm
// thresholds as annotations.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Metric } from '../lambda/contract';
import { guardMetric } from './guard-metrics';
import { TokenAlarms } from './token-alarms';

export function addTokenWidgets(dashboard: cloudwatch.Dashboard, tokenName: string, alarms: TokenAlarms, expiryWarningDays: number): void {
  const period = Duration.minutes(15);
  const m = (name: (typeof Metric)[keyof typeof Metric], stat: string, label: string): cloudwatch.Metric => guardMetric(name, tokenName, stat, period).with({ label });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `## WhatsApp token \`${tokenName}\`\nEach alarm's description says what to do. Run \`npx --no-install whatsapp-token-guard check --token ${tokenName}\` for the full report.`,
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: `${tokenName}: alarms`, alarms: [alarms.unhealthy, ...Object.values(alarms.alarms)], width: 8, height: 6 }),
    new cloudwatch.GraphWidget({
      title: `${tokenName}: health (1 = good)`,
      left: [m(Metric.TokenValid, 'Minimum', 'TokenValid'), m(Metric.SystemUserToken, 'Minimum', 'SystemUserToken'), m(Metric.AssetAccess, 'Minimum', 'AssetAccess')],
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
}
