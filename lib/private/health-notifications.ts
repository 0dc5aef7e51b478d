// Readable notifications from the guard's events: EventBridge rules on the default bus whose input
// transformers turn an event into the message a person reads on the alarm topic (the cause, the fix and the
// command that confirms it), so the page itself is the runbook. One page per incident: a token going bad
// and recovering each send one Health Changed message; the metric alarms no longer notify (see token-alarms.ts).
//
// EventBridge cannot set an SNS Subject (its SNS target has no such parameter; AWS's own workaround is a
// Lambda in between: https://repost.aws/knowledge-center/change-sns-email-for-eventbridge), so the text
// format's first line is the subject line, and the chat format's title carries it.
//
// The single guards of a stack share one set of these rules (GuardNotifications): a rule per token would cost
// EventBridge rules (300 per bus by default) and CloudFormation resources (500 per stack) for nothing.
import { Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EVENT_SOURCE, EventDetailType } from '../../lambda/contract';
import { topicTarget } from '../alarm-topic';

/** How notifications are written on the topic. */
export enum NotificationFormat {
  /** Plain text for email and SMS subscribers: first line names the token and the status. */
  TEXT = 'text',
  /**
   * The custom-notification JSON of Amazon Q Developer in chat applications (formerly AWS Chatbot), so a
   * Slack or Teams channel subscribed through it shows a titled card
   * (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html). Email subscribers then see JSON.
   */
  CHAT = 'chat',
}

export interface HealthNotificationsProps {
  readonly topic: sns.ITopic;
  readonly tokenName: string;
  /** Events of this ledger key only (`<scope>/<tokenName>`). */
  readonly ledgerKey: string;
  /**
   * Events of every ledger key starting with this (a fleet: `<fleet>/`), instead of `ledgerKey` alone; each message
   * then names its own token (the subject line carries `detail.tokenName`).
   */
  readonly ledgerKeyPrefix?: string;
  /** Expiry milestones at or below this are covered by the Health Changed message (TokenExpiring); above it they get their own heads-up. */
  readonly expiryWarningDays: number;
  readonly format: NotificationFormat;
}

const f = (path: string): string => events.EventField.fromPath(path);

interface Message {
  readonly title: string;
  readonly lines: readonly [label: string, value: string][];
}

function render(m: Message, format: NotificationFormat, threadId: string): events.RuleTargetInput {
  if (format === NotificationFormat.CHAT) {
    return events.RuleTargetInput.fromObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: m.title, description: m.lines.map(([label, value]) => `*${label}:* ${value}`).join('\n') },
      metadata: { threadId, summary: m.title },
    });
  }
  return events.RuleTargetInput.fromText(`${m.title}\n\n${m.lines.map(([label, value]) => `${label}: ${value}`).join('\n\n')}\n`);
}

/** The three messages of the guard's own events, as the topic receives them. */
function guardMessages(): { readonly healthChanged: Message; readonly approachingExpiration: Message; readonly rotationFailed: Message } {
  const confirm: [string, string] = ['Confirm with', f('$.detail.confirmCommand')];
  return {
    healthChanged: {
      title: `[${f('$.detail.tokenName')}] WhatsApp token ${f('$.detail.status')} (was ${f('$.detail.previousStatus')})`,
      lines: [['Cause', f('$.detail.cause')], ['What to do', f('$.detail.fix')], confirm],
    },
    approachingExpiration: {
      title: `[${f('$.detail.tokenName')}] WhatsApp token expires in ${f('$.detail.milestoneDays')} days`,
      lines: [['Expires at', f('$.detail.expiresAt')], ['What to do', f('$.detail.fix')], confirm],
    },
    rotationFailed: {
      title: `[${f('$.detail.tokenName')}] WhatsApp token rotation failed at ${f('$.detail.step')}`,
      lines: [['Cause', f('$.detail.reason')], ['What to do', f('$.detail.fix')], confirm],
    },
  };
}

/** The notification rules of a fleet: every token whose ledger key starts with the fleet's prefix. */
export class HealthNotifications extends Construct {
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: HealthNotificationsProps) {
    super(scope, id);
    const base = { source: [EVENT_SOURCE] };
    const detail = { ledgerKey: props.ledgerKeyPrefix ? [{ prefix: props.ledgerKeyPrefix }] : [props.ledgerKey] };
    const m = guardMessages();
    const add = (ruleId: string, description: string, pattern: events.EventPattern, message: Message): void => {
      this.rules.push(
        new events.Rule(this, ruleId, {
          description,
          eventPattern: pattern,
          targets: [topicTarget(props.topic, render(message, props.format, props.ledgerKey))],
        }),
      );
    };
    add('HealthChanged', `Notifies when the WhatsApp token "${props.tokenName}" changes health`, { ...base, detailType: [EventDetailType.HealthChanged], detail }, m.healthChanged);
    // Milestones inside the warning window arrive with the TokenExpiring health change; earlier ones are a heads-up.
    add(
      'ApproachingExpiration',
      `Notifies ahead of the TokenExpiring warning when the WhatsApp token "${props.tokenName}" nears expiry`,
      { ...base, detailType: [EventDetailType.ApproachingExpiration], detail: { ...detail, milestoneDays: [{ numeric: ['>', props.expiryWarningDays] }] } },
      m.approachingExpiration,
    );
    add('RotationFailed', `Notifies when a rotation of the WhatsApp token "${props.tokenName}" fails`, { ...base, detailType: [EventDetailType.RotationFailed], detail }, m.rotationFailed);
  }
}

// ---------- the single guards of a stack: one set of rules for all of them ----------

/**
 * EventBridge's default "Event pattern size" quota is 2048 characters (adjustable to 4096; EventBridge quotas,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html). A rule lists its tokens' secret ARNs,
 * whose deploy-time length is bounded from above, so a new rule starts before one could outgrow the quota.
 */
export const EVENT_PATTERN_MAX_CHARS = 2048;
/** Room left for whitespace CloudFormation may add when it hands the pattern to EventBridge. */
const PATTERN_MARGIN_CHARS = 128;

/**
 * Upper bound of the deploy-time length of a secret ARN, `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6>`
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources): exact for a
 * literal ARN, from the name for a secret this stack names, else the longest a secret ARN can be (names: 512 characters).
 */
export function secretArnLengthBound(secretArn: string, secretName?: string): number {
  if (!Token.isUnresolved(secretArn)) return secretArn.length;
  return namedSecretArnLength(secretName !== undefined && !Token.isUnresolved(secretName) ? secretName : 'x'.repeat(512));
}

/** Upper bound of the ARN of a secret named `name`, in any partition, region and account. */
export function namedSecretArnLength(name: string): number {
  // partition <= 10 ("aws-iso-b"), region <= 14 ("ap-southeast-5"), account 12, "-" and 6 random characters.
  return 'arn:'.length + 10 + ':secretsmanager:'.length + 14 + 1 + 12 + ':secret:'.length + name.length + 7;
}

/** A token of a single guard, as its stack's notification rules know it. */
export interface NotifiedToken {
  readonly tokenName: string;
  /** The token secret's ARN: the guard's events name it in `resources`, Secrets Manager's in `additionalEventData.SecretId`. */
  readonly secretArn: string;
  /** Upper bound of the ARN's length at deploy time (secretArnLengthBound). */
  readonly secretArnLength: number;
  readonly expiryWarningDays: number;
}

interface RuleKind {
  readonly id: string;
  /** Tokens of one rule share this (the warning window of ApproachingExpiration). */
  readonly key: (t: Pick<NotifiedToken, 'expiryWarningDays'>) => string;
  /** The pattern without the token list. */
  readonly pattern: (t: Pick<NotifiedToken, 'expiryWarningDays'>) => events.EventPattern;
  /** Where the token's secret ARN goes. */
  readonly tokenPart: (arn: string) => Record<string, unknown>;
}

const byResource = (arn: string): Record<string, unknown> => ({ resources: [arn] });
const RULE_KINDS: readonly RuleKind[] = [
  { id: 'HealthChanged', key: () => '', pattern: () => ({ source: [EVENT_SOURCE], detailType: [EventDetailType.HealthChanged] }), tokenPart: byResource },
  {
    id: 'ApproachingExpiration',
    key: (t) => String(t.expiryWarningDays),
    // Milestones inside the warning window arrive with the TokenExpiring health change; earlier ones are a heads-up.
    pattern: (t) => ({ source: [EVENT_SOURCE], detailType: [EventDetailType.ApproachingExpiration], detail: { milestoneDays: [{ numeric: ['>', t.expiryWarningDays] }] } }),
    tokenPart: byResource,
  },
  { id: 'RotationFailed', key: () => '', pattern: () => ({ source: [EVENT_SOURCE], detailType: [EventDetailType.RotationFailed] }), tokenPart: byResource },
  {
    // Secrets Manager's own word on failed rotations, for failures that never reached the function (permissions,
    // timeouts). Delivered through CloudTrail, best effort
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-eventbridge.html).
    id: 'SecretsManagerRotationFailed',
    key: () => '',
    pattern: () => ({
      source: ['aws.secretsmanager'],
      detailType: ['AWS Service Event via CloudTrail'],
      detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['RotationFailed', 'RotationAbandoned', 'TestRotationFailed'] },
    }),
    tokenPart: (arn) => ({ detail: { additionalEventData: { SecretId: [arn] } } }),
  },
];

/** Characters a rule's pattern has before its first ARN, as CloudFormation writes it. */
function emptyPatternSize(kind: RuleKind, t: Pick<NotifiedToken, 'expiryWarningDays'>): number {
  const { detailType, ...rest } = kind.pattern(t);
  return JSON.stringify(withEmptyList({ ...rest, 'detail-type': detailType }, kind.tokenPart(''))).length;
}

/** `pattern` with the fields of `tokenPart` added, each token list empty. */
function withEmptyList(pattern: Record<string, unknown>, tokenPart: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...pattern };
  for (const [k, v] of Object.entries(tokenPart)) {
    out[k] = Array.isArray(v) ? [] : withEmptyList((out[k] ?? {}) as Record<string, unknown>, v as Record<string, unknown>);
  }
  return out;
}

/** One rule being filled: its kind, key, pattern size so far and (once made) the rule. */
interface Slot<R> {
  readonly kind: RuleKind;
  readonly key: string;
  size: number;
  readonly rule: R;
}

/**
 * Puts a token into the last rule of each kind (and key) while the pattern stays inside the quota, else into a new
 * one made by `make`. GuardNotifications and notificationRuleCount both pack with this, so the count the
 * configuration checks is the count the stack gets.
 */
function pack<R>(slots: Slot<R>[], t: Pick<NotifiedToken, 'secretArnLength' | 'expiryWarningDays'>, make: (kind: RuleKind, n: number) => R): Slot<R>[] {
  const entry = t.secretArnLength + 3; // its quotes and the comma before it
  return RULE_KINDS.map((kind) => {
    const key = kind.key(t);
    let slot = slots.filter((s) => s.kind === kind && s.key === key).pop();
    if (!slot || slot.size + entry > EVENT_PATTERN_MAX_CHARS - PATTERN_MARGIN_CHARS) {
      slot = { kind, key, size: emptyPatternSize(kind, t), rule: make(kind, slots.filter((s) => s.kind === kind).length) };
      slots.push(slot);
    }
    slot.size += entry;
    return slot;
  });
}

/** How many notification rules the single guards of one stack (one topic and format) need. */
export function notificationRuleCount(tokens: readonly Pick<NotifiedToken, 'secretArnLength' | 'expiryWarningDays'>[]): number {
  const slots: Slot<undefined>[] = [];
  for (const t of tokens) pack(slots, t, () => undefined);
  return slots.length;
}

/**
 * The notification rules of the single guards of one stack that share a topic and a format. A rule that only differs
 * by the token it matches is one rule for all of them: it matches the stack's token secrets by ARN (the guard's events
 * carry it in `resources`, Secrets Manager's rotation events in `detail.additionalEventData.SecretId`), which no other
 * stack's token can carry. Another rule of a kind starts only when a pattern would outgrow EventBridge's size quota.
 */
export class GuardNotifications extends Construct {
  /**
   * The notifications to `topic` in `format` of the stack `scope` is in, created by the first guard that asks. One per
   * stack, topic and format, so every rule stays in the stack of the secrets it names.
   */
  static of(scope: Construct, topic: sns.ITopic, format: NotificationFormat): GuardNotifications {
    const stack = Stack.of(scope);
    const id = `TokenGuardNotifications-${format}-${topic.node.addr.slice(0, 8)}`;
    return (stack.node.tryFindChild(id) as GuardNotifications | undefined) ?? new GuardNotifications(stack, id, topic, format);
  }

  private readonly slots: Slot<events.Rule>[] = [];

  private constructor(scope: Stack, id: string, private readonly topic: sns.ITopic, private readonly format: NotificationFormat) {
    super(scope, id);
  }

  /** The rules, in the order they were made. */
  get rules(): events.Rule[] {
    return this.slots.map((s) => s.rule);
  }

  /** Adds a token to a rule of each kind. */
  addToken(t: NotifiedToken): void {
    for (const slot of pack(this.slots, t, (kind, n) => this.makeRule(kind, n, t))) {
      slot.rule.addEventPattern(slot.kind.tokenPart(t.secretArn) as events.EventPattern);
    }
  }

  private makeRule(kind: RuleKind, n: number, t: NotifiedToken): events.Rule {
    const stackName = Stack.of(this).stackName;
    const m = guardMessages();
    const [description, message, threadId]: [string, Message, string] = (() => {
      switch (kind.id) {
        case 'HealthChanged':
          return [`Notifies when a WhatsApp token of stack ${stackName} changes health`, m.healthChanged, f('$.detail.ledgerKey')];
        case 'ApproachingExpiration':
          return [`Notifies ahead of the TokenExpiring warning (${t.expiryWarningDays} days) when a WhatsApp token of stack ${stackName} nears expiry`, m.approachingExpiration, f('$.detail.ledgerKey')];
        case 'RotationFailed':
          return [`Notifies when a rotation of a WhatsApp token of stack ${stackName} fails`, m.rotationFailed, f('$.detail.ledgerKey')];
        default:
          // The event names the secret, not the token: the message quotes the secret's ARN, whose name holds the token's.
          return [
            `Notifies when Secrets Manager reports a failed rotation of a WhatsApp token secret of stack ${stackName}`,
            {
              title: `[${stackName}] Secrets Manager reports ${f('$.detail.eventName')} for a WhatsApp token secret`,
              lines: [
                ['Secret', f('$.detail.additionalEventData.SecretId')],
                ['Cause', f('$.detail.errorMessage')],
                [
                  'What to do',
                  `AWSCURRENT still holds the previous token. The token's name is in the secret's (whatsapp-token-guard/${stackName}/<token>/token unless you named it): run \`npx --no-install whatsapp-token-guard status --stack ${stackName} --token <token>\`, fix the cause and rotate again.`,
                ],
              ],
            },
            f('$.detail.additionalEventData.SecretId'),
          ];
      }
    })();
    return new events.Rule(this, n === 0 ? kind.id : `${kind.id}${n + 1}`, {
      description,
      eventPattern: kind.pattern(t),
      targets: [topicTarget(this.topic, render(message, this.format, threadId))],
    });
  }
}
