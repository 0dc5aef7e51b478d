// Fault and bad-input sweep against the shipped bundle: malformed secret values, events and Graph bodies.
// Each must end in a clear error or a failed/unhealthy check with a reason; never a crash without a
// report, never a promoted token, never a leaked secret.
import { CheckReport } from '../../lambda/contract';
import { APP_ID, CANARY_APP_SECRET, CANARY_TOKEN, expectNoCanary } from '../fakes/canary';
import { LedgerFakes, startLedgerFakes } from '../fakes/dynamodb-local';
import { Fault, GraphEmulator } from '../fakes/graph-emulator';
import { FakeSecret, SecretsManagerFake } from '../fakes/secrets-manager-fake';
import { synthesize } from './cloud-assembly';
import { FunctionProcess, Invocation, lambdaEnvironment } from './function-process';

const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

interface World {
  graph: GraphEmulator;
  sm: SecretsManagerFake;
  token: FakeSecret;
  app: FakeSecret;
  ledger: LedgerFakes;
}

/** healthyOk: the input is odd but harmless (extra fields), so a healthy verdict is the right answer. */
type Case = { readonly name: string; readonly prepare?: (w: World) => void; readonly event?: (w: World) => unknown; readonly healthyOk?: true };

const setCurrent = (s: FakeSecret, value: string): void => {
  s.versions.clear();
  s.versions.set('v-current', { id: 'v-current', value, stages: new Set(['AWSCURRENT']), created: 0 });
};
const tokenValue = (v: string) => (w: World) => setCurrent(w.token, v);
const appValue = (v: string) => (w: World) => setCurrent(w.app, v);
const graphBody = (body: string, status = 200, contentType = 'application/json') => (w: World) => {
  w.graph.fault = { kind: 'raw', status, body, contentType } as Fault;
  w.graph.faultPath = /debug_token/;
};
const event = (e: unknown) => () => e;

const CASES: Case[] = [
  // secret values
  { name: 'token secret: truncated JSON', prepare: tokenValue('{"accessToken":"EAAG') },
  { name: 'token secret: a JSON number', prepare: tokenValue('42') },
  { name: 'token secret: a JSON array', prepare: tokenValue(`["${CANARY_TOKEN}"]`) },
  { name: 'token secret: accessToken is a number', prepare: tokenValue('{"accessToken":12345}') },
  { name: 'token secret: accessToken is null', prepare: tokenValue('{"accessToken":null}') },
  { name: 'token secret: accessToken is empty', prepare: tokenValue('{"accessToken":""}') },
  { name: 'token secret: empty object', prepare: tokenValue('{}') },
  { name: 'token secret: 60 KB value', prepare: tokenValue('A'.repeat(60_000)) },
  { name: 'token secret: full-width unicode token', prepare: tokenValue('ＥＡＡＧ全角トークン') },
  { name: 'token secret: NUL inside', prepare: tokenValue('EAAG\u0000abc') },
  { name: 'token secret: line break inside', prepare: tokenValue(`EAAG\n${CANARY_TOKEN}`) },
  { name: 'token secret: wrapped in quotes', prepare: tokenValue(`"${CANARY_TOKEN}"`) },
  { name: 'token secret: two tokens pasted', prepare: tokenValue(`${CANARY_TOKEN} ${CANARY_TOKEN}`) },
  { name: 'app secret: JSON without appSecret', prepare: appValue(`{"secret":"${CANARY_APP_SECRET}"}`) },
  { name: 'app secret: blank', prepare: appValue('   ') },
  { name: 'app secret: emoji and spaces', prepare: appValue('🔑 my app secret') },
  // events
  { name: 'event: null', event: event(null) },
  { name: 'event: an array', event: event([]) },
  { name: 'event: a string', event: event('check') },
  { name: 'event: a number', event: event(42) },
  { name: 'event: versionStage is a number', event: event({ action: 'check', versionStage: 123 }) },
  { name: 'event: versionStage with a path', event: event({ action: 'check', versionStage: '../../etc/passwd' }) },
  { name: 'event: unknown action', event: event({ action: 'delete' }) },
  { name: 'event: rotation step without SecretId', event: event({ Step: 'createSecret', ClientRequestToken: 'x' }) },
  { name: 'event: rotation token is a number', event: event({ Step: 'createSecret', SecretId: 'x', ClientRequestToken: 5 }) },
  { name: 'event: unknown rotation step', event: (w) => ({ Step: 'deleteSecret', SecretId: w.token.arn, ClientRequestToken: 'v' }) },
  { name: 'event: rotation of another secret', event: (w) => ({ Step: 'finishSecret', SecretId: w.app.arn, ClientRequestToken: 'v-current' }) },
  { name: 'event: rotation of a version without AWSPENDING', event: (w) => ({ Step: 'finishSecret', SecretId: w.token.arn, ClientRequestToken: 'nope' }) },
  { name: 'event: check with a 1 MB field', event: event({ action: 'check', pad: 'x'.repeat(1_000_000) }), healthyOk: true },
  // Graph bodies
  { name: 'graph: truncated JSON', prepare: graphBody('{"data":{"is_valid":tr') },
  { name: 'graph: data is an array', prepare: graphBody('{"data":[]}') },
  { name: 'graph: is_valid is a string', prepare: graphBody('{"data":{"is_valid":"yes"}}') },
  { name: 'graph: scopes is a string', prepare: graphBody(`{"data":{"is_valid":true,"app_id":"${APP_ID}","type":"SYSTEM_USER","expires_at":0,"scopes":"whatsapp_business_messaging"}}`) },
  { name: 'graph: expires_at is a string', prepare: graphBody(`{"data":{"is_valid":true,"app_id":"${APP_ID}","type":"SYSTEM_USER","expires_at":"soon","scopes":[]}}`) },
  { name: 'graph: 3 MB body', prepare: graphBody(`{"data":{"is_valid":false,"scopes":[],"padding":"${'x'.repeat(3_000_000)}"}}`) },
  { name: 'graph: HTML with HTTP 200', prepare: graphBody('<html><body>Facebook</body></html>', 200, 'text/html') },
  { name: 'graph: error is a string', prepare: graphBody('{"error":"Something went wrong"}', 400) },
  { name: 'graph: error code as a string', prepare: graphBody('{"error":{"code":"190","message":"Invalid OAuth access token - Cannot parse access token"}}', 400) },
  { name: 'graph: unicode and control characters in the message', prepare: graphBody('{"error":{"code":100,"message":"Ung\\u00fcltig \\u0000\\u001b[31m 🚫"}}', 400) },
  { name: 'graph: empty body', prepare: graphBody('', 502, 'text/plain') },
  { name: 'graph: JSON null', prepare: graphBody('null') },
  { name: 'graph: unexpected extra fields everywhere', prepare: graphBody(`{"data":{"is_valid":true,"app_id":"${APP_ID}","type":"SYSTEM_USER","expires_at":0,"scopes":["whatsapp_business_messaging","whatsapp_business_management"],"surprise":{"deep":[1,2,3]}},"paging":{},"__proto__":{"polluted":true}}`), healthyOk: true },
];

const GROUPS = 4;

async function runGroup(cases: Case[], start: (w: World) => FunctionProcess): Promise<{ name: string; healthyOk?: true; inv: Invocation; before?: string; after?: string }[]> {
  const graph = await new GraphEmulator({ appId: APP_ID, appSecret: CANARY_APP_SECRET }).start();
  const sm = await new SecretsManagerFake().start();
  const ledger = await startLedgerFakes();
  const w: World = { graph, sm, ledger, token: sm.createSecret('whatsapp-token-guard/primary/token', { rotationEnabled: true }), app: sm.createSecret('meta-app-secret') };
  const proc = start(w);
  const results: { name: string; healthyOk?: true; inv: Invocation; before?: string; after?: string }[] = [];
  try {
    for (const c of cases) {
      // A healthy world, then the one thing that is wrong.
      graph.addToken(CANARY_TOKEN);
      graph.fault = undefined;
      graph.faultPath = undefined;
      graph.faultCount = Infinity;
      setCurrent(w.token, JSON.stringify({ accessToken: CANARY_TOKEN }));
      setCurrent(w.app, JSON.stringify({ appSecret: CANARY_APP_SECRET }));
      c.prepare?.(w);
      const before = sm.valueAt(w.token.arn, 'AWSCURRENT');
      const inv = await proc.invoke(c.event ? c.event(w) : SCHEDULED);
      results.push({ name: c.name, healthyOk: c.healthyOk, inv, before, after: sm.valueAt(w.token.arn, 'AWSCURRENT') });
    }
    expectNoCanary(proc.allOutput);
    // Nor in what the ledger and the bus received.
    expectNoCanary(JSON.stringify(await ledger.ddb.items(ledger.table)) + ledger.bus.bodies.join('\n'));
  } finally {
    proc.stop();
    await graph.stop();
    await sm.stop();
    await ledger.stop();
  }
  return results;
}

describe('fault and bad-input sweep on the shipped bundle', () => {
  it(`answers ${CASES.length} malformed inputs with a clear error or a failed check`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    const assembly = synthesize({ appId: APP_ID, tokens: [{ name: 'primary' }] });
    const fn = assembly.functions[0];
    const groups = Array.from({ length: GROUPS }, (_, g) => CASES.filter((_, i) => i % GROUPS === g));
    const all = (
      await Promise.all(
        groups.map((cases) =>
          runGroup(
            cases,
            (w) => new FunctionProcess(fn, lambdaEnvironment(fn, { tokenSecretArn: w.token.arn, appSecretArn: w.app.arn, secretsEndpoint: w.sm.endpoint, graphBaseUrl: w.graph.baseUrl, ledgerTable: w.ledger.table, dynamodbEndpoint: w.ledger.ddb.endpoint, eventsEndpoint: w.ledger.bus.endpoint })),
          ),
        ),
      )
    ).flat();

    const problems: string[] = [];
    for (const { name, healthyOk, inv, before, after } of all) {
      if (before !== after) problems.push(`${name}: AWSCURRENT changed`);
      if (inv.errorType === 'Runtime.ExitError' || inv.errorType === 'Sandbox.Timedout') problems.push(`${name}: ${inv.errorType}`);
      if (inv.durationMs >= fn.timeoutS * 1000) problems.push(`${name}: ran into the timeout`);
      if (inv.ok) {
        const r = inv.result as CheckReport;
        if (!r || !['check-failed', 'unhealthy', 'healthy'].includes(r.outcome)) problems.push(`${name}: no report`);
        else if (r.outcome !== 'healthy' && !r.problems.every((p) => p.title && p.fix && p.what)) problems.push(`${name}: a problem without a fix`);
        else if (r.outcome === 'healthy' && !healthyOk) problems.push(`${name}: reported healthy`);
      } else {
        if (!inv.errorMessage || inv.errorMessage.length < 15) problems.push(`${name}: unclear error "${inv.errorMessage}"`);
        if (/\n\s+at /.test(inv.errorMessage ?? '')) problems.push(`${name}: stack trace in the error`);
      }
    }
    expect(problems).toEqual([]);
  });
});
