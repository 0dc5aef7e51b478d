// Decides whether a check changes what the ledger last announced: the status or the set of problems.
// Pure, like assessToken. "Meta unreachable" says nothing about the token, so a check-failed verdict is
// announced only after the configured number of such checks in a row (the ChecksFailing alarm's count).
import { CheckReport, HealthStatus, ProblemId } from '../contract';
import { AnnouncedMilestones } from './expiry-milestone';

/** What the ledger last announced in a Health Changed event. */
export interface NotifiedHealth {
  readonly status: HealthStatus;
  readonly problemIds: readonly ProblemId[];
  /** When that change was announced (ISO). */
  readonly at: string;
  readonly milestones?: AnnouncedMilestones;
  /** Bumped on every announcement; the conditional write that records the next one expects it. */
  readonly seq: number;
}

export interface HealthChange {
  readonly previousStatus: HealthStatus | 'unknown';
  readonly previousProblemIds: readonly ProblemId[];
  readonly status: HealthStatus;
  readonly problemIds: readonly ProblemId[];
  readonly at: string;
}

/** The status a report puts a token in. A missing token is its own status: nothing to check yet. */
export function healthStatus(report: Pick<CheckReport, 'outcome' | 'problems'>): HealthStatus {
  if (report.problems.some((p) => p.id === 'TokenNotSet')) return 'not-set';
  return report.outcome;
}

export const problemIdsOf = (report: Pick<CheckReport, 'problems'>): ProblemId[] => [...new Set(report.problems.map((p) => p.id))].sort();

const sameIds = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * @param failedInARow checks without a verdict in a row, this one included (0 when this one reached a verdict)
 * @param checkFailuresToNotify how many of those make `check-failed` news
 */
export function diffHealth(lastNotified: NotifiedHealth | undefined, report: Pick<CheckReport, 'outcome' | 'problems'>, now: Date, failedInARow: number, checkFailuresToNotify: number): HealthChange | undefined {
  const status = healthStatus(report);
  if (status === 'check-failed' && failedInARow < checkFailuresToNotify) return undefined;
  const problemIds = problemIdsOf(report);
  if (lastNotified && lastNotified.status === status && sameIds(lastNotified.problemIds, problemIds)) return undefined;
  return { previousStatus: lastNotified?.status ?? 'unknown', previousProblemIds: lastNotified?.problemIds ?? [], status, problemIds, at: now.toISOString() };
}
