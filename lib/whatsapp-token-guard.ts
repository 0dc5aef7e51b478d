// The construct: one guarded WhatsApp token. Wires the secret, the checker/rotation function, its
// permissions, the alarms and the dashboard; resource details live in the files it imports.
import { Arn, ArnFormat, Duration, Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  DEFAULT_EXPIRY_WARNING_DAYS,
  DEFAULT_GRAPH_API_VERSION,
  DEFAULT_REQUIRED_SCOPES,
  EnvVar,
  GUARD_LEDGER_SCOPE,
  RotationMode,
} from '../lambda/contract';
import { allowGuardPublishers, AlarmTopic } from './alarm-topic';
import { emptyAppSecret, emptyRetainedSecret } from './empty-secret';
import { CheckerFunction } from './checker-function';
import { CHECK_INTERVAL_MINUTES, EXAMPLE_APP_ID, MAX_ROTATION_DAYS, TOKEN_NAME } from './config';
import { CHECKER_COMPONENT, GuardTag } from './guard-tags';
import { GuardAlarm, GuardMetric, TokenRotationMode } from './guard-contract';
import { GUARD_METRIC_STATISTIC, graphUsageMetric, guardMetric } from './guard-metrics';
import { operatorGrants } from './guard-operator';
import { claimName, PropChecks } from './props-error';
import { metricNameWire, rotationModeFromWire, rotationModeWire } from './private/wire';
import { addTokenWidgets } from './token-dashboard';
import { AlarmId, TokenAlarms } from './token-alarms';
import { grantHealthOutcomes, HealthLedgerTable } from './private/health-ledger-table';
import { GuardNotifications, NotificationFormat, secretArnLengthBound } from './private/health-notifications';
import { refuseExampleAppId } from './private/example-app-id';
import { refuseOverBudget, resourcesIn } from './private/stack-budget';

export { NotificationFormat } from './private/health-notifications';
export { EXAMPLE_APP_ID_PARAMETER } from './private/example-app-id';

export interface TokenRotationOptions {
  /**
   * How new tokens come in: `HAND_MADE` (an operator hands one in with `whatsapp-token-guard set-token`),
   * `REFRESH` (exchange the 60-day token for a new one) or `MINT` (generate one for the system user).
   * @default TokenRotationMode.HAND_MADE
   */
  readonly mode?: TokenRotationMode;
  /**
   * Time between automatic rotations (refresh and mint only); at most 45 days, well inside a 60-day token's life.
   * @default Duration.days(30)
   */
  readonly schedule?: Duration;
  /**
   * The system user whose tokens are minted (mint mode; required there).
   * @default - none
   */
  readonly systemUserId?: string;
  /**
   * Mint 60-day tokens (`set_token_expires_in_60_days`); some businesses may only have expiring tokens.
   * @default true
   */
  readonly sixtyDayTokens?: boolean;
  /**
   * Refresh and mint modes: revoke each token a rotation of the guard demoted this long after that rotation, once
   * consumers that cache the token have moved on (never one an operator rolled back to).
   * @default - demoted tokens are kept under their `TOKENGUARD_DEMOTED_AT_*` label; beyond 10 kept tokens the oldest is revoked
   */
  readonly revokePreviousAfter?: Duration;
}

export interface WhatsAppTokenGuardProps {
  /** Short name of the token: the `TokenName` metric dimension and part of resource names. Letters, digits, `-`, `_`; at most 64. */
  readonly tokenName: string;
  /** Meta app id the token must belong to (`data.app_id` in debug_token). */
  readonly appId: string;
  /**
   * Secret holding the Meta app secret (`{"appSecret":"..."}` or a bare string). Share one between tokens of the same app.
   * @default - a new secret, retained on stack deletion, with no value until you store one
   */
  readonly appSecret?: secretsmanager.ISecret;
  /**
   * WhatsApp Business Account id to probe (phone_numbers and subscribed_apps).
   * @default - no WABA probe
   */
  readonly wabaId?: string;
  /**
   * Phone number id to probe (health_status) and to find in the WABA.
   * @default - no phone number probe
   */
  readonly phoneNumberId?: string;
  /**
   * Permissions the token must carry in `scopes`.
   * @default ['whatsapp_business_messaging', 'whatsapp_business_management']
   */
  readonly requiredScopes?: string[];
  /**
   * How often the checker asks Meta about the token: 5, 10, 15, 20, 30 or 60 minutes.
   * @default Duration.minutes(15)
   */
  readonly checkInterval?: Duration;
  /**
   * Warn when the token expires within this many days.
   * @default 14
   */
  readonly expiryWarningDays?: number;
  /**
   * Consecutive checks without a verdict (Meta unreachable, secret missing) before the ChecksFailing alarm.
   * @default 3
   */
  readonly checkFailuresToAlarm?: number;
  /**
   * Graph API version, pinned.
   * @default 'v25.0'
   */
  readonly graphApiVersion?: string;
  /**
   * Where the function talks to Meta (GRAPH_API_BASE_URL).
   * @default 'https://graph.facebook.com'
   */
  readonly graphApiBaseUrl?: string;
  /**
   * Key that encrypts the token secret (and a created app secret).
   * @default - the AWS managed key `aws/secretsmanager`
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Topic the alarms notify.
   * @default - a new KMS-encrypted topic that accepts TLS publishers only
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Email subscribed to a topic this construct creates (ignored with `alarmTopic`).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Dashboard to add this token's widgets to (share one between tokens: a dashboard costs $3/month).
   * @default - a new dashboard for this token
   */
  readonly dashboard?: cloudwatch.Dashboard;
  /**
   * Whether this token appears on a dashboard at all.
   * @default true
   */
  readonly dashboardEnabled?: boolean;
  /**
   * Rotation of the token secret.
   * @default - hand-made rotation
   */
  readonly rotation?: TokenRotationOptions;
  /**
   * An existing token secret to guard instead of creating one: the retained secret of a destroyed stack, or
   * of this token under its old name (reattach). It must be in this stack's account and region, hold
   * `{"accessToken":"..."}` (or nothing yet), and be encrypted with `encryptionKey` (or `aws/secretsmanager`).
   * Import it with `secretsmanager.Secret.fromSecretCompleteArn()`.
   * @default - a new empty secret, retained on stack deletion
   */
  readonly tokenSecret?: secretsmanager.ISecret;
  /**
   * Name of a new token secret (ignored with `tokenSecret`).
   * @default 'whatsapp-token-guard/<stackName>/<tokenName>/token'
   */
  readonly secretName?: string;
  /**
   * The health ledger table (share one between the tokens of a stack). Its key schema must be the guard's:
   * `pk` and `sk`, both strings.
   * @default - a new on-demand table with point-in-time recovery for this token
   */
  readonly healthLedger?: dynamodb.ITable;
  /**
   * How health notifications are written on the alarm topic: plain text, or the custom-notification format
   * of Amazon Q Developer in chat applications (Slack, Teams).
   * @default NotificationFormat.TEXT
   */
  readonly notificationFormat?: NotificationFormat;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Keeps a WhatsApp Cloud API token in Secrets Manager, checks it against Meta on a schedule and as the
 * secret's rotation function, and alarms (with the fix) before messages stop.
 */
export class WhatsAppTokenGuard extends Construct {
  readonly tokenName: string;
  /**
   * The token secret. Read it through `grantReadToken()`: `tokenSecret.grantRead()` (the aws-cdk-lib grant) allows every
   * version of the secret, including candidates, refused and parked tokens, not only AWSCURRENT.
   */
  readonly tokenSecret: secretsmanager.ISecret;
  readonly appSecret: secretsmanager.ISecret;
  readonly checkerFunction: lambda.IFunction;
  readonly alarmTopic: sns.ITopic;
  readonly healthLedger: dynamodb.ITable;
  /** This token's partition key in the health ledger: `guard/<tokenName>`. */
  readonly ledgerKey: string;
  /** Every alarm this guard created for its token (add your own actions with `addAlarmAction`). */
  readonly alarms: cloudwatch.Alarm[];
  readonly rotationMode: TokenRotationMode;
  /** How often the checker asks Meta: the default period of the `metric*()` methods. */
  readonly checkInterval: Duration;
  /** The Meta app id the token must belong to (trimmed), the `AppId` dimension of `metricGraphUsagePercent()`. */
  readonly appId: string;
  private readonly alarmsById: Partial<Record<AlarmId, cloudwatch.Alarm>>;
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: WhatsAppTokenGuardProps) {
    super(scope, id);
    const resourcesBefore = resourcesIn(Stack.of(this));
    const v = validate(props, this);
    this.tokenName = props.tokenName;
    this.rotationMode = rotationModeFromWire(v.mode);
    this.checkInterval = Duration.minutes(v.intervalMinutes);
    this.appId = v.appId;
    this.encryptionKey = props.encryptionKey;
    const stackName = Stack.of(this).stackName;

    // Cost allocation and ownership per token, and the contract `token-guard` finds guards by (lib/guard-tags.ts).
    Tags.of(this).add(GuardTag.Token, props.tokenName);
    Tags.of(this).add(GuardTag.Stack, stackName);
    if (v.appId === EXAMPLE_APP_ID) refuseExampleAppId(this);

    // Names are unique per stack, so two stacks (or a renamed one) never collide. A retained secret of a
    // destroyed stack keeps its name: reattach it with `tokenSecret` (README "Removing it, and coming back").
    const tokenSecret =
      props.tokenSecret ??
      emptyRetainedSecret(this, 'TokenSecret', {
        secretName: props.secretName ?? guardSecretName(stackName, props.tokenName, 'token'),
        description: `WhatsApp Cloud API system-user token "${props.tokenName}" of stack ${stackName}: {"accessToken":"..."}. Hand in new tokens with \`npx --no-install whatsapp-token-guard set-token\`.`,
        encryptionKey: props.encryptionKey,
      });
    this.tokenSecret = tokenSecret;

    this.appSecret =
      props.appSecret ??
      emptyAppSecret(this, 'AppSecret', {
        secretName: guardSecretName(stackName, props.tokenName, 'app-secret'),
        description: 'Meta app secret: {"appSecret":"..."}. Store it with `npx --no-install whatsapp-token-guard set-app-secret`.',
        encryptionKey: props.encryptionKey,
      });

    this.healthLedger = props.healthLedger ?? new HealthLedgerTable(this, 'HealthLedger').table;
    this.ledgerKey = `${GUARD_LEDGER_SCOPE}/${props.tokenName}`;

    const checker = new CheckerFunction(this, 'Checker', {
      checkIntervalMinutes: v.intervalMinutes,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      environment: {
        [EnvVar.TokenName]: props.tokenName,
        [EnvVar.TokenSecretArn]: tokenSecret.secretArn,
        [EnvVar.AppSecretArn]: this.appSecret.secretArn,
        [EnvVar.AppId]: v.appId,
        [EnvVar.RequiredScopes]: (props.requiredScopes ?? [...DEFAULT_REQUIRED_SCOPES]).join(','),
        [EnvVar.GraphApiVersion]: props.graphApiVersion ?? DEFAULT_GRAPH_API_VERSION,
        [EnvVar.ExpiryWarningDays]: String(v.warningDays),
        [EnvVar.RotationMode]: v.mode,
        [EnvVar.LedgerTableName]: this.healthLedger.tableName,
        [EnvVar.LedgerScope]: GUARD_LEDGER_SCOPE,
        [EnvVar.CheckFailuresToNotify]: String(v.failuresToAlarm),
        ...(props.graphApiBaseUrl ? { [EnvVar.GraphApiBaseUrl]: props.graphApiBaseUrl } : {}),
        ...(v.wabaId ? { [EnvVar.WabaId]: v.wabaId } : {}),
        ...(v.phoneNumberId ? { [EnvVar.PhoneNumberId]: v.phoneNumberId } : {}),
        ...(v.systemUserId ? { [EnvVar.SystemUserId]: v.systemUserId } : {}),
        ...(v.mode === 'mint' ? { [EnvVar.MintSixtyDayTokens]: String(props.rotation?.sixtyDayTokens ?? true) } : {}),
        ...(props.rotation?.revokePreviousAfter ? { [EnvVar.RevokePreviousAfterHours]: String(props.rotation.revokePreviousAfter.toHours()) } : {}),
      },
    });
    this.checkerFunction = checker.function;
    Tags.of(checker.function).add(GuardTag.Component, CHECKER_COMPONENT);
    this.grantFunction(checker.role, props.encryptionKey);
    this.addRotation(tokenSecret, checker, v);

    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
      // A topic defined in this app gets the scoped statements; one imported by ARN needs them from you.
      allowGuardPublishers(props.alarmTopic);
    } else this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', { email: props.alarmEmail }).topic;

    const alarms = new TokenAlarms(this, 'Alarms', {
      tokenName: props.tokenName,
      checkIntervalMinutes: v.intervalMinutes,
      expiryWarningDays: v.warningDays,
      checkFailuresToAlarm: v.failuresToAlarm,
      assetProbes: Boolean(props.wabaId || props.phoneNumberId),
      topic: this.alarmTopic,
    });
    this.alarmsById = alarms.alarms;
    this.alarms = Object.values(alarms.alarms).filter((a) => a !== undefined);

    // One set of notification rules per stack and topic, matching this token by its secret's ARN.
    GuardNotifications.of(this, this.alarmTopic, props.notificationFormat ?? NotificationFormat.TEXT).addToken({
      tokenName: props.tokenName,
      secretArn: tokenSecret.secretArn,
      secretArnLength: secretArnLengthBound(tokenSecret.secretArn, props.tokenSecret ? undefined : (props.secretName ?? guardSecretName(stackName, props.tokenName, 'token'))),
      expiryWarningDays: v.warningDays,
    });

    if (props.dashboardEnabled ?? true) {
      const dashboard = props.dashboard ?? new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${stackName}-${props.tokenName}`, defaultInterval: DASHBOARD_INTERVAL });
      addTokenWidgets(dashboard, { tokenName: props.tokenName, alarms, expiryWarningDays: v.warningDays, assetProbes: Boolean(props.wabaId || props.phoneNumberId), checker: checker.function });
    }
    // More guards than CloudFormation's 500 resources hold: say how many fit and what to use instead, before CDK's error.
    refuseOverBudget(this, resourcesBefore, (c) => c instanceof WhatsAppTokenGuard);
  }

  /** Least privilege: the function reads and rotates only its own token secret and reads only the app secret. */
  private grantFunction(role: iam.Role, key: kms.IKey | undefined): void {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RotateOwnTokenSecret',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: [this.tokenSecret.secretArn],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadAppSecret', actions: ['secretsmanager:GetSecretValue'], resources: [this.appSecret.secretFullArn ?? `${this.appSecret.secretArn}-??????`] }));
    // The ledger: only this token's items. The bus: only events of the guard's own source.
    grantHealthOutcomes(this.healthLedger, role, this.ledgerKey);
    if (key) grantKeyViaSecretsManager(role, key, 'rotate');
    if (this.appSecret.encryptionKey && this.appSecret.encryptionKey !== key) grantKeyViaSecretsManager(role, this.appSecret.encryptionKey, 'read');
  }

  /**
   * The rotation schedule, written at L1: the L2 helper also grants secretsmanager:GetRandomPassword on "*",
   * which a Meta token never needs.
   */
  private addRotation(secret: secretsmanager.ISecret, checker: CheckerFunction, v: Validated): void {
    // AWS documents that aws:SourceArn ties a rotation function to that one secret: exactly our case, so both
    // keys (Secrets Manager user guide, "Permissions for rotation").
    checker.function.addPermission('InvokedBySecretsManager', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: Stack.of(this).account,
      sourceArn: secret.secretArn,
    });
    const schedule = new secretsmanager.CfnRotationSchedule(this, 'Rotation', {
      secretId: secret.secretArn,
      rotationLambdaArn: checker.function.functionArn,
      // Never rotate on deploy: there is no token to rotate from until an operator stores one.
      rotateImmediatelyOnUpdate: false,
      // hand-made: no automatic schedule; a rotation starts when an operator hands a token in.
      rotationRules: v.rotationDays ? { scheduleExpression: `rate(${v.rotationDays} days)` } : undefined,
    });
    schedule.node.addDependency(checker.function.permissionsNode.findChild('InvokedBySecretsManager'));
    schedule.node.addDependency(checker.role);
    if (v.mode === 'hand-made' && !isImported(secret)) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Hand-made mode: a person creates each token in Meta Business Manager (Meta shows it once), so there is nothing to rotate to on a timer. ' +
          'Rotation is configured (this function is the rotation function) and runs when an operator hands a token in with `whatsapp-token-guard set-token`; ' +
          'the TokenExpiring alarm warns 14 days before a 60-day token expires. Use rotation mode refresh or mint for automatic rotation.',
      });

    }
  }

  /**
   * Lets a consumer read the token: AWSCURRENT only, never a candidate, a refused or a revoked version. The
   * `secretsmanager:VersionStage` condition key limits GetSecretValue to a label and `secretsmanager:VersionId` must be
   * absent (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html). "IfExists"
   * keeps a plain GetSecretValue (no stage, which reads AWSCURRENT) working whether or not the service sets the key then.
   *
   * Use this rather than `tokenSecret.grantRead()`: that aws-cdk-lib grant has no such condition, so it lets the grantee
   * read every version of the secret, the candidates, refused hand-ins and parked tokens included.
   */
  grantReadToken(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.tokenSecret.secretFullArn ?? `${this.tokenSecret.secretArn}-??????`],
      resource: this.tokenSecret,
      conditions: { StringEqualsIfExists: { 'secretsmanager:VersionStage': 'AWSCURRENT' }, Null: { 'secretsmanager:VersionId': 'true' } },
    });
    this.tokenSecret.encryptionKey?.grant(new kms.ViaServicePrincipal(`secretsmanager.${Stack.of(this).region}.amazonaws.com`, grantee.grantPrincipal), 'kms:Decrypt');
    return grant;
  }

  /**
   * Exactly what the operator command (`npx --no-install whatsapp-token-guard`) needs for this token: find the guard
   * by its tags (`tag:GetResources`), read the function's configuration and invoke its check, hand in a token and
   * rotate (`DescribeSecret`, `ListSecretVersionIds`, `PutSecretValue`, `UpdateSecretVersionStage`, `RotateSecret` on
   * the token secret), store the app secret (`DescribeSecret`, `PutSecretValue`, `UpdateSecretVersionStage`), read
   * the alarms for `status` (`cloudwatch:DescribeAlarms`), and this token's
   * items of the health ledger (`GetItem`, `Query`); with customer managed keys, their use through Secrets Manager.
   * It never grants `GetSecretValue`: the command does not read the token back.
   */
  grantOperate(grantee: iam.IGrantable): iam.Grant {
    return operatorGrants(grantee, {
      tokenSecret: this.tokenSecret,
      appSecret: this.appSecret,
      encryptionKey: this.encryptionKey,
      checkerFunction: this.checkerFunction,
      healthLedger: this.healthLedger,
      ledgerKey: this.ledgerKey,
      region: Stack.of(this).region,
    });
  }

  /**
   * One of this guard's alarms, to add actions (`addAlarmAction`) or compose your own; undefined for an alarm it does
   * not create (`ASSET_UNREACHABLE` without `wabaId` or `phoneNumberId`).
   */
  alarm(id: GuardAlarm): cloudwatch.Alarm | undefined {
    return this.alarmsById[id];
  }

  /**
   * A metric of the contract for this token: namespace `WhatsAppTokenGuard`, dimension `TokenName`, the contract's
   * unit. `props` may set the statistic, period, label and the like; the name and dimension stay fixed.
   * @default - the metric's own statistic (Sum for counts, Minimum or Maximum for gauges) over the check interval
   */
  metric(name: GuardMetric, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    const wire = metricNameWire(name);
    const base = guardMetric(wire, this.tokenName, props.statistic ?? GUARD_METRIC_STATISTIC[wire], props.period ?? this.checkInterval);
    return base.with({ ...props, dimensionsMap: undefined, unit: undefined });
  }

  /** 1 when Meta says the token is valid and belongs to the app, else 0 (Minimum over the check interval: any invalid check shows). */
  metricTokenValid(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.TOKEN_VALID, props);
  }

  /** Days until the token expires; absent for tokens that never expire (Minimum over the check interval). */
  metricDaysUntilExpiry(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.DAYS_UNTIL_EXPIRY, props);
  }

  /** Required permissions the token lacks (Maximum over the check interval). */
  metricMissingScopes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.MISSING_SCOPES, props);
  }

  /** 1 when the token is a system-user token, else 0 (Minimum over the check interval). */
  metricSystemUserToken(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.SYSTEM_USER_TOKEN, props);
  }

  /** 1 when every asset probe answers and the number can send, else 0; only with `wabaId` or `phoneNumberId` (Minimum over the check interval). */
  metricAssetAccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.ASSET_ACCESS, props);
  }

  /** Checks that could not reach a verdict (Sum over the check interval; every check emits 0 or 1). */
  metricCheckFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.CHECK_FAILED, props);
  }

  /** Rotations that promoted a new token (Sum over the check interval). */
  metricRotationSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.ROTATION_SUCCEEDED, props);
  }

  /** Rotation steps that failed; nothing was promoted (Sum over the check interval). */
  metricRotationFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.ROTATION_FAILED, props);
  }

  /** Checks or rotations whose health ledger write or event put failed (Sum over the check interval). */
  metricNotificationFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.NOTIFICATION_FAILED, props);
  }

  /** Attempts to revoke a token at Meta that failed (Sum over the check interval). */
  metricRevokeFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(GuardMetric.REVOKE_FAILED, props);
  }

  /**
   * The highest usage of the Meta app's call quota that Meta's usage headers reported in a check, in percent (a pending
   * block counts as 100): dimension `AppId`, shared by every token of the app (Maximum over the check interval).
   */
  metricGraphUsagePercent(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return graphUsageMetric(this.appId, props.statistic ?? 'Maximum', props.period ?? this.checkInterval).with({ ...props, dimensionsMap: undefined, unit: undefined });
  }
}

/**
 * Lets the role use the key only through Secrets Manager (condition kms:ViaService). A key defined in this
 * app gets a key-policy grant; an imported one (a reattached key) an identity-policy statement, which works
 * when its key policy delegates to IAM, as the default key policy does
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
function grantKeyViaSecretsManager(role: iam.Role, key: kms.IKey, use: 'rotate' | 'read'): void {
  const via = `secretsmanager.${Stack.of(role).region}.amazonaws.com`;
  // Only what Secrets Manager uses on the function's behalf: Decrypt to read a version, GenerateDataKey to write one
  // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html). AWS's rotation page also
  // lists DescribeKey; PutSecretValue/GetSecretValue do not need it, so it is left out (to confirm on real AWS).
  const actions = use === 'rotate' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'];
  if (key instanceof kms.Key) {
    key.grant(new kms.ViaServicePrincipal(via, role), ...actions);
    return;
  }
  role.addToPolicy(new iam.PolicyStatement({ sid: 'UseSecretsKeyThroughSecretsManager', actions, resources: [key.keyArn], conditions: { StringEquals: { 'kms:ViaService': via } } }));
}

/** Dashboards open on a week, so the daily rotation bars and a 60-day expiry trend are not empty. */
export const DASHBOARD_INTERVAL = Duration.days(7);

/** Default secret names: `whatsapp-token-guard/<stack>/<token>/<kind>`, unique per stack. */
export function guardSecretName(stackName: string, tokenName: string, kind: 'token' | 'app-secret'): string {
  return `whatsapp-token-guard/${stackName}/${tokenName}/${kind}`;
}

const isImported = (secret: secretsmanager.ISecret): boolean => !(secret instanceof secretsmanager.Secret);

interface Validated {
  readonly appId: string;
  readonly wabaId?: string;
  readonly phoneNumberId?: string;
  readonly systemUserId?: string;
  readonly mode: RotationMode;
  readonly intervalMinutes: number;
  readonly warningDays: number;
  readonly failuresToAlarm: number;
  readonly rotationDays?: number;
}

/** The props checked as strictly as cdk.json's settings (lib/config.ts), each refusal naming the construct path and the fix. */
function validate(props: WhatsAppTokenGuardProps, scope: Construct): Validated {
  const c = new PropChecks(scope, 'WhatsAppTokenGuard');
  const stack = Stack.of(scope);
  if (props.tokenSecret && !Token.isUnresolved(props.tokenSecret.secretArn)) {
    const arn = Arn.split(props.tokenSecret.secretArn, ArnFormat.COLON_RESOURCE_NAME);
    const elsewhere = (mine: string, theirs: string | undefined): boolean => !Token.isUnresolved(mine) && theirs !== undefined && theirs !== mine;
    if (elsewhere(stack.region, arn.region) || elsewhere(stack.account, arn.account)) {
      c.fail('tokenSecret', `is in account ${arn.account}, region ${arn.region}, but the stack deploys to account ${stack.account}, region ${stack.region}`, 'A rotation function must be in the secret\'s region: deploy the stack there, or move the token into a secret of this region.');
    }
  }
  if (!Token.isUnresolved(props.tokenName) && !TOKEN_NAME.test(props.tokenName)) {
    c.fail('tokenName', `must be 1-64 letters, digits, "-" or "_", got "${String(props.tokenName).slice(0, 70)}"`, 'Use a short name such as "primary".');
  }
  const first = claimName(stack, 'WhatsAppTokenGuard', props.tokenName, scope);
  if (first) {
    c.fail('tokenName', `"${props.tokenName}" is already guarded in this stack by ${first}`, 'Give every guard of a stack its own tokenName: the secret, the ledger key and the alarm names are built from it.');
  }
  const appId = c.metaId('appId', props.appId, 'the numeric Meta app id') ?? props.appId;
  const wabaId = c.metaId('wabaId', props.wabaId, 'the numeric WhatsApp Business Account id');
  const phoneNumberId = c.metaId('phoneNumberId', props.phoneNumberId, 'the numeric phone number id (not the phone number)');
  c.scopes('requiredScopes', props.requiredScopes);
  c.graphApiVersion('graphApiVersion', props.graphApiVersion);
  c.graphApiBaseUrl('graphApiBaseUrl', props.graphApiBaseUrl);
  c.email('alarmEmail', props.alarmEmail);
  c.notBoth('alarmEmail', props.alarmEmail, 'alarmTopic', props.alarmTopic, 'Subscribe the email to your own topic instead (topic.addSubscription(new EmailSubscription(...))), and remove alarmEmail.');
  c.notBoth('secretName', props.secretName, 'tokenSecret', props.tokenSecret, 'Remove secretName: the guard keeps the name of the secret you pass.');
  if (props.dashboard && props.dashboardEnabled === false) c.fail('dashboard', 'cannot be combined with dashboardEnabled: false', 'Remove one of them.');
  c.member('notificationFormat', props.notificationFormat, NotificationFormat, 'NotificationFormat');
  c.member('rotation.mode', props.rotation?.mode, TokenRotationMode, 'TokenRotationMode');
  const intervalMinutes = (props.checkInterval ?? Duration.minutes(15)).toMinutes({ integral: false });
  if (!(CHECK_INTERVAL_MINUTES as readonly number[]).includes(intervalMinutes)) {
    c.fail('checkInterval', `must be one of ${CHECK_INTERVAL_MINUTES.join(', ')} minutes, got ${intervalMinutes}`, 'Use Duration.minutes(15).');
  }
  const warningDays = props.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS;
  if (!Number.isInteger(warningDays) || warningDays < 1 || warningDays > 59) {
    c.fail('expiryWarningDays', `must be a whole number from 1 to 59, got ${warningDays}`, 'Use 14.');
  }
  const failuresToAlarm = props.checkFailuresToAlarm ?? 3;
  if (!Number.isInteger(failuresToAlarm) || failuresToAlarm < 1 || failuresToAlarm > 10) {
    c.fail('checkFailuresToAlarm', `must be a whole number from 1 to 10, got ${failuresToAlarm}`, 'Use 3.');
  }
  const mode: RotationMode = props.rotation?.mode ? rotationModeWire(props.rotation.mode) : 'hand-made';
  let rotationDays: number | undefined;
  if (mode !== 'hand-made') {
    rotationDays = (props.rotation?.schedule ?? Duration.days(30)).toDays({ integral: false });
    if (!Number.isInteger(rotationDays) || rotationDays < 1 || rotationDays > MAX_ROTATION_DAYS) {
      c.fail('rotation.schedule', `must be whole days from 1 to ${MAX_ROTATION_DAYS}, got ${rotationDays}`, 'A 60-day token must be refreshed well before it expires; use Duration.days(30).');
    }
  } else if (props.rotation?.schedule) {
    c.fail('rotation.schedule', 'is only used by the refresh and mint modes', 'Remove it: a hand-made token rotates when an operator hands one in.');
  }
  const systemUserId = c.metaId('rotation.systemUserId', props.rotation?.systemUserId, 'the numeric id of the system user');
  if (mode === 'mint' && !systemUserId) {
    c.fail('rotation.systemUserId', 'is required in mint mode', 'Set it to the numeric id of the system user whose tokens are minted.');
  }
  const revokeAfter = props.rotation?.revokePreviousAfter;
  if (revokeAfter && mode === 'hand-made') {
    c.fail('rotation.revokePreviousAfter', 'is only used by the refresh and mint modes', 'Remove it or use mode "refresh" or "mint".');
  }
  if (revokeAfter) {
    const hours = revokeAfter.toHours({ integral: false });
    if (!Number.isInteger(hours) || hours < 1 || hours > 720) c.fail('rotation.revokePreviousAfter', `must be whole hours from 1 to 720 (30 days), got ${hours}`, 'Use Duration.hours(24).');
  }
  return { appId, wabaId, phoneNumberId, systemUserId, mode, intervalMinutes, warningDays, failuresToAlarm, rotationDays };
}
