// End to end on loopback: about 50 tokens of one fleet, planned by the planner, queued in SQS with delays, checked by
// the worker through the event source mapping's record shapes and partial batch failures, retried and dead-lettered by
// the queue. Healthy, expired, wrong-app, missing-scope, throttled, unreachable and badly tagged tokens are mixed.
import { FleetTag } from '../../lambda/contract';
import { CANARY_APP_SECRET } from '../fakes/canary';
import { Fleet, fleetMetricSums, logLines, startFleet } from './fleet-harness';

const DAY = 86_400;
const WABA = '102290129340398';
const PHONE = '106540352242922';
const THROTTLED_WABA = '102290129340777';
const THROTTLED_PHONE = '106540352242777';

/** Each token is unique and recognisable, so a leak of any 12 characters of it is found. */
const tokenValue = (name: string): string => `EAAGfleet${name.replace(/[^a-z0-9]/gi, '')}SECRETx9Qm7Ztokenguard${name.length}`;

interface Case {
  readonly kind: 'healthy' | 'expired' | 'wrong-app' | 'missing-scope' | 'throttled' | 'unreachable' | 'flaky' | 'bad-tag';
  readonly name: string;
}

const cases: Case[] = [
  ...Array.from({ length: 30 }, (_, i) => ({ kind: 'healthy' as const, name: `healthy-${i}` })),
  ...Array.from({ length: 4 }, (_, i) => ({ kind: 'expired' as const, name: `expired-${i}` })),
  ...Array.from({ length: 3 }, (_, i) => ({ kind: 'wrong-app' as const, name: `wrong-app-${i}` })),
  ...Array.from({ length: 3 }, (_, i) => ({ kind: 'missing-scope' as const, name: `no-scope-${i}` })),
  ...Array.from({ length: 3 }, (_, i) => ({ kind: 'throttled' as const, name: `throttled-${i}` })),
  ...Array.from({ length: 2 }, (_, i) => ({ kind: 'unreachable' as const, name: `unreachable-${i}` })),
  ...Array.from({ length: 2 }, (_, i) => ({ kind: 'flaky' as const, name: `flaky-${i}` })),
  { kind: 'bad-tag', name: 'bad-tag-0' },
];

function onboard(f: Fleet, c: Case): void {
  const token = tokenValue(c.name);
  const now = f.graph.now();
  switch (c.kind) {
    case 'expired':
      f.graph.addToken(token, { expiresAt: now - DAY, wabas: [WABA] });
      break;
    case 'wrong-app':
      f.graph.addToken(token, { appId: '999999999999999', wabas: [WABA] });
      break;
    case 'missing-scope':
      f.graph.addToken(token, { scopes: ['whatsapp_business_management'], wabas: [WABA] });
      break;
    case 'throttled':
      f.graph.addToken(token, { wabas: [THROTTLED_WABA] });
      f.proxy.faults.set(token, { kind: 'waba-throttle', wabaId: THROTTLED_WABA });
      break;
    case 'unreachable':
      f.graph.addToken(token, { wabas: [WABA] });
      f.proxy.faults.set(token, { kind: 'reset' });
      break;
    case 'flaky':
      f.graph.addToken(token, { wabas: [WABA] });
      // More resets than the Graph client's own bounded attempts: the first receive ends without a verdict.
      f.proxy.faults.set(token, { kind: 'reset', times: 4 });
      break;
    default:
      f.graph.addToken(token, { wabas: [WABA] });
  }
  const waba = c.kind === 'throttled' ? THROTTLED_WABA : WABA;
  const phone = c.kind === 'throttled' ? THROTTLED_PHONE : PHONE;
  f.addToken(c.name, token, c.kind === 'bad-tag' ? { [FleetTag.WabaId]: 'not-a-waba' } : { [FleetTag.WabaId]: waba, [FleetTag.PhoneNumberId]: phone });
}

/** The latest recorded check of each token (the worker's "token checked" line). */
function latest(f: Fleet): Map<string, Record<string, unknown>> {
  const m = new Map<string, Record<string, unknown>>();
  for (const l of logLines(f.output, 'token checked')) m.set(String(l.token), l);
  return m;
}

function expectNoTokenLeak(texts: readonly string[]): void {
  // The app token's secret part is the app secret; its app id part is public.
  const secrets = [...cases.map((c) => tokenValue(c.name)), tokenValue('added-0'), tokenValue('added-1'), CANARY_APP_SECRET];
  const haystack = texts.join('\n');
  for (const s of secrets) {
    for (let i = 0; i + 12 <= s.length; i++) {
      const w = s.slice(i, i + 12);
      if (haystack.includes(w)) throw new Error(`a 12-character window of a secret leaked: ${w.slice(0, 4)}...`);
    }
  }
}

describe('fleet sweep on loopback (about 50 tokens)', () => {
  let f: Fleet;
  let firstSweep: { responses: { batchItemFailures: { itemIdentifier: string }[] }[] };

  beforeAll(async () => {
    // GIVEN a fleet of mixed tokens and a poisoned message the worker can never read
    f = await startFleet();
    f.graph.addWaba(WABA, { id: PHONE });
    f.graph.addWaba(THROTTLED_WABA, { id: THROTTLED_PHONE });
    for (const c of cases) onboard(f, c);
    // A secret under the prefix without the fleet tag (being onboarded, or removed) is not guarded.
    f.sm.createSecret(f.secretName('untagged'), { value: JSON.stringify({ accessToken: tokenValue('untagged') }) });

    // WHEN the planner plans a sweep and the queue is run dry through the worker
    const planned = await f.plan();
    expect(planned).toEqual(expect.objectContaining({ guarded: cases.length, queued: cases.length, failed: 0 }));
    // A message from a future planner version: every receive throws.
    const poisoned = { v: 99, fleet: 'clients', token: 'poisoned', secretId: 'x', tags: {}, sweep: new Date().toISOString() };
    await fetch(f.sqs.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.SendMessage', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ QueueUrl: f.queue.url, MessageBody: JSON.stringify(poisoned) }),
    });
    firstSweep = await f.drain();
  }, 120_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('spreads the planned checks over the run with DelaySeconds from 0 to under 840 (a minute kept for the last checks)', () => {
    const batches = f.sqs.calls.filter((c) => c.op === 'SendMessageBatch');
    const delays = batches.flatMap((b) => (b.input.Entries as { DelaySeconds: number }[]).map((e) => e.DelaySeconds));
    expect(delays).toHaveLength(cases.length);
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBeGreaterThan(700);
    expect(Math.max(...delays)).toBeLessThan(840);
  });

  it.each([
    ['healthy', 'healthy', []],
    ['flaky', 'healthy', []],
    ['expired', 'unhealthy', ['TokenInvalid']],
    ['wrong-app', 'unhealthy', ['WrongApp']],
    ['missing-scope', 'unhealthy', ['MissingScopes']],
    ['bad-tag', 'unhealthy', ['SettingsInvalid']],
    ['unreachable', 'check-failed', ['GraphUnavailable']],
  ] as const)('records %s tokens as %s with the right problems', (kind, outcome, problems) => {
    const seen = latest(f);
    for (const c of cases.filter((x) => x.kind === kind)) {
      const line = seen.get(c.name);
      expect({ token: c.name, outcome: line?.outcome }).toEqual({ token: c.name, outcome });
      for (const p of problems) expect(String(line?.problemIds)).toContain(p);
    }
  });

  it('never calls a WABA-throttled token unhealthy: it is checked without the optional probes and the throttle is counted', () => {
    const seen = latest(f);
    for (const c of cases.filter((x) => x.kind === 'throttled')) expect(seen.get(c.name)?.outcome).toBe('healthy');
    expect(fleetMetricSums(f.output).RateLimited).toBeGreaterThanOrEqual(1);
  });

  it('names the bad tag and the fix for a token with malformed settings, and checks the others anyway', () => {
    const line = latest(f).get('bad-tag-0')!;
    const problem = (line.problems as { id: string; detail: string; fix: string }[])[0];
    expect(problem.detail).toMatch(/tag token-guard:waba-id must be a numeric id/);
    expect(problem.fix).toMatch(/aws secretsmanager tag-resource/);
  });

  it('retries a flaky token through the queue, not a loop, and checks it on a later receive', () => {
    const seen = latest(f);
    // Its resets outlast one delivery's bounded attempts: an earlier delivery ended without a verdict (thrown for SQS to
    // retry) or was put back while the batch paused, and a later delivery reached the verdict.
    const deliveries = (token: string): number => ['check not concluded', 'check put back', 'token checked'].flatMap((m) => logLines(f.output, m)).filter((l) => l.token === token).length;
    for (const c of cases.filter((x) => x.kind === 'flaky')) {
      expect(deliveries(c.name)).toBeGreaterThan(1);
      expect(seen.get(c.name)?.outcome).toBe('healthy');
    }
  });

  it('dead-letters the poisoned message and the always-unreachable tokens without blocking their batches', () => {
    const dead = f.dlq.messages.map((m) => JSON.parse(m.body) as { token: string });
    expect(dead.map((d) => d.token).sort()).toEqual(expect.arrayContaining(['poisoned', 'unreachable-0', 'unreachable-1']));
    expect(dead.map((d) => d.token)).not.toContain('healthy-0');
    expect(f.queue.messages).toHaveLength(0);
    // Every batch that failed a record still completed its other records.
    const partial = firstSweep.responses.filter((r) => r.batchItemFailures.length > 0);
    expect(partial.length).toBeGreaterThan(0);
    expect(latest(f).size).toBe(cases.length);
  });

  it('publishes aggregate metrics equal to the recorded outcomes, under the Fleet dimension only', () => {
    // GIVEN the recorded outcomes
    const rows = [...latest(f).values()];
    const critical = (l: Record<string, unknown>) => (l.problems as { severity: string }[]).some((p) => p.severity === 'critical');
    // WHEN the EMF lines are summed
    const sums = fleetMetricSums(f.output);
    // THEN they match, and no metric names a token
    expect(sums.TokensChecked).toBe(logLines(f.output, 'token checked').length);
    expect(sums.TokensChecked).toBe(rows.length);
    expect(sums.TokensUnhealthy).toBe(rows.filter((l) => l.outcome === 'unhealthy' && critical(l)).length);
    expect(sums.CheckFailures).toBe(rows.filter((l) => l.outcome === 'check-failed').length);
    expect(sums.TokensPlanned).toBe(cases.length);
    expect(sums.SweepRuns).toBe(1);
    expect(f.output.join('')).not.toMatch(/"TokenName"/);
  });

  it("keeps each token's status, problems and cause in the ledger under <fleet>/<token>, equal to the aggregate metrics", async () => {
    // GIVEN the ledger's state items
    const items = (await f.ddb.items(f.ledgerTable)).filter((i) => i.sk === 'STATE');
    const byKey = new Map(items.map((i) => [String(i.pk), i]));
    // THEN every token has one, keyed by fleet and name, with the outcome the worker logged
    expect(items).toHaveLength(cases.length);
    for (const [name, line] of latest(f)) expect({ name, status: byKey.get(f.ledgerKey(name))?.status }).toEqual({ name, status: line.outcome });
    expect(byKey.get(f.ledgerKey('wrong-app-0'))?.problemIds).toEqual(expect.arrayContaining(['WrongApp']));
    // AND the aggregate metrics of the sweep count the same rows
    const sums = fleetMetricSums(f.output);
    expect(sums.TokensChecked).toBe(items.length);
    expect(sums.TokensUnhealthy).toBe(items.filter((i) => i.status === 'unhealthy').length);
    expect(sums.CheckFailures).toBe(items.filter((i) => i.status === 'check-failed').length);
    expect(sums.NotificationFailed ?? 0).toBe(0);
  });

  it('puts a Health Changed event naming each broken token, its secret, the cause, the fix and the fleet check command', () => {
    const changed = f.bus.events.filter((e) => e['detail-type'] === 'WhatsApp Token Health Changed');
    const broken = cases.filter((c) => ['expired', 'wrong-app', 'missing-scope', 'bad-tag'].includes(c.kind));
    for (const c of broken) {
      const e = changed.find((x) => x.detail.tokenName === c.name);
      expect(e).toBeDefined();
      expect(e!.detail).toEqual(expect.objectContaining({ ledgerKey: f.ledgerKey(c.name), status: 'unhealthy', confirmCommand: `npx --no-install whatsapp-token-guard fleet check ${c.name} --stack Clients --fleet clients` }));
      expect(String(e!.detail.fix).length).toBeGreaterThan(20);
      expect(e!.resources).toEqual([f.sm.find(f.secretName(c.name)).arn]);
    }
    // No event calls a healthy token unhealthy.
    for (const e of changed.filter((x) => String(x.detail.tokenName).startsWith('healthy-'))) expect(e.detail.status).not.toBe('unhealthy');
  });

  it('leaks no token or app secret into logs, metrics, queue messages, the dead-letter queue, the ledger or events', async () => {
    expectNoTokenLeak([...f.output, ...f.sqs.calls.map((c) => JSON.stringify(c.input)), ...f.dlq.messages.map((m) => m.body), JSON.stringify(await f.ddb.items(f.ledgerTable)), ...f.bus.bodies]);
  });

  describe('tokens added and removed between sweeps', () => {
    beforeAll(async () => {
      // GIVEN two clients onboarded and one removed (its fleet tag taken off, its secret kept)
      for (const n of ['added-0', 'added-1']) {
        f.graph.addToken(tokenValue(n), { wabas: [WABA] });
        f.addToken(n, tokenValue(n), { [FleetTag.WabaId]: WABA });
      }
      const removed = f.sm.find(f.secretName('healthy-0'));
      delete removed.tags![FleetTag.Fleet];
      f.output.length = 0;
      f.sqs.calls.length = 0;
      f.proxy.calls = 0;
      // WHEN the next sweep runs
      await f.plan();
      await f.drain();
    }, 120_000);

    it('checks the added tokens in the next sweep, without a deploy', () => {
      const seen = latest(f);
      expect(seen.get('added-0')?.outcome).toBe('healthy');
      expect(seen.get('added-1')?.outcome).toBe('healthy');
    });

    it('stops checking a removed token and keeps its secret', () => {
      expect(latest(f).has('healthy-0')).toBe(false);
      expect(f.sm.valueAt(f.secretName('healthy-0'), 'AWSCURRENT')).toContain('accessToken');
      const planned = f.sqs.calls.filter((c) => c.op === 'SendMessageBatch').flatMap((b) => (b.input.Entries as { MessageBody: string }[]).map((e) => JSON.parse(e.MessageBody).token));
      expect(planned).toHaveLength(cases.length + 1);
      expect(planned).not.toContain('healthy-0');
    });

    it('leaks nothing in the second sweep either', () => {
      expectNoTokenLeak([...f.output, ...f.sqs.calls.map((c) => JSON.stringify(c.input))]);
    });
  });
});

describe("fleet pacing on Meta's X-App-Usage", () => {
  it('puts the remaining checks back for 900 s once the app is near its limit, without calling Meta for them', async () => {
    // GIVEN 20 healthy tokens and Meta answering with X-App-Usage at 95%
    const f = await startFleet({ name: 'paced' });
    try {
      f.graph.addWaba(WABA, { id: PHONE });
      for (let i = 0; i < 20; i++) {
        f.graph.addToken(tokenValue(`paced-${i}`), { wabas: [WABA] });
        f.addToken(`paced-${i}`, tokenValue(`paced-${i}`));
      }
      f.proxy.appUsage = { call_count: 95, total_cputime: 20, total_time: 20 };
      await f.plan();
      f.sqs.now += 900;
      // WHEN one worker invocation gets a first batch, then a second batch
      const first = f.sqs.receive(f.queue, 10);
      await f.invokeWorker({ Records: first.map((m) => f.sqs.record(f.queue, m)) });
      f.sqs.settle(f.queue, first, { batchItemFailures: [] });
      const callsBefore = f.proxy.calls;
      const sendsBefore = f.sqs.calls.filter((c) => c.op === 'SendMessage').length;
      const second = f.sqs.receive(f.queue, 10);
      await f.invokeWorker({ Records: second.map((m) => f.sqs.record(f.queue, m)) });
      // THEN the second batch is put back with a delay and no Graph call, and RateLimited counts it
      const deferred = f.sqs.calls.filter((c) => c.op === 'SendMessage').slice(sendsBefore).map((c) => ({ delay: c.input.DelaySeconds, body: JSON.parse(String(c.input.MessageBody)) }));
      expect(fleetMetricSums(f.output).AppUsagePercent).toBe(95);
      expect(f.proxy.calls).toBe(callsBefore);
      expect(deferred.length).toBe(second.length);
      for (const d of deferred) expect(d).toEqual({ delay: 900, body: expect.objectContaining({ deferrals: 1 }) });
      expect(fleetMetricSums(f.output).RateLimited).toBeGreaterThanOrEqual(second.length);
    } finally {
      await f.stop();
    }
  });
});
