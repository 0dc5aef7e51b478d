// The shipped artifact, end to end: token state -> the bundled Lambda (as uploaded) -> EMF metrics ->
// the alarms exactly as the template defines them, over a simulated timeline of scheduled checks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CANDIDATE_LABEL, DEMOTED_LABEL_PREFIX, EnvVar } from '../../lambda/contract';
import { handInVersionId } from '../../lambda/core/plan-rotation';
import { APP_ID, CANARY_APP_SECRET, CANARY_TOKEN, expectNoCanary, PHONE_ID, SYSTEM_USER_ID, WABA_ID } from '../fakes/canary';
import { LedgerFakes, startLedgerFakes } from '../fakes/dynamodb-local';
import { GraphEmulator } from '../fakes/graph-emulator';
import { healthBlockedSip } from '../fakes/meta-shapes';
import { FakeSecret, SecretsManagerFake } from '../fakes/secrets-manager-fake';
import { Datapoint, datapointsFromEmf, readAlarms, simulate, AlarmDefinition, matches } from './alarm-model';
import { readManifest, sha256 } from '../../scripts/build-lambda';
import { Assembly, checkIntervalMinutes, FunctionArtifact, synthesize } from './cloud-assembly';
import { FunctionProcess, Invocation, lambdaEnvironment } from './function-process';

const CONFIG = {
  appId: APP_ID,
  tokens: [
    { name: 'basic' },
    { name: 'assets', wabaId: WABA_ID, phoneNumberId: PHONE_ID },
    { name: 'refresher', rotation: { mode: 'refresh' } },
    { name: 'minter', rotation: { mode: 'mint', systemUserId: SYSTEM_USER_ID } },
  ],
};
const DAY = 86_400;
const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);
const NEW_TOKEN = 'EAAGe2eHANDMADEtoken0005';
const SCHEDULED = { version: '0', id: 'e2e', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '111111111111', region: 'us-east-1', resources: [], detail: {} };

interface Scene {
  readonly graph: GraphEmulator;
  readonly sm: SecretsManagerFake;
  readonly tokenSecret: FakeSecret;
  readonly appSecret: FakeSecret;
  readonly fn: FunctionArtifact;
  readonly ledger: LedgerFakes;
  /** The rotation a staged hand-in belongs to (set-token picks it before it stores the token). */
  rotationId?: string;
  rotate(): Promise<Invocation[]>;
}

interface Scenario {
  readonly name: string;
  readonly token: string;
  /** Initial state (before the first check). */
  readonly setup?: (s: Scene) => void;
  /** Applied right after the second check (worst case for detection); the break time is the reference for time to alarm. */
  readonly breakState?: (s: Scene) => void | Promise<void>;
  /** Runs a rotation at the break instead of (or after) changing state. */
  readonly rotateAtBreak?: boolean;
  readonly checks?: number;
  /** The checker stops running after this many checks (a dead checker). */
  readonly silentAfter?: number;
  /** Checks after the break each in their own cold process, all at once (for checks that each take most of the timeout). */
  readonly concurrentChecks?: boolean;
  readonly expected: readonly string[];
  /** The scenario itself writes the secret (so "nothing was promoted" is checked another way). */
  readonly editsSecret?: boolean;
  readonly assert?: (s: Scene, invocations: Invocation[]) => void;
  /** Alarms that must not fire before this many minutes after the break (e.g. ChecksFailing waits for its K checks). */
  readonly notBefore?: Readonly<Record<string, number>>;
}

const nowS = (): number => Math.floor(Date.now() / 1000);
const fresh = (s: Scene, rec = {}): void => void s.graph.addToken(CANARY_TOKEN, rec);
const tokenRecord = (s: Scene) => s.graph.tokens.get(CANARY_TOKEN)!;
const current = (s: Scene): string | undefined => {
  const v = s.sm.valueAt(s.tokenSecret.arn, 'AWSCURRENT');
  return v && JSON.parse(v).accessToken;
};

const SCENARIOS: Scenario[] = [
  { name: 'healthy never-expiring system-user token', token: 'basic', setup: (s) => fresh(s), expected: [] },
  { name: 'healthy 60-day token with asset probes', token: 'assets', setup: (s) => fresh(s, { expiresAt: nowS() + 50 * DAY }), expected: [] },
  { name: 'healthy 60-day token (50 days left)', token: 'basic', setup: (s) => fresh(s, { expiresAt: nowS() + 50 * DAY }), expected: [] },
  { name: 'the same 60-day token 10 days before expiry', token: 'basic', setup: (s) => fresh(s, { expiresAt: nowS() + 50 * DAY }), breakState: (s) => void (tokenRecord(s).expiresAt = nowS() + 10 * DAY), expected: ['TokenExpiring'] },
  { name: 'expired token (190/463)', token: 'basic', setup: (s) => fresh(s), breakState: (s) => void (tokenRecord(s).dead = { code: 190, subcode: 463, message: 'Session has expired' }), expected: ['TokenInvalid'] },
  { name: 'revoked token (190/466)', token: 'basic', setup: (s) => fresh(s), breakState: (s) => void (tokenRecord(s).dead = { code: 190, subcode: 466, message: 'invalidated explicitly' }), expected: ['TokenInvalid'] },
  { name: 'temporary USER token', token: 'basic', setup: (s) => fresh(s), breakState: (s) => void Object.assign(tokenRecord(s), { type: 'USER', issuedAt: nowS() - 3600, expiresAt: nowS() + 20 * 3600 }), expected: ['TokenExpiring', 'NotSystemUserToken'] },
  { name: 'missing whatsapp_business_messaging', token: 'basic', setup: (s) => fresh(s), breakState: (s) => void (tokenRecord(s).scopes = ['whatsapp_business_management']), expected: ['MissingScopes'] },
  { name: 'missing whatsapp_business_management', token: 'basic', setup: (s) => fresh(s), breakState: (s) => void (tokenRecord(s).scopes = ['whatsapp_business_messaging']), expected: ['MissingScopes'] },
  // Meta answers debug_token for another app's token with a top-level (#100) error: a token verdict, not a failed check.
  { name: 'wrong app (#100 App_id mismatch)', token: 'basic', setup: (s) => fresh(s), breakState: (s) => void (tokenRecord(s).appId = '999999999999'), expected: ['TokenInvalid'] },
  { name: 'wrong app (valid for another app_id)', token: 'basic', setup: (s) => (fresh(s), (s.graph.foreignAppAnswer = 'data')), breakState: (s) => void (tokenRecord(s).appId = '999999999999'), expected: ['TokenInvalid'] },
  { name: 'asset denied (code 200)', token: 'assets', setup: (s) => fresh(s), breakState: (s) => void (tokenRecord(s).wabas = []), expected: ['AssetUnreachable'] },
  { name: 'messaging health BLOCKED (WABA payment)', token: 'assets', setup: (s) => fresh(s), breakState: (s) => void (s.graph.phones.get(PHONE_ID)!.canSendMessage = 'BLOCKED'), expected: ['AssetUnreachable'] },
  // Meta's example: overall BLOCKED because SIP calling is not configured, while every entity can send messages.
  { name: 'health BLOCKED for SIP calling only', token: 'assets', setup: (s) => fresh(s), breakState: (s) => void (s.graph.phones.get(PHONE_ID)!.healthStatus = healthBlockedSip), expected: [] },
  { name: 'messaging health LIMITED (warning only)', token: 'assets', setup: (s) => fresh(s), breakState: (s) => void (s.graph.phones.get(PHONE_ID)!.canSendMessage = 'LIMITED'), expected: [] },
  { name: 'app secret not set', token: 'basic', setup: (s) => fresh(s), breakState: (s) => s.appSecret.versions.clear(), expected: ['ChecksFailing'] },
  {
    name: 'malformed secret value',
    token: 'basic',
    setup: (s) => fresh(s),
    breakState: (s) => void s.tokenSecret.versions.forEach((v) => v.stages.has('AWSCURRENT') && (v.value = '{"accessToken": "EAAG tokens pasted twice"}')),
    expected: ['ChecksFailing'],
    editsSecret: true,
  },
  {
    name: 'Graph down for the whole run',
    token: 'basic',
    setup: (s) => fresh(s),
    breakState: (s) => void (s.graph.fault = { kind: 'down' }),
    expected: ['ChecksFailing'],
    assert: (s, inv) => {
      for (const i of inv) expect(i.durationMs).toBeLessThan(s.fn.timeoutS * 1000);
    },
  },
  {
    name: 'Graph slower than the HTTP timeout',
    token: 'basic',
    setup: (s) => fresh(s),
    breakState: (s) => void (s.graph.fault = { kind: 'slow', ms: 6000 }),
    checks: 6,
    concurrentChecks: true,
    expected: ['ChecksFailing'],
    assert: (s, inv) => {
      for (const i of inv) {
        expect(i.ok).toBe(true);
        expect(i.durationMs).toBeLessThan(s.fn.timeoutS * 1000);
      }
    },
  },
  { name: 'connection reset', token: 'basic', setup: (s) => fresh(s), breakState: (s) => void (s.graph.fault = { kind: 'reset' }), checks: 6, expected: ['ChecksFailing'] },
  {
    name: 'throttled (code 4)',
    token: 'basic',
    setup: (s) => fresh(s),
    breakState: (s) => void ((s.graph.fault = { kind: 'throttle', code: 4 }), (s.graph.requests.length = 0)),
    checks: 6,
    expected: ['ChecksFailing'],
    // The third failed check lands 45 minutes after the break at the default 15-minute interval.
    notBefore: { ChecksFailing: 44 },
    // One call per check and endpoint: no retry into the throttle.
    assert: (s) => expect(s.graph.requests.map((r) => r.path)).toEqual(Array(4).fill('/v25.0/debug_token')),
  },
  {
    name: 'throttled WABA probe (80008)',
    token: 'assets',
    setup: (s) => fresh(s),
    breakState: (s) => void ((s.graph.fault = { kind: 'throttle', code: 80008 }), (s.graph.faultPath = new RegExp(`/${PHONE_ID}$`)), (s.graph.requests.length = 0)),
    checks: 6,
    expected: ['ChecksFailing'],
    notBefore: { ChecksFailing: 44 },
    // Per check: debug_token, then the throttled probe; no sibling probe after it.
    assert: (s) => expect(s.graph.requests.map((r) => r.path)).toEqual(Array(4).fill(['/v25.0/debug_token', `/v25.0/${PHONE_ID}`]).flat()),
  },
  {
    name: 'usage at 90% (asset probes skipped)',
    token: 'assets',
    setup: (s) => fresh(s),
    breakState: (s) => void (s.graph.appUsagePercent = 90),
    checks: 6,
    expected: ['ChecksFailing'],
    notBefore: { ChecksFailing: 44 },
  },
  { name: 'silent checker', token: 'basic', setup: (s) => fresh(s), silentAfter: 2, expected: ['NoCheckReported'] },
  // The table goes away mid-run: verdicts and health metrics carry on, and the pager's watchdog pages instead.
  ...CONFIG.tokens.map((t): Scenario => ({ name: `health ledger unreachable (${t.name})`, token: t.name, setup: (s) => fresh(s), breakState: (s) => s.ledger.ddb.stop(), checks: 5, expected: ['NotificationsFailing'] })),
  // More than 10 earlier tokens kept (an operator handed in many): the oldest must be revoked, and Meta is down for it.
  ...CONFIG.tokens.filter((t) => !t.rotation).map((t): Scenario => ({
    name: `${t.name}: oldest of 11 parked tokens cannot be revoked`,
    token: t.name,
    setup: (s) => fresh(s),
    breakState: (s) => void (park(s, 11), (s.graph.fault = { kind: 'down' }), (s.graph.faultPath = /oauth\/revoke$/)),
    expected: ['RevokeFailed'],
    assert: (s) => expect([...s.graph.tokens.values()].filter((r) => r.dead).length).toBe(0),
  })),
  {
    name: 'hand-made rotation accepted',
    token: 'basic',
    setup: (s) => (fresh(s), s.graph.addToken(NEW_TOKEN)),
    breakState: (s) => void stage(s, NEW_TOKEN),
    rotateAtBreak: true,
    expected: [],
    assert: (s) => expect(current(s)).toBe(NEW_TOKEN),
  },
  {
    name: 'hand-made rotation refused',
    token: 'basic',
    setup: (s) => (fresh(s), s.graph.addToken(NEW_TOKEN, { type: 'USER' })),
    breakState: (s) => void stage(s, NEW_TOKEN),
    rotateAtBreak: true,
    expected: ['RotationFailed'],
    assert: (s) => expect(current(s)).toBe(CANARY_TOKEN),
  },
  {
    name: 'hand-made rotation refused: candidate lacks WABA access',
    token: 'assets',
    setup: (s) => (fresh(s), s.graph.addToken(NEW_TOKEN, { wabas: [] })),
    breakState: (s) => void stage(s, NEW_TOKEN),
    rotateAtBreak: true,
    expected: ['RotationFailed'],
    assert: (s) => expect(current(s)).toBe(CANARY_TOKEN),
  },
  {
    name: 'refresh rotation',
    token: 'refresher',
    setup: (s) => fresh(s, { expiresAt: nowS() + 20 * DAY }),
    rotateAtBreak: true,
    expected: [],
    assert: (s) => expect(current(s)).toMatch(/refreshed/),
  },
  {
    name: 'refresh refused for a never-expiring token',
    token: 'refresher',
    setup: (s) => fresh(s, { expiresAt: 0 }),
    rotateAtBreak: true,
    expected: ['RotationFailed'],
    assert: (s) => expect(current(s)).toBe(CANARY_TOKEN),
  },
  {
    // The USER type is shared with the live token (not blocking); the scope Meta dropped is not: refused.
    name: 'refreshed USER token with fewer scopes refused, its revoke fails',
    token: 'refresher',
    setup: (s) => (fresh(s, { expiresAt: nowS() + 20 * DAY, type: 'USER' }), (s.graph.exchangeOverrides = { scopes: ['whatsapp_business_messaging'] })),
    breakState: (s) => void ((s.graph.fault = { kind: 'down' }), (s.graph.faultPath = /oauth\/revoke$/)),
    rotateAtBreak: true,
    expected: ['NotSystemUserToken', 'RotationFailed', 'RevokeFailed'],
    assert: (s) => expect(current(s)).toBe(CANARY_TOKEN),
  },
  {
    name: 'mint refused by Meta (code 200)',
    token: 'minter',
    setup: (s) => (fresh(s), s.graph.systemUsers.add(SYSTEM_USER_ID), (s.graph.mintRefusal = { code: 200, message: '(#200) Permissions error' })),
    rotateAtBreak: true,
    expected: ['RotationFailed'],
    assert: (s) => expect(current(s)).toBe(CANARY_TOKEN),
  },
  {
    name: 'minted token refused, its revoke fails',
    token: 'minter',
    setup: (s) => (fresh(s), s.graph.systemUsers.add(SYSTEM_USER_ID), (s.graph.mintOverrides = { scopes: ['whatsapp_business_messaging'] })),
    breakState: (s) => void ((s.graph.fault = { kind: 'down' }), (s.graph.faultPath = /oauth\/revoke$/)),
    rotateAtBreak: true,
    expected: ['RotationFailed', 'RevokeFailed'],
    assert: (s) => expect(current(s)).toBe(CANARY_TOKEN),
  },
  {
    name: 'minted rotation',
    token: 'minter',
    setup: (s) => (fresh(s), s.graph.systemUsers.add(SYSTEM_USER_ID)),
    rotateAtBreak: true,
    expected: [],
    assert: (s) => expect(current(s)).toMatch(/minted/),
  },
];

/** `n` earlier tokens, live at Meta, each kept under its own TOKENGUARD_DEMOTED_AT_ label (as n hand-ins leave them). */
function park(s: Scene, n: number): void {
  for (let i = 0; i < n; i++) {
    const token = `EAAGparkedE2E${String(i).padStart(2, '0')}token`;
    s.graph.addToken(token);
    const id = randomUUID();
    s.tokenSecret.versions.set(id, { id, value: JSON.stringify({ accessToken: token }), stages: new Set([`${DEMOTED_LABEL_PREFIX}${nowS() - (n - i) * DAY}`]), created: nowS() - (n - i) * DAY });
  }
}

/** What set-token does: the hand-in is stored under the version id bound to the rotation it then starts. */
function stage(s: Scene, token: string): void {
  s.rotationId = randomUUID();
  const id = handInVersionId(s.rotationId);
  s.tokenSecret.versions.set(id, { id, value: JSON.stringify({ accessToken: token }), stages: new Set([CANDIDATE_LABEL]), created: nowS() });
}

let assembly: Assembly;
let alarmDefs: ReturnType<typeof readAlarms>;
const table: { scenario: string; expected: string; fired: string; minutes: string }[] = [];
const allPoints: Datapoint[] = [];

beforeAll(() => {
  // An operator's shell that happens to hold the values must not leak them into cdk.out.
  process.env.WHATSAPP_TOKEN = CANARY_TOKEN;
  process.env.META_APP_SECRET = CANARY_APP_SECRET;
  try {
    assembly = synthesize(CONFIG);
  } finally {
    delete process.env.WHATSAPP_TOKEN;
    delete process.env.META_APP_SECRET;
  }
  alarmDefs = readAlarms(assembly.template.Resources);
});

afterAll(() => {
  const rows = [['scenario', 'alarms expected', 'alarms fired', 'time to alarm (min)'], ...table.map((r) => [r.scenario, r.expected, r.fired, r.minutes])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const text = rows.map((r, j) => r.map((c, i) => c.padEnd(widths[i])).join(' | ') + (j === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('-|-')}` : '')).join('\n');
  process.stdout.write(`\nArtifact scenarios (simulated ${CONFIG.tokens.length} tokens, alarms from the template):\n${text}\n\n`);
});

function functionFor(token: string): FunctionArtifact {
  const fn = assembly.functions.find((f) => f.environment[EnvVar.TokenName] === token);
  if (!fn) throw new Error(`no function for token ${token}`);
  return fn;
}

async function runScenario(sc: Scenario): Promise<void> {
  const fn = functionFor(sc.token);
  const graph = await new GraphEmulator({ appId: APP_ID, appSecret: CANARY_APP_SECRET }).start();
  graph.addWaba(WABA_ID, { id: PHONE_ID });
  const sm = await new SecretsManagerFake().start();
  const tokenSecret = sm.createSecret(`whatsapp-token-guard/${sc.token}/token`, { value: JSON.stringify({ accessToken: CANARY_TOKEN }), rotationEnabled: true });
  const appSecret = sm.createSecret('TokenGuardE2E/meta-app-secret', { value: JSON.stringify({ appSecret: CANARY_APP_SECRET }) });
  const ledger = await startLedgerFakes();
  const env = lambdaEnvironment(fn, { tokenSecretArn: tokenSecret.arn, appSecretArn: appSecret.arn, secretsEndpoint: sm.endpoint, graphBaseUrl: graph.baseUrl, ledgerTable: ledger.table, dynamodbEndpoint: ledger.ddb.endpoint, eventsEndpoint: ledger.bus.endpoint });
  const processes: FunctionProcess[] = [];
  const container = (): FunctionProcess => {
    const p = new FunctionProcess(fn, env);
    processes.push(p);
    return p;
  };
  const warm = container();
  const scene: Scene = {
    graph,
    sm,
    tokenSecret,
    appSecret,
    fn,
    ledger,
    rotate: async () => {
      const out: Invocation[] = [];
      sm.onRotate = async (secret, versionId) => {
        for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
          const inv = await warm.invoke({ Step, SecretId: secret.arn, ClientRequestToken: versionId });
          out.push(inv);
          if (!inv.ok) throw new Error(inv.errorMessage);
        }
      };
      const { RotateSecretCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      await new SecretsManagerClient({ region: 'us-east-1', endpoint: sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }).send(new RotateSecretCommand({ SecretId: tokenSecret.arn, ClientRequestToken: scene.rotationId }));
      await Promise.allSettled(sm.rotations);
      return out;
    },
  };

  try {
    sc.setup?.(scene);
    const interval = checkIntervalMinutes(assembly.template.Resources, fn.logicalId) * 60_000;
    const checks = sc.checks ?? 7;
    const breakAfter = 1;
    const checkTime = (k: number): number => T0 + k * interval + 5_000;
    const breakTime = checkTime(breakAfter) + 1_000;
    const points: Datapoint[] = [];
    const invocations: Invocation[] = [];
    const record = (inv: Invocation, at: number): void => {
      invocations.push(inv);
      points.push(...datapointsFromEmf(inv.emf, at));
    };
    const ranChecks = sc.silentAfter ?? checks;
    for (let k = 0; k < ranChecks; k++) {
      if (k > breakAfter && sc.concurrentChecks) {
        const rest = Array.from({ length: ranChecks - k }, (_, j) => k + j);
        const results = await Promise.all(rest.map(() => container().invoke(SCHEDULED)));
        results.forEach((inv, j) => record(inv, checkTime(rest[j])));
        break;
      }
      record(await warm.invoke(SCHEDULED), checkTime(k));
      if (k === breakAfter) {
        await sc.breakState?.(scene);
        if (sc.rotateAtBreak) for (const inv of await scene.rotate()) record(inv, breakTime);
      }
    }
    // Steady state: the model starts once the first check has reported (README: the first deploy itself
    // may show NoCheckReported until the deploy-time check lands).
    const end = checkTime(checks - 1) + 20 * 60_000;
    const timeline = simulate(alarmDefs, points, T0 + interval, end);
    allPoints.push(...points);

    const prefix = `TokenGuardE2E-${sc.token}-`;
    const fired = Object.keys(timeline.firstAlarm).filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
    const firedChildren = [...fired].sort();
    table.push({
      scenario: sc.name,
      expected: sc.expected.join(', ') || '-',
      fired: firedChildren.join(', ') || '-',
      minutes: firedChildren.map((n) => `${n} ${Math.round((timeline.firstAlarm[prefix + n] - breakTime) / 60_000)}`).join(', ') || '-',
    });
    expect(firedChildren).toEqual([...sc.expected].sort());
    // Unless the scenario breaks them, the ledger and the bus answered every check: the pager's watchdog stays quiet.
    if (!sc.expected.includes('NotificationsFailing')) expect(points.filter((d) => d.metricName === 'NotificationFailed')).toEqual([]);
    // An unreachable ledger never costs a verdict: every check still reports TokenValid and CheckFailed.
    else expect(points.filter((d) => d.metricName === 'TokenValid').length).toBe(invocations.length);
    // A Meta outage or a config problem never reads as an invalid token: TokenValid does not drop.
    if (sc.expected.includes('ChecksFailing')) {
      expect(fired).not.toContain('TokenInvalid');
      expect(points.filter((d) => d.metricName === 'TokenValid' && d.value === 0)).toEqual([]);
    }
    // Every invocation, however slow Meta is, ends before the function's configured timeout with a result.
    for (const inv of invocations) {
      expect(inv.errorType).not.toBe('Sandbox.Timedout');
      expect(inv.durationMs).toBeLessThan(fn.timeoutS * 1000);
    }
    for (const [alarm, minutes] of Object.entries(sc.notBefore ?? {})) expect(timeline.firstAlarm[prefix + alarm] - breakTime).toBeGreaterThanOrEqual(minutes * 60_000);
    sc.assert?.(scene, invocations);
    // Nothing ever promotes a token behind the operator's back.
    if (!sc.rotateAtBreak && !sc.editsSecret) expect(current(scene)).toBe(CANARY_TOKEN);
    for (const p of processes) expectNoCanary(p.allOutput, [NEW_TOKEN]);
  } finally {
    for (const p of processes) p.stop();
    await graph.stop();
    await sm.stop();
    await ledger.stop();
  }
}

describe('artifact from cdk.out', () => {
  it('leaves no canary anywhere in cdk.out (templates, manifests, bundles)', () => {
    const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const files = walk(assembly.outdir);
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expectNoCanary(fs.readFileSync(f, 'utf8'));
  });

  it('runs the bundle exactly as the asset manifest would upload it, byte for byte the prebuilt router the package ships', () => {
    const fn = functionFor('basic');
    expect(fn.codeDir).toContain(assembly.outdir);
    expect(fn.handler).toBe('router.handler');
    expect(sha256(fn.bundleFile)).toBe(readManifest()!.entries.router.sha256);
  });

  // Scenarios run a few at a time: each has its own emulator, Secrets Manager and function process.
  const POOL = 4;
  for (let i = 0; i < SCENARIOS.length; i += POOL) {
    const batch = SCENARIOS.slice(i, i + POOL);
    it(`scenarios: ${batch.map((s) => s.name).join('; ')}`, async () => {
      const results = await Promise.allSettled(batch.map(runScenario));
      const failures = results.flatMap((r, j) => (r.status === 'rejected' ? [`${batch[j].name}: ${(r.reason as Error).message}`] : []));
      expect(failures).toEqual([]);
    });
  }

  it('every alarm watches exactly what the function emits (name, dimension set, unit)', () => {
    const unmatched = alarmDefs.alarms.filter((a: AlarmDefinition) => !allPoints.some((d) => matches(a, d))).map((a) => a.name);
    expect(unmatched).toEqual([]);
  });
});
