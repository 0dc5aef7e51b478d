// A fleet rotation whose token settings (the secret's tags) became unusable while it ran: an operator edited or
// removed a tag between two steps. The rotation cannot go on (its mode, scopes or probes are unknown), and failing the
// step alone would leave AWSPENDING on the version, so every retry fails the same way and the next RotateSecret is
// refused ("A previous rotation isn't complete"). Instead the rotation ends here with a verdict:
//   - AWSPENDING comes off the rotation's version, so the next rotation can start once the tag is fixed;
//   - a token handed in for this rotation stays findable, parked under TOKENGUARD_REJECTED_AT_<unix> like any refused
//     hand-in (park-hand-in.ts; settled by the budget like the others);
//   - a token the guard obtained (TOKENGUARD_ISSUED) keeps that label: with no rotation left to promote it, the next
//     healthy check revokes it (settle-tokens.ts);
//   - the ledger and a Rotation Failed event say why and what to do.
import { RotationStep } from '../contract';
import { problem } from '../core/assess-token';
import { AWSCURRENT, AWSPENDING } from '../core/labels';
import { handInVersionId } from '../core/plan-rotation';
import { parkHandIn } from './park-hand-in';
import type { RotationDeps } from './ports';

export interface EndedRotation {
  /** What happened to the rotation's labels, for the step's error message. */
  readonly note: string;
}

export async function endRotationForSettings(
  deps: Pick<RotationDeps, 'store' | 'logger' | 'now' | 'rotations'>,
  secretArn: string,
  tokenName: string,
  step: RotationStep,
  versionId: string,
  settingsProblem: string,
): Promise<EndedRotation> {
  const { store, logger } = deps;
  const notes: string[] = [];
  const { versions } = await store.describe(secretArn);
  const stages = versions[versionId] ?? [];
  if (stages.includes(AWSCURRENT)) return { note: `version ${versionId} is already AWSCURRENT; nothing to end` };
  // First free the rotation's label: it also makes room under the 20-label quota for the parked hand-in below.
  if (stages.includes(AWSPENDING)) {
    await store.moveStage(secretArn, AWSPENDING, undefined, versionId);
    notes.push(`AWSPENDING was taken off version ${versionId}, so the next rotation can start`);
  }
  const parked = await parkHandIn(deps, secretArn, versionId, versions, false);
  if (parked.kind === 'parked') notes.push(`the handed-in token is kept as version ${parked.versionId} (${parked.label}); it was never AWSCURRENT`);
  if (parked.kind === 'unlabelled') {
    // Still findable under TOKENGUARD_CANDIDATE (an older command's hand-in); the next hand-in has a label of its own.
    logger.warn('could not park the handed-in token of an ended rotation; it keeps TOKENGUARD_CANDIDATE', { versionId: handInVersionId(versionId), error: parked.error });
    notes.push(`the handed-in token keeps TOKENGUARD_CANDIDATE on version ${handInVersionId(versionId)}`);
  }
  const reason = `${step}: the rotation ended without a verdict on the token because its settings are invalid: ${settingsProblem} ${notes.join('; ')}. AWSCURRENT is unchanged. Fix the tag, then rotate again.`;
  logger.error(`${step}: rotation ended: the token's settings tags are invalid; AWSCURRENT is unchanged`, { versionId, reason });
  await deps.rotations?.record(tokenName, { outcome: 'failed', versionId, step, reason, problems: [problem('SettingsInvalid', settingsProblem)] });
  return { note: notes.join('; ') || 'no label of this rotation was left to remove' };
}
