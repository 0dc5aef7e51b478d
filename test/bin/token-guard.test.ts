// The operator command, in-process: Secrets Manager is the stateful loopback fake (real SDK over HTTP),
// Lambda invocations run the real handler against the Graph emulator, and CloudFormation/CloudWatch are
// aws-sdk-client-mock. Every test also proves the canary never reaches the command's output.
import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../../bin/cli/main';
import { CANDIDATE_LABEL, EnvVar, HANDIN_LABEL_PREFIX, REJECTED_LABEL_PREFIX } from '../../lambda/contract';
import { GuardTag } from '../../lib/guard-tags';
import { CANARY_APP_SECRET, CANARY_TOKEN, expectNoCanary } from '../fakes/canary';
import { startWorld, World } from '../fakes/world';

const NEW_TOKEN = 'EAAGnewCLIcanaryTOKEN000003';
const OTHER = 'EAAGotherCLIcanaryTOKEN00004';
const DAY = 86_400;
const nowS = (): number => Math.floor(Date.now() / 1000);
const FUNCTION = 'WhatsAppTokenGuard-primary-checker';

const lambdaMock = mockClient(LambdaClient);
const taggingMock = mockClient(ResourceGroupsTaggingAPIClient);
const cwMock = mockClient(CloudWatchClient);

let world: World;
let out: string;
let err: string;

afterEach(async () => {
  expectNoCanary(out + err, [NEW_TOKEN, OTHER]);
  lambdaMock.reset();
  taggingMock.reset();
  cwMock.reset();
  await world?.stop();
});

const FUNCTION_ARN = `arn:aws:lambda:us-east-1:111111111111:function:${FUNCTION}`;
const ALARM_ARN = (name: string): string => `arn:aws:cloudwatch:us-east-1:111111111111:alarm:${name}`;

/** The guard as the tagging API and Lambda describe it (lib/guard-tags.ts; test/bin/discovery.test.ts checks the construct's side). */
function describeGuard(w: World): void {
  const tags = [
    { Key: GuardTag.Token, Value: 'primary' },
    { Key: GuardTag.Stack, Value: 'WhatsAppTokenGuard' },
  ];
  taggingMock.on(GetResourcesCommand, { ResourceTypeFilters: ['lambda:function'] }).resolves({ ResourceTagMappingList: [{ ResourceARN: FUNCTION_ARN, Tags: [...tags, { Key: GuardTag.Component, Value: 'checker' }] }] });
  taggingMock.on(GetResourcesCommand, { ResourceTypeFilters: ['cloudwatch:alarm'] }).resolves({
    ResourceTagMappingList: ['WhatsAppTokenGuard-primary-TokenInvalid', 'WhatsAppTokenGuard-primary-Unhealthy'].map((n) => ({ ResourceARN: ALARM_ARN(n), Tags: tags })),
  });
  lambdaMock.on(GetFunctionConfigurationCommand).resolves({ FunctionName: FUNCTION, FunctionArn: FUNCTION_ARN, Environment: { Variables: w.env } });
}

async function setup(opts: { token?: string; env?: Record<string, string>; appSecret?: string | null } = {}): Promise<World> {
  world = await startWorld({ token: opts.token, env: opts.env, appSecret: opts.appSecret });
  world.autoRotate();
  describeGuard(world);
  lambdaMock.on(InvokeCommand).callsFake(async (input: { Payload: Uint8Array }) => {
    const event = JSON.parse(Buffer.from(input.Payload).toString('utf8'));
    try {
      const result = await world.invoke(event);
      return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(result ?? null)) };
    } catch (e) {
      return { StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify({ errorType: (e as Error).name, errorMessage: (e as Error).message })) };
    }
  });
  return world;
}

/** One run of the command with its own output (two can run at once: two operators). */
async function run(args: string[], stdin = '', opts: { tty?: boolean } = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c) => (o += String(c)));
  stderr.on('data', (c) => (e += String(c)));
  Object.assign(stdout, { isTTY: opts.tty ?? false });
  const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
  const code = await runCli(args, {
    stdin: Readable.from([stdin]),
    stdout,
    stderr,
    env: {},
    clients: {
      secrets: new SecretsManagerClient({ region: 'us-east-1', endpoint: world.sm.endpoint, credentials: creds, maxAttempts: 1 }),
      lambda: new LambdaClient({ region: 'us-east-1', credentials: creds }),
      cloudformation: new CloudFormationClient({ region: 'us-east-1', credentials: creds }),
      tagging: new ResourceGroupsTaggingAPIClient({ region: 'us-east-1', credentials: creds }),
      cloudwatch: new CloudWatchClient({ region: 'us-east-1', credentials: creds }),
      dynamodb: new DynamoDBClient({ region: 'us-east-1', endpoint: world.ddb.endpoint, credentials: creds, maxAttempts: 1 }),
    },
    pollIntervalMs: 10,
  });
  return { code, out: o, err: e };
}

async function cli(args: string[], stdin = '', opts: { tty?: boolean } = {}): Promise<number> {
  const r = await run(args, stdin, opts);
  out = r.out;
  err = r.err;
  return r.code;
}

const current = (w: World): string | undefined => {
  const v = w.sm.valueAt(w.tokenSecret.arn, 'AWSCURRENT');
  return v && JSON.parse(v).accessToken;
};

describe('set-token', () => {
  it('validates the handed-in token through a real rotation and promotes it', async () => {
    // Prepare
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN, { expiresAt: nowS() + 60 * DAY });
    // Act
    const code = await cli(['set-token'], `  ${NEW_TOKEN}\n`);
    // Assess
    expect(code).toBe(0);
    expect(out).toMatch(/New token validated and promoted: version .* is AWSCURRENT, .* is AWSPREVIOUS/);
    expect(out).toMatch(/Token "primary": HEALTHY/);
    expect(current(world)).toBe(NEW_TOKEN);
    expect(world.sm.labels(world.tokenSecret.arn)[CANDIDATE_LABEL]).toBeUndefined();
  });

  it('stores the very first token only after the function validated it, as AWSCURRENT', async () => {
    await setup({});
    world.graph.addToken(NEW_TOKEN);
    const code = await cli(['set-token'], NEW_TOKEN);
    expect(code).toBe(0);
    expect(current(world)).toBe(NEW_TOKEN);
    expect(out).toMatch(/validated and stored as the first token: version .* is AWSCURRENT/);
    expect(out).toContain('Expires         Never');
    expect(world.sm.labels(world.tokenSecret.arn)[CANDIDATE_LABEL]).toBeUndefined();
    // Validated before anything was written: the check carried the value, and the put came after it.
    const invokes = lambdaMock.commandCalls(InvokeCommand).map((c) => JSON.parse(Buffer.from(c.args[0].input.Payload as Uint8Array).toString('utf8')));
    const firstInvoke = invokes[0];
    expect(firstInvoke).toEqual({ action: 'check', value: NEW_TOKEN });
  });

  it('writes nothing at all when the very first token fails validation (the first value written would be live at once)', async () => {
    await setup({});
    world.graph.addToken(NEW_TOKEN, { dead: { code: 190, subcode: 463, message: 'Session has expired' } });
    const code = await cli(['set-token'], NEW_TOKEN);
    expect(code).toBe(1);
    expect(out).toMatch(/failed validation\. Nothing was stored/);
    expect(out).toMatch(/Token invalid/);
    expect(world.sm.find(world.tokenSecret.arn).versions.size).toBe(0);
    expect(world.sm.calls.filter((c) => c.op === 'PutSecretValue')).toHaveLength(0);
  });

  it('tells two operators on an empty secret the truth: one token is stored first, the other goes through a rotation', async () => {
    await setup({});
    world.graph.addToken(NEW_TOKEN);
    world.graph.addToken(OTHER);
    const [a, b] = await Promise.all([run(['set-token'], NEW_TOKEN), run(['set-token'], OTHER)]);
    out = a.out + b.out;
    err = a.err + b.err;
    const mine = (r: { out: string }, token: string) => r.out.includes('validated and stored as the first token') || (r.out.includes('validated and promoted') && current(world) === token);
    // Each command reports only on its own token; whatever it says about AWSCURRENT is true.
    for (const [r, token] of [[a, NEW_TOKEN], [b, OTHER]] as const) {
      if (r.code === 0) expect(mine(r, token) || r.out.includes('first token')).toBe(true);
    }
    expect([NEW_TOKEN, OTHER]).toContain(current(world));
    const firstStored = [a, b].filter((r) => r.out.includes('first token'));
    expect(firstStored.length).toBeLessThanOrEqual(1);
  });

  it('reads the token from --file', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN);
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'tg-')), 'token.txt');
    await fs.writeFile(file, `${NEW_TOKEN}\r\n`);
    expect(await cli(['set-token', '--file', file])).toBe(0);
    expect(current(world)).toBe(NEW_TOKEN);
  });

  it('refuses a bad token with each problem and its fix before storing anything, and AWSCURRENT is unchanged', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN, { type: 'USER', expiresAt: nowS() + 50 * DAY, scopes: ['whatsapp_business_messaging'] });
    const code = await cli(['set-token'], NEW_TOKEN);
    expect(code).toBe(1);
    expect(out).toContain('The token failed validation. Nothing was stored.');
    expect(out).toContain('Not a system-user token');
    expect(out).toContain('missing: whatsapp_business_management');
    expect(out).toMatch(/Fix: .*Generate new token/);
    expect(current(world)).toBe(CANARY_TOKEN);
    // Judged by the function first: the refused token was never written to the secret.
    expect(world.sm.calls.filter((c) => c.op === 'PutSecretValue' || c.op === 'RotateSecret')).toEqual([]);
    // Ready for the next attempt: no AWSPENDING left behind, so a new rotation is not refused.
    world.graph.addToken('EAAGthirdTOKENok0004');
    expect(await cli(['set-token'], 'EAAGthirdTOKENok0004')).toBe(0);
    expect(current(world)).toBe('EAAGthirdTOKENok0004');
  });

  it.each([
    ['an empty value', '\n', /is empty/],
    ['a quoted value', `"${NEW_TOKEN}"`, /wrapped in quotes/],
    ['two values', `${NEW_TOKEN} ${NEW_TOKEN}`, /spaces inside it/],
    ['a control character', `EAAG\u0007abc`, /control characters/],
  ])('refuses %s before touching AWS', async (_n, stdin, message) => {
    await setup({ token: CANARY_TOKEN });
    const code = await cli(['set-token'], stdin);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toContain('Nothing was changed');
    // Not a single AWS call: not even the stack lookup.
    expect(taggingMock.calls()).toHaveLength(0);
    expect(world.sm.calls).toHaveLength(0);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('reports only on its own token when two operators hand in at once', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN);
    world.graph.addToken(OTHER);
    const [a, b] = await Promise.all([run(['set-token'], NEW_TOKEN), run(['set-token'], OTHER)]);
    out = a.out + b.out;
    err = a.err + b.err;
    const promoted = [a, b].filter((r) => r.code === 0);
    expect(promoted.length).toBeGreaterThanOrEqual(1);
    // Whoever says "promoted" has its own token current at that moment; a refused start says its token was not used.
    for (const r of [a, b]) {
      if (r.code !== 0) expect(r.err).toMatch(/already in progress.*(but not used|Wait for it)/);
    }
    if (promoted.length === 1) expect(current(world)).toBe(promoted[0] === a ? NEW_TOKEN : OTHER);
    // The promoted token's hand-in label is gone; a hand-in whose rotation could not start keeps its own, so it is
    // never left unlabelled (a second operator can no longer take the first one's label away).
    const handIns = Object.keys(world.sm.labels(world.tokenSecret.arn)).filter((l) => l.startsWith(HANDIN_LABEL_PREFIX));
    expect(handIns).toHaveLength(2 - promoted.length);
    expect(world.sm.labels(world.tokenSecret.arn)[CANDIDATE_LABEL]).toBeUndefined();
  });

  it('keeps its hand-in findable under its own label when Secrets Manager refuses to start the rotation, and says it was not used', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN);
    world.sm.failNext.set('RotateSecret', { type: 'InvalidRequestException', message: "A previous rotation isn't complete. That rotation will be reattempted." });
    expect(await cli(['set-token'], NEW_TOKEN)).toBe(2);
    expect(err).toMatch(/stored as version \S+ under TOKENGUARD_HANDIN_AT_\S+ but not used; run set-token again/);
    const [label] = Object.keys(world.sm.labels(world.tokenSecret.arn)).filter((l) => l.startsWith(HANDIN_LABEL_PREFIX));
    expect(JSON.parse(world.sm.valueAt(world.tokenSecret.arn, label)!).accessToken).toBe(NEW_TOKEN);
    expect(current(world)).toBe(CANARY_TOKEN);
  });

  it('keeps waiting while DescribeSecret does not list the new version yet', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN);
    world.sm.describeLag = 4;
    expect(await cli(['set-token'], NEW_TOKEN)).toBe(0);
    expect(out).toMatch(/New token validated and promoted/);
  });

  it('refuses a worse hand-in in refresh mode before writing anything, so the schedule is never pushed', async () => {
    await setup({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'refresh' } });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: nowS() + 20 * DAY });
    world.graph.addToken(NEW_TOKEN, { type: 'USER', expiresAt: nowS() + 50 * DAY });
    expect(await cli(['set-token'], NEW_TOKEN)).toBe(1);
    expect(out).toContain('Nothing was stored');
    expect(world.sm.calls.filter((c) => c.op === 'PutSecretValue' || c.op === 'RotateSecret')).toEqual([]);
    expect(current(world)).toBe(CANARY_TOKEN);
  });

  it('follows a hand-in its rotation refused with a refresh in refresh mode, so the schedule is not pushed towards expiry', async () => {
    await setup({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'refresh' } });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: nowS() + 20 * DAY });
    world.graph.addToken(NEW_TOKEN);
    // It passes the command's check, then dies before its rotation tests it.
    const drive = world.sm.lambda!;
    world.sm.lambda = async (e) => {
      if (e.Step === 'testSecret' && world.graph.tokens.get(NEW_TOKEN)!.dead === undefined && world.sm.labels(world.tokenSecret.arn).AWSPENDING === e.ClientRequestToken && JSON.parse(world.sm.allValues(world.tokenSecret.arn).find((v) => v.id === e.ClientRequestToken)?.value ?? '{}').accessToken === NEW_TOKEN) {
        world.graph.tokens.get(NEW_TOKEN)!.dead = { code: 190, subcode: 460, message: 'Error validating access token: The session has been invalidated because the user changed their password.' };
      }
      return drive(e);
    };
    const code = await cli(['set-token'], NEW_TOKEN);
    expect(code).toBe(1);
    expect(out).toContain('Rotation refused');
    expect(out).toMatch(/Following the refused hand-in with a refresh rotation/);
    expect(current(world)).toContain('refreshed');
    expectNoCanary(out + err, [current(world)!]);
  });

  it('says why an expired hand-in was refused, and stores nothing', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN, { dead: { code: 190, subcode: 463, message: 'Error validating access token: Session has expired' } });
    expect(await cli(['set-token'], NEW_TOKEN)).toBe(1);
    expect(out).toContain('Nothing was stored');
    expect(out).toMatch(/Token invalid/);
    expect(await cli(['set-token', '--json'], NEW_TOKEN)).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ outcome: 'refused', stored: false });
    expect(JSON.stringify(JSON.parse(out).report.problems)).toMatch(/Token invalid/);
  });

  it('refuses a hand-in before storing it when the secret has no staging label left for it, and says what frees one', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: world.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    for (let i = 0; i < 18; i++) {
      const t = `EAAGparkedCLI${String(i).padStart(2, '0')}canaryTOKEN`;
      world.graph.addToken(t, { type: 'USER', expiresAt: nowS() + 50 * DAY });
      await sm.send(new PutSecretValueCommand({ SecretId: world.tokenSecret.arn, ClientRequestToken: randomUUID(), SecretString: JSON.stringify({ accessToken: t }), VersionStages: [`${REJECTED_LABEL_PREFIX}${nowS() - 10_000 + i}`] }));
    }
    world.graph.addToken(NEW_TOKEN);
    expect(await cli(['set-token'], NEW_TOKEN)).toBe(2);
    expect(err).toMatch(/no room for another hand-in: its 20 staging labels are taken \(18 earlier tokens.*scheduled check revokes the oldest.*Nothing was stored/);
    expect(world.sm.allValues(world.tokenSecret.arn).some((v) => v.value?.includes(NEW_TOKEN))).toBe(false);
  });

  it('refuses to start while a rotation is in progress', async () => {
    await setup({ token: CANARY_TOKEN });
    world.sm.onRotate = undefined;
    const s = world.sm.find(world.tokenSecret.arn);
    s.versions.set('pending-1', { id: 'pending-1', stages: new Set(['AWSPENDING']), created: 0 });
    const code = await cli(['set-token'], NEW_TOKEN);
    expect(code).toBe(2);
    expect(err).toMatch(/already in progress.*update-secret-version-stage/);
  });

  it('stops waiting after --timeout and says how to follow up', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN);
    world.sm.onRotate = async () => new Promise((r) => setTimeout(r, 50)); // a rotation that never finishes its steps
    const stdout = new PassThrough();
    let o = '';
    stdout.on('data', (c) => (o += String(c)));
    let clock = 0;
    const code = await runCli(['set-token', '--timeout', '10'], {
      stdin: Readable.from([NEW_TOKEN]),
      stdout,
      stderr: new PassThrough(),
      env: {},
      clients: { secrets: new SecretsManagerClient({ region: 'us-east-1', endpoint: world.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), lambda: new LambdaClient({ region: 'us-east-1' }), cloudformation: new CloudFormationClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), tagging: new ResourceGroupsTaggingAPIClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), cloudwatch: new CloudWatchClient({ region: 'us-east-1' }), dynamodb: new DynamoDBClient({ region: 'us-east-1', endpoint: world.ddb.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }) },
      pollIntervalMs: 1,
      sleep: async () => void (clock += 5000),
      now: () => clock,
    });
    out = o;
    err = '';
    expect(code).toBe(2);
    expect(o).toMatch(/still running after 10 s/);
  });
});

describe('set-app-secret', () => {
  it('stores an app secret Meta accepts', async () => {
    await setup({ token: CANARY_TOKEN, appSecret: null });
    world.graph.addToken(CANARY_TOKEN);
    const code = await cli(['set-app-secret'], `${CANARY_APP_SECRET}\n`);
    expect(code).toBe(0);
    expect(out).toContain('App secret stored and accepted by Meta');
  });

  it('keeps but does not vouch for an app secret it could not verify because Meta is down', async () => {
    await setup({ token: CANARY_TOKEN, appSecret: null });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'down' };
    expect(await cli(['set-app-secret'], CANARY_APP_SECRET)).toBe(2);
    expect(out).toMatch(/could not be verified now/);
    expect(out).not.toMatch(/accepted by Meta/);
  });

  it('rolls back an app secret Meta refuses', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    const code = await cli(['set-app-secret'], 'wrongAppSecret0000000000');
    expect(code).toBe(1);
    expect(out).toContain('Meta refused the app token');
    expect(JSON.parse(world.sm.valueAt(world.appSecret.arn, 'AWSCURRENT')!).appSecret).toBe(CANARY_APP_SECRET);
    expectNoCanary(out + err, ['wrongAppSecret0000000000']);
  });
});

describe('rotate', () => {
  it('refreshes a 60-day token now and prints the verdict', async () => {
    await setup({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'refresh' } });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: nowS() + 10 * DAY });
    const code = await cli(['rotate']);
    expect(code).toBe(0);
    expect(out).toMatch(/promoted/);
    expect(current(world)).toContain('refreshed');
    expectNoCanary(out + err, [current(world)!]);
  });

  it('explains a refused refresh and leaves AWSCURRENT as it was', async () => {
    await setup({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'refresh' } });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: 0 });
    const code = await cli(['rotate']);
    expect(code).toBe(1);
    // Nothing is kept (no token was obtained): the reason comes from the rotation the function recorded.
    expect(out).toMatch(/Why\n.*Refusing to refresh a token that never expires/);
    expect(out).toMatch(/AWSCURRENT is unchanged/);
    expect(current(world)).toBe(CANARY_TOKEN);
  });

  it("never shows an earlier rotation's reason for a rotation that recorded none", async () => {
    await setup({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'refresh' } });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: 0 });
    expect(await cli(['rotate'])).toBe(1);
    expect(out).toMatch(/never expires/);
    // The token now expires; the next rotation is abandoned after createSecret (AWSPENDING removed, nothing recorded).
    world.graph.tokens.get(CANARY_TOKEN)!.expiresAt = nowS() + 20 * DAY;
    const inner = world.sm.lambda!;
    world.sm.lambda = async (event) => {
      const r = await inner(event);
      if (event.Step === 'createSecret') world.sm.find(world.tokenSecret.arn).versions.get(event.ClientRequestToken)!.stages.delete('AWSPENDING');
      return r;
    };
    expect(await cli(['rotate', '--json'])).toBe(1);
    expect(JSON.parse(out).reason ?? '').not.toMatch(/never expires/);
  });

  it('points hand-made tokens to set-token', async () => {
    await setup({ token: CANARY_TOKEN });
    expect(await cli(['rotate'])).toBe(2);
    expect(err).toMatch(/hand-made rotation.*set-token/);
  });
});

describe('check', () => {
  it('prints a healthy report and exits 0', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: nowS() + 45 * DAY });
    expect(await cli(['check'])).toBe(0);
    expect(out).toMatch(/Token "primary": HEALTHY/);
    expect(out).toMatch(/Type\s+SYSTEM_USER/);
    expect(out).toMatch(/Expires\s+\S+ \(45 days left\)/);
    expect(out).toContain('✓ whatsapp_business_messaging');
    expect(out).not.toContain('\u001b['); // no colour off a terminal
  });

  it('marks missing scopes and exits 1 when unhealthy', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN, { scopes: ['whatsapp_business_messaging'] });
    expect(await cli(['check'])).toBe(1);
    expect(out).toContain('✗ whatsapp_business_management (missing, required)');
    expect(out).toMatch(/Fix: /);
  });

  it('exits 2 and says Meta was unreachable when the check could not reach a verdict', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'down' };
    expect(await cli(['check'])).toBe(2);
    expect(out).toMatch(/unreachable from the function/);
  });

  it('prints the machine form with --json', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    expect(await cli(['--json', 'check'])).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ tokenName: 'primary', outcome: 'healthy', token: { type: 'SYSTEM_USER', expiresAt: 'never' } });
  });

  it('uses colour on a terminal', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    await cli(['check'], '', { tty: true });
    expect(out).toContain('\u001b[32m');
  });

  it('reports a function timeout in one line', async () => {
    await setup({ token: CANARY_TOKEN });
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 60.00 seconds' })) as never });
    expect(await cli(['check'])).toBe(2);
    expect(err).toMatch(/^whatsapp-token-guard: The function .* timed out before it could report/);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});

describe('status', () => {
  it('shows versions and labels (never values) and every alarm', async () => {
    await setup({ token: CANARY_TOKEN });
    await new SecretsManagerClient({ region: 'us-east-1', endpoint: world.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }).send(
      new PutSecretValueCommand({ SecretId: world.tokenSecret.arn, SecretString: NEW_TOKEN, VersionStages: [CANDIDATE_LABEL] }),
    );
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'WhatsAppTokenGuard-primary-TokenInvalid', StateValue: 'ALARM', StateUpdatedTimestamp: new Date('2026-11-25T10:00:00Z') }], CompositeAlarms: [{ AlarmName: 'WhatsAppTokenGuard-primary-Unhealthy', StateValue: 'ALARM' }] });
    const code = await cli(['status']);
    expect(code).toBe(1);
    expect(out).toMatch(/AWSCURRENT/);
    expect(out).toContain(CANDIDATE_LABEL);
    expect(out).toMatch(/ALARM WhatsAppTokenGuard-primary-TokenInvalid/);
    expect(out).toMatch(/Last check\s+none recorded yet/);
  });

  it('takes the last check from the ledger: a verdict right after a check without one is the last check', async () => {
    // GIVEN a check while Meta is down, then one that reaches a verdict, within the same 5 minutes
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.fault = { kind: 'down' };
    expect(await cli(['check'])).toBe(2);
    world.graph.fault = undefined;
    expect(await cli(['check'])).toBe(0);
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    // What CloudWatch holds for them: one 5-minute CheckFailed bucket whose Maximum is the failed check's 1.
    const bucket = new Date(Math.floor(Date.now() / 300_000) * 300_000);
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'checks', Timestamps: [bucket], Values: [1] }] });
    const state = (await world.ddb.items(world.table)).find((i) => i.sk === 'STATE')!;
    // WHEN
    expect(await cli(['status'])).toBe(0);
    // THEN the Health line and the Last check line tell the same check, and no metric bucket was read
    expect(out).toMatch(new RegExp(`Health\\s+HEALTHY.*last check ${state.lastCheckAt}`));
    expect(out).toMatch(new RegExp(`Last check\\s+${state.lastCheckAt} \\(verdict reached\\)`));
    expect(cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it("takes the rotations' last outcome from the ledger: a failure after a success the same day is the last outcome", async () => {
    // GIVEN a hand-in promoted, then a rotation refused (one started without a hand-in: the console's "Rotate now")
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.addToken(NEW_TOKEN, { expiresAt: nowS() + 60 * DAY });
    expect(await cli(['set-token'], NEW_TOKEN)).toBe(0);
    expect((await world.rotate()).error?.message).toMatch(/no token was handed in/);
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    // What CloudWatch holds for them: one daily bucket each for RotationSucceeded and RotationFailed, a tie.
    const day = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'ok', Timestamps: [day], Values: [1] }, { Id: 'failed', Timestamps: [day], Values: [1] }] });
    // WHEN
    expect(await cli(['status'])).toBe(0);
    // THEN
    expect(out).toMatch(/Last outcome\s+failed \S+\s+.*no token was handed in/);
    expect(await cli(['--json', 'status'])).toBe(0);
    const json = JSON.parse(out);
    expect(json.lastRotation).toMatchObject({ outcome: 'failed' });
    expect(Date.parse(json.lastRotationFailed)).toBeGreaterThan(Date.parse(json.lastRotationSucceeded));
  });
});

describe('status and history from the health ledger', () => {
  const quietAlarms = (): void => {
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'WhatsAppTokenGuard-primary-TokenInvalid', StateValue: 'OK' }] });
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  };

  it('shows the current problems and the last change without invoking the function', async () => {
    // GIVEN a healthy check, then the token expired and was checked again
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    expect(await cli(['check'])).toBe(0);
    world.graph.tokens.get(CANARY_TOKEN)!.dead = { code: 190, subcode: 463, message: 'Session has expired' };
    expect(await cli(['check'])).toBe(1);
    quietAlarms();
    const invocations = lambdaMock.commandCalls(InvokeCommand).length;
    // WHEN
    const code = await cli(['status']);
    // THEN
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(invocations);
    expect(code).toBe(1);
    expect(out).toMatch(/Health\s+UNHEALTHY: Token invalid/);
    expect(out).toMatch(/Last change\s+\S+ healthy → unhealthy\s+Token invalid \(/);
  });

  it('lists the changes newest first, with time, from -> to and cause', async () => {
    await setup({ token: CANARY_TOKEN });
    world.graph.addToken(CANARY_TOKEN);
    await cli(['check']);
    world.graph.tokens.get(CANARY_TOKEN)!.scopes = ['whatsapp_business_management'];
    await cli(['check']);
    world.graph.tokens.get(CANARY_TOKEN)!.scopes = ['whatsapp_business_messaging', 'whatsapp_business_management'];
    await cli(['check']);
    // WHEN
    expect(await cli(['history'])).toBe(0);
    // THEN
    const lines = out.trim().split('\n').slice(1);
    expect(lines.map((l) => l.replace(/^\s+\S+\s+/, '').replace(/\s{2,}.*$/, ''))).toEqual(['unhealthy → healthy', 'healthy → unhealthy', 'unknown → healthy']);
    expect(lines[1]).toMatch(/Required permissions missing \(missing: whatsapp_business_messaging\)/);
    expect(await cli(['--json', 'history', '--limit', '1'])).toBe(0);
    expect(JSON.parse(out).entries).toEqual([expect.objectContaining({ kind: 'health', from: 'unhealthy', to: 'healthy' })]);
  });

  it('refuses a bad --limit with the allowed range', async () => {
    await setup({ token: CANARY_TOKEN });
    expect(await cli(['history', '--limit', '0'])).toBe(2);
    expect(err).toMatch(/--limit must be a whole number from 1 to 500, got "0"/);
  });
});

describe('errors: one line with the fix, never a stack trace', () => {
  const expectOneLine = (): void => {
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).not.toMatch(/\n\s+at /);
  };

  it('explains missing AWS credentials', async () => {
    await setup({ token: CANARY_TOKEN });
    taggingMock.on(GetResourcesCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    expect(await cli(['--profile', 'prod', 'check'])).toBe(2);
    expect(err).toMatch(/No AWS credentials found for profile "prod". Run "aws sso login --profile prod"/);
    expectOneLine();
  });

  it('explains that no guard is deployed in the region', async () => {
    await setup({ token: CANARY_TOKEN });
    taggingMock.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    expect(await cli(['--region', 'eu-west-1', 'status'])).toBe(2);
    expect(err).toMatch(/No whatsapp-token-guard is deployed in this region. Check --region and --profile/);
    expectOneLine();
  });

  it('explains an unknown token name', async () => {
    await setup({ token: CANARY_TOKEN });
    taggingMock.on(GetResourcesCommand, { TagFilters: [{ Key: GuardTag.Component, Values: ['checker'] }, { Key: GuardTag.Token, Values: ['marketing'] }] }).resolves({ ResourceTagMappingList: [] });
    expect(await cli(['--token', 'marketing', 'check'])).toBe(2);
    expect(err).toMatch(/No whatsapp-token-guard with token "marketing" is deployed in this region/);
    expectOneLine();
  });

  it('names the missing permission on access denied', async () => {
    await setup({ token: CANARY_TOKEN });
    world.sm.failNext.set('DescribeSecret', { type: 'AccessDeniedException', message: 'User: arn:aws:iam::111111111111:user/ops is not authorized to perform: secretsmanager:DescribeSecret on resource: x', status: 400 });
    expect(await cli(['set-token'], NEW_TOKEN)).toBe(2);
    expect(err).toMatch(/Access denied: your identity lacks secretsmanager:DescribeSecret/);
    expectOneLine();
  });

  it('explains a rotation Secrets Manager says is already in progress', async () => {
    await setup({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'refresh' } });
    world.sm.failNext.set('RotateSecret', { type: 'InvalidRequestException', message: "A previous rotation isn't complete. That rotation will be reattempted." });
    expect(await cli(['rotate'])).toBe(2);
    expect(err).toMatch(/already in progress; Secrets Manager will reattempt it/);
    expectOneLine();
  });

  it('refuses an invalid --timeout with the accepted range', async () => {
    await setup({ token: CANARY_TOKEN });
    expect(await cli(['set-token', '--timeout', 'soon'], NEW_TOKEN)).toBe(2);
    expect(err).toMatch(/--timeout must be whole seconds from 10 to 3600/);
  });

  it('prints help for each command', async () => {
    await setup({ token: CANARY_TOKEN });
    expect(await cli(['set-token', '--help'])).toBe(0);
    expect(out).toMatch(/Usage: whatsapp-token-guard set-token/);
    expect(out).toMatch(/--file <path>/);
  });
});
