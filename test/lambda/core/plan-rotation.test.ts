// The pure rotation decisions: how a candidate compares with the live token, where an obtained token stands,
// and when the previous token may be revoked.
import { CheckReport, DEMOTED_LABEL_PREFIX, ISSUED_LABEL, issuedLabel, ProblemId, REJECTED_LABEL_PREFIX, REVOKED_LABEL, TokenSummary } from '../../../lambda/contract';
import { problem } from '../../../lambda/core/assess-token';
import { guardRotationStep, handInVersionId, judgeCandidate, MAX_PARKED, mintScopes, parkedLabel, isDemotion, planFinishLabels, planIssued, planParked, revokeStillPlanned } from '../../../lambda/core/plan-rotation';

const TOKEN: TokenSummary = { valid: true, type: 'SYSTEM_USER', scopes: [], missingScopes: [], granularScopes: [] };
function report(ids: ProblemId[], token: TokenSummary | null = TOKEN): CheckReport {
  return { tokenName: 't', checkedAt: '', outcome: ids.length ? 'unhealthy' : 'healthy', graphApiVersion: 'v25.0', token: token ?? undefined, problems: ids.map((id) => problem(id)), metrics: {} };
}

describe('judgeCandidate', () => {
  it.each([
    ['its own token problem', report(['MissingScopes']), report([]), 'refuse'],
    ['a problem the live token shares', report(['MessagingBlocked']), report(['MessagingBlocked']), 'promote'],
    ['a problem the live token does not have (worse)', report(['AppNotSubscribed']), report([]), 'refuse'],
    ['a shared unanswered probe, for a hand-in', report(['GraphUnavailable']), report(['GraphUnavailable']), 'retry'],
    ['an unanswered probe the live token answered', report(['GraphUnavailable']), report([]), 'retry'],
    ['no debug_token verdict', report(['GraphUnavailable'], null), report([]), 'retry'],
    ['a non-token problem when the live token is dead', report(['AppNotSubscribed']), report(['TokenInvalid'], { ...TOKEN, valid: false }), 'promote'],
    ['a non-token problem when the live check got no verdict', report(['AppNotSubscribed']), report(['GraphUnavailable'], null), 'retry'],
    ['no problem at all', report([]), undefined, 'promote'],
    // Shared token problems (review finding 4): an exchanged token lacks what the live one lacks.
    ['a missing scope the live token lacks too', report(['MissingScopes'], { ...TOKEN, missingScopes: ['a'] }), report(['MissingScopes'], { ...TOKEN, missingScopes: ['a', 'b'] }), 'promote'],
    ['more missing scopes than the live token', report(['MissingScopes'], { ...TOKEN, missingScopes: ['a', 'b'] }), report(['MissingScopes'], { ...TOKEN, missingScopes: ['a'] }), 'refuse'],
    ['a temporary token replacing a temporary token of the same life', report(['TemporaryToken']), report(['TemporaryToken']), 'promote'],
    ['an unusable candidate, whatever the live token', report(['WrongApp']), report(['WrongApp']), 'refuse'],
    ['its own token problem while the live check got no verdict', report(['MissingScopes']), report(['GraphUnavailable'], null), 'retry'],
    ['a token problem when the live token is dead', report(['MissingScopes']), report(['TokenInvalid'], { ...TOKEN, valid: false }), 'refuse'],
    // A malformed live secret (review finding 3) is a live token with a problem of its own, not "no verdict".
    ['a shared-looking probe problem when the live secret is malformed', report(['MessagingBlocked']), report(['SecretMalformed'], null), 'promote'],
    // Curing a token problem of a working live token is no licence for unanswered or new problems (second review).
    ['a candidate without the live token problem but with a problem of its own probes', report(['AppNotSubscribed']), report(['TemporaryToken']), 'refuse'],
    ['a candidate without the live token problem whose probes got no answer', report(['GraphUnavailable']), report(['NotSystemUserToken']), 'retry'],
    ['a temporary token that expires sooner than the temporary live token', report(['TemporaryToken'], { ...TOKEN, expiresAt: '2026-12-02T10:00:00Z' }), report(['TemporaryToken'], { ...TOKEN, expiresAt: '2026-12-02T20:00:00Z' }), 'refuse'],
    ['a USER token that lives longer than the USER live token', report(['NotSystemUserToken'], { ...TOKEN, expiresAt: '2027-01-30T00:00:00Z' }), report(['NotSystemUserToken'], { ...TOKEN, expiresAt: '2027-01-02T00:00:00Z' }), 'promote'],
  ])('%s', (_n, candidate, live, kind) => {
    expect(judgeCandidate(candidate, live).kind).toBe(kind);
  });

  it('lets a shared unanswered probe pass for a token refreshed or minted from the live one (the same grants)', () => {
    expect(judgeCandidate(report(['GraphUnavailable']), report(['GraphUnavailable']), { derivedFromLive: true }).kind).toBe('promote');
    expect(judgeCandidate(report(['GraphRateLimited']), report(['GraphRateLimited']), { derivedFromLive: true }).kind).toBe('promote');
    expect(judgeCandidate(report(['GraphUnavailable']), report([]), { derivedFromLive: true }).kind).toBe('retry');
  });
});

describe('guardRotationStep (the AWS template checks)', () => {
  it('refuses when rotation is off, the version is unknown or not AWSPENDING; no-op when it is AWSCURRENT', () => {
    const v = { cur: ['AWSCURRENT'], pend: ['AWSPENDING'], old: ['AWSPREVIOUS'] };
    expect(guardRotationStep(false, v, 'pend').kind).toBe('refuse');
    expect(guardRotationStep(true, v, 'nope').kind).toBe('refuse');
    expect(guardRotationStep(true, v, 'old').kind).toBe('refuse');
    expect(guardRotationStep(true, v, 'cur').kind).toBe('already-current');
    expect(guardRotationStep(true, v, 'pend').kind).toBe('proceed');
  });
});

describe('bindings and plans', () => {
  it('derives a stable, distinct, valid version id for each rotation hand-in', () => {
    const a = handInVersionId('0b8e7c36-6c1e-4a8e-9a55-3f4c1d2e9a10');
    expect(a).toBe(handInVersionId('0b8e7c36-6c1e-4a8e-9a55-3f4c1d2e9a10'));
    expect(a).not.toBe(handInVersionId('0b8e7c36-6c1e-4a8e-9a55-3f4c1d2e9a11'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('mints with the union of required and live scopes', () => {
    expect(mintScopes(['a', 'b'], ['b', 'business_management'])).toEqual(['a', 'b', 'business_management']);
  });

  it('revokes an obtained token only when nothing holds it any more, each rotation\'s mark on its own', () => {
    const mark = issuedLabel('r1');
    expect(mark).toBe('TOKENGUARD_ISSUED_r1');
    expect(planIssued({ v: ['AWSCURRENT', mark] }).map((p) => p.kind)).toEqual(['clear-label']);
    expect(planIssued({ v: ['AWSPREVIOUS', mark] }).map((p) => p.kind)).toEqual(['clear-label']);
    expect(planIssued({ v: ['AWSPENDING', mark] }).map((p) => p.kind)).toEqual(['in-rotation']);
    expect(planIssued({ v: [mark] }).map((p) => p.kind)).toEqual(['revoke']);
    expect(planIssued({ v: ['AWSCURRENT'] })).toEqual([]);
    // Two rotations' tokens (one abandoned while its createSecret waited on Meta), and 0.4's bare mark.
    expect(planIssued({ a: [issuedLabel('a')], b: ['AWSPENDING', issuedLabel('b')], c: [ISSUED_LABEL] })).toEqual([
      { kind: 'revoke', versionId: 'a', label: 'TOKENGUARD_ISSUED_a' },
      { kind: 'in-rotation', versionId: 'b', label: 'TOKENGUARD_ISSUED_b' },
      { kind: 'revoke', versionId: 'c', label: ISSUED_LABEL },
    ]);
  });

  it('stamps a fresh demotion on the version leaving AWSCURRENT and keeps the one leaving AWSPREVIOUS labelled', () => {
    const t = 1_800_000_000;
    const at = new Date(t * 1000);
    const stale = `${DEMOTED_LABEL_PREFIX}${t - 99}`;
    // A rollback left a stale demotion on AWSCURRENT; AWSPREVIOUS has no label (an operator rolled away from it).
    const plan = planFinishLabels({ c: ['AWSCURRENT', stale], p: ['AWSPREVIOUS'], n: ['AWSPENDING'] }, 'n', at);
    expect(plan.remove).toEqual([expect.objectContaining({ versionId: 'c', label: stale })]);
    // Each names the version being promoted: a move that never happens leaves labels that demote nothing.
    expect(plan.add).toEqual([
      { versionId: 'c', label: `${DEMOTED_LABEL_PREFIX}${t}_n` },
      { versionId: 'p', label: `${DEMOTED_LABEL_PREFIX}${t + 1}_n` },
    ]);
    // Run again after the labels were written (a retry, even seconds later): nothing more to do.
    expect(planFinishLabels({ c: ['AWSCURRENT', `${DEMOTED_LABEL_PREFIX}${t}_n`], p: ['AWSPREVIOUS', `${DEMOTED_LABEL_PREFIX}${t + 1}_n`], n: ['AWSPENDING'] }, 'n', new Date((t + 5) * 1000))).toEqual({ remove: [], add: [] });
    // A revoked AWSPREVIOUS needs no label.
    expect(planFinishLabels({ c: ['AWSCURRENT'], p: ['AWSPREVIOUS', REVOKED_LABEL], n: ['AWSPENDING'] }, 'n', at).add).toEqual([{ versionId: 'c', label: `${DEMOTED_LABEL_PREFIX}${t}_n` }]);
    // A demotion counts once the version it names was promoted (0.4's labels, without a name, always).
    expect(isDemotion({ c: ['AWSPREVIOUS', `${DEMOTED_LABEL_PREFIX}${t}_n`], n: ['AWSCURRENT'] }, `${DEMOTED_LABEL_PREFIX}${t}_n`)).toBe(true);
    expect(isDemotion({ c: ['AWSPREVIOUS', `${DEMOTED_LABEL_PREFIX}${t}_n`], n: [] }, `${DEMOTED_LABEL_PREFIX}${t}_n`)).toBe(false);
    expect(isDemotion({ c: ['AWSPREVIOUS', `${DEMOTED_LABEL_PREFIX}${t}`] }, `${DEMOTED_LABEL_PREFIX}${t}`)).toBe(true);
    expect(parkedLabel(REJECTED_LABEL_PREFIX, at, { x: [`${REJECTED_LABEL_PREFIX}${t}`] })).toBe(`${REJECTED_LABEL_PREFIX}${t + 1}`);
  });

  it('revokes parked tokens after the grace since their demotion, and the oldest beyond the budget whatever the setting', () => {
    const t = 1_800_000_000;
    const label = (s: number): string => `${DEMOTED_LABEL_PREFIX}${t + s}`;
    const now = (h: number): Date => new Date((t + h * 3600) * 1000);
    const versions = { n: ['AWSCURRENT'], o: ['AWSPREVIOUS', label(0)], g: [label(-10)] };
    // Within the budget, the oldest are listed anyway (finishSecret may need label room), none required (excess 0).
    const required = (p: ReturnType<typeof planParked>): string[][] => p.actions.filter((a) => a.kind !== 'revoke' || a.why === 'grace').map((a) => [a.kind, a.parked.versionId]);
    expect(planParked(versions, 24, now(23))).toEqual({ actions: [{ kind: 'revoke', parked: expect.objectContaining({ versionId: 'g' }), why: 'over-budget' }], excess: 0 });
    expect(required(planParked(versions, 24, now(25)))).toEqual([['revoke', 'g'], ['revoke', 'o']]);
    expect(required(planParked(versions, undefined, now(25)))).toEqual([]);
    expect(planParked(versions, undefined, now(25)).excess).toBe(0);
    // An operator rolled back to a demoted version: only its label goes.
    expect(required(planParked({ n: ['AWSPREVIOUS'], o: ['AWSCURRENT', label(0)] }, 24, now(25)))).toEqual([['unpark', 'o']]);
    // Over budget: every candidate oldest first (one Meta will not revoke must not block the next), never AWSPREVIOUS
    // or a version in a rotation, and how many must go.
    const many: Record<string, string[]> = { cur: ['AWSCURRENT'], prev: ['AWSPREVIOUS', label(-1000)], pend: ['AWSPENDING', label(-999)] };
    for (let i = 0; i < MAX_PARKED + 1; i++) many[`v${i}`] = [i % 2 ? label(i) : `${REJECTED_LABEL_PREFIX}${t + i}`];
    const plan = planParked(many, undefined, now(0));
    expect(plan.excess).toBe(2);
    expect(plan.actions.map((a) => a.parked.versionId)).toEqual(Array.from({ length: MAX_PARKED + 1 }, (_, i) => `v${i}`));
    expect(plan.actions.every((a) => a.kind === 'revoke' && a.why === 'over-budget')).toBe(true);
  });
});

describe('revokeStillPlanned (labels read again just before a revoke)', () => {
  const planned = { cur: ['AWSCURRENT'], prev: ['AWSPREVIOUS', `${DEMOTED_LABEL_PREFIX}100`], old: [`${DEMOTED_LABEL_PREFIX}50`] };
  it.each([
    ['nothing changed', planned, 'old', `${DEMOTED_LABEL_PREFIX}50`, true],
    ['only the guard\'s own labels moved', { ...planned, old: [`${DEMOTED_LABEL_PREFIX}50`, REVOKED_LABEL], prev: ['AWSPREVIOUS'] }, 'old', `${DEMOTED_LABEL_PREFIX}50`, true],
    ['an operator rolled back onto it', { cur: ['AWSPREVIOUS'], prev: ['AWSCURRENT', `${DEMOTED_LABEL_PREFIX}100`], old: [`${DEMOTED_LABEL_PREFIX}50`] }, 'prev', `${DEMOTED_LABEL_PREFIX}100`, false],
    ['a rotation started', { ...planned, next: ['AWSPENDING'] }, 'old', `${DEMOTED_LABEL_PREFIX}50`, false],
    ['an operator pinned it', { ...planned, old: [`${DEMOTED_LABEL_PREFIX}50`, 'BILLING'] }, 'old', `${DEMOTED_LABEL_PREFIX}50`, false],
    ['its parked label is gone', { ...planned, old: [] }, 'old', `${DEMOTED_LABEL_PREFIX}50`, false],
  ])('%s', (_what, fresh, versionId, label, expected) => {
    expect(revokeStillPlanned(planned, fresh, versionId, label)).toBe(expected);
  });
});
