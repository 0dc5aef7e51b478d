import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FLEET_DIMENSION, FleetMetric, NAMESPACE } from '../../lambda/contract';
import { WhatsAppTokenFleet, WhatsAppTokenFleetProps } from '../../lib/whatsapp-token-fleet';
import { CANARY_APP_SECRET, CANARY_TOKEN } from '../fakes/canary';

const ENV = { account: '111111111111', region: 'us-east-1' };
const PREFIX_ARN = 'arn:${AWS::Partition}:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/fleet/clients/*';

function synth(props: Partial<WhatsAppTokenFleetProps> = {}): { app: App; stack: Stack; fleet: WhatsAppTokenFleet; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Fleet', { env: ENV });
  const fleet = new WhatsAppTokenFleet(stack, 'Clients', { fleetName: 'clients', appId: '1234567890123456', alarmEmail: 'oncall@example.com', ...props });
  return { app, stack, fleet, template: Template.fromStack(stack) };
}

/** Every IAM statement of the template, with its resources as JSON text (Fn::Join flattened). */
function statements(template: Template): { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: never[] } } }).Properties.PolicyDocument.Statement);
}
/** A Resource as text: Fn::Join flattened, the partition shown as ${AWS::Partition}. */
function text(v: unknown): string {
  const join = (v as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join'];
  if (join) return join[1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p) === '{"Ref":"AWS::Partition"}' ? '${AWS::Partition}' : JSON.stringify(p))).join(join[0]);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

describe('WhatsAppTokenFleet', () => {
  const { app, template } = synth();

  it('creates no per-token resources: no token secret, and a fixed set of five alarms', () => {
    // Assess
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    expect(Object.values(secrets).map((s) => (s as { Properties: { Name: string } }).Properties.Name)).toEqual(['whatsapp-token-guard/fleet-app-secret/clients']);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(JSON.stringify(alarm)).not.toContain('TokenName');
    }
  });

  it('alarms on the aggregate Fleet metrics: any unhealthy, expiring, sweep incomplete, no sweep, dead letters', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: FleetMetric.TokensUnhealthy, Namespace: NAMESPACE, Dimensions: [{ Name: FLEET_DIMENSION, Value: 'clients' }], Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: FleetMetric.TokensExpiring });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: FleetMetric.SweepRuns, TreatMissingData: 'breaching' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'whatsapp-token-guard-clients-FleetSweepIncomplete', Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp('checked / planned') })]) });
  });

  it('consumes the queue with bounded concurrency and partial batch failures reported', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10, ScalingConfig: { MaximumConcurrency: 5 }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it('dead-letters a check after five receives, with a visibility timeout of six worker timeouts', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 360, RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() }, SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 86400 });
  });

  it('runs the planner from EventBridge Scheduler every 15 minutes, UTC-aligned', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0/15 * * * ? *)', Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600 } }) });
  });

  it('scopes secret access to the fleet prefix, and the worker to AWSCURRENT only', () => {
    // Assess
    const all = statements(template).filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    for (const s of all) {
      const resources = text(s.Resource);
      if ([s.Action].flat().includes('secretsmanager:ListSecrets')) {
        expect(s.Resource).toBe('*');
        expect([s.Action].flat()).toEqual(['secretsmanager:ListSecrets']);
      } else expect(resources === PREFIX_ARN || resources.includes('fleet-app-secret') || s.Sid === 'ReadAppSecret').toBe(true);
    }
    const worker = all.find((s) => s.Sid === 'ReadFleetTokensCurrentOnly')!;
    expect(worker.Action).toBe('secretsmanager:GetSecretValue');
    expect(worker.Condition).toEqual({ StringEqualsIfExists: { 'secretsmanager:VersionStage': 'AWSCURRENT' }, Null: { 'secretsmanager:VersionId': 'true' } });
    const rotation = all.find((s) => s.Sid === 'RotateFleetTokenSecrets')!;
    expect(text(rotation.Resource)).toBe(PREFIX_ARN);
  });

  it('lets the worker and the router write only the fleet\'s ledger items and put only the guard\'s own events', () => {
    const ledger = statements(template).filter((s) => s.Sid === 'OwnLedgerItemsOnly');
    expect(ledger).toHaveLength(2);
    for (const s of ledger) expect(s.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['clients/*'] } });
    const events = statements(template).filter((s) => s.Sid === 'PutOwnEventsOnDefaultBus');
    for (const s of events) expect(s.Condition).toEqual({ StringEquals: { 'events:source': 'whatsapp-token-guard' } });
  });

  it('turns health events of any fleet token into readable messages on the topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['whatsapp-token-guard'], 'detail-type': ['WhatsApp Token Health Changed'], detail: { ledgerKey: [{ prefix: 'clients/' }] } }) });
  });

  it('lets Secrets Manager invoke the one rotation function for the fleet prefix only, from this account', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com', SourceAccount: '111111111111', SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':secret:whatsapp-token-guard/fleet/clients/\\*$')])] }) });
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement given a reason', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(app);
    // Assess
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });

  it('keeps canaries out of the template', () => {
    const json = JSON.stringify(template.toJSON());
    for (const c of [CANARY_TOKEN, CANARY_APP_SECRET]) for (let i = 0; i + 12 <= c.length; i++) expect(json).not.toContain(c.slice(i, i + 12));
  });
});

describe('WhatsAppTokenFleet.grantReadTokens', () => {
  it('grants GetSecretValue on the fleet prefix, AWSCURRENT only, and the key through Secrets Manager only', () => {
    // Prepare
    const app = new App();
    const stack = new Stack(app, 'S', { env: ENV });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const fleet = new WhatsAppTokenFleet(stack, 'F', { fleetName: 'clients', appId: '1234567890123456', encryptionKey: key, dashboardEnabled: false });
    const sender = new iam.Role(stack, 'Sender', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    // Act
    fleet.grantReadTokens(sender);
    // Assess
    const t = Template.fromStack(stack);
    const policies = Object.entries(t.findResources('AWS::IAM::Policy')).filter(([, p]) => JSON.stringify(p).includes('Sender'));
    const st = policies.flatMap(([, p]) => (p as { Properties: { PolicyDocument: { Statement: { Action: string; Resource: unknown; Condition?: unknown }[] } } }).Properties.PolicyDocument.Statement);
    const read = st.find((s) => s.Action === 'secretsmanager:GetSecretValue')!;
    expect(text(read.Resource)).toBe(PREFIX_ARN);
    expect(read.Condition).toEqual({ StringEqualsIfExists: { 'secretsmanager:VersionStage': 'AWSCURRENT' }, Null: { 'secretsmanager:VersionId': 'true' } });
    expect(JSON.stringify(t.toJSON())).toMatch(/kms:ViaService/);
    expect(WhatsAppTokenFleet.secretName('clients', 'acme')).toBe('whatsapp-token-guard/fleet/clients/acme');
  });
});

describe('WhatsAppTokenFleet props', () => {
  it.each([
    [{ fleetName: 'my fleet' }, /prop "fleetName" must be 1-32 letters/],
    [{ appId: 'abc' }, /prop "appId" must be the numeric Meta app id/],
    [{ sweepInterval: Duration.minutes(45) }, /prop "sweepInterval" must be one of 15, 30, 60/],
    [{ workerConcurrency: 1 }, /prop "workerConcurrency" must be a whole number from 2 to 1000/],
    [{ maxReceiveCount: 50 }, /prop "maxReceiveCount"/],
  ])('throws at synth for %j, naming the prop', (props, message) => {
    expect(() => synth(props as Partial<WhatsAppTokenFleetProps>)).toThrow(message);
  });
});

describe('tokenFleet in cdk.json', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseGuardConfig } = require('../../lib/config') as typeof import('../../lib/config');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WhatsAppTokenGuardStack } = require('../../lib/whatsapp-token-guard-stack') as typeof import('../../lib/whatsapp-token-guard-stack');

  it('reads a fleet-only configuration with its defaults', () => {
    // Act
    const c = parseGuardConfig({ appId: '1234567890123456', tokenFleet: { name: 'clients' } });
    // Assess
    expect(c.tokens).toEqual([]);
    expect(c.tokenFleet).toEqual({ name: 'clients', sweepIntervalMinutes: 60, workerConcurrency: 5, maxReceiveCount: 5, requiredScopes: ['whatsapp_business_messaging', 'whatsapp_business_management'], expiryWarningDays: 14 });
  });

  it.each([
    [{ name: 'clients', sweepIntervalMinutes: 45 }, /tokenGuard.tokenFleet.sweepIntervalMinutes" must be one of 15, 30, 60/],
    [{ name: 'my clients' }, /tokenGuard.tokenFleet.name" has an invalid value "my clients"/],
    [{ name: 'clients', workerConcurency: 5 }, /tokenGuard.tokenFleet.workerConcurency" is not a known setting. Did you mean "workerConcurrency"\?/],
    [{ name: 'clients', workerConcurrency: 1 }, /workerConcurrency" must be a whole number from 2 to 1000/],
  ])('throws for tokenFleet %j, naming the field and the fix', (tokenFleet, message) => {
    expect(() => parseGuardConfig({ appId: '1234567890123456', tokenFleet })).toThrow(message);
  });

  it('deploys the fleet next to fixed tokens, sharing the app secret, topic and ledger, with the fleet in the Manifest output and cdk-nag clean', () => {
    // GIVEN
    const app = new App();
    const stack = new WhatsAppTokenGuardStack(app, 'Guard', { env: ENV, config: parseGuardConfig({ appId: '1234567890123456', tokens: [{ name: 'primary' }], tokenFleet: { name: 'clients', workerConcurrency: 10 } }) });
    // WHEN
    const t = Template.fromStack(stack);
    // THEN
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 10 } });
    const manifest = JSON.stringify(t.findOutputs('Manifest'));
    expect(manifest).toMatch(/\\"fleet\\":\{\\"name\\":\\"clients\\",\\"secretNamePrefix\\":\\"whatsapp-token-guard\/fleet\/clients\/\\"/);
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });
});
