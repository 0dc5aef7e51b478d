// Pure: which fleet tokens a planner run queues and when (slots and DelaySeconds), how a worker paces one check
// against Meta's usage headers, and the sweep message's wire shape. No clock, SDK or fetch here: callers pass them in.
//
// Meta's rate-limiting page (https://developers.facebook.com/docs/graph-api/overview/rate-limiting): X-App-Usage
// gives call_count, total_cputime and total_time as percentages of the app's limit over a rolling hour; "when the
// limit has been reached, stop making API calls", and calls made while throttled extend the block.
// X-Business-Use-Case-Usage does the same per business object (the WhatsApp Business Management quota per app per
// WABA, shared with the business's own use of the app).
import { CheckReport, Metric, ProblemId, SWEEP_MESSAGE_VERSION, SweepMessage } from '../contract';
import { USAGE_SKIP_PERCENT } from './graph-usage';
import { FLEET_ID_PATTERN, FLEET_NAME_PATTERN, TOKEN_NAME_PATTERN, Validated } from './token-settings';

/** SQS caps DelaySeconds at 900 (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html). */
export const MAX_DELAY_SECONDS = 900;
/** Kept free at the end of each planner run for the last checks to finish. */
export const RUN_MARGIN_SECONDS = 60;

export interface SweepSchedule {
  /** Every token is checked once per interval. A multiple of plannerEveryMinutes. */
  readonly intervalMinutes: number;
  /** How often the planner runs; each run queues one slot of the fleet, spread over at most 900 s. */
  readonly plannerEveryMinutes: number;
}

export interface ListedToken {
  readonly name: string;
  readonly secretId: string;
}

export interface PlannedCheck {
  readonly message: SweepMessage;
  readonly delaySeconds: number;
}

export interface SweepPlan {
  /** ISO start of the interval this run belongs to. */
  readonly sweep: string;
  readonly runIndex: number;
  readonly runsPerInterval: number;
  readonly checks: readonly PlannedCheck[];
}

/** FNV-1a, 32 bits: a stable spread of names over slots (not security). */
export function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A schedule the planner can keep, or a reason naming the value. */
export function validateSweepSchedule(s: SweepSchedule): Validated<SweepSchedule> {
  if (!Number.isInteger(s.plannerEveryMinutes) || s.plannerEveryMinutes < 2 || s.plannerEveryMinutes * 60 > MAX_DELAY_SECONDS) {
    return { ok: false, field: 'plannerEveryMinutes', reason: `plannerEveryMinutes must be a whole number from 2 to 15 (SQS delays reach 900 s), got ${s.plannerEveryMinutes}` };
  }
  if (!Number.isInteger(s.intervalMinutes) || s.intervalMinutes < s.plannerEveryMinutes || s.intervalMinutes % s.plannerEveryMinutes !== 0 || s.intervalMinutes > 1440) {
    return { ok: false, field: 'intervalMinutes', reason: `intervalMinutes must be a multiple of ${s.plannerEveryMinutes} up to 1440, got ${s.intervalMinutes}` };
  }
  return { ok: true, value: s };
}

/**
 * One planner run: the tokens whose slot (hash of the name) is this run's, spread evenly over the run's window
 * with DelaySeconds, in an order that changes every sweep. Every token is queued once per interval.
 */
export function planSweep(fleetId: string, tokens: readonly ListedToken[], now: Date, schedule: SweepSchedule): SweepPlan {
  const everyMs = schedule.plannerEveryMinutes * 60_000;
  const intervalMs = schedule.intervalMinutes * 60_000;
  const runsPerInterval = schedule.intervalMinutes / schedule.plannerEveryMinutes;
  // Round to the nearest run so a schedule that fires a few seconds early or late picks the same slot.
  const runNumber = Math.round(now.getTime() / everyMs);
  const runIndex = ((runNumber % runsPerInterval) + runsPerInterval) % runsPerInterval;
  const sweep = new Date(Math.floor((runNumber * everyMs) / intervalMs) * intervalMs).toISOString();
  const mine = tokens
    .filter((t) => stableHash(t.name) % runsPerInterval === runIndex)
    .map((t) => ({ t, order: stableHash(`${t.name}@${sweep}`) }))
    .sort((a, b) => a.order - b.order || (a.t.name < b.t.name ? -1 : 1));
  // A minute short of the run, so a run's last check is done before the next run (and the interval) starts.
  const window = Math.min(MAX_DELAY_SECONDS, schedule.plannerEveryMinutes * 60 - RUN_MARGIN_SECONDS);
  const checks = mine.map(({ t }, i): PlannedCheck => ({
    message: { v: SWEEP_MESSAGE_VERSION, fleet: fleetId, token: t.name, secretId: t.secretId, sweep },
    delaySeconds: Math.floor((i * window) / Math.max(1, mine.length)),
  }));
  return { sweep, runIndex, runsPerInterval, checks };
}

// ---- Pacing one check ----

/** A usage header's reading as a percentage of the limit (the highest of its fields), and when it was read. */
export interface UsageReading {
  readonly percent: number;
  readonly observedAt: number;
  /** X-Business-Use-Case-Usage `estimated_time_to_regain_access`, in minutes, when Meta gives it. */
  readonly regainAccessMinutes?: number;
}

export interface PacePolicy {
  /** From this X-App-Usage percentage, a growing share of checks is put back for later. */
  readonly slowFromPercent: number;
  /** From this X-App-Usage percentage, no check calls Meta until a fresher reading is lower. */
  readonly pauseFromPercent: number;
  /** From this per-WABA usage percentage, the WABA's optional probes are skipped. */
  readonly skipProbesFromPercent: number;
  /** From this X-App-Usage percentage, every token is judged by debug_token alone: the optional probes are skipped. */
  readonly appSkipProbesFromPercent: number;
  /** A reading older than this says nothing any more (the usage is a rolling hour). */
  readonly staleAfterMs: number;
  /** How long a deferred check waits in the queue (SQS DelaySeconds, at most 900). */
  readonly deferSeconds: number;
  /**
   * After this many deferrals in one sweep: below the pause the check runs (debug_token alone from
   * `appSkipProbesFromPercent`), at or above it the check waits for the next sweep (counted as rate limited).
   */
  readonly maxDeferrals: number;
}

export const DEFAULT_PACE_POLICY: PacePolicy = {
  slowFromPercent: 60,
  pauseFromPercent: 90,
  skipProbesFromPercent: 75,
  appSkipProbesFromPercent: USAGE_SKIP_PERCENT,
  staleAfterMs: 5 * 60_000,
  deferSeconds: MAX_DELAY_SECONDS,
  maxDeferrals: 3,
};

export type PaceDecision =
  | { readonly kind: 'check'; readonly skipOptionalProbes: boolean }
  | { readonly kind: 'defer'; readonly delaySeconds: number; readonly reason: string }
  | { readonly kind: 'drop'; readonly reason: string };

/** The percentage a usage header reports: the highest of its fields (each is a share of the limit). */
export function usagePercent(fields: Readonly<Record<string, unknown>>): number | undefined {
  const values = ['call_count', 'total_cputime', 'total_time'].map((k) => fields[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return values.length ? Math.max(...values) : undefined;
}

/**
 * Whether one queued check calls Meta now. Above `pauseFromPercent` of X-App-Usage nothing calls Meta; between
 * `slowFromPercent` and the pause a share of checks that grows with the usage is put back (chosen by a hash, so
 * different tokens each sweep), and one put back `maxDeferrals` times runs anyway: below the pause high usage is
 * pacing, never a reason to leave a token unchecked. From `appSkipProbesFromPercent` of the app's usage, or a WABA near
 * its own quota, the token is judged by debug_token alone (the optional probes are skipped).
 */
export function paceCheck(
  message: SweepMessage,
  app: UsageReading | undefined,
  waba: UsageReading | undefined,
  now: number,
  policy: PacePolicy = DEFAULT_PACE_POLICY,
): PaceDecision {
  const fresh = (r: UsageReading | undefined): r is UsageReading => r !== undefined && now - r.observedAt <= policy.staleAfterMs;
  // A WABA reading stays meaningful until Meta's own estimate of regained access, when it gives one.
  const wabaFor = waba ? Math.max(policy.staleAfterMs, (waba.regainAccessMinutes ?? 0) * 60_000) : 0;
  const wabaBusy = waba !== undefined && now - waba.observedAt <= wabaFor && waba.percent >= policy.skipProbesFromPercent;
  const appBusy = fresh(app) && app.percent >= policy.appSkipProbesFromPercent;
  const check: PaceDecision = { kind: 'check', skipOptionalProbes: wabaBusy || appBusy };
  if (fresh(app) && app.percent >= policy.slowFromPercent) {
    const paused = app.percent >= policy.pauseFromPercent;
    const share = paused ? 1 : (app.percent - policy.slowFromPercent) / (policy.pauseFromPercent - policy.slowFromPercent);
    const pick = (stableHash(`${message.token}@${message.sweep}#${message.deferrals ?? 0}`) % 1000) / 1000;
    if (pick < share) {
      const reason = `X-App-Usage at ${Math.round(app.percent)}% (${paused ? 'paused' : 'slowed'} from ${paused ? policy.pauseFromPercent : policy.slowFromPercent}%)`;
      if ((message.deferrals ?? 0) < policy.maxDeferrals) return { kind: 'defer', delaySeconds: Math.min(MAX_DELAY_SECONDS, policy.deferSeconds), reason };
      if (paused) return { kind: 'drop', reason: `${reason}; deferred ${message.deferrals} times, left for the next sweep` };
    }
  }
  return check;
}

/** No-verdict problems that only say Meta asked the fleet to slow down: pacing, never a failed check. */
const PACING: ReadonlySet<ProblemId> = new Set<ProblemId>(['GraphUsageHigh', 'GraphRateLimited']);

/**
 * A check that has debug_token's verdict and lacks only the optional probes, skipped or unsent because Meta's usage
 * asked to slow down (GraphUsageHigh, a throttled probe, a probe not sent after the batch stopped): the token is
 * judged by debug_token alone, as at high usage by design. Undefined for any other report, which stands as it is.
 */
export function judgedWithoutProbes(report: CheckReport): CheckReport | undefined {
  if (report.outcome !== 'check-failed' || report.token?.valid !== true || !report.problems.every((p) => PACING.has(p.id))) return undefined;
  const { assets: _probes, ...rest } = report;
  const { [Metric.AssetAccess]: _access, ...metrics } = report.metrics;
  return { ...rest, outcome: 'healthy', problems: [], metrics: { ...metrics, [Metric.CheckFailed]: 0 } };
}

/** A check without a verdict only because Meta asked the fleet to slow down: it is put back, never retried into Meta. */
export function onlyPacing(report: CheckReport): boolean {
  return report.outcome === 'check-failed' && report.problems.every((p) => PACING.has(p.id));
}

// ---- The sweep message on the wire ----

/**
 * Reads a queued message; anything else is a reason (the record fails alone and ends in the dead-letter queue). Only
 * its shape is checked here: what it names is checked against the secret itself by the worker.
 */
export function parseSweepMessage(body: string): Validated<SweepMessage> {
  let m: unknown;
  try {
    m = JSON.parse(body);
  } catch {
    return { ok: false, field: 'body', reason: `the message body is not JSON (${body.length} characters)` };
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) return { ok: false, field: 'body', reason: 'the message body is not a JSON object' };
  const r = m as Record<string, unknown>;
  if (r.v !== SWEEP_MESSAGE_VERSION && r.v !== 1) return { ok: false, field: 'v', reason: `unknown sweep message version ${JSON.stringify(r.v)?.slice(0, 20)} (this worker reads 1 and ${SWEEP_MESSAGE_VERSION})` };
  const fleetPattern = r.v === 1 ? FLEET_NAME_PATTERN : FLEET_ID_PATTERN;
  if (typeof r.fleet !== 'string' || !fleetPattern.test(r.fleet)) return { ok: false, field: 'fleet', reason: 'the message has no valid "fleet"' };
  if (typeof r.token !== 'string' || !TOKEN_NAME_PATTERN.test(r.token)) return { ok: false, field: 'token', reason: 'the message has no valid "token"' };
  if (typeof r.secretId !== 'string' || r.secretId.length === 0 || r.secretId.length > 2048) return { ok: false, field: 'secretId', reason: 'the message has no "secretId"' };
  if (typeof r.sweep !== 'string' || Number.isNaN(Date.parse(r.sweep))) return { ok: false, field: 'sweep', reason: 'the message has no valid "sweep" time' };
  // Version 2 carries no settings; a message that does is not the planner's.
  if (r.v === SWEEP_MESSAGE_VERSION && r.tags !== undefined) return { ok: false, field: 'tags', reason: `a version ${SWEEP_MESSAGE_VERSION} message carries no settings (the worker reads them from the secret's tags)` };
  let tags: Record<string, string> | undefined;
  if (r.v === 1) {
    if (!r.tags || typeof r.tags !== 'object' || Array.isArray(r.tags)) return { ok: false, field: 'tags', reason: 'a version 1 message has no "tags" object' };
    tags = {};
    for (const [k, v] of Object.entries(r.tags as Record<string, unknown>)) {
      if (typeof v !== 'string') return { ok: false, field: 'tags', reason: `tag ${k.slice(0, 60)} is not a string` };
      tags[k] = v;
    }
  }
  const deferrals = typeof r.deferrals === 'number' && Number.isInteger(r.deferrals) && r.deferrals >= 0 ? r.deferrals : undefined;
  return { ok: true, value: { v: r.v, fleet: r.fleet, token: r.token, secretId: r.secretId, ...(tags ? { tags } : {}), sweep: r.sweep, ...(deferrals !== undefined ? { deferrals } : {}) } };
}
