// Pure: one token's settings from wherever they come from (environment variables, a fleet secret's tags,
// `whatsapp-token-guard fleet add` flags) -> TokenSettings, or a reason that names the variable, tag or flag and the fix.
// The worker, the rotation function and the CLI all call validateTokenSettings, so they accept the same values.
import { FLEET_SECRET_PREFIX, FleetTag, ROTATION_MODES, RotationMode } from '../contract';

export interface TokenSettings {
  /** The token's name: in a fleet, unique within it and the last part of its secret's name. */
  readonly name: string;
  /** Name or ARN of the token's secret. */
  readonly secretId: string;
  readonly wabaId?: string;
  readonly phoneNumberId?: string;
  /** Scopes the token must carry; undefined means the deployment's default. */
  readonly requiredScopes?: readonly string[];
  /** Days of warning before expiry; undefined means the deployment's default. */
  readonly expiryWarningDays?: number;
  readonly rotationMode: RotationMode;
  readonly systemUserId?: string;
}

/** Raw strings as found, before any check. */
export interface RawTokenSettings {
  readonly name?: string;
  readonly secretId?: string;
  readonly wabaId?: string;
  readonly phoneNumberId?: string;
  readonly requiredScopes?: string;
  readonly expiryWarningDays?: string;
  readonly rotationMode?: string;
  readonly systemUserId?: string;
}
type Field = keyof RawTokenSettings;

/** Where raw settings came from; decides how an error names the field. */
export type SettingsOrigin = 'env' | 'tags' | 'flags';

export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly field: string; readonly reason: string };

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Fleet names are shorter: they are part of alarm names and of every secret name in the fleet. */
export const FLEET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const NUMERIC_ID = /^\d{5,20}$/;
const SCOPE = /^[a-z][a-z0-9_]{1,99}$/;

const FIELD_NAMES: Record<SettingsOrigin, Record<Field, string>> = {
  env: {
    name: 'environment variable TOKEN_NAME',
    secretId: 'environment variable TOKEN_SECRET_ARN',
    wabaId: 'environment variable WABA_ID',
    phoneNumberId: 'environment variable PHONE_NUMBER_ID',
    requiredScopes: 'environment variable REQUIRED_SCOPES',
    expiryWarningDays: 'environment variable EXPIRY_WARNING_DAYS',
    rotationMode: 'environment variable ROTATION_MODE',
    systemUserId: 'environment variable SYSTEM_USER_ID',
  },
  tags: {
    name: `tag ${FleetTag.TokenName}`,
    secretId: 'secret name',
    wabaId: `tag ${FleetTag.WabaId}`,
    phoneNumberId: `tag ${FleetTag.PhoneNumberId}`,
    requiredScopes: `tag ${FleetTag.RequiredScopes}`,
    expiryWarningDays: `tag ${FleetTag.ExpiryWarningDays}`,
    rotationMode: `tag ${FleetTag.RotationMode}`,
    systemUserId: `tag ${FleetTag.SystemUserId}`,
  },
  flags: {
    name: 'NAME',
    secretId: 'secret name',
    wabaId: '--waba',
    phoneNumberId: '--phone',
    requiredScopes: '--scopes',
    expiryWarningDays: '--expiry-warning-days',
    rotationMode: '--rotation',
    systemUserId: '--system-user',
  },
};

/** What a value looks like without quoting it whole (a pasted token in the wrong field must not be echoed). */
function shape(v: string): string {
  return v.length > 24 ? `a ${v.length}-character value` : `"${v}"`;
}

function fail(origin: SettingsOrigin, field: Field, reason: string): Validated<never> {
  return { ok: false, field: FIELD_NAMES[origin][field], reason: `${FIELD_NAMES[origin][field]} ${reason}` };
}

const trimmed = (v: string | undefined): string | undefined => {
  const t = v?.trim();
  return t ? t : undefined;
};

/** Checks raw settings; the first problem found is returned with the field's name in the origin's terms and the fix. */
export function validateTokenSettings(raw: RawTokenSettings, origin: SettingsOrigin): Validated<TokenSettings> {
  const name = trimmed(raw.name);
  if (name === undefined) return fail(origin, 'name', 'is missing. Give the token a short name such as "client-acme".');
  if (!TOKEN_NAME_PATTERN.test(name)) return fail(origin, 'name', `must be letters, digits, "-" or "_" (at most 64), got ${shape(name)}. Use a name such as "client-acme".`);
  const secretId = trimmed(raw.secretId);
  if (secretId === undefined) return fail(origin, 'secretId', 'is missing.');

  const ids: Record<'wabaId' | 'phoneNumberId' | 'systemUserId', string | undefined> = { wabaId: undefined, phoneNumberId: undefined, systemUserId: undefined };
  const hints = { wabaId: 'the WhatsApp Business Account id from WhatsApp Manager', phoneNumberId: 'the phone number id (not the phone number) from WhatsApp Manager', systemUserId: 'the system user id from Business Settings > Users > System users' };
  for (const f of ['wabaId', 'phoneNumberId', 'systemUserId'] as const) {
    const v = trimmed(raw[f]);
    if (v !== undefined && !NUMERIC_ID.test(v)) return fail(origin, f, `must be a numeric id of 5 to 20 digits, got ${shape(v)}. Use ${hints[f]}.`);
    ids[f] = v;
  }

  const mode = trimmed(raw.rotationMode) ?? 'hand-made';
  if (!(ROTATION_MODES as readonly string[]).includes(mode)) return fail(origin, 'rotationMode', `must be one of ${ROTATION_MODES.join(', ')}, got ${shape(mode)}.`);
  if (mode === 'mint' && ids.systemUserId === undefined) return fail(origin, 'systemUserId', 'is required with rotation mode "mint". Give the system user whose tokens are minted.');

  let requiredScopes: string[] | undefined;
  const scopes = trimmed(raw.requiredScopes);
  if (scopes !== undefined) {
    requiredScopes = scopes.split(/[\s,]+/).filter(Boolean);
    const bad = requiredScopes.find((s) => !SCOPE.test(s));
    if (bad !== undefined) return fail(origin, 'requiredScopes', `must list Meta permission names separated by spaces, such as "whatsapp_business_messaging whatsapp_business_management"; ${shape(bad)} is not one.`);
  }

  let expiryWarningDays: number | undefined;
  const days = trimmed(raw.expiryWarningDays);
  if (days !== undefined) {
    expiryWarningDays = Number(days);
    if (!Number.isInteger(expiryWarningDays) || expiryWarningDays < 1 || expiryWarningDays > 60) return fail(origin, 'expiryWarningDays', `must be a whole number of days from 1 to 60, got ${shape(days)}. Use 14 unless you rotate by hand less often.`);
  }

  return {
    ok: true,
    value: { name, secretId, wabaId: ids.wabaId, phoneNumberId: ids.phoneNumberId, systemUserId: ids.systemUserId, rotationMode: mode as RotationMode, requiredScopes, expiryWarningDays },
  };
}

/** `whatsapp-token-guard/fleet/<fleet>/<token>`: the documented name of a fleet token's secret. */
export function fleetSecretName(fleet: string, token: string): string {
  return `${FLEET_SECRET_PREFIX}${fleet}/${token}`;
}

/** The name prefix of every secret of one fleet (what ListSecrets filters on and IAM scopes to). */
export function fleetSecretPrefix(fleet: string): string {
  return `${FLEET_SECRET_PREFIX}${fleet}/`;
}

/** The token name a fleet secret's name carries, or undefined when the name is not `<prefix><fleet>/<token>` exactly. */
export function tokenNameFromSecretName(fleet: string, secretName: string): string | undefined {
  const prefix = fleetSecretPrefix(fleet);
  if (!secretName.startsWith(prefix)) return undefined;
  const rest = secretName.slice(prefix.length);
  return TOKEN_NAME_PATTERN.test(rest) ? rest : undefined;
}

/** Raw settings of a fleet secret from its name and tags (the name wins over a disagreeing token tag, which is an error). */
export function rawSettingsFromTags(fleet: string, secretName: string, tags: Readonly<Record<string, string>>): RawTokenSettings & { readonly mismatch?: string } {
  const fromName = tokenNameFromSecretName(fleet, secretName);
  const tagged = tags[FleetTag.TokenName];
  const mismatch =
    tags[FleetTag.Fleet] !== undefined && tags[FleetTag.Fleet] !== fleet
      ? `tag ${FleetTag.Fleet} says "${tags[FleetTag.Fleet].slice(0, 32)}" but the secret is named for fleet "${fleet}"`
      : tagged !== undefined && fromName !== undefined && tagged !== fromName
        ? `tag ${FleetTag.TokenName} says "${tagged.slice(0, 64)}" but the secret's name ends in "${fromName}"`
        : undefined;
  return {
    name: fromName ?? secretName.slice(fleetSecretPrefix(fleet).length),
    secretId: secretName,
    wabaId: tags[FleetTag.WabaId],
    phoneNumberId: tags[FleetTag.PhoneNumberId],
    requiredScopes: tags[FleetTag.RequiredScopes],
    expiryWarningDays: tags[FleetTag.ExpiryWarningDays],
    rotationMode: tags[FleetTag.RotationMode],
    systemUserId: tags[FleetTag.SystemUserId],
    mismatch,
  };
}

/** Settings of a fleet secret from its name and tags, checked; a disagreeing fleet or token tag is a problem too. */
export function fleetTokenSettings(fleet: string, secretName: string, tags: Readonly<Record<string, string>>): Validated<TokenSettings> {
  const raw = rawSettingsFromTags(fleet, secretName, tags);
  if (raw.mismatch) return { ok: false, field: FleetTag.TokenName, reason: `${raw.mismatch}. Re-tag the secret with \`npx --no-install whatsapp-token-guard fleet add\` or fix the tag.` };
  return validateTokenSettings(raw, 'tags');
}

/** The tags that carry validated settings on a fleet secret (what `fleet add` writes and onboarding code may write). */
export function tagsForSettings(fleet: string, s: TokenSettings): Record<string, string> {
  const tags: Record<string, string> = { [FleetTag.Fleet]: fleet, [FleetTag.TokenName]: s.name, [FleetTag.RotationMode]: s.rotationMode };
  if (s.wabaId) tags[FleetTag.WabaId] = s.wabaId;
  if (s.phoneNumberId) tags[FleetTag.PhoneNumberId] = s.phoneNumberId;
  if (s.systemUserId) tags[FleetTag.SystemUserId] = s.systemUserId;
  if (s.requiredScopes) tags[FleetTag.RequiredScopes] = s.requiredScopes.join(' ');
  if (s.expiryWarningDays !== undefined) tags[FleetTag.ExpiryWarningDays] = String(s.expiryWarningDays);
  return tags;
}
