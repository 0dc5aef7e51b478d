// Entry point: one function for the schedule, the on-demand check and Secrets Manager rotation.
// Wiring only; decisions live in core/, outside systems behind adapters/.
import { AppMetric, CheckReport, Metric } from '../contract';
import { AWSCURRENT } from '../core/labels';
import { effectivePercent } from '../core/graph-usage';
import { recogniseEvent } from '../core/recognise-event';
import { redact } from '../core/redact';
import { checkToken, TokenSource } from '../app/check-token';
import { recordOutcome } from '../app/record-outcome';
import { parseTokenSecret } from '../core/parse-secret';
import { liveVerdict, settleAndReport } from '../app/settle-and-report';
import { rotateSecret } from '../app/rotate-secret';
import { OutcomeDeps, RotationDeps } from '../app/ports';
import { deps } from '../wiring';

/** Time kept back from the Lambda timeout so the function reports instead of being killed. */
const SAFETY_MARGIN_MS = 2_000;
const DEFAULT_BUDGET_MS = 30_000;

export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

export function handler(event: unknown, context?: LambdaContextLike): Promise<CheckReport | void> {
  return route(deps(), event, context);
}

/** What the function does with one event, given its adapters (built once per cold start by wiring.ts). */
export async function route(d: RotationDeps & OutcomeDeps, event: unknown, context?: LambdaContextLike): Promise<CheckReport | void> {
  const { logger } = d;
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? DEFAULT_BUDGET_MS) - SAFETY_MARGIN_MS;
  const recognised = recogniseEvent(event);
  if (recognised.kind === 'unknown') {
    logger.error('refused an unrecognised event', { reason: recognised.reason });
    throw new Error(`Unrecognised event: ${recognised.reason}.`);
  }
  if (recognised.kind === 'rotation') return rotateSecret(d, recognised.event, deadline);

  const check = recognised.kind === 'check' ? recognised.event : undefined;
  const stage = check?.versionStage ?? AWSCURRENT;
  let source: TokenSource = check?.versionId ? { versionId: check.versionId } : { stage };
  if (check?.value !== undefined) {
    // A value the operator command validates before storing it; never logged, judged like a stored one.
    const parsed = parseTokenSecret(check.value);
    if (!parsed.ok) throw new Error(`The token to check is malformed: ${parsed.reason}`);
    source = { token: parsed.value };
  }
  // Only the live token feeds the health metrics: checking a candidate must not move alarms.
  const live = 'stage' in source && stage === AWSCURRENT;
  let result;
  try {
    result = await checkToken(d, source, deadline);
  } catch (e) {
    if (live) d.metrics.publish(d.config.tokenName, { [Metric.CheckFailed]: 1 });
    // Name and code location only: an unexpected error's message could quote a secret (JSON.parse does).
    const where = ((e as Error).stack ?? '').split('\n').find((l) => l.trim().startsWith('at '))?.trim();
    logger.error('check crashed', { error: (e as Error).name, where });
    throw new Error(`Check failed unexpectedly (${(e as Error).name} ${where ?? ''}); CheckFailed was published. Retry with \`npx --no-install whatsapp-token-guard check\`; if it repeats, report it with the function's log line.`);
  }
  const checked: CheckReport = live ? result.report : { ...result.report, metrics: {} };
  // Not after a throttle: Meta asks for no calls until usage drops (the next check tries again); with a dead live
  // token, each kept token revokes itself. Before recording, so a revoke Meta did not confirm reaches the ledger and a
  // person as the report's RevokeFailed problem.
  const settle = live && recognised.kind === 'scheduled' && liveVerdict(checked) && result.graph && !result.graph.rateLimited;
  const report = settle ? await settleAndReport(d, result.graph!, checked.token?.valid ? result.token : undefined, checked) : checked;
  if (live && report.graphUsage) d.metrics.publishForApp(d.config.appId, AppMetric.GraphUsagePercent, effectivePercent(report.graphUsage));
  // Metrics, then the health ledger and events; their failures are logged and counted, never thrown.
  if (live) await recordOutcome(d, { name: d.config.tokenName }, report);
  const line = JSON.parse(redact(JSON.stringify({ source: recognised.kind, stage: 'stage' in source ? stage : 'versionId' in source ? `version ${source.versionId}` : 'value in hand', outcome: report.outcome, problems: report.problems, token: report.token, assets: report.assets, graphUsage: report.graphUsage, metrics: report.metrics }), result.secrets));
  if (report.outcome === 'healthy') logger.info('token checked', line);
  else logger.warn('token checked', line);

  return report;
}
