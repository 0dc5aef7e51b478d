// Fleet figures for `npm run bench`: monthly cost for 100, 1,000 and 10,000 tokens from the synthesized fleet template
// and the work measured per check on loopback, the marginal cost of one more token, a sweep simulation with 1,000 and
// 10,000 tokens (worker overhead per check, the full sweep at the default concurrency with an assumed Meta round trip),
// Graph calls per hour against Meta's limits, and the time from `fleet add` to the token's first verdict.
// Nothing here is a test: no figure fails a build.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EnvVar, FleetEnvVar, FleetMetric, fleetNamespace, FleetTag } from '../lambda/contract';
import { RUN_MARGIN_SECONDS } from '../lambda/core/plan-sweep';
import { fleetSecretName } from '../lambda/core/token-settings';
import { FLEET_PLANNER_EVERY_MINUTES, WhatsAppTokenFleet } from '../lib/whatsapp-token-fleet';
import { APP_ID, CANARY_APP_SECRET, PHONE_ID, WABA_ID } from '../test/fakes/canary';
import { DynamoDbLocal, GUARD_TABLE } from '../test/fakes/dynamodb-local';
import { EventBridgeRecorder } from '../test/fakes/eventbridge-recorder';
import { GraphEmulator } from '../test/fakes/graph-emulator';
import { SecretsManagerFake } from '../test/fakes/secrets-manager-fake';
import { SqsFake } from '../test/fakes/sqs-fake';
import { table, usd } from './format';

const PRICES = JSON.parse(fs.readFileSync(path.join(__dirname, 'prices.json'), 'utf8'));
const P = (k: string, fallback?: number): number => PRICES.prices[k]?.usd ?? fallback ?? (() => { throw new Error(`bench/prices.json has no "${k}"`); })();
const HOURS_PER_MONTH = 730;
/** Assumed round trip from Lambda in us-east-1 to graph.facebook.com, per call. */
const ASSUMED_GRAPH_RTT_MS = 150;
const ASSUMED_SECRETS_RTT_MS = 15;
/** Lambda's SQS pollers long-poll even when the queue is empty: about 5 pollers x 3 empty receives a minute. */
const IDLE_RECEIVES_PER_MONTH = 5 * 3 * 60 * HOURS_PER_MONTH;
/** Lambda's START/END/REPORT lines per invocation. */
const PLATFORM_LOG_BYTES = 400;


// ---------- the synthesized template ----------

interface FleetTemplate {
  readonly alarmMetrics: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly kmsKeys: number;
  readonly secrets: number;
  readonly tables: number;
  readonly workerMemoryGb: number;
  readonly plannerMemoryGb: number;
  readonly sweepIntervalMinutes: number;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly customMetrics: number;
}

function synthFleet(): FleetTemplate {
  const app = new App();
  const stack = new Stack(app, 'BenchFleet', { env: { account: '111111111111', region: 'us-east-1' } });
  const fleet = new WhatsAppTokenFleet(stack, 'Fleet', { fleetName: 'clients', appId: APP_ID });
  const resources = app.synth().getStackByName(stack.stackName).template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const of = (t: string) => Object.values(resources).filter((r) => r.Type === t);
  const fn = (handler: string) => of('AWS::Lambda::Function').find((r) => r.Properties.Handler === handler)!;
  const esm = of('AWS::Lambda::EventSourceMapping')[0].Properties as { BatchSize: number; ScalingConfig: { MaximumConcurrency: number } };
  // A metric-math alarm is billed per metric in its expression.
  const alarmMetrics = of('AWS::CloudWatch::Alarm').reduce((n, a) => n + (Array.isArray(a.Properties.Metrics) ? (a.Properties.Metrics as { MetricStat?: unknown }[]).filter((m) => m.MetricStat).length : 1), 0);
  return {
    alarmMetrics,
    alarms: of('AWS::CloudWatch::Alarm').length,
    dashboards: of('AWS::CloudWatch::Dashboard').length,
    kmsKeys: of('AWS::KMS::Key').length,
    secrets: of('AWS::SecretsManager::Secret').length,
    tables: of('AWS::DynamoDB::Table').length,
    workerMemoryGb: (fn('fleet-worker.handler').Properties.MemorySize as number) / 1024,
    plannerMemoryGb: (fn('fleet-planner.handler').Properties.MemorySize as number) / 1024,
    sweepIntervalMinutes: fleet.sweepIntervalMinutes,
    concurrency: esm.ScalingConfig.MaximumConcurrency,
    batchSize: esm.BatchSize,
    // Every fleet metric under the one Fleet dimension, whatever the number of tokens.
    customMetrics: Object.keys(FleetMetric).length,
  };
}

// ---------- a loopback fleet, in this process ----------

/** Adds a fixed delay to every Graph answer: the assumed round trip. */
async function latencyProxy(upstream: string, delayMs: number): Promise<{ url: string; calls: () => number; stop: () => Promise<void> }> {
  let calls = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    calls++;
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      await new Promise((r) => setTimeout(r, delayMs));
      const up = await fetch(`${upstream}${req.url}`, { method: req.method, headers: { authorization: req.headers.authorization ?? '' } });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await up.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls, stop: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

interface Loopback {
  graph: GraphEmulator;
  sm: SecretsManagerFake;
  sqs: SqsFake;
  queue: ReturnType<SqsFake['createQueue']>;
  graphUrl: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function loopback(tokens: number, rttMs: number): Promise<Loopback & { graphCalls: () => number; dlq: ReturnType<SqsFake['createQueue']>; ddbCalls: () => number }> {
  const graph = await new GraphEmulator({ appId: APP_ID, appSecret: CANARY_APP_SECRET }).start();
  graph.addWaba(WABA_ID, { id: PHONE_ID });
  const proxy = await latencyProxy(graph.baseUrl, rttMs);
  const sm = await new SecretsManagerFake().start();
  const sqs = await new SqsFake().start();
  const dlq = sqs.createQueue('dlq');
  const queue = sqs.createQueue('sweep', { visibilityTimeoutSeconds: 360, deadLetter: dlq, maxReceiveCount: 5 });
  const ddb = await new DynamoDbLocal().start();
  const table = await ddb.createTable('fleet-ledger', GUARD_TABLE);
  const bus = await new EventBridgeRecorder().start();
  const ns = fleetNamespace('BenchFleet', 'clients');
  const appSecret = sm.createSecret(`whatsapp-token-guard-fleet-app-secret/${ns.fleetId}`, { value: JSON.stringify({ appSecret: CANARY_APP_SECRET }) });
  for (let i = 0; i < tokens; i++) {
    const token = graph.addToken(`EAAGbench${i}x${'y'.repeat(180)}`, { wabas: [WABA_ID] });
    sm.createSecret(fleetSecretName(ns, `client-${i}`), {
      value: JSON.stringify({ accessToken: token }),
      tags: { [FleetTag.Fleet]: ns.fleetId, [FleetTag.TokenName]: `client-${i}`, [FleetTag.WabaId]: WABA_ID, [FleetTag.PhoneNumberId]: PHONE_ID },
    });
  }
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
    AWS_SECRET_ACCESS_KEY: 'loopback',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
    [EnvVar.LedgerTableName]: table,
    [EnvVar.LedgerScope]: ns.fleetId,
    [EnvVar.CheckFailuresToNotify]: '1',
    [FleetEnvVar.FleetName]: ns.fleetName,
    [FleetEnvVar.FleetId]: ns.fleetId,
    [FleetEnvVar.SecretNamePrefix]: ns.secretNamePrefix,
    [FleetEnvVar.SecretArnPrefix]: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${ns.secretNamePrefix}`,
    [FleetEnvVar.SweepQueueUrl]: queue.url,
    [FleetEnvVar.SweepIntervalMinutes]: '15',
    [FleetEnvVar.PlannerEveryMinutes]: '15',
    [EnvVar.AppSecretArn]: appSecret.arn,
    [EnvVar.AppId]: APP_ID,
    [EnvVar.GraphApiBaseUrl]: proxy.url,
  };
  return {
    graph,
    sm,
    sqs,
    queue,
    graphUrl: proxy.url,
    env,
    graphCalls: proxy.calls,
    async stop() {
      await proxy.stop();
      await graph.stop();
      await sm.stop();
      await sqs.stop();
      await ddb.stop();
      await bus.stop();
    },
    dlq,
    ddbCalls: () => 0,
  };
}

type Planner = typeof import('../lambda/entrypoints/fleet-planner');
type Worker = typeof import('../lambda/entrypoints/fleet-worker');

/** Loads the entry points fresh (a new "container") with the loopback environment. */
function load(env: Record<string, string>): { planner: Planner; worker: Worker } {
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  for (const k of Object.keys(require.cache)) if (k.includes(`${path.sep}lambda${path.sep}`)) delete require.cache[k];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { planner: require('../lambda/entrypoints/fleet-planner'), worker: require('../lambda/entrypoints/fleet-worker') };
}

async function quietly<T>(fn: () => Promise<T>, sink: { bytes: number }): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => ((sink.bytes += Buffer.byteLength(typeof chunk === 'string' ? chunk : Buffer.from(chunk))), true)) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

const context = { getRemainingTimeInMillis: () => 58_000, functionName: 'fleet-worker', awsRequestId: 'bench' } as unknown as Context;

interface SweepRun {
  readonly tokens: number;
  readonly plannerMs: number;
  readonly sweepMs: number;
  readonly checks: number;
  readonly invocations: number;
  readonly cpuMsPerCheck: number;
  readonly wallMsPerCheck: number;
  readonly logBytesPerCheck: number;
  readonly graphCallsPerCheck: number;
  readonly secretsCallsPerCheck: number;
  readonly sqsCallsPerCheck: number;
}

/** One full sweep: the planner lists and queues every token, then the queue is run dry at `concurrency` batches of 10 in flight. */
async function sweep(tokens: number, rttMs: number, concurrency: number): Promise<SweepRun> {
  const lb = await loopback(tokens, rttMs);
  try {
    const { planner, worker } = load(lb.env);
    const sink = { bytes: 0 };
    const t0 = process.hrtime.bigint();
    await quietly(() => planner.handler(), sink);
    const plannerMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const smBefore = lb.sm.calls.length;
    const sqsBefore = lb.sqs.calls.length;
    lb.sqs.now += 900; // every delay has passed: the worst case, all checks at once
    sink.bytes = 0;
    const c0 = process.cpuUsage();
    const t1 = process.hrtime.bigint();
    let invocations = 0;
    let checks = 0;
    await quietly(
      () =>
        lb.sqs.drain(lb.queue, async (event: SQSEvent): Promise<SQSBatchResponse> => {
          invocations++;
          checks += event.Records.length;
          return worker.handler(event, context);
        }, { concurrency, batchSize: 10, maxRounds: 1_000_000 }),
      sink,
    );
    const sweepMs = Number(process.hrtime.bigint() - t1) / 1e6;
    if (lb.dlq.messages.length > 0 || checks < tokens) throw new Error(`bench sweep went wrong: ${lb.dlq.messages.length} dead letters, ${checks} checks for ${tokens} tokens`);
    const cpu = process.cpuUsage(c0);
    return {
      tokens,
      plannerMs,
      sweepMs,
      checks,
      invocations,
      cpuMsPerCheck: (cpu.user + cpu.system) / 1000 / checks,
      wallMsPerCheck: sweepMs / checks,
      logBytesPerCheck: sink.bytes / checks,
      graphCallsPerCheck: lb.graphCalls() / checks,
      secretsCallsPerCheck: (lb.sm.calls.length - smBefore) / checks,
      // SendMessage by the worker only when it defers; the event source's receive and delete calls are Lambda's.
      sqsCallsPerCheck: (lb.sqs.calls.length - sqsBefore) / checks,
    };
  } finally {
    await lb.stop();
  }
}

// ---------- cost ----------

interface PerCheck {
  /** Billed worker ms per invocation, with the assumed round trips. */
  readonly billedMsPerInvocation: number;
  readonly checksPerInvocation: number;
  readonly logBytesPerCheck: number;
  readonly secretsCallsPerCheck: number;
  readonly plannerMsPer1000: number;
}

function costLines(t: FleetTemplate, tokens: number, w: PerCheck): [string, number][] {
  const checks = tokens * ((HOURS_PER_MONTH * 60) / t.sweepIntervalMinutes);
  const invocations = checks / w.checksPerInvocation;
  const plannerRuns = (HOURS_PER_MONTH * 60) / FLEET_PLANNER_EVERY_MINUTES;
  const plannerGbS = plannerRuns * Math.max(100, (w.plannerMsPer1000 * tokens) / 1000) / 1000 * t.plannerMemoryGb;
  const workerGbS = invocations * (w.billedMsPerInvocation / 1000) * t.workerMemoryGb;
  const listCalls = plannerRuns * Math.ceil(tokens / 100);
  const secretsCalls = checks * w.secretsCallsPerCheck + listCalls;
  // Planner: one SendMessageBatch per 10 checks; event source: a receive and a delete per invocation, plus idle long polls.
  const sqsRequests = checks / 10 + invocations * 2 + IDLE_RECEIVES_PER_MONTH;
  const logsGb = (checks * w.logBytesPerCheck + (invocations + plannerRuns) * PLATFORM_LOG_BYTES) / 1024 ** 3;
  // One state item update per check (1 KB or less: one write unit); events and history only on changes.
  const dynamoWrites = checks;
  const tableGb = (tokens * 2_000) / 1024 ** 3;
  return [
    [`token secrets (${tokens.toLocaleString('en-US')} x $0.40)`, tokens * P('secretMonth')],
    [`app secret (${t.secrets})`, t.secrets * P('secretMonth')],
    [`Secrets Manager API (${Math.round(secretsCalls).toLocaleString('en-US')} calls)`, (secretsCalls / 10_000) * P('secretsApiPer10k')],
    [`worker Lambda requests (${Math.round(invocations).toLocaleString('en-US')})`, ((invocations + plannerRuns) / 1e6) * P('lambdaRequestsPerMillion')],
    [`worker + planner duration (${Math.round(workerGbS + plannerGbS).toLocaleString('en-US')} GB-s arm64)`, (workerGbS + plannerGbS) * P('lambdaArmGbSecond')],
    [`SQS requests (${Math.round(sqsRequests).toLocaleString('en-US')})`, (sqsRequests / 1e6) * P('sqsRequestsPerMillion', 0.4)],
    [`EventBridge Scheduler (${plannerRuns.toLocaleString('en-US')} invocations)`, (plannerRuns / 1e6) * P('schedulerInvocationsPerMillion', 1.0)],
    [`DynamoDB ledger writes (${Math.round(dynamoWrites).toLocaleString('en-US')} WRU) + PITR`, (dynamoWrites / 1e6) * P('dynamoWritePerMillion', 0.625) + tableGb * (P('dynamoStoragePerGbMonth', 0.25) + P('dynamoPitrPerGbMonth', 0.2))],
    ['EventBridge custom events (only on health changes)', 0],
    [`fleet metrics (${t.customMetrics}, Fleet dimension only)`, t.customMetrics * P('customMetricMonth')],
    [`alarms (${t.alarms}, ${t.alarmMetrics} alarm metrics)`, t.alarmMetrics * P('standardAlarmMonth')],
    [`dashboards (${t.dashboards})`, t.dashboards * P('dashboardMonth')],
    [`KMS keys (${t.kmsKeys}, the alarm topic's)`, t.kmsKeys * P('kmsKeyMonth')],
    [`logs ingested + 1 month stored (${(logsGb * 1024).toFixed(0)} MB)`, logsGb * (P('logsIngestPerGb') + P('logsStoragePerGbMonth'))],
  ];
}
const total = (lines: [string, number][]): number => lines.reduce((s, [, v]) => s + v, 0);

// ---------- main ----------

export async function fleetBench(o: { quick?: boolean } = {}): Promise<void> {
  const t = synthFleet();
  // --quick: the sweeps on 50 and 100 tokens instead of 1,000 and 10,000 (the cost table is arithmetic on them).
  const [small, large] = o.quick ? [50, 100] : [1_000, 10_000];
  const label = (n: number): string => `${n.toLocaleString('en-US')} tokens`;
  console.log(`\n=== Fleet mode (WhatsAppTokenFleet: sweep every ${t.sweepIntervalMinutes} min, planner every ${FLEET_PLANNER_EVERY_MINUTES} min, worker maxConcurrency ${t.concurrency} x batch ${t.batchSize}) ===`);

  // Worker overhead: zero-latency loopback, one batch in flight.
  const zero1k = await sweep(small, 0, 1);
  const zero10k = await sweep(large, 0, 1);
  table('Fleet worker overhead per check (zero-latency loopback Graph, Secrets Manager and SQS in this process, one batch of 10 in flight)', [
    ['figure', label(small), label(large)],
    ['wall time per check (ms)', zero1k.wallMsPerCheck.toFixed(2), zero10k.wallMsPerCheck.toFixed(2)],
    ['CPU time per check (ms)', zero1k.cpuMsPerCheck.toFixed(2), zero10k.cpuMsPerCheck.toFixed(2)],
    ['bytes logged per check', zero1k.logBytesPerCheck.toFixed(0), zero10k.logBytesPerCheck.toFixed(0)],
    ['Graph calls per check (WABA + phone probes on)', zero1k.graphCallsPerCheck.toFixed(2), zero10k.graphCallsPerCheck.toFixed(2)],
    ['Secrets Manager calls per check', zero1k.secretsCallsPerCheck.toFixed(2), zero10k.secretsCallsPerCheck.toFixed(2)],
    ['planner run: list + queue every token (ms)', zero1k.plannerMs.toFixed(0), zero10k.plannerMs.toFixed(0)],
  ]);

  // The sweep with the assumed round trip, at the default concurrency, every check queued at once (worst case).
  const rtt1k = await sweep(small, ASSUMED_GRAPH_RTT_MS, t.concurrency);
  const rtt10k = await sweep(large, ASSUMED_GRAPH_RTT_MS, t.concurrency);
  const capacityPerS = (r: SweepRun) => r.checks / (r.sweepMs / 1000);
  const arrivalPerS = (n: number) => n / (t.sweepIntervalMinutes * 60);
  // The last run's last check is queued with the largest delay (a minute short of the run) and takes one batch to check;
  // if the workers could not keep up with the arrival rate, the backlog would set the end instead.
  const lastSlotEnd = (t.sweepIntervalMinutes - FLEET_PLANNER_EVERY_MINUTES) * 60 + (FLEET_PLANNER_EVERY_MINUTES * 60 - RUN_MARGIN_SECONDS);
  const batchSeconds = (r: SweepRun) => (r.sweepMs * t.concurrency) / r.invocations / 1000;
  const lastDone = (r: SweepRun, n: number): string =>
    (capacityPerS(r) >= arrivalPerS(n) ? (lastSlotEnd + batchSeconds(r)) / 60 : Math.max(lastSlotEnd / 60, n / capacityPerS(r) / 60)).toFixed(1);
  table(
    `Full sweep at the default concurrency (${t.concurrency} workers x ${t.batchSize} records) with an assumed Meta round trip of ${ASSUMED_GRAPH_RTT_MS} ms per Graph call (injected on loopback)`,
    [
      ['figure', label(small), label(large)],
      ['every check queued at once: time to check all (s)', (rtt1k.sweepMs / 1000).toFixed(1), (rtt10k.sweepMs / 1000).toFixed(1)],
      ['worker capacity (checks/s)', capacityPerS(rtt1k).toFixed(0), capacityPerS(rtt10k).toFixed(0)],
      [`arrival rate when spread over ${t.sweepIntervalMinutes} min (checks/s)`, arrivalPerS(small).toFixed(2), arrivalPerS(large).toFixed(2)],
      ['spread sweep: last check done by (min into the interval)', lastDone(rtt1k, small), lastDone(rtt10k, large)],
      ['target', `within ${t.sweepIntervalMinutes} min`, `within ${t.sweepIntervalMinutes} min`],
      ['billed worker ms per invocation (measured, with the round trip)', ((rtt1k.sweepMs * t.concurrency) / rtt1k.invocations).toFixed(0), ((rtt10k.sweepMs * t.concurrency) / rtt10k.invocations).toFixed(0)],
    ],
  );

  // Meta's limits.
  const perHour = (n: number) => n * (60 / t.sweepIntervalMinutes);
  table(`Graph calls per hour (sweep every ${t.sweepIntervalMinutes} min; probes on: debug_token with the app token + 3 read-only calls with each client's token)`, [
    ['calls', '1,000 tokens', '10,000 tokens', "Meta's limit (developers.facebook.com/docs/graph-api/overview/rate-limiting)"],
    ['debug_token (app token, Platform rate limit)', perHour(1_000).toLocaleString('en-US'), perHour(10_000).toLocaleString('en-US'), '200 x daily active users per rolling hour (how it applies to a business app is UNCONFIRMED); X-App-Usage reports the share'],
    ['daily active users needed to stay at 50% of that', Math.ceil(perHour(1_000) / 100).toLocaleString('en-US'), Math.ceil(perHour(10_000) / 100).toLocaleString('en-US'), 'the worker slows from 60% and pauses from 90% X-App-Usage'],
    ['WABA calls per WABA (phone_numbers, subscribed_apps)', '2', '2', '200 per hour per app per WABA (5,000 for an active WABA): 1%'],
    ['peak Graph calls in flight', `${t.concurrency * t.batchSize * 2}`, `${t.concurrency * t.batchSize * 2}`, 'maxConcurrency x batch x (debug_token, then up to 3 probes in parallel)'],
  ]);

  // Cost.
  const billed = (rtt10k.sweepMs * t.concurrency) / rtt10k.invocations + 2 * ASSUMED_SECRETS_RTT_MS;
  const w: PerCheck = {
    // Conservative: at 2.8 checks/s Lambda's pollers often deliver small batches; bill each check as its own invocation.
    billedMsPerInvocation: Math.ceil(billed / 1),
    checksPerInvocation: 1,
    logBytesPerCheck: zero10k.logBytesPerCheck,
    secretsCallsPerCheck: zero10k.secretsCallsPerCheck,
    plannerMsPer1000: (zero10k.plannerMs * 1_000) / large,
  };
  const ns = [100, 1_000, 10_000];
  const lines = ns.map((n) => costLines(t, n, w));
  const rows: (string | number)[][] = [['item (per month, list price, no free tier)', '100 tokens', '1,000 tokens', '10,000 tokens']];
  for (let i = 0; i < lines[0].length; i++) rows.push([lines[0][i][0].replace(/\(.*\)/, '').trim(), ...lines.map((l) => usd(l[i][1]))]);
  rows.push(['TOTAL', ...lines.map((l) => usd(total(l)))]);
  rows.push(['per token', ...lines.map((l, i) => usd(total(l) / ns[i]))]);
  const marginal = total(costLines(t, 1_001, w)) - total(costLines(t, 1_000, w));
  rows.push(['one more token (at 1,000)', '-', usd(marginal), '-']);
  table(`Fleet monthly cost at default settings, us-east-1 list prices (${PRICES.read}); billed worker time ${w.billedMsPerInvocation} ms per check with the assumed ${ASSUMED_GRAPH_RTT_MS} ms Graph round trips. Target: at most $0.50 per token at 1,000 tokens, the secret's $0.40 included`, rows);
  console.log(`  1,000 tokens: ${usd(total(lines[1]) / 1_000)} per token (${total(lines[1]) / 1_000 <= 0.5 ? 'meets' : 'MISSES'} the $0.50 target); marginal ${usd(marginal)} per token.`);
  console.log('  1,000-token line items:');
  for (const [name, v] of lines[1]) console.log(`    ${name.padEnd(72)} ${usd(v)}`);
}

if (require.main === module) {
  fleetBench().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
