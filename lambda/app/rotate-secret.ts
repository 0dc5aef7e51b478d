// The secret's rotation function: Secrets Manager's four steps, each idempotent, never promoting a token
// that fails the same validation as the scheduled check. See README "Rotation".
import { CANDIDATE_LABEL, Metric, REJECTED_LABEL, ReportedProblem, RotationEvent } from '../contract';
import { AWSCURRENT, AWSPENDING } from '../core/labels';
import { formatTokenSecret, parseTokenSecret } from '../core/parse-secret';
import { guardRotationStep, planFinish, refreshAllowed, versionWithLabel } from '../core/plan-rotation';
import { redact } from '../core/redact';
import { checkToken } from './check-token';
import { RotationDeps } from './ports';

/** A rotation step that must fail. Its message is safe to show: it never holds a token or secret. */
export class RotationError extends Error {
  constructor(
    message: string,
    /** The candidate's problems, when a check refused it (for the Rotation Failed event). */
    readonly problems?: readonly ReportedProblem[],
  ) {
    super(message);
    this.name = 'RotationError';
  }
}

/** Problems as one line for an error message: title (detail), and the fix where the operator must act. */
function reasons(problems: readonly ReportedProblem[], withFix = false): string {
  return problems.map((p) => `${p.title}${p.detail ? ` (${p.detail})` : ''}${withFix ? ` - ${p.fix}` : ''}`).join(withFix ? ' | ' : '; ');
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
    logger.info(`${step}: version ${versionId} is already AWSCURRENT; nothing to do`, { step, versionId });
    return;
  }

  const secretsSeen: string[] = [];
  try {
    switch (step) {
      case 'createSecret':
        await createSecret(deps, event, deadline, secretsSeen);
        break;
      case 'setSecret':
        // Meta tokens are live the moment they exist: there is no external system to update.
        logger.info('setSecret: nothing to set at Meta; the token is already live', { step, versionId });
        break;
      case 'testSecret':
        await testSecret(deps, event, deadline, secretsSeen);
        break;
      case 'finishSecret':
        await finishSecret(deps, event);
        break;
    }
  } catch (e) {
    const message = redact(e instanceof RotationError ? e.message : `${step}: ${(e as Error).name}: ${(e as Error).message}`, secretsSeen);
    deps.metrics.publish(config.tokenName, { [Metric.RotationFailed]: 1 });
    // A failed finishSecret keeps AWSPENDING so Secrets Manager's retry can still finish a validated token.
    const kept = step === 'finishSecret' ? undefined : await abandonCandidate(deps, secretId, versionId);
    logger.error(`${step}: rotation failed; AWSCURRENT is unchanged`, { step, versionId, reason: message, candidate: kept });
    await deps.rotations?.record(config.tokenName, { outcome: 'failed', versionId, step, reason: message, problems: e instanceof RotationError ? e.problems : undefined });
    throw new RotationError(message);
  }
}

async function createSecret(deps: RotationDeps, event: RotationEvent, deadline: number, secretsSeen: string[]): Promise<void> {
  const { store, config, logger } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  // Idempotent: if this version already holds a value, a retry must not mint or exchange a second token.
  const existing = await store.get(secretId, { versionId, stage: AWSPENDING });
  if (existing?.value !== undefined) {
    logger.info(`createSecret: version ${versionId} already holds a candidate; nothing to do`, { versionId });
    return;
  }

  let candidate: string;
  // A handed-in token wins in every mode: it is how an operator recovers a refresh/mint token that died.
  const handedIn = await store.get(secretId, { stage: CANDIDATE_LABEL });
  if (handedIn?.value !== undefined) {
    const parsed = parseTokenSecret(handedIn.value);
    secretsSeen.push(handedIn.value.trim());
    if (!parsed.ok) throw new RotationError(`createSecret: the handed-in token (version ${handedIn.versionId}) is malformed: ${parsed.reason}`);
    candidate = parsed.value;
  } else if (config.rotationMode === 'hand-made') {
    throw new RotationError(`createSecret: no token was handed in (no version carries ${CANDIDATE_LABEL}). Run \`npx --no-install whatsapp-token-guard set-token\`, which stages the new token and starts the rotation.`);
  } else {
    // refresh and mint both start from the live token: judge it first (and learn its expiry).
    const current = await checkToken(deps, { stage: AWSCURRENT }, deadline);
    secretsSeen.push(...current.secrets);
    const { report } = current;
    if (report.outcome === 'check-failed' || !current.graph || !current.token) {
      throw new RotationError(`createSecret: could not check the current token before ${config.rotationMode === 'refresh' ? 'refreshing' : 'minting'}: ${reasons(report.problems)}`);
    }
    if (!report.token?.valid) {
      throw new RotationError(`createSecret: the current token is invalid (${report.token?.invalidReason ?? 'unknown reason'}); Meta cannot ${config.rotationMode === 'refresh' ? 'exchange' : 'mint with'} a dead token. Generate a new token by hand and run \`npx --no-install whatsapp-token-guard set-token\`.`);
    }
    if (config.rotationMode === 'refresh') {
      const allowed = refreshAllowed(report.token.expiresAt);
      if (!allowed.ok) throw new RotationError(`createSecret: ${allowed.message}`);
      const r = await current.graph.exchangeToken(current.token);
      if (!r.ok) throw new RotationError(`createSecret: Meta refused or failed the token exchange (${r.failure.code !== undefined ? `code ${r.failure.code}: ` : ''}${r.failure.message}); the current token stays in use.`);
      candidate = r.token;
    } else {
      if (!config.systemUserId) throw new RotationError('createSecret: mint mode needs the system user id (`systemUserId` in cdk.json).');
      const r = await current.graph.mintSystemUserToken(config.systemUserId, current.token, config.requiredScopes, config.mintSixtyDayTokens);
      if (!r.ok) throw new RotationError(`createSecret: Meta refused to mint a token for system user ${config.systemUserId} (${r.failure.code !== undefined ? `code ${r.failure.code}: ` : ''}${r.failure.message}); the current token stays in use.`);
      candidate = r.token;
    }
    secretsSeen.push(candidate);
  }

  // Written as AWSPENDING before anything else can fail: a refreshed or minted token exists nowhere else.
  await store.put(secretId, versionId, formatTokenSecret(candidate), [AWSPENDING], event.RotationToken);
  logger.info(`createSecret: stored the ${handedIn?.value !== undefined ? 'handed-in' : config.rotationMode} candidate as version ${versionId} (AWSPENDING)`, { versionId, mode: config.rotationMode });
}

async function testSecret(deps: RotationDeps, event: RotationEvent, deadline: number, secretsSeen: string[]): Promise<void> {
  const { store, logger } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  const pending = await store.get(secretId, { versionId, stage: AWSPENDING });
  if (pending?.value === undefined) throw new RotationError(`testSecret: version ${versionId} has no value; createSecret did not complete.`);
  secretsSeen.push(pending.value.trim());
  const parsed = parseTokenSecret(pending.value);
  if (!parsed.ok) throw new RotationError(`testSecret: the candidate is malformed: ${parsed.reason}`);

  const { report, secrets } = await checkToken(deps, { token: parsed.value }, deadline);
  secretsSeen.push(...secrets);
  const blocking = report.problems.filter((p) => p.severity === 'critical');
  if (report.outcome === 'check-failed') {
    throw new RotationError(`testSecret: could not validate the candidate, so it is not promoted: ${reasons(blocking)}`, blocking);
  }
  if (blocking.length > 0) {
    throw new RotationError(`testSecret: the candidate is refused: ${reasons(blocking, true)}`, blocking);
  }
  logger.info(`testSecret: version ${versionId} passed validation`, { versionId, token: report.token, warnings: report.problems.map((p) => p.id) });
}

async function finishSecret(deps: RotationDeps, event: RotationEvent): Promise<void> {
  const { store, config, logger } = deps;
  const { SecretId: secretId, ClientRequestToken: versionId } = event;
  const { versions } = await store.describe(secretId);
  const plan = planFinish(versions, versionId);
  if (plan.kind === 'promote') {
    await store.moveStage(secretId, AWSCURRENT, versionId, plan.from);
    deps.metrics.publish(config.tokenName, { [Metric.RotationSucceeded]: 1 });
    logger.info(`finishSecret: version ${versionId} is now AWSCURRENT; ${plan.from ?? 'no version'} is AWSPREVIOUS`, { versionId, previous: plan.from });
    await deps.rotations?.record(config.tokenName, { outcome: 'rotated', versionId, reason: `version ${versionId} validated and promoted; ${plan.from ?? 'no version'} is AWSPREVIOUS` });
  }
  // The handed-in token has been promoted: clear the hand-in label so the next set-token starts clean.
  const handedIn = versionWithLabel(versions, CANDIDATE_LABEL);
  if (handedIn) await store.moveStage(secretId, CANDIDATE_LABEL, undefined, handedIn);
}

/**
 * After a failed create/set/test step: take AWSPENDING off the candidate so the next RotateSecret is not
 * refused, and keep a candidate that holds a value findable under TOKENGUARD_REJECTED (never deleted
 * without trace). Best effort: a failure here must not hide the rotation's own error.
 */
async function abandonCandidate(deps: RotationDeps, secretId: string, versionId: string): Promise<string | undefined> {
  try {
    const { versions } = await deps.store.describe(secretId);
    const stages = versions[versionId] ?? [];
    if (!stages.includes(AWSPENDING) || stages.includes(AWSCURRENT)) return undefined;
    const value = await deps.store.get(secretId, { versionId, stage: AWSPENDING });
    let kept: string | undefined;
    if (value?.value !== undefined) {
      const previouslyRejected = versionWithLabel(versions, REJECTED_LABEL);
      if (previouslyRejected !== versionId) await deps.store.moveStage(secretId, REJECTED_LABEL, versionId, previouslyRejected);
      kept = `version ${versionId} labelled ${REJECTED_LABEL}`;
    }
    await deps.store.moveStage(secretId, AWSPENDING, undefined, versionId);
    // refresh/mint rotate on a timer: a refused hand-in must not block every later automatic rotation.
    // Its copy is kept under TOKENGUARD_REJECTED; hand-made keeps it handed in for a retry.
    const handedIn = versionWithLabel(versions, CANDIDATE_LABEL);
    if (kept && handedIn && deps.config.rotationMode !== 'hand-made') await deps.store.moveStage(secretId, CANDIDATE_LABEL, undefined, handedIn);
    return kept;
  } catch (e) {
    deps.logger.warn('could not clear AWSPENDING after the failure; the next set-token/rotate clears it', { versionId, error: (e as Error).name });
    return undefined;
  }
}
