// Loopback emulator of the Graph API endpoints the guard uses, speaking Meta's JSON, error shapes and usage
// headers. Every answer shape comes from test/fakes/meta-shapes.ts, where each one cites its source (a Meta page
// or a captured answer in a public repository). It checks the app token and appsecret_proof like an app with
// "Require App Secret" on (https://developers.facebook.com/docs/graph-api/guides/secure-requests), and can be
// told to fail the ways Meta fails.
import { createHmac } from 'node:crypto';
import { createServer, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  appUsageHeader,
  businessUsageHeader,
  DEBUG_TOKEN_FOREIGN_APP,
  DEBUG_TOKEN_NOT_APP_TOKEN,
  DEBUG_TOKEN_SYSTEM_ERROR,
  DEBUG_TOKEN_UNDECRYPTABLE,
  exchangeAnswer,
  exchangeAnswerWithoutExpiresIn,
  graphError,
  HealthIds,
  healthAvailable,
  healthBlockedWaba,
  healthLimitedDisplayName,
  Json,
  OAUTH_BAD_APP_ID,
  OAUTH_BAD_CLIENT_SECRET,
  page,
  throttleError,
} from './meta-shapes';

export interface TokenRecord {
  type: 'SYSTEM_USER' | 'USER' | 'PAGE' | 'APP';
  appId: string;
  application?: string;
  userId: string;
  issuedAt: number;
  /** 0 = never expires */
  expiresAt: number;
  scopes: string[];
  /** When set, debug_token reports is_valid:false with this error (expired 190/463, revoked 190/466, ...). */
  dead?: { code: number; subcode?: number; message: string };
  /** WABA ids this token's system user may access. */
  wabas: string[];
}

export interface PhoneRecord {
  id: string;
  wabaId: string;
  displayPhoneNumber: string;
  /** Shortcut for the health_status answer: AVAILABLE, LIMITED (display name not approved) or BLOCKED (WABA payment). */
  canSendMessage: 'AVAILABLE' | 'LIMITED' | 'BLOCKED';
  /** A health_status answer of its own (e.g. meta-shapes' healthBlockedSip); overrides canSendMessage. */
  healthStatus?: (ids: HealthIds) => Json;
}

export type Fault =
  | { kind: 'down' } // 503 with an HTML page
  | { kind: 'server-error' } // 500 with Graph's JSON error (code 1)
  | { kind: 'slow'; ms: number } // answers after ms
  | { kind: 'reset' } // connection reset
  | { kind: 'throttle'; code: number } // a throttling code (4, 80007, 130429, ...)
  | { kind: 'transient' } // is_transient: true
  | { kind: 'raw'; status: number; body: string; contentType?: string }
  | { kind: 'debug-system-error' }; // debug_token's HTTP 200 `data` with a system error (bk-rs capture)

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body: string;
}

const DAY = 86_400;

export class GraphEmulator {
  readonly appId: string;
  appSecret: string;
  readonly tokens = new Map<string, TokenRecord>();
  readonly phones = new Map<string, PhoneRecord>();
  readonly wabas = new Map<string, { phoneIds: string[]; subscribedApps: string[]; businessId: string }>();
  readonly systemUsers = new Set<string>();
  readonly requests: RecordedRequest[] = [];
  /** Applied to the next `faultCount` requests (Infinity = until cleared) whose path matches `faultPath`. */
  fault?: Fault;
  faultCount = Infinity;
  faultPath?: RegExp;
  /** Clock for issued tokens, unix seconds. */
  now: () => number = () => Math.floor(Date.now() / 1000);
  /** Code Meta answers a mint with, to emulate refusals (200, 100). */
  mintRefusal?: { code: number; subcode?: number; message: string };
  /** A whole error answer to the mint instead (e.g. meta-shapes' MINT_TWO_FACTOR_REQUIRED), with its HTTP status. */
  mintRefusalAnswer?: { status: number; body: Json };
  /**
   * How fb_exchange_token answers: 'documented' with expires_in, 'without-expires-in' as often captured
   * (meta-shapes' exchangeAnswerWithoutExpiresIn); Meta then reports the new token as never expiring.
   */
  exchangeAnswerShape: 'documented' | 'without-expires-in' = 'documented';
  /** Applied to every minted token, e.g. fewer scopes than asked for. */
  mintOverrides?: Partial<TokenRecord>;
  /** Applied to each token fb_exchange_token issues (e.g. fewer scopes than the token it replaces). */
  exchangeOverrides?: Partial<TokenRecord>;
  /**
   * Meta refuses to revoke tokens of this app: "the app behind client_id ... and the app installed for revoke_token
   * ... must all match" (https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/).
   */
  revokeRefusal?: { appId: string; code: number; message: string };
  /** Called after a token was minted, before Meta answers (to change the world mid-rotation). */
  onMint?: () => void;
  /** Called as each request arrives, before it is answered (to change the world between two calls of a check). */
  onRequest?: (request: { readonly path: string; readonly query: Readonly<Record<string, string>> }) => void | Promise<void>;
  /**
   * How debug_token answers about a token of another app: 'error' is Meta's observed answer (a top-level (#100));
   * 'data' is the defensive case (is_valid with the other app's app_id) the guard also handles.
   */
  foreignAppAnswer: 'error' | 'data' = 'error';
  /** X-App-Usage percent sent with every answer (undefined: no header). */
  appUsagePercent: number | undefined = 1;
  /** X-Business-Use-Case-Usage per WABA, sent with answers about that WABA or its numbers. */
  readonly wabaUsage = new Map<string, { percent: number; regainMinutes?: number }>();
  /** Page size of list edges when the caller sends no `limit` (Graph's default is 25). */
  defaultPageSize = 25;
  private counter = 0;
  private server?: Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  baseUrl = '';

  constructor(opts: { appId: string; appSecret: string }) {
    this.appId = opts.appId;
    this.appSecret = opts.appSecret;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Adds a token and returns it. */
  addToken(token: string, rec: Partial<TokenRecord> = {}): string {
    this.tokens.set(token, {
      type: 'SYSTEM_USER',
      appId: this.appId,
      application: 'Acme Notifications',
      userId: '122098765432101234',
      issuedAt: this.now() - DAY,
      expiresAt: 0,
      scopes: ['whatsapp_business_management', 'whatsapp_business_messaging', 'business_management'],
      wabas: [...this.wabas.keys()],
      ...rec,
    });
    return token;
  }

  addWaba(wabaId: string, phone: Partial<PhoneRecord> & { id: string }, subscribedApps: string[] = [this.appId]): void {
    this.wabas.set(wabaId, { phoneIds: [phone.id], subscribedApps, businessId: '506914307656634' });
    this.phones.set(phone.id, { wabaId, displayPhoneNumber: '+1 555-0100', canSendMessage: 'AVAILABLE', ...phone });
  }

  /** Adds `count` more numbers to a WABA, listed before the existing ones (so a configured number sits on a later page). */
  addNumbers(wabaId: string, count: number): void {
    const waba = this.wabas.get(wabaId)!;
    const extra = Array.from({ length: count }, (_, i) => String(900000000000000 + i));
    for (const id of extra) this.phones.set(id, { id, wabaId, displayPhoneNumber: '+1 555-0199', canSendMessage: 'AVAILABLE' });
    waba.phoneIds.unshift(...extra);
  }

  private newToken(prefix: string): string {
    this.counter++;
    return `EAAG${prefix}${this.counter}x${Math.random().toString(36).slice(2, 10)}`;
  }

  /** Usage headers for the answer being written (set per request in handle()). */
  private usageHeaders: OutgoingHttpHeaders = {};

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...this.usageHeaders });
    res.end(JSON.stringify(body));
  }

  private traces = 0;
  private error(res: ServerResponse, status: number, code: number, message: string, extra: Record<string, unknown> = {}): void {
    // Meta gives every answer its own fbtrace_id ("fbtrace_id: Internal support identifier", per answer, in
    // https://developers.facebook.com/docs/graph-api/guides/error-handling): nothing may compare two errors by their text.
    const body = graphError(code, message, extra) as { error: Record<string, unknown> };
    body.error.fbtrace_id = `AbCdEf${String(++this.traces).padStart(5, '0')}Trace`;
    this.send(res, status, body);
  }

  /** X-App-Usage on every answer; X-Business-Use-Case-Usage on answers about a WABA (or one of its numbers) with usage set. */
  private headersFor(path: string): OutgoingHttpHeaders {
    const h: OutgoingHttpHeaders = {};
    if (this.appUsagePercent !== undefined) h['x-app-usage'] = appUsageHeader(this.appUsagePercent);
    const id = /^\/v\d+\.\d+\/(\d+)/.exec(path)?.[1];
    const wabaId = id && (this.wabas.has(id) ? id : this.phones.get(id)?.wabaId);
    const usage = wabaId ? this.wabaUsage.get(wabaId) : undefined;
    if (wabaId && usage) h['x-business-use-case-usage'] = businessUsageHeader(wabaId, usage.percent, usage.regainMinutes);
    return h;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string> = Object.fromEntries(url.searchParams);
    const form: Record<string, string> = req.headers['content-type']?.includes('x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body)) : {};
    const params = { ...query, ...form };
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, authorization: req.headers.authorization, body });
    if (this.onRequest) await this.onRequest({ path: url.pathname, query: params });
    this.usageHeaders = this.headersFor(url.pathname);

    if (this.fault && this.faultCount > 0 && (!this.faultPath || this.faultPath.test(url.pathname))) {
      this.faultCount--;
      const f = this.fault;
      if (this.faultCount <= 0) this.fault = undefined;
      switch (f.kind) {
        // Not a Meta shape: what an outage or a load balancer in front of Graph serves (an HTML error page).
        case 'down':
          res.writeHead(503, { 'content-type': 'text/html' });
          res.end('<html><body><h1>Sorry, something went wrong.</h1></body></html>');
          return;
        // Codes 1 "An unknown error occurred" / 2 "Service temporarily unavailable" with is_transient (Graph
        // error-handling page; is_transient in the WhatsApp Cloud API error schema).
        case 'server-error':
          return this.error(res, 500, 1, 'An unknown error occurred', { is_transient: true });
        case 'slow':
          await new Promise((r) => setTimeout(r, f.ms).unref());
          if (res.destroyed) return;
          break; // then answer normally
        case 'reset':
          req.socket.destroy();
          return;
        case 'throttle': {
          // The throttled answer carries the usage that caused it: the app's at 100%, or the WABA's with Meta's
          // estimated_time_to_regain_access (the rate-limiting page's sample says 19 minutes).
          const t = throttleError(f.code);
          const waba = [...this.wabas.keys()][0];
          if ([80007, 80008, 130429].includes(f.code) && waba) this.usageHeaders = { ...this.usageHeaders, 'x-business-use-case-usage': businessUsageHeader(waba, 100, 19) };
          else this.usageHeaders = { ...this.usageHeaders, 'x-app-usage': appUsageHeader(100) };
          return this.send(res, t.status, t.body);
        }
        case 'debug-system-error':
          if (url.pathname.endsWith('/debug_token')) return this.send(res, 200, DEBUG_TOKEN_SYSTEM_ERROR);
          break;
        case 'transient':
          return this.error(res, 500, 2, 'An unexpected error has occurred. Please retry your request later.', { is_transient: true });
        case 'raw':
          res.writeHead(f.status, { 'content-type': f.contentType ?? 'application/json' });
          res.end(f.body);
          return;
      }
    }

    const m = /^\/(v\d+\.\d+)\/(.+)$/.exec(url.pathname);
    // "Unknown path components" with code 2500 for a path without a version (seen in public test code).
    if (!m) return this.error(res, 400, 2500, `Unknown path components: ${url.pathname.slice(0, 40)}`);
    const [, , rest] = m;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const caller = bearer ?? params.access_token;

    // Require App Secret: every call that carries a token must carry its proof (https://developers.facebook.com/docs/graph-api/guides/secure-requests).
    if (caller !== undefined) {
      const proof = createHmac('sha256', this.appSecret).update(caller).digest('hex');
      // Both texts as seen in the field (amazon-connect/amazon-connect-message-streaming-examples#29).
      if (params.appsecret_proof === undefined) return this.error(res, 400, 100, 'API calls from the server require an appsecret_proof argument');
      if (params.appsecret_proof !== proof) return this.error(res, 400, 100, 'Invalid appsecret_proof provided in the API argument');
    }

    if (rest === 'debug_token') return this.debugToken(res, caller, params.input_token, req.method ?? 'GET');
    if (rest === 'oauth/access_token') return this.exchange(res, params);
    if (rest === 'oauth/revoke') return this.revoke(res, params, caller);

    // Everything below is called with a (system-user) token.
    const rec = caller === undefined ? undefined : this.tokens.get(caller);
    // Top-level 190 OAuthExceptions for a dead caller (shapes: bk-rs/facebook-apis-rs facebook-graph-api-object-error
    // captures; subcode 463 with HTTP 401 as in chatwoot/chatwoot#9708 and the WhatsApp error-codes page).
    if (!caller || !rec) return this.error(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (rec.dead) return this.error(res, 401, rec.dead.code, rec.dead.message, { error_subcode: rec.dead.subcode });
    // An expired caller: 190/463 with HTTP 401, as in chatwoot/chatwoot#9708 (the message there adds the dates).
    if (rec.expiresAt && rec.expiresAt <= this.now()) return this.error(res, 401, 190, 'Error validating access token: Session has expired', { error_subcode: 463 });

    const mint = /^(\d+)\/access_tokens$/.exec(rest);
    if (mint && req.method === 'POST') return this.mint(res, mint[1], params, rec);

    const edge = /^(\d+)\/(phone_numbers|subscribed_apps)$/.exec(rest);
    if (edge) {
      const [, wabaId, what] = edge;
      const waba = this.wabas.get(wabaId);
      // 100/33 for an unknown or hidden object (facebook/facebook-android-sdk#964), 200 for missing asset access
      // and 10 for a missing permission (WhatsApp error-codes page).
      if (!waba) return this.error(res, 400, 100, `Unsupported get request. Object with ID '${wabaId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, { error_subcode: 33 });
      if (!rec.wabas.includes(wabaId)) return this.error(res, 403, 200, '(#200) Permissions error');
      if (!rec.scopes.includes('whatsapp_business_management')) return this.error(res, 403, 10, '(#10) Application does not have permission for this action');
      // data[] shapes: phone_numbers per https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/phone-numbers ,
      // subscribed_apps per https://developers.facebook.com/documentation/business-messaging/whatsapp/solution-providers/manage-webhooks .
      const rows: Json[] =
        what === 'phone_numbers'
          ? waba.phoneIds.map((id) => ({ verified_name: 'Acme', display_phone_number: this.phones.get(id)?.displayPhoneNumber, id, quality_rating: 'GREEN' }))
          : waba.subscribedApps.map((id) => ({ whatsapp_business_api_data: { id, name: 'App', link: 'https://www.facebook.com/games/?app_id=' + id } }));
      return this.send(res, 200, this.page(url, rows, Number(params.limit) || this.defaultPageSize, params.after));
    }

    const phoneId = /^(\d+)$/.exec(rest)?.[1];
    if (phoneId && req.method === 'GET') {
      const phone = this.phones.get(phoneId);
      if (!phone) return this.error(res, 400, 100, `Unsupported get request. Object with ID '${phoneId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, { error_subcode: 33 });
      if (!rec.wabas.includes(phone.wabaId)) return this.error(res, 403, 200, '(#200) Permissions error');
      const ids: HealthIds = { phoneId: phone.id, wabaId: phone.wabaId, businessId: this.wabas.get(phone.wabaId)?.businessId ?? '506914307656634', appId: this.appId };
      const health = phone.healthStatus ?? { AVAILABLE: healthAvailable, LIMITED: healthLimitedDisplayName, BLOCKED: healthBlockedWaba }[phone.canSendMessage];
      // Field shapes per the phone number reference (https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/whatsapp-business-account-phone-number-api).
      return this.send(res, 200, { verified_name: 'Acme', display_phone_number: phone.displayPhoneNumber, id: phone.id, quality_rating: 'GREEN', health_status: health(ids) });
    }
    // Not a captured answer: the guard never calls another path, so this only makes a bug of ours fail loudly.
    return this.error(res, 400, 100, 'Unsupported request - method type: ' + (req.method ?? '').toLowerCase());
  }

  /** One page of a list edge, with Graph's cursors; `next` only while more entries follow. */
  private page(url: URL, rows: Json[], limit: number, after: string | undefined): Json {
    const start = after ? Number(Buffer.from(after, 'base64url').toString()) || 0 : 0;
    const end = Math.min(rows.length, start + Math.max(1, Math.min(limit, 100)));
    const cursor = (i: number): string => Buffer.from(String(i)).toString('base64url');
    const next = new URL(url.toString());
    next.searchParams.set('after', cursor(end));
    next.searchParams.delete('appsecret_proof');
    return page(rows.slice(start, end), cursor(start), cursor(end), end < rows.length ? `https://graph.facebook.com${next.pathname}${next.search}` : undefined);
  }

  private debugToken(res: ServerResponse, caller: string | undefined, input: string | undefined, method: string): void {
    // debug_token accepts GET only (logly/mureo#740).
    if (method !== 'GET') return this.error(res, 400, 100, 'Unsupported post request.', { error_subcode: 33 });
    // Meta answers debug_token only to the app token (a system-user token may not inspect itself).
    if (caller !== `${this.appId}|${this.appSecret}`) {
      // An app token with the wrong secret: the message of bk-rs/facebook-apis-rs debug_token__200__invalid_access_token_signature.json, as the top-level error a caller gets.
      if (caller?.includes('|')) return this.error(res, 400, 190, 'Invalid OAuth access token signature.');
      return this.send(res, 400, DEBUG_TOKEN_NOT_APP_TOKEN);
    }
    // Not a captured answer (the guard always sends input_token): a request bug fails loudly.
    if (!input) return this.error(res, 400, 100, '(#100) The parameter input_token is required');
    const rec = this.tokens.get(input);
    if (!rec) return this.send(res, 200, DEBUG_TOKEN_UNDECRYPTABLE);
    if (rec.appId !== this.appId && this.foreignAppAnswer === 'error') return this.send(res, 400, DEBUG_TOKEN_FOREIGN_APP);
    const expired = rec.expiresAt !== 0 && rec.expiresAt <= this.now();
    const dead = rec.dead ?? (expired ? { code: 190, subcode: 463, message: 'Error validating access token: Session has expired on Friday.' } : undefined);
    // `data` as in Meta's SYSTEM_USER example (https://developers.facebook.com/documentation/business-messaging/whatsapp/permissions)
    // and the bk-rs/facebook-apis-rs debug_token captures: HTTP 200 even for a dead token, with is_valid false and
    // data.error {code, message, subcode}. With foreignAppAnswer 'data', a token of another app lands here too
    // (the defensive case; Meta's observed answer is DEBUG_TOKEN_FOREIGN_APP).
    this.send(res, 200, {
      data: {
        app_id: rec.appId,
        type: rec.type,
        application: rec.application,
        data_access_expires_at: 0,
        expires_at: rec.expiresAt,
        is_valid: !dead,
        issued_at: rec.issuedAt,
        scopes: rec.scopes,
        granular_scopes: rec.scopes.map((scope) => (scope.startsWith('whatsapp') ? { scope, target_ids: rec.wabas } : { scope })),
        user_id: rec.userId,
        ...(dead ? { error: { code: dead.code, subcode: dead.subcode, message: dead.message } } : {}),
      },
    });
  }

  private exchange(res: ServerResponse, p: Record<string, string>): void {
    // Not a captured answer (the guard always sends grant_type=fb_exchange_token): a request bug fails loudly.
    if (p.grant_type !== 'fb_exchange_token') return this.error(res, 400, 100, 'Invalid grant_type');
    if (p.client_id !== this.appId) return this.send(res, 400, OAUTH_BAD_APP_ID);
    if (p.client_secret !== this.appSecret) return this.send(res, 400, OAUTH_BAD_CLIENT_SECRET);
    const old = this.tokens.get(p.fb_exchange_token ?? '');
    // A dead token cannot be exchanged (Meta's user-token page: an expired token cannot be refreshed); 190/463 as in chatwoot/chatwoot#9708.
    if (!old || old.dead || (old.expiresAt && old.expiresAt <= this.now())) return this.error(res, 400, 190, 'Error validating access token: Session has expired', { error_subcode: 463 });
    // The documented answer, or the captured one without expires_in for a token that then debugs as "Never".
    const token = this.newToken('refreshed');
    const documented = this.exchangeAnswerShape === 'documented';
    this.tokens.set(token, { ...old, issuedAt: this.now(), expiresAt: documented ? this.now() + 60 * DAY : 0, ...this.exchangeOverrides });
    this.send(res, 200, documented ? exchangeAnswer(token) : exchangeAnswerWithoutExpiresIn(token));
  }

  private mint(res: ServerResponse, systemUserId: string, p: Record<string, string>, caller: TokenRecord): void {
    if (this.mintRefusalAnswer) return this.send(res, this.mintRefusalAnswer.status, this.mintRefusalAnswer.body);
    if (this.mintRefusal) return this.error(res, 400, this.mintRefusal.code, this.mintRefusal.message, this.mintRefusal.subcode ? { error_subcode: this.mintRefusal.subcode } : {});
    // An unknown system user: Graph's 100/33 "Object with ID ... does not exist" (sajuthankappan/whatsapp-cloud-api-rs#3).
    if (!this.systemUsers.has(systemUserId)) return this.error(res, 400, 100, `Unsupported post request. Object with ID '${systemUserId}' does not exist`, { error_subcode: 33 });
    // Not a captured answer (the guard always sends its own app id): a request bug fails loudly.
    if (p.business_app !== this.appId) return this.error(res, 400, 100, 'Invalid parameter business_app');
    const token = this.newToken('minted');
    this.tokens.set(token, {
      ...caller,
      type: 'SYSTEM_USER',
      userId: systemUserId,
      issuedAt: this.now(),
      expiresAt: p.set_token_expires_in_60_days === 'true' ? this.now() + 60 * DAY : 0,
      scopes: (p.scope ?? '').split(',').filter(Boolean),
      dead: undefined,
      ...this.mintOverrides,
    });
    this.onMint?.();
    // {"access_token": "..."}, as Meta's install-apps-and-generate-tokens page documents the mint's answer.
    this.send(res, 200, { access_token: token });
  }

  private revoke(res: ServerResponse, p: Record<string, string>, caller: string | undefined): void {
    // A wrong app secret on /oauth/*: code 1 (meta-shapes' OAUTH_BAD_CLIENT_SECRET, facebookarchive/php-graph-sdk#538).
    if (p.client_id !== this.appId || p.client_secret !== this.appSecret) return this.error(res, 400, 1, 'Error validating client secret.');
    if (!caller || !this.tokens.get(caller)) return this.error(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
    // A dead caller token is refused like any call with it: OAuthException 190 with the caller's own subcode.
    const callerDead = this.tokens.get(caller)!.dead;
    if (callerDead) return this.error(res, 400, 190, callerDead.message, { error_subcode: callerDead.subcode });
    const target = this.tokens.get(p.revoke_token ?? '');
    if (!target) return this.error(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (this.revokeRefusal && target.appId === this.revokeRefusal.appId) return this.error(res, 400, this.revokeRefusal.code, this.revokeRefusal.message);
    // A token that is already dead cannot be revoked again: Meta answers OAuthException 190 about it.
    if (target.dead) return this.error(res, 400, 190, target.dead.message, { error_subcode: target.dead.subcode });
    target.dead = { code: 190, subcode: 466, message: 'Error validating access token: The session was invalidated explicitly using an API call.' };
    this.send(res, 200, { success: 'true' });
  }
}
