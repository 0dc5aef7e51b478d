import { createHmac } from 'node:crypto';
import { appSecretProof, GraphClient } from '../../../lambda/adapters/graph-client';
import { CANARY_APP_SECRET, CANARY_TOKEN, expectNoSecretWindow } from '../../fakes/canary';
import { appUsageHeader, businessUsageHeader, DEBUG_TOKEN_FOREIGN_APP, graphError, OAUTH_BAD_APP_ID, OAUTH_BAD_CLIENT_SECRET, page, throttleError } from '../../fakes/meta-shapes';

type FetchFn = typeof fetch;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function client(fetchFn: FetchFn, opts: { deadlineIn?: number; now?: () => number } = {}) {
  const sleeps: number[] = [];
  let clock = 1_000_000;
  const c = new GraphClient({
    baseUrl: 'http://127.0.0.1:1/',
    version: 'v25.0',
    appId: '1234567890123456',
    appSecret: CANARY_APP_SECRET,
    timeoutMs: 1000,
    deadline: clock + (opts.deadlineIn ?? 30_000),
    fetchFn,
    sleep: async (ms) => void (sleeps.push(ms), (clock += ms)),
    random: () => 0.5,
    now: opts.now ?? (() => clock),
  });
  return { c, sleeps };
}

describe('GraphClient', () => {
  it('computes appsecret_proof as hex HMAC-SHA256 of the access token keyed with the app secret', () => {
    expect(appSecretProof('secret', 'token')).toBe(createHmac('sha256', 'secret').update('token').digest('hex'));
  });

  it('retries a transient failure with growing backoff, then returns it', async () => {
    const fetchFn = jest.fn(async () => json(503, { error: { code: 2, message: 'Service temporarily unavailable', is_transient: true } }));
    const { c, sleeps } = client(fetchFn as unknown as FetchFn);
    const r = await c.debugToken(CANARY_TOKEN);
    expect(r.ok).toBe(false);
    expect(fetchFn).toHaveBeenCalledTimes(4);
    expect(sleeps).toEqual([225, 675, 2025]);
  });

  it('does not retry a token error (code 190)', async () => {
    const fetchFn = jest.fn(async () => json(401, { error: { code: 190, error_subcode: 463, message: 'Session has expired', type: 'OAuthException' } }));
    const { c } = client(fetchFn as unknown as FetchFn);
    const r = await c.phoneNumber('1', CANARY_TOKEN);
    expect(r).toEqual({ ok: false, failure: expect.objectContaining({ code: 190, subcode: 463 }) });
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });

  it('sends nothing more with a token Meta refused (190) in this check, and says why; other tokens still go out', async () => {
    // GIVEN Meta refuses the token with the top-level 190 of a dead token (chatwoot/chatwoot#9708)
    const fetchFn = jest.fn(async (_url: URL | string, init?: RequestInit) =>
      (init?.headers as Record<string, string>).authorization === `Bearer ${CANARY_TOKEN}`
        ? json(401, { error: { code: 190, error_subcode: 463, message: 'Error validating access token: Session has expired', type: 'OAuthException' } })
        : json(200, { id: '1' }),
    );
    const { c } = client(fetchFn as unknown as FetchFn);
    // WHEN the first probe is refused, then two more probes with it and one with another token follow
    await c.phoneNumber('1', CANARY_TOKEN);
    const second = await c.wabaPhoneNumbers('2', CANARY_TOKEN);
    await c.subscribedApps('2', CANARY_TOKEN);
    const other = await c.phoneNumber('1', 'EAAGanotherTOKENcanary0001');
    // THEN
    expect(fetchFn).toHaveBeenCalledTimes(2);
    expect(second).toEqual({ ok: false, failure: expect.objectContaining({ code: 190, subcode: 463, notSent: true, message: 'not sent: Meta refused this token on an earlier call of this check (code 190/463)' }) });
    expect(other.ok).toBe(true);
  });

  it('stops retrying when another attempt would pass the deadline', async () => {
    const fetchFn = jest.fn(async () => json(500, { error: { code: 1, message: 'unknown' } }));
    // 225 ms of backoff plus a full 1000 ms request no longer fit in the 1100 ms left.
    const { c } = client(fetchFn as unknown as FetchFn, { deadlineIn: 1100 });
    await c.debugToken(CANARY_TOKEN);
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });

  it('never retries a mint: a lost answer would mean a second token', async () => {
    const fetchFn = jest.fn(async () => json(500, { error: { code: 1, message: 'unknown', is_transient: true } }));
    const { c } = client(fetchFn as unknown as FetchFn);
    await c.mintSystemUserToken('42', CANARY_TOKEN, ['whatsapp_business_messaging'], true);
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });

  it('redacts a secret that Meta echoes back in an error message', async () => {
    const fetchFn = jest.fn(async () => json(400, { error: { code: 100, message: `Invalid parameter input_token=${CANARY_TOKEN} with secret ${CANARY_APP_SECRET}` } }));
    const { c } = client(fetchFn as unknown as FetchFn);
    const r = await c.debugToken(CANARY_TOKEN);
    expect(r.ok).toBe(false);
    const text = JSON.stringify(r);
    expect(text).not.toContain(CANARY_TOKEN);
    expect(text).not.toContain(CANARY_APP_SECRET);
    expect(text).toContain('[redacted]');
  });

  it('sends the token in the Authorization header with its proof, and the version in the path', async () => {
    const fetchFn = jest.fn(async (_url: URL, _init?: RequestInit) => json(200, { id: '1', health_status: { can_send_message: 'AVAILABLE', entities: [] } }));
    const { c } = client(fetchFn as unknown as FetchFn);
    await c.phoneNumber('106540352242922', CANARY_TOKEN);
    const [url, init] = fetchFn.mock.calls[0];
    expect(url.pathname).toBe('/v25.0/106540352242922');
    expect(url.searchParams.get('appsecret_proof')).toBe(appSecretProof(CANARY_APP_SECRET, CANARY_TOKEN));
    expect(url.toString()).not.toContain(CANARY_TOKEN);
    expect((init!.headers as Record<string, string>).authorization).toBe(`Bearer ${CANARY_TOKEN}`);
  });

  it('reports a network error as unavailable without the URL', async () => {
    const fetchFn = jest.fn(async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    });
    const { c } = client(fetchFn as unknown as FetchFn, { deadlineIn: 1500 });
    const r = await c.exchangeToken(CANARY_TOKEN);
    expect(r).toEqual({ ok: false, failure: { kind: 'unavailable', message: 'network error ECONNRESET' } });
  });

  it.each([4, 17, 32, 613, 80007, 80008, 130429])('never retries throttle code %s and sends nothing more after it', async (code) => {
    // GIVEN Meta throttles the first call
    const t = throttleError(code);
    const fetchFn = jest.fn(async () => json(t.status, t.body, { 'x-app-usage': appUsageHeader(100) }));
    const { c, sleeps } = client(fetchFn as unknown as FetchFn);
    // WHEN the check makes that call and then two more
    const first = await c.debugToken(CANARY_TOKEN);
    const second = await c.phoneNumber('1', CANARY_TOKEN);
    const third = await c.wabaPhoneNumbers('2', CANARY_TOKEN);
    // THEN one request went out, no backoff, and the later calls report "not sent" with the same code
    expect(fetchFn).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
    expect(first).toEqual({ ok: false, failure: expect.objectContaining({ code }) });
    expect(second).toEqual({ ok: false, failure: expect.objectContaining({ code, notSent: true, message: expect.stringMatching(/^not sent: Meta rate-limited an earlier call/) }) });
    expect(third.ok).toBe(false);
    expect(c.rateLimited?.code).toBe(code);
  });

  it.each([
    ['Error validating client secret. (code 1)', OAUTH_BAD_CLIENT_SECRET],
    ['Invalid application ID (code 101)', OAUTH_BAD_APP_ID],
  ])('does not retry %s on the OAuth path: the app secret or app id is wrong, not Meta', async (_n, body) => {
    const fetchFn = jest.fn(async () => json(400, body));
    const { c, sleeps } = client(fetchFn as unknown as FetchFn);
    const r = await c.exchangeToken(CANARY_TOKEN);
    expect(r.ok).toBe(false);
    expect(fetchFn).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  it('reads X-App-Usage and X-Business-Use-Case-Usage on every answer and keeps the most constraining', async () => {
    const fetchFn = jest
      .fn()
      .mockResolvedValueOnce(json(200, { data: { is_valid: true } }, { 'x-app-usage': appUsageHeader(12) }))
      .mockResolvedValueOnce(json(403, graphError(200, '(#200) Permissions error'), { 'x-business-use-case-usage': businessUsageHeader('102290129340398', 64, 0) }));
    const { c } = client(fetchFn as unknown as FetchFn);
    await c.debugToken(CANARY_TOKEN);
    await c.wabaPhoneNumbers('102290129340398', CANARY_TOKEN);
    expect(c.usage.map((u) => u.percent)).toEqual([12, 64]);
    expect(c.highestUsage).toEqual({ percent: 64, header: 'X-Business-Use-Case-Usage', objectId: '102290129340398', type: 'whatsapp_business_management', regainAccessMinutes: 0 });
  });

  it.each([
    ['a 404 HTML page (wrong graphApiBaseUrl)', 404, '<html>Not Found</html>', 'text/html', 'http'],
    ["a proxy's 403 page", 403, 'Forbidden', 'text/plain', 'http'],
    ['a 503 HTML page', 503, '<html>Sorry</html>', 'text/html', 'unavailable'],
    ['a 200 HTML page (a website at graphApiBaseUrl)', 200, '<html>Welcome</html>', 'text/html; charset=utf-8', 'http'],
    ['a 200 JSON body cut short', 200, '{"data":{"is_valid":tr', 'application/json', 'unavailable'],
  ])('reads %s as kind %s', async (_n, status, body, type, kind) => {
    const fetchFn = jest.fn(async () => new Response(body, { status, headers: { 'content-type': type } }));
    const { c } = client(fetchFn as unknown as FetchFn, { deadlineIn: 1200 });
    const r = await c.debugToken(CANARY_TOKEN);
    expect(r).toEqual({ ok: false, failure: expect.objectContaining({ kind, httpStatus: status }) });
  });

  it('reads a non-2xx JSON answer without an `error` object as a failed call, never as an empty list', async () => {
    const fetchFn = jest.fn(async () => json(400, { data: [] }));
    const { c } = client(fetchFn as unknown as FetchFn);
    const r = await c.wabaPhoneNumbers('2', CANARY_TOKEN, '1');
    expect(r).toEqual({ ok: false, failure: { kind: 'http', httpStatus: 400, message: 'HTTP 400 without a Graph error object' } });
  });

  it("keeps error_data.details, error_user_title and error_user_msg (Meta's WhatsApp error shape)", async () => {
    const body = graphError(100, 'Invalid parameter', { error_subcode: 2494010, error_user_title: 'Wrong id', error_user_msg: 'Check the phone number id', error_data: { messaging_product: 'whatsapp', details: 'Unsupported field' } });
    const fetchFn = jest.fn(async () => json(400, body));
    const { c } = client(fetchFn as unknown as FetchFn);
    const r = await c.phoneNumber('1', CANARY_TOKEN);
    expect(r).toEqual({ ok: false, failure: expect.objectContaining({ code: 100, subcode: 2494010, details: 'Unsupported field', userTitle: 'Wrong id', userMessage: 'Check the phone number id' }) });
  });

  it('redacts before truncating: a token echoed across the 500-character cut leaves no 12-character fragment', async () => {
    // GIVEN an error message whose echoed token starts just before the cut
    const fetchFn = jest.fn(async () => json(400, graphError(100, `${'Invalid parameter. '.repeat(25).slice(0, 490)}${CANARY_TOKEN} and more`)));
    const { c } = client(fetchFn as unknown as FetchFn);
    // WHEN
    const r = await c.debugToken(CANARY_TOKEN);
    // THEN
    expect(r.ok).toBe(false);
    expectNoSecretWindow(JSON.stringify(r));
  });

  it("answers Meta's (#100) App_id mismatch as an error the check can recognise", async () => {
    const fetchFn = jest.fn(async () => json(400, DEBUG_TOKEN_FOREIGN_APP));
    const { c } = client(fetchFn as unknown as FetchFn);
    const r = await c.debugToken(CANARY_TOKEN);
    expect(r).toEqual({ ok: false, failure: expect.objectContaining({ kind: 'error', code: 100, message: '(#100) The App_id in the input_token did not match the Viewing App' }) });
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });

  it('reads every page of /{waba}/phone_numbers by cursor, on its own URL, until the number is found', async () => {
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: String(from + i) }));
    const fetchFn = jest
      .fn()
      .mockResolvedValueOnce(json(200, page(rows(1, 100), 'b1', 'a1', 'https://graph.facebook.com/v25.0/2/phone_numbers?after=a1')))
      .mockResolvedValueOnce(json(200, page(rows(101, 100), 'b2', 'a2', 'https://graph.facebook.com/v25.0/2/phone_numbers?after=a2')))
      .mockResolvedValueOnce(json(200, page(rows(201, 5), 'b3', 'a3')));
    const { c } = client(fetchFn as unknown as FetchFn);
    const r = await c.wabaPhoneNumbers('2', CANARY_TOKEN, '150');
    expect(r).toEqual({ ok: true, value: { ids: expect.arrayContaining(['1', '150']), complete: true } });
    expect(fetchFn).toHaveBeenCalledTimes(2);
    const second = (fetchFn.mock.calls[1] as [URL])[0];
    expect(second.host).toBe('127.0.0.1:1');
    expect(second.searchParams.get('after')).toBe('a1');
  });

  it('reads to the last page when the number is absent', async () => {
    const fetchFn = jest
      .fn()
      .mockResolvedValueOnce(json(200, page([{ id: '1' }], 'b1', 'a1', 'https://graph.facebook.com/v25.0/2/phone_numbers?after=a1')))
      .mockResolvedValueOnce(json(200, page([{ id: '2' }], 'b2', 'a2')));
    const { c } = client(fetchFn as unknown as FetchFn);
    expect(await c.wabaPhoneNumbers('2', CANARY_TOKEN, '9')).toEqual({ ok: true, value: { ids: ['1', '2'], complete: true } });
  });
});
