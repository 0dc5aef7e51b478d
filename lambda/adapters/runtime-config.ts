// Reads the function's configuration once, at cold start, in the style of Powertools envUtils:
// trim, require unless a default exists, and name the variable in every error.
import {
  DEFAULT_EXPIRY_WARNING_DAYS,
  DEFAULT_GRAPH_API_BASE_URL,
  DEFAULT_GRAPH_API_VERSION,
  DEFAULT_REQUIRED_SCOPES,
  EnvVar,
  GUARD_LEDGER_SCOPE,
  ROTATION_MODES,
  RotationMode,
} from '../contract';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Environment variable ${variable} ${problem}. The construct sets it; redeploy the stack rather than editing the function.`);
    this.name = 'ConfigError';
  }
}

export interface RuntimeConfig {
  readonly tokenName: string;
  readonly tokenSecretArn: string;
  readonly appSecretArn: string;
  readonly appId: string;
  readonly wabaId?: string;
  readonly phoneNumberId?: string;
  readonly requiredScopes: readonly string[];
  readonly graphApiVersion: string;
  readonly graphApiBaseUrl: string;
  readonly expiryWarningDays: number;
  readonly rotationMode: RotationMode;
  readonly systemUserId?: string;
  readonly mintSixtyDayTokens: boolean;
  readonly revokePreviousAfterHours?: number;
  readonly httpTimeoutMs: number;
}

/** Where a function records outcomes: the health ledger table, its key scope (`<scope>/<tokenName>`), and when check-failed is news. */
export interface LedgerConfig {
  readonly ledgerTableName: string;
  readonly ledgerScope: string;
  readonly checkFailuresToNotify: number;
}

export function readLedgerConfig(env: Env): LedgerConfig {
  return {
    ledgerTableName: required(env, EnvVar.LedgerTableName),
    ledgerScope: optional(env, EnvVar.LedgerScope) ?? GUARD_LEDGER_SCOPE,
    checkFailuresToNotify: Math.floor(positiveNumber(env, EnvVar.CheckFailuresToNotify, 3)!),
  };
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable's trimmed value, or undefined when unset or blank. */
export function optional(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** A variable's trimmed value; a missing one fails the cold start with its name. */
export function required(env: Env, name: string): string {
  const v = optional(env, name);
  if (v === undefined) throw new ConfigError(name, 'is not set');
  return v;
}

function positiveNumber(env: Env, name: string, fallback: number | undefined): number | undefined {
  const v = optional(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(name, `must be a positive number, got "${v.slice(0, 40)}"`);
  return n;
}

/** The Graph API base URL (Meta's by default), refused at cold start unless it is an absolute URL. Shared with the fleet. */
export function graphApiBaseUrl(env: Env): string {
  const baseUrl = optional(env, EnvVar.GraphApiBaseUrl) ?? DEFAULT_GRAPH_API_BASE_URL;
  try {
    new URL(baseUrl);
  } catch {
    throw new ConfigError(EnvVar.GraphApiBaseUrl, `must be an absolute URL such as ${DEFAULT_GRAPH_API_BASE_URL}`);
  }
  return baseUrl;
}

export function readRuntimeConfig(env: Env): RuntimeConfig {
  const mode = optional(env, EnvVar.RotationMode) ?? 'hand-made';
  if (!(ROTATION_MODES as readonly string[]).includes(mode)) throw new ConfigError(EnvVar.RotationMode, `must be one of ${ROTATION_MODES.join(', ')}, got "${mode.slice(0, 40)}"`);
  const scopes = optional(env, EnvVar.RequiredScopes);
  const baseUrl = graphApiBaseUrl(env);
  return {
    tokenName: required(env, EnvVar.TokenName),
    tokenSecretArn: required(env, EnvVar.TokenSecretArn),
    appSecretArn: required(env, EnvVar.AppSecretArn),
    appId: required(env, EnvVar.AppId),
    wabaId: optional(env, EnvVar.WabaId),
    phoneNumberId: optional(env, EnvVar.PhoneNumberId),
    requiredScopes: scopes ? scopes.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_REQUIRED_SCOPES],
    graphApiVersion: optional(env, EnvVar.GraphApiVersion) ?? DEFAULT_GRAPH_API_VERSION,
    graphApiBaseUrl: baseUrl,
    expiryWarningDays: positiveNumber(env, EnvVar.ExpiryWarningDays, DEFAULT_EXPIRY_WARNING_DAYS)!,
    rotationMode: mode as RotationMode,
    systemUserId: optional(env, EnvVar.SystemUserId),
    mintSixtyDayTokens: (optional(env, EnvVar.MintSixtyDayTokens) ?? 'true') === 'true',
    revokePreviousAfterHours: positiveNumber(env, EnvVar.RevokePreviousAfterHours, undefined),
    httpTimeoutMs: positiveNumber(env, EnvVar.HttpTimeoutMs, 5000)!,
  };
}
