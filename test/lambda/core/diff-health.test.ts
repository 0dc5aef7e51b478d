import { CheckReport, Problem, ProblemId } from '../../../lambda/contract';
import { diffHealth, healthStatus, NotifiedHealth } from '../../../lambda/core/diff-health';

const NOW = new Date('2026-12-02T12:00:00Z');
const problem = (id: ProblemId) => ({ id, ...Problem[id] });
const report = (outcome: CheckReport['outcome'], ids: ProblemId[] = []): Pick<CheckReport, 'outcome' | 'problems'> => ({ outcome, problems: ids.map(problem) });
const notified = (status: NotifiedHealth['status'], problemIds: ProblemId[] = []): NotifiedHealth => ({ status, problemIds, at: '2026-12-01T00:00:00Z', seq: 3 });

describe('healthStatus', () => {
  it('calls a missing token not-set, whatever the outcome', () => {
    expect(healthStatus(report('check-failed', ['TokenNotSet']))).toBe('not-set');
    expect(healthStatus(report('unhealthy', ['TokenInvalid']))).toBe('unhealthy');
    expect(healthStatus(report('healthy'))).toBe('healthy');
  });
});

describe('diffHealth', () => {
  it('announces the first check, from unknown', () => {
    expect(diffHealth(undefined, report('healthy'), NOW, 0, 3)).toEqual({ previousStatus: 'unknown', previousProblemIds: [], status: 'healthy', problemIds: [], at: NOW.toISOString() });
  });

  it('announces nothing while status and problems stay the same', () => {
    expect(diffHealth(notified('healthy'), report('healthy'), NOW, 0, 3)).toBeUndefined();
    expect(diffHealth(notified('unhealthy', ['MissingScopes', 'TokenExpiring']), report('unhealthy', ['TokenExpiring', 'MissingScopes']), NOW, 0, 3)).toBeUndefined();
  });

  it('announces a changed problem set within the same status', () => {
    expect(diffHealth(notified('unhealthy', ['TokenExpiring']), report('unhealthy', ['TokenExpiring', 'MissingScopes']), NOW, 0, 3)).toMatchObject({ previousStatus: 'unhealthy', status: 'unhealthy', problemIds: ['MissingScopes', 'TokenExpiring'], previousProblemIds: ['TokenExpiring'] });
  });

  it('waits for the configured number of failed checks in a row before announcing check-failed', () => {
    const failed = report('check-failed', ['GraphUnavailable']);
    expect(diffHealth(notified('healthy'), failed, NOW, 1, 3)).toBeUndefined();
    expect(diffHealth(notified('healthy'), failed, NOW, 2, 3)).toBeUndefined();
    expect(diffHealth(notified('healthy'), failed, NOW, 3, 3)).toMatchObject({ previousStatus: 'healthy', status: 'check-failed', problemIds: ['GraphUnavailable'] });
  });

  it('announces recovery from check-failed at once', () => {
    expect(diffHealth(notified('check-failed', ['GraphUnavailable']), report('healthy'), NOW, 0, 3)).toMatchObject({ previousStatus: 'check-failed', status: 'healthy' });
  });
});
