// The secret's rotation function: Secrets Manager's four steps as a state machine over staging labels. Every step
// is safe to run twice, concurrently, or again after a partial failure; a candidate is promoted only by the
// finishSecret that judged it, with the same validation as the scheduled check; every token the guard holds ends
// up AWSCURRENT, AWSPREVIOUS, labelled or revoked. The outcome of a rotation is decided in one place:
// `reportRotation`. Proven by the model-based test in test/model/; see docs/rotation.md for the diagram.
import { CANDIDATE_LABEL, CheckReport, HANDIN_LABEL_PREFIX, isIssuedLabel, issuedLabel, Metric, ReportedProblem, RotationEvent, RotationStep } from '../contract';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../core/labels';
import { formatTokenSecret, parseTokenSecret } from '../core/parse-secret';
import { classifyGraphFailure, GraphFailure } from '../core/classify-graph-failure';
import {
  guardRotationStep,
  handInVersionId,
  judgeCandidate,
  Judgement,
  labelsAfterPromotion,
  MAX_LABELS,
  MAX_PARKED,
  mintScopes,
  needsLiveComparison,
  parkedLabel,
  parkedVersions,
  planFinishLabels,
  promotedBefore,
  refreshAllowed,
  versionWithLabel,
  Versions,
} from '../core/plan-rotation';
import { REJECTED_LABEL_PREFIX, REVOKED_LABEL } from '../contract';
import { redact } from '../core/redact';
import { GraphClient } from '../adapters/graph-client';
import { checkToken } from './check-token';
import { parkHandIn } from './park-hand-in';
import { graphFor, revokeHeld, settleIssued, settleOverBudget, settleParked } from './settle-tokens';
import { RotationDeps } from './ports';

/** A rotation step that must fail. Its message is safe to show: it never holds a token or secret. */
export class RotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationError';
  }
}

/**
 * How a step ended. `refused` is a verdict (AWSPENDING removed, candidate kept or revoked); `retry` is no verdict
 * (Meta or AWS in the way: AWSPENDING kept so Secrets Manager's retry with the same ClientRequestToken re-tests the
 * same value); `test-*` are the service's test-only runs (RotateImmediately=false), which touch no label.
 */
export type RotationOutcome =
  | { readonly kind: 'promoted'; readonly versionId: string; readonly previous?: string }
  | { readonly kind: 'refused'; readonly step: RotationStep; readonly versionId: string; readonly reason: string; readonly problems?: readonly ReportedProblem[] }
  | { readonly kind: 'retry'; readonly step: RotationStep; readonly versionId: string; readonly reason: string; readonly problems?: readonly ReportedProblem[] }
  | { readonly kind: 'test-passed'; readonly versionId: string; readonly note: string }
  | { readonly kind: 'test-failed'; readonly versionId: string; readonly reason: string };

/** Thrown inside a step to end it with an outcome; `rotateSecret` records it and turns it into the step's result. */
class StepEnd extends Error {
  constructor(readonly outcome: RotationOutcome) {
    super(outcome.kind);
  }
}

const refused = (step: RotationStep, versionId: string, reason: string, problems?: readonly ReportedProblem[]): StepEnd => new StepEnd({ kind: 'refused', step, versionId, reason, problems });
const retry = (step: RotationStep, versionId: string, reason: string, problems?: readonly ReportedProblem[]): StepEnd => new StepEnd({ kind: 'retry', step, versionId, reason, problems });

/** Problems as one line for an error message: title (detail), and the fix where the operator must act. */
function reasons(problems: readonly ReportedProblem[], withFix = false): string {
  return problems.map((p) => `${p.title}${p.detail ? ` (${p.detail})` : ''}${withFix ? ` - ${p.fix}` : ''}`).join(withFix ? ' | ' : '; ');
}

const failureText = (f: GraphFailure): string => `${f.code !== undefined ? `code ${f.code}: ` : ''}${f.message}${f.userMessage ? ` (${f.userMessage})` : ''}`;
/** Meta down or throttling: no verdict on the token (decided on Meta's code, see classifyGraphFailure). */
const noVerdictFrom = (f: GraphFailure): boolean => ['transient', 'rate-limited'].includes(classifyGraphFailure(f));
/** What Meta did, for the message: failed (down), is rate-limiting, or refused (a verdict). */
const metaDid = (f: GraphFailure): string => ({ transient: 'failed', 'rate-limited': 'is rate-limiting' })[classifyGraphFailure(f) as string] ?? 'refused';
/** Live-token problems that are a verdict for refresh and mint: Meta can do nothing with such a token, now or later. */
const LIVE_UNUSABLE = ['TokenInvalid', 'WrongApp', 'SecretMalformed', 'TokenNotSet'];

/**
 * The one place a rotation's outcome is decided and reported: metrics, the log line, the health ledger and the
 * Rotated / Rotation Failed event (deps.rotations), and (for the caller) whether the step fails.
 */
async function reportRotation(deps: RotationDeps, outcome: RotationOutcome, secrets: readonly string[]): Promise<void> {
  const { metrics, config, logger } = deps;
  switch (outcome.kind) {
    case 'promoted':
      metrics.publish(config.tokenName, { [Metric.RotationSucceeded]: 1 });
      logger.info(`finishSecret: version ${outcome.versionId} is now AWSCURRENT; ${outcome.previous ?? 'no version'} is AWSPREVIOUS`, { outcome: outcome.kind, versionId: outcome.versionId, previous: outcome.previous });
      await deps.rotations?.record(config.tokenName, { outcome: 'rotated', versionId: outcome.versionId, reason: `version ${outcome.versionId} validated and promoted; ${outcome.previous ?? 'no version'} is AWSPREVIOUS` });
      return;
    case 'refused':
    case 'retry': {
      metrics.publish(config.tokenName, { [Metric.RotationFailed]: 1 });
      const reason = redact(outcome.reason, secrets);
      logger.error(`${outcome.step}: rotation ${outcome.kind === 'refused' ? 'refused the candidate' : 'could not reach a verdict; Secrets Manager retries it'}; AWSCURRENT is unchanged`, {
        outcome: outcome.kind,
        versionId: outcome.versionId,
        reason,
      });
      await deps.rotations?.record(config.tokenName, { outcome: 'failed', versionId: outcome.versionId, step: outcome.step, reason, problems: outcome.problems });
      return;
    }
    case 'test-passed':
      logger.info(`testSecret: test-only rotation of version ${outcome.versionId} passed (${outcome.note}); no label was touched`, { outcome: outcome.kind, versionId: outcome.versionId });
      return;
    case 'test-failed':
      logger.error('testSecret: test-only rotation failed; no label was touched', { outcome: outcome.kind, versionId: outcome.versionId, reason: redact(outcome.reason, secrets) });
      return;
  }
}

export async function rotateSecret(deps: RotationDeps, event: RotationEvent, deadline: number): Promise<void> {
  const { store, config, logger } = deps;
  const { Step: step, SecretId: secretId, ClientRequestToken: versionId } = event;
  // The function's role only reaches its own secret; say so plainly instead of failing on AccessDenied.
  if (secretId !== config.tokenSecretArn) throw new RotationError(`${step}: this function rotates only its own token secret (${config.tokenSecretArn}), not ${secretId}.`);

  const state = await store.describe(secretId);
  const guard = guardRotationStep(state.rotationEnabled, state.versions, versionId);
  if (guard.kind === 'refuse') throw new RotationError(`${step}: ${guard.message}`);
  if (guard.kind === 'already-current') {
    // A late or repeated step. finishSecret still completes its cleanup: a retry after a half-done finish.
    if (step === 'finishSecret') await finishCleanup(deps, secretId, versionId, state.versions, deadline);
    logger.info(`${step}: version ${versionId} is already AWSCURRENT; nothing to do`, { step, versionId });
    return;
  }
  if (promotedBefore(state.versions, versionId)) {
    // AWSPENDING stayed on a promoted version and an operator then moved AWSCURRENT back: the service reattempts a
    // rotation that already ended. Re-promoting would undo the rollback, so the label goes and nothing else moves.
    await store.moveStage(secretId, AWSPENDING, undefined, versionId).catch(() => undefined);
    throw new RotationError(`${step}: version ${versionId} was AWSCURRENT before and an operator rolled it back; it is not promoted again. AWSPENDING is removed, so the next rotation can start.`);
  }

  const secretsSeen: string[] = [];
  try {
    switch (step) {
      case 'createSecret':
        await createSecret(deps, event, state.versions, deadline, secretsSeen);
        break;
      case 'setSecret':
        // Meta tokens are live the moment they exist: there is no external system to update.
        logger.info('setSecret: nothing to set at Meta; the token is already live', { step, versionId });
        break;
      case 'testSecret':
        await testSecret(deps, event, state.versions, deadline, secretsSeen);
        break;
      case 'finishSecret':
        await finishSecret(deps, event, state.versions, deadline, secretsSeen);
        break;
    }
  } catch (e) {
    const ended: RotationOutcome =
      e instanceof StepEnd ? e.outcome : { kind: 'retry', step, versionId, reason: `${step}: ${(e as Error).name}: ${(e as Error).message}` };
    let outcome: RotationOutcome = ended;
    if (outcome.kind === 'refused') {
      // What happened to the refused token is part of the verdict the operator reads (CLI, ledger, event).
      const settled = await settleRefused(deps, secretId, versionId, step, deadline, secretsSeen, outcome.problems);
      if (settled.kind === 'no-verdict') outcome = { kind: 'retry', step, versionId, reason: `${outcome.reason} ${settled.note}`, problems: outcome.problems };
      else if (settled.note) outcome = { ...outcome, reason: `${outcome.reason} ${settled.note}` };
    }
    await reportRotation(deps, outcome, secretsSeen);
    if (outcome.kind === 'test-passed' || outcome.kind === 'promoted') return;
    const message = redact(outcome.reason, secretsSeen);
    throw new RotationError(outcome.kind === 'retry' ? `${message} (no verdict: AWSPENDING is kept, so the retry tests the same candidate)` : message);
  }
}

async function currentToken(deps: RotationDeps, secretId: string): Promise<{ versionId: string; token?: string } | undefined> {
  const current = await deps.store.get(secretId, { stage: AWSCURRENT });
  if (!current || current.value === undefined) return undefined;
  const parsed = parseTokenSecret(current.value);
  return { versionId: current.versionId, token: parsed.ok ? parsed.value : undefined };
}

async function createSecret(deps: RotationDeps, event: RotationEvent, versions: Versions, deadline: number, secretsSeen: string[]): Promise<void> {
  const { store, config, logger } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  // Idempotent: if this version already holds a value, a retry must not mint or exchange a second token.
  const existing = await store.get(secretId, { versionId, stage: AWSPENDING });
  if (existing?.value !== undefined) {
    logger.info(`createSecret: version ${versionId} already holds a candidate; nothing to do`, { versionId });
    return;
  }

  // A token handed in for exactly this rotation (set-token), found by id whatever happened to its label.
  const handIn = await store.get(secretId, { versionId: handInVersionId(versionId) });
  if (handIn?.value !== undefined) {
    secretsSeen.push(handIn.value.trim());
    const parsed = parseTokenSecret(handIn.value);
    if (!parsed.ok) throw refused('createSecret', versionId, `createSecret: the handed-in token (version ${handIn.versionId}) is malformed: ${parsed.reason}`);
    const current = await currentToken(deps, secretId);
    if (current?.token === parsed.value) throw refused('createSecret', versionId, `createSecret: the handed-in token is already the AWSCURRENT token (version ${current.versionId}); nothing to rotate.`);
    // The copy takes the hand-in's own label along (a label is on one version at a time): the token stays labelled
    // whatever happens to AWSPENDING. AWSPENDING itself is never written: RotateSecret put it on this version, and
    // writing it again would take it from a newer rotation if this one was abandoned meanwhile.
    const label = (versions[handIn.versionId] ?? []).find((l) => l.startsWith(HANDIN_LABEL_PREFIX));
    await putCandidate(deps, event, formatTokenSecret(parsed.value), [label ?? AWSPENDING]); // the same value twice is idempotent
    logger.info(`createSecret: stored the handed-in token as version ${versionId}${label ? ` (${label})` : ''}`, { versionId, handIn: handIn.versionId });
    return;
  }
  if (config.rotationMode === 'hand-made') {
    throw refused('createSecret', versionId, `createSecret: no token was handed in for this rotation. Run \`npx --no-install whatsapp-token-guard set-token\`, which stores the new token and starts its own rotation.`);
  }

  // refresh and mint obtain a token from Meta. First settle any earlier obtained token nobody holds, so there is
  // never more than one unsettled token (it is revoked, or this rotation does not obtain another).
  const live = await checkToken(deps, { stage: AWSCURRENT }, deadline);
  secretsSeen.push(...live.secrets);
  const verb = config.rotationMode === 'refresh' ? 'refreshing' : 'minting';
  const unusable = live.report.problems.filter((p) => LIVE_UNUSABLE.includes(p.id));
  // A token Meta says is dead, another app's, a malformed secret or none at all: a verdict (nothing to obtain from).
  if (!live.report.token?.valid && unusable.length) {
    throw refused('createSecret', versionId, `createSecret: the current token cannot be used to obtain a new one (${reasons(unusable)}); Meta cannot ${config.rotationMode === 'refresh' ? 'exchange' : 'mint with'} it. Generate a new token by hand and run \`npx --no-install whatsapp-token-guard set-token\`.`, unusable);
  }
  // A conclusive debug_token verdict on the live token is all that is needed; probes do not matter here.
  if (!live.report.token || !live.graph || !live.token) {
    throw retry('createSecret', versionId, `createSecret: could not check the current token before ${verb}: ${reasons(live.report.problems)}`);
  }
  // Meta is throttling the app or WABA: no more calls now (no settling, no new token); Secrets Manager retries.
  if (live.graph.rateLimited) throw retry('createSecret', versionId, `createSecret: Meta is rate-limiting the app or WhatsApp Business Account (${failureText(live.graph.rateLimited)}); no new token is obtained until it stops.`);
  const settled = await settleIssued(deps, versions, live.graph, live.token);
  if (!settled.ok) throw retry('createSecret', versionId, `createSecret: an earlier token the guard obtained (version ${settled.versionId}) is not revoked yet (${settled.reason}); no new token is obtained until it is.`);
  // Each new token parks one more earlier token: settle the due ones first, and obtain none while the guard already
  // keeps more than its budget plus the two a promotion adds (a verdict, so AWSPENDING does not stay stuck).
  const parked = await settleParked(deps, versions, live.graph, live.token);
  if (live.graph.rateLimited) throw retry('createSecret', versionId, `createSecret: Meta is rate-limiting the app (${failureText(live.graph.rateLimited)}) while the guard settled earlier tokens; no new token is obtained until it stops.`);
  if (parked > MAX_PARKED + 2) {
    throw refused('createSecret', versionId, `createSecret: ${parked} earlier tokens are kept under TOKENGUARD_DEMOTED_AT_/TOKENGUARD_HANDIN_AT_ labels and Meta did not confirm revoking them (see the RevokeFailed log lines), so no new token is obtained. Revoke them by hand in Business Settings > System users, remove their labels with \`aws secretsmanager update-secret-version-stage\`, then rotate again.`);
  }

  let candidate: string;
  if (config.rotationMode === 'refresh') {
    const allowed = refreshAllowed(live.report.token.expiresAt);
    if (!allowed.ok) throw refused('createSecret', versionId, `createSecret: ${allowed.message}`);
    const r = await live.graph.exchangeToken(live.token);
    if (!r.ok) {
      // Not retried (see exchangeToken). No answer may still mean Meta issued a token: nothing holds it, it expires in 60 days.
      const transient = noVerdictFrom(r.failure);
      throw (transient ? retry : refused)('createSecret', versionId, `createSecret: Meta ${metaDid(r.failure)} the token exchange (${failureText(r.failure)}); the current token stays in use.`);
    }
    candidate = r.token;
  } else {
    if (!config.systemUserId) throw refused('createSecret', versionId, 'createSecret: mint mode needs the system user id (`systemUserId` in cdk.json).');
    const scopes = mintScopes(config.requiredScopes, live.report.token.scopes);
    const r = await live.graph.mintSystemUserToken(config.systemUserId, live.token, scopes, config.mintSixtyDayTokens);
    if (!r.ok) {
      const transient = noVerdictFrom(r.failure);
      throw (transient ? retry : refused)('createSecret', versionId, `createSecret: Meta ${metaDid(r.failure)} ${transient ? 'minting' : 'to mint'} a token for system user ${config.systemUserId} (${failureText(r.failure)}); the current token stays in use.`);
    }
    candidate = r.token;
  }
  secretsSeen.push(candidate);
  await storeObtained(deps, event, candidate, live.token, live.graph);
  logger.info(`createSecret: stored the ${config.rotationMode === 'refresh' ? 'refreshed' : 'minted'} token as version ${versionId} (AWSPENDING, ${issuedLabel(versionId)})`, { versionId, mode: config.rotationMode });
}

/**
 * Writes a token just obtained from Meta as the rotation's version (which RotateSecret labelled AWSPENDING), under
 * TOKENGUARD_ISSUED, before anything else can fail: it exists nowhere else. When the write fails it is read back (the answer may be lost),
 * tried once more, and only then is the token revoked; a token that can be neither stored nor revoked is kept under
 * a parked label of a version of its own (which abandons this rotation: safe, the token stays findable). What is
 * left after all of that is said loudly and ends the rotation with a verdict, so the service's retry obtains no
 * second token.
 */
async function storeObtained(deps: RotationDeps, event: RotationEvent, candidate: string, liveToken: string, graph: GraphClient): Promise<void> {
  const { store, logger } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  const value = formatTokenSecret(candidate);
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      // Only this rotation's own mark: AWSPENDING is on this version already, and writing it (or a mark another
      // version carries) would take it from that version: from a newer rotation if this one was abandoned meanwhile.
      if ((await putCandidate(deps, event, value, [issuedLabel(versionId)])) === 'stored') return;
      // Lambda ran createSecret twice at once for this version and the other invocation stored its token first:
      // that one is the candidate; ours is held nowhere, so it is revoked (or parked where a revoke fails).
      logger.info(`createSecret: version ${versionId} was already populated by a concurrent invocation; settling the duplicate token`, { versionId });
      await settleUnstored(deps, secretId, versionId, candidate, liveToken, graph, 'a concurrent createSecret stored its token first');
      return;
    } catch (e) {
      lastError = e as Error;
      // The write may have been applied with only its answer lost: look before anything else.
      const there = await store.get(secretId, { versionId }).catch(() => undefined);
      if (there?.value === value) return;
    }
  }
  const kept = await settleUnstored(deps, secretId, versionId, candidate, liveToken, graph, `PutSecretValue failed: ${lastError?.name ?? 'unknown error'}`);
  throw refused(
    'createSecret',
    versionId,
    `createSecret: could not store the new token (${lastError?.name ?? 'unknown error'}: check the function's kms:GenerateDataKey and secretsmanager:PutSecretValue permissions); ${kept}. No other token is obtained in this rotation.`,
  );
}

/** A token Meta issued that the rotation's version does not hold: revoked, or kept under a parked label; says which. */
async function settleUnstored(deps: RotationDeps, secretId: string, versionId: string, token: string, liveToken: string, graph: GraphClient, why: string): Promise<string> {
  const { store, logger } = deps;
  const r = await revokeHeld(deps, graph, token, liveToken);
  if (r.ok) return 'it was revoked at Meta, so no unused token is left live';
  try {
    // A version of its own (a new ClientRequestToken) under a parked label, outside this rotation.
    const label = parkedLabel(REJECTED_LABEL_PREFIX, deps.now(), (await store.describe(secretId)).versions);
    await store.put(secretId, `${versionId.slice(0, 24)}-unstored-${Math.floor(deps.now().getTime() / 1000)}`.slice(0, 64), formatTokenSecret(token), [label]);
    logger.warn(`createSecret: kept the token it could not store as the candidate under ${label}; the next check revokes it`, { versionId, why });
    return `it could not be revoked now, so it is kept under ${label} and revoked by a later check`;
  } catch (e) {
    logger.error(`createSecret: a token Meta issued for version ${versionId} could be neither stored nor revoked: revoke the system user's unused tokens in Business Settings > System users`, { versionId, why, error: (e as Error).name });
    deps.metrics.publish(deps.config.tokenName, { [Metric.RevokeFailed]: 1 });
    return "it could be neither stored nor revoked: revoke the system user's unused tokens in Business Settings > System users";
  }
}

/** PutSecretValue for the rotation's version. ResourceExistsException with a value there means "already populated". */
async function putCandidate(deps: RotationDeps, event: RotationEvent, value: string, stages: string[]): Promise<'stored' | 'already-populated'> {
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  try {
    await deps.store.put(secretId, versionId, value, stages, event.RotationToken);
    return 'stored';
  } catch (e) {
    if ((e as Error).name === 'ResourceExistsException') {
      const there = await deps.store.get(secretId, { versionId });
      if (there?.value === value) return 'stored';
      if (there?.value !== undefined) return 'already-populated';
    }
    throw e;
  }
}

/**
 * Judges the rotation's candidate exactly like the scheduled check judges the live token, and against the live token
 * where a problem might be shared. Used by testSecret and again by finishSecret, which promotes only what it judged.
 */
async function judgeVersion(deps: RotationDeps, step: RotationStep, event: RotationEvent, candidate: string, deadline: number, secretsSeen: string[]): Promise<{ judgement: Judgement; report: CheckReport }> {
  const { store } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  const checked = await checkToken(deps, { token: candidate }, deadline);
  secretsSeen.push(...checked.secrets);
  let live: CheckReport | undefined;
  const described = (await store.describe(secretId)).versions;
  // No live token only when the secret has no AWSCURRENT: a read of it that finds nothing is no answer, not "none".
  if (needsLiveComparison(checked.report) && versionWithLabel(described, AWSCURRENT) !== undefined) {
    // Through the candidate's client: after a throttle it sends nothing more, and the live check reports the same throttle.
    const l = await checkToken(deps, { stage: AWSCURRENT }, deadline, { graph: checked.graph, skipProbesWhenBusy: false });
    secretsSeen.push(...l.secrets);
    if (l.report.problems.some((p) => p.id === 'TokenNotSet' || p.id === 'SecretReadFailed')) {
      throw retry(step, versionId, `${step}: the current token could not be read to compare the candidate with, so it is not judged now.`);
    }
    live = l.report;
  }
  // A token the guard obtained (TOKENGUARD_ISSUED) was refreshed or minted from the live one: the same grants.
  const derivedFromLive = described[versionId]?.some(isIssuedLabel) === true;
  const judgement = judgeCandidate(checked.report, live, { derivedFromLive });
  if (judgement.kind === 'refuse') throw refused(step, versionId, `${step}: the candidate is refused: ${reasons(judgement.reasons, true)}`, judgement.reasons);
  if (judgement.kind === 'retry') throw retry(step, versionId, `${step}: could not validate the candidate, so it is not promoted yet: ${reasons(judgement.reasons)}`, judgement.reasons);
  return { judgement, report: checked.report };
}

async function testSecret(deps: RotationDeps, event: RotationEvent, versions: Versions, deadline: number, secretsSeen: string[]): Promise<void> {
  const { store } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  const pending = await store.get(secretId, { versionId });
  const current = await store.get(secretId, { stage: AWSCURRENT });
  if (pending?.value !== undefined) secretsSeen.push(pending.value.trim());
  if (pending?.value === undefined) {
    // Either the service's own test-only run (RotateImmediately=false, on every deploy of the schedule: an empty
    // version), or a read that found nothing although createSecret stored a candidate (a transient error, or a read
    // racing the write). No answer is never a pass: a version this rotation obtained a token for, or one with a
    // hand-in bound to it, is a real rotation whose candidate could not be read now.
    if (await realRotation(deps, secretId, versions, versionId)) throw retry('testSecret', versionId, `testSecret: the candidate of version ${versionId} could not be read now; it is tested when Secrets Manager retries.`);
    return testOnlyRun(deps, versionId, current?.value !== undefined, deadline, secretsSeen);
  }
  // createSecret writes a value different from AWSCURRENT, so the AWSCURRENT value here is the service's test run,
  // unless the version carries a real rotation's marks: then an operator rolled back onto the very token handed in
  // since createSecret, and the candidate is judged like any other.
  if (current?.value !== undefined && pending.value === current.value && !(await realRotation(deps, secretId, versions, versionId))) return testOnlyRun(deps, versionId, true, deadline, secretsSeen);
  const parsed = parseTokenSecret(pending.value);
  if (!parsed.ok) throw refused('testSecret', versionId, `testSecret: the candidate is malformed: ${parsed.reason}`);
  const { judgement, report } = await judgeVersion(deps, 'testSecret', event, parsed.value, deadline, secretsSeen);
  deps.logger.info(`testSecret: version ${versionId} passed validation`, {
    versionId,
    token: report.token,
    // Problems the live token shares (WABA, number, app setup): reported, not blocking.
    sharedProblems: judgement.kind === 'promote' ? judgement.warnings.map((p) => p.id) : [],
    warnings: report.problems.filter((p) => p.severity === 'warning').map((p) => p.id),
  });
}

/** Whether `versionId` is a real rotation: it holds a token the guard obtained, a hand-in's label, or a hand-in is bound to it. */
async function realRotation(deps: RotationDeps, secretId: string, versions: Versions, versionId: string): Promise<boolean> {
  const stages = versions[versionId] ?? [];
  if (stages.some((l) => isIssuedLabel(l) || l === CANDIDATE_LABEL || l.startsWith(HANDIN_LABEL_PREFIX))) return true;
  return (await deps.store.get(secretId, { versionId: handInVersionId(versionId) }))?.value !== undefined;
}

async function testOnlyRun(deps: RotationDeps, versionId: string, hasCurrent: boolean, deadline: number, secretsSeen: string[]): Promise<never> {
  if (!hasCurrent) throw new StepEnd({ kind: 'test-passed', versionId, note: 'no token is stored yet, nothing to validate' });
  const live = await checkToken(deps, { stage: AWSCURRENT }, deadline);
  secretsSeen.push(...live.secrets);
  const own = judgeCandidate(live.report, undefined);
  if (own.kind === 'refuse') throw new StepEnd({ kind: 'test-failed', versionId, reason: `testSecret (test-only rotation): the current token has problems: ${reasons(own.reasons, true)}` });
  // Meta unreachable says nothing about the function or the token: the scheduled check reports it.
  throw new StepEnd({ kind: 'test-passed', versionId, note: own.kind === 'retry' ? `the current token could not be validated now: ${reasons(own.reasons)}` : 'the current token is valid' });
}

async function finishSecret(deps: RotationDeps, event: RotationEvent, versions: Versions, deadline: number, secretsSeen: string[]): Promise<void> {
  const { store, logger } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  const from = versionWithLabel(versions, AWSCURRENT);
  // The candidate is judged here once more, just before the move: finishSecret promotes only what it judged itself,
  // whatever testSecret saw (a read that found nothing, a token revoked or a grant lost since).
  const stored = await store.get(secretId, { versionId });
  if (stored?.value === undefined) throw retry('finishSecret', versionId, `finishSecret: the candidate of version ${versionId} could not be read, so it is not promoted now.`);
  secretsSeen.push(stored.value.trim());
  const candidate = parseTokenSecret(stored.value);
  if (!candidate.ok) throw refused('finishSecret', versionId, `finishSecret: the candidate is malformed: ${candidate.reason}`);
  await judgeVersion(deps, 'finishSecret', event, candidate.value, deadline, secretsSeen);

  // Before the move: the demotion time on the version leaving AWSCURRENT (the revoke grace starts now), and a label on
  // the version about to lose AWSPREVIOUS, which DescribeSecret stops listing once it has none.
  let view = (await store.describe(secretId)).versions;
  if ((view[versionId] ?? []).includes(AWSCURRENT)) {
    logger.info(`finishSecret: version ${versionId} was promoted by a concurrent invocation; nothing to report twice`, { versionId });
    return;
  }
  if (versionWithLabel(view, AWSCURRENT) !== from) throw retry('finishSecret', versionId, 'finishSecret: AWSCURRENT moved while the candidate was judged; the retry judges it against the new one.');
  // Abandoned while it was judged (a newer version, a second hand-in, the printed advice took AWSPENDING): the token
  // stays under its own label or mark and is settled like any other; promoting it would undo what the operator did.
  if (!(view[versionId] ?? []).includes(AWSPENDING)) throw retry('finishSecret', versionId, `finishSecret: the rotation of version ${versionId} was abandoned while its candidate was judged (AWSPENDING is no longer on it), so it is not promoted.`);
  let labels = planFinishLabels(view, versionId, deps.now());
  if (labelsAfterPromotion(view, labels) > MAX_LABELS) {
    // No room under the quota (the move itself adds AWSPREVIOUS when there was none): the oldest parked tokens are
    // settled with the validated candidate as the caller, and a dead token being demoted needs no label.
    const meta = await graphFor(deps, deadline);
    const current = from ? parseTokenSecret((await store.get(secretId, { versionId: from }))?.value) : undefined;
    if (current?.ok) secretsSeen.push(current.value);
    const currentDead = meta && current?.ok ? (await meta.tokenIsDead(current.value)) === true : false;
    const skipDead = (l: typeof labels): typeof labels => (currentDead ? { remove: l.remove, add: l.add.filter((a) => a.versionId !== from) } : l);
    labels = skipDead(labels);
    const over = labelsAfterPromotion(view, labels) - MAX_LABELS;
    if (over > 0 && meta) {
      // The first revoke also puts TOKENGUARD_REVOKED on the secret: one more label, unless some version has it already.
      const markCost = versionWithLabel(view, REVOKED_LABEL) === undefined ? 1 : 0;
      await settleParked(deps, view, meta, candidate.value, { extraExcess: over + markCost });
      view = (await store.describe(secretId)).versions;
      labels = skipDead(planFinishLabels(view, versionId, deps.now()));
    }
    if (labelsAfterPromotion(view, labels) > MAX_LABELS) {
      throw retry('finishSecret', versionId, `finishSecret: the secret's ${MAX_LABELS} staging labels are full and Meta did not confirm revoking the oldest kept tokens (see the RevokeFailed log lines); the candidate is promoted once there is room.`);
    }
  }
  try {
    for (const r of labels.remove) await store.moveStage(secretId, r.label, undefined, r.versionId);
    for (const a of labels.add) await store.moveStage(secretId, a.label, a.versionId, undefined);
  } catch (e) {
    // A concurrent finishSecret for the same version may have moved the labels (and AWSCURRENT) first.
    if (((await store.describe(secretId).catch(() => undefined))?.versions[versionId] ?? []).includes(AWSCURRENT)) {
      logger.info(`finishSecret: version ${versionId} was promoted by a concurrent invocation; nothing to report twice`, { versionId });
      return;
    }
    throw retry('finishSecret', versionId, `finishSecret: could not record the demotion of the current token (${(e as Error).name}); AWSCURRENT is unchanged and the retry tries again.`);
  }
  // Compare-and-swap: the move names the version that holds AWSCURRENT now, so it fails (and the service retries
  // with a fresh view) if AWSCURRENT moved since DescribeSecret.
  try {
    await store.moveStage(secretId, AWSCURRENT, versionId, from);
  } catch (e) {
    // Refused by the service (the compare-and-swap lost): if AWSCURRENT is ours, a concurrent finishSecret moved it
    // and reports it. Any other failure may be a lost answer to a move that was applied: look before reporting.
    const name = (e as Error).name;
    const conflict = name === 'InvalidParameterException' || name === 'InvalidRequestException';
    const now = await store.describe(secretId).catch(() => undefined);
    const moved = (now?.versions[versionId] ?? []).includes(AWSCURRENT);
    if (moved && conflict) {
      logger.info(`finishSecret: version ${versionId} was promoted by a concurrent invocation; nothing to report twice`, { versionId });
      return;
    }
    if (!moved) throw retry('finishSecret', versionId, `finishSecret: could not move AWSCURRENT to version ${versionId} (${name}); AWSCURRENT is unchanged and the retry tries again.`);
    logger.info(`finishSecret: the move of AWSCURRENT to version ${versionId} was applied although its answer was lost`, { versionId });
  }
  // From here on AWSCURRENT has moved: nothing may report this rotation as failed.
  await reportRotation(deps, { kind: 'promoted', versionId, previous: from }, []);
  const after: Record<string, string[]> = {};
  for (const [id, stages] of Object.entries(view)) after[id] = stages.filter((s) => s !== AWSCURRENT && s !== AWSPREVIOUS);
  after[versionId] = [...(after[versionId] ?? []), AWSCURRENT];
  if (from) after[from] = [...(after[from] ?? []), AWSPREVIOUS];
  await finishCleanup(deps, secretId, versionId, after, deadline);
}

/**
 * After the promotion (and on every retry of finishSecret): AWSPENDING off the promoted version (a promotion ends with
 * no AWSPENDING, so an operator's rollback is never undone by a reattempted rotation), the issued mark (AWSCURRENT
 * covers the token now), a parked label on the promoted version, and the hand-in's own label. Idempotent, best
 * effort, never reported as a failure: AWSCURRENT has already moved.
 */
async function finishCleanup(deps: RotationDeps, secretId: string, versionId: string, versions: Versions, deadline: number): Promise<void> {
  const { store, logger } = deps;
  const tasks: [string, () => Promise<void>][] = [];
  const stages = versions[versionId] ?? [];
  if (stages.includes(AWSPENDING)) tasks.push([`drop ${AWSPENDING}`, () => store.moveStage(secretId, AWSPENDING, undefined, versionId)]);
  for (const p of parkedVersions(versions)) if (p.versionId === versionId) tasks.push([`drop ${p.label}`, () => store.moveStage(secretId, p.label, undefined, versionId)]);
  for (const label of stages.filter(isIssuedLabel)) tasks.push([`drop ${label}`, () => store.moveStage(secretId, label, undefined, versionId)]);
  const handIn = handInVersionId(versionId);
  for (const label of versions[handIn] ?? []) {
    if (label === CANDIDATE_LABEL || label.startsWith(HANDIN_LABEL_PREFIX)) tasks.push([`drop ${label}`, () => store.moveStage(secretId, label, undefined, handIn)]);
  }
  for (const [what, task] of tasks) {
    try {
      await task();
    } catch (e) {
      logger.warn(`finishSecret: could not ${what} (${(e as Error).name}); the promotion stands and a retry or the next check finishes it`, { versionId });
    }
  }
  // The demoted token is parked now: one more beyond the budget is settled at once.
  await settleOverBudget(deps, deadline);
}

/**
 * After a verdict against the candidate: keep it findable or revoke it, then take AWSPENDING off so the next
 * RotateSecret is not refused. A hand-in stays under its own TOKENGUARD_HANDIN_AT_ label (the operator's token: parked
 * like a demoted one, within the same budget); a token the guard obtained from Meta is revoked (it was never used),
 * and keeps TOKENGUARD_ISSUED until the revoke succeeds. A hand-in that has lost its label (written by an older
 * command) gets a refusal label. If that fails, the rotation ends without a verdict instead, so no token is left
 * unlabelled: AWSPENDING stays and the service's retry settles it.
 */
async function settleRefused(
  deps: RotationDeps,
  secretId: string,
  versionId: string,
  step: RotationStep,
  deadline: number,
  secretsSeen: string[],
  problems: readonly ReportedProblem[] = [],
): Promise<{ kind: 'settled' | 'no-verdict'; note?: string }> {
  const { store, logger } = deps;
  try {
    const { versions } = await store.describe(secretId);
    const stages = versions[versionId] ?? [];
    if (stages.includes(AWSCURRENT)) return { kind: 'settled' };
    const value = step === 'createSecret' ? undefined : await store.get(secretId, { versionId });
    if (value?.value !== undefined) secretsSeen.push(value.value.trim());
    let note: string | undefined;
    const handIn = handInVersionId(versionId);
    // A dead hand-in is as good as revoked, and one AWSCURRENT already holds needs no label of its own either.
    const dead = problems.some((p) => p.id === 'TokenInvalid');
    const handedIn = step === 'createSecret' ? parseTokenSecret((await store.get(secretId, { versionId: handIn }))?.value) : undefined;
    const alreadyCurrent = handedIn?.ok === true && (await currentToken(deps, secretId))?.token === handedIn.value;
    const parking = await parkHandIn(deps, secretId, versionId, versions, dead || alreadyCurrent);
    // Without a label of its own, the rotation waits (no verdict) rather than leave the hand-in unlabelled.
    if (parking.kind === 'unlabelled') return { kind: 'no-verdict', note: `The refused hand-in could not be labelled (${parking.error}); AWSPENDING stays until it is.` };
    if (parking.kind === 'dropped' && dead) note = 'The refused token is dead at Meta, so it is not kept.';
    if (parking.kind === 'parked') note = `The refused token stays findable as version ${parking.versionId} (${parking.label}); the guard keeps at most 10 such tokens and revokes the oldest beyond them.`;
    // The verdict ends the rotation: AWSPENDING goes first, so nothing revoked below is still a rotation's candidate
    // (the hand-in keeps its own label, an obtained token TOKENGUARD_ISSUED).
    if (stages.includes(AWSPENDING)) await store.moveStage(secretId, AWSPENDING, undefined, versionId);
    const marks = stages.filter(isIssuedLabel);
    if (marks.length) {
      const token = parseTokenSecret(value?.value);
      const meta = token.ok ? await graphFor(deps, deadline) : undefined;
      const done = token.ok && meta ? (await revokeHeld(deps, meta, token.value, (await currentToken(deps, secretId))?.token)).ok : false;
      if (done) for (const label of marks) await store.moveStage(secretId, label, undefined, versionId).catch(() => undefined);
      note = done ? 'The refused token the guard obtained was revoked at Meta.' : 'The refused token the guard obtained stays marked TOKENGUARD_ISSUED and is revoked by a later check.';
    }
    if (parking.kind === 'parked') await settleOverBudget(deps, deadline);
    return { kind: 'settled', note };
  } catch (e) {
    logger.warn('could not settle the refused candidate; AWSPENDING stays until the next attempt', { versionId, error: (e as Error).name });
    return { kind: 'no-verdict', note: `The refusal could not be recorded (${(e as Error).name}); AWSPENDING stays and the retry settles it.` };
  }
}
