import { classifyGraphFailure, describeTokenError, GraphFailure } from '../../../lambda/core/classify-graph-failure';

const err = (code: number | undefined, extra: Partial<GraphFailure> = {}): GraphFailure => ({ kind: 'error', code, message: 'm', httpStatus: 400, ...extra });

describe('classifyGraphFailure', () => {
  it.each([
    ['network error', { kind: 'unavailable', message: 'network' } as GraphFailure, 'transient'],
    ['HTTP 503 HTML page', { kind: 'unavailable', httpStatus: 503, message: 'html' } as GraphFailure, 'transient'],
    ['is_transient', err(2, { isTransient: true }), 'transient'],
    ['app throttling 4', err(4), 'transient'],
    ['WABA rate limit 80007', err(80007), 'transient'],
    ['throughput 130429', err(130429, { httpStatus: 429 }), 'transient'],
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
