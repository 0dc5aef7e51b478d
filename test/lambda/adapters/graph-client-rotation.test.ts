// The three calls that obtain or kill tokens: fb_exchange_token, the mint, and /oauth/revoke. None is retried
// blindly (a lost answer may already have issued or revoked a token), and revoke follows Meta's documented shape:
// https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/
import { appSecretProof, GraphClient } from '../../../lambda/adapters/graph-client';
import { CANARY_APP_SECRET, CANARY_TOKEN } from '../../fakes/canary';
import { DEBUG_TOKEN_SYSTEM_ERROR, DEBUG_TOKEN_UNDECRYPTABLE, exchangeAnswerWithoutExpiresIn, MINT_TWO_FACTOR_REQUIRED } from '../../fakes/meta-shapes';

type FetchFn = typeof fetch;
const OLD = 'EAAGoldTOKENtoREVOKEcanary0009';
const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function client(fetchFn: FetchFn): GraphClient {
  let clock = 1_000_000;
  return new GraphClient({ baseUrl: 'http://127.0.0.1:1', version: 'v25.0', appId: '1234567890123456', appSecret: CANARY_APP_SECRET, timeoutMs: 1000, deadline: clock + 30_000, fetchFn, sleep: async (ms) => void (clock += ms), random: () => 0.5, now: () => clock });
}

describe('GraphClient exchange, mint and revoke', () => {
  it('sends the caller token of a revoke in the access_token parameter with its proof, not in a Bearer header', async () => {
    // GIVEN Meta confirms the revoke the way its page shows it
    const fetchFn = jest.fn(async (_url: URL | string, _init?: RequestInit) => json(200, { success: 'true' }));
    // WHEN
    const r = await client(fetchFn as unknown as FetchFn).revokeToken(OLD, CANARY_TOKEN);
    // THEN
    expect(r).toEqual({ ok: true, outcome: 'revoked' });
    const [url, init] = fetchFn.mock.calls[0];
    const q = new URL(String(url)).searchParams;
    expect(new URL(String(url)).pathname).toBe('/v25.0/oauth/revoke');
    expect(Object.fromEntries(q)).toEqual({ client_id: '1234567890123456', client_secret: CANARY_APP_SECRET, revoke_token: OLD, access_token: CANARY_TOKEN, appsecret_proof: appSecretProof(CANARY_APP_SECRET, CANARY_TOKEN) });
    expect((init?.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it.each([
    ['boolean true', { success: true }, { ok: true, outcome: 'revoked' }],
    ['success false', { success: false }, { ok: false }],
    ['no success field', {}, { ok: false }],
    ['success "false"', { success: 'false' }, { ok: false }],
  ])('accepts only success true as revoked: %s', async (_n, body, expected) => {
    const r = await client((async () => json(200, body)) as unknown as FetchFn).revokeToken(OLD, CANARY_TOKEN);
    expect(r).toMatchObject(expected);
  });

  it.each([
    // debug_token (app token) on the token to revoke decides whom the 190 is about.
    ['already invalid when debug_token says the token to revoke is dead', DEBUG_TOKEN_UNDECRYPTABLE, { ok: true, outcome: 'already-invalid' }],
    // The valid answer is trimmed from Meta's debug_token reference (https://developers.facebook.com/docs/graph-api/reference/debug_token/).
    ['a failure naming the caller when the token to revoke is still valid', { data: { app_id: '1234567890123456', is_valid: true, scopes: [] } }, { ok: false, failure: { code: 190, message: expect.stringMatching(/about the caller token/) } }],
    ["a failure when debug_token answers with Meta's own system error", DEBUG_TOKEN_SYSTEM_ERROR, { ok: false, failure: { code: 190, message: expect.stringMatching(/no verdict/) } }],
  ])('reads a 190 answer to a revoke as %s', async (_n, debugBody, expected) => {
    const fetchFn = jest.fn(async (url: URL | string) =>
      new URL(String(url)).pathname.endsWith('/debug_token')
        ? json(200, debugBody)
        : json(400, { error: { message: 'Error validating access token: The session was invalidated explicitly using an API call.', type: 'OAuthException', code: 190, error_subcode: 466 } }),
    );
    expect(await client(fetchFn as unknown as FetchFn).revokeToken(OLD, CANARY_TOKEN)).toMatchObject(expected);
    expect(fetchFn).toHaveBeenCalledTimes(2);
  });

  it("keeps Meta's words for a person in a refused mint's message: the two-factor refusal says there how to get past it", async () => {
    // GIVEN Meta's answer of facebook/facebook-java-business-sdk#437
    const r = await client((async () => json(400, MINT_TWO_FACTOR_REQUIRED)) as unknown as FetchFn).mintSystemUserToken('42', CANARY_TOKEN, ['whatsapp_business_messaging'], true);
    // THEN
    expect(r.ok).toBe(false);
    const f = (r as { failure: { code?: number; subcode?: number; message: string } }).failure;
    expect(f).toMatchObject({ code: 415, subcode: 2859009 });
    expect(f.message).toMatch(/^Two factor authentication required\..* \(Meta says: Two-factor authentication required: To continue working in your account, please refresh this page to authenticate\. Or navigate to the business settings page {2}and authenticate when prompted\.\)$/);
  });

  it('takes an fb_exchange_token answer without expires_in: the token, with no expiry of its own', async () => {
    // GIVEN the answer of pixelant/pxa_social_feed#105
    const r = await client((async () => json(200, exchangeAnswerWithoutExpiresIn('EAAGrefreshedCANARY0010'))) as unknown as FetchFn).exchangeToken(CANARY_TOKEN);
    expect(r).toEqual({ ok: true, token: 'EAAGrefreshedCANARY0010', expiresIn: undefined });
  });

  it('does not retry a failed revoke', async () => {
    const down = jest.fn(async () => json(503, { error: { code: 2, message: 'Service temporarily unavailable', is_transient: true } }));
    expect((await client(down as unknown as FetchFn).revokeToken(OLD, CANARY_TOKEN)).ok).toBe(false);
    expect(down).toHaveBeenCalledTimes(1);
  });

  it('never retries fb_exchange_token: a lost answer may already have issued a token', async () => {
    const fetchFn = jest.fn(async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    });
    const r = await client(fetchFn as unknown as FetchFn).exchangeToken(CANARY_TOKEN);
    expect(r.ok).toBe(false);
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });

  it('never retries the mint either', async () => {
    const fetchFn = jest.fn(async () => json(500, { error: { code: 1, message: 'An unknown error occurred', is_transient: true } }));
    const r = await client(fetchFn as unknown as FetchFn).mintSystemUserToken('122098765432101234', CANARY_TOKEN, ['whatsapp_business_messaging'], true);
    expect(r.ok).toBe(false);
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });
});
