// Rotations driven the way Secrets Manager and operators drive them (steps twice, concurrently, failing once and
// retried, two operators, rollback), against the stateful loopback Secrets Manager and the Graph emulator. After
// EVERY test the invariants hold: every token the guard obtained from Meta is AWSCURRENT, AWSPREVIOUS, labelled or
// dead at Meta; AWSCURRENT holds the initial token or one the function validated; the next RotateSecret is accepted;
// no secret reached the output.
import { PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { CANDIDATE_LABEL, DEMOTED_LABEL_PREFIX, EnvVar, HANDIN_LABEL_PREFIX, ISSUED_LABEL, isIssuedLabel, REJECTED_LABEL_PREFIX, REVOKED_LABEL } from '../../../lambda/contract';
import { handInLabel, handInVersionId, MAX_PARKED } from '../../../lambda/core/plan-rotation';
import { APP_ID, CANARY_TOKEN, expectNoCanary, PHONE_ID, SYSTEM_USER_ID, WABA_ID } from '../../fakes/canary';
import { emfLines, startWorld, World } from '../../fakes/world';
import { readBody, sendAwsJsonError, sendJson } from '../../fakes/loopback-json-server';
import type { IncomingMessage, ServerResponse } from 'node:http';

const DAY = 86_400;
const nowS = (): number => Math.floor(Date.now() / 1000);
const NEW_TOKEN = 'EAAGnewHANDMADEcanaryTOKEN0002';
const OTHER_TOKEN = 'EAAGotherHANDMADEcanaryTOKEN0003';
const REFRESH = { [EnvVar.RotationMode]: 'refresh' };
const MINT = { [EnvVar.RotationMode]: 'mint', [EnvVar.SystemUserId]: SYSTEM_USER_ID };
const ASSETS = { [EnvVar.WabaId]: WABA_ID, [EnvVar.PhoneNumberId]: PHONE_ID };
const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event' };

let world: World;
afterEach(async () => {
  try {
    expectNoCanary(world.output.join(''), [NEW_TOKEN, OTHER_TOKEN, ...issuedTokens(world)]);
    await expectInvariants(world);
  } finally {
    await world.stop();
  }
});

/** Tokens Meta issued to the guard (exchange or mint) in this test. */
function issuedTokens(w: World): string[] {
  return [...w.graph.tokens.keys()].filter((t) => t.includes('refreshed') || t.includes('minted'));
}

const tokenOf = (raw: string | undefined): string | undefined => (raw === undefined ? undefined : JSON.parse(raw).accessToken);
const currentToken = (w: World): string | undefined => tokenOf(w.sm.valueAt(w.tokenSecret.arn, 'AWSCURRENT'));
const labels = (w: World): Record<string, string> => w.sm.labels(w.tokenSecret.arn);
/** [label, version] of every hand-in kept under its own label (TOKENGUARD_HANDIN_AT_, or an older TOKENGUARD_REJECTED_AT_). */
const rejected = (w: World): [string, string][] => Object.entries(labels(w)).filter(([l]) => l.startsWith(HANDIN_LABEL_PREFIX) || l.startsWith(REJECTED_LABEL_PREFIX));
/** Whether any hand-in label is left on the secret. */
const handInLabelled = (w: World): boolean => Object.keys(labels(w)).some((l) => l.startsWith(HANDIN_LABEL_PREFIX) || l === CANDIDATE_LABEL);
/** [label, version] of every demoted token kept under its own TOKENGUARD_DEMOTED_AT_ label. */
const demoted = (w: World): [string, string][] => Object.entries(labels(w)).filter(([l]) => l.startsWith(DEMOTED_LABEL_PREFIX));
const calls = (w: World, path: RegExp): number => w.graph.requests.filter((r) => path.test(r.path)).length;
const debugged = (w: World, token: string): boolean => w.graph.requests.some((r) => r.path.endsWith('/debug_token') && r.query.input_token === token);

async function expectInvariants(w: World): Promise<void> {
  await w.sm.settle();
  // 1. Nothing lost: every token the guard ever held or obtained (hand-ins, the initial one, refreshed and minted
  //    ones) is labelled (AWSCURRENT, AWSPREVIOUS or a guard label) or dead at Meta.
  const safeToken = (raw: string | undefined): string | undefined => {
    try {
      return tokenOf(raw);
    } catch {
      return undefined;
    }
  };
  const held = new Set([...issuedTokens(w), ...w.sm.allValues(w.tokenSecret.arn).map((v) => safeToken(v.value))]);
  for (const token of held) {
    const rec = token === undefined ? undefined : w.graph.tokens.get(token);
    if (!rec || rec.dead !== undefined) continue;
    const holders = w.sm.allValues(w.tokenSecret.arn).filter((v) => safeToken(v.value) === token);
    if (!holders.some((v) => v.stages.length > 0)) throw new Error(`a live token the guard held is neither labelled nor revoked (versions ${holders.map((h) => h.id).join(', ') || 'none'})`);
  }
  // 2. AWSCURRENT holds the initial token or one the function validated before the move.
  const current = currentToken(w);
  if (current !== undefined && current !== initial) expect(debugged(w, current)).toBe(true);
  // 3. The next RotateSecret is accepted.
  w.sm.lambda = undefined;
  w.sm.onRotate = undefined;
  await expect(client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn }))).resolves.toBeDefined();
}

function client(w: World): SecretsManagerClient {
  return new SecretsManagerClient({ region: 'us-east-1', endpoint: w.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
}

/** What `set-token` writes: pick the rotation's token, store the hand-in under the id bound to it with its own label, then RotateSecret. */
/** Makes every version of the token secret `minutes` older (the guard leaves a token obtained in the last 15 minutes alone). */
function ageVersions(w: World, minutes: number): void {
  for (const v of w.sm.find(w.tokenSecret.arn).versions.values()) v.created -= minutes * 60;
}

/** The version carrying a token the guard obtained (its TOKENGUARD_ISSUED_<version> mark, or 0.4's bare one). */
function issuedVersion(w: World): string | undefined {
  return Object.entries(labels(w)).find(([label]) => isIssuedLabel(label))?.[1];
}

async function handIn(w: World, token: string): Promise<string> {
  const rotationId = randomUUID();
  await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: handInVersionId(rotationId), SecretString: JSON.stringify({ accessToken: token }), VersionStages: [handInLabel(rotationId, new Date())] }));
  return rotationId;
}

/** A hand-in and its RotateSecret, with the steps left for the test to invoke one by one. */
async function startRotation(w: World, token: string): Promise<string> {
  const id = await handIn(w, token);
  w.sm.lambda = undefined;
  await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id }));
  return id;
}

async function setToken(w: World, token: string): Promise<{ versionId: string; error?: Error }> {
  return w.rotate({ ClientRequestToken: await handIn(w, token) });
}

function metricValues(w: World, name: string): number[] {
  return emfLines(w.output).flatMap((l) => (typeof l[name] === 'number' ? [l[name] as number] : []));
}

const step = (w: World, Step: string, versionId: string): Promise<unknown> => w.invoke({ Step, SecretId: w.tokenSecret.arn, ClientRequestToken: versionId });
const dead = (w: World, token: string): boolean => w.graph.tokens.get(token)!.dead !== undefined;

/**
 * The label quota under pressure: MAX_PARKED good hand-ins (so as many parked tokens), then the live token dies (the
 * scheduled check settles nothing any more) and `refusals` valid but refused hand-ins (USER tokens) follow.
 */
async function deadLiveAfterRefusals(w: World, refusals: number): Promise<{ good: string[]; bad: string[] }> {
  const good = Array.from({ length: MAX_PARKED }, (_, i) => `EAAGgoodHANDIN${String(i).padStart(2, '0')}canaryTOKEN`);
  const bad = Array.from({ length: refusals }, (_, i) => `EAAGuserHANDIN${String(i).padStart(2, '0')}canaryTOKEN`);
  for (const t of good) {
    w.graph.addToken(t);
    expect((await setToken(w, t)).error).toBeUndefined();
  }
  await w.invoke(SCHEDULED);
  w.graph.tokens.get(currentToken(w)!)!.dead = { code: 190, subcode: 463, message: 'Error validating access token: Session has expired' };
  for (const t of bad) {
    w.graph.addToken(t, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    expect((await setToken(w, t)).error?.message).toMatch(/Not a system-user token/);
    await w.invoke(SCHEDULED);
  }
  return { good, bad };
}

/** Moves every recorded demotion/refusal time (of one version, or all) back, as if `hours` had passed. */
function shiftParked(w: World, hours: number, only?: string): void {
  for (const v of w.sm.find(w.tokenSecret.arn).versions.values()) {
    if (only && v.id !== only) continue;
    for (const l of [...v.stages]) {
      const prefix = [DEMOTED_LABEL_PREFIX, REJECTED_LABEL_PREFIX].find((p) => l.startsWith(p));
      if (!prefix) continue;
      v.stages.delete(l);
      // The time moves back; what follows it (the rotation a demotion names, a hand-in's) stays.
      const [at, ...rest] = l.slice(prefix.length).split('_');
      v.stages.add(`${prefix}${[Number(at) - hours * 3600, ...rest].join('_')}`);
    }
  }
}

let initial: string | undefined;
async function oldWorld(env: Record<string, string> = {}, old: Parameters<World['graph']['addToken']>[1] = {}): Promise<{ w: World; oldVersion: string }> {
  const w = await startWorld({ token: CANARY_TOKEN, env });
  initial = CANARY_TOKEN;
  w.graph.addToken(CANARY_TOKEN, old);
  w.graph.systemUsers.add(SYSTEM_USER_ID);
  world = w;
  return { w, oldVersion: labels(w).AWSCURRENT };
}

function withAssets(w: World, canSend: 'AVAILABLE' | 'BLOCKED' = 'AVAILABLE', subscribed = true): void {
  w.graph.addWaba(WABA_ID, { id: PHONE_ID, canSendMessage: canSend }, subscribed ? [APP_ID] : []);
  for (const rec of w.graph.tokens.values()) rec.wabas = [WABA_ID];
}

describe('hand-made rotation', () => {
  it('promotes a handed-in token that passes validation and keeps the old one as AWSPREVIOUS', async () => {
    // Prepare
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    // Act
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    // Assess
    expect(error).toBeUndefined();
    expect(currentToken(w)).toBe(NEW_TOKEN);
    expect(labels(w)).toMatchObject({ AWSCURRENT: versionId, AWSPREVIOUS: oldVersion });
    expect(handInLabelled(w)).toBe(false);
    expect(labels(w)[`${DEMOTED_LABEL_PREFIX}${Math.floor(Date.now() / 1000)}`] ?? Object.keys(labels(w)).find((l) => l.startsWith(DEMOTED_LABEL_PREFIX))).toBeDefined();
    expect(metricValues(w, 'RotationSucceeded')).toEqual([1]);
    // testSecret validates the candidate; finishSecret asks once more just before the move.
    expect(calls(w, /debug_token$/)).toBe(2);
    // One Rotated event, and the ledger's rotation fields and history line.
    expect(w.bus.events.map((e) => e['detail-type'])).toEqual(['WhatsApp Token Rotated']);
    expect(w.bus.events[0].detail).toMatchObject({ version: '1', tokenName: 'primary', ledgerKey: 'guard/primary', rotationMode: 'hand-made', versionId });
    const items = await w.ddb.items(w.table);
    expect(items.find((i) => i.sk === 'STATE')).toMatchObject({ lastRotationOutcome: 'rotated' });
    expect(items.filter((i) => String(i.sk).endsWith('#rotation')).map((i) => i.to)).toEqual(['rotated']);
  });

  it.each([
    // A dead token needs no label: it is as good as revoked.
    ['expired', { dead: { code: 190, subcode: 463, message: 'Session has expired' } }, /Token invalid/, false],
    ['a USER token', { type: 'USER' as const, expiresAt: nowS() + 50 * DAY }, /Not a system-user token/, true],
    ['from another app', { appId: '999999999' }, /another app/, true],
    ['missing whatsapp_business_management', { scopes: ['whatsapp_business_messaging'] }, /missing: whatsapp_business_management/, true],
  ])('refuses a candidate that is %s, keeping it (when live) under a TOKENGUARD_REJECTED_AT_ label and AWSCURRENT as it was', async (_n, rec, reason, kept) => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN, rec);
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error?.message).toMatch(/testSecret: the candidate is refused/);
    expect(error?.message).toMatch(reason);
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion });
    expect(rejected(w).map(([, v]) => v)).toEqual(kept ? [versionId] : []);
    expect(labels(w).AWSPENDING).toBeUndefined();
    if (kept) expect(tokenOf(w.sm.valueAt(w.tokenSecret.arn, rejected(w)[0][0]))).toBe(NEW_TOKEN);
    expect(metricValues(w, 'RotationFailed')).toEqual([1]);
    // One Rotation Failed event with the step, the reason and each problem's fix; never a token.
    expect(w.bus.events.map((e) => e['detail-type'])).toEqual(['WhatsApp Token Rotation Failed']);
    const detail = w.bus.events[0].detail as { step: string; reason: string; problems: { fix: string }[]; fix: string; versionId: string };
    expect(detail).toMatchObject({ step: 'testSecret', versionId, confirmCommand: 'npx --no-install whatsapp-token-guard status --token primary' });
    expect(detail.reason).toMatch(reason);
    expect(detail.problems.length).toBeGreaterThan(0);
    expect(detail.fix).toBe(detail.problems[0].fix);
    expectNoCanary(w.bus.bodies.join('') + JSON.stringify(await w.ddb.items(w.table)), [NEW_TOKEN]);
  });

  it('fails cleanly when no token was handed in for the rotation', async () => {
    const { w, oldVersion } = await oldWorld();
    const { error } = await w.rotate();
    expect(error?.message).toMatch(/no token was handed in for this rotation.*set-token/);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    expect(labels(w).AWSPENDING).toBeUndefined();
  });

  it('refuses a hand-in that is already the current token', async () => {
    const { w, oldVersion } = await oldWorld();
    const { error } = await setToken(w, CANARY_TOKEN);
    expect(error?.message).toMatch(/already the AWSCURRENT token/);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    // AWSCURRENT holds it: its hand-in label would only take room.
    expect(handInLabelled(w)).toBe(false);
  });
});

describe('a better token is never refused for a problem the live token shares (defect 2)', () => {
  it('promotes a hand-in while the number is BLOCKED for a payment issue on both tokens, reporting it as shared', async () => {
    const { w } = await oldWorld(ASSETS);
    w.graph.addToken(NEW_TOKEN);
    withAssets(w, 'BLOCKED');
    const { error } = await setToken(w, NEW_TOKEN);
    expect(error).toBeUndefined();
    expect(currentToken(w)).toBe(NEW_TOKEN);
    expect(w.output.join('')).toMatch(/"sharedProblems":\["MessagingBlocked"\]/);
  });

  it('refreshes while the app is not subscribed to the WABA for both tokens', async () => {
    const { w } = await oldWorld({ ...REFRESH, ...ASSETS }, { expiresAt: nowS() + 20 * DAY });
    withAssets(w, 'AVAILABLE', false);
    const { error } = await w.rotate();
    expect(error).toBeUndefined();
    expect(currentToken(w)).toMatch(/refreshed/);
  });

  it('refuses a candidate that is worse than the live token (denied the WABA the live token can read)', async () => {
    const { w, oldVersion } = await oldWorld(ASSETS);
    withAssets(w);
    w.graph.addToken(NEW_TOKEN, { wabas: [] });
    const { error } = await setToken(w, NEW_TOKEN);
    expect(error?.message).toMatch(/No access to the WhatsApp asset/);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
  });

  it('refreshes when only a probe fails during createSecret: a conclusive debug_token verdict on the live token is enough', async () => {
    const { w } = await oldWorld({ ...REFRESH, ...ASSETS }, { expiresAt: nowS() + 20 * DAY });
    withAssets(w);
    w.graph.fault = { kind: 'down' };
    w.graph.faultPath = new RegExp(`/${PHONE_ID}$`);
    w.graph.faultCount = 1;
    const { error } = await w.rotate();
    expect(error).toBeUndefined();
    expect(currentToken(w)).toMatch(/refreshed/);
  });
});

describe('live tokens are never left behind (defect 1)', () => {
  it('revokes each refused minted token instead of parking them under one label', async () => {
    const { w, oldVersion } = await oldWorld(MINT);
    // Meta mints tokens with fewer permissions than asked for.
    w.graph.mintOverrides = { scopes: ['whatsapp_business_messaging'] };
    for (let i = 0; i < 2; i++) expect((await w.rotate()).error?.message).toMatch(/candidate is refused.*missing: whatsapp_business_management/);
    const minted = issuedTokens(w);
    expect(minted).toHaveLength(2);
    for (const t of minted) expect(w.graph.tokens.get(t)!.dead?.subcode).toBe(466);
    expect(calls(w, /oauth\/revoke$/)).toBe(2);
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion });
    expect(issuedVersion(w)).toBeUndefined();
    expect(rejected(w)).toEqual([]);
  });

  it('keeps a refused minted token labelled when its revoke fails, revokes it before minting another, and never mints while it is live', async () => {
    const { w } = await oldWorld(MINT);
    w.graph.mintOverrides = { scopes: ['whatsapp_business_messaging'] };
    w.graph.fault = { kind: 'down' };
    w.graph.faultPath = /oauth\/revoke$/;
    w.graph.faultCount = 1;
    const first = await w.rotate();
    expect(first.error).toBeDefined();
    expect(issuedVersion(w)).toBe(first.versionId);
    expect(metricValues(w, 'RevokeFailed')).toEqual([1]);
    // Next rotation, past the 15 minutes a finishSecret could still run: the earlier token is revoked first, then a
    // good one is minted and promoted.
    w.graph.mintOverrides = undefined;
    ageVersions(w, 16);
    const second = await w.rotate();
    expect(second.error).toBeUndefined();
    const [firstToken, secondToken] = issuedTokens(w);
    expect(w.graph.tokens.get(firstToken)!.dead?.subcode).toBe(466);
    expect(currentToken(w)).toBe(secondToken);
    expect(issuedVersion(w)).toBeUndefined();
  });

  it('does not retry fb_exchange_token after a lost answer, and the service retry exchanges once more', async () => {
    const { w, oldVersion } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    w.graph.fault = { kind: 'reset' };
    w.graph.faultPath = /oauth\/access_token$/;
    w.graph.faultCount = 1;
    const { error, versionId } = await w.rotate();
    expect(error?.message).toMatch(/Meta failed the token exchange.*AWSPENDING is kept/);
    expect(calls(w, /oauth\/access_token$/)).toBe(1);
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion, AWSPENDING: versionId });
    // A later window: Secrets Manager attempts the same version again.
    expect(await w.sm.reattempt(w.tokenSecret.arn)).toBeUndefined();
    expect(calls(w, /oauth\/access_token$/)).toBe(2);
    expect(labels(w).AWSCURRENT).toBe(versionId);
  });
});

describe('a verdict is told from an infrastructure failure (defect 3)', () => {
  it('keeps AWSPENDING when Meta is down during testSecret, and the same-token retry promotes the same refreshed token', async () => {
    const { w, oldVersion } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    w.sm.rotationAttempts = 2;
    const realLambda = w.autoRotate();
    const inner = w.sm.lambda!;
    let tests = 0;
    // Meta is down during the first testSecret only.
    w.sm.lambda = async (event) => {
      if (event.Step !== 'testSecret' || tests++ > 0) return inner(event);
      w.graph.fault = { kind: 'down' };
      try {
        return await inner(event);
      } finally {
        w.graph.fault = undefined;
      }
    };
    await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn }));
    await w.sm.settle();
    expect(realLambda.lastError()).toBeUndefined();
    expect(calls(w, /oauth\/access_token$/)).toBe(1);
    expect(issuedTokens(w)).toHaveLength(1);
    expect(currentToken(w)).toBe(issuedTokens(w)[0]);
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    expect(metricValues(w, 'RotationFailed')).toEqual([1]);
    expect(metricValues(w, 'RotationSucceeded')).toEqual([1]);
  });

  it('does not promote while Meta is down and promotes the same hand-in once Meta is back', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    w.graph.fault = { kind: 'down' };
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error?.message).toMatch(/could not validate the candidate.*Graph API unavailable/);
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion, AWSPENDING: versionId });
    // No verdict: the hand-in waits under its own label (taken along to the candidate), not refused.
    expect(rejected(w).map(([, v]) => v)).toEqual([versionId]);
    w.graph.fault = undefined;
    expect(await w.sm.reattempt(w.tokenSecret.arn)).toBeUndefined();
    expect(labels(w).AWSCURRENT).toBe(versionId);
    expect(currentToken(w)).toBe(NEW_TOKEN);
  });
});

describe('finishSecret (defect 4)', () => {
  it('never reports failure after AWSCURRENT moved, and a retry finishes the cleanup', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => String(i.VersionStage).startsWith(HANDIN_LABEL_PREFIX), type: 'InternalServiceError', message: 'boom', times: 1 });
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error).toBeUndefined();
    expect(labels(w)).toMatchObject({ AWSCURRENT: versionId, AWSPREVIOUS: oldVersion });
    expect(metricValues(w, 'RotationFailed')).toEqual([]);
    expect(metricValues(w, 'RotationSucceeded')).toEqual([1]);
    // createSecret took the hand-in's label along to the candidate; its removal failed once.
    expect(rejected(w).map(([, v]) => v)).toEqual([versionId]);
    // A retry of finishSecret (already current) completes the cleanup and reports nothing new.
    await step(w, 'finishSecret', versionId);
    expect(handInLabelled(w)).toBe(false);
    expect(metricValues(w, 'RotationSucceeded')).toEqual([1]);
    // The leftover hand-in can never be promoted by a later rotation: rotations only use their own.
    expect((await w.rotate()).error?.message).toMatch(/no token was handed in/);
    expect(labels(w).AWSCURRENT).toBe(versionId);
  });

  it('retries the move when AWSCURRENT changed between DescribeSecret and the move', async () => {
    const { w } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => i.VersionStage === 'AWSCURRENT', type: 'InvalidParameterException', message: 'The staging label AWSCURRENT is not attached to version x.', times: 1 });
    w.sm.rotationAttempts = 2;
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error).toBeUndefined();
    expect(labels(w).AWSCURRENT).toBe(versionId);
  });
});

describe('each rotation is bound to its own candidate (defect 6)', () => {
  it('uses its own hand-in even when a second operator staged another one meanwhile', async () => {
    const { w } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    w.graph.addToken(OTHER_TOKEN);
    const mine = await handIn(w, NEW_TOKEN);
    const theirs = await handIn(w, OTHER_TOKEN); // a label of its own: ours stays on our hand-in
    expect(rejected(w).map(([, v]) => v).sort()).toEqual([handInVersionId(mine), handInVersionId(theirs)].sort());
    const { error } = await w.rotate({ ClientRequestToken: mine });
    expect(error).toBeUndefined();
    expect(currentToken(w)).toBe(NEW_TOKEN);
    // Their label is untouched; their rotation then runs on theirs.
    expect(rejected(w).map(([, v]) => v)).toEqual([handInVersionId(theirs)]);
    expect((await w.rotate({ ClientRequestToken: theirs })).error).toBeUndefined();
    expect(currentToken(w)).toBe(OTHER_TOKEN);
    expect(handInLabelled(w)).toBe(false);
  });

  it('a scheduled refresh never takes a hand-in, and a new version put during it abandons it without losing the refreshed token', async () => {
    const { w, oldVersion } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    w.sm.lambda = undefined;
    const { VersionId } = await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn }));
    await step(w, 'createSecret', VersionId!);
    // An operator's put lands now (a race with the command's in-progress check): the service abandons the rotation.
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: randomUUID(), SecretString: JSON.stringify({ accessToken: NEW_TOKEN }), VersionStages: [CANDIDATE_LABEL] }));
    expect(w.sm.events.map((e) => e.eventName)).toContain('RotationAbandoned');
    await expect(step(w, 'testSecret', VersionId!)).rejects.toThrow(/not set as AWSPENDING/);
    // The refreshed token is still findable, then revoked by the next scheduled check once no finishSecret can run.
    expect(issuedVersion(w)).toBe(VersionId);
    await w.invoke(SCHEDULED);
    expect(dead(w, issuedTokens(w)[0])).toBe(false);
    ageVersions(w, 16);
    await w.invoke(SCHEDULED);
    expect(w.graph.tokens.get(issuedTokens(w)[0])!.dead?.subcode).toBe(466);
    expect(issuedVersion(w)).toBeUndefined();
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
  });
});

describe('deploy-time test-only rotations (defect 7)', () => {
  it.each(['current', 'empty'] as const)('validates without touching any label when the test version holds %s', async (value) => {
    const { w, oldVersion } = await oldWorld();
    w.sm.testRunValue = value;
    const before = labels(w);
    const { error } = await w.rotate({ RotateImmediately: false });
    expect(error).toBeUndefined();
    expect(labels(w)).toEqual(before);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    expect(w.sm.events.map((e) => e.eventName)).toEqual(['TestRotationStarted', 'TestRotationSucceeded']);
    expect(metricValues(w, 'RotationFailed')).toEqual([]);
  });

  it('passes on an empty secret and publishes no RotationFailed', async () => {
    world = await startWorld({});
    initial = undefined;
    const { error } = await world.rotate({ RotateImmediately: false });
    expect(error).toBeUndefined();
    expect(metricValues(world, 'RotationFailed')).toEqual([]);
    expect(world.sm.events.map((e) => e.eventName)).toContain('TestRotationSucceeded');
  });

  it('neither relabels nor abandons anything during a Meta blip', async () => {
    const { w } = await oldWorld();
    w.graph.fault = { kind: 'down' };
    const before = labels(w);
    const { error } = await w.rotate({ RotateImmediately: false });
    expect(error).toBeUndefined();
    expect(labels(w)).toEqual(before);
    expect(rejected(w)).toEqual([]);
  });

  it('fails the test run (touching nothing) when the current token is dead', async () => {
    const { w } = await oldWorld({}, { dead: { code: 190, subcode: 460, message: 'password changed' } });
    const before = labels(w);
    const { error } = await w.rotate({ RotateImmediately: false });
    expect(error?.message).toMatch(/test-only rotation.*Token invalid/);
    expect(labels(w)).toEqual(before);
    expect(metricValues(w, 'RotationFailed')).toEqual([]);
  });
});

describe('concurrent createSecret for one version (defect 8)', () => {
  it('treats the loser of a hand-in race as already populated and keeps AWSPENDING on the candidate', async () => {
    const { w } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    const id = await startRotation(w, NEW_TOKEN);
    await Promise.all([step(w, 'createSecret', id), step(w, 'createSecret', id)]);
    expect(labels(w).AWSPENDING).toBe(id);
    for (const s of ['setSecret', 'testSecret', 'finishSecret']) await step(w, s, id);
    expect(currentToken(w)).toBe(NEW_TOKEN);
  });

  it('keeps the first refreshed token and revokes the duplicate when two createSecret run at once', async () => {
    const { w } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    w.sm.lambda = undefined;
    const { VersionId } = await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn }));
    await Promise.all([step(w, 'createSecret', VersionId!), step(w, 'createSecret', VersionId!)]);
    expect(labels(w).AWSPENDING).toBe(VersionId);
    const stored = tokenOf(w.sm.valueAt(w.tokenSecret.arn, 'AWSPENDING'))!;
    for (const t of issuedTokens(w)) if (t !== stored) expect(w.graph.tokens.get(t)!.dead?.subcode).toBe(466);
    for (const s of ['setSecret', 'testSecret', 'finishSecret']) await step(w, s, VersionId!);
    expect(currentToken(w)).toBe(stored);
  });

  it('runs every step twice safely and treats a repeated finishSecret as done', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'createSecret', 'setSecret', 'setSecret', 'testSecret', 'testSecret', 'finishSecret', 'finishSecret', 'testSecret', 'createSecret']) await step(w, s, id);
    expect(labels(w)).toMatchObject({ AWSCURRENT: id, AWSPREVIOUS: oldVersion });
    expect(metricValues(w, 'RotationSucceeded')).toEqual([1]);
  });
});

describe('the up-front checks (AWS template)', () => {
  it('refuses every step while rotation is not enabled, before asking Meta anything', async () => {
    world = await startWorld({ token: CANARY_TOKEN, rotationEnabled: false, env: REFRESH });
    initial = CANARY_TOKEN;
    world.graph.addToken(CANARY_TOKEN, { expiresAt: nowS() + 20 * DAY });
    const id = randomUUID();
    world.sm.find(world.tokenSecret.arn).versions.set(id, { id, stages: new Set(['AWSPENDING']), created: 0 });
    await expect(step(world, 'createSecret', id)).rejects.toThrow(/not enabled for rotation/);
    expect(world.graph.requests).toHaveLength(0);
    world.sm.find(world.tokenSecret.arn).versions.get(id)!.stages.clear();
    world.sm.find(world.tokenSecret.arn).rotationEnabled = true;
  });

  it('does nothing for a version that is already AWSCURRENT: no exchange, no metric', async () => {
    const { w, oldVersion } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    for (const s of ['createSecret', 'testSecret', 'finishSecret']) await step(w, s, oldVersion);
    expect(w.graph.requests).toHaveLength(0);
    expect(metricValues(w, 'RotationSucceeded')).toEqual([]);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
  });

  it('refuses a version without a stage, one that is not AWSPENDING, and a secret that is not its own', async () => {
    const { w, oldVersion } = await oldWorld();
    await expect(step(w, 'createSecret', 'no-such-version')).rejects.toThrow(/no stage for rotation/);
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'SOMETHING', MoveToVersionId: oldVersion }));
    const other = randomUUID();
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: other, SecretString: JSON.stringify({ accessToken: NEW_TOKEN }), VersionStages: ['SOMETHING_ELSE'] }));
    await expect(step(w, 'finishSecret', other)).rejects.toThrow(/not set as AWSPENDING/);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    await expect(w.invoke({ Step: 'finishSecret', SecretId: w.appSecret.arn, ClientRequestToken: oldVersion })).rejects.toThrow(/rotates only its own token secret/);
  });
});

describe('refresh and mint', () => {
  it('exchanges the 60-day token once, validates it and promotes it', async () => {
    const { w, oldVersion } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY, issuedAt: nowS() - 40 * DAY });
    const { error } = await w.rotate();
    expect(error).toBeUndefined();
    const [refreshed] = issuedTokens(w);
    expect(currentToken(w)).toBe(refreshed);
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    expect(issuedVersion(w)).toBeUndefined();
    expect(calls(w, /oauth\/access_token$/)).toBe(1);
  });

  it('refuses to refresh a token that never expires, asking Meta for nothing new', async () => {
    const { w, oldVersion } = await oldWorld(REFRESH, { expiresAt: 0 });
    const { error } = await w.rotate();
    expect(error?.message).toMatch(/Refusing to refresh a token that never expires/);
    expect(calls(w, /oauth\/access_token$/)).toBe(0);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    expect(labels(w).AWSPENDING).toBeUndefined();
  });

  it('mints with the required scopes plus the ones the live token carries', async () => {
    const { w } = await oldWorld(MINT);
    expect((await w.rotate()).error).toBeUndefined();
    const mint = w.graph.requests.find((r) => r.path.endsWith('/access_tokens'))!;
    const form = Object.fromEntries(new URLSearchParams(mint.body));
    expect(form).toMatchObject({ business_app: APP_ID, scope: 'whatsapp_business_messaging,whatsapp_business_management,business_management', set_token_expires_in_60_days: 'true' });
    expect(currentToken(w)).toBe(issuedTokens(w)[0]);
  });

  it.each([
    ['code 200 (no permission)', { code: 200, message: '(#200) Permissions error' }],
    ['code 100 (bad system user)', { code: 100, subcode: 33, message: 'Unsupported post request' }],
  ])('ends the rotation with a verdict when Meta refuses to mint: %s', async (_n, refusal) => {
    const { w, oldVersion } = await oldWorld(MINT);
    w.graph.mintRefusal = refusal;
    const { error } = await w.rotate();
    expect(error?.message).toMatch(new RegExp(`refused to mint.*code ${refusal.code}`));
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    expect(labels(w).AWSPENDING).toBeUndefined();
  });
});

describe('revoking the previous token (defect 9)', () => {
  // Past the 1 h grace period of these tests.
  const graceOver = (w: World): void => shiftParked(w, 2);

  it('revokes the demoted token once, after the grace period measured from the promotion', async () => {
    const { w, oldVersion } = await oldWorld({ ...REFRESH, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 20 * DAY });
    // The old version was created long ago: that must not count.
    w.sm.find(w.tokenSecret.arn).versions.get(oldVersion)!.created -= 30 * DAY;
    expect((await w.rotate()).error).toBeUndefined();
    await w.invoke(SCHEDULED);
    expect(w.graph.tokens.get(CANARY_TOKEN)!.dead).toBeUndefined();
    graceOver(w);
    await w.invoke(SCHEDULED);
    await w.invoke(SCHEDULED);
    expect(w.graph.tokens.get(CANARY_TOKEN)!.dead?.subcode).toBe(466);
    expect(calls(w, /oauth\/revoke$/)).toBe(1);
    const revoke = w.graph.requests.find((r) => r.path.endsWith('/oauth/revoke'))!;
    expect(revoke.authorization).toBeUndefined();
    expect(revoke.query.access_token).toBe(currentToken(w));
    expect(labels(w)[REVOKED_LABEL]).toBe(oldVersion);
    expect(Object.keys(labels(w)).some((l) => l.startsWith(DEMOTED_LABEL_PREFIX))).toBe(false);
  });

  it('never revokes after an operator rolled AWSCURRENT back', async () => {
    const { w, oldVersion } = await oldWorld({ ...REFRESH, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 20 * DAY });
    const { versionId } = await w.rotate();
    graceOver(w);
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: oldVersion, RemoveFromVersionId: versionId }));
    await w.invoke(SCHEDULED);
    expect(calls(w, /oauth\/revoke$/)).toBe(0);
    expect(w.graph.tokens.get(issuedTokens(w)[0])!.dead).toBeUndefined();
    expect(w.graph.tokens.get(CANARY_TOKEN)!.dead).toBeUndefined();
  });

  it('calls Meta once even when recording the revoke fails, and treats an already invalid token as done', async () => {
    const { w, oldVersion } = await oldWorld({ ...MINT, [EnvVar.RevokePreviousAfterHours]: '1' });
    expect((await w.rotate()).error).toBeUndefined();
    graceOver(w);
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => i.VersionStage === REVOKED_LABEL, type: 'InternalServiceError', message: 'boom', times: 1 });
    await w.invoke(SCHEDULED);
    expect(w.graph.tokens.get(CANARY_TOKEN)!.dead?.subcode).toBe(466);
    await w.invoke(SCHEDULED);
    expect(calls(w, /oauth\/revoke$/)).toBe(1);
    expect(labels(w)[REVOKED_LABEL]).toBe(oldVersion);
  });

  it('publishes RevokeFailed when Meta does not confirm, and tries again at the next check', async () => {
    const { w } = await oldWorld({ ...REFRESH, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 20 * DAY });
    expect((await w.rotate()).error).toBeUndefined();
    graceOver(w);
    w.graph.fault = { kind: 'raw', status: 200, body: '{"success":false}' };
    w.graph.faultPath = /oauth\/revoke$/;
    w.graph.faultCount = 1;
    await w.invoke(SCHEDULED);
    expect(metricValues(w, 'RevokeFailed')).toEqual([1]);
    expect(w.graph.tokens.get(CANARY_TOKEN)!.dead).toBeUndefined();
    await w.invoke(SCHEDULED);
    expect(w.graph.tokens.get(CANARY_TOKEN)!.dead?.subcode).toBe(466);
  });
});

describe('every token the guard held stays findable or is revoked (review of round 2)', () => {

  it('restarts the grace when a rotation demotes a token an operator had rolled back to (finding 1)', async () => {
    const { w, oldVersion } = await oldWorld({ ...REFRESH, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 20 * DAY });
    const first = await w.rotate();
    shiftParked(w, 2);
    // The operator rolls back: the initial token is AWSCURRENT again, still carrying its old demotion label.
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: oldVersion, RemoveFromVersionId: first.versionId }));
    // The next rotation (a hand-in, which settles nothing before it) demotes it again: its grace starts now.
    w.graph.addToken(NEW_TOKEN);
    expect((await setToken(w, NEW_TOKEN)).error).toBeUndefined();
    await w.invoke(SCHEDULED);
    expect(calls(w, /oauth\/revoke$/)).toBe(0);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
    // The token the operator rolled away from left AWSPREVIOUS: it is labelled, not dropped.
    const [refreshed1] = issuedTokens(w);
    expect(demoted(w).map(([, v]) => v).sort()).toEqual([first.versionId, oldVersion].sort());
    shiftParked(w, 2);
    await w.invoke(SCHEDULED);
    expect(dead(w, CANARY_TOKEN)).toBe(true);
    expect(dead(w, refreshed1)).toBe(true);
    expect(demoted(w)).toEqual([]);
  });

  it('keeps the token two generations back labelled in hand-made mode (finding 2)', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    w.graph.addToken(OTHER_TOKEN);
    const a = await setToken(w, NEW_TOKEN);
    const b = await setToken(w, OTHER_TOKEN);
    expect(b.error).toBeUndefined();
    expect(labels(w)).toMatchObject({ AWSCURRENT: b.versionId, AWSPREVIOUS: a.versionId });
    // The initial token is live at Meta and two generations back: still findable, by its own label.
    expect(demoted(w).map(([, v]) => v).sort()).toEqual([a.versionId, oldVersion].sort());
    await w.invoke(SCHEDULED);
    expect(calls(w, /oauth\/revoke$/)).toBe(0);
  });

  it(`keeps at most ${MAX_PARKED} earlier tokens and revokes the oldest beyond them, never AWSPREVIOUS (finding 2)`, async () => {
    const { w, oldVersion } = await oldWorld();
    const tokens = Array.from({ length: MAX_PARKED + 2 }, (_, i) => `EAAGhandIN${String(i).padStart(2, '0')}canaryTOKEN`);
    let last = '';
    for (const t of tokens) {
      w.graph.addToken(t);
      const r = await setToken(w, t);
      expect(r.error).toBeUndefined();
      last = r.versionId;
    }
    // Each promotion settles what it parks beyond the budget at once: the two oldest parked tokens (the initial one,
    // then the first hand-in) were revoked with the token just promoted, no check needed.
    expect(demoted(w)).toHaveLength(MAX_PARKED);
    await w.invoke(SCHEDULED);
    expect(dead(w, CANARY_TOKEN)).toBe(true);
    expect(dead(w, tokens[0])).toBe(true);
    expect(tokens.slice(1).every((t) => !dead(w, t))).toBe(true);
    expect(calls(w, /oauth\/revoke$/)).toBe(2);
    expect(demoted(w)).toHaveLength(MAX_PARKED);
    expect(labels(w)[REVOKED_LABEL]).not.toBe(oldVersion);
    expect(labels(w).AWSCURRENT).toBe(last);
    expectNoCanary(w.output.join(''), tokens);
  });

  it('promotes a hand-in over a malformed AWSCURRENT even with a shared number problem (finding 3)', async () => {
    const { w, oldVersion } = await oldWorld(ASSETS);
    w.graph.addToken(NEW_TOKEN);
    withAssets(w, 'BLOCKED');
    w.sm.find(w.tokenSecret.arn).versions.get(oldVersion)!.value = '{"accessToken": ';
    initial = undefined;
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error).toBeUndefined();
    expect(labels(w)).toMatchObject({ AWSCURRENT: versionId });
    expect(labels(w).AWSPENDING).toBeUndefined();
  });

  it('refreshes a token whose missing scope the exchanged token shares, instead of letting it age to expiry (finding 4)', async () => {
    const { w } = await oldWorld(REFRESH, { expiresAt: nowS() + 5 * DAY, scopes: ['whatsapp_business_messaging'] });
    const { error } = await w.rotate();
    expect(error).toBeUndefined();
    expect(currentToken(w)).toMatch(/refreshed/);
    expect(w.output.join('')).toMatch(/"sharedProblems":\["MissingScopes"\]/);
  });

  it('keeps every refused hand-in under a label of its own (finding 5)', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    w.graph.addToken(OTHER_TOKEN, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    const a = await setToken(w, NEW_TOKEN);
    const b = await setToken(w, OTHER_TOKEN);
    expect(a.error?.message).toMatch(/Not a system-user token/);
    expect(b.error?.message).toMatch(/Not a system-user token/);
    expect(rejected(w).map(([, v]) => v).sort()).toEqual([a.versionId, b.versionId].sort());
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    // The budget settles refused hand-ins too, oldest first, with the live token as caller.
    shiftParked(w, 1);
    await w.invoke(SCHEDULED);
    expect(dead(w, NEW_TOKEN)).toBe(false);
  });

  it('reports the promotion when the AWSCURRENT move was applied but its answer was lost (finding 6)', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => i.VersionStage === 'AWSCURRENT', type: 'InternalServiceError', message: 'timeout', times: 1, afterApply: true });
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error).toBeUndefined();
    expect(labels(w)).toMatchObject({ AWSCURRENT: versionId, AWSPREVIOUS: oldVersion });
    expect(metricValues(w, 'RotationFailed')).toEqual([]);
    expect(metricValues(w, 'RotationSucceeded')).toEqual([1]);
    expect(w.bus.events.map((e) => e['detail-type'])).toEqual(['WhatsApp Token Rotated']);
    expect(w.output.join('')).not.toMatch(/AWSCURRENT is unchanged/);
  });

  it('does not count a revoke refused for a dead caller token as done: the refused token revokes itself (finding 7)', async () => {
    const { w } = await oldWorld(MINT);
    w.graph.mintOverrides = { scopes: ['whatsapp_business_messaging'] };
    // The refused minted token is revoked with the live token as caller; the live token dies just before.
    w.graph.onMint = (): void => {
      w.graph.tokens.get(CANARY_TOKEN)!.dead = { code: 190, subcode: 460, message: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.' };
    };
    expect((await w.rotate()).error?.message).toMatch(/candidate is refused/);
    const [minted] = issuedTokens(w);
    // The 190 about the dead caller was not taken for "already invalid": Meta confirmed the token's own revoke.
    const revokes = w.graph.requests.filter((r) => r.path.endsWith('/oauth/revoke'));
    expect(revokes.map((r) => r.query.access_token === minted)).toEqual([false, true]);
    expect(w.graph.tokens.get(minted)!.dead?.subcode).toBe(466);
    expect(issuedVersion(w)).toBeUndefined();
    expect(metricValues(w, 'RevokeFailed')).toEqual([]);
  });
});

describe('a second review: sequences found by a fresh read of the state machine', () => {

  it('refreshes while the system user lost access to the WABA for both tokens, although Meta gives each answer its own fbtrace_id', async () => {
    const { w } = await oldWorld({ ...REFRESH, ...ASSETS }, { expiresAt: nowS() + 20 * DAY });
    w.graph.addWaba(WABA_ID, { id: PHONE_ID, canSendMessage: 'AVAILABLE' }, [APP_ID]);
    w.graph.tokens.get(CANARY_TOKEN)!.wabas = [];
    const { error } = await w.rotate();
    expect(error?.message).toBeUndefined();
    expect(currentToken(w)).toMatch(/refreshed/);
  });

  it('keeps the refreshed token when PutSecretValue was applied but its answer lost, and promotes it', async () => {
    const { w, oldVersion } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    w.sm.failWhen.push({ op: 'PutSecretValue', match: (i) => (i.VersionStages as string[] | undefined)?.some(isIssuedLabel) === true, type: 'InternalServiceError', message: 'timeout', times: 1, afterApply: true });
    const { error } = await w.rotate();
    const [refreshed] = issuedTokens(w);
    expect(error).toBeUndefined();
    expect(dead(w, refreshed)).toBe(false);
    expect(currentToken(w)).toBe(refreshed);
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
  });

  it('keeps refreshing when the oldest parked token is a refused hand-in of another app that Meta will not revoke', async () => {
    const { w } = await oldWorld(REFRESH, { expiresAt: nowS() + 50 * DAY });
    const FOREIGN = 'EAAGforeignAPPcanaryTOKEN0004';
    w.graph.addToken(FOREIGN, { appId: '999999999' });
    w.graph.revokeRefusal = { appId: '999999999', code: 100, message: '(#100) Invalid parameter' };
    const refused = await setToken(w, FOREIGN);
    expect(refused.error?.message).toMatch(/another app/);
    shiftParked(w, 1, refused.versionId);
    const outcomes: (string | undefined)[] = [];
    for (let i = 0; i < MAX_PARKED + 4; i++) outcomes.push((await w.rotate()).error?.message);
    expect(outcomes.filter((o) => o !== undefined)).toEqual([]);
    // The foreign token stays findable; the next oldest was revoked instead.
    expect(rejected(w).map(([, v]) => v)).toEqual([refused.versionId]);
    expect(metricValues(w, 'RevokeFailed').length).toBeGreaterThan(0);
    expectNoCanary(w.output.join(''), [FOREIGN]);
  });

  it('never promotes a token the guard revoked between testSecret and finishSecret, and never revokes a token a rotation is judging', async () => {
    const { w, oldVersion } = await oldWorld({ ...REFRESH, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 50 * DAY });
    expect((await w.rotate()).error).toBeUndefined();
    const [refreshed] = issuedTokens(w);
    shiftParked(w, 2);
    // The operator hands the previous token in again while the scheduled check runs.
    const id = await startRotation(w, CANARY_TOKEN);
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id);
    await w.invoke(SCHEDULED);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
    // Left alone, label and all, until that rotation ends.
    expect(demoted(w).map(([, v]) => v)).toContain(oldVersion);
    await step(w, 'finishSecret', id);
    expect(labels(w).AWSCURRENT).toBe(id);
    expect(dead(w, refreshed)).toBe(false);
    // And if something else revokes the candidate after testSecret, finishSecret refuses it.
    w.graph.addToken(NEW_TOKEN);
    const id2 = await handIn(w, NEW_TOKEN);
    await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id2 }));
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id2);
    w.graph.tokens.get(NEW_TOKEN)!.dead = { code: 190, subcode: 466, message: 'Error validating access token: The session was invalidated explicitly using an API call.' };
    await expect(step(w, 'finishSecret', id2)).rejects.toThrow(/finishSecret: the candidate is refused: Token invalid/);
    expect(labels(w).AWSCURRENT).toBe(id);
    expect(labels(w).AWSPENDING).toBeUndefined();
  });

  it('promotes a good hand-in over a dead live token with the label quota nearly full', async () => {
    const { w } = await oldWorld();
    const FINAL = 'EAAGfinalHANDINcanaryTOKEN0099';
    const { good, bad } = await deadLiveAfterRefusals(w, 7);
    w.graph.addToken(FINAL);
    const r = await setToken(w, FINAL);
    expect(r.error).toBeUndefined();
    expect(currentToken(w)).toBe(FINAL);
    expectNoCanary(w.output.join(''), [...good, ...bad, FINAL]);
  });

  it('reports a promotion once when two finishSecret run at the same time', async () => {
    const { w } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id);
    await Promise.all([step(w, 'finishSecret', id), step(w, 'finishSecret', id)]);
    expect(labels(w).AWSCURRENT).toBe(id);
    expect(w.bus.events.map((e) => e['detail-type'])).toEqual(['WhatsApp Token Rotated']);
    expect(metricValues(w, 'RotationSucceeded')).toEqual([1]);
  });
});

describe('a third review: worse tokens through shared problems, and the label quota with a dead live token', () => {
  it('does not promote a candidate whose asset probes got no answer over a working live token it would otherwise cure', async () => {
    // The live token is a 60-day USER token that reaches the WABA; the hand-in is a system-user token nobody assigned
    // to the WABA, judged while Meta's WABA and number endpoints are down.
    const { w } = await oldWorld(ASSETS, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    withAssets(w);
    w.graph.addToken(NEW_TOKEN, { wabas: [] });
    w.graph.fault = { kind: 'down' };
    w.graph.faultPath = /\/v25\.0\/\d+(\/(phone_numbers|subscribed_apps))?$/;
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret']) await step(w, s, id);
    await expect(step(w, 'testSecret', id)).rejects.toThrow(/could not validate the candidate/);
    expect(labels(w).AWSPENDING).toBe(id);
    // Meta is back: the same candidate gets its verdict, and it is worse.
    w.graph.fault = undefined;
    await expect(step(w, 'testSecret', id)).rejects.toThrow(/No access to the WhatsApp asset|denied/i);
    expect(currentToken(w)).toBe(CANARY_TOKEN);
    expect(labels(w).AWSPENDING).toBeUndefined();
  });

  it.each([
    ['a temporary token that expires sooner than the temporary live token', { issuedAt: nowS() - 3600, expiresAt: nowS() + 23 * 3600 }, { issuedAt: nowS() - 23 * 3600, expiresAt: nowS() + 600 }],
    ['a USER token with 3 days left over a USER token with 50', { type: 'USER' as const, expiresAt: nowS() + 50 * DAY }, { type: 'USER' as const, issuedAt: nowS() - 57 * DAY, expiresAt: nowS() + 3 * DAY }],
  ])('refuses %s', async (_n, live, candidate) => {
    const { w } = await oldWorld({}, live);
    w.graph.addToken(NEW_TOKEN, candidate);
    expect((await setToken(w, NEW_TOKEN)).error?.message).toMatch(/candidate is refused/);
    expect(currentToken(w)).toBe(CANARY_TOKEN);
  });

  it('keeps room for the next hand-in: refused live hand-ins beyond the headroom are revoked, never left unlabelled', async () => {
    const { w } = await oldWorld();
    const FINAL = 'EAAGfinalHANDINcanaryTOKEN0099';
    // The operator pastes Graph Explorer USER tokens ten times.
    const { good, bad } = await deadLiveAfterRefusals(w, 10);
    expect(Object.keys(labels(w)).length).toBeLessThanOrEqual(20 - 3);
    expect(bad.filter((t) => dead(w, t)).length).toBeGreaterThan(0);
    // The replacement still fits, and is promoted.
    w.graph.addToken(FINAL);
    expect((await setToken(w, FINAL)).error).toBeUndefined();
    expect(currentToken(w)).toBe(FINAL);
    expectNoCanary(w.output.join(''), [...good, ...bad, FINAL]);
  });
});

describe('a fourth review: throttles during a rotation, and revokes for label room', () => {
  /** Parks `n` live tokens directly under TOKENGUARD_REJECTED_AT_ labels (as earlier refused hand-ins would be). */
  async function fillParked(w: World, n: number): Promise<string[]> {
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = `EAAGparkedHANDIN${String(i).padStart(2, '0')}canaryTOKEN`;
      w.graph.addToken(t, { type: 'USER', expiresAt: nowS() + 50 * DAY });
      await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: randomUUID(), SecretString: JSON.stringify({ accessToken: t }), VersionStages: [`${REJECTED_LABEL_PREFIX}${nowS() - 10_000 + i}`] }));
      tokens.push(t);
    }
    return tokens;
  }

  it("ends createSecret without a verdict, and without any further call, when Meta throttles the live token's probes", async () => {
    const { w } = await oldWorld({ ...REFRESH, ...ASSETS }, { expiresAt: nowS() + 20 * DAY });
    withAssets(w);
    w.graph.fault = { kind: 'throttle', code: 80008 };
    w.graph.faultPath = /phone_numbers$/;
    const id = randomUUID();
    w.sm.lambda = undefined;
    await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id }));
    await expect(step(w, 'createSecret', id)).rejects.toThrow(/rate-limiting.*no verdict/);
    expect(calls(w, /oauth\/access_token$/)).toBe(0);
    expect(labels(w).AWSPENDING).toBe(id);
    // The throttle is over: the service's retry refreshes.
    w.graph.fault = undefined;
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await step(w, s, id);
    expect(currentToken(w)).toMatch(/refreshed/);
  });

  it('compares the live token through the candidate check that met a throttle, so nothing more is sent into it', async () => {
    const { w } = await oldWorld(ASSETS);
    withAssets(w);
    w.graph.addToken(NEW_TOKEN, { wabas: [WABA_ID] });
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret']) await step(w, s, id);
    w.graph.fault = { kind: 'throttle', code: 80008 };
    w.graph.faultPath = /phone_numbers$/;
    const before = w.graph.requests.length;
    await expect(step(w, 'testSecret', id)).rejects.toThrow(/could not validate/);
    expect(calls(w, /phone_numbers$/)).toBe(1);
    expect(w.graph.requests.slice(before).map((r) => r.path)).toEqual(['/v25.0/debug_token', `/v25.0/${PHONE_ID}`, `/v25.0/${WABA_ID}/phone_numbers`]);
    w.graph.fault = undefined;
    await step(w, 'testSecret', id);
    await step(w, 'finishSecret', id);
    expect(currentToken(w)).toBe(NEW_TOKEN);
  });

  it('sends one revoke of a kept token beyond the budget when Meta throttles it, and nothing more after it', async () => {
    const { w } = await oldWorld();
    await fillParked(w, 16);
    w.graph.fault = { kind: 'throttle', code: 4 };
    w.graph.faultPath = /oauth\/revoke$/;
    await w.invoke(SCHEDULED);
    w.graph.fault = undefined;
    expect(calls(w, /oauth\/revoke$/)).toBe(1);
    // The throttled call was answered (RevokeFailed); none was sent after it.
    expect(metricValues(w, 'RevokeFailed')).toEqual([1]);
    expect(rejected(w)).toHaveLength(16);
    // The next check goes on where it stopped.
    await w.invoke(SCHEDULED);
    expect(rejected(w)).toHaveLength(MAX_PARKED);
  });

  it('compares like with like on a busy WABA: a problem both tokens share stays shared when usage is high', async () => {
    // The app is not subscribed to the WABA, for both tokens; the WABA's usage is at 85% (no throttle).
    const { w } = await oldWorld(ASSETS);
    withAssets(w, 'AVAILABLE', false);
    w.graph.addToken(NEW_TOKEN, { wabas: [WABA_ID] });
    w.graph.wabaUsage.set(WABA_ID, { percent: 85 });
    expect((await setToken(w, NEW_TOKEN)).error).toBeUndefined();
    expect(currentToken(w)).toBe(NEW_TOKEN);
  });

  it('ends createSecret without a verdict when a revoke of a parked token meets a throttle', async () => {
    const { w } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    await fillParked(w, 14);
    w.graph.fault = { kind: 'throttle', code: 4 };
    w.graph.faultPath = /oauth\/revoke$/;
    const id = randomUUID();
    w.sm.lambda = undefined;
    await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id }));
    await expect(step(w, 'createSecret', id)).rejects.toThrow(/rate-limiting.*no verdict/);
    w.graph.fault = undefined;
    expect(calls(w, /oauth\/revoke$/)).toBe(1);
    expect(calls(w, /oauth\/access_token$/)).toBe(0);
    expect(labels(w).AWSPENDING).toBe(id);
    // The throttle is over: the service's retry settles the oldest parked tokens, then refreshes.
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await step(w, s, id);
    expect(currentToken(w)).toMatch(/refreshed/);
  });

  it('revokes or parks a refused live hand-in even when a read fails while looking for another copy of it', async () => {
    const { w } = await oldWorld();
    await fillParked(w, 16);
    w.graph.addToken(NEW_TOKEN, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    const cur = labels(w).AWSCURRENT;
    w.sm.failWhen.push({ op: 'GetSecretValue', match: (i) => i.VersionId === cur, type: 'InternalServiceError', message: 'boom', times: 1 });
    expect((await setToken(w, NEW_TOKEN)).error?.message).toMatch(/Not a system-user token/);
    const held = w.sm.allValues(w.tokenSecret.arn).some((v) => v.value !== undefined && tokenOf(v.value) === NEW_TOKEN && v.stages.length > 0);
    expect(held || dead(w, NEW_TOKEN)).toBe(true);
  });

  it('never revokes a refused hand-in that is the AWSPREVIOUS token handed in again, however short the labels', async () => {
    const { w, oldVersion } = await oldWorld({}, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    w.graph.addToken(NEW_TOKEN);
    expect((await setToken(w, NEW_TOKEN)).error).toBeUndefined();
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    w.graph.tokens.get(NEW_TOKEN)!.dead = { code: 190, subcode: 460, message: 'Error validating access token: The session has been invalidated because the user changed their password.' };
    await fillParked(w, 15);
    const r = await setToken(w, CANARY_TOKEN);
    expect(r.error?.message).toMatch(/Not a system-user token/);
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    // Over the budget, the checks revoke the oldest kept tokens, never this one: AWSPREVIOUS holds the same token.
    await w.invoke(SCHEDULED);
    await w.invoke(SCHEDULED);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
  });
});

describe('a fifth review and the model-based test (issue 19): each sequence they found', () => {
  /** Parks `n` live USER tokens under refusal labels of an earlier version of the command, oldest first. */
  async function parkOld(w: World, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const t = `EAAGoldPARKED${String(i).padStart(2, '0')}canaryTOKEN`;
      w.graph.addToken(t, { type: 'USER', expiresAt: nowS() + 50 * DAY });
      await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: randomUUID(), SecretString: JSON.stringify({ accessToken: t }), VersionStages: [`${REJECTED_LABEL_PREFIX}${nowS() - 10_000 + i}`] }));
    }
  }

  it('never promotes a candidate testSecret could not read: a real rotation ends without a verdict, and finishSecret judges what it promotes (1)', async () => {
    const { w, oldVersion } = await oldWorld();
    const USER = 'EAAGuserHANDINunreadCANARY0010';
    w.graph.addToken(USER, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    const id = await startRotation(w, USER);
    for (const s of ['createSecret', 'setSecret']) await step(w, s, id);
    // A transient ResourceNotFoundException on the candidate's read (or a read racing the write).
    w.sm.failWhen.push({ op: 'GetSecretValue', match: (i) => i.VersionId === id, type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value for VersionId", times: 1 });
    await expect(step(w, 'testSecret', id)).rejects.toThrow(/could not be read now.*no verdict/);
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion, AWSPENDING: id });
    // Even a finishSecret reached past a testSecret that judged nothing refuses the USER token itself.
    await expect(step(w, 'finishSecret', id)).rejects.toThrow(/finishSecret: the candidate is refused: Not a system-user token/);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
  });

  it('promotes a good hand-in on a secret that has no AWSPREVIOUS yet and a full label quota, counting the AWSPREVIOUS the move creates (2)', async () => {
    const { w, oldVersion } = await oldWorld();
    expect(labels(w).AWSPREVIOUS).toBeUndefined();
    await parkOld(w, 16);
    w.graph.addToken(NEW_TOKEN);
    // 1 + 16 + the hand-in's label + AWSPENDING = 19; the demotion label and the implicit AWSPREVIOUS would make 21.
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error).toBeUndefined();
    expect(labels(w)).toMatchObject({ AWSCURRENT: versionId, AWSPREVIOUS: oldVersion });
    expect(w.output.join('')).not.toMatch(/LimitExceededException/);
  });

  it('keeps the first hand-in labelled when a second operator hands in during its rotation (4)', async () => {
    const { w } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    w.graph.addToken(OTHER_TOKEN);
    const first = await startRotation(w, NEW_TOKEN);
    await step(w, 'createSecret', first);
    // The second operator's put lands between the first one's check and act: the service abandons the first rotation.
    const second = await handIn(w, OTHER_TOKEN);
    expect(w.sm.events.map((e) => e.eventName)).toContain('RotationAbandoned');
    await expect(step(w, 'testSecret', first)).rejects.toThrow(/not set as AWSPENDING/);
    // The first token is still under its own label; the second rotation runs on its own hand-in.
    expect(rejected(w).some(([, v]) => tokenOf(w.sm.allValues(w.tokenSecret.arn).find((x) => x.id === v)?.value) === NEW_TOKEN)).toBe(true);
    expect((await w.rotate({ ClientRequestToken: second })).error).toBeUndefined();
    expect(currentToken(w)).toBe(OTHER_TOKEN);
  });

  it('keeps a hand-in labelled when the operator follows the printed advice and hands in again (5)', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    w.graph.addToken(OTHER_TOKEN);
    w.graph.fault = { kind: 'down' };
    const { versionId } = await setToken(w, NEW_TOKEN);
    expect(labels(w).AWSPENDING).toBe(versionId);
    // The advice the command prints for a rotation stuck on AWSPENDING.
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: versionId }));
    w.graph.fault = undefined;
    expect((await setToken(w, OTHER_TOKEN)).error).toBeUndefined();
    expect(currentToken(w)).toBe(OTHER_TOKEN);
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    expect(rejected(w).map(([, v]) => tokenOf(w.sm.allValues(w.tokenSecret.arn).find((x) => x.id === v)?.value))).toContain(NEW_TOKEN);
  });

  it('never obtains a second token when the first can be neither stored nor revoked, and says so (7)', async () => {
    const { w, oldVersion } = await oldWorld(MINT);
    w.sm.rotationAttempts = 2;
    // The key policy denies this caller kms:GenerateDataKey: every write of a value fails, and Meta is down for revokes.
    w.sm.failWhen.push({ op: 'PutSecretValue', match: () => true, type: 'AccessDeniedException', message: 'Access to KMS is not allowed', times: 1_000 });
    w.graph.fault = { kind: 'down' };
    w.graph.faultPath = /oauth\/revoke$/;
    const { error } = await w.rotate();
    expect(error?.message).toMatch(/could not store the new token \(AccessDeniedException.*kms:GenerateDataKey.*neither stored nor revoked/);
    // A verdict: the service's second attempt found no AWSPENDING and obtained nothing more.
    expect(issuedTokens(w)).toHaveLength(1);
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion });
    expect(labels(w).AWSPENDING).toBeUndefined();
    expect(metricValues(w, 'RevokeFailed').length).toBeGreaterThan(0);
    // The model test's I1 exempts nothing here: the stranded token is revoked by hand (the message says how).
    w.graph.tokens.get(issuedTokens(w)[0])!.dead = { code: 190, subcode: 466, message: 'revoked by the operator' };
    w.sm.failWhen.length = 0;
  });

  it('stores a minted token after a write refused once, without obtaining another (7)', async () => {
    const { w } = await oldWorld(MINT);
    w.sm.failWhen.push({ op: 'PutSecretValue', match: () => true, type: 'AccessDeniedException', message: 'Access to KMS is not allowed', times: 1 });
    const { error, versionId } = await w.rotate();
    expect(error).toBeUndefined();
    expect(issuedTokens(w)).toHaveLength(1);
    expect(labels(w).AWSCURRENT).toBe(versionId);
    expect(currentToken(w)).toBe(issuedTokens(w)[0]);
  });

  it('ends a promotion with AWSPENDING gone, so an operator\'s rollback is never undone (8)', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await step(w, s, id);
    // The service may leave AWSPENDING on the promoted version; the function takes it off itself.
    expect(w.sm.find(w.tokenSecret.arn).versions.get(id)!.stages.has('AWSPENDING')).toBe(false);
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: oldVersion, RemoveFromVersionId: id }));
    const next = await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn }));
    expect(next.VersionId).not.toBe(id);
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion, AWSPENDING: next.VersionId });
    // (That new rotation has no hand-in; it is cleared here so the invariants' own RotateSecret can start.)
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: next.VersionId }));
  });

  it('never promotes again a version an operator rolled back from, when its AWSPENDING was left behind (8)', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    const id = await startRotation(w, NEW_TOKEN);
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => i.VersionStage === 'AWSPENDING' && i.RemoveFromVersionId === id, type: 'InternalServiceError', message: 'boom', times: 1 });
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await step(w, s, id);
    expect(labels(w)).toMatchObject({ AWSCURRENT: id, AWSPENDING: id });
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: oldVersion, RemoveFromVersionId: id }));
    // Secrets Manager reattempts the "incomplete" rotation: it is refused, and the label goes.
    await expect(step(w, 'createSecret', id)).rejects.toThrow(/was AWSCURRENT before and an operator rolled it back; it is not promoted again/);
    await expect(step(w, 'finishSecret', id)).rejects.toThrow(/has no stage|not set as AWSPENDING/);
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    expect(labels(w).AWSPENDING).toBeUndefined();
  });

  it('keeps the demotion label a finishSecret wrote when a scheduled check runs before its move (9)', async () => {
    const { w, oldVersion } = await oldWorld({ [EnvVar.RevokePreviousAfterHours]: '1' });
    w.graph.addToken(NEW_TOKEN);
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id);
    // finishSecret writes the demotion label, then its move fails once (the service retries it).
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => i.VersionStage === 'AWSCURRENT', type: 'InternalServiceError', message: 'boom', times: 1 });
    await expect(step(w, 'finishSecret', id)).rejects.toThrow(/could not move AWSCURRENT/);
    expect(demoted(w).map(([, v]) => v)).toEqual([oldVersion]);
    // The check sees a demotion label on what is still AWSCURRENT, while the rotation is in flight: left alone.
    await w.invoke(SCHEDULED);
    expect(demoted(w).map(([, v]) => v)).toEqual([oldVersion]);
    await step(w, 'finishSecret', id);
    expect(labels(w)).toMatchObject({ AWSCURRENT: id, AWSPREVIOUS: oldVersion });
    // The grace counts from that demotion: revoked once it has passed.
    shiftParked(w, 2);
    await w.invoke(SCHEDULED);
    expect(dead(w, CANARY_TOKEN)).toBe(true);
  });

  it('never revokes a kept token while an operator\'s own label holds the same token (9)', async () => {
    const { w, oldVersion } = await oldWorld({ [EnvVar.RevokePreviousAfterHours]: '1' });
    w.graph.addToken(NEW_TOKEN);
    expect((await setToken(w, NEW_TOKEN)).error).toBeUndefined();
    // An operator pins the old token for a consumer of their own, under a label of their own.
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'BILLING_PINNED', MoveToVersionId: oldVersion }));
    shiftParked(w, 2);
    await w.invoke(SCHEDULED);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
  });

  it('refuses to refresh or mint from another app\'s token with a verdict, instead of no verdict for ever (model: manualPut(foreign))', async () => {
    const { w } = await oldWorld(MINT);
    const FOREIGN = 'EAAGforeignLIVEcanaryTOKEN0011';
    w.graph.addToken(FOREIGN, { appId: '999999999' });
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: FOREIGN }) }));
    const { error } = await w.rotate();
    expect(error?.message).toMatch(/current token cannot be used to obtain a new one \(Token belongs to another app/);
    expect(labels(w).AWSPENDING).toBeUndefined();
    expect(issuedTokens(w)).toEqual([]);
  });

  it('takes AWSPENDING off a refused refreshed token before it revokes it (model: metaChange(exchange-loses-scope))', async () => {
    const { w } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    // The exchanged token lacks a scope the live token carries: it is worse, refused, and revoked.
    w.graph.exchangeOverrides = { scopes: ['whatsapp_business_management'] };
    const pendingAtRevoke: (string | undefined)[] = [];
    const emulator = w.graph as unknown as { revoke: (...a: unknown[]) => void };
    const revoke = emulator.revoke.bind(w.graph);
    emulator.revoke = (...a: unknown[]) => {
      pendingAtRevoke.push(labels(w).AWSPENDING);
      revoke(...a);
    };
    const { error } = await w.rotate();
    expect(error?.message).toMatch(/candidate is refused/);
    expect(dead(w, issuedTokens(w)[0])).toBe(true);
    // When Meta revoked it, no rotation had it in flight any more.
    expect(pendingAtRevoke).toEqual([undefined]);
  });

  it('never takes AWSPENDING back for a rotation that was abandoned while its createSecret ran (model: a late createSecret)', async () => {
    const { w } = await oldWorld(MINT);
    w.sm.lambda = undefined;
    const { VersionId: first } = await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn }));
    // While the first rotation mints (before Meta answers), an operator's put abandons it and a new rotation starts.
    let second: string | undefined;
    const call = (op: string, input: Record<string, unknown>): Record<string, unknown> => w.sm.dispatch(`secretsmanager.${op}`, 'AWS4-HMAC-SHA256 operator', JSON.stringify(input)).json as Record<string, unknown>;
    w.graph.onMint = (): void => {
      w.graph.onMint = undefined;
      call('PutSecretValue', { SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: CANARY_TOKEN }), VersionStages: ['OPERATOR_COPY'] });
      second = String(call('RotateSecret', { SecretId: w.tokenSecret.arn }).VersionId);
    };
    await step(w, 'createSecret', first!);
    expect(second).toBeDefined();
    // The late write of the first rotation's token took no label from the second rotation.
    expect(labels(w).AWSPENDING).toBe(second);
    expect(issuedVersion(w)).toBe(first);
    await w.invoke(SCHEDULED); // the check settles what no rotation will promote
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: second }));
  });

  it('judges a hand-in an operator rolled back onto after createSecret, instead of taking it for a test-only run for ever (model: setToken(previous), rollback)', async () => {
    // USER tokens both (a shared problem): the live one, then the earlier one, which lasts longer, handed in again.
    const { w, oldVersion } = await oldWorld({}, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    w.graph.addToken(NEW_TOKEN, { type: 'USER', expiresAt: nowS() + 40 * DAY });
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: NEW_TOKEN }) }));
    const id = await startRotation(w, CANARY_TOKEN);
    for (const s of ['createSecret', 'setSecret']) await step(w, s, id);
    // The operator rolls back: AWSCURRENT holds the very token the rotation carries.
    const newVersion = labels(w).AWSCURRENT;
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: oldVersion, RemoveFromVersionId: newVersion }));
    // Not the service's test-only run (whose failure would leave AWSPENDING for ever): the candidate is judged and ends.
    await step(w, 'testSecret', id);
    await step(w, 'finishSecret', id);
    expect(currentToken(w)).toBe(CANARY_TOKEN);
    expect(labels(w).AWSPENDING).toBeUndefined();
  });

  it('keeps both tokens marked when two rotations store what Meta gave them, the abandoned one first (model: serviceStep(background, twice), setToken, rotateSecret)', async () => {
    const { w } = await oldWorld(MINT);
    w.sm.lambda = undefined;
    const { VersionId: first } = await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn }));
    const call = (op: string, input: Record<string, unknown>): Record<string, unknown> => w.sm.dispatch(`secretsmanager.${op}`, 'AWS4-HMAC-SHA256 operator', JSON.stringify(input)).json as Record<string, unknown>;
    // While the first rotation waits on Meta's mint, an operator's put abandons it and a second rotation starts; the
    // second createSecret reads the labels and mints too, and its answer comes after the first one's.
    let second = '';
    let secondStep: Promise<unknown> = Promise.resolve();
    let reached!: () => void;
    const secondAtMeta = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const secondHeld = new Promise<void>((r) => (release = r));
    let mints = 0;
    w.graph.onRequest = async ({ path }): Promise<void> => {
      if (!path.endsWith('/access_tokens')) return;
      if (++mints === 1) {
        call('PutSecretValue', { SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: CANARY_TOKEN }), VersionStages: ['OPERATOR_COPY'] });
        second = String(call('RotateSecret', { SecretId: w.tokenSecret.arn }).VersionId);
        secondStep = step(w, 'createSecret', second).catch((e: Error) => e);
        await secondAtMeta;
      } else {
        reached();
        await secondHeld;
      }
    };
    await step(w, 'createSecret', first!);
    release();
    expect(await secondStep).toBeUndefined();
    w.graph.onRequest = undefined;
    // Each obtained token keeps a mark of its own: the later write took none from the earlier one.
    const versions = w.sm.find(w.tokenSecret.arn).versions;
    expect([...(versions.get(first!)?.stages ?? [])].some(isIssuedLabel)).toBe(true);
    expect([...(versions.get(second)?.stages ?? [])].some(isIssuedLabel)).toBe(true);
    await w.invoke(SCHEDULED); // the check settles the abandoned one
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: second }));
  });

  it('makes room under the label quota with the oldest kept token even within the budget, when hand-ins waiting for their rotation fill the labels (model: 16 parked at start, setToken, cancelRotateSecret, setToken(current) x2)', async () => {
    const { w } = await oldWorld();
    await parkOld(w, MAX_PARKED);
    // Six hand-ins written and waiting for a rotation that has not started (each takes a label, none counts in the budget).
    for (let i = 0; i < 6; i++) {
      const t = `EAAGwaitingHANDIN${i}canaryTOKEN00`;
      w.graph.addToken(t);
      await handIn(w, t);
    }
    w.graph.addToken(NEW_TOKEN);
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id);
    // 1 + 10 + 6 + the rotation's hand-in label and AWSPENDING = 19; the demotion label and AWSPREVIOUS make 21.
    await step(w, 'finishSecret', id);
    expect(currentToken(w)).toBe(NEW_TOKEN);
    expect(dead(w, 'EAAGoldPARKED00canaryTOKEN')).toBe(true);
  });

  it('never revokes a token an operator rolled back to while the check was settling it (model: scheduledCheck(background), rollback)', async () => {
    const { w, oldVersion } = await oldWorld({ ...REFRESH, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 20 * DAY });
    const first = await w.rotate();
    shiftParked(w, 2);
    // The check has read the labels and planned the grace revoke of the demoted token; as it asks Meta whether that
    // token is still valid, the operator rolls back onto it.
    const call = (op: string, input: Record<string, unknown>): unknown => w.sm.dispatch(`secretsmanager.${op}`, 'AWS4-HMAC-SHA256 operator', JSON.stringify(input)).json;
    w.graph.onRequest = ({ path, query }): void => {
      if (!path.endsWith('/debug_token') || query.input_token !== CANARY_TOKEN) return;
      w.graph.onRequest = undefined;
      call('UpdateSecretVersionStage', { SecretId: w.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: oldVersion, RemoveFromVersionId: first.versionId });
    };
    await w.invoke(SCHEDULED);
    expect(w.graph.onRequest).toBeUndefined();
    expect(labels(w).AWSCURRENT).toBe(oldVersion);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
    // The next check plans on the new labels: the rolled-back token is live and keeps no demotion label.
    await w.invoke(SCHEDULED);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
    expect(demoted(w).map(([, v]) => v)).not.toContain(oldVersion);
  });
});

describe('a sixth review (adversarial): no answer is never a pass', () => {
  const RNF = { type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value for VersionId", times: 1 };
  /** Parks `n` live USER tokens under refusal labels, oldest first; returns their version ids. */
  async function parkUsers(w: World, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = `EAAGsixthPARKED${String(i).padStart(2, '0')}canaryTOKEN`;
      const id = randomUUID();
      w.graph.addToken(t, { type: 'USER', expiresAt: nowS() + 50 * DAY });
      await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id, SecretString: JSON.stringify({ accessToken: t }), VersionStages: [`${REJECTED_LABEL_PREFIX}${nowS() - 10_000 + i}`] }));
      ids.push(id);
    }
    return ids;
  }

  it('keeps an over-budget parked token labelled when the read of its value finds nothing, instead of dropping its label unrevoked', async () => {
    const { w } = await oldWorld();
    const ids = await parkUsers(w, MAX_PARKED + 1);
    // A transient ResourceNotFoundException (or read-after-write lag) on the oldest parked version's read.
    w.sm.failWhen.push({ op: 'GetSecretValue', match: (i) => i.VersionId === ids[0], ...RNF });
    await w.invoke(SCHEDULED);
    const oldest = w.sm.allValues(w.tokenSecret.arn).find((v) => v.id === ids[0])!;
    expect(oldest.stages.length > 0 || dead(w, tokenOf(oldest.value)!)).toBe(true);
  });

  it('keeps an obtained token marked TOKENGUARD_ISSUED when the read of its value finds nothing, instead of dropping the mark unrevoked', async () => {
    const { w } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    // A token a refused rotation obtained and could not revoke: only TOKENGUARD_ISSUED holds it.
    const OBTAINED = 'EAAGsixthOBTAINEDrefreshedCANARY01';
    w.graph.addToken(OBTAINED, { expiresAt: nowS() + 60 * DAY });
    const id = randomUUID();
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id, SecretString: JSON.stringify({ accessToken: OBTAINED }), VersionStages: [ISSUED_LABEL] }));
    w.sm.failWhen.push({ op: 'GetSecretValue', match: (i) => i.VersionId === id, ...RNF });
    await w.invoke(SCHEDULED);
    expect(issuedVersion(w) === id || dead(w, OBTAINED)).toBe(true);
  });

  it('never refuses a better hand-in for a problem the live token shares when the read of the live token found nothing', async () => {
    // The live token is a USER token with 50 days left; the hand-in is a USER token with 55: shared, and it lives longer.
    const { w, oldVersion } = await oldWorld({}, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    w.graph.addToken(NEW_TOKEN, { type: 'USER', expiresAt: nowS() + 55 * DAY });
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret']) await step(w, s, id);
    // testSecret's reads of AWSCURRENT answer ResourceNotFoundException (a transient error): no answer about the live token.
    w.sm.failWhen.push({ op: 'GetSecretValue', match: (i) => i.SecretId === w.tokenSecret.arn && i.VersionStage === 'AWSCURRENT', ...RNF, times: 2 });
    await step(w, 'testSecret', id).catch(() => undefined);
    // No verdict: the candidate is still the rotation's, and its retry promotes it.
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion, AWSPENDING: id });
    for (const s of ['testSecret', 'finishSecret']) await step(w, s, id);
    expect(currentToken(w)).toBe(NEW_TOKEN);
  });

  it('never revokes the AWSPREVIOUS token through a parked copy of it when the read of AWSPREVIOUS found nothing', async () => {
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    expect((await setToken(w, NEW_TOKEN)).error).toBeUndefined();
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    // The AWSPREVIOUS token was also kept under a refusal label of its own (handed in again and refused), the oldest kept token.
    const copy = randomUUID();
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: copy, SecretString: JSON.stringify({ accessToken: CANARY_TOKEN }), VersionStages: [`${REJECTED_LABEL_PREFIX}${nowS() - 20_000}`] }));
    await parkUsers(w, MAX_PARKED);
    // The check's read of AWSPREVIOUS, to see which tokens are in use, answers ResourceNotFoundException once.
    w.sm.failWhen.push({ op: 'GetSecretValue', match: (i) => i.VersionId === oldVersion, ...RNF });
    await w.invoke(SCHEDULED);
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
  });
});

describe('a sixth review (adversarial): a probe without a verdict', () => {
  it('does not refuse a hand-in whose asset probe met a 190 right after debug_token called it valid: no verdict, as the check says', async () => {
    const { w, oldVersion } = await oldWorld(ASSETS);
    w.graph.addToken(NEW_TOKEN);
    withAssets(w);
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret']) await step(w, s, id);
    // The candidate's first probe answers 190 although debug_token just called it valid (TokenRefusedByProbe: "No verdict this time").
    w.graph.fault = { kind: 'raw', status: 401, body: JSON.stringify({ error: { message: 'Error validating access token: The session has been invalidated because the user changed their password.', type: 'OAuthException', code: 190, error_subcode: 460, fbtrace_id: 'A1b2C3d4E5f' } }) };
    w.graph.faultPath = new RegExp(`/(${PHONE_ID}|${WABA_ID})(/|$)`);
    w.graph.faultCount = 1;
    await step(w, 'testSecret', id).catch(() => undefined);
    expect(labels(w)).toMatchObject({ AWSCURRENT: oldVersion, AWSPENDING: id });
    for (const s of ['testSecret', 'finishSecret']) await step(w, s, id);
    expect(currentToken(w)).toBe(NEW_TOKEN);
  });
});

/**
 * Refresh mode with a 1 h grace: an operator's put makes the initial token AWSPREVIOUS without any label of the
 * guard's, then a rotation's finishSecret writes its demotion labels and its AWSCURRENT move fails once.
 */
async function failedFinishAfterOperatorPut(): Promise<{ w: World; oldVersion: string; id: string }> {
  const { w, oldVersion } = await oldWorld({ ...REFRESH, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 20 * DAY });
  w.graph.addToken(OTHER_TOKEN, { expiresAt: nowS() + 30 * DAY });
  await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: OTHER_TOKEN }) }));
  expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
  w.sm.lambda = undefined;
  const id = randomUUID();
  await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id }));
  for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id);
  w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => i.VersionStage === 'AWSCURRENT', type: 'InternalServiceError', message: 'boom', times: 1 });
  await expect(step(w, 'finishSecret', id)).rejects.toThrow(/no verdict/);
  return { w, oldVersion, id };
}

describe('a sixth review (adversarial): a finishSecret that never moved AWSCURRENT', () => {
  it('never revokes the AWSPREVIOUS token after the grace when the demotion label was written by a finishSecret whose move failed', async () => {
    // GIVEN an operator's put made the initial token AWSPREVIOUS (no rotation demoted it: the rollback target), AND a
    // rotation whose finishSecret wrote its demotion labels, then its AWSCURRENT move failed
    const { w, oldVersion, id } = await failedFinishAfterOperatorPut();
    // AND the operator follows the printed advice for a stuck rotation; the check settles the obtained token
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: id }));
    await w.invoke(SCHEDULED);
    // WHEN the grace period passes
    shiftParked(w, 2);
    await w.invoke(SCHEDULED);
    // THEN the rollback target, which no promotion demoted, is still live and still AWSPREVIOUS
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
  });
});

describe('the Secrets Manager model', () => {
  it('makes the first value written to an empty secret AWSCURRENT whatever VersionStages says', async () => {
    world = await startWorld({});
    initial = undefined;
    const out = await client(world).send(new PutSecretValueCommand({ SecretId: world.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: CANARY_TOKEN }), VersionStages: [CANDIDATE_LABEL] }));
    expect(out.VersionStages?.sort()).toEqual(['AWSCURRENT', CANDIDATE_LABEL]);
    initial = CANARY_TOKEN;
  });

  it('refuses RotateSecret while AWSPENDING sits on a version other than AWSCURRENT', async () => {
    const { w } = await oldWorld();
    w.sm.find(w.tokenSecret.arn).versions.set('stray', { id: 'stray', stages: new Set(['AWSPENDING']), created: 0 });
    await expect(client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn }))).rejects.toMatchObject({ name: 'InvalidRequestException', message: "A previous rotation isn't complete. That rotation will be reattempted." });
    w.sm.find(w.tokenSecret.arn).versions.delete('stray');
  });

  it('refuses to move a label without naming the version that holds it', async () => {
    const { w } = await oldWorld();
    const v = randomUUID();
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: v, SecretString: 'x', VersionStages: [CANDIDATE_LABEL] }));
    await expect(client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: v }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('turns rotation on when RotateSecret names a function without rules', async () => {
    world = await startWorld({ token: CANARY_TOKEN, rotationEnabled: false });
    initial = CANARY_TOKEN;
    world.graph.addToken(CANARY_TOKEN);
    world.autoRotate();
    await client(world).send(new RotateSecretCommand({ SecretId: world.tokenSecret.arn, RotationLambdaARN: 'arn:aws:lambda:us-east-1:111111111111:function:f', RotateImmediately: false }));
    await world.sm.settle();
    expect(world.sm.find(world.tokenSecret.arn).rotationEnabled).toBe(true);
  });

  it('hides a new version from DescribeSecret for a while when told to lag', async () => {
    const { w } = await oldWorld();
    w.sm.describeLag = 2;
    const v = randomUUID();
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: v, SecretString: 'x', VersionStages: [CANDIDATE_LABEL] }));
    const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(v in ((await client(w).send(new DescribeSecretCommand({ SecretId: w.tokenSecret.arn }))).VersionIdsToStages ?? {}));
    expect(seen).toEqual([false, false, true]);
  });
});

describe('a seventh review (adversarial): the settling changes of the last hour', () => {
  it('never revokes the AWSPREVIOUS token when the check drops the demotion label on AWSCURRENT but failed to drop the one a failed finishSecret wrote on AWSPREVIOUS', async () => {
    // GIVEN the rollback target is AWSPREVIOUS without any label of the guard's (an operator's put demoted it), AND a
    // finishSecret wrote its demotion labels (on AWSCURRENT and AWSPREVIOUS) and then its move failed
    const { w, oldVersion, id } = await failedFinishAfterOperatorPut();
    expect(demoted(w).map(([, v]) => v).sort()).toEqual([labels(w).AWSCURRENT, oldVersion].sort());
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: id }));
    // WHEN the check's drop of the label on AWSPREVIOUS fails once (a 500), while its drop of the one on AWSCURRENT,
    // the only evidence that the other is no demotion, goes through
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => String(i.VersionStage).startsWith(DEMOTED_LABEL_PREFIX) && i.RemoveFromVersionId === oldVersion, type: 'InternalServiceError', message: 'boom', times: 1 });
    await w.invoke(SCHEDULED);
    // (Since the fix no check drops it at all: a demotion label naming a rotation never promoted demotes nothing.)
    w.sm.failWhen.length = 0;
    expect(demoted(w).map(([, v]) => v)).toEqual([oldVersion]);
    // AND the grace period passes
    shiftParked(w, 2);
    await w.invoke(SCHEDULED);
    // THEN the rollback target, which no promotion demoted, is still live and still AWSPREVIOUS
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    expect(dead(w, CANARY_TOKEN)).toBe(false);
  });

  it('never revokes without grace the token an operator\'s put demoted when a failed finishSecret had written a demotion label on it while Meta was down', async () => {
    // GIVEN refresh mode with a 1 h grace, and a finishSecret that wrote the demotion label on AWSCURRENT, then its move failed
    const { w, oldVersion } = await oldWorld({ ...REFRESH, [EnvVar.RevokePreviousAfterHours]: '1' }, { expiresAt: nowS() + 20 * DAY });
    w.sm.lambda = undefined;
    const id = randomUUID();
    await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id }));
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id);
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => i.VersionStage === 'AWSCURRENT', type: 'InternalServiceError', message: 'boom', times: 1 });
    await expect(step(w, 'finishSecret', id)).rejects.toThrow(/no verdict/);
    expect(demoted(w).map(([, v]) => v)).toEqual([oldVersion]);
    // AND the operator follows the printed advice for the stuck rotation; Meta is down for two hours (no check settles)
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: id }));
    shiftParked(w, 2);
    // WHEN the operator stores a new token by hand (put-secret-value): the token live until now becomes AWSPREVIOUS
    w.graph.addToken(OTHER_TOKEN, { expiresAt: nowS() + 30 * DAY });
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: OTHER_TOKEN }) }));
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    // AND Meta is back: the next check runs
    await w.invoke(SCHEDULED);
    // THEN the token that was live a moment ago, which no promotion of the guard demoted, is not revoked at once
    expect(dead(w, CANARY_TOKEN)).toBe(false);
  });

  /** Runs `between` (once) when the Secrets Manager fake receives the first call `when` matches, before answering it. */
  function beforeCall(w: World, when: (op: string, input: Record<string, unknown>) => boolean, between: () => Promise<void>): void {
    const sm = w.sm as unknown as { handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> };
    let fired = false;
    sm.handle = async (req, res): Promise<void> => {
      const body = (await readBody(req)).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      if (!fired && when(target.replace(/^secretsmanager\./, ''), JSON.parse(body || '{}'))) {
        fired = true;
        await between();
      }
      const answer = w.sm.dispatch(target, String(req.headers.authorization ?? ''), body);
      if (answer.type) sendAwsJsonError(res, answer.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': answer.type }, answer.type, answer.message ?? '');
      else sendJson(res, answer.status, { 'content-type': 'application/x-amz-json-1.1' }, answer.json);
    };
  }

  it('keeps the AWSPREVIOUS token labelled when a second operator\'s hand-in and a check land between finishSecret\'s label writes and its move', async () => {
    // GIVEN the rollback target is AWSPREVIOUS without any label of the guard's (an operator's put demoted it)
    const { w, oldVersion } = await oldWorld({ [EnvVar.RevokePreviousAfterHours]: '1' });
    w.graph.addToken(OTHER_TOKEN);
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: OTHER_TOKEN }) }));
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    // AND a hand-in rotation judged up to finishSecret
    w.graph.addToken(NEW_TOKEN);
    const id = await startRotation(w, NEW_TOKEN);
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id);
    // WHEN, after finishSecret wrote its demotion labels and before its compare-and-swap, a second operator hands in a
    // token (its put abandons the rotation: AWSPENDING goes) and a scheduled check runs
    const SECOND = 'EAAGsecondOPERATORcanaryTOKEN07';
    w.graph.addToken(SECOND);
    beforeCall(w, (op, i) => op === 'UpdateSecretVersionStage' && i.VersionStage === 'AWSCURRENT' && i.MoveToVersionId === id, async () => {
      await handIn(w, SECOND);
      expect(labels(w).AWSPENDING).toBeUndefined();
      await w.invoke(SCHEDULED);
    });
    await step(w, 'finishSecret', id).catch(() => undefined);
    // THEN every token the guard held is still labelled: the old AWSPREVIOUS one lost AWSPREVIOUS to the move
    const v0 = w.sm.allValues(w.tokenSecret.arn).find((v) => v.id === oldVersion)!;
    expect(v0.stages.length > 0 || dead(w, CANARY_TOKEN)).toBe(true);
  });

  it('never promotes a refreshed token that a check revoked after a second operator\'s hand-in abandoned its rotation between finishSecret\'s judgement and its move', async () => {
    const { w, oldVersion } = await oldWorld(REFRESH, { expiresAt: nowS() + 20 * DAY });
    w.sm.lambda = undefined;
    const id = randomUUID();
    await client(w).send(new RotateSecretCommand({ SecretId: w.tokenSecret.arn, ClientRequestToken: id }));
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(w, s, id);
    const SECOND = 'EAAGsecondOPERATORcanaryTOKEN08';
    w.graph.addToken(SECOND);
    // After finishSecret judged the refreshed token, a second operator's hand-in abandons the rotation and a check runs.
    beforeCall(w, (op, i) => op === 'UpdateSecretVersionStage' && i.VersionStage === 'AWSCURRENT' && i.MoveToVersionId === id, async () => {
      await handIn(w, SECOND);
      await w.invoke(SCHEDULED);
    });
    await step(w, 'finishSecret', id).catch(() => undefined);
    // AWSCURRENT never holds a token Meta reports dead while a working one was live.
    expect(labels(w).AWSCURRENT === oldVersion || !dead(w, currentToken(w)!)).toBe(true);
  });
});

describe('an eighth review (adversarial): the demotion label written after the move', () => {
  /** The post-move TOKENGUARD_DEMOTED_AT_ write fails once (a throttle or a 500 after AWSCURRENT moved). */
  const failDemotionLabel = (w: World): void => {
    // The service retries a failed rotation (a demotion label refused before the move is retried, not lost).
    w.sm.rotationAttempts = 2;
    w.sm.failWhen.push({ op: 'UpdateSecretVersionStage', match: (i) => String(i.VersionStage).startsWith(DEMOTED_LABEL_PREFIX) && i.MoveToVersionId !== undefined, type: 'InternalServiceError', message: 'boom', times: 1 });
  };

  it('keeps the demoted token labelled when its post-move demotion label failed and an operator then puts a token by hand', async () => {
    // GIVEN a promotion whose demotion label on the old AWSCURRENT fails after the move (finishSecret still succeeds)
    const { w, oldVersion } = await oldWorld();
    w.graph.addToken(NEW_TOKEN);
    failDemotionLabel(w);
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error).toBeUndefined();
    expect(labels(w)).toMatchObject({ AWSCURRENT: versionId, AWSPREVIOUS: oldVersion });
    // AND the scheduled check runs (the warning says "a retry or the next check finishes it")
    await w.invoke(SCHEDULED);
    // WHEN an operator stores a new token by hand: AWSPREVIOUS moves to the hand-in's version
    w.graph.addToken(OTHER_TOKEN);
    await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: OTHER_TOKEN }) }));
    await w.invoke(SCHEDULED);
    // THEN the token the guard's promotion demoted is still labelled (or revoked), not a live token under no label
    const v0 = w.sm.allValues(w.tokenSecret.arn).find((v) => v.id === oldVersion)!;
    expect(v0.stages.length > 0 || dead(w, CANARY_TOKEN)).toBe(true);
  });

  it('revokes after the grace the token a promotion demoted when its post-move demotion label failed', async () => {
    // GIVEN a 1 h grace and a promotion whose demotion label fails after the move; no retry comes (finishSecret succeeded)
    const { w, oldVersion } = await oldWorld({ [EnvVar.RevokePreviousAfterHours]: '1' });
    w.graph.addToken(NEW_TOKEN);
    failDemotionLabel(w);
    expect((await setToken(w, NEW_TOKEN)).error).toBeUndefined();
    expect(labels(w).AWSPREVIOUS).toBe(oldVersion);
    // WHEN checks run and the grace passes
    await w.invoke(SCHEDULED);
    shiftParked(w, 2);
    await w.invoke(SCHEDULED);
    // THEN the demoted token is revoked, as with any other promotion
    expect(dead(w, CANARY_TOKEN)).toBe(true);
  });

  it('still revokes after the grace a token a promotion demoted without its label once the next rotation takes AWSPREVIOUS from it', async () => {
    // GIVEN a 1 h grace and a promotion whose demotion label fails after the move
    const { w, oldVersion } = await oldWorld({ [EnvVar.RevokePreviousAfterHours]: '1' });
    w.graph.addToken(NEW_TOKEN);
    w.graph.addToken(OTHER_TOKEN);
    failDemotionLabel(w);
    expect((await setToken(w, NEW_TOKEN)).error).toBeUndefined();
    // WHEN the next rotation promotes another token
    expect((await setToken(w, OTHER_TOKEN)).error).toBeUndefined();
    expect(labels(w).AWSPREVIOUS).not.toBe(oldVersion);
    // AND the grace passes for both demotions
    await w.invoke(SCHEDULED);
    shiftParked(w, 2);
    await w.invoke(SCHEDULED);
    // THEN the initial token, which the guard's first promotion demoted, is revoked like the second one's
    expect(dead(w, NEW_TOKEN)).toBe(true);
    expect(dead(w, CANARY_TOKEN)).toBe(true);
  });

  it('never stamps a demotion on the token an operator rolled back from when a late finishSecret of the current version arrives', async () => {
    // GIVEN a 1 h grace and a hand-in promoted in full
    const { w } = await oldWorld({ [EnvVar.RevokePreviousAfterHours]: '1' });
    w.graph.addToken(NEW_TOKEN);
    const { error, versionId } = await setToken(w, NEW_TOKEN);
    expect(error).toBeUndefined();
    // AND an operator puts a token of their own, then rolls back to the promoted one: theirs is AWSPREVIOUS, no guard label
    w.graph.addToken(OTHER_TOKEN);
    const put = await client(w).send(new PutSecretValueCommand({ SecretId: w.tokenSecret.arn, SecretString: JSON.stringify({ accessToken: OTHER_TOKEN }) }));
    await client(w).send(new UpdateSecretVersionStageCommand({ SecretId: w.tokenSecret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: versionId, RemoveFromVersionId: put.VersionId }));
    expect(labels(w)).toMatchObject({ AWSCURRENT: versionId, AWSPREVIOUS: put.VersionId });
    // WHEN a late (repeated) finishSecret of the promoted version arrives ("a retry after a half-done finish")
    await step(w, 'finishSecret', versionId);
    // AND the grace passes
    await w.invoke(SCHEDULED);
    shiftParked(w, 2);
    await w.invoke(SCHEDULED);
    // THEN the operator's token, which an operator's rollback (not a promotion of the guard) demoted, is not revoked
    expect(labels(w).AWSPREVIOUS).toBe(put.VersionId);
    expect(dead(w, OTHER_TOKEN)).toBe(false);
  });
});
