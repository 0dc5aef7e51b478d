// Pure: raw `cdk.json` context -> typed configuration, or a ConfigError that names the field and the fix.
// Runs at synth time, before any resource is defined.
import { DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_GRAPH_API_VERSION, DEFAULT_REQUIRED_SCOPES, ROTATION_MODES, RotationMode } from '../lambda/contract';

export const CONTEXT_KEY = 'tokenGuard';

/** Check intervals that divide the hour into 5-minute alarm periods (see lib/token-alarms.ts). */
export const CHECK_INTERVAL_MINUTES = [5, 10, 15, 20, 30, 60] as const;
/** Refresh/mint schedules must leave a 60-day token time for retries and a human (reference §3). */
export const MAX_ROTATION_DAYS = 45;

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string,
    fix: string,
  ) {
    super(`cdk.json context "${field}" ${problem}. ${fix}`);
    this.name = 'ConfigError';
  }
}

export interface RotationConfig {
  readonly mode: RotationMode;
  /** Days between automatic rotations (refresh and mint only). */
  readonly scheduleDays?: number;
  readonly systemUserId?: string;
  /** mint: ask Meta for a 60-day token (set_token_expires_in_60_days). */
  readonly sixtyDayTokens: boolean;
  /** refresh: revoke the previous token this many hours after promotion. */
  readonly revokePreviousAfterHours?: number;
}

export interface TokenConfig {
  readonly name: string;
  readonly wabaId?: string;
  readonly phoneNumberId?: string;
  readonly requiredScopes: readonly string[];
  readonly checkIntervalMinutes: number;
  readonly expiryWarningDays: number;
  readonly checkFailuresToAlarm: number;
  readonly rotation: RotationConfig;
}

export interface GuardAppConfig {
  readonly stackName: string;
  readonly appId: string;
  readonly graphApiVersion: string;
  readonly graphApiBaseUrl?: string;
  readonly appSecretArn?: string;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  readonly customerManagedKey: boolean;
  readonly dashboard: boolean;
  readonly tokens: readonly TokenConfig[];
}

type Raw = Record<string, unknown>;

const describe = (v: unknown): string => (typeof v === 'string' ? `"${v.slice(0, 60)}"` : JSON.stringify(v)?.slice(0, 60) ?? String(v));

function obj(v: unknown, field: string): Raw {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(field, `must be an object, got ${describe(v)}`, 'See the README section "Configuration".');
  return v as Raw;
}

function str(r: Raw, key: string, field: string, opts: { required?: boolean; pattern?: RegExp; hint?: string } = {}): string | undefined {
  const v = r[key];
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw new ConfigError(field, 'is required', `Set it${opts.hint ? ` to ${opts.hint}` : ''}.`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ConfigError(field, `must be a string, got ${describe(v)}`, `Set it${opts.hint ? ` to ${opts.hint}` : ''}.`);
  const t = v.trim();
  if (opts.pattern && !opts.pattern.test(t)) throw new ConfigError(field, `has an invalid value ${describe(v)}`, `Set it to ${opts.hint}.`);
  return t;
}

function int(r: Raw, key: string, field: string, fallback: number, min: number, max: number, hint: string): number {
  const v = r[key];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(field, `must be a whole number from ${min} to ${max}, got ${describe(v)}`, `Set it to a number such as ${hint}.`);
  }
  return n;
}

function bool(r: Raw, key: string, field: string, fallback: boolean): boolean {
  const v = r[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ConfigError(field, `must be true or false, got ${describe(v)}`, 'Set it to true or false.');
}

/** Meta object ids (app, WABA, phone number, system user). Shared with the construct's prop checks. */
export const NUMERIC_ID = /^\d{5,20}$/;
/** Token names: the TokenName dimension and part of resource names. */
export const TOKEN_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const VERSION = /^v\d{1,3}\.\d$/;
const SCOPE = /^[a-z_]{3,64}$/;

function scopes(v: unknown, field: string): readonly string[] {
  if (v === undefined || v === null) return [...DEFAULT_REQUIRED_SCOPES];
  if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string' || !SCOPE.test(s))) {
    throw new ConfigError(field, `must be a non-empty list of permission names, got ${describe(v)}`, `Set it to a list such as ${JSON.stringify(DEFAULT_REQUIRED_SCOPES)}.`);
  }
  return v as string[];
}

function rotation(v: unknown, field: string): RotationConfig {
  const r = v === undefined || v === null ? {} : obj(v, field);
  const mode = (str(r, 'mode', `${field}.mode`) ?? 'hand-made') as RotationMode;
  if (!ROTATION_MODES.includes(mode)) throw new ConfigError(`${field}.mode`, `must be one of ${ROTATION_MODES.join(', ')}, got ${describe(r.mode)}`, 'Use "hand-made" unless the README\'s rotation section says otherwise.');
  const automatic = mode !== 'hand-made';
  if (!automatic && r.scheduleDays !== undefined) {
    throw new ConfigError(`${field}.scheduleDays`, 'is only used by the "refresh" and "mint" modes', 'Remove it: a hand-made token is rotated when an operator hands one in with `npx --no-install whatsapp-token-guard set-token`.');
  }
  const scheduleDays = automatic ? int(r, 'scheduleDays', `${field}.scheduleDays`, 30, 1, MAX_ROTATION_DAYS, `30 (at most ${MAX_ROTATION_DAYS}, well inside a 60-day token's life)`) : undefined;
  const systemUserId = str(r, 'systemUserId', `${field}.systemUserId`, { required: mode === 'mint', pattern: NUMERIC_ID, hint: 'the numeric id of the system user (Business Settings > Users > System users)' });
  const revokeHours = r.revokePreviousAfterHours === undefined ? undefined : int(r, 'revokePreviousAfterHours', `${field}.revokePreviousAfterHours`, 24, 1, 24 * 30, '24');
  if (revokeHours !== undefined && mode !== 'refresh') {
    throw new ConfigError(`${field}.revokePreviousAfterHours`, 'is only used by the "refresh" mode', 'Remove it, or set the mode to "refresh".');
  }
  return { mode, scheduleDays, systemUserId, sixtyDayTokens: bool(r, 'sixtyDayTokens', `${field}.sixtyDayTokens`, true), revokePreviousAfterHours: revokeHours };
}

function token(v: unknown, i: number, top: Raw, names: Set<string>): TokenConfig {
  const field = `${CONTEXT_KEY}.tokens[${i}]`;
  const r = obj(v, field);
  const name = str(r, 'name', `${field}.name`, { required: true, pattern: TOKEN_NAME, hint: 'a short name of letters, digits, "-" or "_" (at most 64), such as "primary"' })!;
  if (names.has(name)) throw new ConfigError(`${field}.name`, `repeats the token name "${name}"`, 'Give every token a different name.');
  names.add(name);
  const interval = int(r, 'checkIntervalMinutes', `${field}.checkIntervalMinutes`, int(top, 'checkIntervalMinutes', `${CONTEXT_KEY}.checkIntervalMinutes`, 15, 5, 60, '15'), 5, 60, '15');
  if (!(CHECK_INTERVAL_MINUTES as readonly number[]).includes(interval)) {
    throw new ConfigError(`${field}.checkIntervalMinutes`, `must be one of ${CHECK_INTERVAL_MINUTES.join(', ')}, got ${interval}`, 'Pick 15 unless you have a reason: it keeps detection under 20 minutes.');
  }
  const warnDefault = int(top, 'expiryWarningDays', `${CONTEXT_KEY}.expiryWarningDays`, DEFAULT_EXPIRY_WARNING_DAYS, 1, 59, '14');
  return {
    name,
    wabaId: str(r, 'wabaId', `${field}.wabaId`, { pattern: NUMERIC_ID, hint: 'the numeric WhatsApp Business Account id from WhatsApp Manager' }),
    phoneNumberId: str(r, 'phoneNumberId', `${field}.phoneNumberId`, { pattern: NUMERIC_ID, hint: 'the numeric phone number id (not the phone number) from App Dashboard > WhatsApp > API Setup' }),
    requiredScopes: scopes(r.requiredScopes ?? top.requiredScopes, `${field}.requiredScopes`),
    checkIntervalMinutes: interval,
    expiryWarningDays: int(r, 'expiryWarningDays', `${field}.expiryWarningDays`, warnDefault, 1, 59, '14'),
    checkFailuresToAlarm: int(r, 'checkFailuresToAlarm', `${field}.checkFailuresToAlarm`, 3, 1, 10, '3'),
    rotation: rotation(r.rotation, `${field}.rotation`),
  };
}

/** Parses the `tokenGuard` context object. Throws ConfigError naming the first bad field. */
export function parseGuardConfig(raw: unknown): GuardAppConfig {
  if (raw === undefined) throw new ConfigError(CONTEXT_KEY, 'is missing', 'Add a "tokenGuard" object to the "context" of cdk.json (see the README section "Configuration").');
  const r = obj(typeof raw === 'string' ? safeJson(raw) : raw, CONTEXT_KEY);
  const tokensRaw = r.tokens;
  if (!Array.isArray(tokensRaw) || tokensRaw.length === 0) {
    throw new ConfigError(`${CONTEXT_KEY}.tokens`, 'must be a non-empty list', 'Add at least one token, such as [{"name": "primary"}].');
  }
  if (tokensRaw.length > 20) throw new ConfigError(`${CONTEXT_KEY}.tokens`, `lists ${tokensRaw.length} tokens`, 'Use at most 20 per stack (CloudFormation output and resource limits); split them across stacks.');
  const alarmEmail = str(r, 'alarmEmail', `${CONTEXT_KEY}.alarmEmail`, { pattern: EMAIL, hint: 'an email address such as "oncall@example.com"' });
  const alarmTopicArn = str(r, 'alarmTopicArn', `${CONTEXT_KEY}.alarmTopicArn`, { pattern: TOPIC_ARN, hint: 'an SNS topic ARN such as "arn:aws:sns:us-east-1:111111111111:oncall"' });
  if (alarmEmail && alarmTopicArn) {
    throw new ConfigError(`${CONTEXT_KEY}.alarmEmail`, 'cannot be combined with alarmTopicArn', 'Subscribe the email to your existing topic instead, and remove alarmEmail.');
  }
  const names = new Set<string>();
  return {
    stackName: str(r, 'stackName', `${CONTEXT_KEY}.stackName`, { pattern: /^[A-Za-z][A-Za-z0-9-]{0,127}$/, hint: 'a CloudFormation stack name such as "WhatsAppTokenGuard"' }) ?? 'WhatsAppTokenGuard',
    appId: str(r, 'appId', `${CONTEXT_KEY}.appId`, { required: true, pattern: NUMERIC_ID, hint: "your Meta app's numeric id (App Dashboard > App settings > Basic)" })!,
    graphApiVersion: str(r, 'graphApiVersion', `${CONTEXT_KEY}.graphApiVersion`, { pattern: VERSION, hint: `a pinned Graph API version such as "${DEFAULT_GRAPH_API_VERSION}"` }) ?? DEFAULT_GRAPH_API_VERSION,
    graphApiBaseUrl: str(r, 'graphApiBaseUrl', `${CONTEXT_KEY}.graphApiBaseUrl`, { pattern: /^https:\/\/[^\s]+$/, hint: 'an https URL; leave it unset for https://graph.facebook.com' }),
    appSecretArn: str(r, 'appSecretArn', `${CONTEXT_KEY}.appSecretArn`, { pattern: SECRET_ARN, hint: 'the full ARN of an existing secret holding the app secret' }),
    alarmEmail,
    alarmTopicArn,
    customerManagedKey: bool(r, 'customerManagedKey', `${CONTEXT_KEY}.customerManagedKey`, false),
    dashboard: bool(r, 'dashboard', `${CONTEXT_KEY}.dashboard`, true),
    tokens: tokensRaw.map((t, i) => token(t, i, r, names)),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(CONTEXT_KEY, 'was given on the command line but is not valid JSON', "Pass it as -c tokenGuard='{\"appId\":\"...\",\"tokens\":[{\"name\":\"primary\"}]}' or edit cdk.json.");
  }
}
