// How many single guards fit in one CloudFormation stack, computed from what each one adds, so the configuration
// and the construct refuse more than fit (with the reason and what to use instead) before CDK's own
// "Number of resources ... is greater than allowed maximum of 500" at synth.
import { CfnResource, Stack, STACK_RESOURCE_LIMIT_CONTEXT } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import type { GuardAppConfig } from '../config';
import { alarmCatalog } from '../token-alarms';
import { namedSecretArnLength, notificationRuleCount } from './health-notifications';

/** CloudFormation's "Resources" quota: resources declared in one template (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html). */
export const MAX_RESOURCES_PER_STACK = 500;
/** CDK adds an AWS::CDK::Metadata resource at synth unless version reporting is off; it is kept free. */
export const RESERVED_FOR_CDK_METADATA = 1;
/** What the message says instead of more tokens in a stack: fleet mode's cost per token at 1,000 tokens (bench). */
export const FLEET_COST_PER_TOKEN = 'about $0.42 a token a month';

/** What decides one guard's own resources. */
export interface GuardShape {
  /** A new token secret (not a reattached one). */
  readonly createsTokenSecret: boolean;
  /** `wabaId` or `phoneNumberId`: one more alarm (AssetUnreachable). */
  readonly assetProbes: boolean;
}

/** The resources every guard has, whatever its shape, by what they are (the message names them). */
const GUARD_PARTS: readonly [count: number, what: string][] = [
  [1, 'its function'],
  [1, 'role'],
  [1, 'policy'],
  [1, 'log group'],
  [1, 'async-invoke config'],
  [3, 'invoke permissions'],
  [1, 'rotation schedule'],
  [2, 'EventBridge rules (its schedule and after-deploy check)'],
];

const alarmsOf = (assetProbes: boolean): number =>
  alarmCatalog({ tokenName: 't', checkIntervalMinutes: 15, expiryWarningDays: 14, checkFailuresToAlarm: 3, assetProbes }).length;

/** Resources one guard adds to a stack whose app secret, topic, ledger, dashboard and notification rules it shares. */
export function guardResourceCount(s: GuardShape): number {
  return GUARD_PARTS.reduce((n, [c]) => n + c, 0) + (s.createsTokenSecret ? 1 : 0) + alarmsOf(s.assetProbes);
}

/** "its function, role, ..., token secret and 10 alarms": what `guardResourceCount` counts, in words. */
export function describeGuardResources(s: GuardShape): string {
  const parts = GUARD_PARTS.map(([c, what]) => (c === 1 ? what : `${c} ${what}`));
  if (s.createsTokenSecret) parts.push('token secret');
  return `${parts.join(', ')} and ${alarmsOf(s.assetProbes)} alarms`;
}

/** The stack's resource limit: CloudFormation's, unless the CDK context sets another (as CDK's own check reads it). */
export function resourceLimit(scope: IConstruct): number {
  const fromContext = scope.node.tryGetContext(STACK_RESOURCE_LIMIT_CONTEXT);
  return fromContext !== undefined ? parseInt(String(fromContext), 10) : MAX_RESOURCES_PER_STACK;
}

/** Resources of `stack`'s own template so far (a nested stack's are its own). */
export function resourcesIn(stack: Stack): number {
  return stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && Stack.of(c) === stack).length;
}

/** What to do beyond the limit. */
export const BEYOND_THE_LIMIT =
  `use fleet mode for more tokens (WhatsAppTokenFleet, "tokenFleet" in cdk.json: a fixed set of resources for any number of tokens, ${FLEET_COST_PER_TOKEN}), ` +
  'or put the other tokens in another stack (another "stackName")';

/** Thrown when a guard would push its stack past CloudFormation's resource limit. */
export class StackBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackBudgetError';
  }
}

const WATCHED = 'TokenGuardResourceBudget';

/**
 * Refuses a guard that pushed its stack past the limit (called right after the guard made its resources, `before` being
 * the stack's count when it started), and watches the finished stack once more before synth, for resources added after
 * the last guard (a fleet, your own).
 */
export function refuseOverBudget(guard: IConstruct, before: number, isGuard: (c: IConstruct) => boolean): void {
  const stack = Stack.of(guard);
  const limit = resourceLimit(guard);
  if (limit <= 0) return; // the context turned CDK's check off too
  const usable = limit - RESERVED_FOR_CDK_METADATA;
  const after = resourcesIn(stack);
  const own = after - before;
  const guards = guardsIn(stack, isGuard);
  if (after > usable) {
    const fit = guards.length - 1 + Math.max(0, Math.floor((usable - before) / Math.max(1, own)));
    throw new StackBudgetError(
      `WhatsAppTokenGuard "${guard.node.path}" does not fit in stack ${stack.stackName}: with it the stack has ${after} CloudFormation resources, ` +
        `and CloudFormation allows ${limit} per stack (${RESERVED_FOR_CDK_METADATA} kept for CDK's metadata). This guard adds ${own}; ${fit} guards like it fit with the rest of this stack. ` +
        `Beyond that, ${BEYOND_THE_LIMIT}.`,
    );
  }
  if (stack.node.tryFindChild(WATCHED)) return;
  new Construct(stack, WATCHED);
  stack.node.addValidation({
    validate: () => {
      const total = resourcesIn(stack);
      if (total <= limit) return [];
      return [
        `Stack ${stack.stackName} has ${total} CloudFormation resources, over the ${limit} CloudFormation allows. Its ${guardsIn(stack, isGuard).length} WhatsAppTokenGuards fit on their own, ` +
          `but not with the resources added after them. Remove some guards from this stack: ${BEYOND_THE_LIMIT}.`,
      ];
    },
  });
}

function guardsIn(stack: Stack, isGuard: (c: IConstruct) => boolean): IConstruct[] {
  return stack.node.findAll().filter((c) => isGuard(c) && Stack.of(c) === stack);
}

// ---------- the default app's stack (lib/whatsapp-token-guard-stack.ts), from its configuration ----------

/** What decides the resources of the default app's stack. */
export interface AppStackShape {
  readonly stackName: string;
  /** No `appSecretArn`: the stack creates the app secret. */
  readonly createsAppSecret: boolean;
  /** `customerManagedKey`: the stack creates the key of the secrets. */
  readonly createsSecretsKey: boolean;
  /** No `alarmTopicArn`: the stack creates the topic, its key and its policy. */
  readonly createsTopic: boolean;
  readonly emailSubscription: boolean;
  readonly dashboard: boolean;
  readonly tokens: readonly { readonly name: string; readonly tokenSecretArn?: string; readonly assetProbes: boolean; readonly expiryWarningDays: number }[];
}

export interface AppStackBudget {
  /** The app secret, the secrets' key, the topic (key, topic, policy, subscription), the ledger and the dashboard. */
  readonly shared: number;
  /** The stack's notification rules (lib/private/health-notifications.ts), for all its tokens. */
  readonly notificationRules: number;
  /** Each token's own resources, in order. */
  readonly perToken: readonly number[];
  readonly total: number;
}

/** The resources of the default app's stack for `tokens` (by default the shape's own). */
export function appStackBudget(s: AppStackShape, tokens = s.tokens): AppStackBudget {
  const shared = (s.createsAppSecret ? 1 : 0) + (s.createsSecretsKey ? 1 : 0) + (s.createsTopic ? 3 + (s.emailSubscription ? 1 : 0) : 0) + 1 + (s.dashboard ? 1 : 0);
  const perToken = tokens.map((t) => guardResourceCount({ createsTokenSecret: !t.tokenSecretArn, assetProbes: t.assetProbes }));
  const notificationRules = tokens.length === 0 ? 0 : notificationRuleCount(
    tokens.map((t) => ({
      // Default secret names: whatsapp-token-guard/<stack>/<token>/token (guardSecretName).
      secretArnLength: t.tokenSecretArn ? t.tokenSecretArn.length : namedSecretArnLength(`whatsapp-token-guard/${s.stackName}/${t.name}/token`),
      expiryWarningDays: t.expiryWarningDays,
    })),
  );
  return { shared, notificationRules, perToken, total: shared + notificationRules + perToken.reduce((a, b) => a + b, 0) };
}

/** How many of the shape's tokens fit, in order, within `limit` resources. */
export function tokensThatFit(s: AppStackShape, limit = MAX_RESOURCES_PER_STACK - RESERVED_FOR_CDK_METADATA): number {
  let fit = 0;
  while (fit < s.tokens.length && appStackBudget(s, s.tokens.slice(0, fit + 1)).total <= limit) fit++;
  return fit;
}

/** The shape of the default app's stack for a parsed configuration (its fleet's resources are counted at synth). */
export function appStackShapeOf(c: GuardAppConfig): AppStackShape {
  return {
    stackName: c.stackName,
    createsAppSecret: !c.appSecretArn,
    createsSecretsKey: c.customerManagedKey,
    createsTopic: !c.alarmTopicArn,
    emailSubscription: Boolean(c.alarmEmail),
    dashboard: c.dashboard,
    tokens: c.tokens.map((t) => ({ name: t.name, tokenSecretArn: t.tokenSecretArn, assetProbes: Boolean(t.wabaId || t.phoneNumberId), expiryWarningDays: t.expiryWarningDays })),
  };
}
