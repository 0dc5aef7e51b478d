// Retiring a fleet token's secret (`fleet remove NAME --delete-secret`): before the secret is scheduled for deletion,
// no live token the guard obtained or parked may stay behind in it, or it would be live at Meta and stored nowhere
// once the recovery window ends. Run by the fleet's function (it holds the app secret and talks to Meta; the
// operator's machine never sees a token), with these rules:
//   - revoked at Meta: every token the secret keeps besides the live one: obtained (TOKENGUARD_ISSUED, including a
//     candidate under AWSPENDING), parked (TOKENGUARD_DEMOTED_AT_*, TOKENGUARD_REJECTED_AT_*, a hand-in left by an ended
//     rotation) and AWSPREVIOUS, however it got there;
//   - never revoked: the live AWSCURRENT token (unless the operator asks: `--revoke-current`), any parked copy of the
//     same value, and the token handed in for the rotation in flight (TOKENGUARD_HANDIN_AT_*, or an older command's
//     TOKENGUARD_CANDIDATE: the operator's own, not yet judged); a hand-in left by an ended rotation is parked, and revoked;
//   - a pending rotation is cleared: CancelRotateSecret leaves AWSPENDING behind (API_CancelRotateSecret.html), so the
//     label comes off its version here, after the token under it was settled;
//   - each revoke is recorded where it happened (its guard labels come off once Meta confirmed), so a retry after a
//     partial failure does only what is left. Nothing is deleted here: the CLI deletes only after a clean retirement.
// Meta's revoke endpoint (GET /oauth/revoke with client_id, client_secret, revoke_token and a caller access_token):
// https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/
import { CANDIDATE_LABEL, HANDIN_LABEL_PREFIX, isIssuedLabel } from '../contract';
import { AWSCURRENT, AWSPENDING } from '../core/labels';
import { parseTokenSecret } from '../core/parse-secret';
import { handInVersionId, parkedVersions, rotationInFlight, Versions } from '../core/plan-rotation';
import { graphFor } from './settle-tokens';
import type { RotationDeps } from './ports';

export type RetiredVersion =
  | { readonly versionId: string; readonly labels: readonly string[]; readonly outcome: 'revoked' | 'already-invalid' }
  | { readonly versionId: string; readonly labels: readonly string[]; readonly outcome: 'failed'; readonly reason: string }
  | { readonly versionId: string; readonly labels: readonly string[]; readonly outcome: 'kept'; readonly reason: string };

export interface Retirement {
  /** Every labelled version the retirement looked at and what happened to its token. */
  readonly versions: readonly RetiredVersion[];
  /** The version AWSPENDING was taken off (a pending rotation cleared), if any. */
  readonly pendingCleared?: string;
  /** True when no token the guard obtained or parked is left live: the secret may be deleted. */
  readonly clean: boolean;
}

export async function retireFleetToken(deps: RotationDeps, secretArn: string, opts: { readonly revokeCurrent: boolean }, deadline: number): Promise<Retirement> {
  const { store, logger } = deps;
  const { versions } = await store.describe(secretArn);
  // A labelled version whose value a read does not find is no answer (a transient error, read-after-write lag),
  // never "nothing to settle": `unreadable` keeps the secret from being deleted.
  const read = async (versionId: string): Promise<string | undefined | 'unreadable'> => {
    const got = await store.get(secretArn, { versionId });
    if (got?.value === undefined) return 'unreadable';
    const v = parseTokenSecret(got.value);
    return v.ok ? v.value : undefined;
  };
  const currentId = Object.entries(versions).find(([, s]) => s.includes(AWSCURRENT))?.[0];
  const currentRead = currentId ? await read(currentId) : undefined;
  if (currentRead === 'unreadable') {
    // Without the live token's value, a copy of it under another label cannot be told apart: revoke nothing.
    const versionId = currentId!;
    logger.warn('retire: the current token could not be read; nothing was revoked', { versionId });
    return { versions: [{ versionId, labels: [...versions[versionId]], outcome: 'failed', reason: 'AWSCURRENT could not be read now, so nothing was revoked; run the command again' }], clean: false };
  }
  const current = currentRead;
  const parkedLabels = new Set(parkedVersions(versions).map((p) => p.label));
  const graph = await graphFor(deps, deadline);
  const out: RetiredVersion[] = [];
  const done = new Map<string, RetiredVersion['outcome']>();

  const revoke = async (versionId: string, labels: string[], token: string): Promise<void> => {
    if (!graph) {
      out.push({ versionId, labels, outcome: 'failed', reason: 'the fleet function could not read the Meta app secret, so nothing can be revoked' });
      return;
    }
    // The same value twice (a parked copy of another parked token): one revoke covers both.
    const earlier = done.get(token);
    if (earlier === 'revoked' || earlier === 'already-invalid') return void out.push({ versionId, labels, outcome: earlier });
    // The live token is the caller; a dead or absent one cannot call, so the token revokes itself (Meta accepts both).
    let r = current !== undefined && current !== token ? await graph.revokeToken(token, current) : undefined;
    if (!r || (!r.ok && r.failure.code === 190 && !r.failure.notSent)) r = await graph.revokeToken(token, token);
    if (!r.ok) {
      logger.warn('retire: could not revoke a token the guard holds', { versionId, code: r.failure.code, reason: r.failure.message });
      out.push({ versionId, labels, outcome: 'failed', reason: `Meta ${r.failure.notSent ? 'is rate-limiting the app, so the revoke was not sent' : `did not confirm the revoke (${r.failure.code !== undefined ? `code ${r.failure.code}: ` : ''}${r.failure.message})`}` });
      return;
    }
    done.set(token, r.outcome);
    out.push({ versionId, labels, outcome: r.outcome });
  };

  const pending: string[] = [];
  const placeholders = new Set<string>();
  // The hand-in of the rotation in flight (on its own version, or taken along to the rotation's version).
  const inFlight = rotationInFlight(versions);
  const handInInFlight = (versionId: string, stages: readonly string[]): boolean =>
    inFlight !== undefined && stages.some((l) => l.startsWith(HANDIN_LABEL_PREFIX)) && (versionId === inFlight || versionId === handInVersionId(inFlight));
  for (const [versionId, stages] of orderedVersions(versions, currentId)) {
    const isCurrent = versionId === currentId;
    const unjudged = !isCurrent && (stages.includes(CANDIDATE_LABEL) || handInInFlight(versionId, stages));
    // Every other token the secret keeps goes with it: obtained, parked, and AWSPREVIOUS too (a token the guard held,
    // even when an operator's own put, not a rotation, demoted it); deleting the secret would leave it live and unfindable.
    const held = !unjudged && stages.length > 0;
    if (!isCurrent && stages.includes(AWSPENDING)) pending.push(versionId);
    if (isCurrent ? !opts.revokeCurrent : !held) {
      if (unjudged) out.push({ versionId, labels: [...stages], outcome: 'kept', reason: "a token handed in for the rotation in flight is the operator's own and was never judged: not revoked" });
      continue;
    }
    // The guard's labels come off once Meta confirmed; a version without one (AWSPREVIOUS after an operator's put) keeps its own.
    const guardLabels = stages.filter((l) => isIssuedLabel(l) || parkedLabels.has(l));
    const labels = guardLabels.length ? guardLabels : [...stages];
    const token = await read(versionId);
    if (token === 'unreadable') {
      // The AWSPENDING placeholder has no value until createSecret stores one, and a createSecret still running may
      // store a token it obtained from Meta any moment: not clean this time (the secret is not deleted under it).
      // AWSPENDING still comes off, so the next run, once a running step has ended, finds what it stored.
      if (stages.includes(AWSPENDING)) placeholders.add(versionId);
      const why = stages.includes(AWSPENDING) ? 'a rotation step may still store a token in it; run the command again in 15 minutes (a rotation step runs at most that long)' : 'its value could not be read now; run the command again';
      out.push({ versionId, labels, outcome: 'failed', reason: why });
      continue;
    }
    if (token === undefined) continue;
    if (!isCurrent && token === current && !opts.revokeCurrent) {
      out.push({ versionId, labels, outcome: 'kept', reason: 'holds the same token as AWSCURRENT, which is not revoked unless asked' });
      continue;
    }
    await revoke(versionId, labels, token);
  }

  // Record what Meta confirmed: the guard's labels come off revoked tokens.
  for (const r of out) {
    if (r.outcome !== 'revoked' && r.outcome !== 'already-invalid') continue;
    for (const label of r.labels.filter((l) => isIssuedLabel(l) || parkedLabels.has(l))) {
      try {
        await store.moveStage(secretArn, label, undefined, r.versionId);
      } catch (e) {
        logger.warn('retire: could not take a label off a revoked token; a retry does it', { versionId: r.versionId, label, error: (e as Error).name });
      }
    }
  }
  // The pending rotation, once the token under it (if the guard obtained it) is revoked: its version loses AWSPENDING.
  let pendingCleared: string | undefined;
  for (const versionId of pending) {
    if (!placeholders.has(versionId) && out.some((r) => r.versionId === versionId && r.outcome === 'failed')) continue;
    try {
      await store.moveStage(secretArn, AWSPENDING, undefined, versionId);
      pendingCleared = versionId;
    } catch (e) {
      logger.warn('retire: could not clear AWSPENDING; a retry does it', { versionId, error: (e as Error).name });
      out.push({ versionId, labels: [AWSPENDING], outcome: 'failed', reason: `AWSPENDING could not be taken off (${(e as Error).name})` });
    }
  }
  const clean = out.every((r) => r.outcome !== 'failed');
  logger.info('retire: tokens the guard held in the secret settled', { clean, revoked: out.filter((r) => r.outcome === 'revoked').length, failed: out.filter((r) => r.outcome === 'failed').length, pendingCleared });
  return { versions: out, pendingCleared, clean };
}

/** The live version last, so every other token is revoked while the live one can still be the caller. */
function orderedVersions(versions: Versions, currentId: string | undefined): [string, readonly string[]][] {
  const all = Object.entries(versions);
  return [...all.filter(([id]) => id !== currentId), ...all.filter(([id]) => id === currentId)];
}
