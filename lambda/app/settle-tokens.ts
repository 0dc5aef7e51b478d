// Run by the scheduled check in refresh and mint mode, with the live token just validated:
// 1. settle a token the guard obtained that no rotation will promote any more (revoke it);
// 2. the last step of Meta's zero-downtime rotation (refresh -> deploy -> revoke the old token): revoke the version a
//    rotation of the guard demoted, once the grace period has passed since that promotion. Off unless
//    revokePreviousAfterHours is set.
// https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/
import { Metric, REVOKED_LABEL } from '../contract';
import { AWSCURRENT } from '../core/labels';
import { parseTokenSecret } from '../core/parse-secret';
import { planRevokePrevious, versionWithLabel } from '../core/plan-rotation';
import { GraphClient } from '../adapters/graph-client';
import { RotationDeps } from './ports';
import { settleIssued } from './rotate-secret';

export async function revokePreviousIfDue(deps: RotationDeps, graph: GraphClient, currentToken: string): Promise<void> {
  const { config, store, logger } = deps;
  if (config.rotationMode === 'hand-made') return;
  const { versions } = await store.describe(config.tokenSecretArn);
  await settleIssued(deps, versions, graph, currentToken);

  const plan = planRevokePrevious(versions, config.revokePreviousAfterHours, deps.now());
  if (plan.kind === 'wait') return;
  const old = parseTokenSecret((await store.get(config.tokenSecretArn, { versionId: plan.versionId }))?.value);
  let outcome: 'revoked' | 'already-invalid' | 'same-token' = 'same-token';
  if (old.ok && old.value !== currentToken) {
    // Already invalid (revoked by an earlier run whose label move failed, or expired): done, no second revoke call.
    const debug = await graph.debugToken(old.value);
    const data = debug.ok ? (debug.body.data as { is_valid?: unknown } | undefined) : undefined;
    if (data?.is_valid === false) outcome = 'already-invalid';
    else {
      const r = await graph.revokeToken(old.value, currentToken);
      if (!r.ok) {
        deps.metrics.publish(config.tokenName, { [Metric.RevokeFailed]: 1 });
        logger.warn('could not revoke the previous token; the next check tries again', { previousVersion: plan.versionId, code: r.failure.code, reason: r.failure.message });
        return;
      }
      outcome = r.outcome;
    }
  }
  // Recorded after Meta answered: the demotion label goes (done once), TOKENGUARD_REVOKED marks the version.
  try {
    const revokedHolder = versionWithLabel(versions, REVOKED_LABEL);
    if (outcome !== 'same-token' && revokedHolder !== plan.versionId) await store.moveStage(config.tokenSecretArn, REVOKED_LABEL, plan.versionId, revokedHolder);
    await store.moveStage(config.tokenSecretArn, plan.demotionLabel, undefined, plan.versionId);
  } catch (e) {
    logger.warn('revoked the previous token but could not record it; the next check sees it is invalid and records it', { previousVersion: plan.versionId, error: (e as Error).name });
  }
  if (outcome !== 'same-token') logger.info(`previous token (version ${plan.versionId}) ${outcome === 'revoked' ? 'revoked' : 'was already invalid'} after the ${config.revokePreviousAfterHours} h grace period`, { previousVersion: plan.versionId, current: versionWithLabel(versions, AWSCURRENT) });
}
