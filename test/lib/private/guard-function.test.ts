import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GuardEntry, GuardFunction } from '../../../lib/private/guard-function';

describe('GuardFunction', () => {
  it('runs the prebuilt bundle of its entry on Node.js 24, arm64, from one code asset', () => {
    // GIVEN
    const stack = new Stack(new App());
    // WHEN
    new GuardFunction(stack, 'Fn', { entry: GuardEntry.ROUTER });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'router.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Code: { S3Key: Match.stringLikeRegexp('^[0-9a-f]{64}\.zip$') },
    });
  });

  it('says to run `npm run build` when the bundle is missing', () => {
    const stack = new Stack(new App());
    expect(() => new GuardFunction(stack, 'Fn', { entry: 'not-built' as GuardEntry })).toThrow(/No Lambda bundle "not-built" at .*not-built\.js\. Run `npm run build` first/);
  });
});
