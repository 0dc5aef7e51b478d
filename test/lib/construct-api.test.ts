// The constructs as a CDK user expects them from aws-cdk-lib: every prop mistake refused at synth with the construct
// path, the prop and the fix; alarms that take your own actions; a metric method per metric with a meaningful
// statistic and period; the operator's permissions as one grant; the fleet's dashboard shared like the guard's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FleetAlarm, FleetMetric, GuardAlarm, GuardErrors, GuardMetric, NotificationFormat, TokenRotationMode, WhatsAppTokenFleet, WhatsAppTokenFleetProps, WhatsAppTokenGuard, WhatsAppTokenGuardProps } from '../../lib';
import { OPERATOR_ACTIONS } from '../../lib/guard-operator';
import { GuardPropsError } from '../../lib/props-error';

const ENV = { account: '111111111111', region: 'us-east-1' };
const APP_ID = '102030405060708';

function guardIn(props: Partial<WhatsAppTokenGuardProps> = {}): { stack: Stack; guard: WhatsAppTokenGuard } {
  const stack = new Stack(new App(), 'Messaging', { env: ENV });
  const guard = new WhatsAppTokenGuard(stack, 'WhatsAppToken', { tokenName: 'primary', appId: APP_ID, ...props });
  return { stack, guard };
}

function fleetIn(props: Partial<WhatsAppTokenFleetProps> = {}): { stack: Stack; fleet: WhatsAppTokenFleet } {
  const stack = new Stack(new App(), 'Clients', { env: ENV });
  const fleet = new WhatsAppTokenFleet(stack, 'Fleet', { fleetName: 'clients', appId: APP_ID, ...props });
  return { stack, fleet };
}

/** The error a construction throws, or a failure when it throws none. */
function refusal(build: () => unknown): GuardPropsError {
  try {
    build();
  } catch (e) {
    return e as GuardPropsError;
  }
  throw new Error('expected the construct to refuse its props, but it synthesized');
}

describe('WhatsAppTokenGuard refuses a prop mistake at synth, naming the construct path, the prop and the fix', () => {
  const cases: [string, Partial<WhatsAppTokenGuardProps>, string, RegExp][] = [
    // From JavaScript or Python (or a typo behind a cast) any string arrives; it used to rotate by hand under a refresh schedule.
    ['an unknown rotation mode', { rotation: { mode: 'Refresh' as TokenRotationMode } }, 'rotation.mode', /must be one of TokenRotationMode\.HAND_MADE, TokenRotationMode\.REFRESH, TokenRotationMode\.MINT, got "Refresh"/],
    ['an email without a domain', { alarmEmail: 'oncall@example' }, 'alarmEmail', /must be an email address, got "oncall@example"/],
    ['alarmEmail next to alarmTopic, which dropped the email', { alarmEmail: 'oncall@example.com', alarmTopic: {} as sns.ITopic }, 'alarmEmail', /cannot be combined with alarmTopic/],
    ['a WABA id that is a name', { wabaId: 'acme-waba' }, 'wabaId', /must be the numeric WhatsApp Business Account id/],
    ['a phone number instead of its id', { phoneNumberId: '+1 555 0100' }, 'phoneNumberId', /not the phone number/],
    ['no required scope at all', { requiredScopes: [] }, 'requiredScopes', /non-empty list of permission names/],
    ['a Graph version without the v', { graphApiVersion: '25.0' }, 'graphApiVersion', /pinned Graph API version/],
    ['a plain-http Graph URL', { graphApiBaseUrl: 'http://graph.facebook.com' }, 'graphApiBaseUrl', /must be an https URL/],
    ['an unknown notification format', { notificationFormat: 'slack' as NotificationFormat }, 'notificationFormat', /must be one of NotificationFormat\.TEXT, NotificationFormat\.CHAT/],
    ['a revoke grace of minutes', { rotation: { mode: TokenRotationMode.REFRESH, revokePreviousAfter: Duration.minutes(90) } }, 'rotation.revokePreviousAfter', /whole hours from 1 to 720/],
    ['a system user that is not an id', { rotation: { mode: TokenRotationMode.MINT, systemUserId: 'ops-bot' } }, 'rotation.systemUserId', /numeric id of the system user/],
    ['a dashboard with dashboards turned off', { dashboard: {} as cloudwatch.Dashboard, dashboardEnabled: false }, 'dashboard', /cannot be combined with dashboardEnabled: false/],
  ];

  it.each(cases)('%s', (_what, props, prop, problem) => {
    // WHEN
    const e = refusal(() => guardIn(props));
    // THEN
    expect(GuardErrors.isPropsError(e)).toBe(true);
    expect(e).toBeInstanceOf(GuardPropsError);
    expect(e.message).toMatch(new RegExp(`^Messaging/WhatsAppToken: WhatsAppTokenGuard prop "${prop.replace('.', '\\.')}" `));
    expect(e.message).toMatch(problem);
    expect({ constructPath: e.constructPath, prop: e.prop }).toEqual({ constructPath: 'Messaging/WhatsAppToken', prop });
    expect(e.fix.length).toBeGreaterThan(10);
  });

  it('refuses a second guard of the same tokenName in one stack, naming the first one', () => {
    // GIVEN one guard of "primary"
    const { stack } = guardIn();
    // WHEN
    const e = refusal(() => new WhatsAppTokenGuard(stack, 'AnotherOne', { tokenName: 'primary', appId: APP_ID }));
    // THEN
    expect(e.message).toMatch(/^Messaging\/AnotherOne: WhatsAppTokenGuard prop "tokenName" "primary" is already guarded in this stack by Messaging\/WhatsAppToken\./);
  });

  it('lets the same tokenName live in two stacks (names are unique per stack)', () => {
    const app = new App();
    for (const name of ['Staging', 'Prod']) new WhatsAppTokenGuard(new Stack(app, name, { env: ENV }), 'G', { tokenName: 'primary', appId: APP_ID });
    expect(app.synth().stacks).toHaveLength(2);
  });

  it('trims copy-paste whitespace around the Meta ids, as cdk.json does', () => {
    // WHEN
    const { stack, guard } = guardIn({ appId: ` ${APP_ID}\n`, wabaId: '102290129340398 ', phoneNumberId: '\t106540352242922' });
    // THEN
    expect(guard.appId).toBe(APP_ID);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ META_APP_ID: APP_ID, WABA_ID: '102290129340398', PHONE_NUMBER_ID: '106540352242922' }) },
    });
  });
});

describe('WhatsAppTokenFleet refuses a prop mistake at synth the same way', () => {
  const cases: [string, Partial<WhatsAppTokenFleetProps>, string, RegExp][] = [
    ['an email without a domain', { alarmEmail: 'oncall@example' }, 'alarmEmail', /must be an email address/],
    ['alarmEmail next to alarmTopic', { alarmEmail: 'oncall@example.com', alarmTopic: {} as sns.ITopic }, 'alarmEmail', /cannot be combined with alarmTopic/],
    ['an unknown notification format', { notificationFormat: 'teams' as NotificationFormat }, 'notificationFormat', /must be one of NotificationFormat/],
    ['a plain-http Graph URL', { graphApiBaseUrl: 'http://graph.facebook.com' }, 'graphApiBaseUrl', /https URL/],
  ];

  it.each(cases)('%s', (_what, props, prop, problem) => {
    const e = refusal(() => fleetIn(props));
    expect(GuardErrors.isPropsError(e)).toBe(true);
    expect(e.message).toMatch(new RegExp(`^Clients/Fleet: WhatsAppTokenFleet prop "${prop}" `));
    expect(e.message).toMatch(problem);
  });

  it('refuses a second fleet of the same name in one stack', () => {
    const { stack } = fleetIn();
    const e = refusal(() => new WhatsAppTokenFleet(stack, 'Again', { fleetName: 'clients', appId: APP_ID }));
    expect(e.message).toMatch(/^Clients\/Again: WhatsAppTokenFleet prop "fleetName" "clients" is already used in this stack by Clients\/Fleet\./);
  });
});

describe('GuardErrors.isPropsError', () => {
  it('is false for other errors', () => {
    expect(GuardErrors.isPropsError(new Error('x'))).toBe(false);
    expect(GuardErrors.isPropsError(undefined)).toBe(false);
  });
});

describe('alarms take your own actions', () => {
  it('guard.alarm() returns an Alarm whose addAlarmAction lands in the template', () => {
    // GIVEN
    const { stack, guard } = guardIn();
    const pager = new sns.Topic(stack, 'Pager');
    // WHEN (this line is the README's promise; it did not compile while alarm() returned IAlarm)
    guard.alarm(GuardAlarm.TOKEN_INVALID)?.addAlarmAction(new actions.SnsAction(pager));
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Messaging-primary-TokenInvalid',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Pager') }],
    });
    expect(guard.alarms.every((a) => a instanceof cloudwatch.Alarm)).toBe(true);
  });

  it('fleet.alarm() looks up each fleet alarm the same way', () => {
    const { stack, fleet } = fleetIn();
    const pager = new sns.Topic(stack, 'Pager');
    for (const id of Object.values(FleetAlarm)) fleet.alarm(id).addAlarmAction(new actions.SnsAction(pager));
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    for (const id of Object.values(FleetAlarm)) {
      const a = alarms.find((x) => x.Properties.AlarmName === `whatsapp-token-guard-fleet/${fleet.fleetId}/${id}`);
      expect(JSON.stringify(a?.Properties.AlarmActions)).toMatch(/Pager/);
    }
    expect(fleet.alarms.map((a) => a.node.id).sort()).toEqual(Object.values(FleetAlarm).sort());
  });
});

/** `metricTokenValid` for `TokenValid`. */
const methodFor = (metricName: string): string => `metric${metricName}`;

describe('metrics like aws-cdk-lib', () => {
  it('the guard has a metric method for every metric of the contract, and for GraphUsagePercent', () => {
    const { guard } = guardIn();
    const methods = Object.values(GuardMetric).map(methodFor);
    expect(methods.filter((m) => typeof (guard as unknown as Record<string, unknown>)[m] !== 'function')).toEqual([]);
    expect(typeof guard.metricGraphUsagePercent).toBe('function');
  });

  it('counts default to Sum, gauges to their worst reading, both over the check interval', () => {
    // GIVEN an hourly guard (it used to get 15-minute periods)
    const { guard } = guardIn({ checkInterval: Duration.minutes(60) });
    // WHEN / THEN
    const stat = (m: cloudwatch.Metric): [string, number] => [m.statistic, m.period.toMinutes()];
    expect(stat(guard.metricTokenValid())).toEqual(['Minimum', 60]);
    expect(stat(guard.metricDaysUntilExpiry())).toEqual(['Minimum', 60]);
    expect(stat(guard.metricMissingScopes())).toEqual(['Maximum', 60]);
    expect(stat(guard.metricSystemUserToken())).toEqual(['Minimum', 60]);
    expect(stat(guard.metricAssetAccess())).toEqual(['Minimum', 60]);
    for (const m of [guard.metricCheckFailed(), guard.metricRotationSucceeded(), guard.metricRotationFailed(), guard.metricNotificationFailed(), guard.metricRevokeFailed()]) {
      expect(stat(m)).toEqual(['Sum', 60]);
    }
    expect(guard.metricTokenValid({ statistic: 'Average', period: Duration.minutes(5) }).statistic).toBe('Average');
  });

  it('GraphUsagePercent is the app\'s metric: dimension AppId, unit Percent, Maximum', () => {
    const { guard } = guardIn();
    const m = guard.metricGraphUsagePercent();
    expect(m.metricName).toBe('GraphUsagePercent');
    expect(m.dimensions).toEqual({ AppId: APP_ID });
    expect(m.unit).toBe(cloudwatch.Unit.PERCENT);
    expect(m.statistic).toBe('Maximum');
    expect(m.period.toMinutes()).toBe(15);
  });

  it('the fleet has a metric method for every fleet metric: counts Sum, duration and usage Maximum, over the sweep interval', () => {
    const { fleet } = fleetIn({ sweepInterval: Duration.minutes(120) });
    const f = fleet as unknown as Record<string, (p?: cloudwatch.MetricOptions) => cloudwatch.Metric>;
    for (const name of Object.values(FleetMetric)) {
      const m = f[methodFor(name)].call(fleet);
      expect([m.metricName, m.statistic, m.period.toMinutes()]).toEqual([name, ['SweepDuration', 'AppUsagePercent'].includes(name) ? 'Maximum' : 'Sum', 120]);
      expect(m.dimensions).toEqual({ Fleet: fleet.fleetId });
    }
  });
});

describe('the fleet takes a dashboard like the guard', () => {
  it('adds its widgets to the dashboard it is given and creates none of its own', () => {
    // GIVEN one dashboard for a guard and a fleet
    const stack = new Stack(new App(), 'Shared', { env: ENV });
    const dashboard = new cloudwatch.Dashboard(stack, 'Tokens', { dashboardName: 'tokens' });
    // WHEN
    new WhatsAppTokenGuard(stack, 'G', { tokenName: 'primary', appId: APP_ID, dashboard });
    new WhatsAppTokenFleet(stack, 'F', { fleetName: 'clients', appId: APP_ID, dashboard });
    // THEN
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(JSON.stringify(t.findResources('AWS::CloudWatch::Dashboard'))).toMatch(/Fleet Shared\/clients: alarms/);
  });
});

/** The IAM action of each AWS SDK command the operator command sends (bin/cli/), and of the ledger reads it makes. */
const SDK_ACTION: Record<string, string> = {
  GetResources: 'tag:GetResources',
  GetFunctionConfiguration: 'lambda:GetFunctionConfiguration',
  Invoke: 'lambda:InvokeFunction',
  DescribeSecret: 'secretsmanager:DescribeSecret',
  ListSecretVersionIds: 'secretsmanager:ListSecretVersionIds',
  PutSecretValue: 'secretsmanager:PutSecretValue',
  UpdateSecretVersionStage: 'secretsmanager:UpdateSecretVersionStage',
  RotateSecret: 'secretsmanager:RotateSecret',
  DescribeAlarms: 'cloudwatch:DescribeAlarms',
  GetMetricData: 'cloudwatch:GetMetricData',
};
/** HealthLedger (lambda/adapters/health-ledger.ts) methods the command calls, and the DynamoDB action each sends. */
const LEDGER_ACTION: Record<string, string> = { read: 'dynamodb:GetItem', history: 'dynamodb:Query' };
const CLI_DIR = path.join(__dirname, '..', '..', 'bin', 'cli');
/** The fleet subcommands operate a WhatsAppTokenFleet, not a guard. */
const GUARD_CLI_FILES = fs.readdirSync(CLI_DIR).filter((f) => f.endsWith('.ts') && f !== 'fleet.ts');

function operatorCalls(): { sdk: Set<string>; ledger: Set<string> } {
  const sdk = new Set<string>();
  const ledger = new Set<string>();
  for (const f of GUARD_CLI_FILES) {
    const src = fs.readFileSync(path.join(CLI_DIR, f), 'utf8');
    for (const m of src.matchAll(/new (\w+)Command\(/g)) sdk.add(m[1]);
    for (const m of src.matchAll(/\bledger\.(\w+)\(/g)) ledger.add(m[1]);
  }
  return { sdk, ledger };
}

describe('grantOperate', () => {
  it('knows every AWS call the operator command makes (a new call needs its permission here and in grantOperate)', () => {
    const { sdk, ledger } = operatorCalls();
    expect([...sdk].filter((c) => !SDK_ACTION[c])).toEqual([]);
    expect([...ledger].filter((c) => !LEDGER_ACTION[c])).toEqual([]);
  });

  it('grants exactly the actions of those calls, and no GetSecretValue', () => {
    // GIVEN an operator role and a guard
    const { stack, guard } = guardIn();
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    guard.grantOperate(operator);
    // THEN
    const { sdk, ledger } = operatorCalls();
    const needed = new Set([...[...sdk].map((c) => SDK_ACTION[c]), ...[...ledger].map((c) => LEDGER_ACTION[c])]);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('Operator') }] } })).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[],
    );
    const granted = new Set(statements.flatMap((s) => [s.Action].flat()));
    expect([...granted].sort()).toEqual([...needed].sort());
    expect(granted.has('secretsmanager:GetSecretValue')).toBe(false);
  });

  it('scopes each action to the guard\'s own resources, and the ledger to this token\'s items', () => {
    const { stack, guard } = guardIn();
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    guard.grantOperate(operator);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Operator') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          // (in the order grantOperate adds them)
          Match.objectLike({ Action: OPERATOR_ACTIONS.discovery[0], Resource: '*' }),
          Match.objectLike({ Action: OPERATOR_ACTIONS.monitoring.length === 1 ? OPERATOR_ACTIONS.monitoring[0] : [...OPERATOR_ACTIONS.monitoring], Resource: '*' }),
          Match.objectLike({ Action: [...OPERATOR_ACTIONS.checker], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Checker'), 'Arn'] } }),
          Match.objectLike({ Action: [...OPERATOR_ACTIONS.tokenSecret], Resource: { Ref: Match.stringLikeRegexp('TokenSecret') } }),
          Match.objectLike({ Action: [...OPERATOR_ACTIONS.appSecret], Resource: { Ref: Match.stringLikeRegexp('AppSecret') } }),
          Match.objectLike({ Action: [...OPERATOR_ACTIONS.ledger], Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['guard/primary'] } } }),
        ]),
      },
    });
  });

  it('lets the operator use a customer managed key only through Secrets Manager', () => {
    const app = new App();
    const stack = new Stack(app, 'K', { env: ENV });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const guard = new WhatsAppTokenGuard(stack, 'G', { tokenName: 'primary', appId: APP_ID, encryptionKey: key });
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    guard.grantOperate(operator);
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('Operator'), 'Arn'] } },
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
          }),
        ]),
      },
    });
  });
});
