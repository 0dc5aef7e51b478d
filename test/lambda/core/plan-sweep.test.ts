import { CheckReport, Problem, SweepMessage } from '../../../lambda/contract';
import { DEFAULT_PACE_POLICY, judgedWithoutProbes, ListedToken, onlyPacing, paceCheck, parseSweepMessage, planSweep, usagePercent, validateSweepSchedule } from '../../../lambda/core/plan-sweep';

const tokens = (n: number): ListedToken[] => Array.from({ length: n }, (_, i) => ({ name: `client-${i}`, secretId: `arn:aws:secretsmanager:us-east-1:111111111111:secret:whatsapp-token-guard-fleet/Prod/acme/client-${i}-AbC123` }));
const HOUR = { intervalMinutes: 60, plannerEveryMinutes: 15 };
const at = (iso: string): Date => new Date(iso);

describe('planSweep', () => {
  it('queues every token exactly once across the runs of one interval', () => {
    // Prepare
    const fleet = tokens(1000);
    // Act
    const runs = ['00', '15', '30', '45'].map((m) => planSweep('Prod/acme', fleet, at(`2026-12-02T10:${m}:00Z`), HOUR));
    // Assess
    const names = runs.flatMap((r) => r.checks.map((c) => c.message.token));
    expect(names).toHaveLength(1000);
    expect(new Set(names).size).toBe(1000);
    expect(new Set(runs.map((r) => r.sweep))).toEqual(new Set(['2026-12-02T10:00:00.000Z']));
    for (const r of runs) expect(r.checks.length).toBeGreaterThan(150); // an even spread, not one heavy slot
  });

  it('spreads a run over its 15 minutes with DelaySeconds from 0, leaving the last minute for the last checks', () => {
    // Act
    const plan = planSweep('Prod/acme', tokens(400), at('2026-12-02T10:15:00Z'), HOUR);
    // Assess
    const delays = plan.checks.map((c) => c.delaySeconds);
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBeLessThan(840);
    expect(Math.max(...delays)).toBeGreaterThan(800);
    const perMinute = new Map<number, number>();
    for (const d of delays) perMinute.set(Math.floor(d / 60), (perMinute.get(Math.floor(d / 60)) ?? 0) + 1);
    expect(Math.max(...perMinute.values()) - Math.min(...perMinute.values())).toBeLessThanOrEqual(1);
  });

  it('picks the same slot when the schedule fires a few seconds late', () => {
    // Act
    const onTime = planSweep('Prod/acme', tokens(100), at('2026-12-02T10:15:00Z'), HOUR);
    const late = planSweep('Prod/acme', tokens(100), at('2026-12-02T10:15:07Z'), HOUR);
    // Assess
    expect(late.checks.map((c) => c.message.token)).toEqual(onTime.checks.map((c) => c.message.token));
  });

  it('puts the fleet id, the token, its secret and the sweep start into each message, and no settings', () => {
    // Act
    const plan = planSweep('Prod/acme', [{ name: 'a', secretId: 's/a' }], at('2026-12-02T10:00:00Z'), { intervalMinutes: 15, plannerEveryMinutes: 15 });
    // Assess
    expect(plan.checks).toEqual([{ delaySeconds: 0, message: { v: 2, fleet: 'Prod/acme', token: 'a', secretId: 's/a', sweep: '2026-12-02T10:00:00.000Z' } }]);
  });

  it.each([
    [{ intervalMinutes: 60, plannerEveryMinutes: 20 }, /plannerEveryMinutes must be a whole number from 2 to 15/],
    [{ intervalMinutes: 50, plannerEveryMinutes: 15 }, /intervalMinutes must be a multiple of 15/],
  ])('fails schedule %j with a reason naming the value', (schedule, reason) => {
    expect(validateSweepSchedule(schedule)).toEqual({ ok: false, field: expect.any(String), reason: expect.stringMatching(reason) });
  });
});

describe('paceCheck', () => {
  const NOW = Date.parse('2026-12-02T10:20:00Z');
  const msg = (token: string, deferrals?: number): SweepMessage => ({ v: 2, fleet: 'Prod/acme', token, secretId: `s/${token}`, sweep: '2026-12-02T10:00:00.000Z', deferrals });
  const reading = (percent: number, ageMs = 0) => ({ percent, observedAt: NOW - ageMs });

  it('checks with probes when usage is unknown or low', () => {
    expect(paceCheck(msg('a'), undefined, undefined, NOW)).toEqual({ kind: 'check', skipOptionalProbes: false });
    expect(paceCheck(msg('a'), reading(59), reading(10), NOW)).toEqual({ kind: 'check', skipOptionalProbes: false });
  });

  it('puts every check back for 900 s from the pause threshold on', () => {
    // Act
    const decisions = tokens(50).map((t) => paceCheck(msg(t.name), reading(92), undefined, NOW));
    // Assess
    expect(decisions.every((d) => d.kind === 'defer' && d.delaySeconds === 900)).toBe(true);
  });

  it('puts back a share of checks that grows with the usage between slow and pause', () => {
    // Act
    const share = (p: number): number => tokens(1000).filter((t) => paceCheck(msg(t.name), reading(p), undefined, NOW).kind === 'defer').length / 1000;
    // Assess
    expect(share(65)).toBeGreaterThan(0.1);
    expect(share(65)).toBeLessThan(0.25);
    expect(share(85)).toBeGreaterThan(0.75);
    expect(share(85)).toBeLessThan(0.92);
  });

  it('leaves a check deferred too often at the pause level to the next sweep', () => {
    expect(paceCheck(msg('a', DEFAULT_PACE_POLICY.maxDeferrals), reading(95), undefined, NOW)).toEqual({ kind: 'drop', reason: expect.stringMatching(/left for the next sweep/) });
  });

  it('never leaves a check unchecked below the pause: deferred enough, it runs on debug_token alone', () => {
    // Act
    const decisions = tokens(200).map((t) => paceCheck(msg(t.name, DEFAULT_PACE_POLICY.maxDeferrals), reading(85), undefined, NOW));
    // Assess
    expect(decisions.every((d) => d.kind === 'check' && d.skipOptionalProbes)).toBe(true);
  });

  it('judges every token by debug_token alone from 80% of the app\'s usage', () => {
    const run = tokens(200).map((t) => paceCheck(msg(t.name), reading(82), undefined, NOW)).filter((d) => d.kind === 'check');
    expect(run.length).toBeGreaterThan(0);
    expect(run.every((d) => d.kind === 'check' && d.skipOptionalProbes)).toBe(true);
    expect(paceCheck(msg('a'), reading(79), undefined, NOW)).toEqual(expect.objectContaining({ skipOptionalProbes: false }));
  });

  it('ignores a stale usage reading', () => {
    expect(paceCheck(msg('a'), reading(99, 6 * 60_000), undefined, NOW)).toEqual({ kind: 'check', skipOptionalProbes: false });
  });

  it("skips the optional probes of a WABA near its own quota, until Meta's estimate of regained access", () => {
    expect(paceCheck(msg('a'), reading(10), reading(80), NOW)).toEqual({ kind: 'check', skipOptionalProbes: true });
    expect(paceCheck(msg('a'), undefined, { percent: 100, observedAt: NOW - 20 * 60_000, regainAccessMinutes: 30 }, NOW)).toEqual({ kind: 'check', skipOptionalProbes: true });
    expect(paceCheck(msg('a'), undefined, { percent: 100, observedAt: NOW - 40 * 60_000, regainAccessMinutes: 30 }, NOW)).toEqual({ kind: 'check', skipOptionalProbes: false });
  });

  it('reads the highest field of a usage header', () => {
    expect(usagePercent({ call_count: 12, total_cputime: 40, total_time: 7 })).toBe(40);
    expect(usagePercent({ type: 'x' })).toBeUndefined();
  });
});

describe('parseSweepMessage', () => {
  it('reads what planSweep writes', () => {
    // Prepare
    const [c] = planSweep('Prod/acme', tokens(1), at('2026-12-02T10:00:00Z'), { intervalMinutes: 15, plannerEveryMinutes: 15 }).checks;
    // Act / Assess
    expect(parseSweepMessage(JSON.stringify(c.message))).toEqual({ ok: true, value: c.message });
  });

  it('still reads a version 1 message (queued by the planner before an upgrade) with the tags it carried', () => {
    const v1 = { v: 1, fleet: 'acme', token: 'a', secretId: 's/a', tags: { 'token-guard:waba-id': '12345' }, sweep: '2026-12-02T10:00:00.000Z' };
    expect(parseSweepMessage(JSON.stringify(v1))).toEqual({ ok: true, value: v1 });
  });

  it.each([
    ['not JSON', 'oops', /not JSON/],
    ['another version', JSON.stringify({ v: 3 }), /unknown sweep message version 3/],
    ['a bad token name', JSON.stringify({ v: 2, fleet: 'Prod/acme', token: '../x', secretId: 's', sweep: '2026-12-02T10:00:00Z' }), /no valid "token"/],
    ['a fleet name where version 2 has the fleet id', JSON.stringify({ v: 2, fleet: 'acme', token: 'a', secretId: 's', sweep: '2026-12-02T10:00:00Z' }), /no valid "fleet"/],
    ['settings in a version 2 message', JSON.stringify({ v: 2, fleet: 'Prod/acme', token: 'a', secretId: 's', sweep: '2026-12-02T10:00:00Z', tags: { 'token-guard:waba-id': '1' } }), /carries no settings/],
  ])('fails %s with a reason', (_n, body, reason) => {
    expect(parseSweepMessage(body)).toEqual({ ok: false, field: expect.any(String), reason: expect.stringMatching(reason) });
  });
});

describe('judgedWithoutProbes and onlyPacing', () => {
  const p = (id: keyof typeof Problem) => ({ id, ...Problem[id] });
  const base: CheckReport = {
    tokenName: 'a',
    checkedAt: '2026-12-02T10:00:00.000Z',
    outcome: 'check-failed',
    graphApiVersion: 'v25.0',
    token: { valid: true, scopes: [], missingScopes: [], granularScopes: [] },
    assets: { wabaPhoneNumbers: { wabaId: '1', outcome: 'failed' } },
    problems: [p('GraphUsageHigh')],
    metrics: { TokenValid: 1, CheckFailed: 1, AssetAccess: 0 },
  };

  it('takes debug_token\'s verdict when only the optional probes were skipped or throttled for usage', () => {
    expect(judgedWithoutProbes(base)).toEqual({ ...base, assets: undefined, outcome: 'healthy', problems: [], metrics: { TokenValid: 1, CheckFailed: 0 } });
    expect(judgedWithoutProbes({ ...base, problems: [p('GraphRateLimited')] })?.outcome).toBe('healthy');
    expect(judgedWithoutProbes({ ...base, problems: [] })?.outcome).toBe('healthy');
  });

  it('leaves every other report as it is: no debug_token verdict, an outage, a verdict', () => {
    expect(judgedWithoutProbes({ ...base, token: undefined, problems: [p('GraphRateLimited')] })).toBeUndefined();
    expect(judgedWithoutProbes({ ...base, problems: [p('GraphUsageHigh'), p('GraphUnavailable')] })).toBeUndefined();
    expect(judgedWithoutProbes({ ...base, outcome: 'unhealthy', problems: [p('TokenExpiring')] })).toBeUndefined();
  });

  it('calls a check without a verdict pacing only when Meta asked to slow down', () => {
    expect(onlyPacing({ ...base, token: undefined, problems: [p('GraphRateLimited')] })).toBe(true);
    expect(onlyPacing({ ...base, problems: [p('GraphUnavailable')] })).toBe(false);
    expect(onlyPacing({ ...base, outcome: 'healthy', problems: [] })).toBe(false);
  });
});
