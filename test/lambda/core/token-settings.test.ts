import { FleetTag } from '../../../lambda/contract';
import { fleetLedgerKey, fleetNameProblem, fleetNamespace, fleetSecretName, fleetTokenSettings, isFleetSecretArn, settingsTags, tagsForSettings, tokenNameFromSecretName, validateTokenSettings } from '../../../lambda/core/token-settings';

const NS = fleetNamespace('Prod', 'acme');
const SECRET = 'whatsapp-token-guard-fleet/Prod/acme/client-1';

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
  it('names a fleet secret <root><stack>/<fleet>/<token> and reads the token name back', () => {
    expect(fleetSecretName(NS, 'client-1')).toBe(SECRET);
    expect(tokenNameFromSecretName(NS, SECRET)).toBe('client-1');
    expect(tokenNameFromSecretName(NS, 'whatsapp-token-guard-fleet/Prod/acme-2/client-1')).toBeUndefined();
    expect(tokenNameFromSecretName(NS, 'whatsapp-token-guard-fleet/Prod/acme/a/b')).toBeUndefined();
    expect(tokenNameFromSecretName(NS, 'whatsapp-token-guard-fleet/Staging/acme/client-1')).toBeUndefined();
  });

  it('keeps two stacks\' fleets of one name apart: ids, secret prefixes and ledger keys differ, and neither prefix covers the other', () => {
    // Prepare
    const staging = fleetNamespace('Staging', 'clients');
    const prod = fleetNamespace('Prod', 'clients');
    // Assess
    expect(staging.fleetId).not.toBe(prod.fleetId);
    expect(fleetSecretName(staging, 'acme').startsWith(prod.secretNamePrefix)).toBe(false);
    expect(fleetSecretName(prod, 'acme').startsWith(staging.secretNamePrefix)).toBe(false);
    expect(fleetLedgerKey(staging, 'acme')).toBe('Staging/clients/acme');
    expect(fleetLedgerKey(prod, 'acme')).not.toBe(fleetLedgerKey(staging, 'acme'));
  });

  it('keeps a fleet apart from the single guard: no fleet secret is under whatsapp-token-guard/, no ledger key is guard/<token>', () => {
    const ns = fleetNamespace('fleet', 'primary');
    expect(fleetSecretName(ns, 'token').startsWith('whatsapp-token-guard/')).toBe(false);
    expect(fleetLedgerKey(ns, 'x').split('/')).toHaveLength(3);
  });

  it('keeps the legacy names of a reattached fleet', () => {
    expect(fleetSecretName(fleetNamespace('Prod', 'acme', true), 'client-1')).toBe('whatsapp-token-guard/fleet/acme/client-1');
  });

  it.each([
    ['Prod', 'guard', /single guard's ledger scope/],
    ['Prod', 'Guard', /single guard's ledger scope/],
    ['Prod', 'my fleet', /1-32 letters/],
    ['1stack', 'acme', /not a CloudFormation stack name/],
  ])('refuses stack %s with fleet %s, naming the overlap', (stack, fleet, why) => {
    expect(fleetNameProblem(stack, fleet)).toMatch(why);
  });

  it('accepts only the exact ARN of the token\'s secret under the fleet\'s ARN prefix', () => {
    const prefix = `arn:aws:secretsmanager:us-east-1:111111111111:secret:${NS.secretNamePrefix}`;
    expect(isFleetSecretArn(prefix, 'client-1', `${prefix}client-1-AbC123`)).toBe(true);
    expect(isFleetSecretArn(prefix, 'client-1', `arn:aws:secretsmanager:us-east-1:222222222222:secret:${NS.secretNamePrefix}client-1-AbC123`)).toBe(false);
    expect(isFleetSecretArn(prefix, 'client-1', `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${NS.secretNamePrefix}client-1-AbC123`)).toBe(false);
    expect(isFleetSecretArn(prefix, 'client-1', `${prefix}client-1/x-AbC123`)).toBe(false);
    expect(isFleetSecretArn(prefix, 'client-1', `${prefix}client-1-AbC12`)).toBe(false);
    expect(isFleetSecretArn(prefix, 'client', `${prefix}client-1-AbC123`)).toBe(false);
    expect(isFleetSecretArn(prefix, '../x', `${prefix}../x-AbC123`)).toBe(false);
  });

  it('round-trips settings through the tags fleet add writes', () => {
    // Prepare
    const v = validateTokenSettings({ name: 'client-1', secretId: SECRET, wabaId: '102290129340398', rotationMode: 'refresh', requiredScopes: 'a_b c_d', revokePreviousAfterHours: '24' }, 'flags');
    if (!v.ok) throw new Error(v.reason);
    // Act
    const back = fleetTokenSettings(NS, SECRET, tagsForSettings(NS, v.value));
    // Assess
    expect(back).toEqual(v);
    expect(tagsForSettings(NS, v.value)[FleetTag.Fleet]).toBe('Prod/acme');
  });

  it('compares settings tags whatever their order and other tags', () => {
    expect(settingsTags({ b: '1', [FleetTag.WabaId]: '12345', [FleetTag.Fleet]: 'Prod/acme' })).toEqual({ [FleetTag.Fleet]: 'Prod/acme', [FleetTag.WabaId]: '12345' });
  });

  it('fails a secret whose fleet tag names another fleet, even one of the same name in another stack', () => {
    // Act
    const r = fleetTokenSettings(NS, SECRET, { [FleetTag.Fleet]: 'Staging/acme' });
    // Assess
    expect(r).toEqual({ ok: false, field: FleetTag.TokenName, reason: expect.stringMatching(/token-guard:fleet says "Staging\/acme" but the secret belongs to fleet "Prod\/acme"/) });
  });

  it('fails a secret whose token tag disagrees with its name', () => {
    // Act
    const r = fleetTokenSettings(NS, SECRET, { [FleetTag.TokenName]: 'client-2' });
    // Assess
    expect(!r.ok && r.reason).toMatch(/says "client-2" but the secret's name ends in "client-1"/);
  });

  it.each([
    [{ revokePreviousAfterHours: '0', rotationMode: 'refresh' }, /1 to 720, got "0"/],
    [{ revokePreviousAfterHours: '24' }, /only used by the "refresh" and "mint" rotation modes/],
  ])('fails the revoke grace %j, naming the tag', (extra, why) => {
    const r = validateTokenSettings({ name: 'client-1', secretId: SECRET, ...extra }, 'tags');
    expect(!r.ok && r.field).toBe(`tag ${FleetTag.RevokePreviousAfterHours}`);
    expect(!r.ok && r.reason).toMatch(why);
  });
});
