// Reads a fleet function's configuration once, at cold start, like runtime-config.ts: trim, require unless a
// default exists, and name the variable in every error. Per-token values are not here: they come from each
// secret's tags (core/token-settings.ts).
import { DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_GRAPH_API_VERSION, DEFAULT_REQUIRED_SCOPES, EnvVar, FleetEnvVar } from '../contract';
import { validateSweepSchedule } from '../core/plan-sweep';
import { FLEET_ID_PATTERN, FLEET_NAME_PATTERN, FleetNamespace } from '../core/token-settings';
import { ConfigError, Env, graphApiBaseUrl, optional, required } from './runtime-config';

export interface FleetConfig extends FleetNamespace {
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:<secretNamePrefix>`: every secret the function may act on starts with it. */
  readonly secretArnPrefix: string;
  readonly appSecretArn: string;
  readonly appId: string;
  readonly requiredScopes: readonly string[];
  readonly graphApiVersion: string;
  readonly graphApiBaseUrl: string;
  readonly expiryWarningDays: number;
  /** The fleet's default revoke grace for tokens a refresh or mint rotation demoted (a token's tag overrides it). */
  readonly revokePreviousAfterHours?: number;
  readonly httpTimeoutMs: number;
}

export interface SweepConfig extends FleetNamespace {
  readonly queueUrl: string;
  readonly intervalMinutes: number;
  readonly plannerEveryMinutes: number;
  readonly maxReceiveCount: number;
}

function wholeNumber(env: Env, name: string, fallback: number): number;
function wholeNumber(env: Env, name: string, fallback: undefined): number | undefined;
function wholeNumber(env: Env, name: string, fallback: number | undefined): number | undefined {
  const v = optional(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `must be a positive whole number, got "${v.slice(0, 40)}"`);
  return n;
}

/** The fleet's name, id and secret name prefix, each checked against the others (the construct derives them together). */
function namespace(env: Env): FleetNamespace {
  const fleetName = required(env, FleetEnvVar.FleetName);
  if (!FLEET_NAME_PATTERN.test(fleetName)) throw new ConfigError(FleetEnvVar.FleetName, `must be 1-32 letters, digits, "-" or "_", got "${fleetName.slice(0, 40)}"`);
  const fleetId = required(env, FleetEnvVar.FleetId);
  if (!FLEET_ID_PATTERN.test(fleetId) || !fleetId.endsWith(`/${fleetName}`)) throw new ConfigError(FleetEnvVar.FleetId, `must be "<stack>/${fleetName}", got "${fleetId.slice(0, 170)}"`);
  const secretNamePrefix = required(env, FleetEnvVar.SecretNamePrefix);
  if (!secretNamePrefix.endsWith(`/${fleetName}/`)) throw new ConfigError(FleetEnvVar.SecretNamePrefix, `must end in "/${fleetName}/", got "${secretNamePrefix.slice(0, 200)}"`);
  return { fleetName, fleetId, secretNamePrefix };
}

/** What the worker and the rotation function need to check any token of the fleet. */
export function readFleetConfig(env: Env): FleetConfig {
  const ns = namespace(env);
  const secretArnPrefix = required(env, FleetEnvVar.SecretArnPrefix);
  if (!/^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:/.test(secretArnPrefix) || !secretArnPrefix.endsWith(`:secret:${ns.secretNamePrefix}`)) {
    throw new ConfigError(FleetEnvVar.SecretArnPrefix, `must be "arn:<partition>:secretsmanager:<region>:<account>:secret:${ns.secretNamePrefix}", got "${secretArnPrefix.slice(0, 250)}"`);
  }
  const scopes = optional(env, EnvVar.RequiredScopes);
  return {
    ...ns,
    secretArnPrefix,
    appSecretArn: required(env, EnvVar.AppSecretArn),
    appId: required(env, EnvVar.AppId),
    requiredScopes: scopes ? scopes.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_REQUIRED_SCOPES],
    graphApiVersion: optional(env, EnvVar.GraphApiVersion) ?? DEFAULT_GRAPH_API_VERSION,
    graphApiBaseUrl: graphApiBaseUrl(env),
    expiryWarningDays: wholeNumber(env, EnvVar.ExpiryWarningDays, DEFAULT_EXPIRY_WARNING_DAYS),
    revokePreviousAfterHours: wholeNumber(env, EnvVar.RevokePreviousAfterHours, undefined),
    httpTimeoutMs: wholeNumber(env, EnvVar.HttpTimeoutMs, 5000),
  };
}

/** What the planner and the worker need to queue checks. */
export function readSweepConfig(env: Env): SweepConfig {
  const schedule = { intervalMinutes: wholeNumber(env, FleetEnvVar.SweepIntervalMinutes, 60), plannerEveryMinutes: wholeNumber(env, FleetEnvVar.PlannerEveryMinutes, 15) };
  const valid = validateSweepSchedule(schedule);
  if (!valid.ok) throw new ConfigError(valid.field === 'intervalMinutes' ? FleetEnvVar.SweepIntervalMinutes : FleetEnvVar.PlannerEveryMinutes, `is not usable: ${valid.reason}`);
  return { ...namespace(env), queueUrl: required(env, FleetEnvVar.SweepQueueUrl), ...schedule, maxReceiveCount: wholeNumber(env, FleetEnvVar.MaxReceiveCount, 5) };
}
