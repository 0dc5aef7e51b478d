// The five operator commands. Each returns its exit status; errors are thrown as CliError.
import { HealthLedger, HistoryEntry, LedgerState } from '../../lambda/adapters/health-ledger';
import { randomUUID } from 'node:crypto';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSecretCommand, ListSecretVersionIdsCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { HANDIN_LABEL_PREFIX, Problem, REJECTED_LABEL_PREFIX } from '../../lambda/contract';
import { AWSCURRENT } from '../../lambda/core/labels';
import { formatAppSecret } from '../../lambda/core/parse-secret';
import { handInVersionId, versionWithLabel } from '../../lambda/core/plan-rotation';
import { Target } from './aws';
import { CliError } from './errors';
import { renderProblems, renderReport } from './render';
import { handInToken } from './hand-in';
import { describeVersions, invokeCheck, refuseIfRotating, rotateAndWait, RotationOutcome, Session, waitForRotation } from './session';

/** check: 0 healthy, 1 unhealthy, 2 could not check. */
export async function check(s: Session, target: Target): Promise<number> {
  const report = await invokeCheck(s, target);
  if (s.json) s.out(JSON.stringify(report, null, 2));
  else {
    s.out(renderReport(report, s.style));
    if (report.problems.some((p) => p.id === 'GraphUnavailable')) s.out(`\nMeta's Graph API was unreachable from the function; this says nothing about the token. Retry later, or see https://metastatus.com.`);
    if (report.problems.some((p) => p.id === 'GraphRateLimited')) s.out(`\nMeta is rate-limiting the app or WhatsApp Business Account; this says nothing about the token, and retrying now extends the block. Wait, then check again.`);
  }
  return report.outcome === 'healthy' ? 0 : report.outcome === 'unhealthy' ? 1 : 2;
}

async function explainFailedRotation(s: Session, target: Target, outcome: Extract<RotationOutcome, { kind: 'failed' }>, currentBefore: string | undefined, handedIn?: string): Promise<number> {
  // The function judged this rotation's candidate. A refused live hand-in is kept under TOKENGUARD_REJECTED_AT_<unix>
  // (or its own hand-in label) on this rotation's version or on its hand-in, so ask the function again about exactly
  // that version. Otherwise the reason the function recorded in the health ledger for THIS rotation (its version id)
  // says why: a refused refresh or mint, a dead hand-in. Without one, set-token asks about the value it still has in
  // hand (never logged).
  const versions = await describeVersions(s, target.tokenSecretArn);
  const keptLabel = (id: string): string | undefined => (versions[id] ?? []).find((l) => l.startsWith(REJECTED_LABEL_PREFIX) || l.startsWith(HANDIN_LABEL_PREFIX));
  const keptIn = [outcome.versionId, handInVersionId(outcome.versionId)].find((id) => keptLabel(id) !== undefined);
  const keptAs = keptIn === undefined ? undefined : keptLabel(keptIn);
  const kept = keptIn !== undefined;
  const reason = kept ? undefined : await recordedReason(s, target, outcome.versionId);
  const report = kept ? await invokeCheck(s, target, { versionId: keptIn }) : !reason && handedIn !== undefined ? await invokeCheck(s, target, { value: handedIn }) : undefined;
  const unchanged = outcome.current === currentBefore;
  if (s.json) {
    s.out(JSON.stringify({ outcome: 'rotation-failed', versionId: outcome.versionId, currentUnchanged: unchanged, currentVersionId: outcome.current, candidate: report, reason }, null, 2));
  } else {
    s.out(s.style.bad(`✗ Rotation refused: the new token was not promoted.`));
    if (report && report.problems.length) s.out([s.style.bold('Why'), ...renderProblems(report.problems, s.style)].join('\n'));
    else if (reason) s.out([s.style.bold('Why'), `  ${reason}`].join('\n'));
    else s.out("  The rotation ended without a recorded reason; the function's log group has it (RotationFailed).");
    if (kept) s.out(`  The refused token is kept as version ${keptIn} (${keptAs}); it was never AWSCURRENT.`);
    s.out(
      unchanged
        ? s.style.ok(`AWSCURRENT is unchanged (version ${outcome.current ?? 'none'}): consumers keep the token they had.`)
        : s.style.warn(`AWSCURRENT moved from ${currentBefore} to ${outcome.current} during the rotation (another change?). Run status.`),
    );
    s.out(`The secret is ready for the next attempt: fix the cause above and run the command again.`);
  }
  return 1;
}

/**
 * The reason the function recorded in the health ledger for the rotation `versionId`. The function records it just
 * after it takes AWSPENDING off (which is how the command saw the rotation end), so wait a few seconds for it.
 */
async function recordedReason(s: Session, target: Target, versionId: string): Promise<string | undefined> {
  if (!target.ledgerTableName) return undefined;
  const t0 = s.now();
  for (;;) {
    const state = (await readLedger(s, target).catch(() => undefined))?.state;
    if (state?.lastRotationVersionId === versionId) return state.lastRotationOutcome === 'failed' ? state.lastRotationReason : undefined;
    if (s.now() - t0 >= LEDGER_WAIT_MS) return undefined;
    await s.sleep(s.pollIntervalMs);
  }
}
/** How long the command waits for the function's record of a rotation that just ended. */
const LEDGER_WAIT_MS = 10_000;

async function reportPromotion(s: Session, target: Target, outcome: Extract<RotationOutcome, { kind: 'promoted' }>, first = false): Promise<number> {
  const report = await invokeCheck(s, target);
  if (s.json) s.out(JSON.stringify({ outcome: 'promoted', versionId: outcome.versionId, previousVersionId: outcome.previous, report }, null, 2));
  else {
    s.out(
      s.style.ok(
        first
          ? `✓ Token validated and stored as the first token: version ${outcome.versionId} is AWSCURRENT.`
          : `✓ New token validated and promoted: version ${outcome.versionId} is AWSCURRENT${outcome.previous ? `, ${outcome.previous} is AWSPREVIOUS` : ''}.`,
      ),
    );
    s.out(renderReport(report, s.style));
  }
  return report.outcome === 'healthy' ? 0 : 1;
}

function timeoutExit(s: Session, target: Target, versionId: string, seconds: number): number {
  s.out(s.style.warn(`The rotation (version ${versionId}) is still running after ${seconds} s (Secrets Manager retries a step that could not reach a verdict). Run "npx --no-install whatsapp-token-guard status --token ${target.tokenName}" in a minute; AWSCURRENT moves only if the token passes validation.`));
  return 2;
}

/**
 * set-token. The hand-in is bound to its own rotation: the command picks the rotation's ClientRequestToken first,
 * stores the token as version `handInVersionId(rotation)`, starts RotateSecret with that token and reports only on it.
 */
export async function setToken(s: Session, target: Target, token: string, timeoutSeconds: number): Promise<number> {
  const h = await handInToken(s, target, token);
  if (h.kind === 'first') return reportPromotion(s, target, { kind: 'promoted', versionId: h.versionId }, true);
  if (h.kind === 'not-stored') {
    const { judgement, report } = h;
    if (s.json) s.out(JSON.stringify({ outcome: judgement.kind === 'refuse' ? 'refused' : 'not-validated', stored: false, report }, null, 2));
    else {
      s.out(s.style.bad(judgement.kind === 'refuse' ? '✗ The token failed validation. Nothing was stored.' : '✗ The token could not be validated now. Nothing was stored.'));
      s.out(renderProblems(judgement.reasons, s.style).join('\n'));
      s.out(judgement.kind === 'refuse' ? 'Fix the cause above and run set-token again.' : "Meta or the function's configuration was in the way; run set-token again later.");
    }
    return judgement.kind === 'refuse' ? 1 : 2;
  }
  const { rotationId, currentBefore } = h;
  const outcome = await waitForRotation(s, target, rotationId, timeoutSeconds * 1000);
  if (outcome.kind === 'promoted') return reportPromotion(s, target, outcome);
  if (outcome.kind === 'timeout') return timeoutExit(s, target, outcome.versionId, timeoutSeconds);
  const code = await explainFailedRotation(s, target, outcome, currentBefore, token);
  if (target.rotationMode === 'refresh' || target.rotationMode === 'mint') {
    // Secrets Manager may count the refused hand-in as a rotation when it computes the next automatic one (documented
    // for AutomaticallyAfterDays, unconfirmed for rate()), pushing the next refresh towards the live token's expiry.
    // A rotation now restarts that clock with a new token either way.
    s.out(`Following the refused hand-in with a ${target.rotationMode} rotation, so the next automatic rotation is not pushed back:`);
    const follow = await rotateAndWait(s, target, timeoutSeconds * 1000);
    if (follow.kind === 'promoted') await reportPromotion(s, target, follow);
    else if (follow.kind === 'timeout') timeoutExit(s, target, follow.versionId, timeoutSeconds);
    else await explainFailedRotation(s, target, follow, outcome.current);
  }
  return code;
}

export async function rotate(s: Session, target: Target, timeoutSeconds: number): Promise<number> {
  if (target.rotationMode === 'hand-made') {
    throw new CliError(`Token "${target.tokenName}" uses hand-made rotation: there is nothing to rotate to until you hand in a new token. Run "npx --no-install whatsapp-token-guard set-token --token ${target.tokenName}".`);
  }
  const versions = await refuseIfRotating(s, target);
  const outcome = await rotateAndWait(s, target, timeoutSeconds * 1000);
  if (outcome.kind === 'promoted') return reportPromotion(s, target, outcome);
  if (outcome.kind === 'failed') return explainFailedRotation(s, target, outcome, versionWithLabel(versions, AWSCURRENT));
  return timeoutExit(s, target, outcome.versionId, timeoutSeconds);
}

/** set-app-secret: stores the value, then proves it works; a value Meta refuses is rolled back. */
export async function setAppSecret(s: Session, target: Target, appSecret: string): Promise<number> {
  const before = versionWithLabel(await describeVersions(s, target.appSecretArn), AWSCURRENT);
  const put = await s.clients.secrets.send(new PutSecretValueCommand({ SecretId: target.appSecretArn, ClientRequestToken: randomUUID(), SecretString: formatAppSecret(appSecret) }));
  const report = await invokeCheck(s, target);
  if (report.problems.some((p) => p.id === 'AppTokenRejected')) {
    if (before && put.VersionId) {
      await s.clients.secrets.send(new UpdateSecretVersionStageCommand({ SecretId: target.appSecretArn, VersionStage: AWSCURRENT, MoveToVersionId: before, RemoveFromVersionId: put.VersionId }));
    }
    s.out([s.style.bad('✗ Meta refused the app token built from this app secret.'), ...renderProblems(report.problems, s.style), before ? `The previous app secret (version ${before}) is AWSCURRENT again.` : 'No earlier app secret existed; the refused one stays stored until you replace it.'].join('\n'));
    return 1;
  }
  if (report.problems.some((p) => p.id === 'TokenNotSet')) {
    s.out(s.style.warn('App secret stored. It cannot be verified until a token is stored: run "npx --no-install whatsapp-token-guard set-token" next.'));
    return 0;
  }
  if (report.outcome === 'check-failed') {
    s.out([s.style.warn('App secret stored, but it could not be verified now:'), ...renderProblems(report.problems, s.style), 'Run "npx --no-install whatsapp-token-guard check" later to confirm it.'].join('\n'));
    return 2;
  }
  s.out(s.style.ok('✓ App secret stored and accepted by Meta (debug_token answered).'));
  if (!s.json) s.out(renderReport(report, s.style));
  return 0;
}

export async function status(s: Session, target: Target): Promise<number> {
  const [secret, list, app] = await Promise.all([
    s.clients.secrets.send(new DescribeSecretCommand({ SecretId: target.tokenSecretArn })),
    s.clients.secrets.send(new ListSecretVersionIdsCommand({ SecretId: target.tokenSecretArn })),
    s.clients.secrets.send(new DescribeSecretCommand({ SecretId: target.appSecretArn })),
  ]);
  const alarmNames = [...target.alarmNames];
  const alarms = alarmNames.length ? await s.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })) : undefined;
  // The last check and the rotations come from the health ledger, the function's own record of each: metric buckets
  // hide a later check behind an earlier one of the same 5 minutes, and put a failed and a succeeded rotation of one
  // day in the same daily bucket.
  const ledger = await readLedger(s, target);
  const health = ledger?.state ? healthSummary(ledger.state, ledger.last) : undefined;
  const rotations = ledger?.state ? await rotationHistory(s, target) : undefined;

  const versions = (list.Versions ?? []).map((v) => ({ versionId: v.VersionId, stages: v.VersionStages ?? [], created: v.CreatedDate?.toISOString() }));
  const summary = {
    tokenName: target.tokenName,
    rotationMode: target.rotationMode,
    tokenSecretArn: target.tokenSecretArn,
    rotationEnabled: secret.RotationEnabled === true,
    lastRotated: secret.LastRotatedDate?.toISOString(),
    nextRotation: secret.NextRotationDate?.toISOString(),
    versions,
    appSecretStored: Object.values(app.VersionIdsToStages ?? {}).some((st) => st.includes(AWSCURRENT)),
    lastCheck: health?.lastCheckAt ? { at: health.lastCheckAt, failed: health.status === 'check-failed' } : undefined,
    lastRotation: health?.lastRotation,
    lastRotationSucceeded: rotations?.succeeded,
    lastRotationFailed: rotations?.failed,
    alarms: [...(alarms?.MetricAlarms ?? []), ...(alarms?.CompositeAlarms ?? [])].map((a) => ({ name: a.AlarmName, state: a.StateValue, since: a.StateUpdatedTimestamp?.toISOString(), reason: a.StateReason })),
  };
  const bad = summary.alarms.some((a) => a.state === 'ALARM') || health?.status === 'unhealthy';
  if (s.json) {
    s.out(JSON.stringify({ ...summary, health: health ?? (ledger?.error ? { error: ledger.error } : undefined) }, null, 2));
    return bad ? 1 : 0;
  }
  const st = s.style;
  const last = summary.lastRotation;
  const lines = [
    st.bold(`Token "${target.tokenName}"`) + st.dim(`  (${target.rotationMode} rotation)`),
    `  Secret          ${target.tokenSecretArn}`,
    `  Rotation        ${summary.rotationEnabled ? 'configured' : st.bad('not configured')}; last ${summary.lastRotated ?? 'never'}${summary.nextRotation ? `; next ${summary.nextRotation}` : ''}`,
    `  Last outcome    ${last ? `${last.outcome === 'failed' ? st.bad(`failed ${last.at}`) : st.ok(`succeeded ${last.at}`)}${last.reason ? st.dim(`  ${last.reason}`) : ''}` : ledger?.state ? 'no rotation recorded' : st.dim('unknown (see Health)')}`,
    `  App secret      ${summary.appSecretStored ? st.ok('stored') : st.bad('not stored: run "npx --no-install whatsapp-token-guard set-app-secret"')}`,
    ...healthLines(st, target, ledger, health),
    `  Last check      ${summary.lastCheck ? `${summary.lastCheck.at} ${summary.lastCheck.failed ? st.warn('(could not reach a verdict)') : st.ok('(verdict reached)')}` : ledger?.state || !ledger || ledger.error ? st.dim('unknown (see Health)') : st.bad('none recorded yet')}`,
    '  Versions (values are never shown)',
    ...versions.map((v) => `    ${v.versionId}  ${v.created ?? ''}  ${v.stages.join(', ')}`),
    '  Alarms',
    ...summary.alarms.map((a) => `    ${a.state === 'OK' ? st.ok('OK   ') : a.state === 'ALARM' ? st.bad('ALARM') : st.warn('NODATA')} ${a.name}${a.since ? st.dim(`  since ${a.since}`) : ''}`),
  ];
  s.out(lines.join('\n'));
  return bad ? 1 : 0;
}

/** How far back `status` looks in the ledger's history for the last succeeded and the last failed rotation. */
const ROTATION_HISTORY_ENTRIES = 100;

/** The last succeeded and the last failed rotation in the ledger's history (kept 90 days). */
async function rotationHistory(s: Session, target: Target): Promise<{ succeeded?: string; failed?: string } | undefined> {
  if (!target.ledgerTableName || !target.ledgerKey) return undefined;
  const r = await new HealthLedger(target.ledgerTableName, s.clients.dynamodb).history(target.ledgerKey, ROTATION_HISTORY_ENTRIES);
  if (!r.ok) return undefined;
  const newest = (to: string): string | undefined => r.value.find((h) => h.kind === 'rotation' && h.to === to)?.at;
  return { succeeded: newest('rotated'), failed: newest('failed') };
}

interface LedgerRead {
  readonly state?: LedgerState;
  readonly last?: HistoryEntry;
  readonly error?: string;
}

/** The token's ledger row and its newest history line, read directly (the function is not invoked). */
async function readLedger(s: Session, target: Target): Promise<LedgerRead | undefined> {
  if (!target.ledgerTableName || !target.ledgerKey) return undefined;
  const ledger = new HealthLedger(target.ledgerTableName, s.clients.dynamodb);
  const [state, history] = await Promise.all([ledger.read(target.ledgerKey), ledger.history(target.ledgerKey, 1)]);
  if (!state.ok) return { error: state.error };
  return { state: state.value, last: history.ok ? history.value[0] : undefined };
}

function healthSummary(state: LedgerState, last: HistoryEntry | undefined) {
  return {
    status: state.status,
    problems: (state.problemIds ?? []).map((id) => ({ id, title: Problem[id]?.title ?? id })),
    lastCheckAt: state.lastCheckAt,
    expiresAt: state.expiresAt,
    lastChange: last ? { at: last.at, from: last.from, to: last.to, cause: last.cause } : state.notified ? { at: state.notified.at, to: state.notified.status } : undefined,
    lastRotation: state.lastRotationAt ? { at: state.lastRotationAt, outcome: state.lastRotationOutcome, reason: state.lastRotationReason } : undefined,
  };
}

function healthLines(st: Session['style'], target: Target, ledger: LedgerRead | undefined, h: ReturnType<typeof healthSummary> | undefined): string[] {
  if (!ledger) return [`  Health          ${st.dim('no health ledger in this stack (deployed before it existed): redeploy to get one')}`];
  if (ledger.error) return [`  Health          ${st.warn(`the health ledger could not be read (${ledger.error}); your credentials need dynamodb:GetItem and dynamodb:Query on ${target.ledgerTableName}`)}`];
  if (!h) return [`  Health          ${st.dim('nothing recorded yet: the first check writes it')}`];
  const label = h.status === 'healthy' ? st.ok('HEALTHY') : h.status === 'unhealthy' ? st.bad('UNHEALTHY') : st.warn(String(h.status).toUpperCase());
  return [
    `  Health          ${label}${h.problems.length ? `: ${h.problems.map((p) => p.title).join('; ')}` : ''}${st.dim(`  (ledger, last check ${h.lastCheckAt ?? 'never'})`)}`,
    `  Last change     ${h.lastChange ? `${h.lastChange.at} ${'from' in h.lastChange && h.lastChange.from ? `${h.lastChange.from} → ` : ''}${h.lastChange.to}${'cause' in h.lastChange && h.lastChange.cause ? st.dim(`  ${h.lastChange.cause}`) : ''}` : 'none recorded'}`,
  ];
}

/** history: the token's recent health changes and rotations, newest first, from the ledger. */
export async function history(s: Session, target: Target, limit: number): Promise<number> {
  if (!target.ledgerTableName || !target.ledgerKey) {
    throw new CliError(`This stack has no health ledger for "${target.tokenName}" (deployed before it existed). Redeploy with "npx cdk deploy", then checks record their changes.`);
  }
  const r = await new HealthLedger(target.ledgerTableName, s.clients.dynamodb).history(target.ledgerKey, limit);
  if (!r.ok) throw new CliError(`The health ledger ${target.ledgerTableName} could not be read (${r.error}). Your credentials need dynamodb:Query on it.`);
  if (s.json) {
    s.out(JSON.stringify({ tokenName: target.tokenName, entries: r.value }, null, 2));
    return 0;
  }
  const st = s.style;
  if (r.value.length === 0) {
    s.out(`No changes recorded for "${target.tokenName}" in the last 90 days.`);
    return 0;
  }
  s.out(st.bold(`Recent changes of "${target.tokenName}" (newest first; kept 90 days)`));
  for (const h of r.value) {
    const to = h.kind === 'rotation' ? `rotation ${h.to === 'failed' ? st.bad('failed') : st.ok(h.to)}` : `${h.from ?? 'unknown'} → ${h.to === 'healthy' ? st.ok(h.to) : h.to === 'unhealthy' ? st.bad(h.to) : st.warn(h.to)}`;
    s.out(`  ${h.at}  ${to}${h.cause ? st.dim(`  ${h.cause}`) : ''}`);
  }
  return 0;
}

