// Thin adapter for Meta's Graph API over Node's fetch: builds requests (Bearer header, appsecret_proof),
// retries transient failures within a deadline, reads Meta's usage headers on every answer, stops calling once
// Meta rate-limits, and maps the wire format to core types. Decisions live in core/.
import { createHmac } from 'node:crypto';
import { classifyGraphFailure, GraphFailure, isSystemError } from '../core/classify-graph-failure';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, mayRetry, RetryPolicy } from '../core/retry-policy';
import { ListFacts, PhoneNumberFacts, ProbeResult } from '../core/assess-token';
import { mostConstraining, readUsageHeaders, UsageReading } from '../core/graph-usage';
import { readHealthStatus } from '../core/messaging-health';
import { redact, redactThenTruncate } from '../core/redact';

export type GraphResult = { readonly ok: true; readonly body: Record<string, unknown>; readonly httpStatus: number } | { readonly ok: false; readonly failure: GraphFailure };

export interface GraphClientOptions {
  readonly baseUrl: string;
  readonly version: string;
  readonly appId: string;
  readonly appSecret: string;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Epoch ms after which no new attempt starts (the Lambda's own deadline minus a margin). */
  readonly deadline: number;
  readonly retry?: RetryPolicy;
  readonly fetchFn?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** hex(HMAC-SHA256(key = app secret, message = the access token sent with the same request)) (https://developers.facebook.com/docs/graph-api/guides/secure-requests). */
export function appSecretProof(appSecret: string, accessToken: string): string {
  return createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class GraphClient {
  private readonly opts: Required<Omit<GraphClientOptions, 'retry'>> & { retry: RetryPolicy };
  /** Requests made, for the report and the benchmark. */
  public calls = 0;
  /** Every usage reading (X-App-Usage, X-Business-Use-Case-Usage) of every answer, in order. */
  public readonly usage: UsageReading[] = [];
  /**
   * Set by the first rate-limited answer. Meta: "When the limit has been reached, stop making API calls" (more
   * calls extend the block), so every later request of this client returns a not-sent failure instead.
   */
  public rateLimited?: GraphFailure;
  /**
   * Tokens Meta refused (a token-class error, e.g. 190) on a call they authenticated, with that answer. Another call with
   * the same token would only be refused again and spend the app's and the WABA's quota, so it is not sent: a 190 on the
   * first asset probe ends the other probes of that check.
   */
  private readonly refusedTokens = new Map<string, GraphFailure>();

  constructor(options: GraphClientOptions) {
    this.opts = {
      retry: DEFAULT_RETRY_POLICY,
      fetchFn: fetch,
      sleep: defaultSleep,
      random: Math.random,
      now: Date.now,
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
    };
  }

  private get appToken(): string {
    return `${this.opts.appId}|${this.opts.appSecret}`;
  }

  /** GET /debug_token, called with the app token: a system-user token may not inspect itself (https://developers.facebook.com/docs/graph-api/reference/debug_token/). */
  debugToken(inputToken: string): Promise<GraphResult> {
    return this.request('GET', 'debug_token', this.appToken, { input_token: inputToken }, [inputToken]);
  }

  /**
   * Whether Meta says the token is dead (expired, revoked, password changed): debug_token answered is_valid false
   * without a system error of its own. `undefined` when there was no such verdict (Meta down, a system error).
   */
  async tokenIsDead(inputToken: string): Promise<boolean | undefined> {
    const r = await this.debugToken(inputToken);
    if (!r.ok) return undefined;
    const data = r.body.data as { is_valid?: unknown; error?: { code?: number; message?: string } } | undefined;
    if (data?.is_valid === true) return false;
    if (data?.is_valid !== false || isSystemError(data.error?.code, data.error?.message)) return undefined;
    return true;
  }

  /** The usage reading closest to Meta's limit among this client's answers so far. */
  get highestUsage(): UsageReading | undefined {
    return mostConstraining(this.usage);
  }

  async phoneNumber(phoneNumberId: string, token: string): Promise<ProbeResult<PhoneNumberFacts>> {
    const r = await this.request('GET', encodeURIComponent(phoneNumberId), token, { fields: 'display_phone_number,verified_name,quality_rating,health_status' });
    if (!r.ok) return r;
    const b = r.body;
    const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    return { ok: true, value: { displayPhoneNumber: s(b.display_phone_number), verifiedName: s(b.verified_name), qualityRating: s(b.quality_rating), health: readHealthStatus(b.health_status) } };
  }

  /**
   * Ids of the WABA's phone numbers, every page (a WABA can hold more than 100 numbers), stopping early once
   * `lookFor` is seen. Pages follow Graph's cursor paging (https://developers.facebook.com/docs/graph-api/results):
   * there is another page while the answer carries `paging.next`; it is fetched with `after` = `paging.cursors.after`
   * on our own URL, never by following `next` (which would send the token wherever that URL points).
   */
  wabaPhoneNumbers(wabaId: string, token: string, lookFor?: string): Promise<ProbeResult<ListFacts>> {
    return this.list(`${encodeURIComponent(wabaId)}/phone_numbers`, token, { fields: 'id', limit: '100' }, (x) => x.id, lookFor);
  }

  /** App ids subscribed to the WABA's webhooks (every page), stopping early once `lookFor` is seen. */
  subscribedApps(wabaId: string, token: string, lookFor?: string): Promise<ProbeResult<ListFacts>> {
    return this.list(`${encodeURIComponent(wabaId)}/subscribed_apps`, token, {}, (x) => (x.whatsapp_business_api_data as Record<string, unknown> | undefined)?.id ?? x.id, lookFor);
  }

  private async list(path: string, token: string, params: Record<string, string>, pick: (x: Record<string, unknown>) => unknown, lookFor: string | undefined): Promise<ProbeResult<ListFacts>> {
    const ids: string[] = [];
    let after: string | undefined;
    for (let page = 1; page <= MAX_LIST_PAGES; page++) {
      const r = await this.request('GET', path, token, after ? { ...params, after } : params);
      if (!r.ok) return r;
      ids.push(...dataIds(r.body, pick));
      const paging = (r.body.paging ?? {}) as Record<string, unknown>;
      const cursor = ((paging.cursors ?? {}) as Record<string, unknown>).after;
      const more = typeof paging.next === 'string' && typeof cursor === 'string' && cursor !== after;
      if ((lookFor !== undefined && ids.includes(lookFor)) || !more) return { ok: true, value: { ids, complete: !more || ids.includes(lookFor ?? '') } };
      after = cursor;
    }
    return { ok: true, value: { ids, complete: false } };
  }

  /**
   * Exchanges a 60-day token for a new 60-day token (fb_exchange_token). The old one stays valid. Not retried: an
   * exchange whose answer was lost has issued a token nobody holds, so a blind retry would make a second one.
   * https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/
   */
  async exchangeToken(currentToken: string): Promise<{ ok: true; token: string; expiresIn?: number } | { ok: false; failure: GraphFailure }> {
    // This endpoint takes the app secret as client_secret; Meta offers no header form for it.
    const r = await this.request(
      'GET',
      'oauth/access_token',
      undefined,
      { grant_type: 'fb_exchange_token', client_id: this.opts.appId, client_secret: this.opts.appSecret, set_token_expires_in_60_days: 'true', fb_exchange_token: currentToken },
      [currentToken],
      false,
    );
    return tokenFrom(r);
  }

  /** POST /{system-user-id}/access_tokens: mints a new system-user token (same page as the exchange). */
  async mintSystemUserToken(systemUserId: string, callerToken: string, scopes: readonly string[], sixtyDays: boolean): Promise<{ ok: true; token: string } | { ok: false; failure: GraphFailure }> {
    const form: Record<string, string> = { business_app: this.opts.appId, scope: scopes.join(',') };
    if (sixtyDays) form.set_token_expires_in_60_days = 'true';
    // Not retried: a POST that reached Meta but whose answer was lost has minted a token we never saw.
    const r = await this.request('POST', `${encodeURIComponent(systemUserId)}/access_tokens`, callerToken, form, [], false);
    return tokenFrom(r);
  }

  /**
   * GET /oauth/revoke?client_id&client_secret&revoke_token&access_token, as Meta documents it (the caller token in the
   * `access_token` parameter, with its appsecret_proof). Only `success` true counts as revoked. A 190 answer can be
   * about either token, so it counts as "already invalid" only when debug_token (app token, independent of the caller)
   * says the token to revoke is not valid; otherwise it is a failure that names the caller. Not retried: a second call
   * after a lost answer would only answer 190.
   * https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/
   */
  async revokeToken(tokenToRevoke: string, callerToken: string): Promise<{ ok: true; outcome: 'revoked' | 'already-invalid' } | { ok: false; failure: GraphFailure }> {
    const r = await this.request(
      'GET',
      'oauth/revoke',
      undefined,
      {
        client_id: this.opts.appId,
        client_secret: this.opts.appSecret,
        revoke_token: tokenToRevoke,
        access_token: callerToken,
        appsecret_proof: appSecretProof(this.opts.appSecret, callerToken),
      },
      [tokenToRevoke, callerToken],
      false,
    );
    if (!r.ok) {
      if (r.failure.code !== 190) return r;
      const dead = await this.tokenIsDead(tokenToRevoke);
      if (dead) return { ok: true, outcome: 'already-invalid' };
      return { ok: false, failure: { ...r.failure, message: `${r.failure.message} (${dead === false ? 'the token to revoke is still valid, so the 190 is about the caller token' : 'debug_token gave no verdict on the token to revoke'})` } };
    }
    // Meta's page shows {"success": "true"} (a string); accept the boolean too, nothing else.
    if (r.body.success === true || r.body.success === 'true') return { ok: true, outcome: 'revoked' };
    return { ok: false, failure: { kind: 'error', httpStatus: r.httpStatus, message: `oauth/revoke answered without "success": true (${Object.keys(r.body).slice(0, 5).join(', ') || 'empty body'})` } };
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    accessToken: string | undefined,
    params: Record<string, string>,
    extraSecrets: readonly string[] = [],
    retry = true,
  ): Promise<GraphResult> {
    const { retry: policy, timeoutMs, deadline, now } = this.opts;
    const secrets = [this.opts.appSecret, this.appToken, ...(accessToken ? [accessToken] : []), ...extraSecrets];
    const all = { ...params };
    if (accessToken) all.appsecret_proof = appSecretProof(this.opts.appSecret, accessToken);
    const url = new URL(`${this.opts.baseUrl}/${this.opts.version}/${path}`);
    const init: RequestInit = { method, headers: { accept: 'application/json' } };
    const headers = init.headers as Record<string, string>;
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (method === 'GET') for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
    else {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(all).toString();
    }

    for (let attempt = 1; ; attempt++) {
      if (this.rateLimited) {
        const why = `not sent: Meta rate-limited an earlier call of this check (${this.rateLimited.code !== undefined ? `code ${this.rateLimited.code}` : `HTTP ${this.rateLimited.httpStatus}`})`;
        return { ok: false, failure: { ...this.rateLimited, message: why, notSent: true } };
      }
      const refused = accessToken === undefined ? undefined : this.refusedTokens.get(accessToken);
      if (refused) {
        const why = `not sent: Meta refused this token on an earlier call of this check (code ${refused.code ?? '?'}${refused.subcode !== undefined ? `/${refused.subcode}` : ''})`;
        return { ok: false, failure: { ...refused, message: why, notSent: true } };
      }
      const remaining = deadline - now();
      const result = await this.once(url, init, Math.max(1, Math.min(timeoutMs, remaining)), secrets);
      if (result.ok) return result;
      const cls = classifyGraphFailure(result.failure);
      if (cls === 'token' && accessToken !== undefined) this.refusedTokens.set(accessToken, result.failure);
      // A throttle is never retried, and nothing else is sent after it in this invocation.
      if (cls === 'rate-limited') {
        this.rateLimited = result.failure;
        return result;
      }
      if (!retry || cls !== 'transient') return result;
      const delay = backoffDelayMs(policy, attempt, this.opts.random());
      if (!mayRetry(policy, attempt, delay, timeoutMs, deadline - now())) return result;
      await this.opts.sleep(delay);
    }
  }

  private async once(url: URL, init: RequestInit, timeoutMs: number, secrets: readonly string[]): Promise<GraphResult> {
    this.calls++;
    let res: Response;
    let text: string;
    try {
      // The timeout covers the body too: a server that sends headers and then stalls is an outage as well.
      const signal = AbortSignal.timeout(timeoutMs);
      res = await this.opts.fetchFn(url, { ...init, signal });
      text = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : `network error ${err.cause?.code ?? err.name}`;
      return { ok: false, failure: { kind: 'unavailable', message: redact(why, secrets) } };
    }
    this.usage.push(...readUsageHeaders((name) => res.headers.get(name)));
    const status = res.status;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const type = res.headers.get('content-type') ?? 'no content type';
      const what = `HTTP ${status} with a body that is not JSON (${type}, ${text.length} bytes)`;
      // Only 5xx (and a JSON answer cut short) are Meta's or the network's trouble; a 4xx page (a wrong
      // graphApiBaseUrl answering 404 HTML, a proxy's 403) is configuration, a 429 is a throttle. Graph never answers
      // with an HTML page, so a 2xx HTML page (a website or a login portal at graphApiBaseUrl) is configuration too.
      const html = /html/i.test(type);
      if (status >= 500 || (status < 400 && !html)) return { ok: false, failure: { kind: 'unavailable', httpStatus: status, message: what } };
      return { ok: false, failure: { kind: 'http', httpStatus: status, message: what } };
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      const what = `HTTP ${status} with a JSON body that is not an object`;
      return { ok: false, failure: status >= 400 && status < 500 ? { kind: 'http', httpStatus: status, message: what } : { kind: 'unavailable', httpStatus: status, message: what } };
    }
    const obj = body as Record<string, unknown>;
    if (obj.error && typeof obj.error === 'object') {
      const e = obj.error as Record<string, unknown>;
      const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
      // Redact BEFORE truncating: a cut first could leave the start of an echoed secret that no longer matches.
      const clean = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.trim() ? redactThenTruncate(v, secrets, max) : undefined);
      const data = (e.error_data && typeof e.error_data === 'object' ? e.error_data : {}) as Record<string, unknown>;
      return {
        ok: false,
        failure: {
          kind: 'error',
          httpStatus: status,
          code: num(e.code),
          subcode: num(e.error_subcode),
          isTransient: e.is_transient === true,
          type: typeof e.type === 'string' ? e.type : undefined,
          message: clean(e.message, 500) ?? 'Graph error without a message',
          userTitle: clean(e.error_user_title, 200),
          userMessage: clean(e.error_user_msg, 500),
          details: clean(data.details ?? (typeof e.error_data === 'string' ? e.error_data : undefined), 500),
          fbtraceId: typeof e.fbtrace_id === 'string' ? e.fbtrace_id : undefined,
        },
      };
    }
    // An error status whose JSON carries no `error` object is a failed call, never an empty answer (which would
    // read as "phone not in WABA" or "app not subscribed").
    if (status >= 500) return { ok: false, failure: { kind: 'unavailable', httpStatus: status, message: `HTTP ${status} without a Graph error object` } };
    if (status >= 400 || status < 200) return { ok: false, failure: { kind: 'http', httpStatus: status, message: `HTTP ${status} without a Graph error object` } };
    return { ok: true, body: obj, httpStatus: status };
  }
}

/** Upper bound on pages read from one list edge (100 per page): 50 pages = 5,000 entries. */
const MAX_LIST_PAGES = 50;

function dataIds(body: Record<string, unknown>, pick: (x: Record<string, unknown>) => unknown): string[] {
  const data = Array.isArray(body.data) ? (body.data as unknown[]) : [];
  return data.flatMap((x) => (x && typeof x === 'object' ? [pick(x as Record<string, unknown>)] : [])).filter((v) => v !== undefined && v !== null).map(String);
}

/**
 * The answer of an endpoint that obtains a token. A refusal keeps Meta's text for a person (error_user_title,
 * error_user_msg) in its message, where the rotation's reason quotes it: the mint's two-factor refusal (415/2859009)
 * says only there how to get past it (facebook/facebook-java-business-sdk#437). `expiresIn` is absent when Meta sends no
 * expires_in, as fb_exchange_token often does (pixelant/pxa_social_feed#105): the new token's expiry is then whatever
 * debug_token says when the rotation validates it.
 */
function tokenFrom(r: GraphResult): { ok: true; token: string; expiresIn?: number } | { ok: false; failure: GraphFailure } {
  if (!r.ok) return { ok: false, failure: withUserText(r.failure) };
  const token = r.body.access_token;
  if (typeof token !== 'string' || token.trim() === '') {
    return { ok: false, failure: { kind: 'unavailable', httpStatus: r.httpStatus, message: 'Meta answered without an access_token field' } };
  }
  return { ok: true, token: token.trim(), expiresIn: typeof r.body.expires_in === 'number' ? r.body.expires_in : undefined };
}

/** The failure with Meta's text for a person added to its message (once). */
function withUserText(f: GraphFailure): GraphFailure {
  if (!f.userMessage || f.message.includes(f.userMessage)) return f;
  return { ...f, message: `${f.message} (Meta says: ${f.userTitle ? `${f.userTitle}: ` : ''}${f.userMessage})` };
}
