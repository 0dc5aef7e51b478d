// `whatsapp-token-guard fleet ...` in-process: Secrets Manager is the stateful loopback fake, the ledger is dynalite,
// Meta is the Graph emulator, and the Lambda invocations run the fleet's router entry point against them;
// CloudFormation (the Manifest output) is aws-sdk-client-mock. No command's output may hold a token.
import { handInVersionId } from '../../lambda/core/plan-rotation';
import { PassThrough, Readable } from 'node:stream';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../../bin/cli/main';
import { FleetTag } from '../../lambda/contract';
import type { FleetManifest } from '../../lib/whatsapp-token-guard-stack';
import { APP_ID, CANARY_APP_SECRET, WABA_ID, PHONE_ID } from '../fakes/canary';
import { Fleet, startFleet } from '../e2e/fleet-harness';

const GOOD = 'EAAGfleetCLIgoodTOKENcanary000001';
const EXPIRED = 'EAAGfleetCLIexpiredTOKENcanary002';
const DAY = 86_400;

const lambdaMock = mockClient(LambdaClient);
const cfnMock = mockClient(CloudFormationClient);

let f: Fleet;
let out = '';
let err = '';

beforeAll(async () => {
  f = await startFleet();
  f.graph.addWaba(WABA_ID, { id: PHONE_ID });
  f.graph.addToken(GOOD, { wabas: [WABA_ID] });
  f.graph.addToken(EXPIRED, { expiresAt: f.graph.now() - DAY });
  const manifest: FleetManifest = {
    name: 'clients',
    secretNamePrefix: 'whatsapp-token-guard/fleet/clients/',
    routerFunctionName: 'fleet-router',
    rotationFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:fleet-router',
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
});

afterAll(async () => {
  await f?.stop();
});

afterEach(() => {
  for (const secret of [GOOD, EXPIRED, CANARY_APP_SECRET]) for (let i = 0; i + 12 <= secret.length; i++) expect(out + err).not.toContain(secret.slice(i, i + 12));
});

async function cli(args: string[], stdin = ''): Promise<number> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  out = '';
  err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
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
        secrets: new SecretsManagerClient({ region: 'us-east-1', endpoint: f.sm.endpoint, credentials: creds, maxAttempts: 1 }),
        lambda: new LambdaClient({ region: 'us-east-1', credentials: creds }),
        cloudformation: new CloudFormationClient({ region: 'us-east-1', credentials: creds }),
        cloudwatch: new CloudWatchClient({ region: 'us-east-1', credentials: creds }),
        dynamodb: new DynamoDBClient({ region: 'us-east-1', endpoint: f.ddb.endpoint, credentials: creds, maxAttempts: 1 }),
      },
    });
  } finally {
    process.env = saved;
  }
}

describe('fleet add', () => {
  it('validates the token with Meta, stores it as AWSCURRENT with its settings as tags, enables rotation and records the first verdict', async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'acme', '--waba', WABA_ID, '--phone', PHONE_ID], `${GOOD}\n`);
    // THEN
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const secret = f.sm.find('whatsapp-token-guard/fleet/clients/acme');
    expect(f.sm.valueAt(secret.arn, 'AWSCURRENT')).toBe(JSON.stringify({ accessToken: GOOD }));
    expect(secret.tags).toEqual({ [FleetTag.Fleet]: 'clients', [FleetTag.TokenName]: 'acme', [FleetTag.RotationMode]: 'hand-made', [FleetTag.WabaId]: WABA_ID, [FleetTag.PhoneNumberId]: PHONE_ID });
    expect({ enabled: secret.rotationEnabled, fn: secret.rotationLambdaArn }).toEqual({ enabled: true, fn: 'arn:aws:lambda:us-east-1:111111111111:function:fleet-router' });
    const rows = (await f.ddb.items(f.ledgerTable)).filter((i) => i.pk === 'clients/acme' && i.sk === 'STATE');
    expect(rows).toEqual([expect.objectContaining({ status: 'healthy' })]);
    expect(out).toMatch(/validated with Meta and stored as whatsapp-token-guard\/fleet\/clients\/acme/);
  });

  it('stores nothing when Meta says the token is not fit, and says why', async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'stale'], `${EXPIRED}\n`);
    // THEN
    expect(code).toBe(1);
    expect(() => f.sm.find('whatsapp-token-guard/fleet/clients/stale')).toThrow(/can't find/);
    expect(out).toMatch(/was not stored/);
    expect(out).toMatch(/Token invalid/);
  });

  it('refuses a malformed flag before reading the token, naming the flag', async () => {
    // WHEN
    const code = await cli(['fleet', 'add', 'bad', '--waba', 'my-waba'], `${GOOD}\n`);
    // THEN
    expect(code).toBe(2);
    expect(err).toMatch(/--waba must be a numeric id of 5 to 20 digits, got "my-waba"/);
    expect(() => f.sm.find('whatsapp-token-guard/fleet/clients/bad')).toThrow();
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
    const arn = f.sm.find('whatsapp-token-guard/fleet/clients/acme').arn;
    const { PutSecretValueCommand, RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: f.sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    // (bound to its rotation the way set-token does it: the hand-in's version id derives from the rotation's token)
    const rotationId = 'fleet-rotation-000000000000000000000000001';
    await sm.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: handInVersionId(rotationId), SecretString: JSON.stringify({ accessToken: next }), VersionStages: ['TOKENGUARD_CANDIDATE'] }));
    f.sm.onRotate = async (secret, id) => {
      for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await f.invokeRouter({ Step, SecretId: secret.arn, ClientRequestToken: id });
    };
    // WHEN
    await sm.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: rotationId }));
    await Promise.allSettled(f.sm.rotations);
    f.sm.onRotate = undefined;
    // THEN
    expect(f.sm.valueAt(arn, 'AWSCURRENT')).toBe(JSON.stringify({ accessToken: next }));
    expect(f.sm.valueAt(arn, 'AWSPREVIOUS')).toBe(JSON.stringify({ accessToken: GOOD }));
    const row = (await f.ddb.items(f.ledgerTable)).find((i) => i.pk === 'clients/acme' && i.sk === 'STATE');
    expect(row?.lastRotationOutcome).toBe('rotated');
    const text = f.output.join('') + JSON.stringify(await f.ddb.items(f.ledgerTable)) + f.bus.bodies.join('');
    for (let i = 0; i + 12 <= next.length; i++) expect(text).not.toContain(next.slice(i, i + 12));
  });

  it('refuses a secret outside the fleet', async () => {
    const other = f.sm.createSecret('whatsapp-token-guard/fleet/others/x', { value: JSON.stringify({ accessToken: GOOD }) });
    await expect(f.invokeRouter({ Step: 'createSecret', SecretId: other.arn, ClientRequestToken: 'v1' })).rejects.toThrow(/rotates only the secrets of fleet "clients"/);
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
    expect(listed.tokens.map((t) => [t.token, t.status])).toEqual([
      ['beta', 'unhealthy'],
      ['acme', 'healthy'],
    ]);
    expect(listed.tokens[0].problems).toContain('TokenInvalid');
    for (let i = 0; i + 12 <= other.length; i++) expect(out).not.toContain(other.slice(i, i + 12));
  });

  it('checks one token now with exit 1 for an unhealthy one', async () => {
    expect(await cli(['fleet', 'check', 'beta'])).toBe(1);
    expect(out).toMatch(/UNHEALTHY/);
    expect(await cli(['fleet', 'check', 'acme'])).toBe(0);
  });

  it('stops guarding a removed token and keeps its secret unless asked', async () => {
    // WHEN
    const code = await cli(['fleet', 'remove', 'beta']);
    // THEN
    expect(code).toBe(0);
    const secret = f.sm.find('whatsapp-token-guard/fleet/clients/beta');
    expect(secret.tags?.[FleetTag.Fleet]).toBeUndefined();
    expect(secret.rotationEnabled).toBe(false);
    expect(secret.deleted).toBeUndefined();
    expect(out).toMatch(/is kept/);
    const planned = await f.plan();
    expect(planned.guarded).toBe(1);
  });

  it('schedules the secret for deletion only with --delete-secret, recoverable', async () => {
    expect(await cli(['fleet', 'remove', 'beta', '--delete-secret', '--recovery-days', '7'])).toBe(0);
    expect(f.sm.secrets.get(f.sm.find('whatsapp-token-guard/fleet/clients/acme').arn)?.deleted).toBeUndefined();
    expect(out).toMatch(/scheduled for deletion in 7 days/);
  });
});
