import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Metric, NAMESPACE } from '../../lambda/contract';
import { CONTEXT_KEY, parseGuardConfig } from '../../lib/config';
import { WhatsAppTokenGuard } from '../../lib/whatsapp-token-guard';
import { WhatsAppTokenGuardStack } from '../../lib/whatsapp-token-guard-stack';
import { Stack } from 'aws-cdk-lib';
import { canaryForms, CANARY_APP_SECRET, CANARY_TOKEN } from '../fakes/canary';
import { TokenRotationMode } from '../../lib/guard-contract';

const CDK_JSON = JSON.parse(fs.readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8'));
const ENV = { account: '111111111111', region: 'us-east-1' };

function synth(raw: unknown = CDK_JSON.context[CONTEXT_KEY]): { app: App; stack: WhatsAppTokenGuardStack; template: Template } {
  const app = new App({ context: { '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': true } });
  const stack = new WhatsAppTokenGuardStack(app, 'Guard', { config: parseGuardConfig(raw), env: ENV });
  return { app, stack, template: Template.fromStack(stack) };
}

const TWO_TOKENS = {
  appId: '1234567890123456',
  alarmEmail: 'oncall@example.com',
  tokens: [
    { name: 'primary', wabaId: '102290129340398', phoneNumberId: '106540352242922' },
    { name: 'marketing', rotation: { mode: 'refresh', scheduleDays: 30, revokePreviousAfterHours: 24 } },
  ],
};

describe('default app (cdk.json)', () => {
  const { app, template } = synth();

  it('creates the token secret empty, encrypted by default, and retained on stack deletion', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Name: 'whatsapp-token-guard/Guard/primary/token', GenerateSecretString: Match.absent(), SecretString: Match.absent() }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('creates the app secret empty and retained', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Name: 'whatsapp-token-guard/Guard/meta-app-secret', GenerateSecretString: Match.absent(), SecretString: Match.absent() }),
      DeletionPolicy: 'Retain',
    });
  });

  it('runs one arm64 Node.js 24 function with JSON logs and bounded log retention', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' }),
      Environment: { Variables: Match.objectLike({ TOKEN_NAME: 'primary', META_APP_ID: '1234567890123456', GRAPH_API_VERSION: 'v25.0', REQUIRED_SCOPES: 'whatsapp_business_messaging,whatsapp_business_management', ROTATION_MODE: 'hand-made' }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('checks every 15 minutes on a UTC-aligned schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0/15 * * * ? *)', State: 'ENABLED' });
  });

  it('checks once right after each successful deploy', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.cloudformation'], 'detail-type': ['CloudFormation Stack Status Change'], detail: { 'stack-id': [{ Ref: 'AWS::StackId' }], 'status-details': { status: ['CREATE_COMPLETE', 'UPDATE_COMPLETE'] } } },
      Targets: [Match.objectLike({ Input: '{"action":"check"}' })],
    });
  });

  it('registers the function as the rotation function without an automatic schedule in hand-made mode', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: Match.stringLikeRegexp('TokenSecret') },
      RotateImmediatelyOnUpdate: false,
      RotationRules: Match.absent(),
    });
  });

  it('lets the function touch only its own secrets, with no wildcard resource', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'RotateOwnTokenSecret', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'], Resource: { Ref: expect.stringMatching(/TokenSecret/) } }),
        expect.objectContaining({ Sid: 'ReadAppSecret', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: expect.stringMatching(/AppSecret/) } }),
      ]),
    );
    for (const s of statements) expect(JSON.stringify(s.Resource)).not.toBe('"*"');
    template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
  });

  it('allows Secrets Manager to invoke the function only for this account and secret', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: '111111111111',
      SourceArn: { Ref: Match.stringLikeRegexp('TokenSecret') },
    });
  });

  it.each([
    ['TokenInvalid', Metric.TokenValid, 'Minimum', 'LessThanThreshold', 1, 'notBreaching'],
    ['TokenExpiring', Metric.DaysUntilExpiry, 'Minimum', 'LessThanOrEqualToThreshold', 14, 'notBreaching'],
    ['MissingScopes', Metric.MissingScopes, 'Maximum', 'GreaterThanOrEqualToThreshold', 1, 'notBreaching'],
    ['NotSystemUserToken', Metric.SystemUserToken, 'Minimum', 'LessThanThreshold', 1, 'notBreaching'],
    ['ChecksFailing', Metric.CheckFailed, 'Maximum', 'GreaterThanOrEqualToThreshold', 1, 'notBreaching'],
    ['NoCheckReported', Metric.CheckFailed, 'SampleCount', 'LessThanThreshold', 1, 'breaching'],
    ['RotationFailed', Metric.RotationFailed, 'Sum', 'GreaterThanOrEqualToThreshold', 1, 'notBreaching'],
    ['NotificationsFailing', Metric.NotificationFailed, 'Sum', 'GreaterThanOrEqualToThreshold', 1, 'notBreaching'],
  ])('alarms %s on %s under the TokenName dimension', (id, metric, statistic, comparison, threshold, missing) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `Guard-primary-${id}`,
      Namespace: NAMESPACE,
      MetricName: metric,
      Dimensions: [{ Name: 'TokenName', Value: 'primary' }],
      Statistic: statistic,
      ComparisonOperator: comparison,
      Threshold: threshold,
      TreatMissingData: missing,
      AlarmDescription: Match.stringLikeRegexp('What to do: '),
    });
  });

  it('does not create the asset alarm when no asset is configured', () => {
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: Metric.AssetAccess }, 0);
  });

  it('pages through alarms only for what stops the health messages: a dead checker and a failing ledger or bus', () => {
    // One page per incident: everything a check sees pages once, as a readable Health Changed message.
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const paging = alarms.filter((a) => a.Properties.AlarmActions?.length).map((a) => a.Properties.AlarmName as string).sort();
    expect(paging).toEqual(['Guard-primary-NoCheckReported', 'Guard-primary-NotificationsFailing']);
    for (const a of alarms.filter((x) => x.Properties.AlarmActions?.length)) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
      expect(a.Properties.OKActions).toHaveLength(1);
    }
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
  });

  it('encrypts the topic with a rotating customer key CloudWatch may use, and refuses non-TLS publishers', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '111111111111' } }) })]) },
    });
  });

  it('pages on Secrets Manager rotation-failed events for this secret', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['RotationFailed', 'RotationAbandoned', 'TestRotationFailed'], additionalEventData: { SecretId: [{ Ref: Match.stringLikeRegexp('TokenSecret') }] } },
      },
    });
  });

  it('creates a dashboard and a manifest output holding only ARNs and names', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const outputs = template.findOutputs('Manifest');
    expect(JSON.stringify(outputs)).toContain('tokenSecretArn');
  });

  it('is clean under cdk-nag AwsSolutions, with every acknowledgement explained', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });
});

describe('two tokens of one app in one stack', () => {
  const { app, template } = synth(TWO_TOKENS);

  it('guards each token with its own secret and function, sharing the app secret, topic and dashboard', () => {
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('probes assets only for the token that configures them', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Guard-primary-AssetUnreachable', MetricName: 'AssetAccess', Dimensions: [{ Name: 'TokenName', Value: 'primary' }] });
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'AssetAccess' }, 1);
  });

  it('schedules refresh rotation every 30 days and passes the grace period to the function', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' }, RotateImmediatelyOnUpdate: false });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TOKEN_NAME: 'marketing', ROTATION_MODE: 'refresh', REVOKE_PREVIOUS_AFTER_HOURS: '24' }) } });
  });

  it('is clean under cdk-nag AwsSolutions', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});

describe('WhatsAppTokenGuard construct', () => {
  const stackWith = (props: Partial<ConstructorParameters<typeof WhatsAppTokenGuard>[2]> = {}): { app: App; template: Template } => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: ENV });
    new WhatsAppTokenGuard(stack, 'G', { tokenName: 'primary', appId: '1234567890123456', ...props });
    return { app, template: Template.fromStack(stack) };
  };

  it('uses a customer managed key through Secrets Manager only', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: ENV });
    const key = new kms.Key(stack, 'K', { enableKeyRotation: true });
    new WhatsAppTokenGuard(stack, 'G', { tokenName: 'primary', appId: '1234567890123456', encryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } } })]) },
    });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('schedules mint rotation and passes the system user', () => {
    const { template } = stackWith({ rotation: { mode: TokenRotationMode.MINT, systemUserId: '122098765432101234', schedule: Duration.days(20) } });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(20 days)' } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ROTATION_MODE: 'mint', SYSTEM_USER_ID: '122098765432101234', MINT_SIXTY_DAY_TOKENS: 'true' }) } });
  });

  it.each([
    [{ tokenName: 'bad name!' }, /prop "tokenName"/],
    [{ appId: 'my-app' }, /prop "appId"/],
    [{ checkInterval: Duration.minutes(7) }, /prop "checkInterval" must be one of 5, 10, 15, 20, 30, 60/],
    [{ expiryWarningDays: 0 }, /prop "expiryWarningDays"/],
    [{ rotation: { mode: TokenRotationMode.REFRESH, schedule: Duration.days(59) } }, /prop "rotation.schedule" must be whole days from 1 to 45/],
    [{ rotation: { mode: TokenRotationMode.MINT } }, /prop "rotation.systemUserId" is required in mint mode/],
    [{ rotation: { schedule: Duration.days(30) } }, /only used by the refresh and mint modes/],
  ])('throws at synth for %p, naming the prop', (props, message) => {
    expect(() => stackWith(props)).toThrow(message);
  });
});

describe('secrets never reach the template', () => {
  it('holds no canary even when the synthesizing shell has the token and app secret in its environment', () => {
    // Prepare: an operator who exported the values while working
    const saved = { ...process.env };
    process.env.WHATSAPP_TOKEN = CANARY_TOKEN;
    process.env.META_APP_SECRET = CANARY_APP_SECRET;
    try {
      // Act
      const { template } = synth(TWO_TOKENS);
      // Assess
      const text = JSON.stringify(template.toJSON());
      for (const c of canaryForms()) expect(text).not.toContain(c);
    } finally {
      process.env = saved;
    }
  });
});
