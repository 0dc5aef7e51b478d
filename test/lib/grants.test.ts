// Least privilege around the token: consumers read AWSCURRENT only, and the key grants only what Secrets Manager uses.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WhatsAppTokenGuard } from '../../lib/whatsapp-token-guard';

const ENV = { account: '111111111111', region: 'us-east-1' };

function build(withKey: boolean): { app: App; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'S', { env: ENV });
  const key = withKey ? new kms.Key(stack, 'K', { enableKeyRotation: true }) : undefined;
  const guard = new WhatsAppTokenGuard(stack, 'G', { tokenName: 'primary', appId: '1234567890123456', encryptionKey: key });
  const consumer = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  guard.grantReadToken(consumer);
  return { app, template: Template.fromStack(stack) };
}

describe('grantReadToken', () => {
  it('grants GetSecretValue on AWSCURRENT only, never by version id or another label', () => {
    // GIVEN / WHEN
    const { template } = build(false);
    // THEN
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Consumer') }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'secretsmanager:GetSecretValue',
            Effect: 'Allow',
            Condition: { StringEqualsIfExists: { 'secretsmanager:VersionStage': 'AWSCURRENT' }, Null: { 'secretsmanager:VersionId': 'true' } },
            Resource: Match.anyValue(),
          },
        ],
      },
    });
  });

  it('lets a consumer decrypt with a customer managed key only through Secrets Manager', () => {
    const { template } = build(true);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:Decrypt', Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('Consumer'), 'Arn'] } }, Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } } }),
        ]),
      },
    });
  });
});

describe('the function and the key', () => {
  it('grants the function only kms:Decrypt and kms:GenerateDataKey, through Secrets Manager', () => {
    const { app, template } = build(true);
    const statements = (template.findResources('AWS::KMS::Key').K ?? Object.values(template.findResources('AWS::KMS::Key'))[0]).Properties.KeyPolicy.Statement as { Action: string | string[]; Principal?: { AWS?: unknown } }[];
    const forFunction = statements.filter((s) => JSON.stringify(s.Principal ?? {}).includes('CheckerRole') || JSON.stringify(s.Principal ?? {}).includes('Checker'));
    expect(forFunction.length).toBeGreaterThan(0);
    for (const s of forFunction) expect([s.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
