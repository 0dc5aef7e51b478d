// After a healthy check of the live token, in every mode (the single guard's scheduled check, the fleet worker): settle
// the tokens the guard holds outside AWSCURRENT (settle-tokens.ts: the 10-token budget and the revoke grace), and when
// Meta did not confirm a revoke, say so in the check's report as a RevokeFailed problem with Meta's answer. The report
// then carries it to the ledger and, through the usual health diff, to one Health Changed event (with the cause and
// the fix) when it starts and one when it clears: a person hears of it once, not at every retry, and the RevokeFailed
// metric and alarm stay as they were.
import { CheckReport } from '../contract';
import { problem } from '../core/assess-token';
import type { GraphClient } from '../adapters/graph-client';
import type { RotationDeps } from './ports';
import { settleHeldTokens } from './settle-tokens';

/**
 * Whether the check has debug_token's verdict on the live token, so settling may go on: its facts, or Meta's answer
 * that it belongs to another app (unusable here, like a dead one: each kept token then revokes itself, so an operator
 * can still hand in a replacement when the labels are full).
 */
export function liveVerdict(report: CheckReport): boolean {
  return report.token !== undefined || report.problems.some((p) => p.id === 'WrongApp');
}

export async function settleAndReport(deps: RotationDeps, graph: GraphClient, liveToken: string | undefined, report: CheckReport): Promise<CheckReport> {
  let failures: readonly string[] = [];
  try {
    failures = (await settleHeldTokens(deps, graph, liveToken)).revokeFailures;
  } catch (e) {
    // Settling is best effort: the next check tries again, and the check's own verdict stands.
    deps.logger.warn('settling held tokens skipped', { error: (e as Error).name });
  }
  if (failures.length === 0) return report;
  const detail = `${failures.length} revoke${failures.length === 1 ? '' : 's'} not confirmed by Meta: ${[...new Set(failures)].join('; ').slice(0, 600)}`;
  return { ...report, problems: [...report.problems, problem('RevokeFailed', detail)] };
}
