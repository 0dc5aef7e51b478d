// After a healthy check of the live token, in every mode (the single guard's scheduled check, the fleet worker): settle
// the tokens the guard holds outside AWSCURRENT (settle-tokens.ts: the 10-token budget and the revoke grace), and when
// Meta did not confirm a revoke, say so in the check's report as a RevokeFailed problem with Meta's answer. The report
// then carries it to the ledger and, through the usual health diff, to one Health Changed event (with the cause and
// the fix) when it starts and one when it clears: a person hears of it once, not at every retry, and the RevokeFailed
// metric and alarm stay as they were.
import type { Logger } from '@aws-lambda-powertools/logger';
import { CheckReport, Metric } from '../contract';
import { problem } from '../core/assess-token';
import type { GraphClient } from '../adapters/graph-client';
import type { MetricsPublisher } from '../adapters/metrics-publisher';
import type { RotationDeps } from './ports';
import { settleHeldTokens } from './settle-tokens';

export async function settleAndReport(deps: RotationDeps, graph: GraphClient, liveToken: string, report: CheckReport): Promise<CheckReport> {
  let failures = 0;
  const answers: string[] = [];
  // The settling code reports a failed revoke as a RevokeFailed metric and a warning with Meta's code and message.
  const metrics = {
    publish: (tokenName: string, values: Parameters<MetricsPublisher['publish']>[1]) => {
      failures += values[Metric.RevokeFailed] ?? 0;
      deps.metrics.publish(tokenName, values);
    },
  } as unknown as MetricsPublisher;
  const logger = new Proxy(deps.logger, {
    get(target, prop) {
      // Bound to the logger itself: its methods use private fields a proxy would not carry.
      if (prop !== 'warn') {
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      }
      return (message: string, fields?: { code?: number; reason?: string }) => {
        if (/revoke/i.test(message) && fields?.reason) answers.push(`${fields.code !== undefined ? `code ${fields.code}: ` : ''}${fields.reason}`);
        target.warn(message, fields ?? {});
      };
    },
  }) as Logger;
  try {
    await settleHeldTokens({ ...deps, metrics, logger }, graph, liveToken);
  } catch (e) {
    // Settling is best effort: the next healthy check tries again, and the check's own verdict stands.
    deps.logger.warn('settling held tokens skipped', { error: (e as Error).name });
  }
  if (failures === 0) return report;
  const detail = `${failures} revoke${failures === 1 ? '' : 's'} not confirmed by Meta${answers.length ? `: ${[...new Set(answers)].join('; ').slice(0, 600)}` : ''}`;
  return { ...report, problems: [...report.problems, problem('RevokeFailed', detail)] };
}
