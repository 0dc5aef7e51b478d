// recordOutcome with the real adapters: the health ledger on a real DynamoDB engine (dynalite) and the
// events on a PutEvents recorder, both on loopback through AWS_ENDPOINT_URL_DYNAMODB / _EVENTBRIDGE.
import { CheckReport, EVENT_SOURCE, Metric, Problem, ProblemId } from '../../../lambda/contract';
import { HealthEvents } from '../../../lambda/adapters/health-events';
import { HealthLedger } from '../../../lambda/adapters/health-ledger';
import { OutcomeDeps } from '../../../lambda/app/ports';
import { recordOutcome } from '../../../lambda/app/record-outcome';
import { LedgerFakes, startLedgerFakes } from '../../fakes/dynamodb-local';

const DAY_MS = 86_400_000;
const T0 = Date.parse('2026-12-02T00:00:00Z');

let f: LedgerFakes;
const saved = { ...process.env };
beforeEach(async () => {
  f = await startLedgerFakes();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = f.ddb.endpoint;
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = f.bus.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
});
afterEach(async () => {
  process.env = { ...saved };
  await f.stop();
});

interface Harness {
  deps: OutcomeDeps;
  published: { token: string; values: Record<string, number> }[];
  logs: { msg: string; extra?: unknown }[];
  clock: { now: number };
}

function harness(table = f.table, scope = 'guard'): Harness {
  const published: Harness['published'] = [];
  const logs: Harness['logs'] = [];
  const clock = { now: T0 };
  const deps: OutcomeDeps = {
    metrics: { publish: (token, values) => void published.push({ token, values: values as Record<string, number> }) },
    ledger: new HealthLedger(table),
    events: new HealthEvents(['arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard/primary/token-AbCdEf']),
    logger: { info: (msg: string, extra?: unknown) => void logs.push({ msg, extra }), warn: (msg: string, extra?: unknown) => void logs.push({ msg, extra }) } as OutcomeDeps['logger'],
    now: () => new Date(clock.now),
    ledgerKey: (name) => `${scope}/${name}`,
    checkFailuresToNotify: 3,
  };
  return { deps, published, logs, clock };
}

function report(h: Harness, outcome: CheckReport['outcome'], ids: ProblemId[] = [], extra: Partial<CheckReport> = {}, tokenName = 'primary'): CheckReport {
  const problems = ids.map((id) => ({ id, ...Problem[id], detail: id === 'TokenInvalid' ? 'Meta code 190/463: Session has expired' : undefined }));
  return {
    tokenName,
    checkedAt: new Date(h.clock.now).toISOString(),
    outcome,
    graphApiVersion: 'v25.0',
    problems,
    metrics: { [Metric.TokenValid]: outcome === 'unhealthy' ? 0 : 1, [Metric.CheckFailed]: outcome === 'check-failed' ? 1 : 0 },
    ...extra,
  };
}

const detailTypes = () => f.bus.events.map((e) => `${e['detail-type']}:${String((e.detail as { status?: string; milestoneDays?: number }).status ?? (e.detail as { milestoneDays?: number }).milestoneDays)}`);

describe('recordOutcome', () => {
  it('publishes metrics, records the check and announces the first status once', async () => {
    // GIVEN
    const h = harness();
    // WHEN two healthy checks 15 minutes apart
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'healthy'));
    h.clock.now += 15 * 60_000;
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'healthy'));
    // THEN metrics both times, one event, and the state item says healthy
    expect(h.published.map((p) => p.values[Metric.TokenValid])).toEqual([1, 1]);
    expect(f.bus.events).toHaveLength(1);
    expect(f.bus.events[0]).toMatchObject({ source: EVENT_SOURCE, 'detail-type': 'WhatsApp Token Health Changed', detail: { version: '1', tokenName: 'primary', ledgerKey: 'guard/primary', previousStatus: 'unknown', status: 'healthy', problems: [] } });
    const items = await f.ddb.items(f.table);
    const state = items.find((i) => i.sk === 'STATE')!;
    expect(state).toMatchObject({ pk: 'guard/primary', status: 'healthy', problemIds: [], failedInARow: 0, lastCheckAt: new Date(T0 + 15 * 60_000).toISOString(), notified: { status: 'healthy', seq: 1 } });
  });

  it('announces a token going bad with each problem, and keeps a history item with a 90-day TTL', async () => {
    const h = harness();
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'healthy'));
    h.clock.now += 15 * 60_000;
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'unhealthy', ['TokenInvalid']));
    const e = f.bus.events[1];
    expect(e.detail).toMatchObject({
      previousStatus: 'healthy',
      status: 'unhealthy',
      problems: [{ id: 'TokenInvalid', severity: 'critical', title: Problem.TokenInvalid.title, detail: 'Meta code 190/463: Session has expired', fix: Problem.TokenInvalid.fix }],
      cause: 'Token invalid (Meta code 190/463: Session has expired)',
      fix: Problem.TokenInvalid.fix,
      confirmCommand: 'npx --no-install whatsapp-token-guard check --token primary',
    });
    const history = (await f.ddb.items(f.table)).filter((i) => String(i.sk).startsWith('H#')).sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    expect(history.map((i) => [i.from, i.to])).toEqual([['unknown', 'healthy'], ['healthy', 'unhealthy']]);
    expect(history[1].ttl).toBe(Math.floor((T0 + 15 * 60_000) / 1000) + 90 * 86_400);
  });

  it('announces check-failed only after three failed checks in a row, and a blip not at all', async () => {
    const h = harness();
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'healthy'));
    for (const outcome of ['check-failed', 'check-failed', 'healthy', 'check-failed', 'check-failed', 'check-failed'] as const) {
      h.clock.now += 15 * 60_000;
      await recordOutcome(h.deps, { name: 'primary' }, report(h, outcome, outcome === 'check-failed' ? ['GraphUnavailable'] : []));
    }
    expect(detailTypes()).toEqual(['WhatsApp Token Health Changed:healthy', 'WhatsApp Token Health Changed:check-failed']);
  });

  it('fires each expiry milestone once across many checks, alongside the TokenExpiring change', async () => {
    const h = harness();
    const expiresAt = new Date(T0 + 40 * DAY_MS).toISOString();
    // 40 days of checks every 3 hours (the milestone logic does not depend on the interval)
    for (let t = T0; t < T0 + 40 * DAY_MS; t += 3 * 3_600_000) {
      h.clock.now = t;
      const days = Math.round(((T0 + 40 * DAY_MS - t) / DAY_MS) * 100) / 100;
      const ids: ProblemId[] = days <= 14 ? ['TokenExpiring'] : [];
      await recordOutcome(h.deps, { name: 'primary' }, report(h, ids.length ? 'unhealthy' : 'healthy', ids, { token: { valid: true, expiresAt, daysUntilExpiry: days, scopes: [], missingScopes: [], granularScopes: [] } }));
    }
    expect(detailTypes()).toEqual([
      'WhatsApp Token Health Changed:healthy',
      'WhatsApp Token Approaching Expiration:30',
      'WhatsApp Token Health Changed:unhealthy',
      'WhatsApp Token Approaching Expiration:14',
      'WhatsApp Token Approaching Expiration:7',
      'WhatsApp Token Approaching Expiration:3',
      'WhatsApp Token Approaching Expiration:1',
    ]);
    expect(f.bus.events[1].detail).toMatchObject({ milestoneDays: 30, expiresAt, daysUntilExpiry: 30 });
  });

  it('counts a failed PutEvents (FailedEntryCount) and announces the change at the next check', async () => {
    const h = harness();
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'healthy'));
    // WHEN the bus answers 200 with failed entries during the change
    f.bus.fault = 'failed-entries';
    h.clock.now += 15 * 60_000;
    const r = await recordOutcome(h.deps, { name: 'primary' }, report(h, 'unhealthy', ['TokenInvalid']));
    // THEN the verdict's metrics are out, the failure is counted and logged, nothing is marked announced
    expect(r).toEqual({ recorded: false, failure: 'PutEvents: 1 of 1 entries failed (InternalFailure)' });
    expect(h.published.slice(-2).map((p) => p.values)).toEqual([{ [Metric.TokenValid]: 0, [Metric.CheckFailed]: 0 }, { [Metric.NotificationFailed]: 1 }]);
    expect(h.logs.some((l) => l.msg.includes('next check catches up'))).toBe(true);
    expect(f.bus.events).toHaveLength(1);
    // WHEN the bus is back
    f.bus.fault = undefined;
    h.clock.now += 15 * 60_000;
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'unhealthy', ['TokenInvalid']));
    // THEN the missed change goes out once
    expect(detailTypes()).toEqual(['WhatsApp Token Health Changed:healthy', 'WhatsApp Token Health Changed:unhealthy']);
  });

  it.each(['throttled', 'internal'] as const)('keeps verdict and metrics when PutEvents is %s', async (fault) => {
    const h = harness();
    f.bus.fault = fault;
    const r = await recordOutcome(h.deps, { name: 'primary' }, report(h, 'unhealthy', ['TokenInvalid']));
    expect(r.recorded).toBe(false);
    expect(h.published[0].values).toEqual({ [Metric.TokenValid]: 0, [Metric.CheckFailed]: 0 });
    expect(h.published[1].values).toEqual({ [Metric.NotificationFailed]: 1 });
  });

  it('keeps verdict and metrics when the table is unreachable, and answers within a few seconds', async () => {
    const h = harness();
    await f.ddb.stop();
    const t0 = Date.now();
    const r = await recordOutcome(h.deps, { name: 'primary' }, report(h, 'unhealthy', ['TokenInvalid']));
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r).toMatchObject({ recorded: false, failure: expect.stringMatching(/^saveCheck: /) });
    expect(h.published.map((p) => p.values)).toEqual([{ [Metric.TokenValid]: 0, [Metric.CheckFailed]: 0 }, { [Metric.NotificationFailed]: 1 }]);
    expect(f.bus.events).toHaveLength(0);
  });

  it('keeps verdict and metrics when the table does not exist', async () => {
    const h = harness('no-such-table');
    const r = await recordOutcome(h.deps, { name: 'primary' }, report(h, 'healthy'));
    expect(r).toEqual({ recorded: false, failure: 'saveCheck: ResourceNotFoundException (HTTP 400)' });
    expect(h.published[0].values[Metric.TokenValid]).toBe(1);
  });

  it('lets only one of two concurrent checks mark the same change (conditional write)', async () => {
    const h = harness();
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'healthy'));
    h.clock.now += 60_000;
    const [a, b] = await Promise.all([recordOutcome(h.deps, { name: 'primary' }, report(h, 'unhealthy', ['TokenInvalid'])), recordOutcome(h.deps, { name: 'primary' }, report(h, 'unhealthy', ['TokenInvalid']))]);
    expect(a.recorded && b.recorded).toBe(true);
    const state = (await f.ddb.items(f.table)).find((i) => i.sk === 'STATE')!;
    expect(state.notified).toMatchObject({ status: 'unhealthy', seq: 2 });
    // Either the second check saw the first's mark (no event) or it lost the conditional write (a duplicate event, logged).
    const lost = h.logs.filter((l) => l.msg === 'another check announced this change first').length;
    expect(f.bus.events.filter((e) => (e.detail as { status: string }).status === 'unhealthy')).toHaveLength(1 + lost);
    // A third check sees nothing new.
    const before = f.bus.events.length;
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'unhealthy', ['TokenInvalid']));
    expect(f.bus.events).toHaveLength(before);
  });

  it('keeps two tokens in separate partitions of one table', async () => {
    const h = harness();
    await recordOutcome(h.deps, { name: 'primary' }, report(h, 'healthy'));
    await recordOutcome(h.deps, { name: 'backup' }, report(h, 'unhealthy', ['MissingScopes'], {}, 'backup'));
    const states = (await f.ddb.items(f.table)).filter((i) => i.sk === 'STATE');
    expect(Object.fromEntries(states.map((s) => [s.pk, s.status]))).toEqual({ 'guard/primary': 'healthy', 'guard/backup': 'unhealthy' });
    expect(f.bus.events.map((e) => (e.detail as { ledgerKey: string }).ledgerKey)).toEqual(['guard/primary', 'guard/backup']);
  });
});
