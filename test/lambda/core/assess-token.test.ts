import { assessForeignAppToken, assessToken, AssetProbes, readTokenFacts, TokenFacts } from '../../../lambda/core/assess-token';
import { GraphFailure } from '../../../lambda/core/classify-graph-failure';
import { readHealthStatus } from '../../../lambda/core/messaging-health';
import { debugTokenDeadNeverExpiring, DISPLAY_NAME_INFO, healthAvailable, healthBlockedSip, healthBlockedWaba, healthLimitedDisplayName, PAYMENT_SOLUTION, throttleError } from '../../fakes/meta-shapes';

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
const HEALTH_IDS = { phoneId: 'P', wabaId: 'W', businessId: 'B', appId: APP };
const phoneWith = (health: Record<string, unknown>) => ({ ok: true as const, value: { displayPhoneNumber: '+1 555-0100', health: readHealthStatus(health) } });
const okPhone = phoneWith(healthAvailable(HEALTH_IDS));
const list = (ids: string[], complete = true) => ({ ok: true as const, value: { ids, complete } });

describe('assessToken', () => {
  it('does not call a dead token with expires_at 0 never-expiring: it expires at no time it could be used again', () => {
    // GIVEN the 460 capture (bk-rs/facebook-apis-rs debug_token__user_access_token_4.json): is_valid false, expires_at 0
    const read = readTokenFacts((debugTokenDeadNeverExpiring(APP) as { data: unknown }).data);
    if (!read.ok) throw new Error(read.reason);
    // WHEN
    const a = assessToken(read.facts, expected, NOW);
    // THEN
    expect(a.outcome).toBe('unhealthy');
    expect(a.token?.expiresAt).toBeUndefined();
    expect(a.token?.daysUntilExpiry).toBeUndefined();
    expect(a.token?.invalidReason).toBe("the owner's password changed or Meta reset the session for security (code 190/460)");
    expect(ids(a)).toEqual(['TokenInvalid']);
  });

  it('still calls a valid token with expires_at 0 never-expiring', () => {
    expect(assessToken(facts({ expiresAt: 0 }), expected, NOW).token?.expiresAt).toBe('never');
  });

  it('reports a never-expiring system-user token as healthy', () => {
    // Act
    const a = assessToken(facts(), expected, NOW);
    // Assess
    expect(a.outcome).toBe('healthy');
    expect(a.problems).toEqual([]);
    expect(a.metrics).toEqual({ TokenValid: 1, SystemUserToken: 1, MissingScopes: 0, CheckFailed: 0 });
    expect(a.token?.expiresAt).toBe('never');
    expect(a.token?.daysUntilExpiry).toBeUndefined();
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

  it('does not call a 60-day token in its last day the temporary token when Meta omits issued_at', () => {
    // GIVEN a system-user token 20 hours from expiry, without issued_at (Meta sometimes omits it)
    const a = assessToken(facts({ issuedAt: undefined, expiresAt: NOW_S + 20 * 3600 }), expected, NOW);
    // THEN it is an expiring token, not the API Setup temporary token
    expect(ids(a)).toEqual(['TokenExpiring']);
    expect(a.metrics.DaysUntilExpiry).toBeCloseTo(0.83, 2);
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

  it('reports a token that debug_token calls valid for another app_id as WrongApp (defensive path)', () => {
    const a = assessToken(facts({ appId: '999' }), expected, NOW);
    expect(ids(a)).toEqual(['WrongApp']);
    expect(a.metrics.TokenValid).toBe(0);
  });

  it("reports Meta's top-level (#100) App_id mismatch as a WrongApp verdict: TokenValid 0, not a failed check", () => {
    const a = assessForeignAppToken(expected, 'debug_token: Meta code 100: (#100) The App_id in the input_token did not match the Viewing App');
    expect(a.outcome).toBe('unhealthy');
    expect(ids(a)).toEqual(['WrongApp']);
    expect(a.problems[0].fix).toMatch(/Generate the token for the configured app/);
    expect(a.problems[0].detail).toContain(`configured app id ${APP}`);
    expect(a.metrics).toEqual({ TokenValid: 0, CheckFailed: 0 });
  });

  describe('asset probes', () => {
    const probes = (over: Partial<AssetProbes> = {}): AssetProbes => ({
      phoneNumber: { id: 'P', result: okPhone },
      wabaPhoneNumbers: { wabaId: 'W', phoneNumberId: 'P', result: list(['P']) },
      subscribedApps: { wabaId: 'W', result: list([APP]) },
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

    it("reports a WABA blocked for payment (Meta's Flows reference example) as no asset access, with Meta's possible_solution", () => {
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: phoneWith(healthBlockedWaba(HEALTH_IDS)) } }));
      expect(ids(a)).toEqual(['MessagingBlocked']);
      expect(a.problems[0].detail).toContain('WABA W: can_send_message BLOCKED: error 141006');
      expect(a.problems[0].detail).toContain(`possible solution: ${PAYMENT_SOLUTION}`);
      // The LIMITED business (an `errors` entry, not additional_info) is named too.
      expect(a.problems[0].detail).toContain('BUSINESS B: can_send_message LIMITED: error 141010');
      expect(a.assets?.phoneNumber?.canSendMessage).toBe('BLOCKED');
      expect(a.metrics.AssetAccess).toBe(0);
    });

    it("does not page 'cannot send' for Meta's SIP-blocked example: overall BLOCKED, every entity can send", () => {
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: phoneWith(healthBlockedSip(HEALTH_IDS)) } }));
      expect(a.outcome).toBe('healthy');
      expect(ids(a)).toEqual([]);
      expect(a.metrics.AssetAccess).toBe(1);
      expect(a.assets?.phoneNumber?.canSendMessage).toBe('AVAILABLE');
      // The calling block stays visible in the report, marked as calling only.
      expect(a.assets?.phoneNumber?.health).toEqual([
        expect.stringMatching(/^PHONE_NUMBER P: can_receive_call_sip BLOCKED \(calling only\): error 138024 .*possible solution: Configure SIP using/),
        expect.stringMatching(/^APP 1234567890123456: can_receive_call_sip BLOCKED \(calling only\): error 138025/),
      ]);
    });

    it("reports Meta's LIMITED example (display name not approved) as a warning carrying additional_info, access still 1", () => {
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: phoneWith(healthLimitedDisplayName(HEALTH_IDS)) } }));
      expect(ids(a)).toEqual(['MessagingLimited']);
      expect(a.problems[0].severity).toBe('warning');
      expect(a.problems[0].detail).toBe(`PHONE_NUMBER P: can_send_message LIMITED: ${DISPLAY_NAME_INFO}`);
      expect(a.metrics.AssetAccess).toBe(1);
    });

    it('falls back to the overall value when no entity carries can_send_message', () => {
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: phoneWith({ can_send_message: 'BLOCKED' }) } }));
      expect(ids(a)).toEqual(['MessagingBlocked']);
      expect(a.problems[0].detail).toContain('Meta named no entity');
    });

    it('reports a number that is not in the WABA and an app not subscribed', () => {
      const a = assessToken(facts(), expected, NOW, probes({ wabaPhoneNumbers: { wabaId: 'W', phoneNumberId: 'P', result: list(['Q']) }, subscribedApps: { wabaId: 'W', result: list([]) } }));
      expect(ids(a)).toEqual(['PhoneNotInWaba', 'AppNotSubscribed']);
    });

    it('reports code 190 on a probe right after debug_token said valid as a failed check, not "assign assets"', () => {
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: denied(190, 463) } }));
      expect(ids(a)).toEqual(['TokenRefusedByProbe']);
      expect(a.outcome).toBe('check-failed');
      expect(a.metrics).toMatchObject({ TokenValid: 1, CheckFailed: 1 });
      expect(a.metrics.AssetAccess).toBeUndefined();
    });

    it('reports a rate-limited probe as GraphRateLimited (CheckFailed 1, TokenValid untouched) and stays silent about calls not sent after it', () => {
      const t = throttleError(80008).body.error as Record<string, unknown>;
      const throttled: GraphFailure = { kind: 'error', httpStatus: 400, code: 80008, message: String(t.message) };
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: { ok: false, failure: throttled } }, wabaPhoneNumbers: { wabaId: 'W', result: { ok: false, failure: { ...throttled, notSent: true } } }, subscribedApps: undefined }));
      expect(ids(a)).toEqual(['GraphRateLimited']);
      expect(a.outcome).toBe('check-failed');
      expect(a.metrics).toMatchObject({ TokenValid: 1, CheckFailed: 1 });
      expect(a.metrics.AssetAccess).toBeUndefined();
    });

    it('reports probes skipped for high usage as GraphUsageHigh without an asset verdict', () => {
      const a = assessToken(facts(), expected, NOW, { skipped: { probes: ['GET /P', 'GET /W/phone_numbers'], usage: 'X-App-Usage at 91%' } });
      expect(ids(a)).toEqual(['GraphUsageHigh']);
      expect(a.problems[0].detail).toBe('X-App-Usage at 91%; skipped: GET /P, GET /W/phone_numbers');
      expect(a.metrics).toMatchObject({ TokenValid: 1, CheckFailed: 1 });
      expect(a.metrics.AssetAccess).toBeUndefined();
    });

    it('puts error_data.details and error_user_msg of a probe failure in the detail', () => {
      const a = assessToken(facts(), expected, NOW, probes({ phoneNumber: { id: 'P', result: { ok: false, failure: { kind: 'error', httpStatus: 400, code: 100, message: 'Invalid parameter', details: 'Unsupported field quality_score', userMessage: 'Try again later' } } } }));
      expect(a.problems[0].detail).toContain('details: Unsupported field quality_score');
      expect(a.problems[0].detail).toContain('Meta says: Try again later');
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
