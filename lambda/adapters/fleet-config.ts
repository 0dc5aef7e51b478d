// Reads a fleet function's configuration once, at cold start, like runtime-config.ts: trim, require unless a
// default exists, and name the variable in every error. Per-token values are not here: they come from each
// secret's tags (core/token-settings.ts).
import { DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_GRAPH_API_VERSION, DEFAULT_REQUIRED_SCOPES, EnvVar, FleetEnvVar } from '../contract';
import { validateSweepSchedule } from '../core/plan-sweep';
import { FLEET_NAME_PATTERN } from '../core/token-settings';
import { ConfigError, Env, graphApiBaseUrl, optional, required } from './runtime-config';

export interface FleetConfig {
  readonly fleetName: string;
  readonly appSecretArn: string;
  readonly appId: string;
  readonly requiredScopes: readonly string[];
  readonly graphApiVersion: string;
  readonly graphApiBaseUrl: string;
  readonly expiryWarningDays: number;
  readonly httpTimeoutMs: number;
}

export interface SweepConfig {
  readonly fleetName: string;
  readonly queueUrl: string;
  readonly intervalMinutes: number;
  readonly plannerEveryMinutes: number;
  readonly maxReceiveCount: number;
}

function wholeNumber(env: Env, name: string, fallback: number): number {
  const v = optional(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `must be a positive whole number, got "${v.slice(0, 40)}"`);
  return n;
}
function fleetName(env: Env): string {
  const name = required(env, FleetEnvVar.FleetName);
  if (!FLEET_NAME_PATTERN.test(name)) throw new ConfigError(FleetEnvVar.FleetName, `must be 1-32 letters, digits, "-" or "_", got "${name.slice(0, 40)}"`);
  return name;
}

/** What the worker and the rotation function need to check any token of the fleet. */
export function readFleetConfig(env: Env): FleetConfig {
  const scopes = optional(env, EnvVar.RequiredScopes);
  const baseUrl = graphApiBaseUrl(env);
  return {
    fleetName: fleetName(env),
    appSecretArn: required(env, EnvVar.AppSecretArn),
    appId: required(env, EnvVar.AppId),
    requiredScopes: scopes ? scopes.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_REQUIRED_SCOPES],
    graphApiVersion: optional(env, EnvVar.GraphApiVersion) ?? DEFAULT_GRAPH_API_VERSION,
    graphApiBaseUrl: baseUrl,
    expiryWarningDays: wholeNumber(env, EnvVar.ExpiryWarningDays, DEFAULT_EXPIRY_WARNING_DAYS),
    httpTimeoutMs: wholeNumber(env, EnvVar.HttpTimeoutMs, 5000),
  };
}

/** What the planner and the worker need to queue checks. */
export function readSweepConfig(env: Env): SweepConfig {
  const schedule = { intervalMinutes: wholeNumber(env, FleetEnvVar.SweepIntervalMinutes, 60), plannerEveryMinutes: wholeNumber(env, FleetEnvVar.PlannerEveryMinutes, 15) };
  const valid = validateSweepSchedule(schedule);
  if (!valid.ok) throw new ConfigError(valid.field === 'intervalMinutes' ? FleetEnvVar.SweepIntervalMinutes : FleetEnvVar.PlannerEveryMinutes, `is not usable: ${valid.reason}`);
  return { fleetName: fleetName(env), queueUrl: required(env, FleetEnvVar.SweepQueueUrl), ...schedule, maxReceiveCount: wholeNumber(env, FleetEnvVar.MaxReceiveCount, 5) };
}
