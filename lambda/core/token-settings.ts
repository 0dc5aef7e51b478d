// Pure: one token's settings from wherever they come from (environment variables, a fleet secret's tags,
// `whatsapp-token-guard fleet add` flags) -> TokenSettings, or a reason that names the variable, tag or flag and the fix.
// The worker, the rotation function and the CLI all call validateTokenSettings, so they accept the same values.
import { FleetNamespace, FleetTag, ROTATION_MODES, RotationMode } from '../contract';

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
  /** Refresh and mint: hours after a rotation before the token it demoted is revoked; undefined means the deployment's default. */
  readonly revokePreviousAfterHours?: number;
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
  readonly revokePreviousAfterHours?: string;
}
type Field = keyof RawTokenSettings;

/** Where raw settings came from; decides how an error names the field. */
export type SettingsOrigin = 'env' | 'tags' | 'flags';

export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly field: string; readonly reason: string };

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export { FLEET_NAME_PATTERN } from '../contract';
const NUMERIC_ID = /^\d{5,20}$/;
/** The single guard's bound for `revokePreviousAfter` (lib/config.ts): 30 days. */
const MAX_REVOKE_HOURS = 24 * 30;
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
    revokePreviousAfterHours: 'environment variable REVOKE_PREVIOUS_AFTER_HOURS',
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
    revokePreviousAfterHours: `tag ${FleetTag.RevokePreviousAfterHours}`,
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
    revokePreviousAfterHours: '--revoke-previous-after-hours',
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

  let revokePreviousAfterHours: number | undefined;
  const hours = trimmed(raw.revokePreviousAfterHours);
  if (hours !== undefined) {
    revokePreviousAfterHours = Number(hours);
    if (!Number.isInteger(revokePreviousAfterHours) || revokePreviousAfterHours < 1 || revokePreviousAfterHours > MAX_REVOKE_HOURS) {
      return fail(origin, 'revokePreviousAfterHours', `must be a whole number of hours from 1 to ${MAX_REVOKE_HOURS}, got ${shape(hours)}. Use 24: long enough for every consumer to read the new token.`);
    }
    if (mode === 'hand-made') return fail(origin, 'revokePreviousAfterHours', 'is only used by the "refresh" and "mint" rotation modes. Remove it, or rotate the token in one of those modes.');
  }

  return {
    ok: true,
    value: { name, secretId, wabaId: ids.wabaId, phoneNumberId: ids.phoneNumberId, systemUserId: ids.systemUserId, rotationMode: mode as RotationMode, requiredScopes, expiryWarningDays, revokePreviousAfterHours },
  };
}

// ---- A fleet's namespace (derived in contract.ts, which the construct shares) ----

export { FLEET_ID_PATTERN, fleetNameProblem, fleetNamespace, STACK_NAME_PATTERN } from '../contract';
export type { FleetNamespace } from '../contract';

/** The documented name of a fleet token's secret: the namespace's prefix and the token's name. */
export function fleetSecretName(ns: FleetNamespace, token: string): string {
  return `${ns.secretNamePrefix}${token}`;
}

/** The ledger key of a fleet token: `<stack>/<fleet>/<token>` (a single guard's is `guard/<token>`, never alike). */
export function fleetLedgerKey(ns: FleetNamespace, token: string): string {
  return `${ns.fleetId}/${token}`;
}

/** The token name a fleet secret's name carries, or undefined when the name is not `<prefix><token>` exactly. */
export function tokenNameFromSecretName(ns: FleetNamespace, secretName: string): string | undefined {
  if (!secretName.startsWith(ns.secretNamePrefix)) return undefined;
  const rest = secretName.slice(ns.secretNamePrefix.length);
  return TOKEN_NAME_PATTERN.test(rest) ? rest : undefined;
}

/**
 * Whether `arn` is exactly the ARN of the secret `<name prefix><token>` under `arnPrefix` (this partition, region,
 * account and fleet): Secrets Manager appends a hyphen and 6 characters to a secret's name in its ARN.
 */
export function isFleetSecretArn(arnPrefix: string, token: string, arn: string): boolean {
  if (!TOKEN_NAME_PATTERN.test(token) || !arn.startsWith(`${arnPrefix}${token}-`)) return false;
  return /^[A-Za-z0-9]{6}$/.test(arn.slice(arnPrefix.length + token.length + 1));
}

/** The settings tags of a secret (every tag the settings are read from), to compare two sets of them. */
export function settingsTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const keys = new Set<string>([FleetTag.Fleet, FleetTag.TokenName, FleetTag.WabaId, FleetTag.PhoneNumberId, FleetTag.RotationMode, FleetTag.RequiredScopes, FleetTag.SystemUserId, FleetTag.ExpiryWarningDays, FleetTag.RevokePreviousAfterHours]);
  return Object.fromEntries(Object.entries(tags).filter(([k]) => keys.has(k)).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Raw settings of a fleet secret from its name and tags (the name wins over a disagreeing token tag, which is an error). */
export function rawSettingsFromTags(ns: FleetNamespace, secretName: string, tags: Readonly<Record<string, string>>): RawTokenSettings & { readonly mismatch?: string } {
  const fromName = tokenNameFromSecretName(ns, secretName);
  const tagged = tags[FleetTag.TokenName];
  const mismatch =
    tags[FleetTag.Fleet] !== undefined && tags[FleetTag.Fleet] !== ns.fleetId
      ? `tag ${FleetTag.Fleet} says "${tags[FleetTag.Fleet].slice(0, 170)}" but the secret belongs to fleet "${ns.fleetId}"`
      : tagged !== undefined && fromName !== undefined && tagged !== fromName
        ? `tag ${FleetTag.TokenName} says "${tagged.slice(0, 64)}" but the secret's name ends in "${fromName}"`
        : undefined;
  return {
    name: fromName ?? secretName.slice(ns.secretNamePrefix.length),
    secretId: secretName,
    wabaId: tags[FleetTag.WabaId],
    phoneNumberId: tags[FleetTag.PhoneNumberId],
    requiredScopes: tags[FleetTag.RequiredScopes],
    expiryWarningDays: tags[FleetTag.ExpiryWarningDays],
    rotationMode: tags[FleetTag.RotationMode],
    systemUserId: tags[FleetTag.SystemUserId],
    revokePreviousAfterHours: tags[FleetTag.RevokePreviousAfterHours],
    mismatch,
  };
}

/** Settings of a fleet secret from its name and tags, checked; a disagreeing fleet or token tag is a problem too. */
export function fleetTokenSettings(ns: FleetNamespace, secretName: string, tags: Readonly<Record<string, string>>): Validated<TokenSettings> {
  const raw = rawSettingsFromTags(ns, secretName, tags);
  if (raw.mismatch) return { ok: false, field: FleetTag.TokenName, reason: `${raw.mismatch}. Re-tag the secret with \`aws secretsmanager tag-resource\` or remove it from the fleet.` };
  return validateTokenSettings(raw, 'tags');
}

/** The tags that carry validated settings on a fleet secret (what `fleet add` writes and onboarding code may write). */
export function tagsForSettings(ns: FleetNamespace, s: TokenSettings): Record<string, string> {
  const tags: Record<string, string> = { [FleetTag.Fleet]: ns.fleetId, [FleetTag.TokenName]: s.name, [FleetTag.RotationMode]: s.rotationMode };
  if (s.wabaId) tags[FleetTag.WabaId] = s.wabaId;
  if (s.phoneNumberId) tags[FleetTag.PhoneNumberId] = s.phoneNumberId;
  if (s.systemUserId) tags[FleetTag.SystemUserId] = s.systemUserId;
  if (s.requiredScopes) tags[FleetTag.RequiredScopes] = s.requiredScopes.join(' ');
  if (s.expiryWarningDays !== undefined) tags[FleetTag.ExpiryWarningDays] = String(s.expiryWarningDays);
  if (s.revokePreviousAfterHours !== undefined) tags[FleetTag.RevokePreviousAfterHours] = String(s.revokePreviousAfterHours);
  return tags;
}
