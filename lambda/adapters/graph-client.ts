// Thin adapter for Meta's Graph API over Node's fetch: builds requests (Bearer header, appsecret_proof),
// retries transient failures within a deadline, and maps the wire format to core types. Decisions live in core/.
import { createHmac } from 'node:crypto';
import { classifyGraphFailure, GraphFailure } from '../core/classify-graph-failure';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, mayRetry, RetryPolicy } from '../core/retry-policy';
import { PhoneNumberFacts, ProbeResult } from '../core/assess-token';
import { redact } from '../core/redact';

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

/** hex(HMAC-SHA256(key = app secret, message = the access token sent with the same request)), reference §4. */
export function appSecretProof(appSecret: string, accessToken: string): string {
  return createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class GraphClient {
  private readonly opts: Required<Omit<GraphClientOptions, 'retry'>> & { retry: RetryPolicy };
  /** Requests made, for the report and the benchmark. */
  public calls = 0;

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

  /** GET /debug_token, called with the app token: a system-user token may not inspect itself (reference §1). */
  debugToken(inputToken: string): Promise<GraphResult> {
    return this.request('GET', 'debug_token', this.appToken, { input_token: inputToken }, [inputToken]);
  }

  async phoneNumber(phoneNumberId: string, token: string): Promise<ProbeResult<PhoneNumberFacts>> {
    const r = await this.request('GET', encodeURIComponent(phoneNumberId), token, { fields: 'display_phone_number,verified_name,quality_rating,health_status' });
    if (!r.ok) return r;
    const b = r.body;
    const health = (b.health_status ?? {}) as Record<string, unknown>;
    const entities = Array.isArray(health.entities) ? (health.entities as Record<string, unknown>[]) : [];
    const healthIssues = entities
      .filter((e) => e && typeof e === 'object' && e.can_send_message !== 'AVAILABLE')
      .map((e) => {
        const errors = Array.isArray(e.errors) ? (e.errors as Record<string, unknown>[]) : [];
        const info = errors.map((x) => `${x.error_code ?? ''} ${x.error_description ?? ''}`.trim()).join(', ');
        return `${String(e.entity_type ?? 'entity')} ${String(e.id ?? '')}: ${String(e.can_send_message ?? '?')}${info ? ` (${info})` : ''}`.slice(0, 300);
      });
    const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    return {
      ok: true,
      value: { displayPhoneNumber: s(b.display_phone_number), verifiedName: s(b.verified_name), qualityRating: s(b.quality_rating), canSendMessage: s(health.can_send_message), healthIssues },
    };
  }

  /** Ids of the WABA's phone numbers (first page of up to 100 is enough: a WABA holds few numbers). */
  async wabaPhoneNumbers(wabaId: string, token: string): Promise<ProbeResult<readonly string[]>> {
    const r = await this.request('GET', `${encodeURIComponent(wabaId)}/phone_numbers`, token, { fields: 'id', limit: '100' });
    return r.ok ? { ok: true, value: dataIds(r.body, (x) => x.id) } : r;
  }

  /** App ids subscribed to the WABA's webhooks. */
  async subscribedApps(wabaId: string, token: string): Promise<ProbeResult<readonly string[]>> {
    const r = await this.request('GET', `${encodeURIComponent(wabaId)}/subscribed_apps`, token, {});
    return r.ok ? { ok: true, value: dataIds(r.body, (x) => (x.whatsapp_business_api_data as Record<string, unknown> | undefined)?.id ?? x.id) } : r;
  }

  /** Exchanges a 60-day token for a new 60-day token (fb_exchange_token, reference §3). The old one stays valid. */
  async exchangeToken(currentToken: string): Promise<{ ok: true; token: string; expiresIn?: number } | { ok: false; failure: GraphFailure }> {
    // This endpoint takes the app secret as client_secret; Meta offers no header form for it.
    const r = await this.request(
      'GET',
      'oauth/access_token',
      undefined,
      { grant_type: 'fb_exchange_token', client_id: this.opts.appId, client_secret: this.opts.appSecret, set_token_expires_in_60_days: 'true', fb_exchange_token: currentToken },
      [currentToken],
    );
    return tokenFrom(r);
  }

  /** POST /{system-user-id}/access_tokens: mints a new system-user token (reference §3). */
  async mintSystemUserToken(systemUserId: string, callerToken: string, scopes: readonly string[], sixtyDays: boolean): Promise<{ ok: true; token: string } | { ok: false; failure: GraphFailure }> {
    const form: Record<string, string> = { business_app: this.opts.appId, scope: scopes.join(',') };
    if (sixtyDays) form.set_token_expires_in_60_days = 'true';
    // Not retried: a POST that reached Meta but whose answer was lost has minted a token we never saw.
    const r = await this.request('POST', `${encodeURIComponent(systemUserId)}/access_tokens`, callerToken, form, [], false);
    return tokenFrom(r);
  }

  /** GET /oauth/revoke (reference §3): revokes `tokenToRevoke` immediately. */
  async revokeToken(tokenToRevoke: string, callerToken: string): Promise<GraphResult> {
    return this.request('GET', 'oauth/revoke', callerToken, { client_id: this.opts.appId, client_secret: this.opts.appSecret, revoke_token: tokenToRevoke }, [tokenToRevoke]);
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
      const remaining = deadline - now();
      const result = await this.once(url, init, Math.max(1, Math.min(timeoutMs, remaining)), secrets);
      if (result.ok || !retry || classifyGraphFailure(result.failure) !== 'transient') return result;
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
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const type = res.headers.get('content-type') ?? 'no content type';
      return { ok: false, failure: { kind: 'unavailable', httpStatus: res.status, message: `HTTP ${res.status} with a body that is not JSON (${type}, ${text.length} bytes)` } };
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return { ok: false, failure: { kind: 'unavailable', httpStatus: res.status, message: `HTTP ${res.status} with a JSON body that is not an object` } };
    }
    const obj = body as Record<string, unknown>;
    if (obj.error && typeof obj.error === 'object') {
      const e = obj.error as Record<string, unknown>;
      const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
      return {
        ok: false,
        failure: {
          kind: 'error',
          httpStatus: res.status,
          code: num(e.code),
          subcode: num(e.error_subcode),
          isTransient: e.is_transient === true,
          type: typeof e.type === 'string' ? e.type : undefined,
          message: redact(typeof e.message === 'string' ? e.message.slice(0, 500) : 'Graph error without a message', secrets),
          fbtraceId: typeof e.fbtrace_id === 'string' ? e.fbtrace_id : undefined,
        },
      };
    }
    if (res.status >= 500) return { ok: false, failure: { kind: 'unavailable', httpStatus: res.status, message: `HTTP ${res.status} without a Graph error object` } };
    return { ok: true, body: obj, httpStatus: res.status };
  }
}

function dataIds(body: Record<string, unknown>, pick: (x: Record<string, unknown>) => unknown): string[] {
  const data = Array.isArray(body.data) ? (body.data as unknown[]) : [];
  return data.flatMap((x) => (x && typeof x === 'object' ? [pick(x as Record<string, unknown>)] : [])).filter((v) => v !== undefined && v !== null).map(String);
}

function tokenFrom(r: GraphResult): { ok: true; token: string; expiresIn?: number } | { ok: false; failure: GraphFailure } {
  if (!r.ok) return r;
  const token = r.body.access_token;
  if (typeof token !== 'string' || token.trim() === '') {
    return { ok: false, failure: { kind: 'unavailable', httpStatus: r.httpStatus, message: 'Meta answered without an access_token field' } };
  }
  return { ok: true, token: token.trim(), expiresIn: typeof r.body.expires_in === 'number' ? r.body.expires_in : undefined };
}
