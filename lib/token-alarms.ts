// The alarm catalog as data, turned into CloudWatch alarms by one loop. Descriptions quote the same Problem
// entries the Lambda's report uses. The alarms feed dashboards and `status`; paging goes through the health
// events (lib/private/health-notifications.ts), except for PAGING_ALARMS (what no health event reports).
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Metric, MetricName, Problem, ProblemId } from '../lambda/contract';
import { guardMetric } from './guard-metrics';

/**
 * Verdict metrics are evaluated over 5-minute periods. A check lands in one period; the window spans one
 * check interval plus one period, so exactly one check is always in view and the alarm neither flaps between
 * checks nor waits a whole interval after the bad check (worst case: interval + 5 min).
 */
export const VERDICT_PERIOD_MINUTES = 5;

export type AlarmId =
  | 'TokenInvalid'
  | 'TokenExpiring'
  | 'MissingScopes'
  | 'NotSystemUserToken'
  | 'AssetUnreachable'
  | 'ChecksFailing'
  | 'NoCheckReported'
  | 'RotationFailed'
  | 'NotificationsFailing'
  | 'RevokeFailed';

export interface AlarmSpec {
  readonly id: AlarmId;
  readonly metric: MetricName;
  readonly statistic: 'Minimum' | 'Maximum' | 'Sum' | 'SampleCount';
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly threshold: number;
  readonly periodMinutes: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly missingData: cloudwatch.TreatMissingData;
  /** One line: what the alarm means. */
  readonly summary: string;
  /** Problems whose fix the description quotes, the likeliest first. */
  readonly problems: readonly ProblemId[];
}

export interface AlarmCatalogOptions {
  readonly tokenName: string;
  readonly checkIntervalMinutes: number;
  readonly expiryWarningDays: number;
  readonly checkFailuresToAlarm: number;
  readonly assetProbes: boolean;
}

const C = cloudwatch.ComparisonOperator;
const M = cloudwatch.TreatMissingData;

export function alarmCatalog(o: AlarmCatalogOptions): AlarmSpec[] {
  const checksPerWindow = o.checkIntervalMinutes / VERDICT_PERIOD_MINUTES;
  const verdict = { periodMinutes: VERDICT_PERIOD_MINUTES, evaluationPeriods: checksPerWindow + 1, datapointsToAlarm: 1, missingData: M.NOT_BREACHING };
  const specs: AlarmSpec[] = [
    { id: 'TokenInvalid', metric: Metric.TokenValid, statistic: 'Minimum', comparison: C.LESS_THAN_THRESHOLD, threshold: 1, ...verdict, summary: 'Meta reports the WhatsApp token as invalid, or it belongs to another app: sends fail now.', problems: ['TokenInvalid', 'WrongApp'] },
    { id: 'TokenExpiring', metric: Metric.DaysUntilExpiry, statistic: 'Minimum', comparison: C.LESS_THAN_OR_EQUAL_TO_THRESHOLD, threshold: o.expiryWarningDays, ...verdict, summary: `The WhatsApp token expires within ${o.expiryWarningDays} days (or is a temporary token).`, problems: ['TokenExpiring', 'TemporaryToken'] },
    { id: 'MissingScopes', metric: Metric.MissingScopes, statistic: 'Maximum', comparison: C.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, threshold: 1, ...verdict, summary: 'The WhatsApp token lacks a required permission.', problems: ['MissingScopes'] },
    { id: 'NotSystemUserToken', metric: Metric.SystemUserToken, statistic: 'Minimum', comparison: C.LESS_THAN_THRESHOLD, threshold: 1, ...verdict, summary: 'The WhatsApp token is not a system-user token: it dies with a person\'s session.', problems: ['NotSystemUserToken', 'TemporaryToken'] },
  ];
  if (o.assetProbes) {
    specs.push({ id: 'AssetUnreachable', metric: Metric.AssetAccess, statistic: 'Minimum', comparison: C.LESS_THAN_THRESHOLD, threshold: 1, ...verdict, summary: 'The token cannot reach the WhatsApp Business Account or phone number, or the number cannot send.', problems: ['AssetAccessDenied', 'AssetNotFound', 'MessagingBlocked'] });
  }
  specs.push(
    // K failed checks in the last K intervals (missing periods count as fine; silence has its own alarm).
    { id: 'ChecksFailing', metric: Metric.CheckFailed, statistic: 'Maximum', comparison: C.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, threshold: 1, periodMinutes: VERDICT_PERIOD_MINUTES, evaluationPeriods: o.checkFailuresToAlarm * checksPerWindow, datapointsToAlarm: o.checkFailuresToAlarm, missingData: M.NOT_BREACHING, summary: `The last ${o.checkFailuresToAlarm} checks could not reach a verdict (Meta unreachable or rate-limiting, the app secret or app id refused, a secret not stored or malformed, or a Graph configuration problem). The token itself may be fine.`, problems: ['GraphUnavailable', 'GraphRateLimited', 'AppTokenRejected', 'AppSecretNotSet', 'TokenNotSet', 'GraphConfig', 'GraphUsageHigh', 'TokenRefusedByProbe'] },
    // A dead checker must page too: every check emits CheckFailed, so no sample means no check ran.
    { id: 'NoCheckReported', metric: Metric.CheckFailed, statistic: 'SampleCount', comparison: C.LESS_THAN_THRESHOLD, threshold: 1, periodMinutes: o.checkIntervalMinutes, evaluationPeriods: 2, datapointsToAlarm: 2, missingData: M.BREACHING, summary: `No token check reported for two check intervals (${2 * o.checkIntervalMinutes} minutes): the checker is not running or not publishing metrics, so nothing watches the token.`, problems: [] },
    // Pages within one period of a failed step and stays in ALARM for an hour, so the page is not missed.
    { id: 'RotationFailed', metric: Metric.RotationFailed, statistic: 'Sum', comparison: C.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, threshold: 1, periodMinutes: VERDICT_PERIOD_MINUTES, evaluationPeriods: 60 / VERDICT_PERIOD_MINUTES, datapointsToAlarm: 1, missingData: M.NOT_BREACHING, summary: 'A rotation of the WhatsApp token failed; AWSCURRENT still holds the previous token.', problems: [] },
    // The pager's own watchdog: health messages travel through the ledger and the bus, so when they keep failing, say so.
    { id: 'NotificationsFailing', metric: Metric.NotificationFailed, statistic: 'Sum', comparison: C.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, threshold: 1, periodMinutes: VERDICT_PERIOD_MINUTES, evaluationPeriods: o.checkFailuresToAlarm * checksPerWindow, datapointsToAlarm: o.checkFailuresToAlarm, missingData: M.NOT_BREACHING, summary: `The last ${o.checkFailuresToAlarm} checks could not update the health ledger or put their events on the default bus: health messages are not being sent. Metrics and the other alarms still work.`, problems: [] },
  );
  // A token the guard holds outside AWSCURRENT could not be revoked at Meta (every mode: beyond 10 parked tokens the
  // oldest is revoked); every due check retries, so one page is enough.
  specs.push({ id: 'RevokeFailed', metric: Metric.RevokeFailed, statistic: 'Sum', comparison: C.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, threshold: 1, periodMinutes: VERDICT_PERIOD_MINUTES, evaluationPeriods: 60 / VERDICT_PERIOD_MINUTES, datapointsToAlarm: 1, missingData: M.NOT_BREACHING, summary: 'A token the guard no longer uses could not be revoked at Meta; it stays labelled in the secret and every check tries again.', problems: [] });
  return specs;
}

const EXTRA_FIX: Partial<Record<AlarmId, string>> = {
  NoCheckReported: "Check the checker function's log group and its Errors metric, that its EventBridge schedule is enabled, and that it was not throttled; run `npx --no-install whatsapp-token-guard check` to invoke it by hand.",
  NotificationsFailing: "Read the function's log line 'health ledger or events not updated' for the failing call (AccessDenied names a missing permission, ThrottlingException is transient); check the ledger table exists and that the function's role may call events:PutEvents. The next successful check sends what was missed.",
  RotationFailed: 'Run `npx --no-install whatsapp-token-guard status` to see the versions and the reason in the function log; fix the cause named there (a refused hand-in is kept under a TOKENGUARD_REJECTED_AT_* label; a step without a verdict keeps AWSPENDING and Secrets Manager retries it) and rotate again.',
  RevokeFailed: "The function log's line 'could not revoke' names Meta's code. Code 1 (client secret) means the app secret changed: store the new one with `npx --no-install whatsapp-token-guard set-app-secret`; code 190 about the caller means the live token is dead: hand in a new one with `set-token`; a token of another app cannot be revoked with this app: revoke it by hand in Business Settings > System users. A throttle or outage clears by itself (every due check retries). The versions labelled TOKENGUARD_ISSUED_*, TOKENGUARD_DEMOTED_AT_* or TOKENGUARD_REJECTED_AT_* are the ones waiting.",
};

/** Alarm description: what happened, then what to do, within CloudWatch's 1024 characters. */
export function alarmDescription(spec: AlarmSpec, tokenName: string): string {
  // The likeliest cause's full runbook; the other causes by name (their fixes share most of it, and the
  // `check` report gives the exact one).
  const [main, ...others] = spec.problems;
  const fix = main ? Problem[main].fix : (EXTRA_FIX[spec.id] ?? '');
  const also = others.length ? ` Other causes: ${others.map((id) => Problem[id].title.toLowerCase()).join('; ')}.` : '';
  const text = `[${tokenName}] ${spec.summary} What to do: ${fix}${also} \`npx --no-install whatsapp-token-guard check --token ${tokenName}\` names the exact cause and fix.`;
  return text.length <= 1024 ? text : `${text.slice(0, 1021)}...`;
}

/**
 * The alarms that notify the topic themselves: what stops the health messages. A revoke Meta does not confirm pages as
 * a RevokeFailed problem in one Health Changed message, with Meta's answer (lambda/app/settle-and-report.ts), so its
 * alarm does not page as well.
 */
export const PAGING_ALARMS: readonly AlarmId[] = ['NoCheckReported', 'NotificationsFailing'];

export interface TokenAlarmsProps extends AlarmCatalogOptions {
  readonly topic: sns.ITopic;
}

export class TokenAlarms extends Construct {
  readonly alarms: Readonly<Partial<Record<AlarmId, cloudwatch.Alarm>>>;
  readonly metrics: Readonly<Partial<Record<AlarmId, cloudwatch.Metric>>>;

  constructor(scope: Construct, id: string, props: TokenAlarmsProps) {
    super(scope, id);
    const prefix = `${Stack.of(this).stackName}-${props.tokenName}`;
    const action = new actions.SnsAction(props.topic);
    const alarms: Partial<Record<AlarmId, cloudwatch.Alarm>> = {};
    const metrics: Partial<Record<AlarmId, cloudwatch.Metric>> = {};
    for (const spec of alarmCatalog(props)) {
      const metric = guardMetric(spec.metric, props.tokenName, spec.statistic, Duration.minutes(spec.periodMinutes));
      const alarm = new cloudwatch.Alarm(this, spec.id, {
        alarmName: `${prefix}-${spec.id}`,
        alarmDescription: alarmDescription(spec, props.tokenName),
        metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        treatMissingData: spec.missingData,
      });
      // One page per incident: the health events' readable messages page for everything a check can see;
      // an alarm pages (and says when it is back) only for what stops those messages: a dead checker, which
      // sends no events, and a failing ledger or bus.
      if (PAGING_ALARMS.includes(spec.id)) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      alarms[spec.id] = alarm;
      metrics[spec.id] = metric;
    }
    this.alarms = alarms;
    this.metrics = metrics;
  }
}
