// The secret's rotation function: Secrets Manager's four steps as a state machine over staging labels. Every step
// is safe to run twice, concurrently, or again after a partial failure; a candidate is promoted only after it passed
// the same validation as the scheduled check; every token the guard obtains from Meta ends up AWSCURRENT,
// AWSPREVIOUS, labelled or revoked. The outcome of a rotation is decided in one place: `reportRotation`.
// See README "Rotation" for the diagram.
import { CANDIDATE_LABEL, CheckReport, ISSUED_LABEL, Metric, REJECTED_LABEL_PREFIX, ReportedProblem, RotationEvent, RotationStep } from '../contract';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../core/labels';
import { formatTokenSecret, parseTokenSecret } from '../core/parse-secret';
import { classifyGraphFailure, GraphFailure } from '../core/classify-graph-failure';
import {
  guardRotationStep,
  handInVersionId,
  judgeCandidate,
  LABEL_HEADROOM,
  labelCount,
  MAX_LABELS,
  MAX_PARKED,
  mintScopes,
  needsLiveComparison,
  parkedLabel,
  parkedVersions,
  planFinishLabels,
  refreshAllowed,
  versionWithLabel,
  Versions,
} from '../core/plan-rotation';
import { redact } from '../core/redact';
import { checkToken } from './check-token';
import { graphFor, heldElsewhere, revokeObtained, settleIssued, settleParked } from './settle-tokens';
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

const failureText = (f: GraphFailure): string => `${f.code !== undefined ? `code ${f.code}: ` : ''}${f.message}`;
/** Meta down or throttling: no verdict on the token (decided on Meta's code, see classifyGraphFailure). */
const noVerdictFrom = (f: GraphFailure): boolean => ['transient', 'rate-limited'].includes(classifyGraphFailure(f));
/** What Meta did, for the message: failed (down), is rate-limiting, or refused (a verdict). */
const metaDid = (f: GraphFailure): string => ({ transient: 'failed', 'rate-limited': 'is rate-limiting' })[classifyGraphFailure(f) as string] ?? 'refused';

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
    if (step === 'finishSecret') await finishCleanup(deps, secretId, versionId, state.versions);
    logger.info(`${step}: version ${versionId} is already AWSCURRENT; nothing to do`, { step, versionId });
    return;
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
        await testSecret(deps, event, deadline, secretsSeen);
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
      const note = await settleRefused(deps, secretId, versionId, step, deadline, secretsSeen, outcome.problems);
      if (note) outcome = { ...outcome, reason: `${outcome.reason} ${note}` };
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

  // A token handed in for exactly this rotation (set-token), found by id whatever happened to the label.
  const handIn = await store.get(secretId, { versionId: handInVersionId(versionId) });
  if (handIn?.value !== undefined) {
    secretsSeen.push(handIn.value.trim());
    const parsed = parseTokenSecret(handIn.value);
    if (!parsed.ok) throw refused('createSecret', versionId, `createSecret: the handed-in token (version ${handIn.versionId}) is malformed: ${parsed.reason}`);
    const current = await currentToken(deps, secretId);
    if (current?.token === parsed.value) throw refused('createSecret', versionId, `createSecret: the handed-in token is already the AWSCURRENT token (version ${current.versionId}); nothing to rotate.`);
    await putCandidate(deps, event, formatTokenSecret(parsed.value), [AWSPENDING]); // the same value twice is idempotent
    logger.info(`createSecret: stored the handed-in token as version ${versionId} (AWSPENDING)`, { versionId, handIn: handIn.versionId });
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
  // A conclusive debug_token verdict on the live token is all that is needed; probes do not matter here.
  if (!live.report.token || !live.graph || !live.token) {
    throw retry('createSecret', versionId, `createSecret: could not check the current token before ${verb}: ${reasons(live.report.problems)}`);
  }
  if (!live.report.token.valid) {
    throw refused('createSecret', versionId, `createSecret: the current token is invalid (${live.report.token.invalidReason ?? 'unknown reason'}); Meta cannot ${config.rotationMode === 'refresh' ? 'exchange' : 'mint with'} a dead token. Generate a new token by hand and run \`npx --no-install whatsapp-token-guard set-token\`.`);
  }
  // Meta is throttling the app or WABA: no more calls now (no settling, no new token); Secrets Manager retries.
  if (live.graph.rateLimited) throw retry('createSecret', versionId, `createSecret: Meta is rate-limiting the app or WhatsApp Business Account (${failureText(live.graph.rateLimited)}); no new token is obtained until it stops.`);
  const settled = await settleIssued(deps, versions, live.graph, live.token);
  if (!settled.ok) throw retry('createSecret', versionId, `createSecret: an earlier token the guard obtained (version ${settled.versionId}) is not revoked yet (${settled.reason}); no new token is obtained until it is.`);
  // Each new token parks one more earlier token: settle the due ones first, and obtain none while the guard already
  // keeps more than the label quota has room for (a verdict, so AWSPENDING does not stay stuck).
  const parked = await settleParked(deps, versions, live.graph, live.token);
  if (live.graph.rateLimited) throw retry('createSecret', versionId, `createSecret: Meta is rate-limiting the app (${failureText(live.graph.rateLimited)}) while the guard settled earlier tokens; no new token is obtained until it stops.`);
  if (parked > MAX_PARKED + 2) {
    throw refused('createSecret', versionId, `createSecret: ${parked} earlier tokens are kept under TOKENGUARD_DEMOTED_AT_/TOKENGUARD_REJECTED_AT_ labels and Meta did not confirm revoking them (see the RevokeFailed log lines), so no new token is obtained. Revoke them by hand in Business Settings > System users, remove their labels with \`aws secretsmanager update-secret-version-stage\`, then rotate again.`);
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

  // Written as AWSPENDING and TOKENGUARD_ISSUED before anything else can fail: the new token exists nowhere else.
  let stored: 'stored' | 'already-populated';
  const value = formatTokenSecret(candidate);
  try {
    stored = await putCandidate(deps, event, value, [AWSPENDING, ISSUED_LABEL]);
  } catch (e) {
    // The write may have been applied with only its answer lost: look before revoking anything.
    const there = await store.get(secretId, { versionId }).catch(() => undefined);
    if (there?.value === value) stored = 'stored';
    else if (there?.value !== undefined) stored = 'already-populated';
    else {
      // The write failed: the new token is held nowhere, so revoke it now rather than leave a live token behind.
      const revoked = await revokeObtained(deps, candidate, live.token, deadline, live.graph);
      logger.warn(`createSecret: could not store the new token (${(e as Error).name}); ${revoked ? 'revoked it at Meta' : 'its revoke failed too'}`, { versionId });
      throw e;
    }
  }
  if (stored === 'already-populated') {
    // Lambda ran createSecret twice at once for this version and the other invocation stored its token first:
    // that one is the candidate; ours is held nowhere, so it is revoked.
    await revokeObtained(deps, candidate, live.token, deadline, live.graph);
    logger.info(`createSecret: version ${versionId} was already populated by a concurrent invocation; revoked the duplicate token`, { versionId });
    return;
  }
  logger.info(`createSecret: stored the ${config.rotationMode === 'refresh' ? 'refreshed' : 'minted'} token as version ${versionId} (AWSPENDING, ${ISSUED_LABEL})`, { versionId, mode: config.rotationMode });
}

/** PutSecretValue for the rotation's version. ResourceExistsException with a value there means "already populated". */
async function putCandidate(deps: RotationDeps, event: RotationEvent, value: string, stages: string[]): Promise<'stored' | 'already-populated'> {
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  try {
    await deps.store.put(secretId, versionId, value, stages, event.RotationToken);
    return 'stored';
  } catch (e) {
    if ((e as Error).name === 'ResourceExistsException' && (await deps.store.get(secretId, { versionId }))?.value !== undefined) return 'already-populated';
    throw e;
  }
}

async function testSecret(deps: RotationDeps, event: RotationEvent, deadline: number, secretsSeen: string[]): Promise<void> {
  const { store } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  const pending = await store.get(secretId, { versionId });
  const current = await store.get(secretId, { stage: AWSCURRENT });
  if (pending?.value !== undefined) secretsSeen.push(pending.value.trim());
  // Secrets Manager calls testSecret only after createSecret succeeded, which always writes a value different from
  // AWSCURRENT. An empty version, or one holding the AWSCURRENT value, is the service's own test-only run
  // (RotateImmediately=false, on every deploy of the schedule): validate, and touch no label.
  if (pending?.value === undefined || (current?.value !== undefined && pending.value === current.value)) {
    return testOnlyRun(deps, versionId, current?.value !== undefined, deadline, secretsSeen);
  }
  const parsed = parseTokenSecret(pending.value);
  if (!parsed.ok) throw refused('testSecret', versionId, `testSecret: the candidate is malformed: ${parsed.reason}`);

  const candidate = await checkToken(deps, { token: parsed.value }, deadline);
  secretsSeen.push(...candidate.secrets);
  let live: CheckReport | undefined;
  if (needsLiveComparison(candidate.report) && current?.value !== undefined) {
    // Through the candidate's client: after a throttle it sends nothing more, and the live check reports the same throttle.
    const l = await checkToken(deps, { stage: AWSCURRENT }, deadline, { graph: candidate.graph, skipProbesWhenBusy: false });
    secretsSeen.push(...l.secrets);
    live = l.report;
  }
  // A token the guard obtained (TOKENGUARD_ISSUED) was refreshed or minted from the live one: the same grants.
  const derivedFromLive = (await store.describe(secretId)).versions[versionId]?.includes(ISSUED_LABEL) === true;
  const judgement = judgeCandidate(candidate.report, live, { derivedFromLive });
  if (judgement.kind === 'refuse') throw refused('testSecret', versionId, `testSecret: the candidate is refused: ${reasons(judgement.reasons, true)}`, judgement.reasons);
  if (judgement.kind === 'retry') throw retry('testSecret', versionId, `testSecret: could not validate the candidate, so it is not promoted yet: ${reasons(judgement.reasons)}`, judgement.reasons);
  deps.logger.info(`testSecret: version ${versionId} passed validation`, {
    versionId,
    token: candidate.report.token,
    // Problems the live token shares (WABA, number, app setup): reported, not blocking.
    sharedProblems: judgement.warnings.map((p) => p.id),
    warnings: candidate.report.problems.filter((p) => p.severity === 'warning').map((p) => p.id),
  });
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
  // Just before the move, once more: is the candidate still valid at Meta? Something may have revoked it since
  // testSecret (an operator, or the guard's own revoke of an old copy of the same token).
  // Without the app secret the step relies on testSecret's verdict.
  const meta = await graphFor(deps, deadline);
  const candidate = parseTokenSecret((await store.get(secretId, { versionId }))?.value);
  if (candidate.ok) secretsSeen.push(candidate.value);
  if (meta && candidate.ok && (await meta.tokenIsDead(candidate.value)) === true) {
    throw refused('finishSecret', versionId, 'finishSecret: the candidate is no longer valid at Meta (revoked or expired since testSecret), so it is not promoted; AWSCURRENT is unchanged.');
  }
  // Before the move: the demotion time on the version leaving AWSCURRENT (the revoke grace starts now), and a label on
  // the version about to lose AWSPREVIOUS, which DescribeSecret stops listing once it has none.
  let view = versions;
  let labels = planFinishLabels(view, versionId, deps.now());
  if (labelCount(view) + labels.add.length - labels.remove.length > MAX_LABELS && meta && candidate.ok) {
    // No room under the quota: a dead token being demoted needs no label, and the oldest parked tokens are settled
    // with the validated candidate as the caller.
    const current = from ? parseTokenSecret((await store.get(secretId, { versionId: from }))?.value) : undefined;
    const currentDead = current?.ok ? (await meta.tokenIsDead(current.value)) === true : false;
    if (current?.ok) secretsSeen.push(current.value);
    if (currentDead) labels = { remove: labels.remove, add: labels.add.filter((a) => a.versionId !== from) };
    const over = labelCount(view) + labels.add.length - labels.remove.length - MAX_LABELS;
    if (over > 0) {
      await settleParked(deps, view, meta, candidate.value, over);
      view = (await store.describe(secretId)).versions;
      labels = planFinishLabels(view, versionId, deps.now());
      if (currentDead) labels = { remove: labels.remove, add: labels.add.filter((a) => a.versionId !== from) };
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
  await finishCleanup(deps, secretId, versionId, after);
}

/**
 * Revokes a refused hand-in for want of label room: with the live token as the caller, or, when Meta says the 190 is
 * about that caller (the live token is dead), with the refused token itself. One client, so a throttle stops both.
 */
async function revokeForRoom(deps: RotationDeps, secretId: string, token: string, deadline: number): Promise<boolean> {
  const meta = await graphFor(deps, deadline);
  if (!meta) return false;
  const live = (await currentToken(deps, secretId))?.token;
  let r = live !== undefined && live !== token ? await meta.revokeToken(token, live) : undefined;
  if (!r || (!r.ok && r.failure.code === 190 && !r.failure.notSent)) r = await meta.revokeToken(token, token);
  if (r.ok) return true;
  if (!r.failure.notSent) deps.metrics.publish(deps.config.tokenName, { [Metric.RevokeFailed]: 1 });
  deps.logger.warn('could not revoke the refused hand-in', { code: r.failure.code, reason: r.failure.message });
  return false;
}

/**
 * After the promotion (and on every retry of finishSecret): drop the issued mark (AWSCURRENT covers the token now), a
 * parked label on the promoted version, and this rotation's hand-in label. Idempotent, best effort, never reported
 * as a failure: AWSCURRENT has already moved.
 */
async function finishCleanup(deps: RotationDeps, secretId: string, versionId: string, versions: Versions): Promise<void> {
  const { store, logger } = deps;
  const tasks: [string, () => Promise<void>][] = [];
  for (const p of parkedVersions(versions)) if (p.versionId === versionId) tasks.push([`drop ${p.label}`, () => store.moveStage(secretId, p.label, undefined, versionId)]);
  if ((versions[versionId] ?? []).includes(ISSUED_LABEL)) tasks.push([`drop ${ISSUED_LABEL}`, () => store.moveStage(secretId, ISSUED_LABEL, undefined, versionId)]);
  const handIn = handInVersionId(versionId);
  if (versionWithLabel(versions, CANDIDATE_LABEL) === handIn) tasks.push([`drop ${CANDIDATE_LABEL}`, () => store.moveStage(secretId, CANDIDATE_LABEL, undefined, handIn)]);
  for (const [what, task] of tasks) {
    try {
      await task();
    } catch (e) {
      logger.warn(`finishSecret: could not ${what} (${(e as Error).name}); the promotion stands and a retry or the next check finishes it`, { versionId });
    }
  }
}

/**
 * After a verdict against the candidate: keep it findable or revoke it, then take AWSPENDING off so the next
 * RotateSecret is not refused. A hand-in stays under TOKENGUARD_REJECTED_AT_<unix> (the operator's own token); a token the guard
 * obtained from Meta is revoked (it was never used), and keeps TOKENGUARD_ISSUED until the revoke succeeds.
 * Best effort: a failure here must not hide the verdict.
 */
async function settleRefused(deps: RotationDeps, secretId: string, versionId: string, step: RotationStep, deadline: number, secretsSeen: string[], problems: readonly ReportedProblem[] = []): Promise<string | undefined> {
  const { store, logger } = deps;
  try {
    const { versions } = await store.describe(secretId);
    const stages = versions[versionId] ?? [];
    if (stages.includes(AWSCURRENT)) return undefined;
    const value = step === 'createSecret' ? undefined : await store.get(secretId, { versionId });
    if (value?.value !== undefined) secretsSeen.push(value.value.trim());
    if (stages.includes(ISSUED_LABEL)) {
      const current = await currentToken(deps, secretId);
      const token = parseTokenSecret(value?.value);
      const done = current?.token && token.ok ? await revokeObtained(deps, token.value, current.token, deadline) : false;
      if (done) await store.moveStage(secretId, ISSUED_LABEL, undefined, versionId);
    }
    // Each refused hand-in keeps a label of its own (a dead one needs none): a second refusal must not leave the
    // first one unlabelled. But never at the cost of the next hand-in: with fewer than LABEL_HEADROOM labels left
    // (the live token is dead, so the check settles nothing, and refusals pile up), it is revoked at Meta instead.
    // A label that cannot be added never keeps AWSPENDING, so it never blocks the next RotateSecret.
    const keep = !stages.includes(ISSUED_LABEL) && value?.value !== undefined && !problems.some((p) => p.id === 'TokenInvalid') && !parkedVersions(versions).some((p) => p.versionId === versionId);
    const handIn = handInVersionId(versionId);
    const ownLabels = (versionWithLabel(versions, CANDIDATE_LABEL) === handIn ? 1 : 0) + (stages.includes(AWSPENDING) ? 1 : 0);
    const roomy = labelCount(versions) - ownLabels + 1 <= MAX_LABELS - LABEL_HEADROOM;
    const label = parkedLabel(REJECTED_LABEL_PREFIX, deps.now(), versions);
    const park = (): Promise<boolean> => store.moveStage(secretId, label, versionId, undefined).then(() => true, () => false);
    let kept = keep && roomy && (await park());
    if (ownLabels && versionWithLabel(versions, CANDIDATE_LABEL) === handIn) await store.moveStage(secretId, CANDIDATE_LABEL, undefined, handIn);
    if (stages.includes(AWSPENDING)) await store.moveStage(secretId, AWSPENDING, undefined, versionId);
    if (keep && !kept) {
      const token = parseTokenSecret(value?.value);
      // The same token under another label (an operator handed AWSPREVIOUS in again): it is findable there, never revoked.
      // (Not this rotation's own versions: their labels just came off.)
      // A read that fails counts as "not held elsewhere": the token is then revoked or parked, never left unlabelled.
      const elsewhere = token.ok && (await heldElsewhere(deps, versions, token.value, [versionId, handIn]).catch(() => false));
      if (elsewhere) return 'The same token is kept in another version of the secret.';
      const revoked = token.ok && (await revokeForRoom(deps, secretId, token.value, deadline));
      if (revoked) {
        logger.info('revoked the refused hand-in at Meta: the secret keeps the staging labels free for the next hand-in', { versionId });
        return 'The refused token was revoked at Meta: the secret keeps its last staging labels free for the next hand-in.';
      }
      kept = await park();
      if (!kept) logger.warn('could not label or revoke the refused hand-in; it is not kept in the secret, the operator still has it', { versionId });
    }
  } catch (e) {
    logger.warn('could not settle the refused candidate; AWSPENDING may stay until the next attempt', { versionId, error: (e as Error).name });
  }
  return undefined;
}
