import { CONFIG_SOURCE, ConfigError, editDistance, nearestKey, parseGuardConfig, TOP_LEVEL_KEYS } from '../../lib/config';

const base = { appId: '1234567890123456', tokens: [{ name: 'primary' }] };
const withToken = (t: Record<string, unknown>): unknown => ({ ...base, tokens: [{ name: 'primary', ...t }] });

describe('parseGuardConfig', () => {
  it('fills every default for a minimal configuration', () => {
    // Act
    const c = parseGuardConfig(base);
    // Assess
    expect(c).toEqual({
      stackName: 'WhatsAppTokenGuard',
      appId: '1234567890123456',
      graphApiVersion: 'v25.0',
      notificationFormat: 'text',
      graphApiBaseUrl: undefined,
      appSecretArn: undefined,
      alarmEmail: undefined,
      alarmTopicArn: undefined,
      customerManagedKey: false,
      secretsKeyArn: undefined,
      dashboard: true,
      tags: {},
      tokens: [
        {
          name: 'primary',
          tokenSecretArn: undefined,
          wabaId: undefined,
          phoneNumberId: undefined,
          requiredScopes: ['whatsapp_business_messaging', 'whatsapp_business_management'],
          checkIntervalMinutes: 15,
          expiryWarningDays: 14,
          checkFailuresToAlarm: 3,
          rotation: { mode: 'hand-made', scheduleDays: undefined, systemUserId: undefined, sixtyDayTokens: true, revokePreviousAfterHours: undefined },
        },
      ],
    });
  });

  it('accepts the JSON string form given with -c on the command line', () => {
    expect(parseGuardConfig(JSON.stringify(base)).appId).toBe('1234567890123456');
  });

  it('trims copy-paste whitespace from ids', () => {
    expect(parseGuardConfig({ ...base, appId: ' 1234567890123456 ' }).appId).toBe('1234567890123456');
  });

  it('defaults refresh rotation to every 30 days', () => {
    expect(parseGuardConfig(withToken({ rotation: { mode: 'refresh' } })).tokens[0].rotation.scheduleDays).toBe(30);
  });

  it.each([
    [undefined, 'tokenGuard', /is missing/],
    ['{not json', 'tokenGuard', /not valid JSON/],
    [{ tokens: [{ name: 'a' }] }, 'tokenGuard.appId', /is required/],
    [{ ...base, appId: 'acme-app' }, 'tokenGuard.appId', /invalid value "acme-app"/],
    [{ ...base, tokens: [] }, 'tokenGuard.tokens', /non-empty list/],
    [{ ...base, graphApiVersion: '25' }, 'tokenGuard.graphApiVersion', /v25.0/],
    [{ ...base, alarmEmail: 'not-an-email' }, 'tokenGuard.alarmEmail', /email address/],
    [{ ...base, alarmEmail: 'a@b.co', alarmTopicArn: 'arn:aws:sns:us-east-1:111111111111:t' }, 'tokenGuard.alarmEmail', /cannot be combined/],
    [{ ...base, appSecretArn: 'my-secret' }, 'tokenGuard.appSecretArn', /complete ARN of the existing secret/],
    [{ ...base, customerManagedKey: 'yes' }, 'tokenGuard.customerManagedKey', /true or false/],
    [withToken({ name: 'has space' }), 'tokenGuard.tokens[0].name', /letters, digits/],
    [{ ...base, tokens: [{ name: 'a' }, { name: 'a' }] }, 'tokenGuard.tokens[1].name', /repeats/],
    [withToken({ wabaId: '+1 555 0100' }), 'tokenGuard.tokens[0].wabaId', /WhatsApp Business Account id/],
    [withToken({ phoneNumberId: '+15550100' }), 'tokenGuard.tokens[0].phoneNumberId', /not the phone number/],
    [withToken({ checkIntervalMinutes: 7 }), 'tokenGuard.tokens[0].checkIntervalMinutes', /one of 5, 10, 15, 20, 30, 60/],
    [withToken({ expiryWarningDays: 'two weeks' }), 'tokenGuard.tokens[0].expiryWarningDays', /whole number from 1 to 59, got "two weeks"/],
    [withToken({ requiredScopes: [] }), 'tokenGuard.tokens[0].requiredScopes', /non-empty list of permission names/],
    [withToken({ rotation: { mode: 'auto' } }), 'tokenGuard.tokens[0].rotation.mode', /hand-made, refresh, mint/],
    [withToken({ rotation: { mode: 'refresh', scheduleDays: 60 } }), 'tokenGuard.tokens[0].rotation.scheduleDays', /1 to 45/],
    [withToken({ rotation: { scheduleDays: 30 } }), 'tokenGuard.tokens[0].rotation.scheduleDays', /only used by the "refresh" and "mint" modes/],
    [withToken({ rotation: { mode: 'mint' } }), 'tokenGuard.tokens[0].rotation.systemUserId', /is required/],
    [withToken({ rotation: { mode: 'mint', systemUserId: '1', revokePreviousAfterHours: 24 } }), 'tokenGuard.tokens[0].rotation.systemUserId', /invalid value/],
    [withToken({ rotation: { mode: 'hand-made', revokePreviousAfterHours: 24 } }), 'tokenGuard.tokens[0].rotation.revokePreviousAfterHours', /only used by the "refresh" and "mint" modes/],
  ])('rejects %p at synth time, naming %s', (raw, field, message) => {
    let error: unknown;
    try {
      parseGuardConfig(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).toContain(`"${field}"`);
  });
});

describe('unknown keys', () => {
  it.each([
    [{ ...base, alarmEmial: 'oncall@example.com' }, 'tokenGuard.alarmEmial', /is not a known setting. Did you mean "alarmEmail"\?/],
    [{ ...base, checkIntervalMinute: 5 }, 'tokenGuard.checkIntervalMinute', /Did you mean "checkIntervalMinutes"\?/],
    [withToken({ rotation: { mod: 'refresh' } }), 'tokenGuard.tokens[0].rotation.mod', /Did you mean "mode"\?/],
    [withToken({ wabaID: '102290129340398' }), 'tokenGuard.tokens[0].wabaID', /Did you mean "wabaId"\?/],
    [withToken({ alarmEmail: 'oncall@example.com' }), 'tokenGuard.tokens[0].alarmEmail', /is not a setting at this level. Move it to "tokenGuard.alarmEmail"/],
    [withToken({ mode: 'refresh' }), 'tokenGuard.tokens[0].mode', /Move it to "tokenGuard.tokens\[0\].rotation.mode"/],
    [{ ...base, wabaId: '102290129340398' }, 'tokenGuard.wabaId', /Move it to "tokenGuard.tokens\[\].wabaId"/],
    [{ ...base, pagerDuty: 'x' }, 'tokenGuard.pagerDuty', /is not a known setting. Settings here: appId, /],
  ])('rejects %p naming %s and the nearest valid key', (raw, field, message) => {
    // Act
    const error = catchConfigError(() => parseGuardConfig(raw));
    // Assess
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('suggests nothing when no key is close', () => {
    expect(nearestKey('pagerDuty', TOP_LEVEL_KEYS)).toBeUndefined();
  });

  it('counts a swapped pair of letters as one edit', () => {
    expect(editDistance('alarmEmial', 'alarmEmail')).toBe(1);
  });
});

describe('error paths and sources', () => {
  it('names the top-level path for a bad inherited check interval, not the token that inherits it', () => {
    const error = catchConfigError(() => parseGuardConfig({ ...base, checkIntervalMinutes: 7 }));
    expect(error.field).toBe('tokenGuard.checkIntervalMinutes');
  });

  it('names the top-level path for bad inherited required scopes', () => {
    const error = catchConfigError(() => parseGuardConfig({ ...base, requiredScopes: 'whatsapp_business_messaging' }));
    expect(error.field).toBe('tokenGuard.requiredScopes');
  });

  it('calls a value given with -c the command-line value, not cdk.json', () => {
    const error = catchConfigError(() => parseGuardConfig(JSON.stringify({ ...base, appId: 'my-app' })));
    expect(error.message).toMatch(/^the -c tokenGuard=\.\.\. value "tokenGuard.appId" has an invalid value "my-app"/);
  });

  it('calls an object from cdk.json cdk.json context', () => {
    expect(catchConfigError(() => parseGuardConfig({ ...base, appId: 'my-app' })).message).toMatch(/^cdk.json context "tokenGuard.appId"/);
  });

  it('names another source when the caller knows the object came from elsewhere', () => {
    expect(catchConfigError(() => parseGuardConfig({ ...base, appId: 'my-app' }, CONFIG_SOURCE.otherContext)).message).toMatch(/^the CDK context "tokenGuard.appId"/);
  });
});

describe('reattach, key and tags settings', () => {
  const SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/Old/primary/token-AbC123';

  it('accepts an existing token secret, app secret and secrets key by ARN', () => {
    const c = parseGuardConfig({ ...base, appSecretArn: SECRET, secretsKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab', tokens: [{ name: 'primary', tokenSecretArn: SECRET }] });
    expect(c.tokens[0].tokenSecretArn).toBe(SECRET);
    expect(c.secretsKeyArn).toMatch(/key\/1234abcd/);
  });

  it.each([
    [withToken({ tokenSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/primary/token' }), 'tokenGuard.tokens[0].tokenSecretArn', /6 characters Secrets Manager appends/],
    [{ ...base, secretsKeyArn: 'alias/my-key' }, 'tokenGuard.secretsKeyArn', /ARN of an existing KMS key/],
    [{ ...base, customerManagedKey: true, secretsKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab' }, 'tokenGuard.customerManagedKey', /cannot be combined with secretsKeyArn/],
    [{ ...base, tags: { 'aws:owner': 'x' } }, 'tokenGuard.tags.aws:owner', /not a valid tag key/],
    [{ ...base, tags: { 'whatsapp-token-guard:token': 'x' } }, 'tokenGuard.tags.whatsapp-token-guard:token', /the guard sets itself/],
    [{ ...base, tags: { team: 42 } }, 'tokenGuard.tags.team', /must be a tag value/],
    [{ ...base, tags: ['team'] }, 'tokenGuard.tags', /must be an object/],
  ])('rejects %p naming %s', (raw, field, message) => {
    const error = catchConfigError(() => parseGuardConfig(raw));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('passes tags through', () => {
    expect(parseGuardConfig({ ...base, tags: { team: 'payments', 'cost-center': 'cc-42' } }).tags).toEqual({ team: 'payments', 'cost-center': 'cc-42' });
  });
});

function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
