// The SNS topic the guard notifies: encrypted with a customer managed key that CloudWatch and EventBridge
// may use (an AWS managed alias/aws/sns key cannot grant them, and alarms or events sent to such a topic
// are silently dropped: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html), refusing
// publishers that do not use TLS, and letting in only this account's alarms and rules.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, IConstruct } from 'constructs';

export interface AlarmTopicProps {
  /**
   * Email address subscribed to the topic (the recipient must confirm the subscription).
   * @default - no subscription
   */
  readonly email?: string;
}

/** Sids of the statements the guard needs on a topic (and its key); the README quotes them for your own topic. */
export const PUBLISHER_SIDS = {
  cloudWatchTopic: 'AllowCloudWatchAlarmsOfThisAccount',
  eventBridgeTopic: 'AllowEventBridgeRulesOfThisAccount',
  cloudWatchKey: 'AllowCloudWatchAlarmsToPublish',
  eventBridgeKey: 'AllowEventBridgeRulesToPublish',
} as const;

const MARKER = 'TokenGuardPublishersAllowed';

/**
 * Lets this account's CloudWatch alarms and EventBridge rules publish to `topic`, each scoped by
 * `aws:SourceAccount` and `aws:SourceArn`, and lets both services use the topic's key when it is a
 * customer managed key defined in this app. Idempotent per topic.
 *
 * A topic imported by ARN cannot be changed from here: give it these statements yourself (README section
 * "Bring your own topic").
 */
export function allowGuardPublishers(topic: sns.ITopic): void {
  if (topic.node.tryFindChild(MARKER)) return;
  new Construct(topic as unknown as Construct, MARKER);
  const stack = Stack.of(topic);
  const account = { 'aws:SourceAccount': stack.account };
  const sources = [
    { service: 'cloudwatch.amazonaws.com', topicSid: PUBLISHER_SIDS.cloudWatchTopic, keySid: PUBLISHER_SIDS.cloudWatchKey, sourceArn: `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
    { service: 'events.amazonaws.com', topicSid: PUBLISHER_SIDS.eventBridgeTopic, keySid: PUBLISHER_SIDS.eventBridgeKey, sourceArn: `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/*` },
  ];
  for (const s of sources) {
    // The topic policy replaces SNS's default owner-only policy, so each service is let in explicitly.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: s.topicSid,
        principals: [new iam.ServicePrincipal(s.service)],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: account, ArnLike: { 'aws:SourceArn': s.sourceArn } },
      }),
    );
    topic.masterKey?.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: s.keySid,
        principals: [new iam.ServicePrincipal(s.service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" means this key
        conditions: { StringEquals: account },
      }),
    );
  }
}

/**
 * An EventBridge target that publishes `message` to the topic. Unlike `aws-events-targets.SnsTopic`, it
 * adds no unconditioned `events.amazonaws.com` statement: the scoped one of `allowGuardPublishers` covers
 * every rule of this account.
 */
export function topicTarget(topic: sns.ITopic, message: events.RuleTargetInput): events.IRuleTarget {
  return {
    bind: (): events.RuleTargetConfig => {
      allowGuardPublishers(topic);
      return { arn: topic.topicArn, input: message, targetResource: topic as unknown as IConstruct };
    },
  };
}

export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the whatsapp-token-guard alarm topic',
      enableKeyRotation: true,
      // Only encrypts notifications in flight: nothing to keep after the stack is gone (it would cost $1/month).
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'WhatsApp token guard alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    allowGuardPublishers(this.topic);
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}
