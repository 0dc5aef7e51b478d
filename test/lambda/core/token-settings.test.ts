import { FleetTag } from '../../../lambda/contract';
import { fleetSecretName, fleetTokenSettings, tagsForSettings, tokenNameFromSecretName, validateTokenSettings } from '../../../lambda/core/token-settings';

const SECRET = 'whatsapp-token-guard/fleet/acme/client-1';

describe('validateTokenSettings', () => {
  it('accepts a minimal token and defaults to hand-made rotation', () => {
    // Act
    const r = validateTokenSettings({ name: 'client-1', secretId: SECRET }, 'tags');
    // Assess
    expect(r).toEqual({ ok: true, value: expect.objectContaining({ name: 'client-1', secretId: SECRET, rotationMode: 'hand-made', requiredScopes: undefined }) });
  });

  it('reads every field, trimming copy-paste whitespace and splitting scopes on spaces or commas', () => {
    // Act
    const r = validateTokenSettings(
      { name: ' client-1 ', secretId: SECRET, wabaId: ' 102290129340398', phoneNumberId: '106540352242922', rotationMode: 'mint', systemUserId: '122098765432101234', requiredScopes: 'whatsapp_business_messaging, whatsapp_business_management', expiryWarningDays: '21' },
      'flags',
    );
    // Assess
    expect(r).toEqual({
      ok: true,
      value: { name: 'client-1', secretId: SECRET, wabaId: '102290129340398', phoneNumberId: '106540352242922', rotationMode: 'mint', systemUserId: '122098765432101234', requiredScopes: ['whatsapp_business_messaging', 'whatsapp_business_management'], expiryWarningDays: 21 },
    });
  });

  it.each([
    ['tags', { wabaId: '12ab' }, `tag ${FleetTag.WabaId}`, /numeric id of 5 to 20 digits, got "12ab"/],
    ['flags', { wabaId: '12ab' }, '--waba', /numeric id/],
    ['env', { wabaId: '12ab' }, 'environment variable WABA_ID', /numeric id/],
    ['tags', { phoneNumberId: '+1 555 0100' }, `tag ${FleetTag.PhoneNumberId}`, /phone number id \(not the phone number\)/],
    ['tags', { rotationMode: 'weekly' }, `tag ${FleetTag.RotationMode}`, /one of hand-made, refresh, mint, got "weekly"/],
    ['flags', { rotationMode: 'mint' }, '--system-user', /required with rotation mode "mint"/],
    ['tags', { requiredScopes: 'whatsapp_business_messaging Whatsapp-Management' }, `tag ${FleetTag.RequiredScopes}`, /"Whatsapp-Management" is not one/],
    ['tags', { expiryWarningDays: '0' }, `tag ${FleetTag.ExpiryWarningDays}`, /1 to 60, got "0"/],
    ['flags', { name: 'client 1' }, 'NAME', /letters, digits/],
  ] as const)('fails from %s on %j, naming %s and the fix', (origin, extra, field, reason) => {
    // Act
    const r = validateTokenSettings({ name: 'client-1', secretId: SECRET, ...extra }, origin);
    // Assess
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.field).toBe(field);
    expect(r.reason.startsWith(field)).toBe(true);
    expect(r.reason).toMatch(reason);
  });

  it('never echoes a long value, which could be a token pasted into the wrong field', () => {
    // Prepare
    const pasted = 'EAAGcanaryTOKENx9Qm7ZtokenguardCANARY0001';
    // Act
    const r = validateTokenSettings({ name: 'client-1', secretId: SECRET, wabaId: pasted }, 'flags');
    // Assess
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain(pasted.slice(0, 12));
    expect(!r.ok && r.reason).toMatch(/a 41-character value/);
  });
});

describe('fleet secret names and tags', () => {
  it('names a fleet secret <prefix><fleet>/<token> and reads the token name back', () => {
    expect(fleetSecretName('acme', 'client-1')).toBe(SECRET);
    expect(tokenNameFromSecretName('acme', SECRET)).toBe('client-1');
    expect(tokenNameFromSecretName('acme', 'whatsapp-token-guard/fleet/acme-2/client-1')).toBeUndefined();
    expect(tokenNameFromSecretName('acme', 'whatsapp-token-guard/fleet/acme/a/b')).toBeUndefined();
  });

  it('round-trips settings through the tags fleet add writes', () => {
    // Prepare
    const v = validateTokenSettings({ name: 'client-1', secretId: SECRET, wabaId: '102290129340398', rotationMode: 'refresh', requiredScopes: 'a_b c_d' }, 'flags');
    if (!v.ok) throw new Error(v.reason);
    // Act
    const back = fleetTokenSettings('acme', SECRET, tagsForSettings('acme', v.value));
    // Assess
    expect(back).toEqual(v);
  });

  it('fails a secret whose fleet tag names another fleet', () => {
    // Act
    const r = fleetTokenSettings('acme', SECRET, { [FleetTag.Fleet]: 'other' });
    // Assess
    expect(r).toEqual({ ok: false, field: FleetTag.TokenName, reason: expect.stringMatching(/token-guard:fleet says "other" but the secret is named for fleet "acme"/) });
  });

  it('fails a secret whose token tag disagrees with its name', () => {
    // Act
    const r = fleetTokenSettings('acme', SECRET, { [FleetTag.TokenName]: 'client-2' });
    // Assess
    expect(!r.ok && r.reason).toMatch(/says "client-2" but the secret's name ends in "client-1"/);
  });
});
