// The pure rotation decisions: how a candidate compares with the live token, where an obtained token stands,
// and when the previous token may be revoked.
import { CheckReport, DEMOTED_LABEL_PREFIX, ISSUED_LABEL, ProblemId, TokenSummary } from '../../../lambda/contract';
import { problem } from '../../../lambda/core/assess-token';
import { guardRotationStep, handInVersionId, judgeCandidate, mintScopes, planIssued, planRevokePrevious } from '../../../lambda/core/plan-rotation';

const TOKEN: TokenSummary = { valid: true, type: 'SYSTEM_USER', scopes: [], missingScopes: [], granularScopes: [] };
function report(ids: ProblemId[], token: TokenSummary | null = TOKEN): CheckReport {
  return { tokenName: 't', checkedAt: '', outcome: ids.length ? 'unhealthy' : 'healthy', graphApiVersion: 'v25.0', token: token ?? undefined, problems: ids.map((id) => problem(id)), metrics: {} };
}

describe('judgeCandidate', () => {
  it.each([
    ['its own token problem', report(['MissingScopes']), report([]), 'refuse'],
    ['a problem the live token shares', report(['MessagingBlocked']), report(['MessagingBlocked']), 'promote'],
    ['a problem the live token does not have (worse)', report(['AppNotSubscribed']), report([]), 'refuse'],
    ['a shared throttled probe', report(['GraphUnavailable']), report(['GraphUnavailable']), 'promote'],
    ['an unanswered probe the live token answered', report(['GraphUnavailable']), report([]), 'retry'],
    ['no debug_token verdict', report(['GraphUnavailable'], null), report([]), 'retry'],
    ['a non-token problem when the live token is dead', report(['AppNotSubscribed']), report(['TokenInvalid'], { ...TOKEN, valid: false }), 'promote'],
    ['a non-token problem when the live check got no verdict', report(['AppNotSubscribed']), report(['GraphUnavailable'], null), 'retry'],
    ['no problem at all', report([]), undefined, 'promote'],
  ])('%s', (_n, candidate, live, kind) => {
    expect(judgeCandidate(candidate, live).kind).toBe(kind);
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

  it('revokes an obtained token only when nothing holds it any more', () => {
    expect(planIssued({ v: ['AWSCURRENT', ISSUED_LABEL] }, ISSUED_LABEL).kind).toBe('clear-label');
    expect(planIssued({ v: ['AWSPREVIOUS', ISSUED_LABEL] }, ISSUED_LABEL).kind).toBe('clear-label');
    expect(planIssued({ v: ['AWSPENDING', ISSUED_LABEL] }, ISSUED_LABEL).kind).toBe('in-rotation');
    expect(planIssued({ v: [ISSUED_LABEL] }, ISSUED_LABEL).kind).toBe('revoke');
    expect(planIssued({ v: ['AWSCURRENT'] }, ISSUED_LABEL).kind).toBe('none');
  });

  it('revokes the previous token only after the grace period since the promotion, and never after a rollback', () => {
    const t = 1_800_000_000;
    const label = `${DEMOTED_LABEL_PREFIX}${t}`;
    const now = (h: number): Date => new Date((t + h * 3600) * 1000);
    const versions = { n: ['AWSCURRENT'], o: ['AWSPREVIOUS', label] };
    expect(planRevokePrevious(versions, 24, now(23)).kind).toBe('wait');
    expect(planRevokePrevious(versions, 24, now(25))).toEqual({ kind: 'revoke', versionId: 'o', demotionLabel: label });
    expect(planRevokePrevious({ n: ['AWSPREVIOUS'], o: ['AWSCURRENT', label] }, 24, now(25)).kind).toBe('wait');
    expect(planRevokePrevious(versions, undefined, now(25)).kind).toBe('wait');
  });
});
