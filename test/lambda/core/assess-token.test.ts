import { assessToken, AssetProbes, readTokenFacts, TokenFacts } from '../../../lambda/core/assess-token';
import { GraphFailure } from '../../../lambda/core/classify-graph-failure';

const NOW = new Date('2026-11-26T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const DAY = 86_400;
const APP = '1234567890123456';
const expected = { appId: APP, requiredScopes: ['whatsapp_business_messaging', 'whatsapp_business_management'], expiryWarningDays: 14 };

const facts = (over: Partial<TokenFacts> = {}): TokenFacts => ({
  isValid: true,
  type: 'SYSTEM_USER',
  appId: APP,
  userId: '1',
  issuedAt: NOW_S - 10 * DAY,
  expiresAt: 0,
  scopes: ['whatsapp_business_management', 'whatsapp_business_messaging', 'business_management'],
  granularScopes: [],
  ...over,
});
const ids = (a: ReturnType<typeof assessToken>): string[] => a.problems.map((p) => p.id);
const denied = (code: number, subcode?: number): { ok: false; failure: GraphFailure } => ({ ok: false, failure: { kind: 'error', code, subcode, message: 'x', httpStatus: 400 } });
const okPhone = { ok: true as const, value: { canSendMessage: 'AVAILABLE', healthIssues: [] } };

describe('assessToken', () => {
  it('reports a never-expiring system-user token as healthy', () => {
    // Act
    const a = assessToken(facts(), expected, NOW);
    // Assess
    expect(a.outcome).toBe('healthy');
    expect(a.problems).toEqual([]);
    expect(a.metrics).toEqual({ TokenValid: 1, SystemUserToken: 1, MissingScopes: 0, CheckFailed: 0 });
    expect(a.token.expiresAt).toBe('never');
    expect(a.token.daysUntilExpiry).toBeUndefined();
  });

  it('never reads expires_at 0 as 1970', () => {
    const a = assessToken(facts({ expiresAt: 0 }), expected, NOW);
    expect(JSON.stringify(a)).not.toContain('1970');
  });

  it('reports a 60-day token far from expiry as healthy with its days left', () => {
    const a = assessToken(facts({ issuedAt: NOW_S - 10 * DAY, expiresAt: NOW_S + 50 * DAY }), expected, NOW);
    expect(a.outcome).toBe('healthy');
    expect(a.metrics.DaysUntilExpiry).toBe(50);
  });

  it('warns about a 60-day token near expiry', () => {
    const a = assessToken(facts({ issuedAt: NOW_S - 50 * DAY, expiresAt: NOW_S + 10 * DAY }), expected, NOW);
    expect(ids(a)).toEqual(['TokenExpiring']);
    expect(a.problems[0].detail).toContain('10 days left');
    expect(a.metrics.DaysUntilExpiry).toBe(10);
  });

  it.each([
    ['expired (190/463)', { code: 190, subcode: 463 }, /expired/],
    ['revoked (190/466)', { code: 190, subcode: 466 }, /revoked/],
    ['password reset (190/460)', { code: 190, subcode: 460 }, /password/],
    ['undecryptable', { code: 190, message: 'The access token could not be decrypted' }, /decrypted/],
  ])('reports a token that is %s as invalid with the reason', (_name, error, reason) => {
    const a = assessToken(facts({ isValid: false, error, scopes: [] }), expected, NOW);
    expect(a.outcome).toBe('unhealthy');
    expect(ids(a)).toEqual(['TokenInvalid']);
    expect(a.problems[0].detail).toMatch(reason);
    expect(a.metrics).toEqual({ TokenValid: 0, CheckFailed: 0 });
  });

  it('flags a temporary USER token expiring in hours at once', () => {
    const a = assessToken(facts({ type: 'USER', issuedAt: NOW_S - 3600, expiresAt: NOW_S + 5 * 3600 }), expected, NOW);
    expect(ids(a)).toEqual(['TemporaryToken']);
    expect(a.metrics.SystemUserToken).toBe(0);
    expect(a.metrics.DaysUntilExpiry).toBeCloseTo(0.21, 2);
  });

  it('flags a long-lived personal USER token as not a system-user token', () => {
    const a = assessToken(facts({ type: 'USER', expiresAt: NOW_S + 50 * DAY }), expected, NOW);
    expect(ids(a)).toEqual(['NotSystemUserToken']);
    expect(a.metrics.SystemUserToken).toBe(0);
  });

  it.each(['whatsapp_business_messaging', 'whatsapp_business_management'])('names the missing scope %s', (missing) => {
    const a = assessToken(facts({ scopes: ['whatsapp_business_messaging', 'whatsapp_business_management'].filter((s) => s !== missing) }), expected, NOW);
    expect(ids(a)).toEqual(['MissingScopes']);
    expect(a.problems[0].detail).toBe(`missing: ${missing}`);
    expect(a.metrics.MissingScopes).toBe(1);
  });

  it('reads scopes from `scopes`, not from granular_scopes', () => {
    const a = assessToken(facts({ granularScopes: [{ scope: 'whatsapp_business_messaging' }] }), expected, NOW);
    expect(a.metrics.MissingScopes).toBe(0);
  });

  it('reports a token from another app as not valid for this guard', () => {
    const a = assessToken(facts({ appId: '999' }), expected, NOW);
    expect(ids(a)).toEqual(['WrongApp']);
    expect(a.metrics.TokenValid).toBe(0);
  });

  describe('asset probes', () => {
    const probes = (over: Partial<AssetProbes> = {}): AssetProbes => ({
      phoneNumber: { id: 'P', result: okPhone },
      wabaPhoneNumbers: { wabaId: 'W', phoneNumberId: 'P', result: { ok: true, value: ['P'] } },
      subscribedApps: { wabaId: 'W', result: { ok: true, value: [APP] } },
      ...over,
    });

    it('reports access when every probe succeeds', () => {
      const a = assessToken(facts(), expected, NOW, probes());
      expect(a.outcome).toBe('healthy');
      expect(a.metrics.AssetAccess).toBe(1);
    });

    it.each([
      ['phone number', { phoneNumber: { id: 'P', result: denied(200) } }],
      ['WABA phone numbers', { wabaPhoneNumbers: { wabaId: 'W', result: denied(200) } }],
      ['subscribed apps', { subscribedApps: { wabaId: 'W', result: denied(200) } }],
    ])('reports code 200 on the %s probe as denied asset access', (_name, over) => {
      const a = assessToken(facts(), expected, NOW, probes(over as Partial<AssetProbes>));
      expect(ids(a)).toEqual(['AssetAccessDenied']);
      expect(a.metrics.AssetAccess).toBe(0);
    });

    it.each([
      ['phone number', { phoneNumber: { id: 'P', result: denied(100, 33) } }],
      ['WABA', { wabaPhoneNumbers: { wabaId: 'W', result: denied(100, 33) } }],
    ])('reports 100/33 on the %s probe as a wrong id', (_name, over) => {
      const a = assessToken(facts(), expected, NOW, probes(over as Partial<AssetProbes>));
      expect(ids(a)).toEqual(['AssetNotFound']);
      expect(a.metrics.AssetAccess).toBe(0);
    });

    it('reports messaging health BLOCKED as no asset access, with the blocking entity', () => {
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: { ok: true, value: { canSendMessage: 'BLOCKED', healthIssues: ['WABA W: BLOCKED (141006)'] } } } }));
      expect(ids(a)).toEqual(['MessagingBlocked']);
      expect(a.problems[0].detail).toContain('141006');
      expect(a.metrics.AssetAccess).toBe(0);
    });

    it('reports a number that is not in the WABA and an app not subscribed', () => {
      const a = assessToken(facts(), expected, NOW, probes({ wabaPhoneNumbers: { wabaId: 'W', phoneNumberId: 'P', result: { ok: true, value: ['Q'] } }, subscribedApps: { wabaId: 'W', result: { ok: true, value: [] } } }));
      expect(ids(a)).toEqual(['PhoneNotInWaba', 'AppNotSubscribed']);
    });

    it('treats a probe that Meta could not answer as a failed check, without an AssetAccess verdict', () => {
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: { ok: false, failure: { kind: 'unavailable', message: 'HTTP 503' } } } }));
      expect(a.outcome).toBe('check-failed');
      expect(ids(a)).toEqual(['GraphUnavailable']);
      expect(a.metrics.AssetAccess).toBeUndefined();
      expect(a.metrics.CheckFailed).toBe(1);
      expect(a.metrics.TokenValid).toBe(1);
    });
  });
});

describe('readTokenFacts', () => {
  it.each([
    ['null', null],
    ['a string', 'x'],
    ['an array', []],
    ['data without is_valid', { app_id: '1' }],
    ['is_valid as a string', { is_valid: 'true' }],
  ])('refuses %s', (_n, data) => {
    expect(readTokenFacts(data).ok).toBe(false);
  });

  it('reads Meta example A', () => {
    const r = readTokenFacts({ app_id: APP, type: 'SYSTEM_USER', application: 'Acme', data_access_expires_at: 0, expires_at: 0, is_valid: true, issued_at: 1767225600, scopes: ['a'], granular_scopes: [{ scope: 'a', target_ids: ['1'] }, { scope: 'b' }], user_id: '1' });
    expect(r).toEqual({ ok: true, facts: expect.objectContaining({ isValid: true, expiresAt: 0, granularScopes: [{ scope: 'a', targetIds: ['1'] }, { scope: 'b' }] }) });
  });
});
