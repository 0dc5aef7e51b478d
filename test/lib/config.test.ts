import { ConfigError, parseGuardConfig } from '../../lib/config';

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
      graphApiBaseUrl: undefined,
      appSecretArn: undefined,
      alarmEmail: undefined,
      alarmTopicArn: undefined,
      customerManagedKey: false,
      dashboard: true,
      tokens: [
        {
          name: 'primary',
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
    [{ ...base, appSecretArn: 'my-secret' }, 'tokenGuard.appSecretArn', /full ARN/],
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
    [withToken({ rotation: { mode: 'hand-made', revokePreviousAfterHours: 24 } }), 'tokenGuard.tokens[0].rotation.revokePreviousAfterHours', /only used by the "refresh" mode/],
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
