// Pure: raw `cdk.json` context -> typed configuration, or a ConfigError that names the field and the fix.
// Runs at synth time, before any resource is defined.
import { NotificationFormat } from './private/health-notifications';
import { appStackBudget, appStackShapeOf, BEYOND_THE_LIMIT, describeGuardResources, guardResourceCount, MAX_RESOURCES_PER_STACK, RESERVED_FOR_CDK_METADATA, tokensThatFit } from './private/stack-budget';
import { DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_GRAPH_API_VERSION, DEFAULT_REQUIRED_SCOPES, GUARD_LEDGER_SCOPE, ROTATION_MODES, RotationMode } from '../lambda/contract';

export const CONTEXT_KEY = 'tokenGuard';

/**
 * The Meta app id of the shipped cdk.json and the README examples. It passes validation so a fresh clone
 * synthesizes, but a stack using it warns at synth and refuses to deploy (see WhatsAppTokenGuard).
 */
export const EXAMPLE_APP_ID = '1234567890123456';

/** Check intervals that divide the hour into 5-minute alarm periods (see lib/token-alarms.ts). */
export const CHECK_INTERVAL_MINUTES = [5, 10, 15, 20, 30, 60] as const;
/**
 * Refresh/mint schedules must leave a 60-day token time for retries and a human: Meta's long-lived tokens last
 * about 60 days (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/).
 */
export const MAX_ROTATION_DAYS = 45;

/** Where the configuration came from, as the error message names it. */
export const CONFIG_SOURCE = {
  /** An object under "context" in cdk.json (the default app). */
  cdkJson: 'cdk.json context',
  /** `cdk synth -c tokenGuard='{...}'`: the CDK CLI passes a command-line context value as a string. */
  commandLine: 'the -c tokenGuard=... value',
  /** cdk.context.json, ~/.cdk.json or an App's `context` prop. */
  otherContext: 'the CDK context',
} as const;

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly fix: string,
    readonly source: string = CONFIG_SOURCE.cdkJson,
  ) {
    super(`${source} "${field}" ${problem}. ${fix}`);
    this.name = 'ConfigError';
  }

  /** The same error, naming another source. */
  from(source: string): ConfigError {
    return new ConfigError(this.field, this.problem, this.fix, source);
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
  /** Reattach: an existing (retained) token secret to guard instead of creating one. */
  readonly tokenSecretArn?: string;
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
  /** Reattach: an existing KMS key for the secrets (the retained key of a destroyed stack). */
  readonly secretsKeyArn?: string;
  readonly dashboard: boolean;
  /** Tags for every resource of the stack, on top of the guard's own (see lib/guard-tags.ts). */
  readonly tags: Readonly<Record<string, string>>;
  /** 'text' (email) or 'chat' (Amazon Q Developer in chat applications custom notifications). */
  readonly notificationFormat: NotificationFormat;
  readonly tokens: readonly TokenConfig[];
  /** Fleet mode: many tokens of the same app, added and removed without a deploy (lib/whatsapp-token-fleet.ts). */
  readonly tokenFleet?: TokenFleetConfig;
}

export interface TokenFleetConfig {
  readonly name: string;
  readonly sweepIntervalMinutes: number;
  readonly workerConcurrency: number;
  readonly maxReceiveCount: number;
  readonly requiredScopes: readonly string[];
  readonly expiryWarningDays: number;
  /** Keep the secret names of a fleet deployed before fleet namespaces were per stack (`legacySecretNames`). */
  readonly legacySecretNames: boolean;
  /** Refresh and mint tokens: revoke a demoted token this many hours after its rotation (a token's tag overrides it). */
  readonly revokePreviousAfterHours?: number;
}

/** The settings each level accepts; anything else is a typo that would silently fall back to a default. */
export const TOP_LEVEL_KEYS = [
  'appId',
  'stackName',
  'graphApiVersion',
  'graphApiBaseUrl',
  'appSecretArn',
  'alarmEmail',
  'alarmTopicArn',
  'customerManagedKey',
  'secretsKeyArn',
  'dashboard',
  'notificationFormat',
  'tags',
  'checkIntervalMinutes',
  'expiryWarningDays',
  'requiredScopes',
  'tokens',
  'tokenFleet',
] as const;
export const FLEET_KEYS = ['name', 'sweepIntervalMinutes', 'workerConcurrency', 'maxReceiveCount', 'requiredScopes', 'expiryWarningDays', 'legacySecretNames', 'revokePreviousAfterHours'] as const;
/** Sweep intervals the fleet's planner can keep (multiples of its 15-minute run). */
export const FLEET_INTERVAL_MINUTES = [15, 30, 60, 120, 180, 240, 360, 720, 1440] as const;
export const TOKEN_KEYS = ['name', 'tokenSecretArn', 'wabaId', 'phoneNumberId', 'requiredScopes', 'checkIntervalMinutes', 'expiryWarningDays', 'checkFailuresToAlarm', 'rotation'] as const;
export const ROTATION_KEYS = ['mode', 'scheduleDays', 'systemUserId', 'sixtyDayTokens', 'revokePreviousAfterHours'] as const;

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
/** A complete secret ARN ends in the 6 characters Secrets Manager appends to the name. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/;
/** AWS tag rules: https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html (keys 1-128, values 0-256, no "aws:"). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** Tag keys the guard sets itself (lib/guard-tags.ts). */
export const RESERVED_TAG_PREFIX = 'whatsapp-token-guard:';
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/;
/** The rules below are shared with the construct's prop checks (lib/props-error.ts). */
export const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
export const GRAPH_API_VERSION = /^v\d{1,3}\.\d$/;
export const SCOPE = /^[a-z_]{3,64}$/;
export const HTTPS_URL = /^https:\/\/[^\s]+$/;

function scopes(v: unknown, field: string): readonly string[] {
  if (v === undefined || v === null) return [...DEFAULT_REQUIRED_SCOPES];
  if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string' || !SCOPE.test(s))) {
    throw new ConfigError(field, `must be a non-empty list of permission names, got ${describe(v)}`, `Set it to a list such as ${JSON.stringify(DEFAULT_REQUIRED_SCOPES)}.`);
  }
  return v as string[];
}

/** Optimal string alignment distance, case-insensitive: a transposition ("Emial") counts as one edit. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[x.length][y.length];
}

/** The closest known key, if it is close enough to be the one meant. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = editDistance(key, k);
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * Rejects keys this level does not know. A typo such as "alarmEmial" would otherwise synthesize with the
 * default (no email) and nobody would be paged.
 */
function rejectUnknownKeys(r: Raw, known: readonly string[], field: string, elsewhere: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(r)) {
    if (known.includes(key)) continue;
    const path = `${field}.${key}`;
    if (elsewhere[key]) throw new ConfigError(path, `is not a setting at this level`, `Move it to "${elsewhere[key]}".`);
    const near = nearestKey(key, known);
    throw new ConfigError(path, 'is not a known setting', `${near ? `Did you mean "${near}"? ` : ''}Settings here: ${known.join(', ')} (README section "Configuration").`);
  }
}

const only = (keys: readonly string[], except: readonly string[], at: (k: string) => string): Record<string, string> =>
  Object.fromEntries(keys.filter((k) => !except.includes(k)).map((k) => [k, at(k)]));

function rotation(v: unknown, field: string): RotationConfig {
  const r = v === undefined || v === null ? {} : obj(v, field);
  rejectUnknownKeys(r, ROTATION_KEYS, field, only(TOKEN_KEYS, ROTATION_KEYS, (k) => `${field.replace(/\.rotation$/, '')}.${k}`));
  const mode = (str(r, 'mode', `${field}.mode`) ?? 'hand-made') as RotationMode;
  if (!ROTATION_MODES.includes(mode)) throw new ConfigError(`${field}.mode`, `must be one of ${ROTATION_MODES.join(', ')}, got ${describe(r.mode)}`, 'Use "hand-made" unless docs/rotation.md says otherwise.');
  const automatic = mode !== 'hand-made';
  if (!automatic && r.scheduleDays !== undefined) {
    throw new ConfigError(`${field}.scheduleDays`, 'is only used by the "refresh" and "mint" modes', 'Remove it: a hand-made token is rotated when an operator hands one in with `npx --no-install whatsapp-token-guard set-token`.');
  }
  const scheduleDays = automatic ? int(r, 'scheduleDays', `${field}.scheduleDays`, 30, 1, MAX_ROTATION_DAYS, `30 (at most ${MAX_ROTATION_DAYS}, well inside a 60-day token's life)`) : undefined;
  const systemUserId = str(r, 'systemUserId', `${field}.systemUserId`, { required: mode === 'mint', pattern: NUMERIC_ID, hint: 'the numeric id of the system user (Business Settings > Users > System users)' });
  const revokeHours = r.revokePreviousAfterHours === undefined ? undefined : int(r, 'revokePreviousAfterHours', `${field}.revokePreviousAfterHours`, 24, 1, 24 * 30, '24');
  if (revokeHours !== undefined && !automatic) {
    throw new ConfigError(`${field}.revokePreviousAfterHours`, 'is only used by the "refresh" and "mint" modes', 'Remove it, or set the mode to "refresh" or "mint".');
  }
  return { mode, scheduleDays, systemUserId, sixtyDayTokens: bool(r, 'sixtyDayTokens', `${field}.sixtyDayTokens`, true), revokePreviousAfterHours: revokeHours };
}

/** Top-level values every token inherits unless it sets its own. */
interface TokenDefaults {
  readonly checkIntervalMinutes: number;
  readonly expiryWarningDays: number;
  readonly requiredScopes: readonly string[];
}

function checkInterval(r: Raw, field: string, fallback: number): number {
  const interval = int(r, 'checkIntervalMinutes', `${field}.checkIntervalMinutes`, fallback, 5, 60, '15');
  if (!(CHECK_INTERVAL_MINUTES as readonly number[]).includes(interval)) {
    throw new ConfigError(`${field}.checkIntervalMinutes`, `must be one of ${CHECK_INTERVAL_MINUTES.join(', ')}, got ${interval}`, 'Pick 15 unless you have a reason: it keeps detection under 20 minutes.');
  }
  return interval;
}

const SECRET_ARN_HINT = 'the complete ARN of the existing secret, ending in the 6 characters Secrets Manager appends to its name (copy it from `aws secretsmanager describe-secret --secret-id <name>`)';

function token(v: unknown, i: number, defaults: TokenDefaults, names: Set<string>): TokenConfig {
  const field = `${CONTEXT_KEY}.tokens[${i}]`;
  const r = obj(v, field);
  rejectUnknownKeys(r, TOKEN_KEYS, field, {
    ...only(TOP_LEVEL_KEYS, TOKEN_KEYS, (k) => `${CONTEXT_KEY}.${k}`),
    ...only(ROTATION_KEYS, TOKEN_KEYS, (k) => `${field}.rotation.${k}`),
  });
  const name = str(r, 'name', `${field}.name`, { required: true, pattern: TOKEN_NAME, hint: 'a short name of letters, digits, "-" or "_" (at most 64), such as "primary"' })!;
  if (names.has(name)) throw new ConfigError(`${field}.name`, `repeats the token name "${name}"`, 'Give every token a different name.');
  names.add(name);
  return {
    name,
    tokenSecretArn: str(r, 'tokenSecretArn', `${field}.tokenSecretArn`, { pattern: SECRET_ARN, hint: SECRET_ARN_HINT }),
    wabaId: str(r, 'wabaId', `${field}.wabaId`, { pattern: NUMERIC_ID, hint: 'the numeric WhatsApp Business Account id from WhatsApp Manager' }),
    phoneNumberId: str(r, 'phoneNumberId', `${field}.phoneNumberId`, { pattern: NUMERIC_ID, hint: 'the numeric phone number id (not the phone number) from App Dashboard > WhatsApp > API Setup' }),
    requiredScopes: r.requiredScopes === undefined ? defaults.requiredScopes : scopes(r.requiredScopes, `${field}.requiredScopes`),
    checkIntervalMinutes: checkInterval(r, field, defaults.checkIntervalMinutes),
    expiryWarningDays: int(r, 'expiryWarningDays', `${field}.expiryWarningDays`, defaults.expiryWarningDays, 1, 59, '14'),
    checkFailuresToAlarm: int(r, 'checkFailuresToAlarm', `${field}.checkFailuresToAlarm`, 3, 1, 10, '3'),
    rotation: rotation(r.rotation, `${field}.rotation`),
  };
}

function tags(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  const r = obj(v, field);
  const entries = Object.entries(r);
  if (entries.length > 40) throw new ConfigError(field, `has ${entries.length} tags`, 'Use at most 40: AWS allows 50 per resource and the guard sets a few of its own.');
  for (const [k, value] of entries) {
    const path = `${field}.${k}`;
    if (k.length < 1 || k.length > 128 || !TAG_TEXT.test(k) || /^aws:/i.test(k)) {
      throw new ConfigError(path, 'is not a valid tag key', 'Use 1-128 letters, digits, spaces or _ . : / = + - @, not starting with "aws:".');
    }
    if (k.startsWith(RESERVED_TAG_PREFIX)) throw new ConfigError(path, `uses the prefix "${RESERVED_TAG_PREFIX}" the guard sets itself`, 'Pick another key, such as "team" or "cost-center".');
    if (typeof value !== 'string' || value.length > 256 || !TAG_TEXT.test(value)) {
      throw new ConfigError(path, `must be a tag value (a string of 0-256 letters, digits, spaces or _ . : / = + - @), got ${describe(value)}`, 'Set it to a string such as "payments".');
    }
  }
  return r as Record<string, string>;
}

/**
 * Parses the `tokenGuard` context object. Throws ConfigError naming the first bad field and where the
 * configuration came from: a string is what the CDK CLI passes for `-c tokenGuard='{...}'`, an object comes
 * from cdk.json (or `source` when the caller knows better).
 */
export function parseGuardConfig(raw: unknown, source: string = CONFIG_SOURCE.cdkJson): GuardAppConfig {
  const from = typeof raw === 'string' ? CONFIG_SOURCE.commandLine : source;
  try {
    return parse(raw);
  } catch (e) {
    throw e instanceof ConfigError ? e.from(from) : e;
  }
}

/**
 * The app's configuration from the whole CDK context, as the CDK CLI leaves it: the `tokenGuard` object (cdk.json, or
 * `-c tokenGuard='{...}'`), with any `-c tokenGuard.<setting>=<value>` a user adds on the command line applied on top
 * (`tokenGuard.appId`, `tokenGuard.tokens[0].rotation.mode`; a value that is JSON text such as `["a","b"]` is read
 * as JSON). A context key that is nearly `tokenGuard` (`tokenGaurd`, `TokenGuard.appId`) is refused with the right
 * spelling: the CDK CLI accepts any key, so a typo would otherwise be ignored and the default kept.
 */
export function parseGuardContext(context: Readonly<Record<string, unknown>>, source: string = CONFIG_SOURCE.cdkJson): GuardAppConfig {
  for (const key of Object.keys(context)) {
    const head = key.split(/[.[]/)[0];
    if (head !== CONTEXT_KEY && editDistance(head, CONTEXT_KEY) <= 2) {
      throw new ConfigError(key, 'is not a context key of this app', `Did you mean "${CONTEXT_KEY}${key.slice(head.length)}"? Pass settings as -c ${CONTEXT_KEY}.<setting>=<value> or in cdk.json under "context"."${CONTEXT_KEY}".`, CONFIG_SOURCE.otherContext);
    }
  }
  const dotted = Object.keys(context).filter((k) => k.startsWith(`${CONTEXT_KEY}.`) || k.startsWith(`${CONTEXT_KEY}[`)).sort();
  const base = context[CONTEXT_KEY];
  if (dotted.length === 0) return parseGuardConfig(base, source);
  // An error about a setting given on its own names that -c value as its source.
  const settingSource = (field: string): string | undefined => dotted.find((k) => field === k || field.startsWith(`${k}.`) || field.startsWith(`${k}[`));
  try {
    const raw: Raw = base === undefined ? {} : structuredClone(obj(typeof base === 'string' ? safeJson(base) : base, CONTEXT_KEY));
    for (const key of dotted) setPath(raw, key, context[key]);
    return parse(raw);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const from = settingSource(e.field);
    throw e.from(from ? `the -c ${from}=... value` : typeof base === 'string' ? CONFIG_SOURCE.commandLine : source);
  }
}

/** `tokenGuard.tokens[0].name` -> ["tokens", 0, "name"], or a ConfigError for a key that is not a settings path. */
function settingPath(key: string): (string | number)[] {
  const rest = key.slice(CONTEXT_KEY.length);
  const segments = [...rest.matchAll(/\.([A-Za-z][A-Za-z0-9]*)|\[(\d{1,3})\]/g)];
  if (segments.map((m) => m[0]).join('') !== rest || segments.length === 0) {
    throw new ConfigError(key, 'is not a settings path', `Name one setting, such as -c ${CONTEXT_KEY}.appId=1234567890123456 or -c ${CONTEXT_KEY}.tokens[0].rotation.mode=refresh.`, CONFIG_SOURCE.otherContext);
  }
  return segments.map((m) => (m[1] !== undefined ? m[1] : Number(m[2])));
}

function setPath(raw: Raw, key: string, value: unknown): void {
  const path = settingPath(key);
  let at: Raw | unknown[] = raw;
  for (const [i, segment] of path.slice(0, -1).entries()) {
    const next = path[i + 1];
    const container = at as Record<string | number, unknown>;
    if (container[segment] === undefined || container[segment] === null) container[segment] = typeof next === 'number' ? [] : {};
    const child = container[segment];
    if (typeof child !== 'object') {
      throw new ConfigError(key, `sets a setting inside ${JSON.stringify(path.slice(0, i + 1).join('.'))}, which is not an object or list`, 'Set the whole value instead.', CONFIG_SOURCE.otherContext);
    }
    at = child as Raw;
  }
  // The CDK CLI passes every -c value as a string; JSON lists and objects are read as such.
  const text = typeof value === 'string' ? value.trim() : undefined;
  (at as Record<string | number, unknown>)[path[path.length - 1]] = text !== undefined && /^[[{]/.test(text) ? safeJson(text) : value;
}

function parse(raw: unknown): GuardAppConfig {
  if (raw === undefined) throw new ConfigError(CONTEXT_KEY, 'is missing', 'Add a "tokenGuard" object to the "context" of cdk.json (see the README section "Configuration").');
  const r = obj(typeof raw === 'string' ? safeJson(raw) : raw, CONTEXT_KEY);
  rejectUnknownKeys(r, TOP_LEVEL_KEYS, CONTEXT_KEY, {
    ...only(TOKEN_KEYS, TOP_LEVEL_KEYS, (k) => `${CONTEXT_KEY}.tokens[].${k}`),
    ...only(ROTATION_KEYS, TOP_LEVEL_KEYS, (k) => `${CONTEXT_KEY}.tokens[].rotation.${k}`),
  });
  const tokenFleet = r.tokenFleet === undefined || r.tokenFleet === null ? undefined : fleet(r.tokenFleet, r);
  // A fleet-only stack needs no fixed tokens.
  const tokensRaw = r.tokens === undefined && tokenFleet ? [] : r.tokens;
  if (!Array.isArray(tokensRaw) || (tokensRaw.length === 0 && !tokenFleet)) {
    throw new ConfigError(`${CONTEXT_KEY}.tokens`, 'must be a non-empty list', 'Add at least one token, such as [{"name": "primary"}].');
  }
  const alarmEmail = str(r, 'alarmEmail', `${CONTEXT_KEY}.alarmEmail`, { pattern: EMAIL, hint: 'an email address such as "oncall@example.com"' });
  const alarmTopicArn = str(r, 'alarmTopicArn', `${CONTEXT_KEY}.alarmTopicArn`, { pattern: TOPIC_ARN, hint: 'an SNS topic ARN such as "arn:aws:sns:us-east-1:111111111111:oncall"' });
  if (alarmEmail && alarmTopicArn) {
    throw new ConfigError(`${CONTEXT_KEY}.alarmEmail`, 'cannot be combined with alarmTopicArn', 'Subscribe the email to your existing topic instead, and remove alarmEmail.');
  }
  const customerManagedKey = bool(r, 'customerManagedKey', `${CONTEXT_KEY}.customerManagedKey`, false);
  const secretsKeyArn = str(r, 'secretsKeyArn', `${CONTEXT_KEY}.secretsKeyArn`, { pattern: KEY_ARN, hint: 'the ARN of an existing KMS key, such as "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"' });
  if (secretsKeyArn && customerManagedKey) {
    throw new ConfigError(`${CONTEXT_KEY}.customerManagedKey`, 'cannot be combined with secretsKeyArn', 'Remove customerManagedKey: secretsKeyArn already names the key that encrypts the secrets.');
  }
  const defaults: TokenDefaults = {
    checkIntervalMinutes: checkInterval(r, CONTEXT_KEY, 15),
    expiryWarningDays: int(r, 'expiryWarningDays', `${CONTEXT_KEY}.expiryWarningDays`, DEFAULT_EXPIRY_WARNING_DAYS, 1, 59, '14'),
    requiredScopes: scopes(r.requiredScopes, `${CONTEXT_KEY}.requiredScopes`),
  };
  const names = new Set<string>();
  return refuseTokensBeyondStackLimit({
    stackName: stackName(r),
    appId: str(r, 'appId', `${CONTEXT_KEY}.appId`, { required: true, pattern: NUMERIC_ID, hint: "your Meta app's numeric id (App Dashboard > App settings > Basic)" })!,
    graphApiVersion: str(r, 'graphApiVersion', `${CONTEXT_KEY}.graphApiVersion`, { pattern: GRAPH_API_VERSION, hint: `a pinned Graph API version such as "${DEFAULT_GRAPH_API_VERSION}"` }) ?? DEFAULT_GRAPH_API_VERSION,
    graphApiBaseUrl: str(r, 'graphApiBaseUrl', `${CONTEXT_KEY}.graphApiBaseUrl`, { pattern: HTTPS_URL, hint: 'an https URL; leave it unset for https://graph.facebook.com' }),
    appSecretArn: str(r, 'appSecretArn', `${CONTEXT_KEY}.appSecretArn`, { pattern: SECRET_ARN, hint: SECRET_ARN_HINT }),
    alarmEmail,
    alarmTopicArn,
    customerManagedKey,
    secretsKeyArn,
    dashboard: bool(r, 'dashboard', `${CONTEXT_KEY}.dashboard`, true),
    tags: tags(r.tags, `${CONTEXT_KEY}.tags`),
    notificationFormat: (str(r, 'notificationFormat', `${CONTEXT_KEY}.notificationFormat`, { pattern: /^(text|chat)$/, hint: '"text" for email, or "chat" for Slack/Teams through Amazon Q Developer in chat applications' }) ?? 'text') as NotificationFormat,
    tokens: tokensRaw.map((t, i) => token(t, i, defaults, names)),
    ...(tokenFleet ? { tokenFleet } : {}),
  });
}

/**
 * Refuses more tokens than one stack holds, before CDK's "Number of resources ... greater than allowed maximum": the
 * count is computed from what each token and the stack's shared parts add (lib/private/stack-budget.ts, checked against
 * synthesized stacks by test/lib/stack-budget.test.ts). A fleet's resources are counted by the stack itself at synth.
 */
function refuseTokensBeyondStackLimit(c: GuardAppConfig): GuardAppConfig {
  const shape = appStackShapeOf(c);
  const limit = MAX_RESOURCES_PER_STACK - RESERVED_FOR_CDK_METADATA;
  const budget = appStackBudget(shape);
  if (budget.total <= limit) return c;
  const fit = tokensThatFit(shape, limit);
  const most = Math.max(...budget.perToken);
  const t = shape.tokens[budget.perToken.indexOf(most)];
  const heavy = { createsTokenSecret: !t.tokenSecretArn, assetProbes: t.assetProbes };
  throw new ConfigError(
    `${CONTEXT_KEY}.tokens`,
    `lists ${c.tokens.length} tokens, but only the first ${fit} fit in one stack: a token adds up to ${guardResourceCount(heavy)} CloudFormation resources (${describeGuardResources(heavy)}), ` +
      `the stack's shared parts ${budget.shared} and its notification rules ${budget.notificationRules}, ${budget.total} in all, and CloudFormation allows ${MAX_RESOURCES_PER_STACK} per stack (${RESERVED_FOR_CDK_METADATA} kept for CDK's metadata)`,
    `Keep at most ${fit} here; beyond that, ${BEYOND_THE_LIMIT}.`,
  );
}

function fleet(v: unknown, top: Raw): TokenFleetConfig {
  const field = `${CONTEXT_KEY}.tokenFleet`;
  const r = obj(v, field);
  rejectUnknownKeys(r, FLEET_KEYS, field, {});
  const interval = int(r, 'sweepIntervalMinutes', `${field}.sweepIntervalMinutes`, 60, 15, 1440, '60');
  if (!(FLEET_INTERVAL_MINUTES as readonly number[]).includes(interval)) {
    throw new ConfigError(`${field}.sweepIntervalMinutes`, `must be one of ${FLEET_INTERVAL_MINUTES.join(', ')}, got ${interval}`, 'Use 60: every token is checked once an hour, spread over the hour.');
  }
  const name = str(r, 'name', `${field}.name`, { required: true, pattern: /^[A-Za-z0-9_-]{1,32}$/, hint: 'a short fleet name of letters, digits, "-" or "_" (at most 32), such as "clients"' })!;
  if (name.toLowerCase() === GUARD_LEDGER_SCOPE) {
    throw new ConfigError(`${field}.name`, `must not be "${name}": that is the single guard's ledger scope, so the fleet's ledger keys, events and messages would read as the single guards'`, 'Use another name, such as "clients".');
  }
  const revokeHours = r.revokePreviousAfterHours === undefined ? undefined : int(r, 'revokePreviousAfterHours', `${field}.revokePreviousAfterHours`, 24, 1, 24 * 30, '24');
  return {
    name,
    legacySecretNames: bool(r, 'legacySecretNames', `${field}.legacySecretNames`, false),
    ...(revokeHours !== undefined ? { revokePreviousAfterHours: revokeHours } : {}),
    sweepIntervalMinutes: interval,
    workerConcurrency: int(r, 'workerConcurrency', `${field}.workerConcurrency`, 5, 2, 1000, '5'),
    maxReceiveCount: int(r, 'maxReceiveCount', `${field}.maxReceiveCount`, 5, 2, 20, '5'),
    requiredScopes: r.requiredScopes === undefined ? scopes(top.requiredScopes, `${CONTEXT_KEY}.requiredScopes`) : scopes(r.requiredScopes, `${field}.requiredScopes`),
    expiryWarningDays: int(r, 'expiryWarningDays', `${field}.expiryWarningDays`, typeof top.expiryWarningDays === 'number' ? top.expiryWarningDays : DEFAULT_EXPIRY_WARNING_DAYS, 1, 59, '14'),
  };
}

/** The stack's name; "fleet" is refused: its guards' secrets would sit inside the legacy fleet namespace whatsapp-token-guard/fleet/. */
function stackName(r: Raw): string {
  const name = str(r, 'stackName', `${CONTEXT_KEY}.stackName`, { pattern: /^[A-Za-z][A-Za-z0-9-]{0,127}$/, hint: 'a CloudFormation stack name such as "WhatsAppTokenGuard"' }) ?? 'WhatsAppTokenGuard';
  if (name.toLowerCase() === 'fleet') {
    throw new ConfigError(`${CONTEXT_KEY}.stackName`, `must not be "${name}": its guards' secrets (whatsapp-token-guard/${name}/<token>/token) would fall inside the namespace of fleets that keep their legacy names (whatsapp-token-guard/fleet/<fleet>/<token>)`, 'Use another name, such as "WhatsAppTokenGuard".');
  }
  return name;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(CONTEXT_KEY, 'is not valid JSON', "Pass the whole object in single quotes, such as -c tokenGuard='{\"appId\":\"1234567890123456\",\"tokens\":[{\"name\":\"primary\"}]}', or edit cdk.json.");
  }
}
