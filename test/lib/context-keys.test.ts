// The context keys CDK users type: `-c tokenGuard.appId=...` (the dotted form) is applied on top of cdk.json's object,
// and a near miss such as `tokenGaurd` is refused with the right spelling instead of being ignored.
import { ConfigError, parseGuardContext } from '../../lib/config';

const BASE = { appId: '1234567890123456', tokens: [{ name: 'primary' }] };
const refusal = (context: Record<string, unknown>): ConfigError => {
  try {
    parseGuardContext(context);
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('-c tokenGuard.<setting>=<value>', () => {
  it('sets one setting on top of the cdk.json object, as a string the way the CDK CLI passes it', () => {
    const config = parseGuardContext({ tokenGuard: BASE, 'tokenGuard.appId': '987654321098765', 'tokenGuard.checkIntervalMinutes': '30' });
    expect(config.appId).toBe('987654321098765');
    expect(config.tokens[0].checkIntervalMinutes).toBe(30);
  });

  it('reaches into lists and nested objects, and reads JSON lists', () => {
    const config = parseGuardContext({
      tokenGuard: BASE,
      'tokenGuard.tokens[0].rotation.mode': 'refresh',
      'tokenGuard.tokens[1].name': 'marketing',
      'tokenGuard.requiredScopes': '["whatsapp_business_messaging"]',
    });
    expect(config.tokens.map((t) => [t.name, t.rotation.mode])).toEqual([
      ['primary', 'refresh'],
      ['marketing', 'hand-made'],
    ]);
    expect(config.tokens[1].requiredScopes).toEqual(['whatsapp_business_messaging']);
  });

  it('works on top of -c tokenGuard=\'{...}\' too, and without any object (every setting dotted)', () => {
    expect(parseGuardContext({ tokenGuard: JSON.stringify(BASE), 'tokenGuard.alarmEmail': 'oncall@example.com' }).alarmEmail).toBe('oncall@example.com');
    expect(parseGuardContext({ 'tokenGuard.appId': '1234567890123456', 'tokenGuard.tokens[0].name': 'primary' }).tokens[0].name).toBe('primary');
  });

  it('leaves cdk.json\'s object untouched (CDK hands the same object to every reader)', () => {
    const base = structuredClone(BASE);
    parseGuardContext({ tokenGuard: base, 'tokenGuard.tokens[0].name': 'other' });
    expect(base).toEqual(BASE);
  });

  it('names the -c value when the setting it gives is wrong', () => {
    const e = refusal({ tokenGuard: BASE, 'tokenGuard.appId': 'my-app' });
    expect(e.message).toMatch(/^the -c tokenGuard\.appId=\.\.\. value "tokenGuard\.appId" has an invalid value "my-app"\. Set it to your Meta app's numeric id/);
  });

  it('refuses a misspelt setting with the nearest one, as in cdk.json', () => {
    expect(refusal({ tokenGuard: BASE, 'tokenGuard.alarmEmial': 'oncall@example.com' }).message).toMatch(/"tokenGuard\.alarmEmial" is not a known setting\. Did you mean "alarmEmail"\?/);
  });

  it.each(['tokenGuard.', 'tokenGuard..appId', 'tokenGuard.tokens[x].name', 'tokenGuard.app-id'])('refuses %s, which is not a settings path', (key) => {
    expect(refusal({ tokenGuard: BASE, [key]: '1' }).message).toMatch(/is not a settings path|is not a known setting/);
  });
});

describe('a near-miss context key', () => {
  it.each([
    ['tokenGaurd', 'tokenGuard'],
    ['TokenGuard', 'tokenGuard'],
    ['tokenGaurd.appId', 'tokenGuard.appId'],
    ['tokenguard.tokens[0].name', 'tokenGuard.tokens[0].name'],
  ])('%s gets "did you mean %s"', (key, meant) => {
    const e = refusal({ tokenGuard: BASE, [key]: '1234567890123456' });
    expect(e.message).toContain(`"${key}" is not a context key of this app. Did you mean "${meant}"?`);
  });

  it('leaves other context keys alone (CDK feature flags, your own)', () => {
    expect(parseGuardContext({ tokenGuard: BASE, '@aws-cdk/core:newStyleStackSynthesis': true, 'aws:cdk:enable-path-metadata': true, team: 'payments' }).appId).toBe(BASE.appId);
  });
});
