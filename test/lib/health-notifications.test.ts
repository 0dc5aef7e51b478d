// The notification rules as synthesized, applied to events shaped by the Lambda's own event builders: which
// events page, and the exact text (or chat card) a subscriber receives.
import { EVENT_DETAIL_VERSION, EVENT_SOURCE, GuardEventDetail, Problem } from '../../lambda/contract';
import { approachingExpirationEvent, GuardEvent, healthChangedEvent } from '../../lambda/core/event-details';
import { deliver, rulesOf, secretArnsOf, TemplateRule } from '../fakes/event-rules';
import { DeliveredEvent } from '../fakes/eventbridge-recorder';
import { APP_ID } from '../fakes/canary';
import { Assembly, synthesize } from '../e2e/cloud-assembly';

const ARN = (token: string, stack = 'TokenGuardE2E'): string => `arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/${stack}/${token}/token-AbCdEf`;
/** An event as the guard's function puts it: its token secret's ARN in `resources` (lambda/adapters/health-events.ts). */
const envelope = (e: GuardEvent, token = e.detail.tokenName): DeliveredEvent => ({ version: '0', id: 'x', 'detail-type': e.detailType, source: EVENT_SOURCE, account: '111111111111', time: '2026-12-02T12:00:00Z', region: 'us-east-1', resources: [ARN(token)], detail: e.detail as unknown as Record<string, unknown> });
const rulesOfAssembly = (a: Assembly): TemplateRule[] => rulesOf(a.template.Resources, secretArnsOf(a.template.Resources));
const REPORT = { tokenName: 'primary', checkedAt: '2026-12-02T12:00:00.000Z', graphApiVersion: 'v25.0', metrics: {} };
const bad = healthChangedEvent('guard/primary', { previousStatus: 'healthy', previousProblemIds: [], status: 'unhealthy', problemIds: ['MissingScopes'], at: REPORT.checkedAt }, { ...REPORT, outcome: 'unhealthy', problems: [{ id: 'MissingScopes', ...Problem.MissingScopes, detail: 'missing: whatsapp_business_messaging' }] });
const milestone = (days: number): GuardEvent => approachingExpirationEvent('guard/primary', { milestoneDays: days, announced: { days: [] } }, { ...REPORT, outcome: 'healthy', problems: [], token: { valid: true, expiresAt: '2027-01-01T00:00:00.000Z', daysUntilExpiry: days - 0.01, scopes: [], missingScopes: [], granularScopes: [] } });
const rotationFailed: GuardEvent = {
  detailType: 'WhatsApp Token Rotation Failed',
  detail: { version: EVENT_DETAIL_VERSION, tokenName: 'primary', ledgerKey: 'guard/primary', confirmCommand: 'npx --no-install whatsapp-token-guard status --token primary', rotationMode: 'hand-made', versionId: 'v-1', step: 'testSecret', reason: 'Required permissions missing (missing: whatsapp_business_messaging)', problems: [], fix: Problem.MissingScopes.fix } as GuardEventDetail,
};
/**
 * Secrets Manager's RotationFailed as EventBridge delivers it: the CloudTrail record as `detail`, the secret in
 * `additionalEventData.SecretId`, `resources` empty (AWS's sample record in the Secrets Manager user guide, "Log AWS
 * Secrets Manager events with AWS CloudTrail"; https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
 */
const cloudTrailRotationFailed = (secretArn: string): DeliveredEvent => ({
  version: '0',
  id: 'ct',
  'detail-type': 'AWS Service Event via CloudTrail',
  source: 'aws.secretsmanager',
  account: '111111111111',
  time: '2026-12-02T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventVersion: '1.08',
    userIdentity: { accountId: '111111111111', invokedBy: 'secretsmanager.amazonaws.com' },
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: 'RotationFailed',
    awsRegion: 'us-east-1',
    errorMessage: 'Error when executing lambda arn:aws:lambda:us-east-1:111111111111:function:guard-checker during setSecret step',
    additionalEventData: { SecretId: secretArn },
    eventType: 'AwsServiceEvent',
  },
});

describe('health notification rules (text)', () => {
  const rules = rulesOfAssembly(synthesize({ appId: APP_ID, tokens: [{ name: 'primary' }, { name: 'backup' }] }));

  it('turns a health change of this token into one message naming the token, status, cause, fix and command', () => {
    expect(deliver(rules, [envelope(bad)]).map((d) => d.message)).toEqual([
      `[primary] WhatsApp token unhealthy (was healthy)\n\nCause: Required permissions missing (missing: whatsapp_business_messaging)\n\nWhat to do: ${Problem.MissingScopes.fix}\n\nConfirm with: npx --no-install whatsapp-token-guard check --token primary\n`,
    ]);
  });

  it('sends a heads-up for the 30-day milestone only: inside the warning window the health change is the page', () => {
    const out = deliver(rules, [30, 14, 7, 3, 1].map((d) => envelope(milestone(d))));
    expect(out.map((d) => d.message)).toEqual([
      `[primary] WhatsApp token expires in 30 days\n\nExpires at: 2027-01-01T00:00:00.000Z\n\nWhat to do: ${Problem.TokenExpiring.fix}\n\nConfirm with: npx --no-install whatsapp-token-guard check --token primary\n`,
    ]);
  });

  it('turns a failed rotation into one message with the step, reason and fix', () => {
    expect(deliver(rules, [envelope(rotationFailed)]).map((d) => d.message)).toEqual([
      `[primary] WhatsApp token rotation failed at testSecret\n\nCause: Required permissions missing (missing: whatsapp_business_messaging)\n\nWhat to do: ${Problem.MissingScopes.fix}\n\nConfirm with: npx --no-install whatsapp-token-guard status --token primary\n`,
    ]);
  });

  it('sends the other token\'s messages through the same rules', () => {
    const backup = healthChangedEvent('guard/backup', { previousStatus: 'healthy', previousProblemIds: [], status: 'unhealthy', problemIds: ['MissingScopes'], at: REPORT.checkedAt }, { ...REPORT, tokenName: 'backup', outcome: 'unhealthy', problems: [] });
    expect(deliver(rules, [envelope(backup)]).map((d) => d.message.split('\n')[0])).toEqual(['[backup] WhatsApp token unhealthy (was healthy)']);
  });

  it('sends nothing for a rotation that succeeded, another source, or a secret of another stack with the same token name', () => {
    const rotated = envelope({ detailType: 'WhatsApp Token Rotated', detail: { version: '1', tokenName: 'primary', ledgerKey: 'guard/primary', confirmCommand: 'x', rotationMode: 'hand-made', versionId: 'v' } });
    const spoofed = { ...envelope(bad), source: 'someone.else' };
    const otherStack = { ...envelope(bad), resources: [ARN('primary', 'GuardStaging')] };
    const fleet = envelope({ ...bad, detail: { ...bad.detail, ledgerKey: 'fleet-a/primary' } }, 'nobody');
    expect(deliver(rules, [rotated, spoofed, otherStack, fleet])).toEqual([]);
  });

  it("passes on Secrets Manager's own rotation failure of this stack's token secret, naming the secret, the cause and the fix", () => {
    expect(deliver(rules, [cloudTrailRotationFailed(ARN('backup')), cloudTrailRotationFailed(ARN('backup', 'GuardStaging'))]).map((d) => d.message)).toEqual([
      `[TokenGuardE2E] Secrets Manager reports RotationFailed for a WhatsApp token secret\n\nSecret: ${ARN('backup')}\n\nCause: Error when executing lambda arn:aws:lambda:us-east-1:111111111111:function:guard-checker during setSecret step\n\nWhat to do: AWSCURRENT still holds the previous token. The token's name is in the secret's (whatsapp-token-guard/TokenGuardE2E/<token>/token unless you named it): run \`npx --no-install whatsapp-token-guard status --stack TokenGuardE2E --token <token>\`, fix the cause and rotate again.\n`,
    ]);
  });
});

describe('health notification rules (chat)', () => {
  const rules = rulesOfAssembly(synthesize({ appId: APP_ID, notificationFormat: 'chat', tokens: [{ name: 'primary' }] }));

  it('writes the Amazon Q Developer custom-notification card, threaded per token', () => {
    const [d] = deliver(rules, [envelope(bad)]);
    expect(JSON.parse(d.message)).toEqual({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: '[primary] WhatsApp token unhealthy (was healthy)',
        description: `*Cause:* Required permissions missing (missing: whatsapp_business_messaging)\n*What to do:* ${Problem.MissingScopes.fix}\n*Confirm with:* npx --no-install whatsapp-token-guard check --token primary`,
      },
      metadata: { threadId: 'guard/primary', summary: '[primary] WhatsApp token unhealthy (was healthy)' },
    });
  });
});

describe('health ledger table and grants', () => {
  const resources = synthesize({ appId: APP_ID, tokens: [{ name: 'primary' }, { name: 'backup' }] }).template.Resources;
  const all = Object.values(resources);

  it('is one on-demand, encrypted table with point-in-time recovery and a TTL attribute, shared by the stack', () => {
    const tables = all.filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    expect(tables[0].Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it("lets each function touch only its own token's items, and put only the guard's own events", () => {
    const statements = all.filter((r) => r.Type === 'AWS::IAM::Policy').flatMap((r) => (r.Properties.PolicyDocument as { Statement: Record<string, any>[] }).Statement);
    const ledger = statements.filter((s) => s.Sid === 'OwnLedgerItemsOnly');
    expect(ledger.map((s) => s.Condition)).toEqual([{ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['guard/primary'] } }, { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['guard/backup'] } }]);
    for (const s of ledger) expect([s.Action].flat().sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const events = statements.filter((s) => s.Sid === 'PutOwnEventsOnDefaultBus');
    expect(events).toHaveLength(2);
    for (const s of events) {
      expect(s).toMatchObject({ Action: 'events:PutEvents', Condition: { StringEquals: { 'events:source': EVENT_SOURCE } } });
      expect(JSON.stringify(s.Resource)).toContain('event-bus/default');
    }
  });
});
