// Readable notifications from the guard's events: EventBridge rules on the default bus whose input
// transformers turn an event into the message a person reads on the alarm topic (the cause, the fix and the
// command that confirms it), so the page itself is the runbook. One page per incident: a token going bad
// and recovering each send one Health Changed message; the metric alarms no longer notify (see token-alarms.ts).
//
// EventBridge cannot set an SNS Subject (its SNS target has no such parameter; AWS's own workaround is a
// Lambda in between: https://repost.aws/knowledge-center/change-sns-email-for-eventbridge), so the text
// format's first line is the subject line, and the chat format's title carries it.
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

export class HealthNotifications extends Construct {
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: HealthNotificationsProps) {
    super(scope, id);
    const base = { source: [EVENT_SOURCE] };
    const detail = { ledgerKey: props.ledgerKeyPrefix ? [{ prefix: props.ledgerKeyPrefix }] : [props.ledgerKey] };
    const confirm: [string, string] = ['Confirm with', f('$.detail.confirmCommand')];
    const add = (ruleId: string, description: string, pattern: events.EventPattern, m: Message): void => {
      this.rules.push(
        new events.Rule(this, ruleId, {
          description,
          eventPattern: pattern,
          targets: [topicTarget(props.topic, render(m, props.format, props.ledgerKey))],
        }),
      );
    };

    add(
      'HealthChanged',
      `Notifies when the WhatsApp token "${props.tokenName}" changes health`,
      { ...base, detailType: [EventDetailType.HealthChanged], detail },
      {
        title: `[${f('$.detail.tokenName')}] WhatsApp token ${f('$.detail.status')} (was ${f('$.detail.previousStatus')})`,
        lines: [['Cause', f('$.detail.cause')], ['What to do', f('$.detail.fix')], confirm],
      },
    );
    // Milestones inside the warning window arrive with the TokenExpiring health change; earlier ones are a heads-up.
    add(
      'ApproachingExpiration',
      `Notifies ahead of the TokenExpiring warning when the WhatsApp token "${props.tokenName}" nears expiry`,
      { ...base, detailType: [EventDetailType.ApproachingExpiration], detail: { ...detail, milestoneDays: [{ numeric: ['>', props.expiryWarningDays] }] } },
      {
        title: `[${f('$.detail.tokenName')}] WhatsApp token expires in ${f('$.detail.milestoneDays')} days`,
        lines: [['Expires at', f('$.detail.expiresAt')], ['What to do', f('$.detail.fix')], confirm],
      },
    );
    add(
      'RotationFailed',
      `Notifies when a rotation of the WhatsApp token "${props.tokenName}" fails`,
      { ...base, detailType: [EventDetailType.RotationFailed], detail },
      {
        title: `[${f('$.detail.tokenName')}] WhatsApp token rotation failed at ${f('$.detail.step')}`,
        lines: [['Cause', f('$.detail.reason')], ['What to do', f('$.detail.fix')], confirm],
      },
    );
  }
}
