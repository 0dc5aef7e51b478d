// The scheduled and on-demand check, end to end through real fetch and the real SDK, against loopback
// fakes of Graph and Secrets Manager.
import { createHmac, randomUUID } from 'node:crypto';
import { CheckReport, DEMOTED_LABEL_PREFIX, EnvVar } from '../../../lambda/contract';
import { handInVersionId } from '../../../lambda/core/plan-rotation';
import { APP_ID, CANARY_APP_SECRET, CANARY_TOKEN, expectNoCanary, PHONE_ID, WABA_ID } from '../../fakes/canary';
import { DISPLAY_NAME_INFO, graphError, healthBlockedSip, OAUTH_BAD_CLIENT_SECRET, PAYMENT_SOLUTION } from '../../fakes/meta-shapes';
import { emfLines, startWorld, World } from '../../fakes/world';

const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
const DAY = 86_400;
const nowS = (): number => Math.floor(Date.now() / 1000);

let world: World;
afterEach(async () => {
  // Every scenario: the canary never leaves the function.
  expectNoCanary(world.output.join(''));
  await world.stop();
});

async function check(w: World, event: unknown = SCHEDULED): Promise<CheckReport> {
  return (await w.invoke(event)) as CheckReport;
}

function lastMetrics(w: World): Record<string, unknown> {
  const lines = emfLines(w.output);
  expect(lines.length).toBeGreaterThan(0);
  return lines[lines.length - 1];
}

describe('scheduled check', () => {
  it('reports a healthy never-expiring system-user token and emits the contract metrics under TokenName only', async () => {
    // Prepare
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    // Act
    const report = await check(world);
    // Assess
    expect(report.outcome).toBe('healthy');
    expect(report.token?.expiresAt).toBe('never');
    const emf = lastMetrics(world);
    expect(emf._aws).toEqual({
      Timestamp: expect.any(Number),
      CloudWatchMetrics: [
        {
          Namespace: 'WhatsAppTokenGuard',
          Dimensions: [['TokenName']],
          Metrics: expect.arrayContaining([
            { Name: 'TokenValid', Unit: 'Count' },
            { Name: 'SystemUserToken', Unit: 'Count' },
            { Name: 'MissingScopes', Unit: 'Count' },
            { Name: 'CheckFailed', Unit: 'Count' },
          ]),
        },
      ],
    });
    expect(emf).toMatchObject({ TokenName: 'primary', TokenValid: 1, SystemUserToken: 1, MissingScopes: 0, CheckFailed: 0 });
    expect(emf).not.toHaveProperty('DaysUntilExpiry');
    expect(emf).not.toHaveProperty('AssetAccess');
  });

  it('calls debug_token with the app token in the Authorization header and a correct appsecret_proof', async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    await check(world);
    const req = world.graph.requests.find((r) => r.path === '/v25.0/debug_token')!;
    const appToken = `${APP_ID}|${CANARY_APP_SECRET}`;
    expect(req.authorization).toBe(`Bearer ${appToken}`);
    expect(req.query.access_token).toBeUndefined();
    expect(req.query.appsecret_proof).toBe(createHmac('sha256', CANARY_APP_SECRET).update(appToken).digest('hex'));
  });

  it('probes the phone number and WABA with the token in the header and emits AssetAccess', async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: { [EnvVar.WabaId]: WABA_ID, [EnvVar.PhoneNumberId]: PHONE_ID } });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: nowS() + 50 * DAY });
    const report = await check(world);
    expect(report.outcome).toBe('healthy');
    expect(report.assets?.phoneNumber).toMatchObject({ outcome: 'ok', canSendMessage: 'AVAILABLE' });
    const probes = world.graph.requests.filter((r) => r.path !== '/v25.0/debug_token');
    expect(probes.map((r) => r.path).sort()).toEqual([`/v25.0/${PHONE_ID}`, `/v25.0/${WABA_ID}/phone_numbers`, `/v25.0/${WABA_ID}/subscribed_apps`].sort());
    for (const r of probes) {
      expect(r.authorization).toBe(`Bearer ${CANARY_TOKEN}`);
      expect(JSON.stringify(r.query)).not.toContain(CANARY_TOKEN);
    }
    expect(lastMetrics(world)).toMatchObject({ AssetAccess: 1, DaysUntilExpiry: expect.any(Number) });
    expect(lastMetrics(world).DaysUntilExpiry as number).toBeCloseTo(50, 0);
  });

  it('reports denied asset access (code 200) as AssetAccess 0 with the remedy', async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: { [EnvVar.WabaId]: WABA_ID, [EnvVar.PhoneNumberId]: PHONE_ID } });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN, { wabas: [] });
    const report = await check(world);
    expect(report.outcome).toBe('unhealthy');
    expect(report.problems.map((p) => p.id)).toContain('AssetAccessDenied');
    expect(report.problems[0].fix).toMatch(/Assign assets/);
    expect(lastMetrics(world)).toMatchObject({ AssetAccess: 0, TokenValid: 1, CheckFailed: 0 });
  });

  it.each([
    ['expired', { dead: { code: 190, subcode: 463, message: 'Error validating access token: Session has expired' } }, /expired/],
    ['revoked', { dead: { code: 190, subcode: 466, message: 'invalidated' } }, /revoked/],
  ])('reports an %s token as invalid (TokenValid 0), not as a failed check', async (_n, rec, reason) => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN, rec);
    const report = await check(world);
    expect(report.outcome).toBe('unhealthy');
    expect(report.problems[0]).toMatchObject({ id: 'TokenInvalid', detail: expect.stringMatching(reason) });
    expect(lastMetrics(world)).toMatchObject({ TokenValid: 0, CheckFailed: 0 });
  });

  it('reports a token Meta cannot decrypt as invalid', async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    const report = await check(world);
    expect(report.problems[0]).toMatchObject({ id: 'TokenInvalid', detail: expect.stringContaining('could not be decrypted') });
  });

  it('reports a missing token as a configuration problem, not an invalid token', async () => {
    world = await startWorld({});
    const report = await check(world);
    expect(report.outcome).toBe('check-failed');
    expect(report.problems.map((p) => p.id)).toEqual(['TokenNotSet']);
    expect(lastMetrics(world)).toEqual(expect.objectContaining({ CheckFailed: 1 }));
    expect(lastMetrics(world)).not.toHaveProperty('TokenValid');
  });

  it('reports a missing app secret as a configuration problem, not an invalid token', async () => {
    world = await startWorld({ token: CANARY_TOKEN, appSecret: null });
    const report = await check(world);
    expect(report.problems.map((p) => p.id)).toEqual(['AppSecretNotSet']);
    expect(report.problems[0].fix).toContain('set-app-secret');
    expect(lastMetrics(world)).not.toHaveProperty('TokenValid');
    expect(world.graph.requests).toHaveLength(0);
  });

  it('reports a malformed token secret by its shape, never its value', async () => {
    world = await startWorld({});
    world.sm.createSecret('other'); // unrelated secret in the account
    const v = world.sm.find(world.tokenSecret.arn);
    v.versions.set('v1', { id: 'v1', value: `{"token":"${CANARY_TOKEN}"}`, stages: new Set(['AWSCURRENT']), created: 0 });
    const report = await check(world);
    expect(report.problems[0]).toMatchObject({ id: 'SecretMalformed', detail: expect.stringContaining('found keys: token') });
    expectNoCanary(JSON.stringify(report));
  });

  it('reports an app secret Meta refuses as AppTokenRejected', async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.appSecret = 'the-app-secret-was-reset';
    const report = await check(world);
    expect(report.outcome).toBe('check-failed');
    expect(report.problems[0].id).toBe('AppTokenRejected');
    expect(lastMetrics(world)).not.toHaveProperty('TokenValid');
  });

  it.each([
    ['a 503 HTML page', { kind: 'down' as const }],
    ['a 500 with is_transient', { kind: 'server-error' as const }],
    ['connection resets', { kind: 'reset' as const }],
    ['a truncated JSON body', { kind: 'raw' as const, status: 200, body: '{"data":{"is_valid":tr' }],
    ['JSON without data', { kind: 'raw' as const, status: 200, body: '{"ok":true}' }],
  ])('retries %s within bounds, then reports a failed check, never an invalid token', async (_n, fault) => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = fault;
    const report = await check(world);
    expect(report.outcome).toBe('check-failed');
    expect(report.problems[0].id).toBe('GraphUnavailable');
    expect(lastMetrics(world)).toEqual(expect.objectContaining({ CheckFailed: 1 }));
    expect(lastMetrics(world)).not.toHaveProperty('TokenValid');
    const transientOnTheWire = fault.kind !== 'raw' || fault.body.startsWith('{"data":{"is_valid":tr');
    if (transientOnTheWire) expect(world.graph.requests.length).toBeGreaterThan(1);
    expect(world.graph.requests.length).toBeLessThanOrEqual(4);
  });

  it('recovers when Meta answers on a retry', async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'down' };
    world.graph.faultCount = 1;
    const report = await check(world);
    expect(report.outcome).toBe('healthy');
    expect(world.graph.requests).toHaveLength(2);
  });

  it('gives up on a slow Graph before the Lambda deadline', async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'slow', ms: 3000 };
    const started = Date.now();
    const report = (await world.invoke(SCHEDULED, 6000)) as CheckReport;
    expect(Date.now() - started).toBeLessThan(6000);
    expect(report.outcome).toBe('check-failed');
    expect(report.problems[0].detail).toMatch(/no answer within/);
  });
});

/** The EMF line of the app-level usage metric, when the check published one. */
const usageLine = (w: World): Record<string, unknown> | undefined => emfLines(w.output).find((l) => 'AppId' in l);
const withAssets = { [EnvVar.WabaId]: WABA_ID, [EnvVar.PhoneNumberId]: PHONE_ID };
const paths = (w: World): string[] => w.graph.requests.map((r) => r.path);

describe("Meta's real answers", () => {
  it("reads debug_token's (#100) App_id mismatch as WrongApp: TokenValid 0 and the fix names the configured app", async () => {
    // GIVEN a token issued for another app; Meta answers debug_token with a top-level (#100) error
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN, { appId: '999999999999' });
    // WHEN
    const report = await check(world);
    // THEN
    expect(report.outcome).toBe('unhealthy');
    expect(report.problems.map((p) => p.id)).toEqual(['WrongApp']);
    expect(report.problems[0].fix).toMatch(/Generate the token for the configured app/);
    expect(report.problems[0].detail).toContain('did not match the Viewing App');
    expect(lastMetrics(world)).toMatchObject({ TokenValid: 0, CheckFailed: 0 });
    expect(paths(world)).toEqual(['/v25.0/debug_token']);
  });

  it('keeps the defensive path: debug_token calling the token valid for another app_id is WrongApp too', async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN, { appId: '999999999999' });
    world.graph.foreignAppAnswer = 'data';
    const report = await check(world);
    expect(report.problems.map((p) => p.id)).toEqual(['WrongApp']);
    expect(lastMetrics(world)).toMatchObject({ TokenValid: 0, CheckFailed: 0 });
  });

  it("does not page 'cannot send' for Meta's SIP-blocked example and shows the calling block in the report", async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID, healthStatus: healthBlockedSip });
    world.graph.addToken(CANARY_TOKEN);
    const report = await check(world);
    expect(report.outcome).toBe('healthy');
    expect(report.assets?.phoneNumber).toMatchObject({ canSendMessage: 'AVAILABLE', health: [expect.stringContaining('can_receive_call_sip BLOCKED (calling only)'), expect.any(String)] });
    expect(lastMetrics(world)).toMatchObject({ AssetAccess: 1, CheckFailed: 0 });
  });

  it("puts a LIMITED number's additional_info in the report and the log line", async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID, canSendMessage: 'LIMITED' });
    world.graph.addToken(CANARY_TOKEN);
    const report = await check(world);
    expect(report.problems.map((p) => p.id)).toEqual(['MessagingLimited']);
    expect(report.problems[0].detail).toContain(DISPLAY_NAME_INFO);
    expect(world.output.join('')).toContain(DISPLAY_NAME_INFO);
    expect(lastMetrics(world)).toMatchObject({ AssetAccess: 1 });
  });

  it("puts each blocking error's possible_solution in the report and the log line", async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID, canSendMessage: 'BLOCKED' });
    world.graph.addToken(CANARY_TOKEN);
    const report = await check(world);
    expect(report.problems.map((p) => p.id)).toEqual(['MessagingBlocked']);
    expect(report.problems[0].detail).toContain(PAYMENT_SOLUTION);
    expect(world.output.join('')).toContain(PAYMENT_SOLUTION);
    expect(lastMetrics(world)).toMatchObject({ AssetAccess: 0 });
  });

  it.each([4, 17, 32, 613, 80007, 80008, 130429])('stops at throttle code %s: one call, GraphRateLimited, CheckFailed 1, never TokenValid 0', async (code) => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'throttle', code };
    const report = await check(world);
    expect(report.outcome).toBe('check-failed');
    expect(report.problems.map((p) => p.id)).toEqual(['GraphRateLimited']);
    expect(report.problems[0].what).toMatch(/not an outage/);
    expect(report.graphUsage).toMatchObject({ percent: 100 });
    expect(paths(world)).toEqual(['/v25.0/debug_token']);
    expect(lastMetrics(world)).toEqual(expect.objectContaining({ CheckFailed: 1 }));
    expect(lastMetrics(world)).not.toHaveProperty('TokenValid');
    expect(usageLine(world)).toMatchObject({ AppId: APP_ID, GraphUsagePercent: 100 });
  });

  it('sends no sibling probe after a throttled probe, and keeps the token verdict', async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'throttle', code: 80008 };
    world.graph.faultPath = new RegExp(`/${PHONE_ID}$`);
    const report = await check(world);
    expect(paths(world)).toEqual(['/v25.0/debug_token', `/v25.0/${PHONE_ID}`]);
    expect(report.problems.map((p) => p.id)).toEqual(['GraphRateLimited']);
    expect(report.problems[0].detail).toMatch(/estimates access returns in about 19 min/);
    expect(lastMetrics(world)).toMatchObject({ TokenValid: 1, CheckFailed: 1 });
    expect(lastMetrics(world)).not.toHaveProperty('AssetAccess');
  });

  it('skips the optional probes while usage is at or above 80%, and publishes the usage', async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.appUsagePercent = 91;
    const report = await check(world);
    expect(paths(world)).toEqual(['/v25.0/debug_token']);
    expect(report.problems.map((p) => p.id)).toEqual(['GraphUsageHigh']);
    expect(report.problems[0].detail).toMatch(/^X-App-Usage at 91%; skipped: GET \/\d+, GET \/\d+\/phone_numbers, GET \/\d+\/subscribed_apps$/);
    expect(report.graphUsage).toEqual({ percent: 91, header: 'X-App-Usage' });
    expect(lastMetrics(world)).toMatchObject({ TokenValid: 1, CheckFailed: 1 });
    expect(usageLine(world)).toMatchObject({ AppId: APP_ID, GraphUsagePercent: 91, _aws: { CloudWatchMetrics: [{ Dimensions: [['AppId']], Metrics: [{ Name: 'GraphUsagePercent', Unit: 'Percent' }] }] } });
  });

  it('stops probing once a WABA answer reports its quota nearly used', async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.wabaUsage.set(WABA_ID, { percent: 85 });
    const report = await check(world);
    // The phone number answer carried the WABA's usage; the two WABA edges were skipped.
    expect(paths(world)).toEqual(['/v25.0/debug_token', `/v25.0/${PHONE_ID}`]);
    expect(report.problems.map((p) => p.id)).toEqual(['GraphUsageHigh']);
    expect(report.graphUsage).toMatchObject({ header: 'X-Business-Use-Case-Usage', objectId: WABA_ID, percent: 85 });
  });

  it('validates a candidate completely during rotation, probes included, even while usage is high', async () => {
    // GIVEN a handed-in candidate and Meta's usage at 90%
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN);
    const candidate = world.graph.addToken('EAAGcandidateTOKENforTESTsecret01');
    // (set-token stores the hand-in under the version id bound to the rotation it then starts)
    const rotationId = randomUUID();
    const handIn = handInVersionId(rotationId);
    world.sm.find(world.tokenSecret.arn).versions.set(handIn, { id: handIn, value: JSON.stringify({ accessToken: candidate }), stages: new Set(['TOKENGUARD_CANDIDATE']), created: 0 });
    world.graph.appUsagePercent = 90;
    // WHEN the rotation runs testSecret on it
    const { error } = await world.rotate({ ClientRequestToken: rotationId });
    // THEN every probe was made for the candidate, and it was promoted
    expect(error).toBeUndefined();
    const probed = world.graph.requests.filter((r) => r.authorization === `Bearer ${candidate}`).map((r) => r.path);
    // Once by testSecret, and once more by finishSecret, which promotes only what it judged itself.
    const once = [`/v25.0/${PHONE_ID}`, `/v25.0/${WABA_ID}/phone_numbers`, `/v25.0/${WABA_ID}/subscribed_apps`];
    expect(probed).toEqual([...once, ...once]);
  });

  it("reads Meta's \"Error validating client secret.\" (code 1) on debug_token as AppTokenRejected, without retries", async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'raw', status: 400, body: JSON.stringify(OAUTH_BAD_CLIENT_SECRET) };
    const report = await check(world);
    expect(report.problems.map((p) => p.id)).toEqual(['AppTokenRejected']);
    expect(world.graph.requests).toHaveLength(1);
    expect(lastMetrics(world)).not.toHaveProperty('TokenValid');
  });

  it('makes no revoke call after a throttled probe; the next check revokes', async () => {
    // GIVEN refresh mode with a 1-hour grace period, after a refresh whose grace period is over
    world = await startWorld({ token: CANARY_TOKEN, env: { ...withAssets, [EnvVar.RotationMode]: 'refresh', [EnvVar.RevokePreviousAfterHours]: '1' } });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: nowS() + 20 * DAY });
    expect((await world.rotate()).error).toBeUndefined();
    // (the grace period runs from the promotion the rotation recorded on the demoted version: move it 2 h back)
    for (const v of world.sm.find(world.tokenSecret.arn).versions.values()) {
      for (const l of [...v.stages]) {
        if (!l.startsWith(DEMOTED_LABEL_PREFIX)) continue;
        const [at, ...rest] = l.slice(DEMOTED_LABEL_PREFIX.length).split('_');
        v.stages.delete(l);
        v.stages.add(`${DEMOTED_LABEL_PREFIX}${[Number(at) - 2 * 3600, ...rest].join('_')}`);
      }
    }
    // WHEN a scheduled check is throttled on a probe
    world.graph.fault = { kind: 'throttle', code: 80008 };
    world.graph.faultPath = new RegExp(`/${PHONE_ID}$`);
    world.graph.faultCount = 1;
    await check(world);
    // THEN nothing more is sent, the revoke included
    const revokes = (): number => world.graph.requests.filter((r) => r.path.endsWith('/oauth/revoke')).length;
    expect(revokes()).toBe(0);
    // AND the next check, no longer throttled, revokes the previous token
    await check(world);
    expect(revokes()).toBe(1);
  });

  it('reads a 404 HTML page (wrong graphApiBaseUrl) as a configuration problem, without retries', async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'raw', status: 404, body: '<!DOCTYPE html><html><body>Not Found</body></html>', contentType: 'text/html' };
    const report = await check(world);
    expect(report.problems.map((p) => p.id)).toEqual(['GraphConfig']);
    expect(report.problems[0].detail).toMatch(/HTTP 404 with a body that is not JSON \(text\/html/);
    expect(report.problems[0].fix).toMatch(/graphApiBaseUrl/);
    expect(world.graph.requests).toHaveLength(1);
  });

  it('reads a non-2xx JSON answer without `error` on phone_numbers as a failed call, not "phone not in WABA"', async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'raw', status: 400, body: '{"data":[]}' };
    world.graph.faultPath = /phone_numbers$/;
    const report = await check(world);
    expect(report.problems.map((p) => p.id)).toEqual(['GraphConfig']);
    expect(lastMetrics(world)).toMatchObject({ TokenValid: 1, CheckFailed: 1 });
    expect(lastMetrics(world)).not.toHaveProperty('AssetAccess');
  });

  it("reads debug_token's is_valid false with a system error in data as a failed check, not an invalid token", async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'debug-system-error' };
    const report = await check(world);
    expect(report.outcome).toBe('check-failed');
    expect(report.problems.map((p) => p.id)).toEqual(['GraphUnavailable']);
    expect(report.problems[0].detail).toContain('Cannot get application info due to a system error');
    expect(lastMetrics(world)).not.toHaveProperty('TokenValid');
  });

  it('reports code 190 on a probe right after a valid debug_token as a failed check, not "assign assets", and sends no other probe', async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'raw', status: 401, body: JSON.stringify(graphError(190, 'Error validating access token: Session has expired on Friday.', { error_subcode: 463 })) };
    world.graph.faultPath = new RegExp(`/${PHONE_ID}$`);
    const report = await check(world);
    expect(report.problems.map((p) => p.id)).toEqual(['TokenRefusedByProbe']);
    expect(lastMetrics(world)).toMatchObject({ TokenValid: 1, CheckFailed: 1 });
    // The token would only be refused again: neither WABA probe was sent, and the report says why.
    expect(world.graph.requests.filter((r) => /\/(phone_numbers|subscribed_apps)$/.test(r.path))).toEqual([]);
    expect(report.assets?.wabaPhoneNumbers).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/not sent: Meta refused this token on an earlier call of this check \(code 190\/463\)/) });
  });

  it('reads every page of /{waba}/phone_numbers: a number on the second page is in the WABA', async () => {
    world = await startWorld({ token: CANARY_TOKEN, env: withAssets });
    world.graph.addWaba(WABA_ID, { id: PHONE_ID });
    world.graph.addNumbers(WABA_ID, 130);
    world.graph.addToken(CANARY_TOKEN);
    const report = await check(world);
    expect(report.outcome).toBe('healthy');
    expect(paths(world).filter((p) => p.endsWith('/phone_numbers'))).toHaveLength(2);
  });

  it('never lets an echoed token out, even one that straddles the 500-character cut of the message', async () => {
    // GIVEN Meta echoes the token across the truncation point (the afterEach scans the output for any
    // 12-character window of a secret)
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'raw', status: 400, body: JSON.stringify(graphError(100, `${'Invalid parameter input_token. '.repeat(16).slice(0, 495)}${CANARY_TOKEN}`)) };
    // WHEN
    const report = await check(world);
    // THEN
    expect(report.problems.map((p) => p.id)).toEqual(['GraphConfig']);
    expectNoCanary(JSON.stringify(report));
  });
});

describe('on-demand check', () => {
  it('returns the full report for {"action":"check"}', async () => {
    world = await startWorld({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN, { scopes: ['whatsapp_business_messaging'], type: 'USER', expiresAt: nowS() + 40 * DAY });
    const report = await check(world, { action: 'check' });
    expect(report.problems.map((p) => p.id)).toEqual(['NotSystemUserToken', 'MissingScopes']);
    expect(report.problems.every((p) => p.fix.length > 20)).toBe(true);
    expect(report.token).toMatchObject({ type: 'USER', appId: APP_ID, missingScopes: ['whatsapp_business_management'] });
  });

  it('checks a handed-in candidate without moving the health metrics', async () => {
    world = await startWorld({ token: 'EAAGoldTOKEN00000' });
    world.graph.addToken(CANARY_TOKEN);
    world.sm.find(world.tokenSecret.arn).versions.set('cand', { id: 'cand', value: CANARY_TOKEN, stages: new Set(['TOKENGUARD_CANDIDATE']), created: 0 });
    const report = await check(world, { action: 'check', versionStage: 'TOKENGUARD_CANDIDATE' });
    expect(report.outcome).toBe('healthy');
    expect(report.metrics).toEqual({});
    expect(emfLines(world.output)).toHaveLength(0);
  });

  it.each([
    ['null', null, /expected a JSON object/],
    ['an unknown action', { action: 'rotate' }, /unknown action/],
    ['a bad rotation step', { Step: 'deleteSecret', SecretId: 'x', ClientRequestToken: 'y' }, /invalid rotation Step/],
    ['an unrelated event', { hello: 'world' }, /not a rotation step/],
  ])('refuses %s with a clear error', async (_n, event, message) => {
    world = await startWorld({ token: CANARY_TOKEN });
    await expect(world.invoke(event)).rejects.toThrow(message);
  });
});
