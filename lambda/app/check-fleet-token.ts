// One queued check of one fleet token: read its settings from the message, let core/ decide whether Meta's usage
// allows a call now, run the same checkToken as every other entry point, and record the outcome. Which outcomes
// throw is the product decision written below; the SQS engine does every retry.
//
//   settings tags invalid          -> recorded as unhealthy (SettingsInvalid, naming the tag); no retry: a retry cannot fix a tag
//   Meta's usage says slow/pause   -> put back on the queue with a delay (DelaySeconds), or dropped after too many deferrals
//   healthy / unhealthy verdict    -> recorded; done
//   no verdict (Meta down, throttled, secret unreadable), receives left -> thrown: SQS redelivers after the visibility timeout
//   no verdict on the last receive -> recorded as check-failed (the ledger has the cause), then thrown: the message goes to the DLQ
//   a crash (a bug, a poisoned message) -> thrown every time: the message goes to the DLQ without blocking its batch
import type { Logger } from '@aws-lambda-powertools/logger';
import { CheckReport, GraphUsageSummary, SweepMessage } from '../contract';
import { problem } from '../core/assess-token';
import { AWSCURRENT } from '../core/labels';
import { paceCheck, PacePolicy, DEFAULT_PACE_POLICY, UsageReading } from '../core/plan-sweep';
import { redact } from '../core/redact';
import { fleetSecretName, fleetTokenSettings, TokenSettings } from '../core/token-settings';
import type { FleetConfig } from '../adapters/fleet-config';
import type { FleetTally } from '../adapters/fleet-tally';
import type { GraphClient } from '../adapters/graph-client';
import type { RuntimeConfig } from '../adapters/runtime-config';
import type { SecretsStore } from '../adapters/secrets-store';
import type { SweepQueue } from '../adapters/sweep-queue';
import { checkToken } from './check-token';
import type { OutcomeDeps } from './ports';
import { recordOutcome } from './record-outcome';

/** Records one token's outcome (ledger and events); `key` is `<fleet>/<token>`. Failures are the recorder's to log and count. */
export interface OutcomeRecorder {
  record(token: { readonly name: string; readonly key: string; readonly secretId: string }, report: CheckReport): Promise<void>;
}

/**
 * The fleet's recorder: the same recordOutcome as every entry point (ledger, then events), keyed `<fleet>/<token>`.
 * Per-token metrics are not published in a fleet; a ledger or bus failure is counted on the fleet tally instead.
 */
export function ledgerOutcomes(d: Omit<OutcomeDeps, 'metrics' | 'events'> & { readonly tally: Pick<FleetTally, 'add'>; readonly events: (secretArn: string) => OutcomeDeps['events'] }): OutcomeRecorder {
  const metrics: OutcomeDeps['metrics'] = { publish: (_token, values) => (values.NotificationFailed ? d.tally.add('NotificationFailed') : undefined) };
  return {
    async record(token, report) {
      await recordOutcome({ ...d, metrics, events: d.events(token.secretId) }, { name: token.name }, report);
    },
  };
}

export interface FleetCheckDeps {
  readonly fleet: FleetConfig;
  readonly store: SecretsStore;
  readonly graph: (appSecret: string, deadline: number) => GraphClient;
  readonly now: () => Date;
  readonly tally: FleetTally;
  readonly queue: Pick<SweepQueue, 'defer'>;
  readonly usage: UsageMemory;
  readonly outcomes: OutcomeRecorder;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly pace?: PacePolicy;
}

/** How SQS delivered the message: the receive count decides whether a failed check is retried or recorded. */
export interface Delivery {
  readonly receiveCount: number;
  readonly maxReceiveCount: number;
}

export type FleetCheckOutcome = 'checked' | 'deferred' | 'dropped';

/** Thrown so that the engine retries (or dead-letters) the record. Its message names the token and the cause, never a value. */
export class CheckNotConcludedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckNotConcludedError';
  }
}

/**
 * Meta's latest usage readings as this container saw them (X-App-Usage for the app, X-Business-Use-Case-Usage per
 * business object). Every container learns them from its own answers; a reading goes stale after a few minutes.
 */
export class UsageMemory {
  app?: UsageReading;
  readonly objects = new Map<string, UsageReading>();

  observe(readings: readonly GraphUsageSummary[], at: number): void {
    for (const r of readings) {
      const reading: UsageReading = { percent: r.regainAccessMinutes && r.regainAccessMinutes > 0 ? Math.max(100, r.percent) : r.percent, observedAt: at, regainAccessMinutes: r.regainAccessMinutes };
      if (r.header === 'X-App-Usage') this.app = reading;
      else if (r.objectId) this.objects.set(r.objectId, reading);
    }
  }
}

/** Problems that mean "no verdict, try later" rather than "this token is bad". */
const RATE_LIMITED: ReadonlySet<string> = new Set(['GraphRateLimited']);

export function tokenRuntimeConfig(fleet: FleetConfig, s: TokenSettings, secretArn: string, skipOptionalProbes: boolean): RuntimeConfig {
  return {
    tokenName: s.name,
    tokenSecretArn: secretArn,
    appSecretArn: fleet.appSecretArn,
    appId: fleet.appId,
    // Probes are what a WABA near its quota can do without; the debug_token verdict still runs.
    wabaId: skipOptionalProbes ? undefined : s.wabaId,
    phoneNumberId: skipOptionalProbes ? undefined : s.phoneNumberId,
    requiredScopes: s.requiredScopes ?? fleet.requiredScopes,
    graphApiVersion: fleet.graphApiVersion,
    graphApiBaseUrl: fleet.graphApiBaseUrl,
    expiryWarningDays: s.expiryWarningDays ?? fleet.expiryWarningDays,
    rotationMode: s.rotationMode,
    systemUserId: s.systemUserId,
    mintSixtyDayTokens: true,
    httpTimeoutMs: fleet.httpTimeoutMs,
  };
}

function settingsInvalidReport(d: FleetCheckDeps, token: string, reason: string): CheckReport {
  return {
    tokenName: token,
    checkedAt: d.now().toISOString(),
    outcome: 'unhealthy',
    graphApiVersion: d.fleet.graphApiVersion,
    problems: [problem('SettingsInvalid', reason)],
    metrics: {},
  };
}

export async function checkFleetToken(d: FleetCheckDeps, message: SweepMessage, delivery: Delivery, deadline: number): Promise<FleetCheckOutcome> {
  const fleet = d.fleet.fleetName;
  const key = `${fleet}/${message.token}`;
  if (message.fleet !== fleet) throw new CheckNotConcludedError(`message for fleet "${message.fleet}" reached the worker of fleet "${fleet}"; refused`);
  const name = fleetSecretName(fleet, message.token);
  // The secret must be the token's own: its name, or an ARN of it (Secrets Manager appends 6 characters).
  if (message.secretId !== name && !new RegExp(`:secret:${name.replace(/[/\-]/g, '\\$&')}-[A-Za-z0-9]{6}$`).test(message.secretId)) {
    throw new CheckNotConcludedError(`${message.token}: the message names a secret that is not ${name}; refused`);
  }
  const settings = fleetTokenSettings(fleet, name, message.tags);
  const start = d.now().getTime();

  let report: CheckReport;
  let secrets: readonly string[] = [];
  if (!settings.ok) {
    report = settingsInvalidReport(d, message.token, settings.reason);
  } else {
    const decision = paceCheck(message, d.usage.app, settings.value.wabaId ? d.usage.objects.get(settings.value.wabaId) : undefined, start, d.pace ?? DEFAULT_PACE_POLICY);
    if (decision.kind === 'defer' || decision.kind === 'drop') {
      d.tally.add('RateLimited');
      if (decision.kind === 'defer') await d.queue.defer({ ...message, deferrals: (message.deferrals ?? 0) + 1 }, decision.delaySeconds);
      d.logger.info(decision.kind === 'defer' ? 'check put back' : 'check dropped for this sweep', { token: message.token, reason: decision.reason });
      return decision.kind === 'defer' ? 'deferred' : 'dropped';
    }
    const result = await checkToken(
      { config: tokenRuntimeConfig(d.fleet, settings.value, message.secretId, decision.skipOptionalProbes), store: d.store, graph: d.graph, now: d.now },
      { stage: AWSCURRENT },
      deadline,
    );
    report = result.report;
    secrets = result.secrets;
    d.usage.observe(result.graph?.usage ?? [], d.now().getTime());
    if (d.usage.app) d.tally.peak('AppUsagePercent', d.usage.app.percent);
    // A throttle's own usage header (read above) says whose quota ran out; the check made no further call after it.
    if (report.problems.some((p) => RATE_LIMITED.has(p.id))) d.tally.add('RateLimited');
  }

  if (report.outcome === 'check-failed' && delivery.receiveCount < delivery.maxReceiveCount) {
    throw new CheckNotConcludedError(`${message.token}: no verdict (${report.problems.map((p) => p.id).join(', ')}); receive ${delivery.receiveCount} of ${delivery.maxReceiveCount}, SQS retries it`);
  }

  d.tally.add('TokensChecked');
  if (report.outcome === 'unhealthy' && report.problems.some((p) => p.severity === 'critical')) d.tally.add('TokensUnhealthy');
  if (report.problems.some((p) => p.id === 'TokenExpiring')) d.tally.add('TokensExpiring');
  if (report.outcome === 'check-failed') d.tally.add('CheckFailures');
  d.tally.peak('SweepDuration', (d.now().getTime() - Date.parse(message.sweep)) / 1000);

  await d.outcomes.record({ name: message.token, key, secretId: message.secretId }, report);
  const line = JSON.parse(
    redact(JSON.stringify({ token: message.token, outcome: report.outcome, problemIds: report.problems.map((p) => p.id).join(' '), problems: report.problems, expiresAt: report.token?.expiresAt, checkedAt: report.checkedAt, receive: delivery.receiveCount }), secrets),
  );
  if (report.outcome === 'healthy') d.logger.info('token checked', line);
  else d.logger.warn('token checked', line);

  if (report.outcome === 'check-failed') {
    throw new CheckNotConcludedError(`${message.token}: no verdict after ${delivery.receiveCount} receives (${report.problems.map((p) => p.id).join(', ')}); recorded as check-failed, the message goes to the dead-letter queue`);
  }
  return 'checked';
}
