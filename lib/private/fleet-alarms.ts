// The fleet's alarms and dashboard: a fixed set on aggregate metrics under the single Fleet dimension, whatever the
// number of tokens (each dimension set is a custom metric billed monthly, each alarm $0.10). Which token is broken and
// why travels in the ledger and the events, not in a metric.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FLEET_DIMENSION, FLEET_METRIC_UNIT, FleetMetricName, NAMESPACE } from '../../lambda/contract';

const UNIT: Record<'Count' | 'Seconds' | 'Percent', cloudwatch.Unit> = { Count: cloudwatch.Unit.COUNT, Seconds: cloudwatch.Unit.SECONDS, Percent: cloudwatch.Unit.PERCENT };

/** A fleet metric: dimension Fleet = the fleet's id `<stack>/<fleet>`, so fleets of one name in two stacks never share a metric. */
export function fleetMetric(fleetId: string, name: FleetMetricName, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: NAMESPACE, metricName: name, dimensionsMap: { [FLEET_DIMENSION]: fleetId }, statistic, period, unit: UNIT[FLEET_METRIC_UNIT[name]] });
}

/** Ids of the fleet's alarms; part of the contract (alarm names and the README runbooks use them). */
export const FleetAlarmId = {
  Unhealthy: 'FleetTokensUnhealthy',
  Expiring: 'FleetTokensExpiring',
  SweepIncomplete: 'FleetSweepIncomplete',
  NoSweep: 'FleetNoSweep',
  DeadLetters: 'FleetDeadLetters',
} as const;
export type FleetAlarmIdValue = (typeof FleetAlarmId)[keyof typeof FleetAlarmId];

export interface FleetAlarmsProps {
  readonly fleetName: string;
  /** `<stack>/<fleet>`: the metrics' dimension and part of every alarm name. */
  readonly fleetId: string;
  readonly secretNamePrefix: string;
  readonly sweepIntervalMinutes: number;
  readonly plannerEveryMinutes: number;
  readonly deadLetterQueue: sqs.IQueue;
  readonly topic: sns.ITopic;
  readonly workerLogGroup?: logs.ILogGroup;
  /** A dashboard to add the widgets to, true for a new one, false for none. */
  readonly dashboard: boolean | cloudwatch.Dashboard;
  readonly dashboardName?: string;
}

const CLI = 'npx --no-install whatsapp-token-guard';
/** FleetNoSweep fires after this many planner periods in a row without a run. */
export const NO_SWEEP_PERIODS = 2;

/** `whatsapp-token-guard-fleet/<stack>/<fleet>/<AlarmId>`: unique per account and region like the fleet's id. */
export function fleetAlarmName(fleetId: string, alarmId: FleetAlarmIdValue): string {
  return `whatsapp-token-guard-fleet/${fleetId}/${alarmId}`;
}

export class FleetAlarms extends Construct {
  readonly alarms: Readonly<Record<FleetAlarmIdValue, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: FleetAlarmsProps) {
    super(scope, id);
    const f = props.fleetId;
    const [stack, fleet] = [props.fleetId.slice(0, props.fleetId.length - props.fleetName.length - 1), props.fleetName];
    const list = `${CLI} fleet list --stack ${stack} --fleet ${fleet}`;
    const interval = Duration.minutes(props.sweepIntervalMinutes);
    const m = (name: FleetMetricName, statistic = 'Sum', period = interval) => fleetMetric(f, name, statistic, period);
    const action = new actions.SnsAction(props.topic);
    const alarm = (alarmId: FleetAlarmIdValue, p: Omit<cloudwatch.AlarmProps, 'alarmName'>): cloudwatch.Alarm => {
      // Alarm names are unique per account and region: the fleet's id (stack and fleet) keeps two stacks' apart.
      const a = new cloudwatch.Alarm(this, alarmId, { ...p, alarmName: fleetAlarmName(props.fleetId, alarmId) });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };

    const unhealthy = alarm(FleetAlarmId.Unhealthy, {
      metric: m('TokensUnhealthy'),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Fleet "${f}": at least one token was unhealthy in the last sweep (invalid, expired, wrong app, missing permissions, no asset access, or bad settings tags). What to do: run \`${list} --status unhealthy\` to see which client's token and the fix for each; the health events carry the same cause and fix per token.`,
    });
    const expiring = alarm(FleetAlarmId.Expiring, {
      metric: m('TokensExpiring'),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Fleet "${f}": at least one token expires within its warning window. What to do: run \`${list} --sort expiry\`; rotate those tokens (refresh/mint: \`aws secretsmanager rotate-secret --secret-id ${props.secretNamePrefix}NAME\`; hand-made: generate a new token in Business Manager and hand it in with \`${CLI} fleet set-token NAME --stack ${stack} --fleet ${fleet}\`).`,
    });
    // Planned vs checked over two intervals: checks delayed past an interval boundary even out across the two.
    const completion = new cloudwatch.MathExpression({
      expression: 'IF(planned > 0, 100 * checked / planned, 100)',
      usingMetrics: { planned: m('TokensPlanned', 'Sum', Duration.minutes(props.sweepIntervalMinutes * 2)), checked: m('TokensChecked', 'Sum', Duration.minutes(props.sweepIntervalMinutes * 2)) },
      period: Duration.minutes(props.sweepIntervalMinutes * 2),
      label: 'Checked / planned (%)',
    });
    const sweepIncomplete = alarm(FleetAlarmId.SweepIncomplete, {
      metric: completion,
      threshold: 90,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Fleet "${f}": fewer than 90% of the tokens queued in the last two sweeps were checked (worker errors, Meta rate limits pausing the sweep, or a backlog). What to do: check the worker's errors and the RateLimited and AppUsagePercent metrics on the fleet dashboard; a Meta rate limit clears on its own, a worker error is in its log group.`,
    });
    // One datapoint per planner period: two periods in a row without a run is what the runbook calls "two of its periods".
    const plannerPeriod = Duration.minutes(props.plannerEveryMinutes);
    const noSweep = alarm(FleetAlarmId.NoSweep, {
      metric: m('SweepRuns', 'Sum', plannerPeriod),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: NO_SWEEP_PERIODS,
      datapointsToAlarm: NO_SWEEP_PERIODS,
      // A dead planner publishes nothing: a gap must page.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      alarmDescription: `Fleet "${f}": the planner has not run for two of its periods (${NO_SWEEP_PERIODS * props.plannerEveryMinutes} minutes), so no token is being checked. What to do: check the EventBridge Scheduler schedule of the fleet (enabled, target) and the planner function's errors in its log group.`,
    });
    const deadLetters = alarm(FleetAlarmId.DeadLetters, {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Fleet "${f}": checks failed on every retry and are in the dead-letter queue (each message names its token; no token value is in it). What to do: run \`${list} --status check-failed\` for the causes; once fixed (or once Meta is back), redrive the queue from the SQS console ("Start DLQ redrive") or let the next sweep check them.`,
    });
    this.alarms = { [FleetAlarmId.Unhealthy]: unhealthy, [FleetAlarmId.Expiring]: expiring, [FleetAlarmId.SweepIncomplete]: sweepIncomplete, [FleetAlarmId.NoSweep]: noSweep, [FleetAlarmId.DeadLetters]: deadLetters };

    if (!props.dashboard) return;
    const dashboard = props.dashboard instanceof cloudwatch.Dashboard ? props.dashboard : new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: `Fleet ${f}: alarms`, alarms: Object.values(this.alarms), width: 24, height: 3 }),
      new cloudwatch.GraphWidget({
        title: 'Tokens per sweep',
        left: [m('TokensPlanned'), m('TokensChecked'), m('TokensUnhealthy'), m('TokensExpiring'), m('CheckFailures'), m('RateLimited')],
        leftAnnotations: [{ value: 0, label: 'unhealthy alarm above 0' }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Sweep duration and Meta usage',
        left: [m('SweepDuration', 'Maximum')],
        leftAnnotations: [{ value: props.sweepIntervalMinutes * 60, label: 'interval' }],
        right: [m('AppUsagePercent', 'Maximum')],
        rightAnnotations: [{ value: 60, label: 'slows from' }, { value: 80, label: 'debug_token alone from' }, { value: 90, label: 'pauses from' }],
        width: 12,
      }),
    );
    if (props.workerLogGroup) {
      // The worst tokens come from the worker's own check lines: no per-token metric needed.
      dashboard.addWidgets(
        new cloudwatch.LogQueryWidget({
          title: 'Worst tokens (latest check of each token not healthy)',
          logGroupNames: [props.workerLogGroup.logGroupName],
          queryLines: [
            'filter message = "token checked"',
            'stats latest(outcome) as status, latest(problemIds) as problems, latest(checkedAt) as checked by token',
            'filter status != "healthy"',
            'sort status desc',
            'limit 50',
          ],
          width: 24,
          height: 8,
        }),
      );
    }
  }
}
