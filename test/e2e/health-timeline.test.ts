// The health ledger, the events and the messages a subscriber reads, end to end through the shipped bundle:
// a token goes healthy -> expired -> replaced by set-token -> healthy. The functions run as uploaded (their own
// Node processes, the template's environment), the ledger is a real DynamoDB engine created from the template's
// table definition, the bus a PutEvents recorder, and the messages are what the template's rules and input
// transformers make of the recorded events.
import { CANDIDATE_LABEL, CheckReport, EnvVar, EVENT_SOURCE, Problem } from '../../lambda/contract';
import { handInVersionId } from '../../lambda/core/plan-rotation';
import { APP_ID, CANARY_APP_SECRET, CANARY_TOKEN, expectNoCanary } from '../fakes/canary';
import { DynamoDbLocal, tableDefinitionOf } from '../fakes/dynamodb-local';
import { deliver, rulesOf } from '../fakes/event-rules';
import { EventBridgeRecorder } from '../fakes/eventbridge-recorder';
import { GraphEmulator } from '../fakes/graph-emulator';
import { SecretsManagerFake } from '../fakes/secrets-manager-fake';
import { Assembly, synthesize } from './cloud-assembly';
import { FunctionProcess, Invocation, lambdaEnvironment } from './function-process';

const NEW_TOKEN = 'EAAGe2eNEWhandmadeTOKEN0007';
const SCHEDULED = { version: '0', id: 'e2e', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '111111111111', region: 'us-east-1', resources: [], detail: {} };
const CONFIRM = (t: string) => `npx --no-install whatsapp-token-guard check --token ${t}`;

let assembly: Assembly;
let graph: GraphEmulator;
let sm: SecretsManagerFake;
let ddb: DynamoDbLocal;
let bus: EventBridgeRecorder;
let table: string;
let appSecretArn: string;
const processes: FunctionProcess[] = [];
const secretRefs: Record<string, string> = {};

beforeAll(async () => {
  assembly = synthesize({ appId: APP_ID, tokens: [{ name: 'primary' }, { name: 'backup' }] });
  graph = await new GraphEmulator({ appId: APP_ID, appSecret: CANARY_APP_SECRET }).start();
  sm = await new SecretsManagerFake().start();
  ddb = await new DynamoDbLocal().start();
  table = await ddb.createTable('TokenGuardE2E-HealthLedger', tableDefinitionOf(assembly.template.Resources));
  bus = await new EventBridgeRecorder().start();
  appSecretArn = sm.createSecret('TokenGuardE2E/meta-app-secret', { value: JSON.stringify({ appSecret: CANARY_APP_SECRET }) }).arn;
});

afterAll(async () => {
  for (const p of processes) p.stop();
  await Promise.all([graph.stop(), sm.stop(), ddb.stop(), bus.stop()]);
});

function start(tokenName: string, token: string): { fn: FunctionProcess; secretArn: string } {
  const fnArtifact = assembly.functions.find((f) => f.environment[EnvVar.TokenName] === tokenName)!;
  const tokenSecret = sm.createSecret(`whatsapp-token-guard/${tokenName}/token`, { value: JSON.stringify({ accessToken: token }), rotationEnabled: true });
  // The rules name the secret as the template does ({"Ref": <its logical id>}); here it is the fake's.
  secretRefs[(fnArtifact.environment[EnvVar.TokenSecretArn] as { Ref: string }).Ref] = tokenSecret.arn;
  const env = lambdaEnvironment(fnArtifact, { tokenSecretArn: tokenSecret.arn, appSecretArn, secretsEndpoint: sm.endpoint, graphBaseUrl: graph.baseUrl, ledgerTable: table, dynamodbEndpoint: ddb.endpoint, eventsEndpoint: bus.endpoint });
  const fn = new FunctionProcess(fnArtifact, env);
  processes.push(fn);
  return { fn, secretArn: tokenSecret.arn };
}

async function ok(p: Promise<Invocation>): Promise<CheckReport> {
  const inv = await p;
  expect(inv.errorMessage).toBeUndefined();
  return inv.result as CheckReport;
}

describe('health timeline through the shipped bundle', () => {
  it('records healthy -> expired -> replaced by set-token -> healthy: ledger items, events in order, one message each way, the rotation in between', async () => {
    // GIVEN two guarded tokens, both healthy
    graph.addToken(CANARY_TOKEN);
    graph.addToken(NEW_TOKEN);
    const primary = start('primary', CANARY_TOKEN);
    const backup = start('backup', NEW_TOKEN);

    // WHEN the schedule checks both twice
    for (let i = 0; i < 2; i++) {
      await ok(primary.fn.invoke(SCHEDULED));
      await ok(backup.fn.invoke(SCHEDULED));
    }
    // AND the primary token expires (Meta 190/463) and is checked twice
    graph.tokens.get(CANARY_TOKEN)!.dead = { code: 190, subcode: 463, message: 'Session has expired' };
    const expired = await ok(primary.fn.invoke(SCHEDULED));
    await ok(primary.fn.invoke(SCHEDULED));
    // AND an operator hands in a new token the way `set-token` does: stored under the version id bound to the rotation
    // it then starts, whose four steps Secrets Manager sends to the function, then the on-demand check it prints
    const { PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({ region: 'us-east-1', endpoint: sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const rotationId = 'rotation-00000000000000000000000000000001';
    await client.send(new PutSecretValueCommand({ SecretId: primary.secretArn, ClientRequestToken: handInVersionId(rotationId), SecretString: JSON.stringify({ accessToken: NEW_TOKEN }), VersionStages: [CANDIDATE_LABEL] }));
    sm.onRotate = async (secret, versionId) => {
      for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
        const inv = await primary.fn.invoke({ Step, SecretId: secret.arn, ClientRequestToken: versionId });
        if (!inv.ok) throw new Error(inv.errorMessage);
      }
    };
    await client.send(new RotateSecretCommand({ SecretId: primary.secretArn, ClientRequestToken: rotationId }));
    await Promise.allSettled(sm.rotations);
    expect(sm.valueAt(primary.secretArn, 'AWSCURRENT')).toBe(JSON.stringify({ accessToken: NEW_TOKEN }));
    const recovered = await ok(primary.fn.invoke({ action: 'check' }));
    await ok(primary.fn.invoke(SCHEDULED));

    // THEN the health events: first status of each token, then exactly one change each way for primary
    const health = bus.events.filter((e) => e['detail-type'] === 'WhatsApp Token Health Changed');
    expect(health.map((e) => [e.detail.tokenName, e.detail.previousStatus, e.detail.status])).toEqual([
      ['primary', 'unknown', 'healthy'],
      ['backup', 'unknown', 'healthy'],
      ['primary', 'healthy', 'unhealthy'],
      ['primary', 'unhealthy', 'healthy'],
    ]);
    for (const e of bus.events) expect(e).toMatchObject({ source: EVENT_SOURCE, resources: [expect.stringMatching(/^arn:aws:secretsmanager:/)], detail: { version: '1' } });
    // the rotation announced itself between the token going bad and the recovery
    expect(bus.events.filter((e) => e.detail.tokenName === 'primary').map((e) => e['detail-type'])).toEqual(['WhatsApp Token Health Changed', 'WhatsApp Token Health Changed', 'WhatsApp Token Rotated', 'WhatsApp Token Health Changed']);
    const bad = health[2].detail as Record<string, unknown>;
    expect(bad).toMatchObject({
      ledgerKey: 'guard/primary',
      previousProblemIds: [],
      problems: [{ id: 'TokenInvalid', severity: 'critical', title: Problem.TokenInvalid.title, detail: expired.problems[0].detail, fix: Problem.TokenInvalid.fix }],
      confirmCommand: CONFIRM('primary'),
      checkedAt: expired.checkedAt,
    });
    expect(health[3].detail).toMatchObject({ previousProblemIds: ['TokenInvalid'], problems: [], checkedAt: recovered.checkedAt });

    // AND the ledger: one state item per token under its own key, and the history of announced changes
    const items = await ddb.items(table);
    const state = (pk: string) => items.find((i) => i.pk === pk && i.sk === 'STATE')!;
    expect(state('guard/primary')).toMatchObject({ tokenName: 'primary', status: 'healthy', problemIds: [], failedInARow: 0, expiresAt: 'never', notified: { status: 'healthy', problemIds: [], seq: 3 } });
    expect(state('guard/backup')).toMatchObject({ tokenName: 'backup', status: 'healthy', notified: { status: 'healthy', seq: 1 } });
    const history = items.filter((i) => i.pk === 'guard/primary' && String(i.sk).startsWith('H#')).sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    expect(history.map((h) => [h.kind, h.from, h.to])).toEqual([
      ['health', 'unknown', 'healthy'],
      ['health', 'healthy', 'unhealthy'],
      ['rotation', undefined, 'rotated'],
      ['health', 'unhealthy', 'healthy'],
    ]);
    expect(history[1].cause).toBe(`Token invalid (${expired.problems[0].detail})`);
    expect(state('guard/primary')).toMatchObject({ lastRotationOutcome: 'rotated' });
    for (const h of history) expect(h.ttl).toBe(Math.floor(Date.parse(String(h.at)) / 1000) + 90 * 86_400);

    // AND what an email subscriber reads: the rules and input transformers of the template, applied to the events
    const messages = deliver(rulesOf(assembly.template.Resources, secretRefs), bus.events).map((d) => d.message);
    expect(messages).toEqual([
      `[primary] WhatsApp token healthy (was unknown)\n\nCause: No problems: Meta reports the token valid, with every required permission and asset.\n\nWhat to do: Nothing to do.\n\nConfirm with: ${CONFIRM('primary')}\n`,
      `[backup] WhatsApp token healthy (was unknown)\n\nCause: No problems: Meta reports the token valid, with every required permission and asset.\n\nWhat to do: Nothing to do.\n\nConfirm with: ${CONFIRM('backup')}\n`,
      `[primary] WhatsApp token unhealthy (was healthy)\n\nCause: Token invalid (${expired.problems[0].detail})\n\nWhat to do: ${Problem.TokenInvalid.fix}\n\nConfirm with: ${CONFIRM('primary')}\n`,
      `[primary] WhatsApp token healthy (was unhealthy)\n\nCause: No problems: Meta reports the token valid, with every required permission and asset.\n\nWhat to do: Nothing to do.\n\nConfirm with: ${CONFIRM('primary')}\n`,
    ]);

    // AND no token or secret anywhere: not in the events, the items, or what the functions printed
    expectNoCanary(bus.bodies.join('\n') + JSON.stringify(items) + processes.map((p) => p.allOutput).join(''), [NEW_TOKEN]);
  });
});
