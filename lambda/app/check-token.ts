// One check of one token: read the secrets, ask Meta, let core/ decide. Shared by the schedule, the
// on-demand check and the rotation's testSecret, so a candidate is judged exactly like the live token.
import { AWSCURRENT } from '../core/labels';
import { Assessment, AssetProbes, assessToken, problem, readTokenFacts } from '../core/assess-token';
import { classifyGraphFailure, GraphFailure } from '../core/classify-graph-failure';
import { parseAppSecret, parseTokenSecret } from '../core/parse-secret';
import { redact } from '../core/redact';
import { CheckReport, Metric, ProblemId } from '../contract';
import { GraphClient } from '../adapters/graph-client';
import { CheckDeps } from './ports';

/** Where the token to check comes from: a staged version of the token secret, or a value in hand (testSecret). */
export type TokenSource = { readonly stage: string } | { readonly token: string };

export interface CheckResult {
  readonly report: CheckReport;
  /** The secrets this check handled, so callers can redact them from anything they print. */
  readonly secrets: readonly string[];
  /** The Graph client used, when the check got that far (rotation reuses it). */
  readonly graph?: GraphClient;
  readonly token?: string;
}

function failed(deps: CheckDeps, id: ProblemId, detail: string | undefined, secrets: readonly string[]): CheckResult {
  return {
    report: {
      tokenName: deps.config.tokenName,
      checkedAt: deps.now().toISOString(),
      outcome: 'check-failed',
      graphApiVersion: deps.config.graphApiVersion,
      problems: [problem(id, detail === undefined ? undefined : redact(detail, secrets))],
      metrics: { [Metric.CheckFailed]: 1 },
    },
    secrets,
  };
}

function secretReadError(e: unknown): string {
  const err = e as Error & { $metadata?: { httpStatusCode?: number } };
  return `${err.name}: ${err.message}`.slice(0, 400);
}

/** A debug_token call that failed as a whole: the app token, the request or Meta itself is at fault, never the input token. */
function debugFailureProblem(f: GraphFailure): ProblemId {
  const cls = classifyGraphFailure(f);
  if (cls === 'transient') return 'GraphUnavailable';
  if (cls === 'token' || cls === 'access') return 'AppTokenRejected';
  if (f.code === 100 && /app access token|appsecret_proof|app secret/i.test(f.message)) return 'AppTokenRejected';
  return 'GraphConfig';
}

const failureText = (f: GraphFailure): string =>
  `${f.code !== undefined ? `Meta code ${f.code}${f.subcode !== undefined ? `/${f.subcode}` : ''}` : f.httpStatus !== undefined ? `HTTP ${f.httpStatus}` : 'no answer'}: ${f.message}${f.fbtraceId ? ` (fbtrace_id ${f.fbtraceId})` : ''}`;

export async function checkToken(deps: CheckDeps, source: TokenSource, deadline: number): Promise<CheckResult> {
  const { config, store } = deps;

  let token: string;
  if ('token' in source) token = source.token;
  else {
    let raw;
    try {
      raw = await store.get(config.tokenSecretArn, { stage: source.stage });
    } catch (e) {
      return failed(deps, 'SecretReadFailed', `token secret: ${secretReadError(e)}`, []);
    }
    if (raw?.value === undefined) {
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
    return failed(deps, 'SecretReadFailed', `app secret: ${secretReadError(e)}`, [token]);
  }
  if (rawAppSecret?.value === undefined) return failed(deps, 'AppSecretNotSet', undefined, [token]);
  const app = parseAppSecret(rawAppSecret.value);
  if (!app.ok) return failed(deps, 'SecretMalformed', `app secret: ${app.reason}`, [token, rawAppSecret.value.trim()]);
  const secrets = [token, app.value, `${config.appId}|${app.value}`];

  const graph = deps.graph(app.value, deadline);
  const debug = await graph.debugToken(token);
  if (!debug.ok) return { ...failed(deps, debugFailureProblem(debug.failure), `debug_token: ${failureText(debug.failure)}`, secrets), graph, token };
  const facts = readTokenFacts(debug.body.data);
  if (!facts.ok) return { ...failed(deps, 'GraphUnavailable', `debug_token answered HTTP ${debug.httpStatus} without a usable verdict: ${facts.reason}`, secrets), graph, token };

  let probes: AssetProbes | undefined;
  // Probing with a dead token only repeats code 190; probe only what is configured.
  if (facts.facts.isValid && (config.wabaId || config.phoneNumberId)) {
    const [phone, numbers, apps] = await Promise.all([
      config.phoneNumberId ? graph.phoneNumber(config.phoneNumberId, token) : undefined,
      config.wabaId ? graph.wabaPhoneNumbers(config.wabaId, token) : undefined,
      config.wabaId ? graph.subscribedApps(config.wabaId, token) : undefined,
    ]);
    probes = {
      phoneNumber: phone && config.phoneNumberId ? { id: config.phoneNumberId, result: phone } : undefined,
      wabaPhoneNumbers: numbers && config.wabaId ? { wabaId: config.wabaId, phoneNumberId: config.phoneNumberId, result: numbers } : undefined,
      subscribedApps: apps && config.wabaId ? { wabaId: config.wabaId, result: apps } : undefined,
    };
  }

  const assessment: Assessment = assessToken(facts.facts, { appId: config.appId, requiredScopes: config.requiredScopes, expiryWarningDays: config.expiryWarningDays }, deps.now(), probes);
  const report: CheckReport = {
    tokenName: config.tokenName,
    checkedAt: deps.now().toISOString(),
    outcome: assessment.outcome,
    graphApiVersion: config.graphApiVersion,
    token: assessment.token,
    assets: assessment.assets,
    problems: assessment.problems.map((p) => (p.detail ? { ...p, detail: redact(p.detail, secrets) } : p)),
    metrics: assessment.metrics,
  };
  return { report, secrets, graph, token };
}
