// The operator command finds a guard wherever it was deployed: the tagging API and Lambda are answered from
// the synthesized template of a user's own stack (tags, environment, alarm names as CloudFormation would
// create them), so the construct's side of the contract and the command's side are tested together.
import { PassThrough, Readable } from 'node:stream';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetResourcesCommand, GetResourcesCommandInput, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { locate } from '../../bin/cli/aws';
import { runCli } from '../../bin/cli/main';
import { AlarmTopic } from '../../lib/alarm-topic';
import { emptyAppSecret } from '../../lib/empty-secret';
import { TokenRotationMode, WhatsAppTokenGuard } from '../../lib';
import { WhatsAppTokenGuardStack } from '../../lib/whatsapp-token-guard-stack';
import { parseGuardConfig } from '../../lib/config';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const taggingMock = mockClient(ResourceGroupsTaggingAPIClient);
const lambdaMock = mockClient(LambdaClient);

interface Deployed {
  readonly arn: string;
  readonly type: 'lambda:function' | 'cloudwatch:alarm';
  readonly tags: Record<string, string>;
  readonly environment?: Record<string, string>;
  readonly functionName?: string;
}

/** What CloudFormation would create from the templates: physical names and ARNs for the logical ids. */
function deploy(...stacks: Stack[]): Deployed[] {
  const deployed: Deployed[] = [];
  for (const stack of stacks) {
    const t = Template.fromStack(stack).toJSON();
    const physical = (logicalId: string): string => {
      const r = t.Resources[logicalId];
      if (r.Type === 'AWS::SecretsManager::Secret') return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${r.Properties.Name}-AbCdEf`;
      return `${stack.stackName}-${logicalId}`;
    };
    const resolve = (v: unknown): string => (typeof v === 'string' ? v : physical((v as { Ref: string }).Ref));
    const tagsOf = (r: { Properties: { Tags?: { Key: string; Value: string }[] } }): Record<string, string> => Object.fromEntries((r.Properties.Tags ?? []).map((x) => [x.Key, x.Value]));
    for (const [id, r] of Object.entries<{ Type: string; Properties: Record<string, unknown> & { Tags?: { Key: string; Value: string }[] } }>(t.Resources)) {
      if (r.Type === 'AWS::Lambda::Function') {
        const vars = ((r.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}) as Record<string, unknown>;
        const functionName = physical(id);
        deployed.push({ arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`, type: 'lambda:function', tags: tagsOf(r), functionName, environment: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolve(v)])) });
      }
      if (r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm') {
        deployed.push({ arn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${r.Properties.AlarmName}`, type: 'cloudwatch:alarm', tags: tagsOf(r) });
      }
    }
  }
  return deployed;
}

/** GetResources as the Resource Groups Tagging API documents it: every TagFilter must match (any of its values). */
function answerFrom(deployed: Deployed[]): void {
  taggingMock.on(GetResourcesCommand).callsFake(async (input: GetResourcesCommandInput) => ({
    ResourceTagMappingList: deployed
      .filter((d) => !input.ResourceTypeFilters || input.ResourceTypeFilters.includes(d.type))
      .filter((d) => (input.TagFilters ?? []).every((f) => f.Key! in d.tags && (!f.Values?.length || f.Values.includes(d.tags[f.Key!]))))
      .map((d) => ({ ResourceARN: d.arn, Tags: Object.entries(d.tags).map(([Key, Value]) => ({ Key, Value })) })),
  }));
  lambdaMock.on(GetFunctionConfigurationCommand).callsFake(async (input: { FunctionName: string }) => {
    const d = deployed.find((x) => x.type === 'lambda:function' && (x.arn === input.FunctionName || x.functionName === input.FunctionName));
    if (!d) throw Object.assign(new Error(`Function not found: ${input.FunctionName}`), { name: 'ResourceNotFoundException' });
    return { FunctionName: d.functionName, FunctionArn: d.arn, Environment: { Variables: d.environment } };
  });
}

const clients = () => {
  const c = { region: REGION, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
  return { secrets: new SecretsManagerClient(c), lambda: new LambdaClient(c), cloudwatch: new CloudWatchClient(c), cloudformation: new CloudFormationClient(c), dynamodb: new DynamoDBClient(c), tagging: new ResourceGroupsTaggingAPIClient(c) };
};

/** A user's own stack: two guards sharing an app secret and topic, one of them refreshing its token. */
function userStack(app: App): Stack {
  const stack = new Stack(app, 'PaymentsService', { env: { account: ACCOUNT, region: REGION } });
  const appSecret = emptyAppSecret(stack, 'MetaAppSecret', { secretName: 'payments/meta-app-secret', description: 'Meta app secret' });
  const topic = new AlarmTopic(stack, 'Alarms').topic;
  new WhatsAppTokenGuard(stack, 'SupportToken', { tokenName: 'support', appId: '987654321098765', appSecret, alarmTopic: topic });
  new WhatsAppTokenGuard(stack, 'MarketingToken', { tokenName: 'marketing', appId: '987654321098765', appSecret, alarmTopic: topic, rotation: { mode: TokenRotationMode.REFRESH } });
  return stack;
}

afterEach(() => {
  taggingMock.reset();
  lambdaMock.reset();
});

describe('finding a guard defined in a user\'s own stack', () => {
  const app = new App();
  const mine = userStack(app);
  const config = parseGuardConfig({ appId: '987654321098765', tokens: [{ name: 'support' }] });
  const appStack = new WhatsAppTokenGuardStack(app, 'WhatsAppTokenGuard', { config, env: { account: ACCOUNT, region: REGION } });
  const deployed = deploy(mine, appStack);

  it('finds the refresh-mode guard by token name, with its own secrets, mode and alarms', async () => {
    // GIVEN
    answerFrom(deployed);
    // WHEN
    const target = await locate(clients(), { token: 'marketing' });
    // THEN
    expect(target).toEqual(
      expect.objectContaining({
        tokenName: 'marketing',
        stackName: 'PaymentsService',
        rotationMode: 'refresh',
        tokenSecretArn: expect.stringContaining(':secret:whatsapp-token-guard/PaymentsService/marketing/token-'),
        appSecretArn: expect.stringContaining(':secret:payments/meta-app-secret-'),
        ledgerKey: 'guard/marketing',
        ledgerTableName: expect.stringContaining('PaymentsService-MarketingToken'),
      }),
    );
    expect(target.alarmNames).toEqual(expect.arrayContaining(['PaymentsService-marketing-TokenInvalid', 'PaymentsService-marketing-NoCheckReported']));
    expect(target.alarmNames.every((n) => n.startsWith('PaymentsService-marketing-'))).toBe(true);
  });

  it('asks for --stack when the same token name is guarded in two stacks, and finds it with --stack', async () => {
    answerFrom(deployed);
    await expect(locate(clients(), { token: 'support' })).rejects.toThrow(/Several guards match \(stack\/token\): PaymentsService\/support, WhatsAppTokenGuard\/support. Pick one with --token \(and --stack/);
    const target = await locate(clients(), { token: 'support', stack: 'WhatsAppTokenGuard' });
    expect(target.tokenSecretArn).toContain(':secret:whatsapp-token-guard/WhatsAppTokenGuard/support/token-');
    expect(target.alarmNames.every((n) => n.startsWith('WhatsAppTokenGuard-support-'))).toBe(true);
  });

  it('takes the token name and mode from the function named with --function-name, not "primary" and hand-made', async () => {
    answerFrom(deployed);
    const fn = deployed.find((d) => d.type === 'lambda:function' && d.environment?.TOKEN_NAME === 'marketing')!;
    const target = await locate(clients(), { functionName: fn.functionName });
    expect(target).toEqual(expect.objectContaining({ tokenName: 'marketing', rotationMode: 'refresh' }));
  });

  it('lets the operator command tell a hand-made token from a refresh one it found by tags', async () => {
    // GIVEN
    answerFrom(deployed);
    const stdout = new PassThrough();
    let err = '';
    const stderr = new PassThrough();
    stderr.on('data', (c) => (err += String(c)));
    // WHEN
    const code = await runCli(['--stack', 'PaymentsService', '--token', 'support', 'rotate'], { stdin: Readable.from(['']), stdout, stderr, env: {}, clients: clients() });
    // THEN
    expect(code).toBe(2);
    expect(err).toMatch(/Token "support" uses hand-made rotation/);
  });

  it('says what to do when no guard carries the tags in the region', async () => {
    answerFrom([]);
    await expect(locate(clients(), {})).rejects.toThrow(/No whatsapp-token-guard is deployed in this region. Check --region and --profile/);
  });
});
