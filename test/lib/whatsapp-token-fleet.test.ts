import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { FLEET_DIMENSION, FleetMetric, NAMESPACE } from '../../lambda/contract';
import { WhatsAppTokenFleet, WhatsAppTokenFleetProps } from '../../lib/whatsapp-token-fleet';
import { CANARY_APP_SECRET, CANARY_TOKEN } from '../fakes/canary';

const ENV = { account: '111111111111', region: 'us-east-1' };
const PREFIX_ARN = 'arn:${AWS::Partition}:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard-fleet/Fleet/clients/*';

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
    expect(Object.values(secrets).map((s) => (s as { Properties: { Name: string } }).Properties.Name)).toEqual(['whatsapp-token-guard-fleet-app-secret/Fleet/clients']);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(JSON.stringify(alarm)).not.toContain('TokenName');
    }
  });

  it('alarms on the aggregate Fleet metrics: any unhealthy, expiring, sweep incomplete, no sweep, dead letters', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: FleetMetric.TokensUnhealthy, Namespace: NAMESPACE, Dimensions: [{ Name: FLEET_DIMENSION, Value: 'Fleet/clients' }], Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: FleetMetric.TokensExpiring });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: FleetMetric.SweepRuns, TreatMissingData: 'breaching' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'whatsapp-token-guard-fleet/Fleet/clients/FleetSweepIncomplete', Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp('checked / planned') })]) });
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

  it('scopes secret access to the fleet prefix: the worker reads and settles, only the rotation function writes values', () => {
    // Assess
    const all = statements(template).filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    for (const s of all) {
      const resources = text(s.Resource);
      if ([s.Action].flat().includes('secretsmanager:ListSecrets')) {
        expect(s.Resource).toBe('*');
        expect([s.Action].flat()).toEqual(['secretsmanager:ListSecrets']);
      } else expect(resources === PREFIX_ARN || resources.includes('fleet-app-secret') || s.Sid === 'ReadAppSecret').toBe(true);
    }
    const worker = all.find((s) => s.Sid === 'CheckAndSettleFleetTokens')!;
    expect(worker.Action).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:UpdateSecretVersionStage']);
    expect(text(worker.Resource)).toBe(PREFIX_ARN);
    const rotation = all.find((s) => s.Sid === 'RotateFleetTokenSecrets')!;
    expect(text(rotation.Resource)).toBe(PREFIX_ARN);
  });

  it('lets the worker and the router write only the fleet\'s ledger items and put only the guard\'s own events', () => {
    const ledger = statements(template).filter((s) => s.Sid === 'OwnLedgerItemsOnly');
    expect(ledger).toHaveLength(2);
    for (const s of ledger) expect(s.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['Fleet/clients/*'] } });
    const events = statements(template).filter((s) => s.Sid === 'PutOwnEventsOnDefaultBus');
    for (const s of events) expect(s.Condition).toEqual({ StringEquals: { 'events:source': 'whatsapp-token-guard' } });
  });

  it('turns health events of any fleet token into readable messages on the topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['whatsapp-token-guard'], 'detail-type': ['WhatsApp Token Health Changed'], detail: { ledgerKey: [{ prefix: 'Fleet/clients/' }] } }) });
  });

  it('lets Secrets Manager invoke the one rotation function for the fleet prefix only, from this account', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com', SourceAccount: '111111111111', SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':secret:whatsapp-token-guard-fleet/Fleet/clients/\\*$')])] }) });
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

/** IAM's wildcard matching (`*` any run of characters, `?` one), on text where tokens are shown as ${...}. */
function iamMatches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))).join('')}$`);
  return re.test(value);
}

/** What two stacks' fleets could collide on, read from the template the way AWS will see it. */
function footprint(stack: Stack, fleet: WhatsAppTokenFleet) {
  const t = Template.fromStack(stack);
  const env = Object.values(t.findResources('AWS::Lambda::Function')).map((f) => (f as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties.Environment?.Variables ?? {});
  const worker = env.find((e) => e.SWEEP_MAX_RECEIVE_COUNT !== undefined)!;
  const secretPatterns = statements(t)
    .filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:') && a !== 'secretsmanager:ListSecrets'))
    .flatMap((st) => [st.Resource].flat().map(text));
  const leadingKeys = statements(t).filter((st) => st.Sid === 'OwnLedgerItemsOnly').flatMap((st) => Object.values(st.Condition as Record<string, Record<string, string[]>>).flatMap((c) => c['dynamodb:LeadingKeys']));
  const alarmNames = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => (a as { Properties: { AlarmName: string } }).Properties.AlarmName);
  const rulePrefixes = Object.values(t.findResources('AWS::Events::Rule')).map((r) => JSON.stringify((r as { Properties: { EventPattern?: unknown } }).Properties.EventPattern ?? {}));
  const secretNames = Object.values(t.findResources('AWS::SecretsManager::Secret')).map((r) => (r as { Properties: { Name: string } }).Properties.Name);
  return {
    secretPatterns,
    leadingKeys,
    alarmNames,
    rulePrefixes,
    secretNames,
    /** The value a secret's token-guard:fleet tag must carry for the planner to sweep it. */
    tagValue: worker.FLEET_ID ?? worker.FLEET_NAME,
    /** What a token of this fleet is stored and recorded as. */
    tokenSecretArn: `arn:\${AWS::Partition}:secretsmanager:us-east-1:111111111111:secret:${fleet.secretNamePrefix}acme-AbC123`,
    ledgerKey: `${worker.LEDGER_SCOPE}/acme`,
    dimension: (Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => JSON.stringify(a)).find((a) => a.includes('TokensUnhealthy')) ?? '').match(/"Name":"Fleet","Value":"([^"]+)"/)?.[1],
  };
}

describe('two stacks with a fleet of the same name (staging and prod in one account)', () => {
  const app = new App();
  const staging = new Stack(app, 'Staging', { env: ENV });
  const prod = new Stack(app, 'Prod', { env: ENV });
  const fa = new WhatsAppTokenFleet(staging, 'Clients', { fleetName: 'clients', appId: '1234567890123456' });
  const fb = new WhatsAppTokenFleet(prod, 'Clients', { fleetName: 'clients', appId: '1234567890123456' });
  const a = footprint(staging, fa);
  const b = footprint(prod, fb);

  it("grant each stack's roles its own fleet's secrets and never the other's", () => {
    expect(a.secretPatterns.some((p) => iamMatches(p, a.tokenSecretArn))).toBe(true);
    expect(b.secretPatterns.some((p) => iamMatches(p, b.tokenSecretArn))).toBe(true);
    expect(a.secretPatterns.filter((p) => iamMatches(p, b.tokenSecretArn))).toEqual([]);
    expect(b.secretPatterns.filter((p) => iamMatches(p, a.tokenSecretArn))).toEqual([]);
  });

  it('sweep only secrets tagged for their own stack', () => {
    expect(a.tagValue).not.toBe(b.tagValue);
  });

  it("write ledger items the other stack's functions cannot touch, and none of the single guard's", () => {
    expect(a.ledgerKey).not.toBe(b.ledgerKey);
    expect(a.leadingKeys.filter((k) => iamMatches(k, b.ledgerKey))).toEqual([]);
    expect(b.leadingKeys.filter((k) => iamMatches(k, a.ledgerKey))).toEqual([]);
    for (const k of [...a.leadingKeys, ...b.leadingKeys]) expect(iamMatches(k, 'guard/acme')).toBe(false);
  });

  it('name their alarms, secrets, metric dimensions and notification rules apart', () => {
    expect(a.alarmNames.filter((n) => b.alarmNames.includes(n))).toEqual([]);
    expect(a.secretNames.filter((n) => b.secretNames.includes(n))).toEqual([]);
    expect(a.dimension).toBeDefined();
    expect(a.dimension).not.toBe(b.dimension);
    // Each stack's notification rules match its own ledger keys only (EventBridge prefix matching on detail.ledgerKey).
    const prefixes = (f: typeof a): string[] => f.rulePrefixes.flatMap((r) => [...r.matchAll(/"prefix":"([^"]+)"/g)].map((m) => m[1]));
    expect(prefixes(a).length).toBeGreaterThan(0);
    expect(prefixes(a).filter((p) => b.ledgerKey.startsWith(p))).toEqual([]);
    expect(prefixes(b).filter((p) => a.ledgerKey.startsWith(p))).toEqual([]);
  });
});

describe('names that overlap another namespace', () => {
  it('refuses a fleet named like the single guard\'s ledger scope, naming the prop', () => {
    expect(() => synth({ fleetName: 'guard' })).toThrow(/prop "fleetName" must not be "guard": that is the single guard's ledger scope/);
  });

  it('refuses a stack named "fleet" in the app, whose guards\' secrets would fall inside legacy fleet names', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parseGuardConfig } = require('../../lib/config') as typeof import('../../lib/config');
    expect(() => parseGuardConfig({ appId: '1234567890123456', stackName: 'fleet', tokens: [{ name: 'primary' }] })).toThrow(/stackName" must not be "fleet"/);
    expect(() => parseGuardConfig({ appId: '1234567890123456', tokenFleet: { name: 'guard' } })).toThrow(/tokenFleet.name" must not be "guard"/);
  });

  it('keeps the legacy names of a reattached fleet, with a warning that they are not unique per stack', () => {
    const { fleet, stack } = synth({ legacySecretNames: true });
    expect(fleet.secretNamePrefix).toBe('whatsapp-token-guard/fleet/clients/');
    expect(fleet.tokenSecretName('acme')).toBe('whatsapp-token-guard/fleet/clients/acme');
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('not unique per stack'));
    expect(warnings).toHaveLength(1);
  });
});

/** README.md and the docs/ pages: wherever the runbooks and the security notes live. */
function docs(): string {
  const root = path.join(__dirname, '..', '..');
  const dir = path.join(root, 'docs');
  const pages = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')) : [];
  return [fs.readFileSync(path.join(root, 'README.md'), 'utf8'), ...pages].join('\n');
}

/** cdk-nag's AwsSolutions pack, noting every finding an acknowledgement covered and on which construct. */
function recordingChecks(): { checks: AwsSolutionsChecks; covered: { resource: string; id: string }[] } {
  const checks = new AwsSolutionsChecks();
  const covered: { resource: string; id: string }[] = [];
  const pack = checks as unknown as { isAcknowledged(resource: IConstruct, ruleId: string): boolean };
  const original = pack.isAcknowledged.bind(checks);
  pack.isAcknowledged = (resource, ruleId) => {
    const hit = original(resource, ruleId);
    if (hit) covered.push({ resource: resource.node.path, id: ruleId });
    return hit;
  };
  return { checks, covered };
}

describe('FleetNoSweep', () => {
  const { template } = synth();
  const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => (a as { Properties: Record<string, unknown> }).Properties).find((p) => String(p.AlarmName).endsWith('/FleetNoSweep'))!;

  it('fires when the planner missed two of its 15-minute periods in a row, as its text and the runbook say', () => {
    expect({ period: alarm.Period, evaluationPeriods: alarm.EvaluationPeriods, datapointsToAlarm: alarm.DatapointsToAlarm, missing: alarm.TreatMissingData }).toEqual({ period: 900, evaluationPeriods: 2, datapointsToAlarm: 2, missing: 'breaching' });
    expect(alarm.AlarmDescription).toMatch(/has not run for two of its periods \(30 minutes\)/);
    const runbook = docs().split('\n').find((l) => l.includes('`FleetNoSweep`') && l.startsWith('|'));
    expect(runbook).toMatch(/two of its periods \(30 minutes\)/);
  });
});

describe('least privilege with a customer managed key', () => {
  const app = new App();
  const stack = new Stack(app, 'Fleet', { env: ENV });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  new WhatsAppTokenFleet(stack, 'F', { fleetName: 'clients', appId: '1234567890123456', encryptionKey: key, dashboardEnabled: false });
  const t = Template.fromStack(stack);
  const keyStatements = (Object.values(t.findResources('AWS::KMS::Key'))[0] as { Properties: { KeyPolicy: { Statement: { Action: string | string[]; Principal: unknown; Condition?: unknown }[] } } }).Properties.KeyPolicy.Statement;
  const forRole = (role: string) => keyStatements.filter((st) => JSON.stringify(st.Principal).includes(role));

  it('lets the rotation function Decrypt and GenerateDataKey through Secrets Manager, and nothing else', () => {
    const st = forRole('FRotationRole');
    expect(st.length).toBeGreaterThan(0);
    expect([...new Set(st.flatMap((x) => [x.Action].flat()))].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    for (const x of st) expect(JSON.stringify(x.Condition)).toMatch(/kms:ViaService.*secretsmanager\.us-east-1\.amazonaws\.com/);
  });

  it('lets the worker only Decrypt, through Secrets Manager', () => {
    const st = forRole('FWorkerRole');
    expect([...new Set(st.flatMap((x) => [x.Action].flat()))]).toEqual(['kms:Decrypt']);
    for (const x of st) expect(JSON.stringify(x.Condition)).toMatch(/kms:ViaService/);
  });
});

describe('cdk-nag acknowledgements of a fleet', () => {
  const app = new App();
  const stack = new Stack(app, 'Fleet', { env: ENV });
  const fleet = new WhatsAppTokenFleet(stack, 'Clients', { fleetName: 'clients', appId: '1234567890123456' });
  const declared = fleet.node.findAll().flatMap((c) =>
    c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.keys(m.data as object).map((k) => ({ owner: c.node.path, id: k.replace(/^annotation::/i, '') }))),
  );
  const checks = recordingChecks();
  const report = checks.checks.validateScope(app);
  /** An id as the docs write it: the stack's concrete names replaced by what they stand for. */
  const generic = (id: string): string =>
    id.replace(/\[Resource::arn:<AWS::Partition>:secretsmanager:[^\]]*:secret:whatsapp-token-guard-fleet\/[^\]]*\*\]/, '[Resource::arn:<AWS::Partition>:secretsmanager:<region>:<account>:secret:whatsapp-token-guard-fleet/<stack>/<fleet>/*]').replace(/\[Resource::<\w+PlannerFunction\w+\.Arn>:\*\]/, '[Resource::<planner ARN>:*]');

  it('covers a real finding with every acknowledgement it makes', () => {
    expect(report.violations).toEqual([]);
    const unused = declared.filter((a) => !checks.covered.some((c) => c.id === a.id && (c.resource === a.owner || c.resource.startsWith(`${a.owner}/`))));
    expect(unused).toEqual([]);
  });

  it('lists exactly those acknowledgements in the security notes', () => {
    const text = docs();
    const start = text.indexOf('A fleet (`WhatsAppTokenFleet`) acknowledges');
    expect(start).toBeGreaterThanOrEqual(0);
    const block = text.slice(start, text.indexOf('\n\n', start));
    const listed = [...block.matchAll(/`(AwsSolutions-[^`]+)`/g)].map((m) => m[1]);
    expect([...new Set(listed)].sort()).toEqual([...new Set(declared.map((a) => generic(a.id)))].sort());
  });
});

describe('WhatsAppTokenFleet.grantReadTokens', () => {
  it('grants GetSecretValue on the fleet prefix, AWSCURRENT only, and the key through Secrets Manager only', () => {
    // Prepare
    const app = new App();
    const stack = new Stack(app, 'Fleet', { env: ENV });
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
    expect(fleet.tokenSecretName('acme')).toBe('whatsapp-token-guard-fleet/Fleet/clients/acme');
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
    expect(c.tokenFleet).toEqual({ name: 'clients', legacySecretNames: false, sweepIntervalMinutes: 60, workerConcurrency: 5, maxReceiveCount: 5, requiredScopes: ['whatsapp_business_messaging', 'whatsapp_business_management'], expiryWarningDays: 14 });
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
    expect(manifest).toMatch(/\\"fleet\\":\{\\"name\\":\\"clients\\",\\"fleetId\\":\\"Guard\/clients\\",\\"secretNamePrefix\\":\\"whatsapp-token-guard-fleet\/Guard\/clients\/\\"/);
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`)).toEqual([]);
  });
});
