// Entry point: the fleet's planner, run by EventBridge Scheduler every few minutes. Lists the fleet's secrets with
// their tags, lets core/ pick this run's slot and spread it, queues it, and publishes the run's counts.
import { FleetTag } from '../contract';
import { ListedToken, planSweep } from '../core/plan-sweep';
import { tokenNameFromSecretName } from '../core/token-settings';
import { fleetPlannerDeps } from '../wiring-fleet';

export interface PlannerResult {
  readonly sweep: string;
  readonly slot: string;
  readonly listed: number;
  readonly guarded: number;
  readonly queued: number;
  readonly failed: number;
}

export async function handler(): Promise<PlannerResult> {
  const d = fleetPlannerDeps();
  const ns = d.sweep;
  const started = d.now();
  const listed = await d.secrets.list(ns.secretNamePrefix);
  const tokens: ListedToken[] = [];
  const skipped: string[] = [];
  for (const s of listed) {
    const name = tokenNameFromSecretName(ns, s.name);
    // Guarded means named for this fleet and tagged with its id: `fleet remove` takes the tag off and keeps the secret.
    if (name !== undefined && s.tags[FleetTag.Fleet] === ns.fleetId) tokens.push({ name, secretId: s.arn });
    else skipped.push(s.name);
  }
  if (skipped.length) d.logger.info('secrets under the fleet prefix not guarded (no fleet tag, or a name that is not a token name)', { count: skipped.length, first: skipped.slice(0, 20) });

  const plan = planSweep(ns.fleetId, tokens, started, d.sweep);
  const sent = await d.queue.send(plan.checks);
  if (sent.failed.length) d.logger.error('SQS refused some checks; those tokens are planned again next sweep', { failed: sent.failed.slice(0, 50), count: sent.failed.length });
  d.tally.add('SweepRuns');
  d.tally.add('TokensPlanned', sent.sent);
  d.tally.flush();
  const result = { sweep: plan.sweep, slot: `${plan.runIndex + 1}/${plan.runsPerInterval}`, listed: listed.length, guarded: tokens.length, queued: sent.sent, failed: sent.failed.length };
  d.logger.info('sweep slot planned', { ...result, ms: d.now().getTime() - started.getTime() });
  return result;
}
