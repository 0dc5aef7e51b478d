// What happens to a hand-in whose rotation ended without promoting it (refused, or ended because its fleet settings
// broke): it stays findable, parked under TOKENGUARD_REJECTED_AT_<unix> so it counts against the 10-token budget at
// once, or it loses its label when it needs none (dead at Meta, or AWSCURRENT holds the same token). Shared by the
// rotation's refusal (rotate-secret.ts) and the fleet's end of a rotation (end-fleet-rotation.ts).
import { CANDIDATE_LABEL, HANDIN_LABEL_PREFIX, REJECTED_LABEL_PREFIX } from '../contract';
import { handInVersionId, parkedLabel, Versions } from '../core/plan-rotation';
import type { RotationDeps } from './ports';

export type HandInParking =
  /** No token was handed in for this rotation. */
  | { readonly kind: 'none' }
  /** Its labels came off: it needs none. */
  | { readonly kind: 'dropped' }
  /** Kept: under a refusal label, or (no room for one) under its hand-in label. */
  | { readonly kind: 'parked'; readonly versionId: string; readonly label: string }
  /** A hand-in of an older command, under TOKENGUARD_CANDIDATE only, that could not get a label of its own. */
  | { readonly kind: 'unlabelled'; readonly error: string };

/**
 * Parks (or, with `drop`, unlabels) the hand-in bound to rotation `versionId`: the hand-in version itself, or the
 * rotation's version once createSecret copied it there with its label. The refusal label goes on before the hand-in
 * label comes off, so the token is labelled at every moment.
 */
export async function parkHandIn(deps: Pick<RotationDeps, 'store' | 'now'>, secretId: string, versionId: string, versions: Versions, drop: boolean): Promise<HandInParking> {
  const { store } = deps;
  const handIn = handInVersionId(versionId);
  const exists = versions[handIn] !== undefined || (await store.get(secretId, { versionId: handIn }))?.value !== undefined;
  if (!exists) return { kind: 'none' };
  const own = [handIn, versionId].map((id) => [id, versions[id] ?? []] as const);
  const handInLabels = own.flatMap(([id, labels]) => labels.filter((l) => l.startsWith(HANDIN_LABEL_PREFIX)).map((l) => [id, l] as const));
  const unlabel = async (): Promise<void> => {
    for (const [id, l] of handInLabels) await store.moveStage(secretId, l, undefined, id).catch(() => undefined);
    if ((versions[handIn] ?? []).includes(CANDIDATE_LABEL)) await store.moveStage(secretId, CANDIDATE_LABEL, undefined, handIn).catch(() => undefined);
  };
  if (drop) {
    await unlabel();
    return { kind: 'dropped' };
  }
  const rejected = own.flatMap(([id, labels]) => labels.filter((l) => l.startsWith(REJECTED_LABEL_PREFIX)).map((l) => [id, l] as const))[0];
  if (rejected) return { kind: 'parked', versionId: rejected[0], label: rejected[1] };
  const where = handInLabels[0]?.[0] ?? handIn;
  const label = parkedLabel(REJECTED_LABEL_PREFIX, deps.now(), versions);
  try {
    await store.moveStage(secretId, label, where, undefined);
  } catch (e) {
    // No room for a refusal label: its own hand-in label keeps it findable just as well (counted once it is stale).
    if (handInLabels.length) return { kind: 'parked', versionId: handInLabels[0][0], label: handInLabels[0][1] };
    return { kind: 'unlabelled', error: (e as Error).name };
  }
  await unlabel();
  return { kind: 'parked', versionId: where, label };
}
