// One check of one token: read the secrets, ask Meta, let core/ decide. Shared by the schedule, the
// on-demand check and the rotation's testSecret, so a candidate is judged exactly like the live token.
import { AWSCURRENT } from '../core/labels';
import { Assessment, AssetProbes, assessForeignAppToken, assessToken, problem, readTokenFacts } from '../core/assess-token';
import { classifyGraphFailure, describeFailure, GraphFailure, isForeignAppTokenError, isSystemError } from '../core/classify-graph-failure';
import { describeUsage, shouldSkipOptionalCalls } from '../core/graph-usage';
import { parseAppSecret, parseTokenSecret } from '../core/parse-secret';
import { redact, redactThenTruncate } from '../core/redact';
import { CheckReport, GraphUsageSummary, Metric, ProblemId, ReportedProblem } from '../contract';
import { GraphClient } from '../adapters/graph-client';
import { RuntimeConfig } from '../adapters/runtime-config';
import { CheckDeps } from './ports';

/** Where the token to check comes from: a staged version of the token secret, one exact version, or a value in hand (testSecret). */
export type TokenSource = { readonly stage: string } | { readonly versionId: string } | { readonly token: string };

export interface CheckResult {
  readonly report: CheckReport;
  /** The secrets this check handled, so callers can redact them from anything they print. */
  readonly secrets: readonly string[];
  /** The Graph client used, when the check got that far (rotation reuses it). */
  readonly graph?: GraphClient;
  readonly token?: string;
}

function failed(deps: CheckDeps, id: ProblemId, detail: string | undefined, secrets: readonly string[], graph?: GraphClient): CheckResult {
  const usage = graph?.highestUsage;
  return {
    report: {
      tokenName: deps.config.tokenName,
      checkedAt: deps.now().toISOString(),
      outcome: 'check-failed',
      graphApiVersion: deps.config.graphApiVersion,
      problems: [withUsage(problem(id, detail === undefined ? undefined : redact(detail, secrets)), usage)],
      ...(usage ? { graphUsage: usage } : {}),
      metrics: { [Metric.CheckFailed]: 1 },
    },
    secrets,
  };
}

/** An SDK error for the report; redacted before it is cut (an AWS message never carries the value, but be sure). */
function secretReadError(e: unknown, secrets: readonly string[]): string {
  const err = e as Error & { $metadata?: { httpStatusCode?: number } };
  return redactThenTruncate(`${err.name}: ${err.message}`, secrets, 400);
}

/** A debug_token call that failed as a whole: the app token, the request or Meta itself is at fault, never the input token. */
function debugFailureProblem(f: GraphFailure): ProblemId {
  const cls = classifyGraphFailure(f);
  if (cls === 'transient') return 'GraphUnavailable';
  if (cls === 'rate-limited') return 'GraphRateLimited';
  if (cls === 'token' || cls === 'access' || cls === 'app-secret') return 'AppTokenRejected';
  if (f.code === 100 && /app access token|appsecret_proof|app secret/i.test(f.message)) return 'AppTokenRejected';
  return 'GraphConfig';
}

/** A throttle's detail also says what Meta's usage headers said (which quota, how long until access returns). */
function withUsage(p: ReportedProblem, usage: GraphUsageSummary | undefined): ReportedProblem {
  return p.id === 'GraphRateLimited' && usage ? { ...p, detail: `${p.detail ?? ''}; ${describeUsage(usage)}` } : p;
}

export interface CheckOptions {
  /**
   * Skip the optional asset probes while Meta's usage headers report 80% or more (default: yes for a staged
   * version, no for a token in hand: a candidate is validated completely before it can be promoted).
   */
  readonly skipProbesWhenBusy?: boolean;
  /**
   * Ask Meta through this client (with what it knows: a throttle stops every later call) instead of a new one: a
   * rotation compares the live token with the candidate without calling again into a throttle the candidate met.
   */
  readonly graph?: GraphClient;
}

export async function checkToken(deps: CheckDeps, source: TokenSource, deadline: number, options: CheckOptions = {}): Promise<CheckResult> {
  const { config, store } = deps;

  let token: string;
  if ('token' in source) token = source.token;
  else {
    let raw;
    try {
      raw = await store.get(config.tokenSecretArn, 'versionId' in source ? { versionId: source.versionId } : { stage: source.stage });
    } catch (e) {
      return failed(deps, 'SecretReadFailed', `token secret: ${secretReadError(e, [])}`, []);
    }
    if (raw?.value === undefined) {
      if ('versionId' in source) return failed(deps, 'TokenNotSet', `version ${source.versionId} has no value`, []);
      return source.stage === AWSCURRENT ? failed(deps, 'TokenNotSet', undefined, []) : failed(deps, 'TokenNotSet', `no version carries the label ${source.stage}`, []);
    }
    const parsed = parseTokenSecret(raw.value);
    if (!parsed.ok) return failed(deps, 'SecretMalformed', `token secret: ${parsed.reason}`, [raw.value.trim()]);
    token = parsed.value;
  }

  let rawAppSecret;
  try {
    rawAppSecret = await store.get(config.appSecretArn, { stage: AWSCURRENT });
  } catch (e) {
    return failed(deps, 'SecretReadFailed', `app secret: ${secretReadError(e, [token])}`, [token]);
  }
  if (rawAppSecret?.value === undefined) return failed(deps, 'AppSecretNotSet', undefined, [token]);
  const app = parseAppSecret(rawAppSecret.value);
  if (!app.ok) return failed(deps, 'SecretMalformed', `app secret: ${app.reason}`, [token, rawAppSecret.value.trim()]);
  const secrets = [token, app.value, `${config.appId}|${app.value}`];

  const graph = options.graph ?? deps.graph(app.value, deadline);
  const debug = await graph.debugToken(token);
  if (!debug.ok) {
    // A token of another app is a verdict on the token (wrong app), not a failed call.
    if (isForeignAppTokenError(debug.failure)) {
      return { report: report(deps, graph, secrets, assessForeignAppToken({ appId: config.appId }, `debug_token: ${describeFailure(debug.failure)}`)), secrets, graph, token };
    }
    return { ...failed(deps, debugFailureProblem(debug.failure), `debug_token: ${describeFailure(debug.failure)}`, secrets, graph), graph, token };
  }
  const facts = readTokenFacts(debug.body.data);
  if (!facts.ok) return { ...failed(deps, 'GraphUnavailable', `debug_token answered HTTP ${debug.httpStatus} without a usable verdict: ${facts.reason}`, secrets, graph), graph, token };
  const dataError = facts.facts.error;
  if (!facts.facts.isValid && isSystemError(dataError?.code, dataError?.message)) {
    // e.g. "Error validating application. Cannot get application info due to a system error." inside `data`
    // (bk-rs/facebook-apis-rs capture debug_token__200__cannot_get_application_info.json): Meta's trouble, no verdict.
    return { ...failed(deps, 'GraphUnavailable', `debug_token answered is_valid false with a system error (code ${dataError?.code ?? '?'}: ${dataError?.message ?? 'no message'})`, secrets, graph), graph, token };
  }

  let probes: AssetProbes | undefined;
  // Probing with a dead token only repeats code 190; probe only what is configured.
  const skipWhenBusy = options.skipProbesWhenBusy ?? !('token' in source);
  if (facts.facts.isValid && (config.wabaId || config.phoneNumberId)) probes = await probeAssets(config, graph, token, skipWhenBusy);

  const assessment: Assessment = assessToken(facts.facts, { appId: config.appId, requiredScopes: config.requiredScopes, expiryWarningDays: config.expiryWarningDays }, deps.now(), probes);
  return { report: report(deps, graph, secrets, assessment), secrets, graph, token };
}

function report(deps: CheckDeps, graph: GraphClient, secrets: readonly string[], assessment: Assessment): CheckReport {
  const usage = graph.highestUsage;
  return {
    tokenName: deps.config.tokenName,
    checkedAt: deps.now().toISOString(),
    outcome: assessment.outcome,
    graphApiVersion: deps.config.graphApiVersion,
    ...(assessment.token ? { token: assessment.token } : {}),
    ...(assessment.assets ? { assets: assessment.assets } : {}),
    problems: assessment.problems.map((p) => withUsage(p.detail ? { ...p, detail: redact(p.detail, secrets) } : p, usage)),
    ...(usage ? { graphUsage: usage } : {}),
    metrics: assessment.metrics,
  };
}

/**
 * The asset probes, one after another: after a rate-limited answer the client sends nothing more, and while Meta's
 * usage headers say the quota is at or above 80% the remaining probes are skipped (they are optional; the quota
 * per app and WABA is shared with the business's own use of the app).
 */
async function probeAssets(config: RuntimeConfig, graph: GraphClient, token: string, skipWhenBusy: boolean): Promise<AssetProbes> {
  const skipped: string[] = [];
  const due = (name: string): boolean => {
    if (skipWhenBusy && !graph.rateLimited && shouldSkipOptionalCalls(graph.highestUsage)) {
      skipped.push(name);
      return false;
    }
    return true;
  };
  const { phoneNumberId, wabaId } = config;
  const phone = phoneNumberId && due(`GET /${phoneNumberId}`) ? { id: phoneNumberId, result: await graph.phoneNumber(phoneNumberId, token) } : undefined;
  const numbers = wabaId && due(`GET /${wabaId}/phone_numbers`) ? { wabaId, phoneNumberId, result: await graph.wabaPhoneNumbers(wabaId, token, phoneNumberId) } : undefined;
  const apps = wabaId && due(`GET /${wabaId}/subscribed_apps`) ? { wabaId, result: await graph.subscribedApps(wabaId, token, config.appId) } : undefined;
  const usage = graph.highestUsage;
  return {
    phoneNumber: phone,
    wabaPhoneNumbers: numbers,
    subscribedApps: apps,
    ...(skipped.length && usage ? { skipped: { probes: skipped, usage: describeUsage(usage) } } : {}),
  };
}
