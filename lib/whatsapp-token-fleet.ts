// The fleet construct: many WhatsApp tokens of one Meta app, each its own secret under a name prefix this construct
// owns, checked by a sweep on AWS's own engines (EventBridge Scheduler -> planner -> SQS with DelaySeconds -> worker
// with bounded concurrency and partial-batch failures -> retries by SQS -> dead-letter queue). Tokens join and leave
// without a deploy. Resource details live in lib/private/fleet-*.
import { Annotations, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_GRAPH_API_VERSION, DEFAULT_REQUIRED_SCOPES, EnvVar, FLEET_SECRET_PREFIX, FleetEnvVar, FleetMetricName, fleetNameProblem, fleetNamespace } from '../lambda/contract';
import { AlarmTopic, allowGuardPublishers } from './alarm-topic';
import { emptyAppSecret } from './empty-secret';
import { FleetAlarmId, FleetAlarms, fleetMetric } from './private/fleet-alarms';
import { FleetFunction } from './private/fleet-function';
import { GuardEntry } from './private/guard-function';
import { FleetAlarm, FleetMetric } from './guard-contract';
import { claimName, PropChecks } from './props-error';
import { fleetMetricNameWire } from './private/wire';
import { grantHealthOutcomes, HealthLedgerTable } from './private/health-ledger-table';
import { HealthNotifications, NotificationFormat } from './private/health-notifications';

/** Sweep intervals the planner can keep: multiples of its 15-minute run (SQS delays reach 15 minutes). */
export const FLEET_SWEEP_INTERVAL_MINUTES = [15, 30, 60, 120, 180, 240, 360, 720, 1440] as const;
/** The planner runs every 15 minutes and spreads its share of the fleet over those 15 minutes (DelaySeconds ≤ 900). */
export const FLEET_PLANNER_EVERY_MINUTES = 15;
export const FLEET_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const WORKER_TIMEOUT = Duration.seconds(60);

export interface WhatsAppTokenFleetProps {
  /**
   * Name of the fleet. With the stack's name it makes the fleet's id `<stack>/<fleetName>`, part of every secret name
   * (`whatsapp-token-guard-fleet/<stack>/<fleetName>/<token>`), tag, ledger key, alarm name and the `Fleet` metric
   * dimension, so fleets of the same name in two stacks never meet. Letters, digits, `-`, `_`; at most 32; not `guard`.
   */
  readonly fleetName: string;
  /**
   * Keep the secret names of a fleet deployed before fleet namespaces were unique per stack:
   * `whatsapp-token-guard/fleet/<fleetName>/<token>` (and the app secret `whatsapp-token-guard/fleet-app-secret/<fleetName>`),
   * so its existing secrets and their consumers keep working. Those names are not unique per stack: deploy no other fleet
   * of this name, and no stack named `fleet`, in the account and region. Tags, ledger keys and alarms are per stack
   * either way (re-tag the secrets once: CHANGELOG "Fleet namespaces").
   * @default false
   */
  readonly legacySecretNames?: boolean;
  /**
   * Refresh and mint tokens: revoke the token a rotation demoted this long after that rotation (Meta's zero-downtime
   * rotation: refresh, let consumers pick up the new token, revoke the old one). A token's
   * `token-guard:revoke-previous-after-hours` tag overrides it.
   * @default - demoted tokens are kept under their `TOKENGUARD_DEMOTED_AT_*` label; beyond 10 kept tokens the oldest is revoked
   */
  readonly revokePreviousAfter?: Duration;
  /** Meta app id every token of the fleet must belong to (`data.app_id` in debug_token). */
  readonly appId: string;
  /**
   * Secret holding the Meta app secret (`{"appSecret":"..."}` or a bare string).
   * @default - a new secret `whatsapp-token-guard/fleet-app-secret/<fleetName>`, retained on stack deletion, with no value until you store one
   */
  readonly appSecret?: secretsmanager.ISecret;
  /**
   * How often every token is checked: 15, 30, 60, 120, 180, 240, 360, 720 or 1440 minutes.
   * @default Duration.minutes(60)
   */
  readonly sweepInterval?: Duration;
  /**
   * Most worker functions running at once (the SQS event source's maximum concurrency, 2-1000). With batches of 10
   * checked in parallel, at most about `workerConcurrency × 10 × 4` Graph calls are in flight.
   * @default 5
   */
  readonly workerConcurrency?: number;
  /**
   * Receives of one check before it goes to the dead-letter queue (the queue's redrive maxReceiveCount).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Permissions every token must carry in `scopes` (a token's `token-guard:required-scopes` tag overrides it).
   * @default ['whatsapp_business_messaging', 'whatsapp_business_management']
   */
  readonly requiredScopes?: string[];
  /**
   * Warn when a token expires within this many days (a token's `token-guard:expiry-warning-days` tag overrides it).
   * @default 14
   */
  readonly expiryWarningDays?: number;
  /**
   * Graph API version, pinned.
   * @default 'v25.0'
   */
  readonly graphApiVersion?: string;
  /**
   * Where the functions talk to Meta.
   * @default 'https://graph.facebook.com'
   */
  readonly graphApiBaseUrl?: string;
  /**
   * Customer managed key the fleet's token secrets are encrypted with, if any (`fleet add --kms-key`); the functions and
   * consumers are granted its use through Secrets Manager only.
   * @default - the AWS managed key `aws/secretsmanager`
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Topic the fleet's alarms notify.
   * @default - a new KMS-encrypted topic that accepts TLS publishers only
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Email subscribed to a topic this construct creates (ignored with `alarmTopic`).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Whether the fleet appears on a dashboard at all ($3 a month for each dashboard beyond the account's first three).
   * @default true
   */
  readonly dashboardEnabled?: boolean;
  /**
   * Dashboard to add the fleet's widgets to, such as the one your guards share.
   * @default - a new dashboard for this fleet
   */
  readonly dashboard?: cloudwatch.Dashboard;
  /**
   * The health ledger (one item per token, `<fleetName>/<token>`). Share one table between a fleet and guards of one stack.
   * @default - a new on-demand table with point-in-time recovery
   */
  readonly healthLedger?: dynamodb.ITable;
  /**
   * How health notifications are written on the topic.
   * @default NotificationFormat.TEXT
   */
  readonly notificationFormat?: NotificationFormat;
  /**
   * Retention of the functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Guards many WhatsApp Cloud API tokens of one Meta app (a Tech Provider's clients): each token is a secret named
 * `whatsapp-token-guard/fleet/<fleetName>/<token>` tagged with its settings, added and removed without a deploy.
 */
export class WhatsAppTokenFleet extends Construct {
  /**
   * The secret name of a token of a fleet that keeps its legacy names (`legacySecretNames`).
   * @deprecated - names are unique per stack now: use `tokenSecretName()` of the fleet.
   */
  static secretName(fleetName: string, tokenName: string): string {
    return `${FLEET_SECRET_PREFIX}${fleetName}/${tokenName}`;
  }

  readonly fleetName: string;
  /**
   * `<stack>/<fleetName>`: the value of every token secret's `token-guard:fleet` tag, the first part of its ledger key
   * (`<fleetId>/<token>`) and the `Fleet` metric dimension.
   */
  readonly fleetId: string;
  /** `whatsapp-token-guard-fleet/<stack>/<fleetName>/`: every token secret of this fleet starts with it. */
  readonly secretNamePrefix: string;
  /** ARN pattern of every token secret of this fleet (ends in `*`). */
  readonly secretArnPattern: string;
  readonly appSecret: secretsmanager.ISecret;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly plannerFunction: lambda.IFunction;
  readonly workerFunction: lambda.IFunction;
  /** The one rotation function of every fleet secret (Secrets Manager passes the SecretId). */
  readonly rotationFunction: lambda.IFunction;
  readonly alarmTopic: sns.ITopic;
  readonly unhealthyAlarm: cloudwatch.Alarm;
  readonly expiringAlarm: cloudwatch.Alarm;
  readonly sweepIncompleteAlarm: cloudwatch.Alarm;
  readonly noSweepAlarm: cloudwatch.Alarm;
  readonly deadLettersAlarm: cloudwatch.Alarm;
  /** Every alarm of the fleet (add your own actions with `addAlarmAction`). */
  readonly alarms: cloudwatch.Alarm[];
  readonly sweepIntervalMinutes: number;
  /** The health ledger: each token's status, problems, expiry and history under `<fleetName>/<token>`. */
  readonly healthLedger: dynamodb.ITable;
  private readonly encryptionKey?: kms.IKey;
  private readonly alarmsById: Readonly<Record<FleetAlarm, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: WhatsAppTokenFleetProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const v = validate(props, this);
    this.fleetName = props.fleetName;
    this.sweepIntervalMinutes = v.intervalMinutes;
    this.encryptionKey = props.encryptionKey;
    const ns = fleetNamespace(stack.stackName, props.fleetName, props.legacySecretNames);
    this.fleetId = ns.fleetId;
    this.secretNamePrefix = ns.secretNamePrefix;
    const secretArnPrefix = `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${this.secretNamePrefix}`;
    this.secretArnPattern = `${secretArnPrefix}*`;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    if (props.legacySecretNames) {
      Annotations.of(this).addWarningV2(
        'whatsapp-token-guard:fleet-legacy-secret-names',
        `Fleet "${props.fleetName}" keeps its legacy secret names (${this.secretNamePrefix}<token>), which are not unique per stack: deploy no other fleet named "${props.fleetName}" and no stack named "fleet" in this account and region.`,
      );
    }

    this.appSecret =
      props.appSecret ??
      emptyAppSecret(this, 'AppSecret', {
        // Outside the token prefix on purpose: the planner must not list it and a consumer grant must not cover it.
        secretName: props.legacySecretNames ? `whatsapp-token-guard/fleet-app-secret/${props.fleetName}` : `whatsapp-token-guard-fleet-app-secret/${this.fleetId}`,
        description: `Meta app secret of the WhatsApp token fleet "${props.fleetName}": {"appSecret":"..."}. Store it with \`npx --no-install whatsapp-token-guard set-app-secret\`.`,
        encryptionKey: props.encryptionKey,
      });

    // ---- The sweep: queue, dead-letter queue, worker, planner, schedule ----
    const dlq = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // No AwsSolutions-SQS3 acknowledgement: cdk-nag recognises a queue that is another queue's dead-letter queue.
    const queue = new sqs.Queue(this, 'Sweep', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guide ("Configuring an Amazon SQS queue to use with Lambda"): at least six times the function timeout.
      visibilityTimeout: Duration.seconds(6 * WORKER_TIMEOUT.toSeconds()),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: dlq, maxReceiveCount: v.maxReceiveCount },
    });
    this.queue = queue;
    this.deadLetterQueue = dlq;

    this.healthLedger = props.healthLedger ?? new HealthLedgerTable(this, 'HealthLedger').table;
    const namespaceEnv = { [FleetEnvVar.FleetName]: props.fleetName, [FleetEnvVar.FleetId]: this.fleetId, [FleetEnvVar.SecretNamePrefix]: this.secretNamePrefix };
    const graphEnv: Record<string, string> = {
      [EnvVar.LedgerTableName]: this.healthLedger.tableName,
      [EnvVar.LedgerScope]: this.fleetId,
      // A fleet retries each check through SQS already; one concluded failure is news.
      [EnvVar.CheckFailuresToNotify]: '1',
      [EnvVar.AppSecretArn]: this.appSecret.secretArn,
      [EnvVar.AppId]: v.appId,
      [EnvVar.RequiredScopes]: (props.requiredScopes ?? [...DEFAULT_REQUIRED_SCOPES]).join(','),
      [EnvVar.GraphApiVersion]: props.graphApiVersion ?? DEFAULT_GRAPH_API_VERSION,
      [EnvVar.ExpiryWarningDays]: String(v.warningDays),
      ...(props.graphApiBaseUrl ? { [EnvVar.GraphApiBaseUrl]: props.graphApiBaseUrl } : {}),
      ...(v.revokeHours !== undefined ? { [EnvVar.RevokePreviousAfterHours]: String(v.revokeHours) } : {}),
      ...namespaceEnv,
      [FleetEnvVar.SecretArnPrefix]: secretArnPrefix,
    };

    const worker = new FleetFunction(this, 'Worker', {
      entry: GuardEntry.FLEET_WORKER,
      description: `whatsapp-token-guard fleet "${props.fleetName}": checks the queued tokens against Meta`,
      timeout: WORKER_TIMEOUT,
      logRetention,
      environment: { ...graphEnv, [FleetEnvVar.SweepQueueUrl]: queue.queueUrl, [FleetEnvVar.SweepIntervalMinutes]: String(v.intervalMinutes), [FleetEnvVar.MaxReceiveCount]: String(v.maxReceiveCount) },
    });
    worker.function.addEventSource(
      new eventSources.SqsEventSource(queue, {
        batchSize: 10,
        maxConcurrency: v.concurrency,
        // Without it Lambda ignores the batchItemFailures the worker returns and deletes failed records unretried.
        reportBatchItemFailures: true,
      }),
    );
    this.workerFunction = worker.function;
    // The worker reads a token's settings (DescribeSecret tags) and its live value, and settles the tokens the guard
    // holds outside AWSCURRENT after a healthy check (reads a parked version, moves its label once Meta revoked it).
    worker.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CheckAndSettleFleetTokens',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: [this.secretArnPattern],
      }),
    );
    this.grantKeyViaSecretsManager(worker.role, ['kms:Decrypt']);
    this.grantAppSecretRead(worker.role);
    this.grantOutcomes(worker.role);
    // The worker puts a check back with a delay when Meta's usage headers ask the fleet to slow down.
    queue.grantSendMessages(worker.role);

    const planner = new FleetFunction(this, 'Planner', {
      entry: GuardEntry.FLEET_PLANNER,
      description: `whatsapp-token-guard fleet "${props.fleetName}": lists the fleet's secrets and queues this run's checks`,
      timeout: Duration.minutes(5),
      logRetention,
      environment: { ...namespaceEnv, [FleetEnvVar.SweepQueueUrl]: queue.queueUrl, [FleetEnvVar.SweepIntervalMinutes]: String(v.intervalMinutes), [FleetEnvVar.PlannerEveryMinutes]: String(FLEET_PLANNER_EVERY_MINUTES) },
    });
    planner.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListFleetSecrets', actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    Validations.of(planner.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'secretsmanager:ListSecrets supports no resource-level permission (Service Authorization Reference, "Actions defined by AWS Secrets Manager": Resource types empty), so its Resource must be "*". It returns names and tags only, never values; the planner filters on the fleet prefix and reads no secret.',
    });
    queue.grantSendMessages(planner.role);
    this.plannerFunction = planner.function;
    // A retried planner run may queue a token twice, which only costs one more check; a lost run would cost a slot.
    planner.function.configureAsyncInvoke({ retryAttempts: 1 });
    // Our own role, so its acknowledgement sits next to it (the target's default role is shared by the stack).
    const scheduleRole = new iam.Role(this, 'ScheduleRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'), description: 'Lets EventBridge Scheduler start the fleet planner' });
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(planner.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason: 'grantInvoke adds the qualified form `<planner ARN>:*` (versions and aliases of this one function); it reaches no other function.',
    });
    new scheduler.Schedule(this, 'Schedule', {
      description: `whatsapp-token-guard fleet "${props.fleetName}": plans a slot of the sweep every ${FLEET_PLANNER_EVERY_MINUTES} minutes`,
      // UTC-aligned, so each planner run maps to one slot and the alarms' periods line up with the runs.
      schedule: scheduler.ScheduleExpression.cron({ minute: `0/${FLEET_PLANNER_EVERY_MINUTES}` }),
      target: new schedulerTargets.LambdaInvoke(planner.function, { role: scheduleRole, retryAttempts: 0, maxEventAge: Duration.minutes(10) }),
    });

    // ---- One rotation function for every fleet secret ----
    const rotation = new FleetFunction(this, 'Rotation', {
      entry: GuardEntry.FLEET_ROUTER,
      description: `whatsapp-token-guard fleet "${props.fleetName}": the rotation function of every token secret of the fleet`,
      timeout: Duration.seconds(60),
      logRetention,
      environment: graphEnv,
    });
    rotation.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RotateFleetTokenSecrets',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: [this.secretArnPattern],
      }),
    );
    this.grantAppSecretRead(rotation.role);
    this.grantOutcomes(rotation.role);
    // Decrypt to read a version, GenerateDataKey to write one (PutSecretValue); nothing else, and only through Secrets Manager.
    this.grantKeyViaSecretsManager(rotation.role, ['kms:Decrypt', 'kms:GenerateDataKey']);
    // Lambda matches aws:SourceArn with ArnLike, so the pattern admits exactly the fleet's secrets.
    rotation.function.addPermission('InvokedBySecretsManager', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: stack.account,
      sourceArn: this.secretArnPattern,
    });
    this.rotationFunction = rotation.function;
    // How cdk-nag prints the pattern: tokens as <Ref>, resolved values as they are.
    const shown = (v: string, ref: string): string => (Token.isUnresolved(v) ? `<${ref}>` : v);
    const patternFinding = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:secret:${this.secretNamePrefix}*]`;
    for (const role of [worker.role, rotation.role]) {
      Validations.of(role).acknowledge({
        id: patternFinding,
        reason: `Fleet token secrets are created after deploy (\`token-guard fleet add\`), so the role is scoped to their name prefix ${this.secretNamePrefix}* (a secret ARN ends in a random 6-character suffix); no secret outside the fleet matches.`,
      });
    }

    // ---- Reporting: a fixed set of alarms on aggregate metrics ----
    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
      allowGuardPublishers(props.alarmTopic);
    } else this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', { email: props.alarmEmail }).topic;
    const alarms = new FleetAlarms(this, 'Alarms', {
      fleetName: props.fleetName,
      fleetId: this.fleetId,
      secretNamePrefix: this.secretNamePrefix,
      sweepIntervalMinutes: v.intervalMinutes,
      plannerEveryMinutes: FLEET_PLANNER_EVERY_MINUTES,
      deadLetterQueue: dlq,
      topic: this.alarmTopic,
      workerLogGroup: worker.logGroup,
      dashboard: props.dashboard ?? props.dashboardEnabled ?? true,
    });
    this.unhealthyAlarm = alarms.alarms[FleetAlarmId.Unhealthy];
    this.expiringAlarm = alarms.alarms[FleetAlarmId.Expiring];
    this.sweepIncompleteAlarm = alarms.alarms[FleetAlarmId.SweepIncomplete];
    this.noSweepAlarm = alarms.alarms[FleetAlarmId.NoSweep];
    this.deadLettersAlarm = alarms.alarms[FleetAlarmId.DeadLetters];
    this.alarmsById = {
      [FleetAlarm.TOKENS_UNHEALTHY]: this.unhealthyAlarm,
      [FleetAlarm.TOKENS_EXPIRING]: this.expiringAlarm,
      [FleetAlarm.SWEEP_INCOMPLETE]: this.sweepIncompleteAlarm,
      [FleetAlarm.NO_SWEEP]: this.noSweepAlarm,
      [FleetAlarm.DEAD_LETTERS]: this.deadLettersAlarm,
    };
    this.alarms = Object.values(this.alarmsById);

    // One readable message per token and incident, naming the client's token, the cause and the fix.
    new HealthNotifications(this, 'Notifications', {
      topic: this.alarmTopic,
      tokenName: `fleet ${this.fleetId}`,
      ledgerKey: `${this.fleetId}/`,
      ledgerKeyPrefix: `${this.fleetId}/`,
      expiryWarningDays: v.warningDays,
      format: props.notificationFormat ?? NotificationFormat.TEXT,
    });
  }

  /** The secret name of one of this fleet's tokens: `<secretNamePrefix><tokenName>`, the contract for onboarding code and consumers. */
  tokenSecretName(tokenName: string): string {
    return `${this.secretNamePrefix}${tokenName}`;
  }

  /** The ledger items of this fleet only (`dynamodb:LeadingKeys` `<fleetId>/*`) and events of the guard's own source. */
  private grantOutcomes(role: iam.Role): void {
    grantHealthOutcomes(this.healthLedger, role, `${this.fleetId}/*`, true);
  }

  /** The secrets' customer managed key, if any: only these actions, and only when Secrets Manager calls on the role's behalf. */
  private grantKeyViaSecretsManager(role: iam.Role, actions: string[]): void {
    this.encryptionKey?.grant(new kms.ViaServicePrincipal(`secretsmanager.${Stack.of(this).region}.amazonaws.com`, role), ...actions);
  }

  /**
   * Lets a consumer (a service that sends on behalf of the fleet's clients) read the live token of any fleet secret:
   * GetSecretValue on the fleet's prefix only, and only AWSCURRENT (no VersionId, and VersionStage AWSCURRENT when
   * given), so candidates and rejected tokens stay out of reach. Find a client's secret by its name:
   * `WhatsAppTokenFleet.secretName(fleetName, tokenName)`.
   */
  grantReadTokens(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.secretArnPattern],
      conditions: { StringEqualsIfExists: { 'secretsmanager:VersionStage': 'AWSCURRENT' }, Null: { 'secretsmanager:VersionId': 'true' } },
    });
    if (this.encryptionKey) this.encryptionKey.grantDecrypt(new kms.ViaServicePrincipal(`secretsmanager.${Stack.of(this).region}.amazonaws.com`, grantee.grantPrincipal));
    return grant;
  }

  /** One of the fleet's alarms, to add your own actions (`addAlarmAction`) or compose your own. */
  alarm(id: FleetAlarm): cloudwatch.Alarm {
    return this.alarmsById[id];
  }

  /**
   * An aggregate metric of this fleet (namespace WhatsAppTokenGuard, dimension Fleet = the fleet's id `<stack>/<fleetName>`).
   * @default - the metric's own statistic (Sum for counts, Maximum for SweepDuration and AppUsagePercent) over the sweep interval
   */
  metric(name: FleetMetric, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    const wire = fleetMetricNameWire(name);
    const base = fleetMetric(this.fleetId, wire, props.statistic ?? FLEET_METRIC_STATISTIC[wire], props.period ?? Duration.minutes(this.sweepIntervalMinutes));
    return base.with({ ...props, dimensionsMap: undefined, unit: undefined });
  }

  /** Planner runs (Sum over the sweep interval): the "a sweep ran" heartbeat. */
  metricSweepRuns(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.SWEEP_RUNS, props);
  }

  /** Checks the planner queued (Sum over the sweep interval). */
  metricTokensPlanned(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.TOKENS_PLANNED, props);
  }

  /** Checks recorded, verdicts and final failures (Sum over the sweep interval). */
  metricTokensChecked(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.TOKENS_CHECKED, props);
  }

  /** Checks whose verdict was unhealthy (Sum over the sweep interval). */
  metricTokensUnhealthy(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.TOKENS_UNHEALTHY, props);
  }

  /** Checks that found the token inside its expiry warning window (Sum over the sweep interval). */
  metricTokensExpiring(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.TOKENS_EXPIRING, props);
  }

  /** Checks without a verdict after the queue's last retry (Sum over the sweep interval). */
  metricCheckFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.CHECK_FAILURES, props);
  }

  /** Checks put back, dropped or throttled because Meta asked the fleet to slow down (Sum over the sweep interval). */
  metricRateLimited(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.RATE_LIMITED, props);
  }

  /** Seconds from the sweep's start to a check's end (Maximum over the sweep interval: the sweep's duration). */
  metricSweepDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.SWEEP_DURATION, props);
  }

  /** The highest Meta app usage (`X-App-Usage`) a worker saw, in percent (Maximum over the sweep interval). */
  metricAppUsagePercent(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.APP_USAGE_PERCENT, props);
  }

  /** Checks whose ledger row or health event could not be written (Sum over the sweep interval). */
  metricNotificationFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(FleetMetric.NOTIFICATION_FAILED, props);
  }

  private grantAppSecretRead(role: iam.Role): void {
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadAppSecret', actions: ['secretsmanager:GetSecretValue'], resources: [this.appSecret.secretFullArn ?? `${this.appSecret.secretArn}-??????`] }));
    if (this.appSecret.encryptionKey) this.appSecret.encryptionKey.grantDecrypt(new kms.ViaServicePrincipal(`secretsmanager.${Stack.of(this).region}.amazonaws.com`, role));
  }
}

/** Counts add up over a period; the two gauges show their highest reading. */
const FLEET_METRIC_STATISTIC: { readonly [m in FleetMetricName]: 'Sum' | 'Maximum' } = {
  SweepRuns: 'Sum',
  TokensPlanned: 'Sum',
  TokensChecked: 'Sum',
  TokensUnhealthy: 'Sum',
  TokensExpiring: 'Sum',
  CheckFailures: 'Sum',
  RateLimited: 'Sum',
  SweepDuration: 'Maximum',
  AppUsagePercent: 'Maximum',
  NotificationFailed: 'Sum',
};

interface ValidatedProps {
  readonly appId: string;
  readonly intervalMinutes: number;
  readonly concurrency: number;
  readonly maxReceiveCount: number;
  readonly warningDays: number;
  readonly revokeHours?: number;
}

/** The props checked as strictly as cdk.json's `tokenFleet` (lib/config.ts), each refusal naming the construct path and the fix. */
function validate(props: WhatsAppTokenFleetProps, scope: Construct): ValidatedProps {
  const c = new PropChecks(scope, 'WhatsAppTokenFleet');
  if (!Token.isUnresolved(props.fleetName) && !FLEET_NAME.test(props.fleetName)) {
    c.fail('fleetName', `must be 1-32 letters, digits, "-" or "_", got "${String(props.fleetName).slice(0, 40)}"`, 'Use a short name such as "clients".');
  }
  const stackName = Stack.of(scope).stackName;
  const overlap = Token.isUnresolved(props.fleetName) || Token.isUnresolved(stackName) ? undefined : fleetNameProblem(stackName, props.fleetName);
  if (overlap) c.fail('fleetName', overlap, 'Use another name, such as "clients".');
  const first = claimName(Stack.of(scope), 'WhatsAppTokenFleet', props.fleetName, scope);
  if (first) c.fail('fleetName', `"${props.fleetName}" is already used in this stack by ${first}`, 'Give every fleet its own name: its secrets, ledger keys and alarm names are built from it.');
  const appId = c.metaId('appId', props.appId, 'the numeric Meta app id') ?? props.appId;
  c.scopes('requiredScopes', props.requiredScopes);
  c.graphApiVersion('graphApiVersion', props.graphApiVersion);
  c.graphApiBaseUrl('graphApiBaseUrl', props.graphApiBaseUrl);
  c.email('alarmEmail', props.alarmEmail);
  c.notBoth('alarmEmail', props.alarmEmail, 'alarmTopic', props.alarmTopic, 'Subscribe the email to your own topic instead (topic.addSubscription(new EmailSubscription(...))), and remove alarmEmail.');
  if (props.dashboard && props.dashboardEnabled === false) c.fail('dashboard', 'cannot be combined with dashboardEnabled: false', 'Remove one of them.');
  c.member('notificationFormat', props.notificationFormat, NotificationFormat, 'NotificationFormat');
  const intervalMinutes = (props.sweepInterval ?? Duration.minutes(60)).toMinutes({ integral: false });
  if (!(FLEET_SWEEP_INTERVAL_MINUTES as readonly number[]).includes(intervalMinutes)) {
    c.fail('sweepInterval', `must be one of ${FLEET_SWEEP_INTERVAL_MINUTES.join(', ')} minutes, got ${intervalMinutes}`, 'Use Duration.minutes(60).');
  }
  const concurrency = props.workerConcurrency ?? 5;
  if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000) {
    c.fail('workerConcurrency', `must be a whole number from 2 to 1000 (the SQS event source's maximum concurrency), got ${concurrency}`, 'Use 5.');
  }
  const maxReceiveCount = props.maxReceiveCount ?? 5;
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 2 || maxReceiveCount > 20) {
    c.fail('maxReceiveCount', `must be a whole number from 2 to 20, got ${maxReceiveCount}`, 'Use 5.');
  }
  const warningDays = props.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS;
  if (!Number.isInteger(warningDays) || warningDays < 1 || warningDays > 59) {
    c.fail('expiryWarningDays', `must be a whole number from 1 to 59, got ${warningDays}`, 'Use 14.');
  }
  let revokeHours: number | undefined;
  if (props.revokePreviousAfter) {
    revokeHours = props.revokePreviousAfter.toHours({ integral: false });
    if (!Number.isInteger(revokeHours) || revokeHours < 1 || revokeHours > 24 * 30) {
      c.fail('revokePreviousAfter', `must be whole hours from 1 to 720, got ${revokeHours}`, 'Use Duration.hours(24): long enough for every consumer to read the new token.');
    }
  }
  return { appId, intervalMinutes, concurrency, maxReceiveCount, warningDays, revokeHours };
}
