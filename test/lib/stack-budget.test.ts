// How many tokens fit in one stack: the computed budget against synthesized stacks, the largest stack that fits (asset
// probes, rotation and a customer managed key) at the limit, and the refusals of the configuration and the construct,
// which come before CDK's own "Number of resources ... is greater than allowed maximum of 500".
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseGuardConfig } from '../../lib/config';
import { GuardTag } from '../../lib/guard-tags';
import { appStackBudget, appStackShapeOf, StackBudgetError } from '../../lib/private/stack-budget';
import { WhatsAppTokenGuard } from '../../lib/whatsapp-token-guard';
import { WhatsAppTokenGuardStack } from '../../lib/whatsapp-token-guard-stack';
import { APP_ID, fullTokens, MAX_FULL_TOKENS, SYNTH_MATRIX } from './synth-configs';

const ENV = { account: '111111111111', region: 'us-east-1' };
type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function synth(raw: Record<string, unknown>): { stack: WhatsAppTokenGuardStack; resources: Resources } {
  const app = new App({ context: { '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': true } });
  const config = parseGuardConfig(raw);
  const stack = new WhatsAppTokenGuardStack(app, config.stackName, { config, env: ENV });
  return { stack, resources: Template.fromStack(stack).toJSON().Resources as Resources };
}

const tagsOf = (r: { Properties?: Record<string, unknown> }): Record<string, string> => Object.fromEntries(((r.Properties?.Tags ?? []) as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));

describe('the computed budget', () => {
  it.each(SYNTH_MATRIX.filter(([, c]) => !c.tokenFleet && (c.tokens as unknown[]).length < 10))('counts exactly the resources CloudFormation gets for %s', (_name, raw) => {
    const { resources } = synth(raw);
    expect(appStackBudget(appStackShapeOf(parseGuardConfig(raw))).total).toBe(Object.keys(resources).length);
  });

  it('starts another notification rule of a kind before a pattern could outgrow EventBridge\'s 2048 characters', () => {
    // GIVEN the longest names: 8 tokens of 64 characters in a 120-character stack
    const [, raw] = SYNTH_MATRIX.find(([n]) => n.startsWith('long names'))!;
    const { resources } = synth(raw);
    const notifications = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule' && !tagsOf(r)[GuardTag.Token]);
    // THEN each kind is split in two, and the budget knew it
    expect(notifications).toHaveLength(8);
    expect(appStackBudget(appStackShapeOf(parseGuardConfig(raw))).notificationRules).toBe(8);
  });
});

describe(`${MAX_FULL_TOKENS} tokens with asset probes, refresh rotation and a customer managed key, in one stack`, () => {
  const raw = { appId: APP_ID, customerManagedKey: true, tokens: fullTokens(MAX_FULL_TOKENS) };
  const { resources } = synth(raw);
  const all = Object.values(resources);
  const rules = all.filter((r) => r.Type === 'AWS::Events::Rule');

  it("synthesize within CloudFormation's 500 resources, one kept for CDK's metadata", () => {
    expect(all.length).toBeLessThanOrEqual(499);
    expect(all.filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(MAX_FULL_TOKENS);
    expect(all.filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.MetricName === 'AssetAccess')).toHaveLength(MAX_FULL_TOKENS);
    expect(all.filter((r) => r.Type === 'AWS::SecretsManager::RotationSchedule' && r.Properties?.RotationRules)).toHaveLength(MAX_FULL_TOKENS);
    expect(all.filter((r) => r.Type === 'AWS::KMS::Key' && r.Properties?.Description === 'Encrypts the WhatsApp token and app secrets')).toHaveLength(1);
  });

  it('with two EventBridge rules per token (schedule, after-deploy check) and the notification rules once per stack', () => {
    const perToken = new Map<string, number>();
    for (const r of rules) {
      const token = tagsOf(r)[GuardTag.Token];
      if (token) perToken.set(token, (perToken.get(token) ?? 0) + 1);
    }
    expect([...perToken.values()]).toEqual(Array(MAX_FULL_TOKENS).fill(2));
    expect(rules.length - 2 * MAX_FULL_TOKENS).toBe(appStackBudget(appStackShapeOf(parseGuardConfig(raw))).notificationRules);
    expect(rules.length - 2 * MAX_FULL_TOKENS).toBeLessThanOrEqual(8);
  });

  it('and one more token is refused by the configuration, saying how many fit, why, and what to use instead', () => {
    expect(() => parseGuardConfig({ ...raw, tokens: fullTokens(MAX_FULL_TOKENS + 1) })).toThrow(
      new RegExp(
        `"tokenGuard.tokens" lists ${MAX_FULL_TOKENS + 1} tokens, but only the first ${MAX_FULL_TOKENS} fit in one stack: a token adds up to 22 CloudFormation resources \\(its function, role, .* and 10 alarms\\).*CloudFormation allows 500 per stack.*fleet mode.*about \\$0\\.42 a token a month.*another stack`,
      ),
    );
  });
});

describe('the construct', () => {
  it('refuses the guard that does not fit, before CDK does, and the number it names fits', () => {
    // GIVEN guards that each bring their own topic, key, app secret, ledger and dashboard (the construct's defaults)
    const app = new App();
    const stack = new Stack(app, 'Crowded', { env: ENV });
    let error: unknown;
    let made = 0;
    try {
      for (; made < 40; made++) new WhatsAppTokenGuard(stack, `G${made}`, { tokenName: `t${made}`, appId: APP_ID });
    } catch (e) {
      error = e;
    }
    // THEN
    expect(error).toBeInstanceOf(StackBudgetError);
    const fit = Number(/; (\d+) guards like it fit/.exec((error as Error).message)?.[1]);
    expect(fit).toBe(made);
    expect((error as Error).message).toMatch(/CloudFormation allows 500 per stack.*fleet mode.*another stack/);
    // AND that many do synthesize
    const ok = new App();
    const fits = new Stack(ok, 'Fits', { env: ENV });
    for (let i = 0; i < fit; i++) new WhatsAppTokenGuard(fits, `G${i}`, { tokenName: `t${i}`, appId: APP_ID });
    expect(() => ok.synth()).not.toThrow();
  });

  it('refuses at synth a stack that outgrows the limit with resources added after its guards', () => {
    const app = new App();
    const stack = new Stack(app, 'Late', { env: ENV });
    new WhatsAppTokenGuard(stack, 'G', { tokenName: 'primary', appId: APP_ID });
    for (let i = 0; i < 480; i++) new CfnResource(stack, `Extra${i}`, { type: 'AWS::SNS::Topic' });
    expect(() => app.synth()).toThrow(/Stack Late has \d+ CloudFormation resources, over the 500 CloudFormation allows.*fleet mode/);
  });
});
