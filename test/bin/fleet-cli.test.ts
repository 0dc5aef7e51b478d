// `whatsapp-token-guard fleet ...` in-process: Secrets Manager is the stateful loopback fake, the ledger is dynalite,
// Meta is the Graph emulator, and the Lambda invocations run the fleet's router entry point against them;
// CloudFormation (the Manifest output) is aws-sdk-client-mock. No command's output may hold a token. Every Secrets
// Manager call the command itself makes (not the fleet's function) is recorded, so the tests can say which calls
// happened on the operator's machine.
import { PassThrough, Readable } from 'node:stream';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../../bin/cli/main';
import { handInVersionId } from '../../lambda/core/plan-rotation';
import { CANDIDATE_LABEL, FleetTag, HANDIN_LABEL_PREFIX, ISSUED_LABEL } from '../../lambda/contract';
import type { FleetManifest } from '../../lib/whatsapp-token-guard-stack';
import { APP_ID, CANARY_APP_SECRET, WABA_ID, PHONE_ID } from '../fakes/canary';
import { Fleet, startFleet } from '../e2e/fleet-harness';

const GOOD = 'EAAGfleetCLIgoodTOKENcanary000001';
const EXPIRED = 'EAAGfleetCLIexpiredTOKENcanary002';
const DAY = 86_400;
const ROUTER_ARN = 'arn:aws:lambda:us-east-1:111111111111:function:fleet-router';

const lambdaMock = mockClient(LambdaClient);
const cfnMock = mockClient(CloudFormationClient);

let f: Fleet;
let out = '';
let err = '';
/** The Secrets Manager calls the command made itself (on the operator's machine), in order. */
let smCalls: { op: string; input: Record<string, unknown> }[] = [];
/** Every token value a test handed to Meta's emulator: none of them may appear in any output. */
const secrets = [GOOD, EXPIRED, CANARY_APP_SECRET];

beforeAll(async () => {
  f = await startFleet({ stack: 'Clients' });
  f.graph.addWaba(WABA_ID, { id: PHONE_ID });
  f.graph.addToken(GOOD, { wabas: [WABA_ID] });
  f.graph.addToken(EXPIRED, { expiresAt: f.graph.now() - DAY });
  const manifest: FleetManifest = {
    name: 'clients',
    fleetId: f.ns.fleetId,
    secretNamePrefix: f.ns.secretNamePrefix,
    routerFunctionName: 'fleet-router',
    rotationFunctionArn: ROUTER_ARN,
    ledgerTableName: f.ledgerTable,
    appId: APP_ID,
    appSecretArn: f.env.APP_SECRET_ARN,
    graphApiVersion: 'v25.0',
    graphApiBaseUrl: f.proxy.baseUrl,
    requiredScopes: ['whatsapp_business_messaging', 'whatsapp_business_management'],
    expiryWarningDays: 14,
    deadLetterQueueUrl: f.dlq.url,
  };
  cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'WhatsAppTokenGuard', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'Manifest', OutputValue: JSON.stringify({ tokens: {}, fleet: manifest }) }] }] });
  lambdaMock.on(InvokeCommand).callsFake(async (input: { Payload: Uint8Array }) => {
    try {
      const result = await f.invokeRouter(JSON.parse(Buffer.from(input.Payload).toString('utf8')));
      return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(result ?? null)) };
    } catch (e) {
      return { StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify({ errorType: (e as Error).name, errorMessage: (e as Error).message })) };
    }
  });
  // Secrets Manager runs every rotation step through the fleet's function, as the service does.
  f.sm.lambda = (event) => f.invokeRouter(event);
});

afterAll(async () => {
  await f?.stop();
});

afterEach(() => {
  for (const secret of secrets) for (let i = 0; i + 12 <= secret.length; i++) expect(out + err).not.toContain(secret.slice(i, i + 12));
});

async function cli(args: string[], stdin = ''): Promise<number> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  out = '';
  err = '';
  smCalls = [];
  cfnMock.resetHistory();
  lambdaMock.resetHistory();
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
  const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: f.sm.endpoint, credentials: creds, maxAttempts: 1 });
  sm.middlewareStack.add(
    (next, context) => async (args) => {
      smCalls.push({ op: String(context.commandName).replace(/Command$/, ''), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize' },
  );
  const saved = { ...process.env };
  // fleet list builds its own DynamoDB client from the SDK's configuration.
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: f.ddb.endpoint, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' });
  try {
    return await runCli(args, {
      stdin: Readable.from([stdin]),
      stdout,
      stderr,
      env: { AWS_REGION: 'us-east-1' },
      clients: {
        secrets: sm,
        lambda: new LambdaClient({ region: 'us-east-1', credentials: creds }),
        cloudformation: new CloudFormationClient({ region: 'us-east-1', credentials: creds }),
        cloudwatch: new CloudWatchClient({ region: 'us-east-1', credentials: creds }),
        dynamodb: new DynamoDBClient({ region: 'us-east-1', endpoint: f.ddb.endpoint, credentials: creds, maxAttempts: 1 }),
      },
      // A rotation started by the command is driven by the fake; waiting for it is waiting for the fake.
      pollIntervalMs: 0,
      sleep: () => f.sm.settle(),
    });
  } finally {
    process.env = saved;
  }
}

/** Every AWS call the command made: CloudFormation, Lambda and Secrets Manager. */
const awsCalls = (): number => cfnMock.calls().length + lambdaMock.calls().length + smCalls.length;
const invoked = (): Record<string, unknown>[] => lambdaMock.commandCalls(InvokeCommand).map((c) => JSON.parse(Buffer.from(c.args[0].input.Payload as Uint8Array).toString('utf8')));
const tagsOf = (tokenName: string): Record<string, string> => ({ [FleetTag.Fleet]: f.ns.fleetId, [FleetTag.TokenName]: tokenName });

describe('fleet add', () => {
  it('validates the token with Meta, stores it as AWSCURRENT with its settings as tags, enables rotation and records the first verdict', async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'acme', '--waba', WABA_ID, '--phone', PHONE_ID], `${GOOD}\n`);
    // THEN
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const secret = f.sm.find(f.secretName('acme'));
    expect(f.sm.valueAt(secret.arn, 'AWSCURRENT')).toBe(JSON.stringify({ accessToken: GOOD }));
    expect(secret.tags).toEqual({ ...tagsOf('acme'), [FleetTag.RotationMode]: 'hand-made', [FleetTag.WabaId]: WABA_ID, [FleetTag.PhoneNumberId]: PHONE_ID });
    expect({ enabled: secret.rotationEnabled, fn: secret.rotationLambdaArn }).toEqual({ enabled: true, fn: ROUTER_ARN });
    const rows = (await f.ddb.items(f.ledgerTable)).filter((i) => i.pk === f.ledgerKey('acme') && i.sk === 'STATE');
    expect(rows).toEqual([expect.objectContaining({ status: 'healthy' })]);
    expect(out).toMatch(/validated with Meta and stored as whatsapp-token-guard-fleet\/Clients\/clients\/acme/);
  });

  it("judges the token through the fleet's function: the operator's machine never reads the app secret or any token", async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'delta', '--waba', WABA_ID], `${GOOD}\n`);
    // THEN
    expect(code).toBe(0);
    expect(smCalls.filter((c) => c.op === 'GetSecretValue')).toEqual([]);
    expect(invoked()[0]).toEqual({ action: 'check', token: 'delta', value: GOOD, tags: expect.objectContaining({ [FleetTag.Fleet]: f.ns.fleetId, [FleetTag.WabaId]: WABA_ID }) });
  });

  it('reads and checks a malformed token before any AWS call: no stack lookup, no secret, no function', async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'epsilon'], 'EAAG this is two words\n');
    // THEN
    expect(code).toBe(2);
    expect(err).toMatch(/Nothing was changed/);
    expect(awsCalls()).toBe(0);
  });

  it('refuses a name that is not a token name before any AWS call', async () => {
    expect(await cli(['fleet', 'add', '../other-stack/x'], `${GOOD}\n`)).toBe(2);
    expect(err).toMatch(/NAME must be 1-64 letters, digits/);
    expect(awsCalls()).toBe(0);
  });

  it('stores nothing when Meta says the token is not fit, and says why', async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'stale'], `${EXPIRED}\n`);
    // THEN
    expect(code).toBe(1);
    expect(() => f.sm.find(f.secretName('stale'))).toThrow(/can't find/);
    expect(out).toMatch(/was not stored/);
    expect(out).toMatch(/Token invalid/);
  });

  it('refuses a malformed flag before reading the token, naming the flag', async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'bad', '--waba', 'my-waba'], `${GOOD}\n`);
    // THEN
    expect(code).toBe(2);
    expect(err).toMatch(/--waba must be a numeric id of 5 to 20 digits, got "my-waba"/);
    expect(() => f.sm.find(f.secretName('bad'))).toThrow();
    expect(awsCalls()).toBe(0);
  });

  it('never overwrites an existing token', async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'acme'], `${GOOD}\n`);
    // THEN
    expect(code).toBe(2);
    expect(err).toMatch(/already has a secret/);
  });
});

describe('the fleet rotation function', () => {
  it('rotates a hand-made fleet token with the settings from its tags: validated, promoted, recorded in its ledger row', async () => {
    // GIVEN a new token handed in under the candidate label, and Secrets Manager running the steps through the fleet router
    const next = 'EAAGfleetCLInextTOKENcanary000004';
    f.graph.addToken(next, { wabas: [WABA_ID] });
    const arn = f.sm.find(f.secretName('acme')).arn;
    const { PutSecretValueCommand, RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: f.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    // (bound to its rotation the way set-token does it: the hand-in's version id derives from the rotation's token)
    const rotationId = 'fleet-rotation-000000000000000000000000001';
    await sm.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: handInVersionId(rotationId), SecretString: JSON.stringify({ accessToken: next }), VersionStages: ['TOKENGUARD_CANDIDATE'] }));
    // WHEN
    await sm.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: rotationId }));
    await f.sm.settle();
    // THEN
    expect(f.sm.valueAt(arn, 'AWSCURRENT')).toBe(JSON.stringify({ accessToken: next }));
    expect(f.sm.valueAt(arn, 'AWSPREVIOUS')).toBe(JSON.stringify({ accessToken: GOOD }));
    const row = (await f.ddb.items(f.ledgerTable)).find((i) => i.pk === f.ledgerKey('acme') && i.sk === 'STATE');
    expect(row?.lastRotationOutcome).toBe('rotated');
    const text = f.output.join('') + JSON.stringify(await f.ddb.items(f.ledgerTable)) + f.bus.bodies.join('');
    for (let i = 0; i + 12 <= next.length; i++) expect(text).not.toContain(next.slice(i, i + 12));
  });

  it('refuses a secret outside the fleet', async () => {
    const other = f.sm.createSecret('whatsapp-token-guard-fleet/Staging/clients/x', { value: JSON.stringify({ accessToken: GOOD }) });
    await expect(f.invokeRouter({ Step: 'createSecret', SecretId: other.arn, ClientRequestToken: 'v1' })).rejects.toThrow(/rotates only the secrets of fleet "Clients\/clients"/);
  });
});

describe('fleet list, check and remove', () => {
  it('lists every token from the ledger as JSON, unhealthy first', async () => {
    // GIVEN a second token that goes bad after onboarding
    const other = 'EAAGfleetCLIsecondTOKENcanary0003';
    f.graph.addToken(other, {});
    await cli(['fleet', 'add', 'beta'], `${other}\n`);
    f.graph.tokens.get(other)!.dead = { code: 190, subcode: 460, message: 'Error validating access token: The session has been invalidated because the user changed their password.' };
    await cli(['fleet', 'check', 'beta']);
    // WHEN
    const code = await cli(['fleet', 'list', '--json']);
    // THEN
    expect(code).toBe(1);
    const listed = JSON.parse(out) as { fleet: string; tokens: { token: string; status: string; problems: string[] }[] };
    expect(listed.fleet).toBe('clients');
    expect(listed.tokens.map((t) => t.token)).not.toContain('delta-untracked');
    expect(listed.tokens.map((t) => [t.token, t.status])).toEqual([
      ['beta', 'unhealthy'],
      ['acme', 'healthy'],
      ['delta', 'healthy'],
    ]);
    expect(listed.tokens[0].problems).toContain('TokenInvalid');
    for (let i = 0; i + 12 <= other.length; i++) expect(out).not.toContain(other.slice(i, i + 12));
  });

  it('checks one token now with exit 1 for an unhealthy one', async () => {
    expect(await cli(['fleet', 'check', 'beta'])).toBe(1);
    expect(out).toMatch(/UNHEALTHY/);
    expect(await cli(['fleet', 'check', 'acme'])).toBe(0);
  });

  it('stops guarding a removed token, records where it was, clears a pending rotation and keeps its secret', async () => {
    // GIVEN a rotation of beta left pending (its AWSPENDING placeholder, as CancelRotateSecret would leave it)
    const beta = f.sm.find(f.secretName('beta'));
    beta.versions.set('pending-beta-0000000000000000000000001', { id: 'pending-beta-0000000000000000000000001', stages: new Set(['AWSPENDING']), created: 0 });
    // WHEN
    const code = await cli(['fleet', 'remove', 'beta']);
    // THEN
    expect(code).toBe(0);
    expect(beta.tags?.[FleetTag.Fleet]).toBeUndefined();
    expect(beta.tags?.[FleetTag.RemovedFromFleet]).toBe(f.ns.fleetId);
    expect(beta.rotationEnabled).toBe(false);
    expect(f.sm.labels(beta.arn).AWSPENDING).toBeUndefined();
    expect(beta.deleted).toBeUndefined();
    expect(out).toMatch(/is kept/);
    expect(out).toMatch(/cleared the pending rotation/);
    const planned = await f.plan();
    expect(planned.guarded).toBe(2);
  });

  it('schedules the secret for deletion only with --delete-secret, recoverable', async () => {
    expect(await cli(['fleet', 'remove', 'beta', '--delete-secret', '--recovery-days', '7'])).toBe(0);
    expect(f.sm.secrets.get(f.sm.find(f.secretName('acme')).arn)?.deleted).toBeUndefined();
    expect(out).toMatch(/scheduled for deletion in 7 days/);
  });
});

describe('fleet remove refuses what is not its own', () => {
  it.each([['acme/../../other-stack/primary/token'], ['../acme'], ['a b'], ['x'.repeat(65)]])('refuses the name %s before any AWS call', async (name) => {
    expect(await cli(['fleet', 'remove', name, '--delete-secret'])).toBe(2);
    expect(err).toMatch(/NAME must be 1-64 letters, digits/);
    expect(awsCalls()).toBe(0);
  });

  it.each([
    ['untagged', {}],
    ['tagged for the fleet of the same name in another stack', { [FleetTag.Fleet]: 'Staging/clients' }],
    ['removed from another fleet', { [FleetTag.RemovedFromFleet]: 'Staging/clients' }],
  ])('touches nothing of a secret under the prefix that is %s', async (_what, tags) => {
    // GIVEN a secret named like a token of the fleet, but not carrying its tag
    const name = `foreign-${Object.keys(tags).length}-${String(Object.values(tags)[0] ?? 'none').length}`;
    const secret = f.sm.createSecret(f.secretName(name), { value: JSON.stringify({ accessToken: GOOD }), rotationEnabled: true, rotationLambdaArn: 'arn:aws:lambda:us-east-1:111111111111:function:theirs', tags: { ...tags } });
    // WHEN
    const code = await cli(['fleet', 'remove', name, '--delete-secret']);
    // THEN nothing changed: no tag, rotation or deletion, and the command said why
    expect(code).toBe(2);
    expect(err).toMatch(/is not a token of fleet "Clients\/clients" and this command does not touch it/);
    expect(secret.tags).toEqual(tags);
    expect(secret.rotationEnabled).toBe(true);
    expect(secret.deleted).toBeUndefined();
    expect(smCalls.map((c) => c.op)).toEqual(['DescribeSecret']);
    expect(lambdaMock.calls()).toHaveLength(0);
  });
});

describe('fleet remove --delete-secret', () => {
  const LIVE = 'EAAGfleetCLIliveTOKENcanary000006';
  const DEMOTED = 'EAAGfleetCLIdemotedTOKENcanary007';
  const MINTED = 'EAAGfleetCLImintedTOKENcanary0008';
  const REFUSED = 'EAAGfleetCLIrefusedTOKENcanary009';
  const HANDED_IN = 'EAAGfleetCLIhandedINtokenCanary10';
  secrets.push(LIVE, DEMOTED, MINTED, REFUSED, HANDED_IN);

  /** A token secret as a refresh rotation leaves it mid-way: the live token, the one it demoted, a minted candidate, a refused hand-in, a fresh hand-in. */
  function heldSecret(name: string): ReturnType<Fleet['sm']['createSecret']> {
    for (const t of [LIVE, DEMOTED, MINTED, REFUSED, HANDED_IN]) f.graph.addToken(t, { wabas: [WABA_ID] });
    const secret = f.sm.createSecret(f.secretName(name), { value: JSON.stringify({ accessToken: LIVE }), rotationEnabled: true, rotationLambdaArn: ROUTER_ARN, tags: { ...tagsOf(name), [FleetTag.RotationMode]: 'refresh' } });
    const put = (id: string, token: string, stages: string[]) => secret.versions.set(id, { id, value: JSON.stringify({ accessToken: token }), stages: new Set(stages), created: 0 });
    put('v-demoted-00000000000000000000000000001', DEMOTED, ['AWSPREVIOUS', 'TOKENGUARD_DEMOTED_AT_1800000000']);
    put('v-minted-000000000000000000000000000001', MINTED, ['AWSPENDING', ISSUED_LABEL]);
    put('v-refused-00000000000000000000000000001', REFUSED, ['TOKENGUARD_REJECTED_AT_1800000100']);
    put('v-handin-000000000000000000000000000001', HANDED_IN, [CANDIDATE_LABEL]);
    return secret;
  }
  const alive = (token: string): boolean => !f.graph.tokens.get(token)!.dead;

  it('revokes AWSPREVIOUS too before it deletes the secret, also when an operator\'s own put demoted it (model: manualPut, fleetRemove)', async () => {
    // GIVEN the fleet added LIVE, then an operator put NEW by hand: LIVE is AWSPREVIOUS without any label of the guard's
    for (const t of [LIVE, HANDED_IN]) f.graph.addToken(t, { wabas: [WABA_ID] });
    const secret = f.sm.createSecret(f.secretName('omega'), { value: JSON.stringify({ accessToken: LIVE }), rotationEnabled: true, rotationLambdaArn: ROUTER_ARN, tags: tagsOf('omega') });
    const previous = [...secret.versions.keys()][0];
    secret.versions.get(previous)!.stages = new Set(['AWSPREVIOUS']);
    secret.versions.set('v-manual-0000000000000000000000000000001', { id: 'v-manual-0000000000000000000000000000001', value: JSON.stringify({ accessToken: HANDED_IN }), stages: new Set(['AWSCURRENT']), created: 0 });
    // WHEN
    expect(await cli(['fleet', 'remove', 'omega', '--delete-secret'])).toBe(0);
    // THEN nothing the secret kept besides the live token is left live once it is gone
    expect(secret.deleted).toBe(true);
    expect({ previous: alive(LIVE), live: alive(HANDED_IN) }).toEqual({ previous: false, live: true });
    expect(out).toMatch(new RegExp(`version ${previous} \\(AWSPREVIOUS\\): revoked at Meta`));
  });

  it('revokes every token the guard obtained or parked, never the live one, clears the pending rotation, says so, then deletes', async () => {
    // GIVEN
    const secret = heldSecret('gamma');
    // WHEN
    const code = await cli(['fleet', 'remove', 'gamma', '--delete-secret']);
    // THEN no token the guard obtained or parked is live; the live token and the operator's own hand-in are
    expect(code).toBe(0);
    expect({ demoted: alive(DEMOTED), minted: alive(MINTED), refused: alive(REFUSED) }).toEqual({ demoted: false, minted: false, refused: false });
    expect({ live: alive(LIVE), handedIn: alive(HANDED_IN) }).toEqual({ live: true, handedIn: true });
    expect([...secret.versions.values()].filter((v) => v.stages.has('AWSPENDING'))).toEqual([]);
    expect(secret.deleted).toBe(true);
    expect(out).toMatch(/version v-demoted-\S+ \(TOKENGUARD_DEMOTED_AT_1800000000\): revoked at Meta/);
    expect(out).toMatch(/version v-minted-\S+ \(TOKENGUARD_ISSUED\): revoked at Meta/);
    expect(out).toMatch(/version v-handin-\S+ \(TOKENGUARD_CANDIDATE\): not revoked: a token handed in for the rotation in flight is the operator's own/);
    expect(out).toMatch(/cleared the pending rotation/);
    expect(out).toMatch(/its live AWSCURRENT token was not revoked \(--revoke-current does\)/);
    // AND the operator's machine read no token: the fleet's function did the revoking
    expect(smCalls.filter((c) => c.op === 'GetSecretValue')).toEqual([]);
    expect(invoked()).toEqual([{ action: 'retire', token: 'gamma', revokeCurrent: false }]);
  });

  it('revokes the live token too with --revoke-current', async () => {
    const secret = heldSecret('zeta');
    expect(await cli(['fleet', 'remove', 'zeta', '--delete-secret', '--revoke-current'])).toBe(0);
    expect(alive(LIVE)).toBe(false);
    expect(secret.deleted).toBe(true);
  });

  it('deletes nothing while Meta refuses a revoke, and says what to do', async () => {
    // GIVEN Meta refusing every revoke of the app's tokens
    const secret = heldSecret('eta');
    f.graph.revokeRefusal = { appId: APP_ID, code: 200, message: '(#200) Permissions error' };
    try {
      // WHEN
      const code = await cli(['fleet', 'remove', 'eta', '--delete-secret']);
      // THEN
      expect(code).toBe(2);
      expect(secret.deleted).toBeUndefined();
      expect(alive(DEMOTED)).toBe(true);
      expect(out).toMatch(/was not deleted: 3 token\(s\) the guard holds in it could not be revoked/);
      expect(out).toMatch(/NOT revoked: Meta did not confirm the revoke \(code 200/);
      expect(f.sm.labels(secret.arn)[ISSUED_LABEL]).toBe('v-minted-000000000000000000000000000001');
    } finally {
      f.graph.revokeRefusal = undefined;
    }
    // AND once Meta answers, running it again finishes the job
    expect(await cli(['fleet', 'remove', 'eta', '--delete-secret'])).toBe(0);
    expect(alive(DEMOTED)).toBe(false);
    expect(secret.deleted).toBe(true);
  });
});

describe('fleet remove --delete-secret: no answer is never a pass (a sixth review)', () => {
  const LIVE = 'EAAGfleetSIXTHliveTOKENcanary0011';
  const PARKED = 'EAAGfleetSIXTHparkedTOKENcanary12';
  secrets.push(LIVE, PARKED);
  const RNF = { type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value for VersionId", times: 1 };
  const alive = (token: string): boolean => !f.graph.tokens.get(token)!.dead;

  it('deletes no secret while a kept token could not be read: a read that found nothing is not a clean retirement', async () => {
    // GIVEN a fleet token with a refused hand-in parked under its refusal label
    for (const t of [LIVE, PARKED]) f.graph.addToken(t, { wabas: [WABA_ID] });
    const secret = f.sm.createSecret(f.secretName('iota'), { value: JSON.stringify({ accessToken: LIVE }), rotationEnabled: true, rotationLambdaArn: ROUTER_ARN, tags: tagsOf('iota') });
    const parkedId = 'v-parked-0000000000000000000000000000012';
    secret.versions.set(parkedId, { id: parkedId, value: JSON.stringify({ accessToken: PARKED }), stages: new Set(['TOKENGUARD_REJECTED_AT_1800000100']), created: 0 });
    // AND the fleet function's read of that version answers ResourceNotFoundException once (a transient error, or lag)
    f.sm.failWhen.push({ op: 'GetSecretValue', match: (i) => i.VersionId === parkedId, ...RNF });
    // WHEN
    await cli(['fleet', 'remove', 'iota', '--delete-secret']);
    // THEN the parked token is revoked, or the secret that holds it is not deleted
    expect({ deleted: secret.deleted === true, parkedAlive: alive(PARKED) }).not.toEqual({ deleted: true, parkedAlive: true });
  });

  it('deletes no secret into which a createSecret still running stores the token it obtained from Meta', async () => {
    // GIVEN a refresh fleet token whose rotation is running: Meta has issued the refreshed token, its answer is on the way
    const LIVE60 = 'EAAGfleetSIXTHlive60TOKENcanary14';
    secrets.push(LIVE60);
    f.graph.addToken(LIVE60, { wabas: [WABA_ID], expiresAt: f.graph.now() + 20 * DAY });
    const secret = f.sm.createSecret(f.secretName('lambda'), { value: JSON.stringify({ accessToken: LIVE60 }), rotationEnabled: true, rotationLambdaArn: ROUTER_ARN, tags: { ...tagsOf('lambda'), [FleetTag.RotationMode]: 'refresh' } });
    const { RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: f.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    const rotationId = 'fleet-rotation-000000000000000000000000014';
    const g = f.graph as unknown as { send: (res: unknown, status: number, body: unknown) => void };
    const send = g.send.bind(f.graph);
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    g.send = (res, status, body) => void (typeof body === 'object' && body !== null && 'access_token' in body ? held.then(() => send(res, status, body)) : send(res, status, body));
    const saved = f.sm.lambda;
    f.sm.lambda = undefined;
    const router = f.invokeRouter;
    try {
      await sm.send(new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: rotationId }));
      const step = router({ Step: 'createSecret', SecretId: secret.arn, ClientRequestToken: rotationId }).catch((e: Error) => e);
      while (!f.graph.requests.some((r) => r.path.endsWith('/oauth/access_token') && r.query.fb_exchange_token === LIVE60)) await new Promise((r) => setTimeout(r, 5));
      // AND the createSecret stores its token after the retirement looked at the secret, before the command deletes it
      (f as { invokeRouter: typeof router }).invokeRouter = async (event) => {
        const out = await router(event);
        if ((event as { action?: string }).action === 'retire') {
          release();
          await step;
        }
        return out;
      };
      // WHEN
      await cli(['fleet', 'remove', 'lambda', '--delete-secret']);
    } finally {
      (f as { invokeRouter: typeof router }).invokeRouter = router;
      g.send = send;
      release();
      f.sm.lambda = saved;
    }
    // THEN every token Meta issued for this secret is revoked, or the secret holding it is not deleted
    const issued = [...f.graph.tokens.keys()].filter((t) => t.includes('refreshed') && f.graph.tokens.get(t)!.issuedAt >= f.graph.now() - 60);
    expect(issued.length).toBeGreaterThan(0);
    const storedInSecret = issued.filter((t) => [...secret.versions.values()].some((v) => v.value?.includes(t)));
    expect({ deleted: secret.deleted === true, liveIssued: issued.filter((t) => alive(t)).length, storedInSecret: storedInSecret.length }).not.toMatchObject({ deleted: true, liveIssued: 1 });
  });

  it('never revokes the live token without --revoke-current when the read of AWSCURRENT found nothing', async () => {
    // GIVEN an operator put the live token again by hand (put-secret-value of the same value): AWSPREVIOUS holds it too
    f.graph.addToken(LIVE, { wabas: [WABA_ID] });
    const secret = f.sm.createSecret(f.secretName('kappa'), { value: JSON.stringify({ accessToken: LIVE }), rotationEnabled: true, rotationLambdaArn: ROUTER_ARN, tags: tagsOf('kappa') });
    const first = [...secret.versions.keys()][0];
    secret.versions.get(first)!.stages = new Set(['AWSPREVIOUS']);
    const again = 'v-again-00000000000000000000000000000013';
    secret.versions.set(again, { id: again, value: JSON.stringify({ accessToken: LIVE }), stages: new Set(['AWSCURRENT']), created: 0 });
    // AND the fleet function's read of AWSCURRENT answers ResourceNotFoundException once
    f.sm.failWhen.push({ op: 'GetSecretValue', match: (i) => i.VersionId === again, ...RNF });
    // WHEN the operator removes it without --revoke-current
    await cli(['fleet', 'remove', 'kappa', '--delete-secret']);
    // THEN the live token is not revoked
    expect(alive(LIVE)).toBe(true);
  });
});

describe('fleet set-token', () => {
  const NEXT = 'EAAGfleetCLIsetTOKENnextCanary011';
  secrets.push(NEXT);

  it("hands a new token in bound to its own rotation, judged by the fleet's function, and promotes it", async () => {
    // GIVEN acme (added above) and a new token for it
    f.graph.addToken(NEXT, { wabas: [WABA_ID] });
    const secret = f.sm.find(f.secretName('acme'));
    // WHEN
    const code = await cli(['fleet', 'set-token', 'acme'], `${NEXT}\n`);
    // THEN it is AWSCURRENT, stored as the hand-in of the very rotation the command started
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(f.sm.valueAt(secret.arn, 'AWSCURRENT')).toBe(JSON.stringify({ accessToken: NEXT }));
    const rotation = smCalls.find((c) => c.op === 'RotateSecret')!.input.ClientRequestToken as string;
    const put = smCalls.find((c) => c.op === 'PutSecretValue')!.input as { SecretId: string; ClientRequestToken: string; VersionStages: string[] };
    expect(put).toMatchObject({ SecretId: secret.arn, ClientRequestToken: handInVersionId(rotation) });
    expect(put.VersionStages).toEqual([expect.stringMatching(new RegExp(`^${HANDIN_LABEL_PREFIX}\\d+_${rotation.slice(0, 8)}$`))]);
    // Promoted: its hand-in label is gone.
    expect(Object.keys(f.sm.labels(secret.arn)).filter((l) => l.startsWith(HANDIN_LABEL_PREFIX))).toEqual([]);
    expect(out).toMatch(/New token validated and promoted/);
    // AND no token or app secret was read on the operator's machine; the function checked it, with the token's name
    expect(smCalls.filter((c) => c.op === 'GetSecretValue')).toEqual([]);
    expect(invoked().every((p) => p.token === 'acme')).toBe(true);
    const row = (await f.ddb.items(f.ledgerTable)).find((i) => i.pk === f.ledgerKey('acme') && i.sk === 'STATE');
    expect(row).toEqual(expect.objectContaining({ lastRotationOutcome: 'rotated', lastRotationVersionId: rotation, status: 'healthy' }));
  });

  it('refuses a token Meta calls invalid: AWSCURRENT unchanged, the reason shown, the secret ready for the next one', async () => {
    const secret = f.sm.find(f.secretName('acme'));
    const before = f.sm.labels(secret.arn).AWSCURRENT;
    // WHEN
    const code = await cli(['fleet', 'set-token', 'acme'], `${EXPIRED}\n`);
    // THEN
    expect(code).toBe(1);
    expect(f.sm.labels(secret.arn).AWSCURRENT).toBe(before);
    expect(f.sm.labels(secret.arn).AWSPENDING).toBeUndefined();
    // Judged by the fleet's function before anything was written.
    expect(out).toMatch(/The token failed validation\. Nothing was stored\./);
    expect(out).toMatch(/Token invalid/);
  });

  it('touches nothing of a name that is not a token name, or a secret of the prefix the fleet does not own', async () => {
    expect(await cli(['fleet', 'set-token', '../../x'], `${NEXT}\n`)).toBe(2);
    expect(awsCalls()).toBe(0);
    const loose = f.sm.createSecret(f.secretName('loose-one'), { value: JSON.stringify({ accessToken: GOOD }), rotationEnabled: true, rotationLambdaArn: ROUTER_ARN });
    const versions = loose.versions.size;
    expect(await cli(['fleet', 'set-token', 'loose-one'], `${NEXT}\n`)).toBe(2);
    expect(err).toMatch(/is not tagged token-guard:fleet=Clients\/clients/);
    expect(loose.versions.size).toBe(versions);
    expect(smCalls.map((c) => c.op)).toEqual(['DescribeSecret']);
  });
});

describe('the commands the fleet prints', () => {
  it("runs the confirm command of a fleet token's events as printed", async () => {
    // The worker's events name `fleet check NAME --stack <stack> --fleet <fleet>` (lambda/core/event-details.ts).
    const { confirmCommand } = await import('../../lambda/core/event-details');
    const printed = confirmCommand(f.ledgerKey('acme'), 'acme');
    expect(printed).toBe('npx --no-install whatsapp-token-guard fleet check acme --stack Clients --fleet clients');
    expect(await cli(printed.split(' ').slice(3))).toBe(0);
    expect(cfnMock.commandCalls(DescribeStacksCommand)[0].args[0].input.StackName).toBe('Clients');
  });
});
