// What `set-token` writes, apart from what it prints: the hand-in of a new token, bound to its own rotation. Kept
// apart from the printing so the model-based rotation tests drive exactly this code (test/model/).
import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { CheckReport } from '../../lambda/contract';
import { AWSCURRENT } from '../../lambda/core/labels';
import { formatTokenSecret } from '../../lambda/core/parse-secret';
import { handInLabel, handInVersionId, HANDIN_LABELS, judgeCandidate, Judgement, labelCount, MAX_LABELS, needsLiveComparison, parkedVersions, versionWithLabel } from '../../lambda/core/plan-rotation';
import { Target } from './aws';
import { CliError } from './errors';
import { invokeCheck, refuseIfRotating, Session, startRotation } from './session';

export type HandIn =
  /** The secret was empty: the token was validated by the function first and is now AWSCURRENT. */
  | { readonly kind: 'first'; readonly versionId: string }
  /** The function's check refused the token, or reached no verdict: nothing was written. */
  | { readonly kind: 'not-stored'; readonly judgement: Exclude<Judgement, { kind: 'promote' }>; readonly report: CheckReport }
  /** The token is stored for rotation `rotationId`, which is running. */
  | { readonly kind: 'rotating'; readonly rotationId: string; readonly handInVersionId: string; readonly label: string; readonly currentBefore?: string };

/**
 * The hand-in, bound to its own rotation: the token is judged first by the function (`{"action":"check","value":...}`,
 * never logged) exactly as the rotation will judge it, so nothing the rotation would refuse is ever written. Then the
 * command picks the rotation's ClientRequestToken R, stores the token as version `handInVersionId(R)` under a label of
 * its own (`TOKENGUARD_HANDIN_AT_<unix>_<R>`: a second operator's hand-in never takes it away), and starts
 * RotateSecret with R. The label stays until the rotation promotes the token; if the rotation cannot start, the token
 * stays findable under it.
 */
export async function handInToken(s: Session, target: Target, token: string): Promise<HandIn> {
  const versions = await refuseIfRotating(s, target);
  const currentBefore = versionWithLabel(versions, AWSCURRENT);
  const report = await invokeCheck(s, target, { value: token });
  const live = currentBefore !== undefined && needsLiveComparison(report) ? await invokeCheck(s, target) : undefined;
  const judgement = judgeCandidate(report, live);
  if (judgement.kind !== 'promote') return { kind: 'not-stored', judgement, report };

  const rotationId = randomUUID();
  const handIn = handInVersionId(rotationId);
  const label = handInLabel(rotationId, new Date(s.now()));
  const put = (): Promise<{ VersionStages?: string[] }> =>
    s.clients.secrets.send(new PutSecretValueCommand({ SecretId: target.tokenSecretArn, ClientRequestToken: handIn, SecretString: formatTokenSecret(token), VersionStages: [label] }));
  if (!currentBefore) {
    // The first value written to a secret becomes AWSCURRENT whatever VersionStages says (PutSecretValue reference):
    // it was judged above, before anything was written.
    if (((await put()).VersionStages ?? []).includes(AWSCURRENT)) {
      // Its own label only takes room now that AWSCURRENT holds it (left on a failure: the next check drops it).
      await s.clients.secrets.send(new UpdateSecretVersionStageCommand({ SecretId: target.tokenSecretArn, VersionStage: label, RemoveFromVersionId: handIn })).catch(() => undefined);
      return { kind: 'first', versionId: handIn };
    }
    // Another operator stored a first token meanwhile: ours is now an ordinary hand-in, validated by a rotation.
  } else {
    if (labelCount(versions) + HANDIN_LABELS > MAX_LABELS) {
      throw new CliError(
        `The token secret has no room for another hand-in: its ${MAX_LABELS} staging labels are taken (${parkedVersions(versions).length} earlier tokens are kept under TOKENGUARD_ labels). ` +
          `The next scheduled check revokes the oldest kept tokens beyond 10; run set-token again after it. Nothing was stored.`,
      );
    }
    await put();
  }

  try {
    await startRotation(s, target, rotationId);
  } catch (e) {
    // The rotation cannot start (another one is running): the token stays findable under its label, never used.
    const why = e instanceof CliError ? e.message : `${(e as Error).name}: ${(e as Error).message}`;
    throw new CliError(`${why} Your token was stored as version ${handIn} under ${label} but not used; run set-token again once the other rotation has finished.`);
  }
  return { kind: 'rotating', rotationId, handInVersionId: handIn, label, currentBefore };
}
