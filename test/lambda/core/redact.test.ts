import { redact, redactThenTruncate, SECRET_WINDOW } from '../../../lambda/core/redact';
import { APP_ID, CANARY_APP_SECRET, CANARY_TOKEN, expectNoSecretWindow } from '../../fakes/canary';

describe('redact', () => {
  it('removes a secret whole, URL-encoded and JSON-escaped', () => {
    const appToken = `${APP_ID}|${CANARY_APP_SECRET}`;
    const text = `a ${CANARY_TOKEN} b ${encodeURIComponent(appToken)} c ${JSON.stringify(appToken)}`;
    const out = redact(text, [CANARY_TOKEN, appToken]);
    expectNoSecretWindow(out);
    expect(out).toContain('[redacted]');
  });

  it(`removes any run of ${SECRET_WINDOW} or more characters copied from a secret (a cut-off echo)`, () => {
    const out = redact(`token=${CANARY_TOKEN.slice(0, 20)}... was rejected`, [CANARY_TOKEN]);
    expect(out).toBe('token=[redacted]... was rejected');
  });

  it("keeps the public app id of an app token ('{app-id}|{app-secret}') and removes its secret", () => {
    expect(redact(`configured app id ${APP_ID}; token ${APP_ID}|${CANARY_APP_SECRET}`, [`${APP_ID}|${CANARY_APP_SECRET}`])).toBe(`configured app id ${APP_ID}; token [redacted]`);
  });

  it('leaves ordinary text alone', () => {
    expect(redact('Error validating access token: Session has expired', [CANARY_TOKEN, CANARY_APP_SECRET])).toBe('Error validating access token: Session has expired');
  });
});

describe('redactThenTruncate', () => {
  it('redacts before cutting, so a token that straddles the cut leaves nothing behind', () => {
    // GIVEN Meta echoes the token so that it crosses the 500-character cut
    const message = `${'x'.repeat(490)}${CANARY_TOKEN} tail`;
    // WHEN
    const out = redactThenTruncate(message, [CANARY_TOKEN], 500);
    // THEN not even 12 characters of the token survive
    expectNoSecretWindow(out);
    expect(out.length).toBeLessThanOrEqual(500);
  });
});
