// The one place that puts a check's outcome in order, for every entry point (schedule, on-demand, fleet):
// metrics first, so alarms never wait on the table or the bus; then the ledger; then the events, and only
// once they are out does the ledger record them as announced. A table or bus failure is logged and counted
// (NotificationFailed) and never fails the check: the ledger's last announced state is unchanged, so the
// next check finds the same difference and announces it then.
import { CheckReport, Metric } from '../contract';
import { diffHealth, healthStatus, NotifiedHealth, problemIdsOf } from '../core/diff-health';
import { approachingExpirationEvent, causeLine, GuardEvent, healthChangedEvent, rotationEvent } from '../core/event-details';
import { expiryMilestone } from '../core/expiry-milestone';
import { HistoryEntry } from '../adapters/health-ledger';
import { RotationMode } from '../contract';
import { OutcomeDeps, RotationRecord } from './ports';

export type RecordResult =
  | { readonly recorded: true; readonly announced: readonly GuardEvent[] }
  | { readonly recorded: false; readonly failure: string };

export async function recordOutcome(d: OutcomeDeps, token: { readonly name: string }, report: CheckReport): Promise<RecordResult> {
  d.metrics.publish(token.name, report.metrics);
  let result: RecordResult;
  try {
    result = await announce(d, token, report);
  } catch (e) {
    // Adapters answer with values; this is a bug's last line of defence, never a reason to fail the check.
    result = { recorded: false, failure: `unexpected ${(e as Error).name}` };
  }
  if (!result.recorded) {
    d.metrics.publish(token.name, { [Metric.NotificationFailed]: 1 });
    d.logger.warn('health ledger or events not updated; the next check catches up', { failure: result.failure });
  }
  return result;
}

async function announce(d: OutcomeDeps, token: { readonly name: string }, report: CheckReport): Promise<RecordResult> {
  const key = d.ledgerKey(token.name);
  const status = healthStatus(report);
  const before = await d.ledger.saveCheck(key, { tokenName: token.name, status, problemIds: problemIdsOf(report), checkedAt: report.checkedAt, expiresAt: report.token?.expiresAt });
  // No last state means no event: announcing against a state we could not read might repeat or skip one.
  if (!before.ok) return { recorded: false, failure: before.error };
  const last = before.value?.notified;
  const failedInARow = status === 'check-failed' ? (before.value?.failedInARow ?? 0) + 1 : 0;

  const change = diffHealth(last, report, d.now(), failedInARow, d.checkFailuresToNotify);
  const milestone = expiryMilestone(report.token?.daysUntilExpiry, report.token?.expiresAt, last?.milestones);
  if (!change && !milestone) return { recorded: true, announced: [] };

  const events: GuardEvent[] = [];
  if (change) events.push(healthChangedEvent(key, change, report));
  if (milestone) events.push(approachingExpirationEvent(key, milestone, report));
  const put = await d.events.put(events);
  if (!put.ok) return { recorded: false, failure: put.error };

  const next: NotifiedHealth = {
    status: change?.status ?? last!.status,
    problemIds: change?.problemIds ?? last!.problemIds,
    at: change?.at ?? last!.at,
    milestones: milestone?.announced ?? last?.milestones,
    seq: (last?.seq ?? 0) + 1,
  };
  const history: HistoryEntry[] = change ? [{ at: change.at, kind: 'health', from: change.previousStatus, to: change.status, cause: causeLine(report.problems), problemIds: change.problemIds }] : [];
  const marked = await d.ledger.markNotified(key, next, last?.seq, history);
  if (!marked.ok) return { recorded: false, failure: marked.error };
  if (marked.value === 'already-marked') d.logger.info('another check announced this change first', { ledgerKey: key });
  return { recorded: true, announced: events };
}

/**
 * A rotation's outcome: the ledger's rotation fields and history line, then the Rotated / Rotation Failed
 * event. Called where rotate-secret decides the outcome, after its metric. Failures are logged and counted,
 * never thrown: the rotation's own result stands. (A lost rotation event is not re-sent; the ledger line
 * and the metric remain.)
 */
export async function recordRotation(d: OutcomeDeps, token: { readonly name: string; readonly rotationMode: RotationMode }, r: RotationRecord): Promise<void> {
  const key = d.ledgerKey(token.name);
  let failure: string | undefined;
  try {
    const saved = await d.ledger.saveRotation(key, token.name, { at: d.now().toISOString(), outcome: r.outcome, reason: r.reason, versionId: r.versionId });
    if (!saved.ok) failure = saved.error;
    const put = await d.events.put([rotationEvent(key, token.name, token.rotationMode, r)]);
    if (!put.ok) failure = put.error;
  } catch (e) {
    failure = `unexpected ${(e as Error).name}`;
  }
  if (failure) {
    d.metrics.publish(token.name, { [Metric.NotificationFailed]: 1 });
    d.logger.warn('health ledger or events not updated for a rotation', { failure, versionId: r.versionId });
  }
}
