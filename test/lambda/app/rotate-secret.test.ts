// Full rotations driven as Secrets Manager drives them, against the stateful loopback Secrets Manager
// and the Graph emulator. After every scenario: AWSCURRENT holds a validated token, AWSPREVIOUS the one
// before, no AWSPENDING blocks the next rotation, and no secret reached the output.
import { PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CANDIDATE_LABEL, EnvVar, REJECTED_LABEL } from '../../../lambda/contract';
import { APP_ID, CANARY_TOKEN, expectNoCanary, PHONE_ID, SYSTEM_USER_ID, WABA_ID } from '../../fakes/canary';
import { emfLines, startWorld, World } from '../../fakes/world';

const DAY = 86_400;
const nowS = (): number => Math.floor(Date.now() / 1000);
const NEW_TOKEN = 'EAAGnewHANDMADEcanaryTOKEN0002';

let world: World;
afterEach(async () => {
  expectNoCanary(world.output.join(''), [NEW_TOKEN, ...issuedTokens(world)]);
  await world.stop();
});

function issuedTokens(w: World): string[] {
  return [...w.graph.tokens.keys()].filter((t) => t.includes('refreshed') || t.includes('minted'));
}

function client(w: World): SecretsManagerClient {
  return new SecretsManagerClient({ region: 'us-east-1', endpoint: w.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
}

async function handIn(w: World, token: string): Promise<void> {
  await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: token }), VersionStages: [CANDIDATE_LABEL] }));
}

const currentToken = (w: World): string | undefined => {
  const v = w.sm.valueAt(w.tokenSecret.arn, 'AWSCURRENT');
  return v === undefined ? undefined : JSON.parse(v).accessToken;
};

/** The invariants every rotation must leave behind, successful or not. */
function expectSettled(w: World, expected: { current: string; previousVersion?: string }): void {
  const labels = w.sm.labels(w.tokenSecret.arn);
  expect(currentToken(w)).toBe(expected.current);
  if (expected.previousVersion) expect(labels.AWSPREVIOUS).toBe(expected.previousVersion);
  // No stray AWSPENDING: either none, or on the AWSCURRENT version.
  if (labels.AWSPENDING) expect(labels.AWSPENDING).toBe(labels.AWSCURRENT);
}

function metricValues(w: World, name: string): number[] {
  return emfLines(w.output).flatMap((l) => (typeof l[name] === 'number' ? [l[name] as number] : []));
}

async function oldWorld(env: Record<string, string> = {}, old: Parameters<World['graph']['addToken']>[1] = {}): Promise<{ w: World; oldVersion: string }> {
  const w = await startWorld({ token: CANARY_TOKEN, env });
  w.graph.addToken(CANARY_TOKEN, old);
  return { w, oldVersion: w.sm.labels(w.tokenSecret.arn).AWSCURRENT };
}

describe('hand-made rotation', () => {
  it('promotes a handed-in token that passes validation and keeps the old one as AWSPREVIOUS', async () => {
    // Prepare
    const { w, oldVersion } = await oldWorld();
    world = w;
    world.graph.addToken(NEW_TOKEN);
    await handIn(world, NEW_TOKEN);
    // Act
    const { error, versionId } = await world.rotate();
    // Assess
    expect(error).toBeUndefined();
    expectSettled(world, { current: NEW_TOKEN, previousVersion: oldVersion });
    expect(world.sm.labels(world.tokenSecret.arn).AWSCURRENT).toBe(versionId);
    expect(world.sm.labels(world.tokenSecret.arn)[CANDIDATE_LABEL]).toBeUndefined();
    expect(metricValues(world, 'RotationSucceeded')).toEqual([1]);
    // One Rotated event, and the ledger's rotation fields and history line.
    expect(world.bus.events.map((e) => e['detail-type'])).toEqual(['WhatsApp Token Rotated']);
    expect(world.bus.events[0].detail).toMatchObject({ version: '1', tokenName: 'primary', ledgerKey: 'guard/primary', rotationMode: 'hand-made', versionId });
    const items = await world.ddb.items(world.table);
    expect(items.find((i) => i.sk === 'STATE')).toMatchObject({ lastRotationOutcome: 'rotated' });
    expect(items.filter((i) => String(i.sk).endsWith('#rotation')).map((i) => i.to)).toEqual(['rotated']);
    // The candidate was judged: debug_token was asked about it.
    expect(world.graph.requests.filter((r) => r.path.endsWith('/debug_token'))).toHaveLength(1);
  });

  it.each([
    ['expired', { dead: { code: 190, subcode: 463, message: 'Session has expired' } }, {}, /Token invalid/],
    ['a USER token', { type: 'USER' as const, expiresAt: nowS() + 50 * DAY }, {}, /Not a system-user token/],
    ['from another app', { appId: '999999999' }, {}, /another app/],
    ['missing whatsapp_business_management', { scopes: ['whatsapp_business_messaging'] }, {}, /missing: whatsapp_business_management/],
    ['denied the WABA', { wabas: [] }, { [EnvVar.WabaId]: WABA_ID, [EnvVar.PhoneNumberId]: PHONE_ID }, /No access to the WhatsApp asset/],
  ])('refuses a candidate that is %s, leaving AWSCURRENT as it was', async (_n, rec, env, reason) => {
    const { w, oldVersion } = await oldWorld(env);
    world = w;
    if ((env as Record<string, string>)[EnvVar.WabaId]) {
      world.graph.addWaba(WABA_ID, { id: PHONE_ID });
      world.graph.tokens.get(CANARY_TOKEN)!.wabas = [WABA_ID];
    }
    world.graph.addToken(NEW_TOKEN, rec);
    await handIn(world, NEW_TOKEN);
    const { error, versionId } = await world.rotate();
    expect(error?.message).toMatch(/testSecret: the candidate is refused/);
    expect(error?.message).toMatch(reason);
    expectSettled(world, { current: CANARY_TOKEN });
    const labels = world.sm.labels(world.tokenSecret.arn);
    expect(labels.AWSCURRENT).toBe(oldVersion);
    expect(labels.AWSPENDING).toBeUndefined();
    // Nothing lost: the candidate stays handed in, and the refused copy is labelled.
    expect(labels[CANDIDATE_LABEL]).toBeDefined();
    expect(labels[REJECTED_LABEL]).toBe(versionId);
    expect(metricValues(world, 'RotationFailed')).toEqual([1]);
    // One Rotation Failed event with the step, the reason and each problem's fix; never a token.
    expect(world.bus.events.map((e) => e['detail-type'])).toEqual(['WhatsApp Token Rotation Failed']);
    const detail = world.bus.events[0].detail as { step: string; reason: string; problems: { fix: string }[]; fix: string; versionId: string };
    expect(detail).toMatchObject({ step: 'testSecret', versionId, confirmCommand: 'npx --no-install whatsapp-token-guard status --token primary' });
    expect(detail.reason).toMatch(reason);
    expect(detail.problems.length).toBeGreaterThan(0);
    expect(detail.fix).toBe(detail.problems[0].fix);
    expectNoCanary(world.bus.bodies.join('') + JSON.stringify(await world.ddb.items(world.table)), [NEW_TOKEN]);
  });

  it('fails cleanly when no token was handed in', async () => {
    const { w } = await oldWorld();
    world = w;
    const { error } = await world.rotate();
    expect(error?.message).toMatch(/no token was handed in.*set-token/);
    expectSettled(world, { current: CANARY_TOKEN });
    expect(world.sm.labels(world.tokenSecret.arn).AWSPENDING).toBeUndefined();
  });

  it('does not promote when Meta is down during testSecret, and the next rotation works', async () => {
    const { w, oldVersion } = await oldWorld();
    world = w;
    world.graph.addToken(NEW_TOKEN);
    await handIn(world, NEW_TOKEN);
    world.graph.fault = { kind: 'down' };
    const first = await world.rotate();
    expect(first.error?.message).toMatch(/could not validate the candidate.*Graph API unavailable/);
    expectSettled(world, { current: CANARY_TOKEN });
    expect(world.sm.labels(world.tokenSecret.arn).AWSCURRENT).toBe(oldVersion);

    // Meta is back: a second rotation right after the failed one is not refused and promotes the candidate.
    world.graph.fault = undefined;
    const second = await world.rotate();
    expect(second.error).toBeUndefined();
    expectSettled(world, { current: NEW_TOKEN, previousVersion: oldVersion });
  });

  it('retries every step safely and treats a repeated finishSecret as done', async () => {
    const { w, oldVersion } = await oldWorld();
    world = w;
    world.graph.addToken(NEW_TOKEN);
    await handIn(world, NEW_TOKEN);
    const { VersionId } = await client(world).send(new RotateSecretCommand({ SecretId: world.tokenSecret.arn }));
    for (const Step of ['createSecret', 'createSecret', 'setSecret', 'setSecret', 'testSecret', 'testSecret', 'finishSecret', 'finishSecret', 'testSecret', 'createSecret']) {
      await world.invoke({ Step, SecretId: world.tokenSecret.arn, ClientRequestToken: VersionId });
    }
    expectSettled(world, { current: NEW_TOKEN, previousVersion: oldVersion });
    expect(metricValues(world, 'RotationSucceeded')).toEqual([1]);
  });

  it('refuses a step for a version that is not AWSPENDING, and a secret that is not its own', async () => {
    const { w, oldVersion } = await oldWorld();
    world = w;
    await expect(world.invoke({ Step: 'createSecret', SecretId: world.tokenSecret.arn, ClientRequestToken: 'no-such-version' })).rejects.toThrow(/no stage for rotation/);
    await expect(world.invoke({ Step: 'finishSecret', SecretId: world.appSecret.arn, ClientRequestToken: oldVersion })).rejects.toThrow(/rotates only its own token secret/);
    expectSettled(world, { current: CANARY_TOKEN });
  });
});

describe('the Secrets Manager model', () => {
  it('refuses RotateSecret while AWSPENDING sits on a version other than AWSCURRENT, as the service does', async () => {
    const { w } = await oldWorld();
    world = w;
    world.sm.find(world.tokenSecret.arn).versions.set('stray', { id: 'stray', stages: new Set(['AWSPENDING']), created: 0 });
    await expect(client(world).send(new RotateSecretCommand({ SecretId: world.tokenSecret.arn }))).rejects.toMatchObject({ name: 'InvalidRequestException', message: "A previous rotation isn't complete. That rotation will be reattempted." });
  });

  it('refuses to move a label without naming the version that holds it', async () => {
    const { w } = await oldWorld();
    world = w;
    const { UpdateSecretVersionStageCommand } = await import('@aws-sdk/client-secrets-manager');
    await handIn(world, NEW_TOKEN);
    const candidate = world.sm.labels(world.tokenSecret.arn)[CANDIDATE_LABEL];
    await expect(client(world).send(new UpdateSecretVersionStageCommand({ SecretId: world.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: candidate }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('refresh rotation', () => {
  const env = { [EnvVar.RotationMode]: 'refresh' };

  it('exchanges the 60-day token for a new one, validates it and promotes it', async () => {
    const { w, oldVersion } = await oldWorld(env, { expiresAt: nowS() + 20 * DAY, issuedAt: nowS() - 40 * DAY });
    world = w;
    const { error } = await world.rotate();
    expect(error).toBeUndefined();
    const [refreshed] = issuedTokens(world);
    expectSettled(world, { current: refreshed, previousVersion: oldVersion });
    expect(world.graph.tokens.get(refreshed)!.expiresAt).toBeGreaterThan(nowS() + 59 * DAY);
    const exchange = world.graph.requests.filter((r) => r.path.endsWith('/oauth/access_token'));
    expect(exchange).toHaveLength(1);
    expect(exchange[0].query.grant_type).toBe('fb_exchange_token');
  });

  it('uses a handed-in token instead of exchanging, so a dead refresh token can be replaced by hand', async () => {
    const { w, oldVersion } = await oldWorld(env, { dead: { code: 190, subcode: 463, message: 'Session has expired' } });
    world = w;
    world.graph.addToken(NEW_TOKEN, { expiresAt: nowS() + 60 * DAY });
    await handIn(world, NEW_TOKEN);
    const { error } = await world.rotate();
    expect(error).toBeUndefined();
    expectSettled(world, { current: NEW_TOKEN, previousVersion: oldVersion });
    expect(world.graph.requests.filter((r) => r.path.endsWith('/oauth/access_token'))).toHaveLength(0);
  });

  it('drops a refused hand-in so it cannot block later automatic refreshes, keeping its copy', async () => {
    const { w } = await oldWorld(env, { expiresAt: nowS() + 20 * DAY });
    world = w;
    world.graph.addToken(NEW_TOKEN, { type: 'USER' });
    await handIn(world, NEW_TOKEN);
    expect((await world.rotate()).error).toBeDefined();
    expect(world.sm.labels(world.tokenSecret.arn)[CANDIDATE_LABEL]).toBeUndefined();
    expect(JSON.parse(world.sm.valueAt(world.tokenSecret.arn, REJECTED_LABEL)!).accessToken).toBe(NEW_TOKEN);
    // The next scheduled rotation refreshes as usual.
    const { error } = await world.rotate();
    expect(error).toBeUndefined();
    expect(currentToken(world)).toMatch(/refreshed/);
  });

  it('exchanges only once when createSecret is retried', async () => {
    const { w } = await oldWorld(env, { expiresAt: nowS() + 20 * DAY });
    world = w;
    const { VersionId } = await client(world).send(new RotateSecretCommand({ SecretId: world.tokenSecret.arn }));
    await world.invoke({ Step: 'createSecret', SecretId: world.tokenSecret.arn, ClientRequestToken: VersionId });
    await world.invoke({ Step: 'createSecret', SecretId: world.tokenSecret.arn, ClientRequestToken: VersionId });
    expect(world.graph.requests.filter((r) => r.path.endsWith('/oauth/access_token'))).toHaveLength(1);
    // The only copy of the new token sits in the pending version before anything else can fail.
    expect(JSON.parse(world.sm.valueAt(world.tokenSecret.arn, 'AWSPENDING')!).accessToken).toBe(issuedTokens(world)[0]);
  });

  it('refuses to refresh a token that never expires', async () => {
    const { w, oldVersion } = await oldWorld(env, { expiresAt: 0 });
    world = w;
    const { error } = await world.rotate();
    expect(error?.message).toMatch(/Refusing to refresh a token that never expires/);
    expect(world.graph.requests.filter((r) => r.path.endsWith('/oauth/access_token'))).toHaveLength(0);
    expectSettled(world, { current: CANARY_TOKEN });
    expect(world.sm.labels(world.tokenSecret.arn).AWSCURRENT).toBe(oldVersion);
  });

  it('fails cleanly when Meta is down during the exchange, leaving nothing half made', async () => {
    const { w } = await oldWorld(env, { expiresAt: nowS() + 20 * DAY });
    world = w;
    world.graph.fault = { kind: 'down' };
    world.graph.faultPath = /oauth\/access_token/;
    const { error } = await world.rotate();
    expect(error?.message).toMatch(/token exchange/);
    expectSettled(world, { current: CANARY_TOKEN });
    const labels = world.sm.labels(world.tokenSecret.arn);
    expect(labels.AWSPENDING).toBeUndefined();
    expect(labels[REJECTED_LABEL]).toBeUndefined();
  });

  it('revokes the previous token after the grace period, once', async () => {
    const { w, oldVersion } = await oldWorld({ ...env, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 20 * DAY });
    world = w;
    await world.rotate();
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' };
    await world.invoke(scheduled);
    expect(world.graph.tokens.get(CANARY_TOKEN)!.dead).toBeUndefined(); // grace period not over
    world.sm.clock = () => Date.now() / 1000; // versions keep their creation time
    world.sm.find(world.tokenSecret.arn).versions.get(world.sm.labels(world.tokenSecret.arn).AWSCURRENT)!.created -= 2 * 3600;
    await world.invoke(scheduled);
    await world.invoke(scheduled);
    expect(world.graph.tokens.get(CANARY_TOKEN)!.dead?.subcode).toBe(466);
    expect(world.graph.requests.filter((r) => r.path.endsWith('/oauth/revoke'))).toHaveLength(1);
    expect(world.sm.labels(world.tokenSecret.arn).TOKENGUARD_REVOKED).toBe(oldVersion);
  });
});

describe('mint rotation', () => {
  const env = { [EnvVar.RotationMode]: 'mint', [EnvVar.SystemUserId]: SYSTEM_USER_ID };

  it('mints a 60-day system-user token with exactly the required scopes and promotes it', async () => {
    const { w, oldVersion } = await oldWorld(env);
    world = w;
    world.graph.systemUsers.add(SYSTEM_USER_ID);
    const { error } = await world.rotate();
    expect(error).toBeUndefined();
    const [minted] = issuedTokens(world);
    expectSettled(world, { current: minted, previousVersion: oldVersion });
    const mint = world.graph.requests.find((r) => r.path.endsWith('/access_tokens'))!;
    const form = Object.fromEntries(new URLSearchParams(mint.body));
    expect(form).toMatchObject({ business_app: APP_ID, scope: 'whatsapp_business_messaging,whatsapp_business_management', set_token_expires_in_60_days: 'true', appsecret_proof: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(mint.body).not.toContain(CANARY_TOKEN);
  });

  it.each([
    ['code 200 (no permission)', { code: 200, message: '(#200) Permissions error' }],
    ['code 100 (bad system user)', { code: 100, subcode: 33, message: 'Unsupported post request' }],
  ])('fails cleanly when Meta refuses to mint: %s', async (_n, refusal) => {
    const { w, oldVersion } = await oldWorld(env);
    world = w;
    world.graph.systemUsers.add(SYSTEM_USER_ID);
    world.graph.mintRefusal = refusal;
    const { error } = await world.rotate();
    expect(error?.message).toMatch(new RegExp(`refused to mint.*code ${refusal.code}`));
    expectSettled(world, { current: CANARY_TOKEN });
    expect(world.sm.labels(world.tokenSecret.arn).AWSCURRENT).toBe(oldVersion);
    expect(world.sm.labels(world.tokenSecret.arn).AWSPENDING).toBeUndefined();
  });

  it('keeps a minted token that fails validation findable under TOKENGUARD_REJECTED, never promoted', async () => {
    const { w, oldVersion } = await oldWorld(env);
    world = w;
    world.graph.systemUsers.add(SYSTEM_USER_ID);
    // Meta mints the token but grants fewer permissions than asked for.
    world.graph.mintOverrides = { scopes: ['whatsapp_business_messaging'] };
    const { error, versionId } = await world.rotate();
    expect(error?.message).toMatch(/candidate is refused.*missing: whatsapp_business_management/);
    expectSettled(world, { current: CANARY_TOKEN });
    const labels = world.sm.labels(world.tokenSecret.arn);
    expect(labels.AWSCURRENT).toBe(oldVersion);
    expect(labels[REJECTED_LABEL]).toBe(versionId);
    expect(JSON.parse(world.sm.valueAt(world.tokenSecret.arn, REJECTED_LABEL)!).accessToken).toBe(issuedTokens(world)[0]);
  });
});
