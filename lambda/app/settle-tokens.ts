// Settling the tokens the guard holds outside AWSCURRENT, so each one is AWSCURRENT, AWSPREVIOUS, labelled or revoked:
// 1. a token the guard obtained (TOKENGUARD_ISSUED) that no rotation will promote any more is revoked;
// 2. parked tokens (TOKENGUARD_DEMOTED_AT_*, TOKENGUARD_REJECTED_AT_*): the last step of Meta's zero-downtime rotation
//    (refresh -> deploy -> revoke the old token) once revokePreviousAfterHours have passed since the demotion, and,
//    whatever the setting, the oldest ones beyond MAX_PARKED, so the labels stay within Secrets Manager's quota.
// Run by the scheduled check with the live token just validated, and by createSecret before it obtains a new token.
// https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/
import { ISSUED_LABEL, Metric, REVOKED_LABEL } from '../contract';
import { AWSCURRENT } from '../core/labels';
import { parseAppSecret, parseTokenSecret } from '../core/parse-secret';
import { MAX_PARKED, parkedVersions, planIssued, planParked, versionWithLabel, Versions } from '../core/plan-rotation';
import { GraphClient } from '../adapters/graph-client';
import { RotationDeps } from './ports';

/** Revokes a token the guard holds and nobody uses. True when Meta confirmed the revoke or the token is already invalid. */
export async function revokeObtained(deps: RotationDeps, token: string, callerToken: string, deadline: number, graph?: GraphClient): Promise<boolean> {
  let client = graph;
  if (!client) {
    const app = parseAppSecret((await deps.store.get(deps.config.appSecretArn, { stage: AWSCURRENT }))?.value);
    if (!app.ok) return false;
    client = deps.graph(app.value, deadline);
  }
  const r = await client.revokeToken(token, callerToken);
  if (!r.ok) {
    deps.metrics.publish(deps.config.tokenName, { [Metric.RevokeFailed]: 1 });
    deps.logger.warn('could not revoke a token the guard holds; it stays labelled and is revoked at the next attempt', { code: r.failure.code, reason: r.failure.message });
    return false;
  }
  return true;
}

/**
 * Settles the token marked TOKENGUARD_ISSUED: when AWSCURRENT or AWSPREVIOUS holds it, only the mark goes; when no
 * rotation can promote it any more (abandoned, refused with a failed revoke), it is revoked at Meta.
 */
export async function settleIssued(deps: RotationDeps, versions: Versions, graph: GraphClient, callerToken: string): Promise<{ ok: true } | { ok: false; versionId: string; reason: string }> {
  const plan = planIssued(versions, ISSUED_LABEL);
  const { store, config } = deps;
  if (plan.kind === 'none' || plan.kind === 'in-rotation') return { ok: true };
  if (plan.kind === 'revoke') {
    const value = parseTokenSecret((await store.get(config.tokenSecretArn, { versionId: plan.versionId }))?.value);
    if (value.ok && value.value !== callerToken && !(await revokeObtained(deps, value.value, callerToken, Date.now() + 10_000, graph))) {
      return { ok: false, versionId: plan.versionId, reason: 'Meta did not confirm the revoke' };
    }
    deps.logger.info(`revoked the unused token the guard obtained (version ${plan.versionId})`, { versionId: plan.versionId });
  }
  await store.moveStage(config.tokenSecretArn, ISSUED_LABEL, undefined, plan.versionId);
  return { ok: true };
}

/**
 * Revokes the parked tokens that are due (see planParked), once each: a token Meta already reports invalid counts as
 * revoked without a second call, and the label goes only after Meta answered. Stops at the first revoke Meta does
 * not confirm (RevokeFailed; the next check tries again). Returns how many parked tokens are left.
 */
export async function settleParked(deps: RotationDeps, versions: Versions, graph: GraphClient, callerToken: string): Promise<number> {
  const { config, store, logger } = deps;
  const actions = planParked(versions, config.revokePreviousAfterHours, deps.now());
  let left = parkedVersions(versions).length;
  let revokedHolder = versionWithLabel(versions, REVOKED_LABEL);
  for (const action of actions) {
    const { versionId, label } = action.parked;
    if (action.kind === 'revoke') {
      const old = parseTokenSecret((await store.get(config.tokenSecretArn, { versionId }))?.value);
      let outcome: 'revoked' | 'already-invalid' | 'same-token' = 'same-token';
      if (old.ok && old.value !== callerToken) {
        // Already invalid (revoked by an earlier run whose label move failed, or expired): done, no second revoke call.
        if ((await graph.tokenIsDead(old.value)) === true) outcome = 'already-invalid';
        else {
          const r = await graph.revokeToken(old.value, callerToken);
          if (!r.ok) {
            deps.metrics.publish(config.tokenName, { [Metric.RevokeFailed]: 1 });
            logger.warn('could not revoke a parked token; the next check tries again', { versionId, code: r.failure.code, reason: r.failure.message });
            return left;
          }
          outcome = r.outcome;
        }
      }
      // Recorded after Meta answered: TOKENGUARD_REVOKED marks the version, then the parked label goes (done once).
      try {
        if (outcome !== 'same-token' && revokedHolder !== versionId) {
          await store.moveStage(config.tokenSecretArn, REVOKED_LABEL, versionId, revokedHolder);
          revokedHolder = versionId;
        }
        await store.moveStage(config.tokenSecretArn, label, undefined, versionId);
        left--;
      } catch (e) {
        logger.warn('revoked a parked token but could not record it; the next check sees it is invalid and records it', { versionId, error: (e as Error).name });
      }
      if (outcome !== 'same-token') {
        const why = action.why === 'grace' ? `after the ${config.revokePreviousAfterHours} h grace period` : `because more than ${MAX_PARKED} earlier tokens were kept`;
        logger.info(`parked token (version ${versionId}, ${action.parked.kind}) ${outcome === 'revoked' ? 'revoked' : 'was already invalid'} ${why}`, { versionId, current: versionWithLabel(versions, AWSCURRENT) });
      }
    } else {
      // An operator rolled back to it: it is live again, the label would only restart a grace that no longer applies.
      try {
        await store.moveStage(config.tokenSecretArn, label, undefined, versionId);
        left--;
      } catch (e) {
        logger.warn('could not drop the parked label of the current version; the next check tries again', { versionId, error: (e as Error).name });
      }
    }
  }
  return left;
}

/** The scheduled check's part: settle every token the guard holds outside AWSCURRENT, with the live token just validated. */
export async function settleHeldTokens(deps: RotationDeps, graph: GraphClient, currentToken: string): Promise<void> {
  const { versions } = await deps.store.describe(deps.config.tokenSecretArn);
  await settleIssued(deps, versions, graph, currentToken);
  await settleParked(deps, versions, graph, currentToken);
}
