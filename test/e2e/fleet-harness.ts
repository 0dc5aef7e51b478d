// A loopback fleet for end-to-end tests and the bench: the Graph emulator behind a per-token fault proxy, the Secrets
// Manager fake holding the fleet's secrets, and SQS queues (sweep + dead letters) whose event source mapping the test
// drives. The planner and worker entry points run in this process with the real SDK over loopback HTTP.
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EnvVar, FleetEnvVar, FleetNamespace, fleetNamespace, FleetTag } from '../../lambda/contract';
import { fleetLedgerKey, fleetSecretName } from '../../lambda/core/token-settings';
import { APP_ID, CANARY_APP_SECRET } from '../fakes/canary';
import { DynamoDbLocal, GUARD_TABLE } from '../fakes/dynamodb-local';
import { EventBridgeRecorder } from '../fakes/eventbridge-recorder';
import { GraphEmulator } from '../fakes/graph-emulator';
import { LoopbackJsonServer, readBody } from '../fakes/loopback-json-server';
import { invocationSandbox } from '../fakes/invocation-sandbox';
import { SecretsManagerFake } from '../fakes/secrets-manager-fake';
import { FakeQueue, SqsFake } from '../fakes/sqs-fake';

/** What the proxy does to requests carrying a token (as input_token or bearer). */
export type TokenFault =
  | { kind: 'reset'; times?: number } // connection reset (Meta unreachable), `times` requests then fine
  | { kind: 'waba-throttle'; wabaId: string }; // the WABA's probes answer 80007 with X-Business-Use-Case-Usage

export class FaultProxy extends LoopbackJsonServer {
  readonly faults = new Map<string, TokenFault & { seen?: number }>();
  /** Added to every answer, e.g. {"call_count":95,...} to put the app near its limit (instead of the emulator's own). */
  appUsage?: Record<string, number>;
  /** How long to hold request number `n` (1-based) to `path` before passing it on: lets a test order parallel calls. */
  hold?: (n: number, path: string) => number | undefined;
  calls = 0;
  /** Paths of every request, in arrival order. */
  readonly paths: string[] = [];

  constructor(private readonly upstream: string) {
    super();
  }

  get baseUrl(): string {
    return this.endpoint;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++this.calls;
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.paths.push(url.pathname);
    const wait = this.hold?.(n, url.pathname);
    if (wait) await new Promise((r) => setTimeout(r, wait).unref());
    const token = url.searchParams.get('input_token') ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const fault = this.faults.get(token);
    if (fault?.kind === 'reset' && (fault.times === undefined || (fault.seen ?? 0) < fault.times)) {
      fault.seen = (fault.seen ?? 0) + 1;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'waba-throttle' && url.pathname.includes(`/${fault.wabaId}/`)) {
      // Meta's throttling answer for the WhatsApp Business Management quota (code 80007, reference error-codes page),
      // with the usage header Meta's rate-limiting page documents.
      res.writeHead(429, {
        'content-type': 'application/json; charset=UTF-8',
        'x-business-use-case-usage': JSON.stringify({ [fault.wabaId]: [{ type: 'whatsapp_business_management', call_count: 100, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: 30 }] }),
      });
      res.end(JSON.stringify({ error: { message: '(#80007) Rate limit hit', type: 'OAuthException', code: 80007, fbtrace_id: 'AbCdEfGhIj' } }));
      return;
    }
    const upstream = await fetch(`${this.upstream}${url.pathname}${url.search}`, {
      method: req.method,
      headers: Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    const headers: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'application/json' };
    // Meta's usage headers pass through (the emulator's), unless the test sets the app's usage itself.
    for (const h of ['x-app-usage', 'x-business-use-case-usage']) {
      const v = upstream.headers.get(h);
      if (v) headers[h] = v;
    }
    if (this.appUsage) headers['x-app-usage'] = JSON.stringify(this.appUsage);
    res.writeHead(upstream.status, headers);
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }
}

type Planner = typeof import('../../lambda/entrypoints/fleet-planner');
type Worker = typeof import('../../lambda/entrypoints/fleet-worker');
type Router = typeof import('../../lambda/entrypoints/fleet-router');

/** The account and region every loopback fake answers for (the Secrets Manager fake's ARNs). */
export const LOOPBACK_SECRET_ARN_PREFIX = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:';

export interface Fleet {
  readonly name: string;
  /** The fleet's namespace: id `<stack>/<fleet>`, secret name prefix. */
  readonly ns: FleetNamespace;
  /** The secret name of a token of this fleet. */
  secretName(tokenName: string): string;
  /** The ledger key of a token of this fleet (`<stack>/<fleet>/<token>`). */
  ledgerKey(tokenName: string): string;
  readonly graph: GraphEmulator;
  readonly proxy: FaultProxy;
  readonly sm: SecretsManagerFake;
  readonly sqs: SqsFake;
  readonly queue: FakeQueue;
  readonly dlq: FakeQueue;
  readonly ddb: DynamoDbLocal;
  readonly ledgerTable: string;
  readonly bus: EventBridgeRecorder;
  readonly env: Record<string, string>;
  /** Everything the functions wrote to stdout/stderr. */
  readonly output: string[];
  /** Stores a token the way onboarding code would: a secret named for the fleet, tagged with its settings. */
  addToken(tokenName: string, token: string, tags?: Record<string, string>): void;
  plan(): Promise<Awaited<ReturnType<Planner['handler']>>>;
  /** Runs the sweep queue dry through the worker, moving the fake clock past delays and visibility timeouts. */
  drain(opts?: { concurrency?: number }): Promise<{ invocations: number; responses: SQSBatchResponse[] }>;
  invokeWorker(event: SQSEvent): Promise<SQSBatchResponse>;
  invokeRouter(event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startFleet(opts: { name?: string; stack?: string; maxReceiveCount?: number; extraEnv?: Record<string, string>; remainingMs?: number } = {}): Promise<Fleet> {
  const name = opts.name ?? 'clients';
  const ns = fleetNamespace(opts.stack ?? 'Clients', name);
  const graph = await new GraphEmulator({ appId: APP_ID, appSecret: CANARY_APP_SECRET }).start();
  const proxy = await new FaultProxy(graph.baseUrl).start();
  const sm = await new SecretsManagerFake().start();
  const sqs = await new SqsFake().start();
  const maxReceiveCount = opts.maxReceiveCount ?? 3;
  const dlq = sqs.createQueue(`${name}-dead-letters`);
  const queue = sqs.createQueue(`${name}-sweep`, { visibilityTimeoutSeconds: 360, deadLetter: dlq, maxReceiveCount });
  const ddb = await new DynamoDbLocal().start();
  const ledgerTable = await ddb.createTable('fleet-ledger', GUARD_TABLE);
  const bus = await new EventBridgeRecorder().start();
  const appSecret = sm.createSecret(`whatsapp-token-guard-fleet-app-secret/${ns.fleetId}`, { value: JSON.stringify({ appSecret: CANARY_APP_SECRET }) });
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
    AWS_SECRET_ACCESS_KEY: 'loopback',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
    [EnvVar.LedgerTableName]: ledgerTable,
    [EnvVar.LedgerScope]: ns.fleetId,
    [EnvVar.CheckFailuresToNotify]: '1',
    AWS_MAX_ATTEMPTS: '1',
    [FleetEnvVar.FleetName]: name,
    [FleetEnvVar.FleetId]: ns.fleetId,
    [FleetEnvVar.SecretNamePrefix]: ns.secretNamePrefix,
    [FleetEnvVar.SecretArnPrefix]: `${LOOPBACK_SECRET_ARN_PREFIX}${ns.secretNamePrefix}`,
    [FleetEnvVar.SweepQueueUrl]: queue.url,
    [FleetEnvVar.SweepIntervalMinutes]: '15',
    [FleetEnvVar.PlannerEveryMinutes]: '15',
    [FleetEnvVar.MaxReceiveCount]: String(maxReceiveCount),
    [EnvVar.AppSecretArn]: appSecret.arn,
    [EnvVar.AppId]: APP_ID,
    [EnvVar.GraphApiBaseUrl]: proxy.baseUrl,
    [EnvVar.GraphApiVersion]: 'v25.0',
    // Loopback answers in milliseconds; the margin is for a CI machine loaded by other suites (a timeout is no verdict).
    [EnvVar.HttpTimeoutMs]: '3000',
    ...opts.extraEnv,
  };
  const output: string[] = [];
  let modules: { planner: Planner; worker: Worker; router: Router } | undefined;

  const sandbox = invocationSandbox(env, output);
  const run = <T>(fn: (m: { planner: Planner; worker: Worker; router: Router }) => Promise<T>): Promise<T> =>
    sandbox(() => {
      if (!modules) {
        jest.isolateModules(() => {
          modules = { planner: require('../../lambda/entrypoints/fleet-planner'), worker: require('../../lambda/entrypoints/fleet-worker'), router: require('../../lambda/entrypoints/fleet-router') };
        });
      }
      return fn(modules!);
    });
  // A short budget keeps the Graph client's own backoff (bounded by the deadline) from dominating the test's run time.
  const context = (): Context => ({ getRemainingTimeInMillis: () => opts.remainingMs ?? 9_000, functionName: 'fleet-worker', awsRequestId: 'req' }) as unknown as Context;

  const fleet: Fleet = {
    name,
    ns,
    secretName: (tokenName) => fleetSecretName(ns, tokenName),
    ledgerKey: (tokenName) => fleetLedgerKey(ns, tokenName),
    graph,
    proxy,
    sm,
    sqs,
    queue,
    dlq,
    ddb,
    ledgerTable,
    bus,
    env,
    output,
    addToken(tokenName, token, tags = {}) {
      sm.createSecret(fleetSecretName(ns, tokenName), { value: JSON.stringify({ accessToken: token }), tags: { [FleetTag.Fleet]: ns.fleetId, [FleetTag.TokenName]: tokenName, ...tags } });
    },
    plan: () => run((m) => m.planner.handler()),
    invokeWorker: (event) => run((m) => m.worker.handler(event, context())),
    invokeRouter: (event) => run((m) => m.router.handler(event, context())),
    async drain(o = {}) {
      const responses: SQSBatchResponse[] = [];
      const r = await sqs.drain(queue, async (event) => {
        const response = await fleet.invokeWorker(event);
        responses.push(response);
        return response;
      }, { concurrency: o.concurrency ?? 3, stepSeconds: 900 });
      return { ...r, responses };
    },
    async stop() {
      await proxy.stop();
      await graph.stop();
      await sm.stop();
      await sqs.stop();
      await ddb.stop();
      await bus.stop();
    },
  };
  return fleet;
}

/** Log lines (JSON) the functions wrote with the given message. */
export function logLines(output: readonly string[], message: string): Record<string, unknown>[] {
  return output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(`"message":"${message}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Sums of the fleet metrics over every EMF line with the Fleet dimension. */
export function fleetMetricSums(output: readonly string[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const l of output.join('').split('\n')) {
    if (!l.includes('"_aws"')) continue;
    const emf = JSON.parse(l) as { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<string, unknown>;
    const block = emf._aws.CloudWatchMetrics[0];
    if (!block.Dimensions.some((d) => d.includes('Fleet'))) continue;
    for (const { Name } of block.Metrics) {
      const v = emf[Name];
      const values = Array.isArray(v) ? (v as number[]) : [v as number];
      sums[Name] = (sums[Name] ?? 0) + values.reduce((a, b) => a + b, 0);
    }
  }
  return sums;
}
