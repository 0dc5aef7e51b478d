// The documented configurations, synthesized side by side: names never collide, retained secrets can be
// reattached, tags and the deploy guard are where the README says, and cdk-nag stays clean in every one.
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PUBLISHER_SIDS } from '../../lib/alarm-topic';
import { EXAMPLE_APP_ID, parseGuardConfig } from '../../lib/config';
import { CHECKER_COMPONENT, GuardTag } from '../../lib/guard-tags';
import { EXAMPLE_APP_ID_PARAMETER, WhatsAppTokenGuard } from '../../lib/whatsapp-token-guard';
import { WhatsAppTokenGuardStack } from '../../lib/whatsapp-token-guard-stack';

const ENV = { account: '111111111111', region: 'us-east-1' };
const APP_ID = '987654321098765';
const OLD_TOKEN_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/WhatsAppTokenGuard/primary/token-AbC123';
const OLD_APP_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/WhatsAppTokenGuard/meta-app-secret-XyZ789';
const OLD_KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function appStack(app: App, raw: Record<string, unknown>): WhatsAppTokenGuardStack {
  const config = parseGuardConfig(raw);
  return new WhatsAppTokenGuardStack(app, config.stackName, { config, env: ENV });
}

const secretNames = (t: Template): string[] => Object.values(t.findResources('AWS::SecretsManager::Secret')).map((r) => r.Properties.Name);
const nagViolations = (app: App): string[] => new AwsSolutionsChecks().validateScope(app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const tagsOf = (resource: { [k: string]: any }): Record<string, string> => Object.fromEntries(((resource.Properties?.Tags ?? []) as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));

describe('two stacks in one app, each with a token named "primary"', () => {
  // GIVEN
  const app = new App();
  const a = appStack(app, { stackName: 'GuardProd', appId: APP_ID, tokens: [{ name: 'primary' }] });
  const b = appStack(app, { stackName: 'GuardStaging', appId: APP_ID, tokens: [{ name: 'primary' }] });
  const [ta, tb] = [Template.fromStack(a), Template.fromStack(b)];

  it('gives every secret a name of its own stack, so neither deploy collides with the other', () => {
    // THEN
    expect(secretNames(ta).sort()).toEqual(['whatsapp-token-guard/GuardProd/meta-app-secret', 'whatsapp-token-guard/GuardProd/primary/token']);
    expect(secretNames(tb).sort()).toEqual(['whatsapp-token-guard/GuardStaging/meta-app-secret', 'whatsapp-token-guard/GuardStaging/primary/token']);
  });

  it('gives every alarm and dashboard a name of its own stack', () => {
    const names = (t: Template, type: string, prop: string): string[] => Object.values(t.findResources(type)).map((r) => r.Properties[prop]);
    const all = [...names(ta, 'AWS::CloudWatch::Alarm', 'AlarmName'), ...names(tb, 'AWS::CloudWatch::Alarm', 'AlarmName'), ...names(ta, 'AWS::CloudWatch::CompositeAlarm', 'AlarmName'), ...names(tb, 'AWS::CloudWatch::CompositeAlarm', 'AlarmName')];
    expect(new Set(all).size).toBe(all.length);
    expect(names(ta, 'AWS::CloudWatch::Dashboard', 'DashboardName')).not.toEqual(names(tb, 'AWS::CloudWatch::Dashboard', 'DashboardName'));
  });

  it('is clean under cdk-nag', () => {
    expect(nagViolations(app)).toEqual([]);
  });
});

describe('a renamed stack', () => {
  it('names its new secrets after the new stack name', () => {
    const app = new App();
    const t = Template.fromStack(appStack(app, { stackName: 'WaTokenGuardProd', appId: APP_ID, tokens: [{ name: 'primary' }] }));
    expect(secretNames(t)).toEqual(expect.arrayContaining(['whatsapp-token-guard/WaTokenGuardProd/primary/token']));
  });
});

describe('reattaching the retained secrets and key of a destroyed stack', () => {
  // GIVEN the README's reattach configuration
  const app = new App();
  const stack = appStack(app, { appId: APP_ID, appSecretArn: OLD_APP_SECRET, secretsKeyArn: OLD_KEY, tokens: [{ name: 'primary', tokenSecretArn: OLD_TOKEN_SECRET }] });
  const t = Template.fromStack(stack);

  it('creates no secret and no key: the old ones are used as they are', () => {
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    t.resourceCountIs('AWS::KMS::Key', 1); // the alarm topic's key only
    t.resourcePropertiesCountIs('AWS::KMS::Key', { Description: 'Encrypts the WhatsApp token and app secrets' }, 0);
  });

  it('makes the function the rotation function of the reattached token secret', () => {
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { SecretId: OLD_TOKEN_SECRET, RotateImmediatelyOnUpdate: false });
    t.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com', SourceArn: OLD_TOKEN_SECRET, SourceAccount: '111111111111' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TOKEN_SECRET_ARN: OLD_TOKEN_SECRET, APP_SECRET_ARN: OLD_APP_SECRET }) } });
  });

  it('lets the function rotate only the reattached token secret, read the app secret and use the old key through Secrets Manager', () => {
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'RotateOwnTokenSecret', Resource: OLD_TOKEN_SECRET }),
        expect.objectContaining({ Sid: 'ReadAppSecret', Resource: OLD_APP_SECRET }),
        expect.objectContaining({ Resource: OLD_KEY, Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } } }),
      ]),
    );
  });

  it('watches Secrets Manager rotation events of the reattached secret', () => {
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: Match.objectLike({ additionalEventData: { SecretId: [OLD_TOKEN_SECRET] } }) }) });
  });

  it('is clean under cdk-nag', () => {
    expect(nagViolations(app)).toEqual([]);
  });

  it('refuses a token secret of another region, since a rotation function must be in the secret\'s region', () => {
    const other = new App();
    const s = new Stack(other, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    expect(() => new WhatsAppTokenGuard(s, 'G', { tokenName: 'primary', appId: APP_ID, tokenSecret: secretsmanager.Secret.fromSecretCompleteArn(s, 'Old', OLD_TOKEN_SECRET) })).toThrow(
      /prop "tokenSecret" is in account 111111111111, region us-east-1, but the stack deploys to account 111111111111, region eu-west-1/,
    );
  });
});

describe('a renamed token, reattached to its old secret', () => {
  it('guards the old secret under the new name', () => {
    const app = new App();
    const t = Template.fromStack(appStack(app, { appId: APP_ID, tokens: [{ name: 'main', tokenSecretArn: OLD_TOKEN_SECRET }] }));
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TOKEN_NAME: 'main', TOKEN_SECRET_ARN: OLD_TOKEN_SECRET }) } });
    expect(secretNames(t)).toEqual(['whatsapp-token-guard/WhatsAppTokenGuard/meta-app-secret']);
  });
});

describe('tags', () => {
  const app = new App();
  const t = Template.fromStack(appStack(app, { appId: APP_ID, tags: { team: 'payments', 'cost-center': 'cc-42' }, tokens: [{ name: 'primary' }] }));

  it.each([['AWS::Lambda::Function'], ['AWS::SecretsManager::Secret'], ['AWS::CloudWatch::Alarm'], ['AWS::Events::Rule'], ['AWS::Logs::LogGroup'], ['AWS::IAM::Role']])('puts the guard tags and yours on every %s', (type) => {
    for (const r of Object.values(t.findResources(type))) {
      expect(tagsOf(r)).toEqual(expect.objectContaining({ team: 'payments', 'cost-center': 'cc-42' }));
    }
    const guarded = Object.values(t.findResources(type)).filter((r) => tagsOf(r)[GuardTag.Token]);
    expect(guarded.length).toBeGreaterThan(0);
    for (const r of guarded) expect(tagsOf(r)).toEqual(expect.objectContaining({ [GuardTag.Token]: 'primary', [GuardTag.Stack]: 'WhatsAppTokenGuard' }));
  });

  it('marks exactly one function per token as the checker, the one the operator command looks up', () => {
    const checkers = Object.values(t.findResources('AWS::Lambda::Function')).filter((r) => tagsOf(r)[GuardTag.Component] === CHECKER_COMPONENT);
    expect(checkers).toHaveLength(1);
  });
});

describe('the example app id', () => {
  it('synthesizes with a warning naming the field, and a rule CloudFormation refuses at deploy with the same words', () => {
    // WHEN
    const app = new App();
    const stack = appStack(app, { appId: EXAMPLE_APP_ID, tokens: [{ name: 'primary' }] });
    // THEN
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('appId 1234567890123456 is the example app id.*Set "tokenGuard.appId" in cdk.json'));
    const template = Template.fromStack(stack).toJSON();
    const parameter = template.Parameters[EXAMPLE_APP_ID_PARAMETER];
    // The default satisfies its own constraint (cfn-lint E2015), and no other value is allowed to get past the rule.
    expect(parameter).toMatchObject({ Type: 'String', Default: EXAMPLE_APP_ID, AllowedValues: [EXAMPLE_APP_ID] });
    expect(parameter.AllowedPattern).toBeUndefined();
    expect(template.Rules.TokenGuardRefusesTheExampleAppId).toEqual({
      Assertions: [
        {
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: EXAMPLE_APP_ID_PARAMETER }, EXAMPLE_APP_ID] }] },
          AssertDescription: expect.stringMatching(/^appId 1234567890123456 is the example app id.*Set "tokenGuard.appId" in cdk.json.*deploy is refused until you do\.$/),
        },
      ],
    });
  });

  it('adds neither for a real app id', () => {
    const app = new App();
    const stack = appStack(app, { appId: APP_ID, tokens: [{ name: 'primary' }] });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('example app id'));
    expect(Template.fromStack(stack).toJSON().Parameters?.[EXAMPLE_APP_ID_PARAMETER]).toBeUndefined();
    expect(Template.fromStack(stack).toJSON().Rules?.TokenGuardRefusesTheExampleAppId).toBeUndefined();
  });
});

describe('alarm topic publishers', () => {
  const statementsOf = (t: Template, type: string, docProp: string): Record<string, unknown>[] => Object.values(t.findResources(type)).flatMap((r) => r.Properties[docProp].Statement);

  it('lets only this account\'s alarms and rules publish to the created topic, and use its key', () => {
    const app = new App();
    const t = Template.fromStack(appStack(app, { appId: APP_ID, tokens: [{ name: 'primary' }] }));
    const topic = statementsOf(t, 'AWS::SNS::TopicPolicy', 'PolicyDocument');
    const allows = topic.filter((s) => s.Effect === 'Allow');
    expect(allows.map((s) => s.Sid).sort()).toEqual([PUBLISHER_SIDS.cloudWatchTopic, PUBLISHER_SIDS.eventBridgeTopic].sort());
    expect(allows.find((s) => s.Sid === PUBLISHER_SIDS.eventBridgeTopic)).toEqual(
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' }, ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:111111111111:rule/*']] } } },
      }),
    );
    const key = statementsOf(t, 'AWS::KMS::Key', 'KeyPolicy');
    expect(key.find((s) => s.Sid === PUBLISHER_SIDS.eventBridgeKey)).toEqual(expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } } }));
  });

  it('gives your own topic (defined in the app, encrypted with your key) the same scoped statements', () => {
    // GIVEN a topic and key of the user's stack
    const app = new App();
    const stack = new Stack(app, 'Mine', { env: ENV });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Oncall', { masterKey: key, enforceSSL: true });
    // WHEN
    new WhatsAppTokenGuard(stack, 'Guard', { tokenName: 'primary', appId: APP_ID, alarmTopic: topic });
    // THEN
    const t = Template.fromStack(stack);
    const sids = statementsOf(t, 'AWS::SNS::TopicPolicy', 'PolicyDocument').map((s) => s.Sid);
    expect(sids).toEqual(expect.arrayContaining([PUBLISHER_SIDS.cloudWatchTopic, PUBLISHER_SIDS.eventBridgeTopic]));
    const keySids = statementsOf(t, 'AWS::KMS::Key', 'KeyPolicy').map((s) => s.Sid);
    expect(keySids).toEqual(expect.arrayContaining([PUBLISHER_SIDS.cloudWatchKey, PUBLISHER_SIDS.eventBridgeKey]));
    t.resourceCountIs('AWS::SNS::Topic', 1);
    expect(nagViolations(app)).toEqual([]);
  });

  it('sends the rotation-failed rule and the alarms to a topic imported by ARN without touching its policy', () => {
    const app = new App();
    const t = Template.fromStack(appStack(app, { appId: APP_ID, alarmTopicArn: 'arn:aws:sns:us-east-1:111111111111:oncall', tokens: [{ name: 'primary' }] }));
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    t.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: 'arn:aws:sns:us-east-1:111111111111:oncall' })] });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: Match.stringLikeRegexp('NoCheckReported'), AlarmActions: ['arn:aws:sns:us-east-1:111111111111:oncall'] });
    expect(nagViolations(app)).toEqual([]);
  });
});

describe('dashboard', () => {
  const body = (raw: Record<string, unknown>): string => {
    const app = new App();
    const t = Template.fromStack(appStack(app, raw));
    return JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
  };

  it('opens on a week, and shows the checker\'s errors, throttles and duration', () => {
    const b = body({ appId: APP_ID, tokens: [{ name: 'primary' }] });
    expect(b).toContain('\\"start\\":\\"-P7D\\"');
    for (const m of ['Errors', 'Throttles', 'Duration', 'Invocations']) expect(b).toContain(`\\"AWS/Lambda\\",\\"${m}\\"`);
  });

  it('plots AssetAccess only for a token with asset probes', () => {
    expect(body({ appId: APP_ID, tokens: [{ name: 'primary' }] })).not.toContain('AssetAccess');
    expect(body({ appId: APP_ID, tokens: [{ name: 'primary', wabaId: '102290129340398' }] })).toContain('AssetAccess');
  });
});
