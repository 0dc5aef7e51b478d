// Pure verdict on a token: debug_token facts + asset probe results + expectations + clock in,
// problems and metric values out. No I/O, no environment, no secrets (debug_token data holds none).
import {
  AssetSummary,
  CheckOutcome,
  Metric,
  MetricName,
  Problem,
  ProblemId,
  ProbeOutcome,
  ReportedProblem,
  TokenSummary,
} from '../contract';
import { classifyGraphFailure, describeFailure, describeTokenError, GraphFailure } from './classify-graph-failure';
import { assessMessagingHealth, HealthStatus } from './messaging-health';

/** debug_token's `data`, validated and typed. Times are unix seconds as Meta sends them. */
export interface TokenFacts {
  readonly isValid: boolean;
  readonly type?: string;
  readonly appId?: string;
  readonly application?: string;
  readonly userId?: string;
  readonly issuedAt?: number;
  readonly expiresAt?: number;
  readonly dataAccessExpiresAt?: number;
  readonly scopes: readonly string[];
  readonly granularScopes: readonly { scope: string; targetIds?: readonly string[] }[];
  readonly error?: { readonly code?: number; readonly subcode?: number; readonly message?: string };
}

export interface Expectations {
  readonly appId: string;
  readonly requiredScopes: readonly string[];
  readonly expiryWarningDays: number;
}

export type ProbeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: GraphFailure };

export interface PhoneNumberFacts {
  readonly displayPhoneNumber?: string;
  readonly verifiedName?: string;
  readonly qualityRating?: string;
  /** health_status as read by core/messaging-health (absent when Meta sent none). */
  readonly health?: HealthStatus;
}

/** Entries of a list edge, read page by page; `complete` is false when reading stopped before the last page. */
export interface ListFacts {
  readonly ids: readonly string[];
  readonly complete: boolean;
}

export interface AssetProbes {
  readonly phoneNumber?: { readonly id: string; readonly result: ProbeResult<PhoneNumberFacts> };
  /** ids listed by /{waba-id}/phone_numbers */
  readonly wabaPhoneNumbers?: { readonly wabaId: string; readonly phoneNumberId?: string; readonly result: ProbeResult<ListFacts> };
  /** app ids listed by /{waba-id}/subscribed_apps */
  readonly subscribedApps?: { readonly wabaId: string; readonly result: ProbeResult<ListFacts> };
  /** Probes not made because Meta's usage headers were at or above the threshold: which ones, and the reading. */
  readonly skipped?: { readonly probes: readonly string[]; readonly usage: string };
}

export interface Assessment {
  readonly outcome: CheckOutcome;
  /** Absent when Meta gave no facts about the token (a token of another app). */
  readonly token?: TokenSummary;
  readonly assets?: AssetSummary;
  readonly problems: readonly ReportedProblem[];
  readonly metrics: Partial<Record<MetricName, number>>;
}

const DAY_S = 86_400;
/** A token whose whole life is at most this long is the temporary API Setup token ("expires in 24 hours"). */
const TEMPORARY_LIFETIME_S = 2 * DAY_S;

export function problem(id: ProblemId, detail?: string): ReportedProblem {
  const p = Problem[id];
  return { id, severity: p.severity, title: p.title, what: p.what, fix: p.fix, ...(detail ? { detail } : {}) };
}

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();
const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Validates the untyped `data` object of a debug_token answer. Returns a reason when it is not usable. */
export function readTokenFacts(data: unknown): { ok: true; facts: TokenFacts } | { ok: false; reason: string } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, reason: 'debug_token answer has no "data" object' };
  const d = data as Record<string, unknown>;
  if (typeof d.is_valid !== 'boolean') return { ok: false, reason: 'debug_token "data.is_valid" is missing or not a boolean' };
  const str = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const scopes = Array.isArray(d.scopes) ? d.scopes.filter((s): s is string => typeof s === 'string') : [];
  const granular = Array.isArray(d.granular_scopes)
    ? d.granular_scopes.flatMap((g) => {
        if (g === null || typeof g !== 'object' || typeof (g as Record<string, unknown>).scope !== 'string') return [];
        const rec = g as Record<string, unknown>;
        const ids = Array.isArray(rec.target_ids) ? rec.target_ids.map(String) : undefined;
        return [{ scope: rec.scope as string, ...(ids ? { targetIds: ids } : {}) }];
      })
    : [];
  let error: TokenFacts['error'];
  if (d.error !== null && typeof d.error === 'object') {
    const e = d.error as Record<string, unknown>;
    error = { code: num(e.code), subcode: num(e.subcode) ?? num(e.error_subcode), message: typeof e.message === 'string' ? e.message : undefined };
  }
  return {
    ok: true,
    facts: {
      isValid: d.is_valid,
      type: str(d.type),
      appId: str(d.app_id),
      application: str(d.application),
      userId: str(d.user_id),
      issuedAt: num(d.issued_at),
      expiresAt: num(d.expires_at),
      dataAccessExpiresAt: num(d.data_access_expires_at),
      scopes,
      granularScopes: granular,
      error,
    },
  };
}

function summarize(facts: TokenFacts, expected: Expectations, nowS: number): TokenSummary {
  const expires = facts.expiresAt;
  return {
    valid: facts.isValid,
    type: facts.type,
    appId: facts.appId,
    application: facts.application,
    userId: facts.userId,
    issuedAt: facts.issuedAt ? iso(facts.issuedAt) : undefined,
    // expires_at 0 means "never expires" (the debugger shows "Never"), for a valid token only: a dead one can carry 0
    // too (the 460 capture in bk-rs/facebook-apis-rs), and it expires at no time it could be used again. Never 1970.
    expiresAt: expires === undefined || (expires === 0 && !facts.isValid) ? undefined : expires === 0 ? 'never' : iso(expires),
    daysUntilExpiry: expires ? round2((expires - nowS) / DAY_S) : undefined,
    dataAccessExpiresAt: facts.dataAccessExpiresAt ? iso(facts.dataAccessExpiresAt) : undefined,
    scopes: facts.scopes,
    missingScopes: expected.requiredScopes.filter((s) => !facts.scopes.includes(s)),
    granularScopes: facts.granularScopes,
    invalidReason: facts.isValid ? undefined : describeTokenError(facts.error?.code, facts.error?.subcode, facts.error?.message),
  };
}

function probeOutcome(failure: GraphFailure): ProbeOutcome {
  switch (classifyGraphFailure(failure)) {
    case 'access':
      return 'denied';
    case 'not-found':
      return 'not-found';
    default:
      // transient, rate-limited, config, app-secret, and 190 right after debug_token said valid: no verdict.
      return 'failed';
  }
}

/** The problem a probe failure without an asset verdict raises. */
function inconclusiveProblem(f: GraphFailure): ProblemId {
  switch (classifyGraphFailure(f)) {
    case 'rate-limited':
      return 'GraphRateLimited';
    case 'token':
      return 'TokenRefusedByProbe';
    case 'transient':
      return 'GraphUnavailable';
    default:
      return 'GraphConfig';
  }
}

const failureDetail = describeFailure;

/** Turns probe results into an asset summary, the problems they show, and whether access is proven. */
function assessAssets(probes: AssetProbes, expected: Expectations): { assets: AssetSummary; problems: ReportedProblem[]; access?: number; inconclusive: boolean } {
  const problems: ReportedProblem[] = [];
  let denied = false;
  let inconclusive = false;
  const note = (outcome: ProbeOutcome, what: string, failure?: GraphFailure): void => {
    const detail = `${what}: ${failure ? failureDetail(failure) : outcome}`;
    if (outcome === 'denied') problems.push(problem('AssetAccessDenied', detail));
    else if (outcome === 'not-found') problems.push(problem('AssetNotFound', detail));
    else if (outcome === 'failed') {
      inconclusive = true;
      // A call not sent after a throttle adds nothing: the throttled call already carries the problem.
      if (!failure?.notSent) problems.push(problem(failure ? inconclusiveProblem(failure) : 'GraphUnavailable', detail));
    }
    if (outcome === 'denied' || outcome === 'not-found' || outcome === 'mismatch') denied = true;
  };

  let phoneNumber: AssetSummary['phoneNumber'];
  if (probes.phoneNumber) {
    const { id, result } = probes.phoneNumber;
    if (result.ok) {
      const v = result.value;
      const health = v.health ? assessMessagingHealth(v.health) : undefined;
      const lines = health ? [...health.messaging, ...health.calling] : [];
      phoneNumber = {
        id,
        outcome: 'ok',
        displayPhoneNumber: v.displayPhoneNumber,
        verifiedName: v.verifiedName,
        qualityRating: v.qualityRating,
        canSendMessage: health?.canSendMessage,
        ...(lines.length ? { health: lines } : {}),
      };
      const issues = health?.messaging.length ? health.messaging.join('; ') : undefined;
      if (health?.canSendMessage === 'BLOCKED') {
        denied = true;
        problems.push(problem('MessagingBlocked', issues ?? `phone number ${id}: can_send_message BLOCKED`));
      } else if (health?.canSendMessage === 'LIMITED') {
        problems.push(problem('MessagingLimited', issues ?? `phone number ${id}: can_send_message LIMITED`));
      }
    } else {
      const outcome = probeOutcome(result.failure);
      phoneNumber = { id, outcome, detail: failureDetail(result.failure) };
      note(outcome, `GET /${id}`, result.failure);
    }
  }

  /** A list probe (phone_numbers, subscribed_apps): it must answer, and the list must hold `member`. */
  const listProbe = (wabaId: string, edge: string, result: ProbeResult<ListFacts>, member: string | undefined, missing: ProblemId, missingDetail: (n: number) => string) => {
    if (!result.ok) {
      const outcome = probeOutcome(result.failure);
      note(outcome, `GET /${wabaId}/${edge}`, result.failure);
      return { wabaId, outcome, detail: failureDetail(result.failure) };
    }
    if (member === undefined || result.value.ids.includes(member)) return { wabaId, outcome: 'ok' as const };
    denied = true;
    const detail = `${missingDetail(result.value.ids.length)}${result.value.complete ? '' : ' (reading stopped before the last page)'}`;
    problems.push(problem(missing, detail));
    return { wabaId, outcome: 'mismatch' as const, detail };
  };
  const numbers = probes.wabaPhoneNumbers;
  const wabaPhoneNumbers = numbers && listProbe(numbers.wabaId, 'phone_numbers', numbers.result, numbers.phoneNumberId, 'PhoneNotInWaba', (n) => `phone number ${numbers.phoneNumberId} is not among the WABA's ${n} numbers`);
  const apps = probes.subscribedApps;
  const subscribedApps = apps && listProbe(apps.wabaId, 'subscribed_apps', apps.result, expected.appId, 'AppNotSubscribed', (n) => `app ${expected.appId} is not among ${n} subscribed apps`);

  if (probes.skipped?.probes.length) {
    inconclusive = true;
    problems.push(problem('GraphUsageHigh', `${probes.skipped.usage}; skipped: ${probes.skipped.probes.join(', ')}`));
  }

  const configured = Boolean(probes.phoneNumber || probes.wabaPhoneNumbers || probes.subscribedApps || probes.skipped?.probes.length);
  // A denial is a verdict even when another probe was inconclusive; "all fine" needs every probe to answer.
  const access = !configured ? undefined : denied ? 0 : inconclusive ? undefined : 1;
  return { assets: { phoneNumber, wabaPhoneNumbers, subscribedApps }, problems, access, inconclusive };
}

/** Problems that mean "no verdict this time", not "something is wrong with the token or its assets". */
const NO_VERDICT: ReadonlySet<ProblemId> = new Set<ProblemId>(['GraphUnavailable', 'GraphConfig', 'GraphRateLimited', 'GraphUsageHigh', 'TokenRefusedByProbe']);

/**
 * debug_token answered that the token belongs to another app (a top-level `(#100) The App_id in the input_token
 * did not match the Viewing App`): a verdict on the token, with no facts about it.
 */
export function assessForeignAppToken(expected: Pick<Expectations, 'appId'>, detail: string): Assessment {
  return {
    outcome: 'unhealthy',
    problems: [problem('WrongApp', `${detail}; configured app id ${expected.appId}`)],
    metrics: { [Metric.TokenValid]: 0, [Metric.CheckFailed]: 0 },
  };
}

/**
 * The verdict on one token. `probes` is absent when no asset is configured or when the token is already
 * known to be dead (probing with a dead token only repeats code 190).
 */
export function assessToken(facts: TokenFacts, expected: Expectations, now: Date, probes?: AssetProbes): Assessment {
  const nowS = Math.floor(now.getTime() / 1000);
  const token = summarize(facts, expected, nowS);
  const problems: ReportedProblem[] = [];
  const metrics: Partial<Record<MetricName, number>> = {};

  if (!facts.isValid) {
    problems.push(problem('TokenInvalid', token.invalidReason));
    metrics[Metric.TokenValid] = 0;
    metrics[Metric.CheckFailed] = 0;
    return { outcome: 'unhealthy', token, problems, metrics };
  }

  const rightApp = facts.appId === expected.appId;
  if (!rightApp) problems.push(problem('WrongApp', `token app_id ${facts.appId ?? '(none)'}, configured app id ${expected.appId}`));
  metrics[Metric.TokenValid] = rightApp ? 1 : 0;

  const expiresAt = facts.expiresAt ?? 0;
  const lifetime = expiresAt && facts.issuedAt ? expiresAt - facts.issuedAt : undefined;
  const secondsLeft = expiresAt ? expiresAt - nowS : undefined;
  // Only a token whose whole life Meta states (issued_at present) is called temporary: a 60-day token in its
  // last day without issued_at looks the same from expires_at alone, and is reported as expiring instead.
  const temporary = secondsLeft !== undefined && lifetime !== undefined && lifetime <= TEMPORARY_LIFETIME_S;
  if (expiresAt) metrics[Metric.DaysUntilExpiry] = token.daysUntilExpiry;

  const isSystemUser = facts.type === 'SYSTEM_USER';
  metrics[Metric.SystemUserToken] = isSystemUser ? 1 : 0;
  if (temporary) {
    problems.push(problem('TemporaryToken', `type ${facts.type ?? '(none)'}, expires ${token.expiresAt} (${token.daysUntilExpiry} days left)`));
  } else {
    if (!isSystemUser) problems.push(problem('NotSystemUserToken', `type is ${facts.type ?? '(missing)'}, expected SYSTEM_USER`));
    if (token.daysUntilExpiry !== undefined && token.daysUntilExpiry <= expected.expiryWarningDays) {
      problems.push(problem('TokenExpiring', `expires ${token.expiresAt}, ${token.daysUntilExpiry} days left (warning at ${expected.expiryWarningDays})`));
    }
  }

  metrics[Metric.MissingScopes] = token.missingScopes.length;
  if (token.missingScopes.length) problems.push(problem('MissingScopes', `missing: ${token.missingScopes.join(', ')}`));

  let assets: AssetSummary | undefined;
  let inconclusive = false;
  if (probes) {
    const a = assessAssets(probes, expected);
    assets = a.assets;
    problems.push(...a.problems);
    if (a.access !== undefined) metrics[Metric.AssetAccess] = a.access;
    inconclusive = a.inconclusive;
  }
  metrics[Metric.CheckFailed] = inconclusive ? 1 : 0;

  const outcome: CheckOutcome = problems.some((p) => !NO_VERDICT.has(p.id))
    ? 'unhealthy'
    : inconclusive
      ? 'check-failed'
      : 'healthy';
  return { outcome, token, assets, problems, metrics };
}
