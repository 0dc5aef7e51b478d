// The test that stops forks (style guide 11.1): one table of token cases runs through the scheduled check, the
// on-demand check ({"action":"check"}) and the fleet worker (one SQS record), each against a fresh loopback world
// built from the same emulators and prepared the same way (Graph emulator, Secrets Manager fake, dynalite ledger,
// EventBridge recorder). It proves the three entry points reach the same verdict: the same outcome and problems in
// the report (returned on demand; the "token checked" log line of each), the same STATE row in the ledger (its
// fields; the keys differ on purpose, `guard/<token>` and `<fleet>/<token>`), and the same events (first check of
// the token, so each one announces a change from "unknown"). Metrics are left out: per-token `TokenName` metrics and
// the fleet's `Fleet` tally differ by design (section 11.5).
//
// The fleet runs its record the way SQS delivers it: a check without a verdict throws until the last receive, then is
// recorded and dead-lettered (lambda/app/check-fleet-token.ts). The queue is therefore run dry, and what the fleet
// records on its last receive is what is compared. CHECK_FAILURES_TO_NOTIFY is 1 in every world, so a check without a
// verdict is news on its first recorded check everywhere and its event is compared too.
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CheckReport, EnvVar, EVENT_SOURCE, EventDetailType, FleetEnvVar, fleetNamespace, FleetTag, HealthStatus, ProblemId, SWEEP_MESSAGE_VERSION } from '../../../lambda/contract';
import { fleetLedgerKey, fleetSecretName } from '../../../lambda/core/token-settings';
import { CANARY_TOKEN, expectNoCanary, PHONE_ID, WABA_ID } from '../../fakes/canary';
import { invocationSandbox } from '../../fakes/invocation-sandbox';
import { FakeQueue, SqsFake } from '../../fakes/sqs-fake';
import { startWorld, World } from '../../fakes/world';

type Worker = typeof import('../../../lambda/entrypoints/fleet-worker');

const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
const ON_DEMAND = { action: 'check' };
const TOKEN = 'primary';
const FLEET = fleetNamespace('Fleet', 'clients');
const MAX_RECEIVE_COUNT = 3;
const DAY = 86_400;
/** One instant for every world, so an expiry date reads the same in each. */
const EXPIRED_AT = Math.floor(Date.now() / 1000) - DAY;
/**
 * Every entry point gets the same time to work: the router keeps 2 s of its budget back, the worker 3 s, so both
 * stop starting Graph attempts about 2.5 s in. That keeps Meta's outage short without changing how it is judged.
 */
const SINGLE_BUDGET_MS = 4_500;
const FLEET_BUDGET_MS = 5_500;

interface Case {
  readonly name: string;
  /** The token secret's value, stored the same way in the single guard's secret and the fleet's. */
  readonly secretValue: string;
  /** Graph's state for this case, applied to each world's emulator. */
  readonly graph: (w: World) => void;
  readonly outcome: CheckReport['outcome'];
  readonly problemIds: readonly ProblemId[];
  readonly status: HealthStatus;
  /** Graph paths called: the probes only for a valid token, nothing at all for a secret that cannot be read. */
  readonly graphPaths: readonly string[];
}

const DEBUG_TOKEN = '/v25.0/debug_token';
const PROBES = [`/v25.0/${PHONE_ID}`, `/v25.0/${WABA_ID}/phone_numbers`, `/v25.0/${WABA_ID}/subscribed_apps`];

const stored = (token: string): string => JSON.stringify({ accessToken: token });

const cases: Case[] = [
  {
    name: 'a healthy never-expiring system-user token with its phone number and WABA',
    secretValue: stored(CANARY_TOKEN),
    graph: (w) => void w.graph.addToken(CANARY_TOKEN),
    outcome: 'healthy',
    problemIds: [],
    status: 'healthy',
    graphPaths: [DEBUG_TOKEN, ...PROBES].sort(),
  },
  {
    name: 'an expired token (debug_token is_valid false, code 190/463)',
    secretValue: stored(CANARY_TOKEN),
    graph: (w) => void w.graph.addToken(CANARY_TOKEN, { expiresAt: EXPIRED_AT }),
    outcome: 'unhealthy',
    problemIds: ['TokenInvalid'],
    status: 'unhealthy',
    graphPaths: [DEBUG_TOKEN],
  },
  {
    name: "a token of another app (debug_token's (#100) App_id mismatch)",
    secretValue: stored(CANARY_TOKEN),
    graph: (w) => void w.graph.addToken(CANARY_TOKEN, { appId: '999999999999' }),
    outcome: 'unhealthy',
    problemIds: ['WrongApp'],
    status: 'unhealthy',
    graphPaths: [DEBUG_TOKEN],
  },
  {
    name: 'Meta down (503 HTML page on every call): no verdict, never unhealthy',
    secretValue: stored(CANARY_TOKEN),
    graph: (w) => {
      w.graph.addToken(CANARY_TOKEN);
      w.graph.fault = { kind: 'down' };
    },
    outcome: 'check-failed',
    problemIds: ['GraphUnavailable'],
    status: 'check-failed',
    graphPaths: [DEBUG_TOKEN],
  },
  {
    name: 'a malformed token secret (JSON without accessToken)',
    secretValue: JSON.stringify({ token: CANARY_TOKEN }),
    graph: (w) => void w.graph.addToken(CANARY_TOKEN),
    outcome: 'check-failed',
    problemIds: ['SecretMalformed'],
    status: 'check-failed',
    graphPaths: [],
  },
];

/** What one entry point made of a case, with what is meant to differ between entry points left out. */
interface Observation {
  readonly outcome: unknown;
  /** The problems of the "token checked" log line, in full (id, severity, title, what, detail, fix). */
  readonly problems: unknown;
  /** The ledger's STATE row of the token, without its key and check time. */
  readonly ledger: Record<string, unknown>;
  /** Events on the bus, without the ledger key, the confirming command and the check time. */
  readonly events: Record<string, unknown>[];
  /** The Graph paths the check called (each once; how often Meta's outage was retried is timing). */
  readonly graphPaths: string[];
}

const worlds: World[] = [];
const queues: SqsFake[] = [];
afterEach(async () => {
  // Every entry point, every case: the token never leaves the function, the ledger or the bus.
  for (const w of worlds) {
    expectNoCanary(w.output.join(''));
    expectNoCanary(JSON.stringify(await w.ddb.items(w.table)));
    expectNoCanary(w.bus.bodies.join('\n'));
  }
  await Promise.all([...worlds.splice(0).map((w) => w.stop()), ...queues.splice(0).map((q) => q.stop())]);
});

/** A fresh world with its Graph prepared for the case; its own token secret holds the case's value. */
async function preparedWorld(c: Case): Promise<World> {
  const world = await startWorld({ env: { [EnvVar.WabaId]: WABA_ID, [EnvVar.PhoneNumberId]: PHONE_ID, [EnvVar.CheckFailuresToNotify]: '1' } });
  worlds.push(world);
  world.graph.addWaba(WABA_ID, { id: PHONE_ID });
  c.graph(world);
  world.sm.find(world.tokenSecret.arn).versions.set('v1', { id: 'v1', value: c.secretValue, stages: new Set(['AWSCURRENT']), created: 0 });
  return world;
}

/** The last "token checked" line the functions of a world logged. */
function checkedLine(w: World): Record<string, unknown> {
  const lines = w.output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"message":"token checked"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.length).toBeGreaterThan(0);
  return lines[lines.length - 1];
}

async function observe(w: World, ledgerKey: string, secretArn: string): Promise<Observation> {
  const line = checkedLine(w);
  const rows = (await w.ddb.items(w.table)).filter((i) => i.sk === 'STATE');
  expect(rows.map((r) => r.pk)).toEqual([ledgerKey]);
  const { pk: _pk, sk: _sk, lastCheckAt: _at, notified, ...row } = rows[0] as Record<string, unknown> & { notified?: Record<string, unknown> };
  const events = w.bus.events.map((e) => {
    // The event names the token's own secret, whichever entry point checked it.
    expect(e.resources).toEqual([secretArn]);
    expect(e.detail.ledgerKey).toBe(ledgerKey);
    const { ledgerKey: _k, confirmCommand: _c, checkedAt: _t, ...detail } = e.detail;
    return { source: e.source, detailType: e['detail-type'], detail };
  });
  return {
    outcome: line.outcome,
    problems: line.problems,
    ledger: { ...row, notified: notified && { status: notified.status, problemIds: notified.problemIds, seq: notified.seq } },
    events,
    graphPaths: [...new Set(w.graph.requests.map((r) => r.path))].sort(),
  };
}

/** (a) and (b): the router, as EventBridge Scheduler and the CLI invoke it. */
async function singleCheck(c: Case, event: unknown): Promise<{ observation: Observation; returned: CheckReport }> {
  const w = await preparedWorld(c);
  const returned = (await w.invoke(event, SINGLE_BUDGET_MS)) as CheckReport;
  return { observation: await observe(w, `guard/${TOKEN}`, w.tokenSecret.arn), returned };
}

/**
 * (c): the fleet worker, given the same token as a fleet secret tagged with the same settings, and one sweep message
 * for it on a queue whose redrive sends it to a dead-letter queue after MAX_RECEIVE_COUNT receives. The queue is run
 * dry through the worker, as the event source mapping would.
 */
async function fleetCheck(c: Case): Promise<{ observation: Observation; responses: SQSBatchResponse[]; queue: FakeQueue; dlq: FakeQueue }> {
  const w = await preparedWorld(c);
  const secret = w.sm.createSecret(fleetSecretName(FLEET, TOKEN), {
    value: c.secretValue,
    tags: { [FleetTag.Fleet]: FLEET.fleetId, [FleetTag.TokenName]: TOKEN, [FleetTag.WabaId]: WABA_ID, [FleetTag.PhoneNumberId]: PHONE_ID },
  });
  const sqs = await new SqsFake().start();
  queues.push(sqs);
  const dlq = sqs.createQueue(`${FLEET.fleetName}-dead-letters`);
  const queue = sqs.createQueue(`${FLEET.fleetName}-sweep`, { visibilityTimeoutSeconds: 360, deadLetter: dlq, maxReceiveCount: MAX_RECEIVE_COUNT });
  // The message the planner sends for this secret (lambda/contract.ts SweepMessage): its ARN as listed, no settings.
  const message = { v: SWEEP_MESSAGE_VERSION, fleet: FLEET.fleetId, token: TOKEN, secretId: secret.arn, sweep: new Date().toISOString() };
  const sent = await fetch(sqs.endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': 'AmazonSQS.SendMessage', 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({ QueueUrl: queue.url, MessageBody: JSON.stringify(message) }),
  });
  expect(sent.status).toBe(200);

  const env: Record<string, string> = {
    ...w.env,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    [FleetEnvVar.FleetName]: FLEET.fleetName,
    [FleetEnvVar.FleetId]: FLEET.fleetId,
    [FleetEnvVar.SecretNamePrefix]: FLEET.secretNamePrefix,
    [FleetEnvVar.SecretArnPrefix]: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${FLEET.secretNamePrefix}`,
    [FleetEnvVar.SweepQueueUrl]: queue.url,
    [FleetEnvVar.SweepIntervalMinutes]: '15',
    [FleetEnvVar.PlannerEveryMinutes]: '15',
    [FleetEnvVar.MaxReceiveCount]: String(MAX_RECEIVE_COUNT),
  };
  // The single guard's own variables mean nothing to the worker; leave them out so that it cannot lean on them.
  for (const k of [EnvVar.TokenName, EnvVar.TokenSecretArn, EnvVar.WabaId, EnvVar.PhoneNumberId]) delete env[k];
  let worker: Worker | undefined;
  jest.isolateModules(() => (worker = require('../../../lambda/entrypoints/fleet-worker')));
  const context = { getRemainingTimeInMillis: () => FLEET_BUDGET_MS, functionName: 'fleet-worker', awsRequestId: 'req' } as unknown as Context;
  const responses: SQSBatchResponse[] = [];
  const sandbox = invocationSandbox(env, w.output);
  const invoke = (event: SQSEvent): Promise<SQSBatchResponse> =>
    sandbox(async () => {
      const response = await worker!.handler(event, context);
      responses.push(response);
      return response;
    });
  await sqs.drain(queue, invoke, { concurrency: 1 });
  return { observation: await observe(w, fleetLedgerKey(FLEET, TOKEN), secret.arn), responses, queue, dlq };
}

describe('the same token cases through every entry point', () => {
  it.each(cases.map((c) => [c.name, c] as const))('gives the same report, ledger row and events for %s', async (_name, c) => {
    // Prepare: each entry point gets a fresh world prepared from the same case (see preparedWorld)

    // Act
    const scheduled = await singleCheck(c, SCHEDULED);
    const onDemand = await singleCheck(c, ON_DEMAND);
    const fleet = await fleetCheck(c);

    // Assess: the verdict the case calls for, first on the report the CLI gets back
    expect(onDemand.returned.outcome).toBe(c.outcome);
    expect(onDemand.returned.problems.map((p) => p.id)).toEqual(c.problemIds);
    expect(scheduled.observation.outcome).toBe(c.outcome);
    expect(scheduled.observation.problems).toEqual(JSON.parse(JSON.stringify(onDemand.returned.problems)));
    expect(scheduled.observation.graphPaths).toEqual(c.graphPaths);
    expect(scheduled.observation.ledger).toMatchObject({ tokenName: TOKEN, status: c.status, problemIds: c.problemIds, notified: { status: c.status, problemIds: c.problemIds } });
    expect(scheduled.observation.events).toEqual([
      {
        source: EVENT_SOURCE,
        detailType: EventDetailType.HealthChanged,
        detail: expect.objectContaining({ tokenName: TOKEN, previousStatus: 'unknown', status: c.status, problems: c.problemIds.map((id) => expect.objectContaining({ id })) }),
      },
    ]);
    // ... and then the same everywhere: the on-demand check and the fleet worker against the scheduled check
    expect({ onDemand: onDemand.observation, fleet: fleet.observation }).toEqual({ onDemand: scheduled.observation, fleet: scheduled.observation });

    // Assess: how the fleet's queue ends is the engine's part: a verdict is done; no verdict is retried, then dead-lettered
    const failures = fleet.responses.map((r) => r.batchItemFailures.length);
    if (c.outcome === 'check-failed') {
      expect(failures).toEqual(Array(MAX_RECEIVE_COUNT).fill(1));
      expect(fleet.dlq.messages).toHaveLength(1);
    } else {
      expect(failures).toEqual([0]);
      expect(fleet.dlq.messages).toHaveLength(0);
    }
    expect(fleet.queue.messages).toHaveLength(0);
  });
});
