import { createHmac } from 'node:crypto';
import { appSecretProof, GraphClient } from '../../../lambda/adapters/graph-client';
import { CANARY_APP_SECRET, CANARY_TOKEN } from '../../fakes/canary';

type FetchFn = typeof fetch;
const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

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
});
