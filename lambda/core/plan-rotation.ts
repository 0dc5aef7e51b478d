// Pure rotation decisions: the AWS template's up-front guards, which hand-in belongs to a rotation, how a
// candidate compares with the live token, where the labels of an unsettled token stand, and when the previous
// token may be revoked. Every answer is safe to compute again on a retry. See README "Rotation".
import { createHash } from 'node:crypto';
import { CheckReport, DEMOTED_LABEL_PREFIX, ProblemId, ReportedProblem } from '../contract';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from './labels';

export type Versions = Readonly<Record<string, readonly string[]>>;

export type StepGuard =
  | { readonly kind: 'proceed' }
  /** The version is already AWSCURRENT: a late or repeated step, nothing to do but idempotent cleanup. */
  | { readonly kind: 'already-current' }
  | { readonly kind: 'refuse'; readonly message: string };

/** The AWS rotation template's checks, run before every step (aws-samples/aws-secrets-manager-rotation-lambdas). */
export function guardRotationStep(rotationEnabled: boolean, versions: Versions, versionId: string): StepGuard {
  if (!rotationEnabled) return { kind: 'refuse', message: 'The secret is not enabled for rotation. Redeploy the stack, which configures the rotation function.' };
  const stages = versions[versionId];
  if (!stages) return { kind: 'refuse', message: `Version ${versionId} has no stage for rotation of the secret.` };
  if (stages.includes(AWSCURRENT)) return { kind: 'already-current' };
  if (!stages.includes(AWSPENDING)) return { kind: 'refuse', message: `Version ${versionId} is not set as AWSPENDING for rotation of the secret (the rotation was abandoned or already ended).` };
  return { kind: 'proceed' };
}

/** The version carrying `label`, if any (a label sits on one version at a time). */
export function versionWithLabel(versions: Versions, label: string): string | undefined {
  return Object.entries(versions).find(([, stages]) => stages.includes(label))?.[0];
}

/**
 * The version id of the hand-in that belongs to rotation `rotationVersionId`: `set-token` picks the rotation's
 * ClientRequestToken first, stores its token under this id, then starts RotateSecret with that token. createSecret
 * finds its own hand-in by id, whatever happened to the hand-in label meanwhile (another operator, a retry).
 */
export function handInVersionId(rotationVersionId: string): string {
  const h = createHash('sha256').update(`whatsapp-token-guard/hand-in/${rotationVersionId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Whether a token that never expires may be refreshed: no, the exchange would turn it into a 60-day token. */
export function refreshAllowed(expiresAt: string | undefined): { readonly ok: true } | { readonly ok: false; readonly message: string } {
  if (expiresAt === 'never') {
    return {
      ok: false,
      message:
        'Refusing to refresh a token that never expires: fb_exchange_token would turn it into a 60-day token. Keep it (switch the token to rotation mode "hand-made"), or hand in a 60-day token first.',
    };
  }
  return { ok: true };
}

/** Scopes to mint with: the required ones plus whatever the live token carries (Meta does not say which minting needs). */
export function mintScopes(required: readonly string[], live: readonly string[]): string[] {
  return [...new Set([...required, ...live])];
}

/** Problems that belong to the candidate token itself: a candidate with any of them is refused. */
export const OWN_TOKEN_PROBLEMS: readonly ProblemId[] = ['TokenInvalid', 'WrongApp', 'NotSystemUserToken', 'TemporaryToken', 'MissingScopes', 'AssetAccessDenied', 'SecretMalformed'];
/** Problems that mean no verdict was reached (Meta, configuration or Secrets Manager in the way). */
const NO_VERDICT: readonly string[] = ['GraphUnavailable', 'GraphConfig', 'GraphRateLimited', 'SecretReadFailed', 'AppSecretNotSet', 'AppTokenRejected', 'TokenNotSet'];

export type Judgement =
  /** Promote it; `warnings` are critical problems the live token shares (WABA/number/app setup), reported, not blocking. */
  | { readonly kind: 'promote'; readonly warnings: readonly ReportedProblem[] }
  /** A verdict: the candidate has its own token problems, or is worse than the live token. Retrying cannot help. */
  | { readonly kind: 'refuse'; readonly reasons: readonly ReportedProblem[] }
  /** No verdict (Meta down, throttled, configuration): keep the candidate pending so a retry re-tests the same value. */
  | { readonly kind: 'retry'; readonly reasons: readonly ReportedProblem[] };

const critical = (p: ReportedProblem): boolean => p.severity === 'critical';

/**
 * Judges a candidate against the live token. Refused for its own token problems; otherwise only if it is worse than
 * the live token (a critical problem the live token does not have). Problems both share are warnings: a billing block
 * on the number must not stop a valid replacement while the live token ages to expiry. `live` is undefined when
 * there is no live token, or when the candidate was judged without needing it.
 */
export function judgeCandidate(candidate: CheckReport, live: CheckReport | undefined): Judgement {
  const own = candidate.problems.filter((p) => critical(p) && OWN_TOKEN_PROBLEMS.includes(p.id));
  if (own.length) return { kind: 'refuse', reasons: own };
  const noVerdict = candidate.problems.filter((p) => NO_VERDICT.includes(p.id));
  // debug_token itself gave no verdict on the candidate.
  if (!candidate.token) return { kind: 'retry', reasons: noVerdict.length ? noVerdict : candidate.problems };
  const others = candidate.problems.filter((p) => critical(p) && !NO_VERDICT.includes(p.id));
  if (others.length === 0 && noVerdict.length === 0) return { kind: 'promote', warnings: [] };

  const liveVerdict = live?.token !== undefined;
  const liveOwn = liveVerdict && (!live!.token!.valid || live!.problems.some((p) => critical(p) && OWN_TOKEN_PROBLEMS.includes(p.id)));
  // Any valid candidate is better than a live token with token problems of its own (dead, expiring temporary, ...).
  if (liveOwn) return { kind: 'promote', warnings: [...others, ...noVerdict] };
  if (!liveVerdict) {
    // No live token at all: anything valid is better, once its checks have answered.
    if (live === undefined) return noVerdict.length ? { kind: 'retry', reasons: noVerdict } : { kind: 'promote', warnings: others };
    // The live check got no verdict: a problem on the candidate's assets cannot be told from a shared one, so ask
    // again later rather than refuse a possibly better token.
    return { kind: 'retry', reasons: [...others, ...noVerdict, ...live.problems.filter((p) => NO_VERDICT.includes(p.id))] };
  }
  const shared = (p: ReportedProblem): boolean => live!.problems.some((q) => q.id === p.id);
  const worse = others.filter((p) => !shared(p));
  if (worse.length) return { kind: 'refuse', reasons: worse };
  const unanswered = noVerdict.filter((p) => !shared(p));
  if (unanswered.length) return { kind: 'retry', reasons: unanswered };
  return { kind: 'promote', warnings: [...others, ...noVerdict] };
}

/** Whether the candidate's verdict needs the live token for comparison (it has non-token problems). */
export function needsLiveComparison(candidate: CheckReport): boolean {
  if (!candidate.token) return false;
  if (candidate.problems.some((p) => critical(p) && OWN_TOKEN_PROBLEMS.includes(p.id))) return false;
  return candidate.problems.some((p) => critical(p));
}

export type IssuedPlan =
  | { readonly kind: 'none' }
  /** The obtained token is live (AWSCURRENT/AWSPREVIOUS) or in a rotation under way: only the label may go. */
  | { readonly kind: 'clear-label'; readonly versionId: string }
  | { readonly kind: 'in-rotation'; readonly versionId: string }
  /** Nobody uses it and nothing will promote it: revoke it at Meta, then drop the label. */
  | { readonly kind: 'revoke'; readonly versionId: string };

/** Where a token the guard obtained from Meta stands (the version carrying TOKENGUARD_ISSUED). */
export function planIssued(versions: Versions, issuedLabel: string): IssuedPlan {
  const holder = versionWithLabel(versions, issuedLabel);
  if (!holder) return { kind: 'none' };
  const stages = versions[holder];
  if (stages.includes(AWSCURRENT) || stages.includes(AWSPREVIOUS)) return { kind: 'clear-label', versionId: holder };
  if (stages.includes(AWSPENDING)) return { kind: 'in-rotation', versionId: holder };
  return { kind: 'revoke', versionId: holder };
}

/** The demotion the guard recorded (label `TOKENGUARD_DEMOTED_AT_<unix seconds>`), if any. */
export function findDemotion(versions: Versions): { readonly versionId: string; readonly label: string; readonly at: Date } | undefined {
  for (const [versionId, stages] of Object.entries(versions)) {
    for (const label of stages) {
      if (!label.startsWith(DEMOTED_LABEL_PREFIX)) continue;
      const seconds = Number(label.slice(DEMOTED_LABEL_PREFIX.length));
      if (Number.isInteger(seconds) && seconds > 0) return { versionId, label, at: new Date(seconds * 1000) };
    }
  }
  return undefined;
}

export const demotionLabel = (at: Date): string => `${DEMOTED_LABEL_PREFIX}${Math.floor(at.getTime() / 1000)}`;

export type RevokePlan = { readonly kind: 'wait'; readonly why: string } | { readonly kind: 'revoke'; readonly versionId: string; readonly demotionLabel: string };

/**
 * Whether the previous token may be revoked now: only the version a rotation of the guard demoted, only while it is
 * still AWSPREVIOUS (an operator's rollback makes it AWSCURRENT again, or moves AWSPREVIOUS elsewhere), and only once
 * `graceHours` have passed since that promotion, so consumers that cache the token have moved on.
 */
export function planRevokePrevious(versions: Versions, graceHours: number | undefined, now: Date): RevokePlan {
  if (graceHours === undefined) return { kind: 'wait', why: 'revoking the previous token is off' };
  const demotion = findDemotion(versions);
  if (!demotion) return { kind: 'wait', why: 'no version demoted by a rotation of the guard' };
  if (versionWithLabel(versions, AWSPREVIOUS) !== demotion.versionId || versions[demotion.versionId].includes(AWSCURRENT)) {
    return { kind: 'wait', why: 'the demoted version is no longer AWSPREVIOUS (rolled back or replaced)' };
  }
  if (!revokeDue(demotion.at, graceHours, now)) return { kind: 'wait', why: 'grace period not over' };
  return { kind: 'revoke', versionId: demotion.versionId, demotionLabel: demotion.label };
}

/** Whether `graceHours` have passed since `promotedAt`. */
export function revokeDue(promotedAt: Date | undefined, graceHours: number | undefined, now: Date): boolean {
  if (graceHours === undefined || promotedAt === undefined) return false;
  return now.getTime() - promotedAt.getTime() >= graceHours * 3_600_000;
}
