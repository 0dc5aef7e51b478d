// `npm run bench`: the figures a user decides on, printed as tables. Nothing here is a test: no figure
// fails a build (but a step that throws fails the bench, and CI runs `npm run bench -- --quick`). Costs are
// computed from synthesized templates and the function's measured output, at the list prices in bench/prices.json.
// --quick computes every figure on small sizes (fewer checks, spawns and tokens) in about a minute.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { EnvVar, TOKEN_NAME_DIMENSION } from '../lambda/contract';
import { table, usd } from './format';
import { footprintBench } from './footprint';
import { APP_ID, PHONE_ID, WABA_ID } from '../test/fakes/canary';
import { datapointsFromEmf, readAlarms } from '../test/e2e/alarm-model';
import { Assembly, checkIntervalMinutes, FunctionArtifact, synthesize } from '../test/e2e/cloud-assembly';
import { lambdaEnvironment } from '../test/e2e/function-process';

const ROOT = path.join(__dirname, '..');
const PRICES = JSON.parse(fs.readFileSync(path.join(__dirname, 'prices.json'), 'utf8'));
const P = (k: string): number => PRICES.prices[k].usd;
const HOURS_PER_MONTH = 730;
const QUICK = process.argv.includes('--quick');
const CHECKS_FOR_TIMING = QUICK ? 30 : 300;
const COLD_STARTS = QUICK ? 3 : 20;
/** Monthly cost targets of the single guard at default settings (issue #21). */
const TARGET_FIRST_TOKEN_USD = 8;
const TARGET_FURTHER_TOKEN_USD = 3;
/** Assumed Meta round trip from a Lambda in us-east-1, added to the measured overhead for billed duration. */
const ASSUMED_GRAPH_RTT_MS = 150;
const ASSUMED_SECRETS_RTT_MS = 15;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

// ---------- the function, in this process, against fakes in another process ----------

interface Fakes {
  graph: string;
  secrets: string;
  tokenArn: string;
  appArn: string;
  ledgerTable: string;
  dynamodb: string;
  events: string;
  child: ChildProcess;
}

async function startFakes(): Promise<Fakes> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'fakes-server.ts')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    child.stdout!.on('data', (c) => {
      buf += String(c);
      if (buf.includes('\n')) resolve(buf.split('\n')[0]);
    });
  });
  return { ...JSON.parse(line), child };
}

interface LedgerStats {
  ddbCalls: Record<string, number>;
  putEventsCalls: number;
  events: number;
  items: Record<string, unknown>[];
}

/** Asks the fakes process what the ledger and the bus served so far. */
function ledgerStats(fakes: Fakes): Promise<LedgerStats> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (c: Buffer): void => {
      buf += String(c);
      if (!buf.includes('\n')) return;
      fakes.child.stdout!.off('data', onData);
      resolve(JSON.parse(buf.split('\n')[0]) as LedgerStats);
    };
    fakes.child.stdout!.on('data', onData);
    fakes.child.stdin!.write('stats\n');
  });
}

/** DynamoDB's item size rule of thumb: attribute names plus values, numbers about half their digits. */
function itemBytes(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return Math.ceil(String(v).length / 2) + 1;
  if (typeof v === 'boolean' || v === null) return 1;
  if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + itemBytes(x), 0);
  return 3 + Object.entries(v as Record<string, unknown>).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + itemBytes(x), 0);
}

type Handler = (event: unknown, ctx: { getRemainingTimeInMillis(): number }) => Promise<unknown>;

/** Loads the bundle fresh (a new "container") with the template's environment plus the fakes' endpoints. */
function loadBundle(fn: FunctionArtifact, fakes: Fakes, extra: Record<string, string> = {}): Handler {
  const env = lambdaEnvironment(fn, { tokenSecretArn: fakes.tokenArn, appSecretArn: fakes.appArn, secretsEndpoint: fakes.secrets, graphBaseUrl: fakes.graph, ledgerTable: fakes.ledgerTable, dynamodbEndpoint: fakes.dynamodb, eventsEndpoint: fakes.events }, extra);
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  const file = require.resolve(fn.bundleFile);
  delete require.cache[file];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file).handler as Handler;
}

/** Runs `fn` while swallowing and counting what the function prints. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')), true)) as typeof process.stdout.write;
  try {
    return { value: await fn(), text };
  } finally {
    process.stdout.write = write;
  }
}

const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
const ctx = { getRemainingTimeInMillis: () => 58_000 };

async function measureChecks(fn: FunctionArtifact, fakes: Fakes): Promise<{ wall: number[]; cpu: number[]; bytes: number[]; metrics: Set<string>; probeMetrics: Set<string> }> {
  const handler = loadBundle(fn, fakes);
  await captured(() => handler(SCHEDULED, ctx)); // cold start outside the figures
  const wall: number[] = [];
  const cpu: number[] = [];
  const bytes: number[] = [];
  const metrics = new Set<string>();
  for (let i = 0; i < CHECKS_FOR_TIMING; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const { text } = await captured(() => handler(SCHEDULED, ctx));
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    bytes.push(Buffer.byteLength(text));
    // Per-token metrics carry the TokenName dimension; GraphUsagePercent[AppId] is one per app, priced apart.
    if (i === 0) for (const d of datapointsFromEmf(emf(text), 0)) if (TOKEN_NAME_DIMENSION in d.dimensions) metrics.add(`${d.metricName}[${Object.keys(d.dimensions).join(',')}]`);
  }
  // The same check with asset probes configured, to count what probes add.
  const withProbes = loadBundle(fn, fakes, { [EnvVar.WabaId]: WABA_ID, [EnvVar.PhoneNumberId]: PHONE_ID });
  const { text } = await captured(() => withProbes(SCHEDULED, ctx));
  const probeMetrics = new Set(datapointsFromEmf(emf(text), 0).filter((d) => TOKEN_NAME_DIMENSION in d.dimensions).map((d) => `${d.metricName}[${Object.keys(d.dimensions).join(',')}]`));
  return { wall, cpu, bytes, metrics, probeMetrics };
}

const emf = (text: string): Record<string, unknown>[] => text.split('\n').filter((l) => l.startsWith('{') && l.includes('"_aws"')).map((l) => JSON.parse(l));

// ---------- cold start and bundle ----------

function spawnMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function coldStart(fn: FunctionArtifact): { proxyMs: number; bareMs: number; loadMs: number } {
  const file = fn.bundleFile;
  const bare: number[] = [];
  const load: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    bare.push(spawnMs(['-e', '']));
    load.push(spawnMs(['-e', `require(${JSON.stringify(file)}).handler`]));
  }
  return { proxyMs: median(load) - median(bare), bareMs: median(bare), loadMs: median(load) };
}

// ---------- cost from templates ----------

interface Usage {
  checksPerMonthPerToken: number;
  billedMsPerCheck: number;
  memoryGb: number;
  bytesPerCheck: number;
  metricsPerToken: number;
  rotationMetricHoursPerMonth: number;
  /** Measured: ledger write requests per scheduled check (UpdateItem) and the write units each costs. */
  ledgerWritesPerCheck: number;
  ledgerWruPerWrite: number;
  /** Measured: size of a token's state item; assumed: announced changes and milestones a month. */
  ledgerStateBytes: number;
  changesPerMonth: number;
}

function count(a: Assembly, type: string): number {
  return Object.values(a.template.Resources).filter((r) => r.Type === type).length;
}

function costLines(a: Assembly, tokens: number, u: Usage, opts: { customerKey?: boolean } = {}): [string, number][] {
  const secrets = count(a, 'AWS::SecretsManager::Secret');
  const keys = count(a, 'AWS::KMS::Key');
  const checks = u.checksPerMonthPerToken * tokens;
  const invocations = checks; // rotations add a handful of invocations a month
  const gbSeconds = invocations * (u.billedMsPerCheck / 1000) * u.memoryGb;
  const logsGb = (checks * u.bytesPerCheck) / 1024 ** 3;
  const secretsCalls = checks * 2; // token + app secret, one GetSecretValue each
  return [
    [`Secrets Manager secrets (${secrets})`, secrets * P('secretMonth')],
    [`Secrets Manager API calls (${secretsCalls.toLocaleString('en-US')})`, (secretsCalls / 10_000) * P('secretsApiPer10k')],
    [`KMS keys (${keys})`, keys * P('kmsKeyMonth')],
    ...(opts.customerKey ? ([[`KMS requests via Secrets Manager (${secretsCalls.toLocaleString('en-US')})`, (secretsCalls / 10_000) * P('kmsRequestsPer10k')]] as [string, number][]) : []),
    [`custom metrics (${u.metricsPerToken} x ${tokens} token(s), from EMF)`, u.metricsPerToken * tokens * P('customMetricMonth')],
    [`app metric GraphUsagePercent[AppId] (1 per Meta app, not per token)`, P('customMetricMonth')],
    [`rotation metrics (prorated, ${u.rotationMetricHoursPerMonth} h/month each)`, tokens * 2 * (u.rotationMetricHoursPerMonth / HOURS_PER_MONTH) * P('customMetricMonth')],
    [`standard alarms (${count(a, 'AWS::CloudWatch::Alarm')})`, count(a, 'AWS::CloudWatch::Alarm') * P('standardAlarmMonth')],
    [`composite alarms (${count(a, 'AWS::CloudWatch::CompositeAlarm')})`, count(a, 'AWS::CloudWatch::CompositeAlarm') * P('compositeAlarmMonth')],
    [`dashboards (${count(a, 'AWS::CloudWatch::Dashboard')})`, count(a, 'AWS::CloudWatch::Dashboard') * P('dashboardMonth')],
    [`Lambda requests (${invocations.toLocaleString('en-US')})`, (invocations / 1e6) * P('lambdaRequestsPerMillion')],
    [`Lambda arm64 duration (${gbSeconds.toFixed(0)} GB-s)`, gbSeconds * P('lambdaArmGbSecond')],
    [`EventBridge schedule and rules (${count(a, 'AWS::Events::Rule')})`, count(a, 'AWS::Events::Rule') * P('eventBridgeScheduledRule')],
    [`log ingestion + 1 month storage (${(logsGb * 1024).toFixed(1)} MB)`, logsGb * (P('logsIngestPerGb') + P('logsStoragePerGbMonth'))],
    ['SNS (publishes only when an alarm changes state)', 0],
    ...ledgerLines(a, tokens, u),
  ];
}

/**
 * The health ledger, events and notifications, each on its own line. Per check: the measured UpdateItem(s);
 * per announced change (assumed `changesPerMonth`): one PutEvents entry, two more writes (announcement and
 * history item), one SNS publish and email. Storage: the state item plus 90 days of history, with PITR.
 */
function ledgerLines(a: Assembly, tokens: number, u: Usage): [string, number][] {
  const checks = u.checksPerMonthPerToken * tokens;
  const changes = u.changesPerMonth * tokens;
  const wru = checks * u.ledgerWritesPerCheck * u.ledgerWruPerWrite + changes * 2;
  const historyBytes = 400;
  const gb = (tokens * (u.ledgerStateBytes + 3 * u.changesPerMonth * historyBytes)) / 1024 ** 3;
  const tables = count(a, 'AWS::DynamoDB::Table');
  // The stack's shared notification rules: the guard's own events, and Secrets Manager's rotation failures.
  const notificationRules = Object.values(a.template.Resources).filter((r) => r.Type === 'AWS::Events::Rule' && /whatsapp-token-guard|aws\.secretsmanager/.test(JSON.stringify(r.Properties.EventPattern ?? ''))).length;
  return [
    [`health ledger writes (${Math.round(wru).toLocaleString('en-US')} WRU, ${tables} on-demand table)`, (wru / 1e6) * P('dynamodbWriteRequestPerMillion')],
    [`health ledger storage + PITR (${(gb * 1024 ** 2).toFixed(1)} KB)`, gb * (P('dynamodbStoragePerGbMonth') + P('dynamodbPitrPerGbMonth'))],
    [`health events (${changes} PutEvents entries)`, (changes / 1e6) * P('eventBridgeCustomEventsPerMillion')],
    [`notification rules (${notificationRules}) and their messages (${changes} SNS publishes + emails)`, notificationRules * P('eventBridgeRule') + (changes / 1e6) * P('snsPublishPerMillion') + (changes / 100_000) * P('snsEmailPer100k')],
  ];
}

const total = (lines: [string, number][]): number => lines.reduce((s, [, v]) => s + v, 0);

function freeTierTotal(a: Assembly, tokens: number, u: Usage): number {
  const f = PRICES.freeTier;
  const lines = costLines(a, tokens, u);
  const get = (prefix: string): number => lines.find(([n]) => n.startsWith(prefix))?.[1] ?? 0;
  const metrics = Math.max(0, u.metricsPerToken * tokens - f.customMetrics) * P('customMetricMonth');
  const alarms = Math.max(0, count(a, 'AWS::CloudWatch::Alarm') - f.standardAlarms) * P('standardAlarmMonth');
  const dashboards = Math.max(0, count(a, 'AWS::CloudWatch::Dashboard') - f.dashboards) * P('dashboardMonth');
  return get('Secrets Manager secrets') + get('Secrets Manager API') + get('KMS keys') + metrics + alarms + get('composite') + dashboards;
}

// ---------- main ----------

async function main(): Promise<void> {
  console.log(`whatsapp-token-guard bench (${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPU, prices read ${PRICES.read} ${PRICES.region})`);
  const base = { appId: APP_ID };
  const tokensN = (n: number, extra: Record<string, unknown> = {}) => Array.from({ length: n }, (_, i) => ({ name: `token${i + 1}`, ...extra }));
  const a1 = synthesize({ ...base, tokens: tokensN(1) });
  const fn = a1.functions[0];

  // 2. check cost in the function
  const fakes = await startFakes();
  let m;
  let ledger: LedgerStats;
  try {
    m = await measureChecks(fn, fakes);
    ledger = await ledgerStats(fakes);
  } finally {
    fakes.child.kill();
  }
  const checksRun = CHECKS_FOR_TIMING + 2; // the cold start and the probe check too
  const state = ledger.items.find((i) => i.sk === 'STATE') ?? {};
  const stateBytes = itemBytes(state);
  table(`Health ledger and events per scheduled check (measured on the loopback DynamoDB engine and PutEvents recorder over ${checksRun} checks)`, [
    ['figure', 'value'],
    ['DynamoDB requests per check (the function\'s own)', Object.entries(ledger.ddbCalls).filter(([op]) => !['CreateTable', 'Scan'].includes(op)).map(([op, n]) => `${op} ${(n / checksRun).toFixed(2)}`).join(', ')],
    ['state item size (bytes, one write unit per 1 KB)', stateBytes],
    ['PutEvents calls (steady state: only changes)', `${ledger.putEventsCalls} in ${checksRun} checks (${ledger.events} events)`],
  ]);
  table(`Function overhead per scheduled check (${CHECKS_FOR_TIMING} warm checks, zero-latency loopback Graph and Secrets Manager in another process)`, [
    ['figure', 'median', 'p95'],
    ['wall time (ms)', median(m.wall).toFixed(2), p95(m.wall).toFixed(2)],
    ['CPU time (ms)', median(m.cpu).toFixed(2), p95(m.cpu).toFixed(2)],
    ['bytes logged per check', median(m.bytes), p95(m.bytes)],
  ]);

  // 3. cold start and bundle
  const cs = coldStart(fn);
  const bundle = fs.readFileSync(fn.bundleFile);
  table(`Bundle and cold start proxy (median of ${COLD_STARTS} spawns)`, [
    ['figure', 'value'],
    ['bundle, minified (bytes)', bundle.length.toLocaleString('en-US')],
    ['bundle, gzipped (bytes)', zlib.gzipSync(bundle, { level: 9 }).length.toLocaleString('en-US')],
    ['node start + require(bundle) (ms)', cs.loadMs.toFixed(1)],
    ['bare node -e "" (ms)', cs.bareMs.toFixed(1)],
    ['cold start proxy (ms)', cs.proxyMs.toFixed(1)],
  ]);

  // 4. footprint, the largest stack and synth time (bench/footprint.ts), reusing the 1- and 2-token stacks
  const a2 = synthesize({ ...base, tokens: tokensN(2) });
  footprintBench({ quick: QUICK, plain1: a1, plain2: a2 });

  // 1. monthly cost
  const interval = checkIntervalMinutes(a1.template.Resources, fn.logicalId);
  const u: Usage = {
    checksPerMonthPerToken: (HOURS_PER_MONTH * 60) / interval,
    billedMsPerCheck: Math.ceil(median(m.wall) + ASSUMED_GRAPH_RTT_MS + 2 * ASSUMED_SECRETS_RTT_MS),
    memoryGb: fn.memoryMb / 1024,
    bytesPerCheck: median(m.bytes),
    metricsPerToken: m.metrics.size,
    rotationMetricHoursPerMonth: 1,
    ledgerWritesPerCheck: ((ledger.ddbCalls.UpdateItem ?? 0) + (ledger.ddbCalls.PutItem ?? 0)) / checksRun,
    ledgerWruPerWrite: Math.max(1, Math.ceil(stateBytes / 1024)),
    ledgerStateBytes: stateBytes,
    // An incident and its recovery twice a month, plus the expiry milestones of a 60-day token (5 per 60 days).
    changesPerMonth: 4 + 2.5,
  };
  // Quick: the same columns on small stacks.
  const [mid, perStack] = QUICK ? [2, 2] : [10, 20];
  const aMid = mid === 2 ? a2 : synthesize({ ...base, tokens: tokensN(mid) });
  const aStack = perStack === 2 ? a2 : synthesize({ ...base, tokens: tokensN(perStack) });
  const l1 = costLines(a1, 1, u);
  const l2 = costLines(a2, 2, u);
  const lMid = costLines(aMid, mid, u);
  const lStack = costLines(aStack, perStack, u);
  const rows: (string | number)[][] = [['item (per month, list price, no free tier)', '1 token', `${mid} tokens`, `${5 * perStack} tokens (5 stacks x ${perStack})`, 'one more token']];
  for (let i = 0; i < l1.length; i++) {
    rows.push([l1[i][0].replace(/\(.*\)/, '').trim(), usd(l1[i][1]), usd(lMid[i][1]), usd(lStack[i][1] * 5), usd(l2[i][1] - l1[i][1])]);
  }
  rows.push(['TOTAL', usd(total(l1)), usd(total(lMid)), usd(total(lStack) * 5), usd(total(l2) - total(l1))]);
  rows.push(['TOTAL inside the free tier (for comparison)', usd(freeTierTotal(a1, 1, u)), usd(freeTierTotal(aMid, mid, u)), '-', '-']);
  table(
    `Monthly cost at default settings, from the synthesized templates (${u.metricsPerToken} metrics per token from EMF: ${[...m.metrics].join(' ')}; billed duration ${u.billedMsPerCheck} ms = measured overhead + assumed ${ASSUMED_GRAPH_RTT_MS} ms Graph and 2 x ${ASSUMED_SECRETS_RTT_MS} ms Secrets Manager round trips; ${fn.memoryMb} MB arm64)`,
    rows,
  );
  const first = total(l1);
  const further = total(l2) - total(l1);
  const verdict = (v: number, target: number): string => `${usd(v)} (target at most ${usd(target)}: ${v <= target ? 'meets it' : 'MISSES it'})`;
  console.log(`  first token ${verdict(first, TARGET_FIRST_TOKEN_USD)}; each further token ${verdict(further, TARGET_FURTHER_TOKEN_USD)}; every alarm priced (${count(a1, 'AWS::CloudWatch::Alarm')} for the first token, ${count(a2, 'AWS::CloudWatch::Alarm') - count(a1, 'AWS::CloudWatch::Alarm')} for each further one).`);
  console.log('\n1-token line items:');
  for (const [name, v] of l1) console.log(`  ${name.padEnd(70)} ${usd(v)}`);

  // optional parts, each on its own line (1 token)
  const cmk = synthesize({ ...base, customerManagedKey: true, tokens: tokensN(1) });
  const noDash = synthesize({ ...base, dashboard: false, tokens: tokensN(1) });
  const probes = synthesize({ ...base, tokens: tokensN(1, { wabaId: WABA_ID, phoneNumberId: PHONE_ID }) });
  const uProbes = { ...u, metricsPerToken: m.probeMetrics.size, billedMsPerCheck: u.billedMsPerCheck + ASSUMED_GRAPH_RTT_MS };
  table('Optional parts (1 token, difference to the default)', [
    ['part', 'per month'],
    ['customer-managed KMS key for the secrets (+ its requests)', usd(total(costLines(cmk, 1, u, { customerKey: true })) - total(l1))],
    ['dashboard (turn off with "dashboard": false)', usd(total(l1) - total(costLines(noDash, 1, u)))],
    [`asset probes (${m.probeMetrics.size - m.metrics.size} metric, 1 alarm, 3 Graph calls per check)`, usd(total(costLines(probes, 1, uProbes)) - total(l1))],
    ['email subscription (per 100 alarm emails)', usd(P('snsEmailPer100k') / 1000)],
  ]);

  // 5. detection time, from the template
  const { alarms } = readAlarms(a1.template.Resources);
  const byId = (suffix: string) => alarms.find((a) => a.name.endsWith(`-${suffix}`))!;
  const invalid = byId('TokenInvalid');
  const failing = byId('ChecksFailing');
  const silent = byId('NoCheckReported');
  const expiring = byId('TokenExpiring');
  const p = invalid.periodS / 60;
  table('Detection time at default settings (from the schedule and the alarms in the template; add EMF ingestion lag, typically under a minute)', [
    ['event', 'typical (min)', 'worst case (min)'],
    ['token goes invalid / loses a scope / asset access', (interval / 2 + p).toFixed(1), (interval + p).toFixed(1)],
    [`Meta unreachable (${failing.datapointsToAlarm} failed checks)`, ((failing.datapointsToAlarm - 0.5) * interval + p).toFixed(1), (failing.datapointsToAlarm * interval + p).toFixed(1)],
    ['checker stops reporting', (silent.datapointsToAlarm * (silent.periodS / 60) + (silent.periodS / 60) / 2).toFixed(1), ((silent.datapointsToAlarm + 1) * (silent.periodS / 60)).toFixed(1)],
    ['expiring token warns ahead of expiry (days)', String(expiring.threshold), String(expiring.threshold)],
  ]);

  // 6. Meta API budget
  const perHour = 60 / interval;
  table(`Graph API calls at default settings (check every ${interval} min; retries at most 3 more per call during an outage)`, [
    ['who', 'calls per hour', "Meta's limit (developers.facebook.com/docs/graph-api/overview/rate-limiting)", 'share of the limit'],
    ['debug_token per token (app token, Platform limit)', perHour, '200 x daily active users per hour (app)', 'UNCONFIRMED for business apps'],
    ['WABA calls per WABA, probes on (phone_numbers + subscribed_apps)', perHour * 2, '200 per hour per app per WABA (5,000 active)', `${((perHour * 2 * 100) / 200).toFixed(0)}%`],
    ['same, worst case with retries', perHour * 2 * 4, '200 per hour per app per WABA', `${((perHour * 2 * 4 * 100) / 200).toFixed(0)}%`],
    ['phone number probe per number', perHour, 'bucket UNCONFIRMED', '-'],
  ]);
}

main()
  // Fleet mode's figures (bench/fleet.ts): cost for 100 to 10,000 tokens and the sweep simulation.
  .then(async () => (await import('./fleet')).fleetBench({ quick: QUICK }))
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
