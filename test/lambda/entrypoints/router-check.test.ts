// The scheduled and on-demand check, end to end through real fetch and the real SDK, against loopback
// fakes of Graph and Secrets Manager.
import { createHmac } from 'node:crypto';
import { CheckReport, EnvVar } from '../../../lambda/contract';
import { APP_ID, CANARY_APP_SECRET, CANARY_TOKEN, expectNoCanary, PHONE_ID, WABA_ID } from '../../fakes/canary';
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
    ['throttling code 4', { kind: 'throttle' as const, code: 4 }],
    ['WABA rate limit 80007', { kind: 'throttle' as const, code: 80007 }],
    ['throughput limit 130429', { kind: 'throttle' as const, code: 130429 }],
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
