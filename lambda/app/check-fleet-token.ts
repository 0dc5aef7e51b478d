// One queued check of one fleet token: the message is only a request ("check token X of this fleet"), so the secret
// it names is anchored to this account, region and fleet prefix and described, and the token's settings come from the
// secret's own tags. Then core/ decides whether Meta's usage allows a call now, the same checkToken as every other
// entry point runs, and the outcome is recorded. Which outcomes throw is the product decision written below; the SQS
// engine does every retry.
//
//   message naming another fleet's, account's or region's secret, or carrying settings unlike the secret's
//                                  -> refused (thrown every time: it ends in the dead-letter queue, where FleetDeadLetters shows it)
//   secret gone or no longer tagged for the fleet (removed since the planner listed it) -> skipped, nothing recorded
//   settings tags invalid          -> recorded as unhealthy (SettingsInvalid, naming the tag); no retry: a retry cannot fix a tag
//   Meta's usage says slow/pause, or Meta throttled this batch (a throttle any record of the batch met stops every
//   later Graph call of the batch) -> put back on the queue with a delay (DelaySeconds) and counted as RateLimited;
//                                     at or above the pause, after too many deferrals, left for the next sweep.
//                                     Pacing is never a receive towards the dead-letter queue.
//   debug_token's verdict, the optional probes skipped or unsent for usage -> judged by debug_token alone; recorded
//   healthy / unhealthy verdict    -> recorded; after a healthy one (not throttled) the tokens the guard holds outside
//                                     AWSCURRENT are settled first (budget, revoke grace), a failed revoke in the report
//   no verdict (Meta down, secret unreadable), receives left -> thrown: SQS redelivers after the visibility timeout
//   no verdict on the last receive -> recorded as check-failed (the ledger has the cause), then thrown: the message goes to the DLQ
//   a crash (a bug, a poisoned message) -> thrown every time: the message goes to the DLQ without blocking its batch
import type { Logger } from '@aws-lambda-powertools/logger';
import { CheckReport, FleetTag, GraphUsageSummary, isIssuedLabel, SWEEP_MESSAGE_VERSION, SweepMessage } from '../contract';
import { problem } from '../core/assess-token';
import { AWSCURRENT } from '../core/labels';
import { judgedWithoutProbes, onlyPacing, paceCheck, PacePolicy, DEFAULT_PACE_POLICY, UsageReading } from '../core/plan-sweep';
import { parkedVersions } from '../core/plan-rotation';
import { redact } from '../core/redact';
import { fleetLedgerKey, fleetSecretName, fleetTokenSettings, isFleetSecretArn, settingsTags, TokenSettings } from '../core/token-settings';
import type { FleetConfig } from '../adapters/fleet-config';
import type { DescribedSecret, FleetSecrets } from '../adapters/fleet-secrets';
import type { FleetTally } from '../adapters/fleet-tally';
import type { GraphClient } from '../adapters/graph-client';
import type { RuntimeConfig } from '../adapters/runtime-config';
import type { SecretsStore } from '../adapters/secrets-store';
import type { SweepQueue } from '../adapters/sweep-queue';
import { checkToken } from './check-token';
import type { CheckDeps, OutcomeDeps } from './ports';
import { recordOutcome } from './record-outcome';
import { liveVerdict, settleAndReport } from './settle-and-report';
import type { MetricsPublisher } from '../adapters/metrics-publisher';

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
  /** DescribeSecret of the token's secret: its name, ARN, tags (the settings) and labels. */
  readonly secrets: Pick<FleetSecrets, 'describe'>;
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

export type FleetCheckOutcome = 'checked' | 'deferred' | 'dropped' | 'skipped';

/** Thrown so that the engine retries (or dead-letters) the record. Its message names the token and the cause, never a value. */
export class CheckNotConcludedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckNotConcludedError';
  }
}

/** A message the worker will not act on: it names something outside this fleet or carries settings of its own. */
export class SweepMessageRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepMessageRefusedError';
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

/**
 * What the records of one SQS batch share. Powertools runs a batch's records in parallel, so each record asking Meta
 * through its own client would keep calling after another record's answer said to stop. One Graph client for the
 * batch carries Meta's word to every record: after a throttle (its `rateLimited`) or an answer at the pause level of
 * X-App-Usage, no record of the batch sends another call, and the usage headers all records read are pooled (a record
 * skips its probes once any answer of the batch reported 80% or more).
 */
export class FleetBatch {
  private shared?: { appSecret: string; client: GraphClient };
  private seen = 0;

  /** The batch's Graph client factory (one client per app secret, which is the fleet's one app secret). */
  graph(d: FleetCheckDeps): CheckDeps['graph'] {
    return (appSecret, deadline) => {
      if (this.shared?.appSecret !== appSecret) this.shared = { appSecret, client: d.graph(appSecret, deadline) };
      return this.shared.client;
    };
  }

  /** Why the batch stopped calling Meta, once it has. */
  get stopped(): string | undefined {
    const r = this.shared?.client.rateLimited;
    return r ? `Meta asked this batch to stop (${r.code !== undefined ? `code ${r.code}` : r.message})` : undefined;
  }

  /** Takes in the usage readings of every answer since the last call, and stops the batch from the pause level on. */
  observe(d: FleetCheckDeps): void {
    const client = this.shared?.client;
    if (!client) return;
    d.usage.observe(client.usage.slice(this.seen), d.now().getTime());
    this.seen = client.usage.length;
    const app = d.usage.app;
    const pause = (d.pace ?? DEFAULT_PACE_POLICY).pauseFromPercent;
    if (!client.rateLimited && app && app.percent >= pause) {
      // The client's own stop state, as after a throttle: every later call of the batch comes back "not sent".
      client.rateLimited = { kind: 'http', httpStatus: 429, message: `X-App-Usage at ${Math.round(app.percent)}%: the fleet pauses its calls from ${pause}%` };
    }
  }
}

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
    // The grace before a demoted token is revoked: the token's tag, else the fleet's default (refresh and mint only).
    revokePreviousAfterHours: s.rotationMode === 'hand-made' ? undefined : (s.revokePreviousAfterHours ?? fleet.revokePreviousAfterHours),
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

/**
 * The secret a message asks about, checked before anything is read from it: the ARN must be this fleet's secret of the
 * named token in this account and region, and Secrets Manager must describe it with that very ARN and name. Undefined
 * when the token left the fleet since it was planned (secret deleted, or its fleet tag taken off by `fleet remove`).
 */
async function anchoredSecret(d: FleetCheckDeps, message: SweepMessage): Promise<DescribedSecret | { readonly unreadable: string } | undefined> {
  const f = d.fleet;
  const fleetInMessage = message.v === 1 ? f.fleetName : f.fleetId;
  if (message.fleet !== fleetInMessage) throw new SweepMessageRefusedError(`a message for fleet "${message.fleet}" reached the worker of fleet "${f.fleetId}"; refused`);
  if (!isFleetSecretArn(f.secretArnPrefix, message.token, message.secretId)) {
    throw new SweepMessageRefusedError(`${message.token}: the message names a secret that is not this fleet's (${f.secretArnPrefix}${message.token}-??????, in this account and region); refused`);
  }
  let described: DescribedSecret;
  try {
    described = await d.secrets.describe(message.secretId);
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return undefined;
    // No settings, no verdict: retried like any check without one (an AWS error names an action and an ARN, never a value).
    return { unreadable: `DescribeSecret: ${(e as Error).name}: ${String((e as Error).message).slice(0, 300)}` };
  }
  if (described.arn !== message.secretId || described.name !== fleetSecretName(f, message.token)) {
    throw new SweepMessageRefusedError(`${message.token}: Secrets Manager resolved the message's secret to another secret; refused`);
  }
  if (described.tags[FleetTag.Fleet] !== f.fleetId) return undefined;
  // A version 1 message carried the tags the planner listed: never used, and a message whose copy differs is not the planner's.
  if (message.tags && JSON.stringify(settingsTags(message.tags)) !== JSON.stringify(settingsTags(described.tags))) {
    throw new SweepMessageRefusedError(`${message.token}: the message carries settings that differ from the secret's tags; refused (settings are read from the secret only)`);
  }
  return described;
}

export async function checkFleetToken(d: FleetCheckDeps, message: SweepMessage, delivery: Delivery, deadline: number, batch: FleetBatch = new FleetBatch()): Promise<FleetCheckOutcome> {
  const anchored = await anchoredSecret(d, message);
  if (!anchored) {
    d.logger.info('token left the fleet since it was planned (secret deleted or no longer tagged); not checked', { token: message.token });
    return 'skipped';
  }
  const key = fleetLedgerKey(d.fleet, message.token);
  const described: DescribedSecret = 'unreadable' in anchored ? { name: fleetSecretName(d.fleet, message.token), arn: message.secretId, tags: {}, rotationEnabled: false, versions: {}, deleted: false } : anchored;
  const secretArn = described.arn;
  const settings = 'unreadable' in anchored ? undefined : fleetTokenSettings(d.fleet, described.name, described.tags);
  const start = d.now().getTime();
  const putBack = async (decision: { kind: 'defer'; delaySeconds: number; reason: string } | { kind: 'drop'; reason: string }): Promise<FleetCheckOutcome> => {
    d.tally.add('RateLimited');
    if (decision.kind === 'defer') await d.queue.defer(requeued(d, message), decision.delaySeconds);
    d.logger.info(decision.kind === 'defer' ? 'check put back' : 'check left for the next sweep', { token: message.token, reason: decision.reason, deferrals: message.deferrals ?? 0 });
    return decision.kind === 'defer' ? 'deferred' : 'dropped';
  };
  const pace = d.pace ?? DEFAULT_PACE_POLICY;
  /** A check Meta's pacing held back: put back with the documented delay, or (paused, deferred enough) left for the next sweep. */
  const heldBack = (reason: string): Promise<FleetCheckOutcome> =>
    putBack((message.deferrals ?? 0) < pace.maxDeferrals ? { kind: 'defer', delaySeconds: pace.deferSeconds, reason } : { kind: 'drop', reason: `${reason}; deferred ${message.deferrals} times, left for the next sweep` });

  let report: CheckReport;
  let secrets: readonly string[] = [];
  if (!settings) {
    report = { tokenName: message.token, checkedAt: d.now().toISOString(), outcome: 'check-failed', graphApiVersion: d.fleet.graphApiVersion, problems: [problem('SecretReadFailed', (anchored as { unreadable: string }).unreadable)], metrics: {} };
  } else if (!settings.ok) {
    report = settingsInvalidReport(d, message.token, settings.reason);
  } else {
    if (batch.stopped) return heldBack(batch.stopped);
    const decision = paceCheck(message, d.usage.app, settings.value.wabaId ? d.usage.objects.get(settings.value.wabaId) : undefined, start, pace);
    if (decision.kind === 'defer' || decision.kind === 'drop') return putBack(decision);
    const config = tokenRuntimeConfig(d.fleet, settings.value, secretArn, decision.skipOptionalProbes);
    const checkDeps: CheckDeps = { config, store: d.store, graph: batch.graph(d), now: d.now };
    const result = await checkToken(checkDeps, { stage: AWSCURRENT }, deadline);
    batch.observe(d);
    if (d.usage.app) d.tally.peak('AppUsagePercent', d.usage.app.percent);
    secrets = result.secrets;
    // High usage is pacing: with debug_token's verdict in hand, the skipped or unsent probes do not make it "no verdict".
    report = judgedWithoutProbes(result.report) ?? result.report;
    if (onlyPacing(report)) return heldBack(batch.stopped ?? 'Meta rate-limited the check');
    // A throttle this check met is Meta asking the fleet to slow down, even when debug_token's verdict stands.
    if (result.report.problems.some((p) => p.id === 'GraphRateLimited' && !p.detail?.includes('not sent'))) d.tally.add('RateLimited');
    // Parked and obtained tokens are settled after a check with debug_token's verdict, as the single guard's check
    // does (with a dead live token, the budget still holds: each kept token revokes itself, and the grace waits),
    // not after a throttle (Meta asks for no calls then).
    if (liveVerdict(report) && result.graph && result.token && !result.graph.rateLimited && holdsTokens(described.versions)) {
      const rotationDeps = { ...checkDeps, metrics: fleetMetricsSink, logger: d.logger as Logger };
      report = await settleAndReport(rotationDeps, result.graph, report.token?.valid ? result.token : undefined, report);
    }
  }

  if (report.outcome === 'check-failed' && delivery.receiveCount < delivery.maxReceiveCount) {
    throw new CheckNotConcludedError(`${message.token}: no verdict (${report.problems.map((p) => p.id).join(', ')}); receive ${delivery.receiveCount} of ${delivery.maxReceiveCount}, SQS retries it`);
  }

  d.tally.add('TokensChecked');
  if (report.outcome === 'unhealthy' && report.problems.some((p) => p.severity === 'critical')) d.tally.add('TokensUnhealthy');
  if (report.problems.some((p) => p.id === 'TokenExpiring')) d.tally.add('TokensExpiring');
  if (report.outcome === 'check-failed') d.tally.add('CheckFailures');
  d.tally.peak('SweepDuration', (d.now().getTime() - Date.parse(message.sweep)) / 1000);

  await d.outcomes.record({ name: message.token, key, secretId: secretArn }, report);
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

/** Whether the secret holds a token the guard must settle: one it obtained (TOKENGUARD_ISSUED) or parked. */
function holdsTokens(versions: DescribedSecret['versions']): boolean {
  return Object.values(versions).some((stages) => stages.some(isIssuedLabel)) || parkedVersions(versions).length > 0;
}

/** A fleet publishes no per-token metric: settling's RevokeFailed reaches the report (settle-and-report.ts) instead. */
const fleetMetricsSink = { publish: () => undefined } as unknown as MetricsPublisher;

/** The message to put back: always the current version (no settings), one more deferral. */
function requeued(d: FleetCheckDeps, m: SweepMessage): SweepMessage {
  return { v: SWEEP_MESSAGE_VERSION, fleet: d.fleet.fleetId, token: m.token, secretId: m.secretId, sweep: m.sweep, deferrals: (m.deferrals ?? 0) + 1 };
}
