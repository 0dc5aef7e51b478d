import { classifyGraphFailure, describeFailure, describeTokenError, GraphFailure, isForeignAppTokenError, isSystemError } from '../../../lambda/core/classify-graph-failure';
import { DEBUG_TOKEN_FOREIGN_APP, DEBUG_TOKEN_NOT_APP_TOKEN, DEBUG_TOKEN_SYSTEM_ERROR, OAUTH_BAD_APP_ID, OAUTH_BAD_CLIENT_SECRET, throttleError } from '../../fakes/meta-shapes';

/** A GraphFailure as the adapter builds it from one of Meta's error bodies. */
const fromBody = (body: Record<string, unknown>, httpStatus = 400): GraphFailure => {
  const e = body.error as Record<string, unknown>;
  return { kind: 'error', httpStatus, code: e.code as number, subcode: e.error_subcode as number | undefined, message: String(e.message), details: (e.error_data as { details?: string } | undefined)?.details };
};

const err = (code: number | undefined, extra: Partial<GraphFailure> = {}): GraphFailure => ({ kind: 'error', code, message: 'm', httpStatus: 400, ...extra });

describe('classifyGraphFailure', () => {
  it.each([
    ['network error', { kind: 'unavailable', message: 'network' } as GraphFailure, 'transient'],
    ['HTTP 503 HTML page', { kind: 'unavailable', httpStatus: 503, message: 'html' } as GraphFailure, 'transient'],
    ['is_transient', err(2, { isTransient: true }), 'transient'],
    ['a non-JSON 404 page (wrong graphApiBaseUrl)', { kind: 'http', httpStatus: 404, message: 'html' } as GraphFailure, 'config'],
    ["a proxy's 403 page", { kind: 'http', httpStatus: 403, message: 'html' } as GraphFailure, 'config'],
    ['a 429 without a Graph error', { kind: 'http', httpStatus: 429, message: 'x' } as GraphFailure, 'rate-limited'],
    ['a 502 JSON body without error', { kind: 'http', httpStatus: 502, message: 'x' } as GraphFailure, 'transient'],
    ['an unknown code 1 (An unknown error occurred)', err(1, { httpStatus: 500 }), 'transient'],
    ["Meta's wrong client secret (code 1)", fromBody(OAUTH_BAD_CLIENT_SECRET), 'app-secret'],
    ["Meta's invalid application id (code 101)", fromBody(OAUTH_BAD_APP_ID), 'app-secret'],
    ['code 101 with a system error', err(101, { message: 'Error validating application. Cannot get application info due to a system error.' }), 'transient'],
    ["debug_token's #100 for a non-app caller", fromBody(DEBUG_TOKEN_NOT_APP_TOKEN), 'config'],
    ['a throttle marked is_transient', err(80007, { isTransient: true }), 'rate-limited'],
    ['service unavailable 131016', err(131016, { httpStatus: 503 }), 'transient'],
    ['expired token 190/463', err(190, { subcode: 463, httpStatus: 401 }), 'token'],
    ['auth exception 0', err(0), 'token'],
    ['no asset access 200', err(200, { httpStatus: 403 }), 'access'],
    ['permission 10', err(10), 'access'],
    ['wrong id 100/33', err(100, { subcode: 33 }), 'not-found'],
    ['bad parameter 100', err(100), 'config'],
    ['unknown version 2500', err(2500), 'config'],
    ['unknown code on a 500', err(999999, { httpStatus: 500 }), 'transient'],
    ['unknown code on a 400', err(999999), 'config'],
  ])('classifies %s', (_name, failure, expected) => {
    expect(classifyGraphFailure(failure)).toBe(expected);
  });

  it.each([4, 17, 32, 613, 80007, 80008, 130429])("classifies Meta's throttle code %s as rate-limited, never transient", (code) => {
    const t = throttleError(code);
    expect(classifyGraphFailure(fromBody(t.body, t.status))).toBe('rate-limited');
  });

  it('decides on the code, not the HTTP status: a 200 error code sent with HTTP 500 is still access', () => {
    expect(classifyGraphFailure(err(200, { httpStatus: 500 }))).toBe('access');
  });
});

describe('describeTokenError', () => {
  it.each([
    [190, 463, undefined, /expired.*190\/463/],
    [190, 466, undefined, /revoked/],
    [190, 460, undefined, /password changed/],
    [190, undefined, 'The access token could not be decrypted', /could not be decrypted/],
    [190, undefined, 'Invalid OAuth access token - Cannot parse access token', /cannot be parsed/],
  ])('explains code %s/%s in plain language', (code, subcode, message, expected) => {
    expect(describeTokenError(code, subcode, message)).toMatch(expected);
  });
});

describe('isForeignAppTokenError', () => {
  it("recognises Meta's top-level (#100) App_id mismatch", () => {
    expect(isForeignAppTokenError(fromBody(DEBUG_TOKEN_FOREIGN_APP))).toBe(true);
  });

  it('does not take other #100 errors for it', () => {
    expect(isForeignAppTokenError(fromBody(DEBUG_TOKEN_NOT_APP_TOKEN))).toBe(false);
  });
});

describe('isSystemError', () => {
  it("recognises the system error Meta puts inside debug_token's data (bk-rs capture)", () => {
    const e = (DEBUG_TOKEN_SYSTEM_ERROR.data as { error: { code: number; message: string } }).error;
    expect(isSystemError(e.code, e.message)).toBe(true);
  });

  it.each([
    [190, 'The access token could not be decrypted'],
    [190, 'Error validating access token: Session has expired on Friday.'],
  ])('does not read a dead token (%s %s) as a system error', (code, message) => {
    expect(isSystemError(code, message)).toBe(false);
  });
});

describe('describeFailure', () => {
  it('names the code, the details, the text for people and the trace id', () => {
    const t = throttleError(80007);
    const text = describeFailure({ ...fromBody(t.body, t.status), userTitle: 'Slow down', userMessage: 'Too many calls', fbtraceId: 'AbC' });
    expect(text).toBe('Meta code 80007: (#80007) Rate limit issues (details: The WhatsApp Business Account has reached its rate limit.; Meta says: Slow down: Too many calls; fbtrace_id AbC)');
  });
});
