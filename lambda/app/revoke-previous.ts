// Refresh mode's last step of Meta's zero-downtime rotation (refresh -> deploy -> revoke the old token),
// run by the scheduled check once the grace period has passed. Off unless revokePreviousAfterHours is set.
import { REVOKED_LABEL } from '../contract';
import { AWSCURRENT, AWSPREVIOUS } from '../core/labels';
import { parseTokenSecret } from '../core/parse-secret';
import { revokeDue, versionWithLabel } from '../core/plan-rotation';
import { GraphClient } from '../adapters/graph-client';
import { RotationDeps } from './ports';

export async function revokePreviousIfDue(deps: RotationDeps, graph: GraphClient, currentToken: string): Promise<void> {
  const { config, store, logger } = deps;
  if (config.rotationMode !== 'refresh' || config.revokePreviousAfterHours === undefined) return;
  const { versions } = await store.describe(config.tokenSecretArn);
  const previous = versionWithLabel(versions, AWSPREVIOUS);
  const current = versionWithLabel(versions, AWSCURRENT);
  // Done once per version: the label records that this token is already revoked.
  if (!previous || !current || versions[previous].includes(REVOKED_LABEL)) return;
  const currentVersion = await store.get(config.tokenSecretArn, { versionId: current });
  if (!revokeDue(currentVersion?.createdDate, config.revokePreviousAfterHours, deps.now())) return;
  const old = parseTokenSecret((await store.get(config.tokenSecretArn, { versionId: previous }))?.value);
  if (!old.ok || old.value === currentToken) return;
  const r = await graph.revokeToken(old.value, currentToken);
  if (!r.ok) {
    logger.warn('could not revoke the previous token; will try again at the next check', { previousVersion: previous, code: r.failure.code, reason: r.failure.message });
    return;
  }
  await store.moveStage(config.tokenSecretArn, REVOKED_LABEL, previous, versionWithLabel(versions, REVOKED_LABEL));
  logger.info(`revoked the previous token (version ${previous}) after the ${config.revokePreviousAfterHours} h grace period`, { previousVersion: previous });
}
