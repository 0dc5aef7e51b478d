// Settling the tokens the guard holds outside AWSCURRENT, so each one is AWSCURRENT, AWSPREVIOUS, labelled or revoked:
// 1. a token the guard obtained (TOKENGUARD_ISSUED) that no rotation will promote any more is revoked;
// 2. parked tokens (TOKENGUARD_DEMOTED_AT_*, TOKENGUARD_HANDIN_AT_*, TOKENGUARD_REJECTED_AT_*): the last step of Meta's
//    zero-downtime rotation (refresh -> deploy -> revoke the old token) once revokePreviousAfterHours have passed since
//    the demotion, and, whatever the setting, the oldest ones beyond MAX_PARKED, so the labels stay within Secrets
//    Manager's quota.
// Run by the scheduled check, by createSecret before it obtains a new token, and by finishSecret and a refusal when
// they need room. A token is revoked with the live token as the caller, or, when there is no valid live token, with
// itself (Meta accepts a token revoking itself: the caller and the token belong to the same app).
// https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/
import { Metric, REVOKED_LABEL } from '../contract';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../core/labels';
import { parseAppSecret, parseTokenSecret } from '../core/parse-secret';
import { handInVersionId, inUseLabel, IssuedPlan, MAX_PARKED, parkedVersions, planIssued, planParked, revokeStillPlanned, rotationInFlight, versionWithLabel, Versions } from '../core/plan-rotation';
import { GraphClient } from '../adapters/graph-client';
import { classifyGraphFailure, GraphFailure } from '../core/classify-graph-failure';
import { RotationDeps } from './ports';

/** A Graph client with the app secret, or undefined when the app secret cannot be read. */
export async function graphFor(deps: RotationDeps, deadline: number): Promise<GraphClient | undefined> {
  try {
    const app = parseAppSecret((await deps.store.get(deps.config.appSecretArn, { stage: AWSCURRENT }))?.value);
    return app.ok ? deps.graph(app.value, deadline) : undefined;
  } catch {
    return undefined;
  }
}

export type RevokeResult = { readonly ok: true; readonly outcome: 'revoked' | 'already-invalid' } | { readonly ok: false; readonly failure: GraphFailure; readonly throttled: boolean };

/**
 * Revokes a token the guard holds and nobody uses: with `caller` (the live token) when there is one, and with the
 * token itself when there is none or Meta says the 190 is about the caller (the live token is dead). A failure Meta
 * answered publishes RevokeFailed; a call not sent (an earlier throttle) does not.
 */
export async function revokeHeld(deps: RotationDeps, graph: GraphClient, token: string, caller: string | undefined, failures?: string[]): Promise<RevokeResult> {
  let r = caller !== undefined && caller !== token ? await graph.revokeToken(token, caller) : undefined;
  if (!r || (!r.ok && r.failure.code === 190 && !r.failure.notSent)) r = await graph.revokeToken(token, token);
  if (r.ok) return r;
  const throttled = r.failure.notSent === true || classifyGraphFailure(r.failure) === 'rate-limited';
  if (!r.failure.notSent) {
    deps.metrics.publish(deps.config.tokenName, { [Metric.RevokeFailed]: 1 });
    failures?.push(`${r.failure.code !== undefined ? `code ${r.failure.code}: ` : ''}${r.failure.message}`);
  }
  deps.logger.warn('could not revoke a token the guard holds; it stays labelled and is revoked at the next attempt', { code: r.failure.code, reason: r.failure.message });
  return { ok: false, failure: r.failure, throttled };
}

/** Revokes a token the guard holds and nobody uses. True when Meta confirmed the revoke or the token is already invalid. */
export async function revokeObtained(deps: RotationDeps, token: string, callerToken: string | undefined, deadline: number, graph?: GraphClient): Promise<boolean> {
  const client = graph ?? (await graphFor(deps, deadline));
  if (!client) return false;
  return (await revokeHeld(deps, client, token, callerToken)).ok;
}

/**
 * Settles each token marked TOKENGUARD_ISSUED_<version>: when AWSCURRENT or AWSPREVIOUS holds it, only the mark goes;
 * when no rotation can promote it any more (abandoned, refused with a failed revoke), it is revoked at Meta. Stops at
 * the first one it cannot settle.
 */
export async function settleIssued(deps: RotationDeps, versions: Versions, graph: GraphClient, callerToken: string | undefined, failures?: string[]): Promise<{ ok: true } | { ok: false; versionId: string; reason: string }> {
  for (const plan of planIssued(versions)) {
    if (plan.kind === 'in-rotation') continue;
    const settled = await settleOneIssued(deps, versions, graph, callerToken, plan, failures);
    if (!settled.ok) return settled;
  }
  return { ok: true };
}

async function settleOneIssued(deps: RotationDeps, versions: Versions, graph: GraphClient, callerToken: string | undefined, plan: IssuedPlan, failures?: string[]): Promise<{ ok: true } | { ok: false; versionId: string; reason: string }> {
  const { store, config } = deps;
  if (plan.kind === 'revoke') {
    const read = await store.get(config.tokenSecretArn, { versionId: plan.versionId });
    // A labelled version always has a value: a read that finds none is no answer, and the mark stays.
    if (read?.value === undefined) return { ok: false, versionId: plan.versionId, reason: 'its value could not be read now' };
    // A rotation that started less than a Lambda run ago: a finishSecret that judged the token may be about to move
    // AWSCURRENT onto it although the rotation was abandoned since (a second hand-in). Left, still marked, for later.
    if (read.createdDate && deps.now().getTime() - read.createdDate.getTime() < ISSUED_SETTLE_AFTER_MS) return { ok: true };
    const value = parseTokenSecret(read.value);
    if (value.ok && value.value !== callerToken) {
      const inUse = await valuesInUse(deps, versions);
      if (inUse === 'unreadable') return { ok: false, versionId: plan.versionId, reason: 'a version in use could not be read now' };
      if ((inUse.get(value.value) ?? []).some((h) => h.versionId !== plan.versionId)) {
        // The same token sits under a label in use elsewhere: it is findable there, and must not be revoked.
      } else if (!(await labelsUnchanged(deps, versions, plan.versionId, plan.label))) {
        return { ok: false, versionId: plan.versionId, reason: "the secret's labels changed while it was settled; the next run looks again" };
      } else if (!(await revokeHeld(deps, graph, value.value, callerToken, failures)).ok) return { ok: false, versionId: plan.versionId, reason: 'Meta did not confirm the revoke' };
      else deps.logger.info(`revoked the unused token the guard obtained (version ${plan.versionId})`, { versionId: plan.versionId });
    }
  }
  await store.moveStage(config.tokenSecretArn, plan.label, undefined, plan.versionId);
  return { ok: true };
}

/** A Lambda invocation runs at most 15 minutes: a token obtained in a rotation younger than that may still be promoted. */
const ISSUED_SETTLE_AFTER_MS = 15 * 60 * 1000;

export interface SettleOptions {
  /** Settle this many more over-budget tokens (finishSecret making room under the label quota). */
  readonly extraExcess?: number;
  /** Collects Meta's answer to each revoke it did not confirm (the check's RevokeFailed problem). */
  readonly failures?: string[];
  /** Apply the revoke grace too (default); false settles the budget only. */
  readonly grace?: boolean;
  /** How many times the labels changed under this settling already (it plans again on the new ones, twice at most). */
  readonly replans?: number;
}

/**
 * Revokes the parked tokens that are due (see planParked), once each: a token Meta already reports invalid counts as
 * revoked without a second call, and the label goes only after Meta answered. A parked token whose value a label in
 * use also holds (AWSCURRENT, AWSPREVIOUS, a rotation in flight, an operator's own label) is never revoked; where
 * AWSCURRENT or AWSPREVIOUS holds it, its parked label only takes room and goes. A revoke Meta does not confirm
 * publishes RevokeFailed and the next one is tried; a throttle stops every further call. `extraExcess` asks for that
 * many more over-budget tokens to be settled (finishSecret making room). Returns how many parked tokens are left.
 */
export async function settleParked(deps: RotationDeps, versions: Versions, graph: GraphClient, callerToken: string | undefined, opts: SettleOptions = {}): Promise<number> {
  const { config, store, logger } = deps;
  const { extraExcess = 0, failures, grace = true } = opts;
  // The revoke grace presumes consumers moved to a working token: while the live token is dead (no caller), the
  // demoted ones are the way back, so only the budget applies to them (oldest first, never AWSPREVIOUS).
  const plan = planParked(versions, grace && callerToken !== undefined ? config.revokePreviousAfterHours : undefined, deps.now());
  let left = parkedVersions(versions).length;
  let excess = plan.excess + extraExcess;
  let revokedHolder = versionWithLabel(versions, REVOKED_LABEL);
  const due = plan.actions.some((a) => a.kind === 'revoke' && (a.why === 'grace' || plan.excess + extraExcess > 0));
  const inUse = due ? await valuesInUse(deps, versions) : new Map<string, InUse[]>();
  // Without the values in use (a read that found nothing), no revoke can be shown safe: only the unparks go ahead.
  const revokesAllowed = inUse !== 'unreadable';
  const dropLabel = async (versionId: string, label: string): Promise<boolean> => {
    try {
      await store.moveStage(config.tokenSecretArn, label, undefined, versionId);
      left--;
      return true;
    } catch (e) {
      logger.warn('could not drop a parked label; the next check tries again', { versionId, label, error: (e as Error).name });
      return false;
    }
  };
  for (const action of plan.actions) {
    const { versionId, label } = action.parked;
    if (action.kind === 'unpark') {
      await dropLabel(versionId, label);
      continue;
    }
    if (action.why === 'over-budget' && excess <= 0) continue;
    if (!revokesAllowed) continue;
    const read = await store.get(config.tokenSecretArn, { versionId });
    // A parked version always has a value: a read that finds none is no answer, and the label stays.
    if (read?.value === undefined) continue;
    const old = parseTokenSecret(read.value);
    // Held under a label in use: on another version, or an operator's own label on this one.
    const holders = old.ok ? ((inUse as Map<string, InUse[]>).get(old.value) ?? []).filter((h) => h.versionId !== versionId || !h.label.startsWith('AWS')) : [];
    if (holders.some((h) => h.label !== AWSCURRENT && h.label !== AWSPREVIOUS)) continue; // a rotation or an operator uses this very token
    let outcome: 'revoked' | 'already-invalid' | 'held' = 'held';
    if (old.ok && holders.length === 0 && old.value !== callerToken) {
      // Already invalid (revoked by an earlier run whose label move failed, or expired): done, no second revoke call.
      if ((await graph.tokenIsDead(old.value)) === true) outcome = 'already-invalid';
      else {
        const fresh = await labelsNow(deps);
        if (!fresh || !revokeStillPlanned(versions, fresh, versionId, label)) {
          // A label in use moved since the plan (an operator's rollback onto this very token, a rotation starting):
          // nothing is revoked on that view. Planned again on the new one (twice at most), else the next check does.
          const replans = opts.replans ?? 0;
          logger.info('the secret\'s labels changed while parked tokens were settled; planning again on the new ones', { versionId, replans });
          if (!fresh || replans >= 2) return left;
          const doneOver = plan.excess + extraExcess - excess;
          return settleParked(deps, fresh, graph, callerToken, { ...opts, replans: replans + 1, extraExcess: Math.max(0, extraExcess - Math.max(0, doneOver - plan.excess)) });
        }
        const r = await revokeHeld(deps, graph, old.value, callerToken, failures);
        if (!r.ok) {
          logger.warn('could not revoke a parked token; the next check tries again', { versionId, code: r.failure.code });
          if (r.throttled) return left;
          continue;
        }
        outcome = r.outcome;
      }
    }
    // Recorded after Meta answered: TOKENGUARD_REVOKED marks the version, then the parked label goes (done once).
    if (action.why === 'over-budget' && outcome !== 'held') excess--; // settled at Meta, whatever the recording does
    if (outcome !== 'held' && revokedHolder !== versionId) {
      try {
        await store.moveStage(config.tokenSecretArn, REVOKED_LABEL, versionId, revokedHolder);
        revokedHolder = versionId;
      } catch (e) {
        // The parked label stays: the next check finds the token invalid (no second revoke call) and records it.
        // With the label quota full there is no room for the mark: the token is dead, its parked label goes anyway.
        if ((e as Error).name !== 'LimitExceededException') {
          logger.warn('revoked a parked token but could not record it; the next check sees it is invalid and records it', { versionId, error: (e as Error).name });
          continue;
        }
      }
    }
    if ((await dropLabel(versionId, label)) && action.why === 'over-budget' && outcome === 'held') excess--;
    if (outcome !== 'held') {
      const why = action.why === 'grace' ? `after the ${config.revokePreviousAfterHours} h grace period` : `because more than ${MAX_PARKED} earlier tokens were kept`;
      logger.info(`parked token (version ${versionId}, ${action.parked.kind}) ${outcome === 'revoked' ? 'revoked' : 'was already invalid'} ${why}`, { versionId, current: versionWithLabel(versions, AWSCURRENT) });
    }
  }
  return left;
}

/**
 * Reads the labels once more right before a revoke (see revokeStillPlanned): the plan was made on `planned`, and the
 * secret may have changed in the seconds since. A read that fails is no go.
 */
async function labelsUnchanged(deps: RotationDeps, planned: Versions, versionId: string, label: string): Promise<boolean> {
  const fresh = await labelsNow(deps);
  return fresh !== undefined && revokeStillPlanned(planned, fresh, versionId, label);
}

/** The secret's labels now, or undefined when they cannot be read (no go). */
async function labelsNow(deps: RotationDeps): Promise<Versions | undefined> {
  return (await deps.store.describe(deps.config.tokenSecretArn).catch(() => undefined))?.versions;
}

/**
 * After a promotion or a refusal parked one more token: when that takes the guard beyond MAX_PARKED, the oldest are
 * settled now, with the live token as the caller, rather than at the next check, so the budget holds whenever no step
 * is running. Best effort: the promotion or the verdict stands whatever happens here, and the next check tries again.
 */
export async function settleOverBudget(deps: RotationDeps, deadline: number): Promise<void> {
  const { config, store, logger } = deps;
  try {
    const { versions } = await store.describe(config.tokenSecretArn);
    // The budget only: the grace is the scheduled check's (a refusal may leave a dead live token behind).
    if (planParked(versions, undefined, deps.now()).excess === 0) return;
    const graph = await graphFor(deps, deadline);
    const live = parseTokenSecret((await store.get(config.tokenSecretArn, { stage: AWSCURRENT }))?.value);
    if (graph) await settleParked(deps, versions, graph, live.ok ? live.value : undefined, { grace: false });
  } catch (e) {
    logger.warn(`could not settle the tokens kept beyond ${MAX_PARKED} now; the next check settles them`, { error: (e as Error).name });
  }
}

/** Whether a labelled version outside `except` holds `token` (read one by one; stops at the first match). */
export async function heldElsewhere(deps: RotationDeps, versions: Versions, token: string, except: readonly string[]): Promise<boolean> {
  for (const [versionId, stages] of Object.entries(versions)) {
    if (except.includes(versionId) || stages.length === 0) continue;
    const value = parseTokenSecret((await deps.store.get(deps.config.tokenSecretArn, { versionId }))?.value);
    if (value.ok && value.value === token) return true;
  }
  return false;
}

interface InUse {
  readonly label: string;
  readonly versionId: string;
}

/**
 * Token value -> the labels in use that hold it: AWSCURRENT, AWSPREVIOUS, an operator's own label, the rotation in
 * flight (its AWSPENDING version and its hand-in). Each such version is read once.
 */
async function valuesInUse(deps: RotationDeps, versions: Versions): Promise<Map<string, InUse[]> | 'unreadable'> {
  const out = new Map<string, InUse[]>();
  const pending = rotationInFlight(versions);
  const reads: [string, string[]][] = [];
  for (const [versionId, stages] of Object.entries(versions)) {
    const labels = [...stages.filter(inUseLabel), ...(versionId === pending ? [AWSPENDING] : [])];
    if (labels.length) reads.push([versionId, labels]);
  }
  if (pending) reads.push([handInVersionId(pending), ['the hand-in of the rotation in flight']]);
  for (const [versionId, labels] of reads) {
    const read = await deps.store.get(deps.config.tokenSecretArn, { versionId });
    // AWSCURRENT, AWSPREVIOUS and an operator's label sit on versions with values: finding none is no answer. (The
    // rotation in flight may have no value yet, and its hand-in may not exist.)
    if (read?.value === undefined && labels.some((l) => l === AWSCURRENT || l === AWSPREVIOUS || !l.startsWith('AWS') && !l.startsWith('the hand-in'))) return 'unreadable';
    const value = parseTokenSecret(read?.value);
    if (value.ok) out.set(value.value, [...(out.get(value.value) ?? []), ...labels.map((label) => ({ label, versionId }))]);
  }
  return out;
}

/**
 * The scheduled check's part (and the fleet worker's): settle every token the guard holds outside AWSCURRENT, with the
 * live token just checked as the caller (or, when it is dead, each token revoking itself). Returns Meta's answer to
 * each revoke it did not confirm, for the check's report.
 */
export async function settleHeldTokens(deps: RotationDeps, graph: GraphClient, liveToken: string | undefined): Promise<{ readonly revokeFailures: readonly string[] }> {
  const failures: string[] = [];
  const { versions } = await deps.store.describe(deps.config.tokenSecretArn);
  await settleIssued(deps, versions, graph, liveToken, failures);
  if (!graph.rateLimited) await settleParked(deps, versions, graph, liveToken, { failures });
  return { revokeFailures: failures };
}
