// The configurations the tests synthesize side by side (the synth matrix): the shipped cdk.json, each documented
// configuration, and the largest stack that fits. test/lib/template-lint.test.ts lints every one of them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONTEXT_KEY, EXAMPLE_APP_ID } from '../../lib/config';
import { PHONE_ID, WABA_ID } from '../fakes/canary';

export const APP_ID = '987654321098765';
export const OLD_TOKEN_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/WhatsAppTokenGuard/primary/token-AbC123';
export const OLD_APP_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/WhatsAppTokenGuard/meta-app-secret-XyZ789';
export const OLD_KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The `tokenGuard` object of the shipped cdk.json. */
export const DEFAULT_APP: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context[CONTEXT_KEY];

/** The most tokens one stack holds with asset probes, refresh rotation and a customer managed key (lib/private/stack-budget.ts). */
export const MAX_FULL_TOKENS = 22;

export const fullTokens = (n: number, prefix = 'token'): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i + 1}`, wabaId: WABA_ID, phoneNumberId: PHONE_ID, rotation: { mode: 'refresh' } }));

export const SYNTH_MATRIX: readonly (readonly [name: string, config: Record<string, unknown>])[] = [
  ['the shipped cdk.json (example app id)', DEFAULT_APP],
  ['one token, stack GuardProd', { stackName: 'GuardProd', appId: APP_ID, tokens: [{ name: 'primary' }] }],
  ['two tokens: asset probes, refresh rotation, email', { appId: APP_ID, alarmEmail: 'oncall@example.com', tokens: [{ name: 'primary', wabaId: WABA_ID, phoneNumberId: PHONE_ID }, { name: 'marketing', rotation: { mode: 'refresh', scheduleDays: 30, revokePreviousAfterHours: 24 } }] }],
  ['mint rotation, customer managed key, chat notifications, no dashboard', { appId: APP_ID, customerManagedKey: true, notificationFormat: 'chat', dashboard: false, tokens: [{ name: 'primary', rotation: { mode: 'mint', systemUserId: '122098765432101234' } }, { name: 'backup', expiryWarningDays: 7 }] }],
  ['reattached secrets and key of a destroyed stack', { appId: APP_ID, appSecretArn: OLD_APP_SECRET, secretsKeyArn: OLD_KEY, tokens: [{ name: 'primary', tokenSecretArn: OLD_TOKEN_SECRET }] }],
  ['your own alarm topic, tags', { appId: APP_ID, alarmTopicArn: 'arn:aws:sns:us-east-1:111111111111:oncall', tags: { team: 'payments', 'cost-center': 'cc-42' }, tokens: [{ name: 'primary' }] }],
  ['the example app id with two tokens', { appId: EXAMPLE_APP_ID, tokens: [{ name: 'primary' }, { name: 'backup' }] }],
  ['a fleet beside a token', { appId: APP_ID, tokens: [{ name: 'primary' }], tokenFleet: { name: 'clients', workerConcurrency: 10 } }],
  ['a fleet only', { appId: APP_ID, tokenFleet: { name: 'clients' } }],
  ['long names: 8 tokens of 64 characters in a 120-character stack', { stackName: `G${'x'.repeat(119)}`, appId: APP_ID, tokens: Array.from({ length: 8 }, (_, i) => ({ name: `${i}${'t'.repeat(63)}` })) }],
  [`${MAX_FULL_TOKENS} tokens with probes, refresh rotation and a customer managed key`, { appId: APP_ID, customerManagedKey: true, tokens: fullTokens(MAX_FULL_TOKENS) }],
];
