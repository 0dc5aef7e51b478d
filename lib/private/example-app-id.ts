// The example Meta app id of cdk.json and the README synthesizes (a fresh clone must), but warns at synth and
// cannot be deployed. CloudFormation evaluates a template's Rules before it creates a change set, and a failed
// assertion stops the deploy with its AssertDescription before any resource exists
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html).
import { Annotations, CfnParameter, CfnRule, Fn, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EXAMPLE_APP_ID } from '../config';

/** Logical id of the parameter holding the example app id (one per stack). */
export const EXAMPLE_APP_ID_PARAMETER = 'TokenGuardAppIdIsTheExampleSetYourOwn';
/** Logical id of the rule that refuses it. */
export const EXAMPLE_APP_ID_RULE = 'TokenGuardRefusesTheExampleAppId';

/** What the synth warning and the deploy-time refusal say. */
export const EXAMPLE_APP_ID_MESSAGE =
  `appId ${EXAMPLE_APP_ID} is the example app id, not your Meta app: every check would fail. ` +
  'Set "tokenGuard.appId" in cdk.json (or the appId prop) to your app\'s id from App Dashboard > App settings > Basic. ' +
  'Synth works; deploy is refused until you do.';

/**
 * Warns at synth and adds a rule CloudFormation refuses at deploy. The parameter can only hold the example id
 * (AllowedValues), so no `--parameters` override gets past the rule, and its default satisfies its own constraint (an
 * AllowedPattern the default breaks is cfn-lint E2015, and CloudFormation's own F2015).
 */
export function refuseExampleAppId(scope: Construct): void {
  Annotations.of(scope).addWarningV2('whatsapp-token-guard:example-app-id', EXAMPLE_APP_ID_MESSAGE);
  const stack = Stack.of(scope);
  if (stack.node.tryFindChild(EXAMPLE_APP_ID_PARAMETER)) return;
  const appId = new CfnParameter(stack, EXAMPLE_APP_ID_PARAMETER, {
    type: 'String',
    default: EXAMPLE_APP_ID,
    allowedValues: [EXAMPLE_APP_ID],
    description: 'The example Meta app id of cdk.json: the rule TokenGuardRefusesTheExampleAppId refuses to deploy it.',
  });
  new CfnRule(stack, EXAMPLE_APP_ID_RULE, {
    assertions: [{ assert: Fn.conditionNot(Fn.conditionEquals(appId.valueAsString, EXAMPLE_APP_ID)), assertDescription: EXAMPLE_APP_ID_MESSAGE }],
  });
}
