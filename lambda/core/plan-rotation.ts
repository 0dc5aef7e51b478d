// Pure rotation decisions: the AWS template's up-front guards, which hand-in belongs to a rotation, how a
// candidate compares with the live token, where the labels of an unsettled token stand, and when the previous
// token may be revoked. Every answer is safe to compute again on a retry. See docs/rotation.md.
import { createHash } from 'node:crypto';
import { CheckReport, DEMOTED_LABEL_PREFIX, demotedLabel, HANDIN_LABEL_PREFIX, isIssuedLabel, ProblemId, REJECTED_LABEL_PREFIX, ReportedProblem, REVOKED_LABEL } from '../contract';
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

/**
 * Whether the rotation's version was AWSCURRENT once already (it carries AWSPREVIOUS or a demotion label): an
 * AWSPENDING left on it after its promotion, then an operator's rollback. Such a version is never promoted again.
 */
export function promotedBefore(versions: Versions, versionId: string): boolean {
  return (versions[versionId] ?? []).some((l) => l === AWSPREVIOUS || l.startsWith(DEMOTED_LABEL_PREFIX));
}

/** The version a rotation in progress works on: AWSPENDING on a version that is not AWSCURRENT. */
export function rotationInFlight(versions: Versions): string | undefined {
  return Object.entries(versions).find(([, stages]) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT))?.[0];
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

/**
 * The label of a hand-in: `TOKENGUARD_HANDIN_AT_<unix>_<first 8 characters of the rotation id>`. One per hand-in, so
 * a second operator's hand-in never takes it off the first (Secrets Manager moves a label that is put again).
 */
export function handInLabel(rotationVersionId: string, now: Date): string {
  return `${HANDIN_LABEL_PREFIX}${Math.floor(now.getTime() / 1000)}_${rotationVersionId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`;
}

/** How long a hand-in waits for its rotation to start before it counts as parked (the command starts it at once). */
export const HANDIN_START_WINDOW_S = 15 * 60;

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

/** Problems that belong to the candidate token itself. */
export const OWN_TOKEN_PROBLEMS: readonly ProblemId[] = ['TokenInvalid', 'WrongApp', 'NotSystemUserToken', 'TemporaryToken', 'MissingScopes', 'AssetAccessDenied', 'SecretMalformed'];
/** Own problems that make a token unusable whatever the live token is like: a candidate with one is always refused. */
const UNUSABLE: readonly ProblemId[] = ['TokenInvalid', 'WrongApp', 'SecretMalformed'];
/**
 * Problems that mean no verdict was reached (Meta, configuration or Secrets Manager in the way), including a probe's
 * 190 right after debug_token called the token valid (TokenRefusedByProbe: the check calls it no verdict too).
 */
const NO_VERDICT: readonly string[] = ['GraphUnavailable', 'GraphConfig', 'GraphRateLimited', 'GraphUsageHigh', 'TokenRefusedByProbe', 'SecretReadFailed', 'AppSecretNotSet', 'AppTokenRejected', 'TokenNotSet'];

export type Judgement =
  /** Promote it; `warnings` are critical problems the live token shares (WABA/number/app setup), reported, not blocking. */
  | { readonly kind: 'promote'; readonly warnings: readonly ReportedProblem[] }
  /** A verdict: the candidate has its own token problems, or is worse than the live token. Retrying cannot help. */
  | { readonly kind: 'refuse'; readonly reasons: readonly ReportedProblem[] }
  /** No verdict (Meta down, throttled, configuration): keep the candidate pending so a retry re-tests the same value. */
  | { readonly kind: 'retry'; readonly reasons: readonly ReportedProblem[] };

const critical = (p: ReportedProblem): boolean => p.severity === 'critical';
const isOwn = (p: ReportedProblem): boolean => critical(p) && OWN_TOKEN_PROBLEMS.includes(p.id);

/** When a token expires, for comparison: 'never' (or unknown) is the latest. */
const expiryMs = (expiresAt: string | undefined): number => (expiresAt === undefined || expiresAt === 'never' ? Infinity : Date.parse(expiresAt));

/**
 * Whether the live token has the candidate's own token problem `p` at least as badly: the same problem (on the same
 * asset for access denied), or (missing scopes) every scope the candidate lacks is missing from the live token too.
 */
function liveShares(p: ReportedProblem, candidate: CheckReport, live: CheckReport): boolean {
  if (p.id === 'MissingScopes') {
    const liveMissing = live.token?.missingScopes ?? [];
    return live.problems.some((q) => q.id === 'MissingScopes') && (candidate.token?.missingScopes ?? []).every((s) => liveMissing.includes(s));
  }
  if (!live.problems.some((q) => q.id === p.id)) return false;
  // Access denied is shared when it is about the same asset (the detail's "<asset>: " prefix; Meta's text after it
  // carries a per-answer fbtrace_id).
  const asset = (d: string | undefined): string => (d ?? '').split(': ')[0];
  if (p.id === 'AssetAccessDenied') return live.problems.some((q) => q.id === p.id && asset(q.detail) === asset(p.detail));
  // A temporary or personal token is no worse than the live one of the same kind only if it lives at least as long.
  return expiryMs(candidate.token?.expiresAt) >= expiryMs(live.token?.expiresAt);
}

/**
 * Judges a candidate against the live token. A candidate that is unusable (invalid, another app's, malformed) is
 * refused. Otherwise it is refused only if it is worse than the live token: a token problem (missing scopes, not a
 * system user, temporary, asset access denied) or a critical problem the live token does not have. Problems both
 * share are warnings: a billing block on the number, or a scope both lack after an exchange, must not stop a valid
 * replacement while the live token ages to expiry. `live` is undefined when there is no live token;
 * `derivedFromLive` says the candidate was refreshed or minted from it (the same grants).
 */
export function judgeCandidate(candidate: CheckReport, live: CheckReport | undefined, opts: { readonly derivedFromLive?: boolean } = {}): Judgement {
  const unusable = candidate.problems.filter((p) => critical(p) && UNUSABLE.includes(p.id));
  if (unusable.length) return { kind: 'refuse', reasons: unusable };
  const noVerdict = candidate.problems.filter((p) => NO_VERDICT.includes(p.id));
  // debug_token itself gave no verdict on the candidate.
  if (!candidate.token) return { kind: 'retry', reasons: noVerdict.length ? noVerdict : candidate.problems };
  const own = candidate.problems.filter(isOwn);
  const others = candidate.problems.filter((p) => critical(p) && !isOwn(p) && !NO_VERDICT.includes(p.id));
  if (own.length === 0 && others.length === 0 && noVerdict.length === 0) return { kind: 'promote', warnings: [] };

  // A live token that is dead or unreadable (expired, revoked, a malformed secret): any usable candidate without
  // token problems of its own is better, whatever its probes say.
  const liveDead = live !== undefined && (live.token?.valid === false || live.problems.some((p) => critical(p) && UNUSABLE.includes(p.id)));
  if (live === undefined || liveDead) {
    if (own.length) return { kind: 'refuse', reasons: own };
    if (live === undefined && noVerdict.length) return { kind: 'retry', reasons: noVerdict };
    return { kind: 'promote', warnings: [...others, ...noVerdict] };
  }
  if (!live.token) {
    // The live check got no verdict: a problem cannot be told from a shared one, so ask again later rather than
    // refuse a possibly better token.
    return { kind: 'retry', reasons: [...own, ...others, ...noVerdict, ...live.problems.filter((p) => NO_VERDICT.includes(p.id))] };
  }
  const ownWorse = own.filter((p) => !liveShares(p, candidate, live));
  if (ownWorse.length) return { kind: 'refuse', reasons: ownWorse };
  const shared = (p: ReportedProblem): boolean => live.problems.some((q) => q.id === p.id);
  const worse = others.filter((p) => !shared(p));
  if (worse.length) return { kind: 'refuse', reasons: worse };
  // A probe neither token got an answer to says nothing about the candidate's own access. Shared, it does not block a
  // token Meta derived from the live one (refreshed or minted for the same system user: the same asset grants), so a
  // long WABA throttle never lets a 60-day token age to expiry; a hand-in may come from anyone, so it waits.
  const unanswered = noVerdict.filter((p) => !shared(p) || !opts.derivedFromLive);
  if (unanswered.length) return { kind: 'retry', reasons: unanswered };
  return { kind: 'promote', warnings: [...own, ...others, ...noVerdict] };
}

/** Whether the candidate's verdict needs the live token for comparison (it has critical problems that may be shared). */
export function needsLiveComparison(candidate: CheckReport): boolean {
  if (!candidate.token) return false;
  if (candidate.problems.some((p) => critical(p) && UNUSABLE.includes(p.id))) return false;
  return candidate.problems.some((p) => critical(p));
}

export type IssuedPlan =
  /** The obtained token is live (AWSCURRENT/AWSPREVIOUS) or in a rotation under way: only the label may go. */
  | { readonly kind: 'clear-label'; readonly versionId: string; readonly label: string }
  | { readonly kind: 'in-rotation'; readonly versionId: string; readonly label: string }
  /** Nobody uses it and nothing will promote it: revoke it at Meta, then drop the label. */
  | { readonly kind: 'revoke'; readonly versionId: string; readonly label: string };

/** Where each token the guard obtained from Meta stands (every version carrying a TOKENGUARD_ISSUED mark). */
export function planIssued(versions: Versions): IssuedPlan[] {
  const out: IssuedPlan[] = [];
  for (const [versionId, stages] of Object.entries(versions)) {
    for (const label of stages.filter(isIssuedLabel)) {
      if (stages.includes(AWSCURRENT) || stages.includes(AWSPREVIOUS)) out.push({ kind: 'clear-label', versionId, label });
      else if (stages.includes(AWSPENDING)) out.push({ kind: 'in-rotation', versionId, label });
      else out.push({ kind: 'revoke', versionId, label });
    }
  }
  return out;
}

/**
 * A token the guard still holds outside AWSCURRENT: demoted by one of its rotations, a refused hand-in (labels of
 * versions before 0.4), or a hand-in under its own label (waiting for its rotation, or left by one that did not
 * promote it).
 */
export interface Parked {
  readonly versionId: string;
  readonly label: string;
  readonly kind: 'demoted' | 'rejected' | 'handin';
  /** When it was demoted (the revoke grace starts here), refused or handed in. */
  readonly at: Date;
}

/**
 * How many parked tokens the guard keeps labelled. Secrets Manager allows 20 staging labels across all versions of a
 * secret; the guard's own labels take 5 (AWSCURRENT, AWSPREVIOUS, AWSPENDING, the rotation's TOKENGUARD_ISSUED_<R>,
 * TOKENGUARD_REVOKED), a promotion adds up to 2 demotion labels before it settles them, and a hand-in in flight 1,
 * which leaves room for 10 parked tokens and a couple of labels of the operator's.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html
 */
export const MAX_PARKED = 10;
/** Staging labels across all versions of a secret (same page). */
export const MAX_LABELS = 20;
/** Labels a hand-in needs free: its own label, and its rotation's AWSPENDING. */
export const HANDIN_LABELS = 2;

/** How many staging labels the versions carry. */
export const labelCount = (versions: Versions): number => Object.values(versions).reduce((n, stages) => n + stages.length, 0);

const PARKED_KINDS: readonly [string, Parked['kind']][] = [
  [DEMOTED_LABEL_PREFIX, 'demoted'],
  [REJECTED_LABEL_PREFIX, 'rejected'],
  [HANDIN_LABEL_PREFIX, 'handin'],
];

/** Every parked token, oldest first: versions carrying a demotion, refusal or hand-in label. */
export function parkedVersions(versions: Versions): Parked[] {
  const out: Parked[] = [];
  for (const [versionId, stages] of Object.entries(versions)) {
    for (const label of stages) {
      const kind = PARKED_KINDS.find(([prefix]) => label.startsWith(prefix));
      if (!kind) continue;
      const seconds = Number(label.slice(kind[0].length).split('_')[0]);
      if (Number.isInteger(seconds) && seconds > 0) out.push({ versionId, label, kind: kind[1], at: new Date(seconds * 1000) });
    }
  }
  return out.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Labels that say a version's token is in use: Secrets Manager's own, and any label that is not the guard's (an operator's). */
export function inUseLabel(label: string): boolean {
  return label === AWSCURRENT || label === AWSPREVIOUS || !label.startsWith('TOKENGUARD_');
}

/** A parked label for `at` that no version carries yet (a label sits on one version, so a clash takes the next second). */
export function parkedLabel(prefix: typeof DEMOTED_LABEL_PREFIX | typeof REJECTED_LABEL_PREFIX, at: Date, versions: Versions): string {
  const taken = new Set(Object.values(versions).flat());
  let seconds = Math.floor(at.getTime() / 1000);
  while (taken.has(`${prefix}${seconds}`)) seconds++;
  return `${prefix}${seconds}`;
}

/**
 * How many staging labels the secret holds once finishSecret wrote `plan` and moved AWSCURRENT onto `promoted`:
 * moving AWSCURRENT puts AWSPREVIOUS on the old version, a label of its own when no version had one yet.
 */
export function labelsAfterPromotion(versions: Versions, plan: { readonly remove: readonly unknown[]; readonly add: readonly unknown[] }): number {
  const implicitPrevious = versionWithLabel(versions, AWSCURRENT) !== undefined && versionWithLabel(versions, AWSPREVIOUS) === undefined ? 1 : 0;
  return labelCount(versions) + plan.add.length - plan.remove.length + implicitPrevious;
}

export interface FinishLabels {
  /** Stale parked labels on the version being demoted, dropped before the move. */
  readonly remove: readonly Parked[];
  /** Demotion labels naming the promoted version, written before the move. */
  readonly add: readonly { readonly versionId: string; readonly label: string }[];
}

/**
 * The labels finishSecret writes BEFORE it moves AWSCURRENT from `current` to `promoted` (Secrets Manager then moves
 * AWSPREVIOUS onto `current` by itself), because DescribeSecret stops listing a version once it has no label:
 * `TOKENGUARD_DEMOTED_AT_<now>_<promoted>` on `current`, replacing a stale one left from before an operator's rollback
 * (so the revoke grace starts at this promotion), and on the version about to lose AWSPREVIOUS if it has none (the
 * token two generations back stays findable). Each names `promoted`, so a move that never happens leaves labels that
 * demote nothing (see demotionOf). A retry keeps the labels an earlier attempt for the same promotion wrote.
 */
export function planFinishLabels(versions: Versions, promoted: string, now: Date): FinishLabels {
  const current = versionWithLabel(versions, AWSCURRENT);
  const previous = versionWithLabel(versions, AWSPREVIOUS);
  const parked = parkedVersions(versions);
  const ours = (p: Parked): boolean => p.kind === 'demoted' && demotedBy(p.label) === promoted;
  // Any parked label on the version being demoted goes (a stale demotion, or a rejected hand-in an operator made current).
  const remove = parked.filter((p) => p.versionId === current && !ours(p));
  const add: { versionId: string; label: string }[] = [];
  const taken: Record<string, string[]> = {};
  for (const [id, stages] of Object.entries(versions)) taken[id] = stages.filter((l) => !remove.some((r) => r.versionId === id && r.label === l));
  const labelled = (id: string): boolean => parkedVersions(taken).some((p) => p.versionId === id);
  let seconds = Math.floor(now.getTime() / 1000);
  for (const id of [current, previous]) {
    if (!id || id === promoted || labelled(id) || (id === previous && (versions[id] ?? []).includes(REVOKED_LABEL))) continue;
    const label = demotedLabel(seconds++, promoted);
    add.push({ versionId: id, label });
    taken[id] = [...taken[id], label];
  }
  return { remove, add };
}

/** The version a demotion label names (`TOKENGUARD_DEMOTED_AT_<unix>_<version>`), or undefined for 0.4's labels. */
export function demotedBy(label: string): string | undefined {
  if (!label.startsWith(DEMOTED_LABEL_PREFIX)) return undefined;
  const rest = label.slice(DEMOTED_LABEL_PREFIX.length);
  const i = rest.indexOf('_');
  return i < 0 ? undefined : rest.slice(i + 1);
}

/**
 * Whether a demotion label is a demotion: 0.4's labels always; a label naming its promotion once that version was
 * promoted (it is AWSCURRENT or AWSPREVIOUS, or a later promotion demoted it in turn).
 */
export function isDemotion(versions: Versions, label: string): boolean {
  const by = demotedBy(label);
  if (by === undefined) return true;
  const stages = versions[by] ?? [];
  return stages.includes(AWSCURRENT) || stages.includes(AWSPREVIOUS) || stages.some((l) => l.startsWith(DEMOTED_LABEL_PREFIX));
}

export type ParkedAction =
  /** A parked label the token no longer needs: it is live again (an operator rolled back to it), or another version holds the same hand-in under AWSCURRENT, AWSPREVIOUS or a demotion label. */
  | { readonly kind: 'unpark'; readonly parked: Parked }
  /** Revoke at Meta (or find it already invalid), then drop the label. */
  | { readonly kind: 'revoke'; readonly parked: Parked; readonly why: 'grace' | 'over-budget' };

export interface ParkedPlan {
  readonly actions: readonly ParkedAction[];
  /**
   * How many of the `over-budget` actions must succeed to get back to MAX_PARKED. They are listed oldest first, all
   * of them, even within the budget (finishSecret may need label room), so one token Meta will not revoke (another
   * app's) does not block the others.
   */
  readonly excess: number;
}

/**
 * What the scheduled check does with parked tokens. A demoted token is revoked once `graceHours` (if set) have passed
 * since its demotion. Beyond MAX_PARKED the oldest ones are revoked whatever the setting, so every token stays either
 * labelled or revoked within Secrets Manager's label quota. Never touched: AWSPREVIOUS before its grace (it is what an
 * operator rolls back to), a version in a rotation, a hand-in whose rotation runs or may still start, and, while a
 * rotation is in flight, a demotion label on AWSCURRENT (finishSecret writes it just before it moves AWSCURRENT).
 */
export function planParked(versions: Versions, graceHours: number | undefined, now: Date): ParkedPlan {
  const actions: ParkedAction[] = [];
  const parked = parkedVersions(versions);
  const has = (p: Parked, label: string): boolean => (versions[p.versionId] ?? []).includes(label);
  const pending = rotationInFlight(versions);
  // The rotation version that copied a hand-in: R with handInVersionId(R) === the hand-in's version.
  const copyOf = (p: Parked): string | undefined => Object.keys(versions).find((id) => handInVersionId(id) === p.versionId);
  const settled = new Set<Parked>();
  for (const p of parked) {
    if (settled.has(p)) continue;
    const copy = p.kind === 'handin' ? copyOf(p) : undefined;
    if (has(p, AWSCURRENT)) {
      if (pending === undefined) actions.push({ kind: 'unpark', parked: p });
      settled.add(p);
    } else if (has(p, AWSPENDING) || (copy !== undefined && copy === pending)) settled.add(p);
    else if (copy !== undefined && (versions[copy] ?? []).some((l) => l === AWSCURRENT || l === AWSPREVIOUS || l.startsWith(DEMOTED_LABEL_PREFIX))) {
      // The same token is kept by its rotation's version: the hand-in's own label only takes room.
      actions.push({ kind: 'unpark', parked: p });
      settled.add(p);
    } else if (p.kind === 'handin' && copy === undefined && now.getTime() - p.at.getTime() < HANDIN_START_WINDOW_S * 1000) settled.add(p);
    else if (p.kind === 'demoted' && isDemotion(versions, p.label) && revokeDue(p.at, graceHours, now)) {
      actions.push({ kind: 'revoke', parked: p, why: 'grace' });
      settled.add(p);
    }
  }
  const excess = Math.max(0, parked.filter((p) => !settled.has(p)).length - MAX_PARKED);
  // Listed even within the budget: finishSecret may need room under the label quota (hand-ins waiting for their
  // rotation and operators' labels take some too); `excess` says how many the budget alone asks for.
  for (const p of parked) if (!settled.has(p) && !has(p, AWSPREVIOUS)) actions.push({ kind: 'revoke', parked: p, why: 'over-budget' });
  return { actions, excess };
}

/**
 * Whether a revoke planned on `planned` still holds on `fresh`, the labels read again just before the revoke: the
 * version still carries the label it was planned for, and no label in use (AWSCURRENT, AWSPREVIOUS, AWSPENDING, an
 * operator's own) was added, moved or removed anywhere since. An operator who rolls back onto a parked token while a
 * check settles it would otherwise see it revoked on a view older than the rollback. The guard's own settling only
 * moves its TOKENGUARD_ labels, so it never trips this itself.
 */
export function revokeStillPlanned(planned: Versions, fresh: Versions, versionId: string, label: string): boolean {
  if (!(fresh[versionId] ?? []).includes(label)) return false;
  const inUse = (v: Versions): string =>
    Object.entries(v)
      .flatMap(([id, stages]) => stages.filter((l) => inUseLabel(l) || l === AWSPENDING).map((l) => `${id}\u0000${l}`))
      .sort()
      .join('\n');
  return inUse(planned) === inUse(fresh);
}

/** Whether `graceHours` have passed since `promotedAt`. */
export function revokeDue(promotedAt: Date | undefined, graceHours: number | undefined, now: Date): boolean {
  if (graceHours === undefined || promotedAt === undefined) return false;
  return now.getTime() - promotedAt.getTime() >= graceHours * 3_600_000;
}
