// A fleet token's life beyond the check, end to end on loopback: the worker settles what the guard holds outside
// AWSCURRENT (the 10-token budget, the revoke grace from the fleet's default or the token's tag) and says when Meta
// refuses a revoke; it trusts nothing a queue message says; and the fleet's rotation function answers a crash with
// a sanitized message and ends a rotation whose settings tags became invalid with a verdict instead of a stuck AWSPENDING.
import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CANDIDATE_LABEL, DEMOTED_LABEL_PREFIX, EnvVar, EventDetailType, FleetTag, isIssuedLabel, REJECTED_LABEL_PREFIX } from '../../lambda/contract';
import { handInVersionId } from '../../lambda/core/plan-rotation';
import { APP_ID, CANARY_APP_SECRET, PHONE_ID, WABA_ID } from '../fakes/canary';
import type { FakeSecret } from '../fakes/secrets-manager-fake';
import { Fleet, LOOPBACK_SECRET_ARN_PREFIX, logLines, startFleet } from './fleet-harness';

const HOUR = 3600;
const value = (token: string): string => JSON.stringify({ accessToken: token });
const tok = (name: string): string => `EAAGlife${name.replace(/[^a-z0-9]/gi, '')}TOKENcanaryQ2w${name.length}`;
const alive = (f: Fleet, token: string): boolean => !f.graph.tokens.get(token)!.dead;

/** Adds a version to a fake secret as a rotation of the guard would have left it. */
function put(secret: FakeSecret, id: string, token: string, stages: string[]): void {
  secret.versions.set(id, { id, value: value(token), stages: new Set(stages), created: 0 });
}

async function sweep(f: Fleet): Promise<void> {
  await f.plan();
  await f.drain();
}

describe('the worker settles what the guard holds, after a healthy check', () => {
  let f: Fleet;
  const now = Math.floor(Date.now() / 1000);
  const parkedTokens = Array.from({ length: 12 }, (_, i) => tok(`parked-${i}`));

  beforeAll(async () => {
    // GIVEN a fleet whose default revoke grace is 24 hours, and three refresh tokens:
    //   budget: 12 refused hand-ins parked (the budget is 10), graced: a token demoted 2 days ago,
    //   patient: a token demoted 2 days ago whose own tag asks for 72 hours
    f = await startFleet({ name: 'settling', extraEnv: { [EnvVar.RevokePreviousAfterHours]: '24' } });
    f.graph.addWaba(WABA_ID, { id: PHONE_ID });
    for (const t of ['budget', 'graced', 'patient', 'old-graced', 'old-patient', ...parkedTokens]) f.graph.addToken(t.startsWith('EAAG') ? t : tok(t));
    const refresh = { [FleetTag.RotationMode]: 'refresh' };
    f.addToken('budget', tok('budget'), refresh);
    f.addToken('graced', tok('graced'), refresh);
    f.addToken('patient', tok('patient'), { ...refresh, [FleetTag.RevokePreviousAfterHours]: '72' });
    const budget = f.sm.find(f.secretName('budget'));
    parkedTokens.forEach((t, i) => put(budget, `v-parked-${String(i).padStart(2, '0')}-000000000000000000000000001`, t, [`${REJECTED_LABEL_PREFIX}${now - 1000 + i}`]));
    put(f.sm.find(f.secretName('graced')), 'v-old-graced-00000000000000000000000000001', tok('old-graced'), ['AWSPREVIOUS', `${DEMOTED_LABEL_PREFIX}${now - 48 * HOUR}`]);
    put(f.sm.find(f.secretName('patient')), 'v-old-patient-0000000000000000000000000001', tok('old-patient'), ['AWSPREVIOUS', `${DEMOTED_LABEL_PREFIX}${now - 48 * HOUR}`]);
    // WHEN a sweep runs
    await sweep(f);
  }, 120_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('keeps at most 10 parked tokens: the two oldest beyond the budget are revoked at Meta', () => {
    expect(parkedTokens.map((t) => alive(f, t))).toEqual([false, false, ...Array(10).fill(true)]);
    const labels = Object.keys(f.sm.labels(f.secretName('budget'))).filter((l) => l.startsWith(REJECTED_LABEL_PREFIX));
    expect(labels).toHaveLength(10);
  });

  it("revokes a demoted token after the fleet's default grace, and honours a token's longer grace tag", () => {
    expect(alive(f, tok('old-graced'))).toBe(false);
    expect(alive(f, tok('old-patient'))).toBe(true);
    expect(alive(f, tok('graced'))).toBe(true);
  });

  it('records the checks as healthy', async () => {
    const rows = (await f.ddb.items(f.ledgerTable)).filter((i) => i.sk === 'STATE');
    expect(rows.map((r) => [r.pk, r.status, r.problemIds]).sort()).toEqual(
      ['budget', 'graced', 'patient'].map((n) => [f.ledgerKey(n), 'healthy', []]).sort(),
    );
  });
});

describe('a revoke Meta refuses, in a fleet', () => {
  it('is a RevokeFailed problem in the ledger and one Health Changed event with the cause and the fix', async () => {
    // GIVEN a refresh token whose demoted predecessor is past the grace, and Meta refusing the revoke
    const f = await startFleet({ name: 'refusing', extraEnv: { [EnvVar.RevokePreviousAfterHours]: '1' } });
    try {
      f.graph.addToken(tok('live'));
      f.graph.addToken(tok('previous'));
      f.addToken('live', tok('live'), { [FleetTag.RotationMode]: 'refresh' });
      const demoted = `${DEMOTED_LABEL_PREFIX}${Math.floor(Date.now() / 1000) - 3 * HOUR}`;
      put(f.sm.find(f.secretName('live')), 'v-previous-000000000000000000000000000001', tok('previous'), ['AWSPREVIOUS', demoted]);
      f.graph.revokeRefusal = { appId: APP_ID, code: 200, message: '(#200) Permissions error' };
      // WHEN two sweeps run
      await sweep(f);
      await sweep(f);
      // THEN the problem is in the ledger, announced once with Meta's answer and the fix, and the old token stays labelled
      const row = (await f.ddb.items(f.ledgerTable)).find((i) => i.pk === f.ledgerKey('live') && i.sk === 'STATE');
      expect(row).toEqual(expect.objectContaining({ status: 'healthy', problemIds: ['RevokeFailed'] }));
      const events = f.bus.events.filter((e) => e['detail-type'] === EventDetailType.HealthChanged);
      expect(events).toHaveLength(1);
      expect(events[0].detail).toEqual(expect.objectContaining({ cause: expect.stringMatching(/code 200: \(#200\) Permissions error/), fix: expect.stringMatching(/revoke the token by hand/) }));
      expect(alive(f, tok('previous'))).toBe(true);
      expect(f.sm.labels(f.secretName('live'))[demoted]).toBe('v-previous-000000000000000000000000000001');
    } finally {
      await f.stop();
    }
  });
});

describe('the worker trusts nothing a message says', () => {
  let f: Fleet;
  const send = async (body: unknown): Promise<void> => {
    const r = await fetch(f.sqs.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.SendMessage', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ QueueUrl: f.queue.url, MessageBody: JSON.stringify(body) }),
    });
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    f = await startFleet({ name: 'trusting', stack: 'Prod', maxReceiveCount: 2 });
    f.graph.addWaba(WABA_ID, { id: PHONE_ID });
    f.graph.addToken(tok('acme'), { wabas: [WABA_ID] });
    f.addToken('acme', tok('acme'), { [FleetTag.WabaId]: WABA_ID, [FleetTag.PhoneNumberId]: PHONE_ID });
    // A secret of the fleet of the same name in another stack, in this account: a message must not reach it either.
    f.sm.createSecret('whatsapp-token-guard-fleet/Staging/trusting/acme', { value: value(tok('acme')), tags: { [FleetTag.Fleet]: 'Staging/trusting', [FleetTag.TokenName]: 'acme' } });
  });

  afterAll(async () => {
    await f?.stop();
  });

  const acme = (): FakeSecret => f.sm.find(f.secretName('acme'));
  const sweepOf = new Date().toISOString();

  it.each([
    ['another account', () => `arn:aws:secretsmanager:us-east-1:222222222222:secret:${f.ns.secretNamePrefix}acme-AbC123`],
    ['another region', () => `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${f.ns.secretNamePrefix}acme-AbC123`],
    ['the same-named fleet of another stack', () => f.sm.find('whatsapp-token-guard-fleet/Staging/trusting/acme').arn],
    ['a name outside the prefix', () => `${LOOPBACK_SECRET_ARN_PREFIX}whatsapp-token-guard/Prod/acme/token-AbC123`],
  ])("refuses a message naming %s's secret: no read, no Meta call, no ledger row, dead-lettered", async (_what, arn) => {
    // GIVEN
    f.proxy.calls = 0;
    const smCalls = f.sm.calls.length;
    await send({ v: 2, fleet: f.ns.fleetId, token: 'acme', secretId: arn(), sweep: sweepOf });
    // WHEN
    await f.drain();
    // THEN
    expect(f.proxy.calls).toBe(0);
    expect(f.sm.calls.slice(smCalls).map((c) => c.op)).toEqual([]);
    expect((await f.ddb.items(f.ledgerTable)).filter((i) => i.sk === 'STATE')).toEqual([]);
    expect(f.dlq.messages.map((m) => JSON.parse(m.body).secretId)).toContain(arn());
    expect(logLines(f.output, 'sweep message refused').some((l) => /not this fleet's/.test(String(l.reason)))).toBe(true);
  });

  it.each([
    ['a WABA of the sender\'s choosing', { [FleetTag.WabaId]: '999999999999' }],
    ['a malformed tag that would mark the token unhealthy', { [FleetTag.WabaId]: 'not-a-waba' }],
  ])('refuses a message carrying settings unlike the secret\'s (%s): nothing probed, nothing recorded', async (_what, altered) => {
    // GIVEN a version 1 message (the only one that carries settings) whose tags were altered
    const before = f.graph.requests.length;
    await send({ v: 1, fleet: 'trusting', token: 'acme', secretId: acme().arn, tags: { ...acme().tags, ...altered }, sweep: sweepOf });
    // WHEN
    await f.drain();
    // THEN
    expect(f.graph.requests.slice(before)).toEqual([]);
    expect((await f.ddb.items(f.ledgerTable)).filter((i) => i.sk === 'STATE')).toEqual([]);
    expect(logLines(f.output, 'sweep message refused').some((l) => /settings that differ from the secret's tags/.test(String(l.reason)))).toBe(true);
  });

  it('takes a secret it cannot describe as no verdict: retried by SQS, then recorded as check-failed with the cause', async () => {
    // GIVEN Secrets Manager refusing DescribeSecret for beta's secret
    f.graph.addToken(tok('beta'));
    f.addToken('beta', tok('beta'));
    const beta = f.sm.find(f.secretName('beta'));
    f.sm.failWhen.push({ op: 'DescribeSecret', match: (i) => i.SecretId === beta.arn, type: 'AccessDeniedException', message: `User is not authorized to perform: secretsmanager:DescribeSecret on resource: ${beta.arn}`, times: 10 });
    await send({ v: 2, fleet: f.ns.fleetId, token: 'beta', secretId: beta.arn, sweep: sweepOf });
    // WHEN
    const run = await f.drain();
    // THEN
    expect(run.responses.map((r) => r.batchItemFailures.length)).toEqual([1, 1]);
    const row = (await f.ddb.items(f.ledgerTable)).find((i) => i.pk === f.ledgerKey('beta') && i.sk === 'STATE');
    expect(row).toEqual(expect.objectContaining({ status: 'check-failed', problemIds: ['SecretReadFailed'] }));
    expect(f.dlq.messages.map((m) => JSON.parse(m.body).token)).toContain('beta');
    f.sm.failWhen.length = 0;
  });

  it("checks the token by its secret's own tags when a version 1 message carries the same ones", async () => {
    await send({ v: 1, fleet: 'trusting', token: 'acme', secretId: acme().arn, tags: { ...acme().tags }, sweep: sweepOf });
    await f.drain();
    const row = (await f.ddb.items(f.ledgerTable)).find((i) => i.pk === f.ledgerKey('acme') && i.sk === 'STATE');
    expect(row?.status).toBe('healthy');
  });
});

describe("the fleet's rotation function", () => {
  let f: Fleet;
  let sm: SecretsManagerClient;

  beforeAll(async () => {
    f = await startFleet({ name: 'rotating' });
    f.graph.addWaba(WABA_ID, { id: PHONE_ID });
    f.graph.addToken(tok('acme'), { wabas: [WABA_ID] });
    f.addToken('acme', tok('acme'), { [FleetTag.WabaId]: WABA_ID });
    sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: f.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  });

  afterAll(async () => {
    await f?.stop();
  });

  it('answers a crash with a sanitized message: the error type and where, no stack, nothing of the failure\'s own text', async () => {
    // GIVEN Secrets Manager failing in a way nothing expects, its message quoting a secret
    f.sm.failNext.set('DescribeSecret', { type: 'InternalServiceError', message: `boom ${CANARY_APP_SECRET} ${tok('acme')}`, status: 500 });
    // WHEN
    const error = await f.invokeRouter({ action: 'check', token: 'acme' }).then(() => undefined, (e: Error) => e);
    // THEN
    expect(error?.message).toMatch(/^The fleet function failed unexpectedly \(InternalServiceError/);
    expect(error?.message).not.toMatch(/\n\s+at /);
    for (const s of [CANARY_APP_SECRET, tok('acme')]) for (let i = 0; i + 12 <= s.length; i++) expect(error?.message).not.toContain(s.slice(i, i + 12));
    expect(logLines(f.output, 'fleet function crashed')).toEqual([expect.objectContaining({ error: 'InternalServiceError' })]);
  });

  it('ends a rotation whose settings tag was edited mid-way with a verdict in the ledger, no stuck AWSPENDING, and the next rotation possible', async () => {
    // GIVEN a token handed in for a rotation, and an operator breaking the WABA tag right after createSecret
    const next = tok('acme-next');
    f.graph.addToken(next, { wabas: [WABA_ID] });
    const secret = f.sm.find(f.secretName('acme'));
    secret.rotationEnabled = true;
    const currentBefore = f.sm.labels(secret.arn).AWSCURRENT;
    const rotationId = 'rotation-with-a-broken-tag-0000000000000001';
    await sm.send(new (await import('@aws-sdk/client-secrets-manager')).PutSecretValueCommand({ SecretId: secret.arn, ClientRequestToken: handInVersionId(rotationId), SecretString: value(next), VersionStages: [CANDIDATE_LABEL] }));
    f.sm.lambda = async (event) => {
      const r = await f.invokeRouter(event);
      if (event.Step === 'createSecret') secret.tags![FleetTag.WabaId] = 'not-a-waba';
      return r;
    };
    f.sm.rotationAttempts = 2;
    // WHEN Secrets Manager runs the rotation (and retries it once, as it does after a failed step)
    await sm.send(new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: rotationId }));
    await f.sm.settle();
    // THEN nothing was promoted, AWSPENDING is gone, the handed-in token is parked (findable), and the ledger says why
    const labels = f.sm.labels(secret.arn);
    expect(labels.AWSCURRENT).toBe(currentBefore);
    expect(labels.AWSPENDING).toBeUndefined();
    expect(labels[CANDIDATE_LABEL]).toBeUndefined();
    expect(Object.entries(labels).find(([l]) => l.startsWith(REJECTED_LABEL_PREFIX))?.[1]).toBe(handInVersionId(rotationId));
    const row = (await f.ddb.items(f.ledgerTable)).find((i) => i.pk === f.ledgerKey('acme') && i.sk === 'STATE');
    expect(row).toEqual(expect.objectContaining({ lastRotationOutcome: 'failed', lastRotationVersionId: rotationId, lastRotationReason: expect.stringMatching(/tag token-guard:waba-id must be a numeric id/) }));
    const failed = f.bus.events.filter((e) => e['detail-type'] === EventDetailType.RotationFailed);
    expect(failed.at(-1)?.detail).toEqual(expect.objectContaining({ problems: [expect.objectContaining({ id: 'SettingsInvalid' })], confirmCommand: `npx --no-install whatsapp-token-guard fleet check acme --stack ${f.ns.fleetId.split('/')[0]} --fleet rotating` }));
    // AND once the tag is fixed, the next rotation is accepted and promotes a new hand-in
    secret.tags![FleetTag.WabaId] = WABA_ID;
    f.sm.lambda = (event) => f.invokeRouter(event);
    const again = 'rotation-after-the-tag-was-fixed-00000000001';
    await sm.send(new (await import('@aws-sdk/client-secrets-manager')).PutSecretValueCommand({ SecretId: secret.arn, ClientRequestToken: handInVersionId(again), SecretString: value(next), VersionStages: [CANDIDATE_LABEL] }));
    await sm.send(new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: again }));
    await f.sm.settle();
    expect(f.sm.valueAt(secret.arn, 'AWSCURRENT')).toBe(value(next));
  });

  it('leaves a token it obtained under its label when a mint rotation ends that way, and the next healthy check revokes it', async () => {
    // GIVEN a mint token whose system user tag is removed right after createSecret minted a new token
    f.graph.addToken(tok('mint'), { wabas: [WABA_ID] });
    f.graph.systemUsers.add('122098765432101234');
    f.addToken('minty', tok('mint'), { [FleetTag.RotationMode]: 'mint', [FleetTag.SystemUserId]: '122098765432101234' });
    const secret = f.sm.find(f.secretName('minty'));
    secret.rotationEnabled = true;
    f.sm.lambda = async (event) => {
      const r = await f.invokeRouter(event);
      if (event.Step === 'createSecret') delete secret.tags![FleetTag.SystemUserId];
      return r;
    };
    // WHEN the rotation runs
    await sm.send(new RotateSecretCommand({ SecretId: secret.arn }));
    await f.sm.settle();
    f.sm.lambda = (event) => f.invokeRouter(event);
    const issued = Object.entries(f.sm.labels(secret.arn)).find(([l]) => isIssuedLabel(l))?.[1];
    const minted = JSON.parse(f.sm.allValues(secret.arn).find((v) => v.id === issued)!.value!).accessToken as string;
    // THEN the minted token is held under TOKENGUARD_ISSUED, no AWSPENDING is stuck
    expect(f.sm.labels(secret.arn).AWSPENDING).toBeUndefined();
    expect(alive(f, minted)).toBe(true);
    // AND once the tag is back, the next sweep's healthy check past the 15 minutes a finishSecret could run revokes it
    secret.tags![FleetTag.SystemUserId] = '122098765432101234';
    for (const v of f.sm.find(secret.arn).versions.values()) v.created -= 16 * 60;
    await sweep(f);
    expect(alive(f, minted)).toBe(false);
    expect(Object.entries(f.sm.labels(secret.arn)).find(([l]) => isIssuedLabel(l))?.[1]).toBeUndefined();
  });
});
