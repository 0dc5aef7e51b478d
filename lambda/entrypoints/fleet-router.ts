// Entry point: the fleet's one rotation function (Secrets Manager passes the SecretId of any fleet secret) and the
// on-demand check of one token from the operator command:
//   {"action":"check","token":"NAME"}                      the live token; the verdict goes to the ledger too
//   {"action":"check","token":"NAME","versionId":"..."}    one version of it (a refused hand-in), nothing recorded
//   {"action":"check","token":"NAME","value":"..."}        a token in hand for NAME's secret (set-token), nothing recorded
//   {"action":"check","token":"NAME","value":"...","tags":{...}}  a token to onboard (fleet add) with the tags it
//                                                          will carry; its secret must not exist yet; nothing recorded
//   {"action":"retire","token":"NAME","revokeCurrent":false}  before `fleet remove --delete-secret`: revoke every token
//                                                          the guard obtained or parked in the secret (app/retire-fleet-token.ts)
// The token's settings come from its secret's tags (DescribeSecret), checked by the same validator as the worker and
// the CLI. Every secret is anchored to this account, region and fleet prefix. A crash answers with a sanitized message.
import { CheckReport, FleetTag } from '../contract';
import { checkToken, TokenSource } from '../app/check-token';
import { tokenRuntimeConfig } from '../app/check-fleet-token';
import { endRotationForSettings } from '../app/end-fleet-rotation';
import { retireFleetToken, Retirement } from '../app/retire-fleet-token';
import { rotateSecret, RotationError } from '../app/rotate-secret';
import { problem } from '../core/assess-token';
import { AWSCURRENT } from '../core/labels';
import { parseTokenSecret } from '../core/parse-secret';
import { recogniseEvent } from '../core/recognise-event';
import { redact } from '../core/redact';
import { fleetLedgerKey, fleetSecretName, fleetTokenSettings, TOKEN_NAME_PATTERN, tokenNameFromSecretName } from '../core/token-settings';
import type { DescribedSecret } from '../adapters/fleet-secrets';
import { MetricsPublisher } from '../adapters/metrics-publisher';
import { FleetRouterDeps, fleetRouterDeps } from '../wiring-fleet';

const SAFETY_MARGIN_MS = 2_000;
const DEFAULT_BUDGET_MS = 30_000;

/** Rotation steps publish no per-token metric in a fleet: the metrics port of rotateSecret is a sink. */
const noPerTokenMetrics = { publish: () => undefined } as unknown as MetricsPublisher;

/** A request this function will not serve; its message is safe to show (names and ids only). */
export class FleetRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetRequestError';
  }
}

export async function handler(event: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<CheckReport | Retirement | void> {
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? DEFAULT_BUDGET_MS) - SAFETY_MARGIN_MS;
  return serve(fleetRouterDeps(), event, deadline);
}

/** One event, given the function's adapters: `route`, with a crash answered by a sanitized message. */
export async function serve(d: FleetRouterDeps, event: unknown, deadline: number): Promise<CheckReport | Retirement | void> {
  try {
    return await route(d, event, deadline);
  } catch (e) {
    const err = e as Error;
    if (err instanceof RotationError || err instanceof FleetRequestError) throw err;
    // Name and code location only: an unexpected error's message could quote a secret (JSON.parse does).
    const where = (err.stack ?? '').split('\n').find((l) => l.trim().startsWith('at '))?.trim();
    d.logger.error('fleet function crashed', { error: err.name, where });
    throw new Error(`The fleet function failed unexpectedly (${err.name}${where ? ` ${where}` : ''}). Nothing was changed by this call; retry, and if it repeats, report it with the function's log line.`);
  }
}

async function route(d: FleetRouterDeps, event: unknown, deadline: number): Promise<CheckReport | Retirement | void> {
  const f = d.fleet;
  if ((event as { action?: unknown } | null)?.action === 'retire') return retire(d, event as Record<string, unknown>, deadline);
  const recognised = recogniseEvent(event);

  if (recognised.kind === 'rotation') {
    const { Step: step, SecretId: secretId, ClientRequestToken: versionId } = recognised.event;
    const described = await d.secrets.describe(secretId);
    const tokenName = tokenNameFromSecretName(f, described.name);
    // The role reaches only the fleet's prefix; say so plainly instead of failing on AccessDenied.
    if (tokenName === undefined || !described.arn.startsWith(f.secretArnPrefix) || (secretId !== described.arn && secretId !== described.name)) {
      throw new RotationError(`${step}: this function rotates only the secrets of fleet "${f.fleetId}" (${f.secretArnPrefix}*), not ${secretId}.`);
    }
    const settings = fleetTokenSettings(f, described.name, described.tags);
    const rotations = d.rotations(settings.ok ? settings.value.rotationMode : 'hand-made', described.arn);
    try {
      if (!settings.ok) {
        // A tag edited or removed between two steps: end the rotation with a verdict rather than leave AWSPENDING stuck.
        const ended = await endRotationForSettings({ store: d.store, logger: d.logger, now: d.now, rotations }, described.arn, tokenName, step, versionId, settings.reason);
        throw new RotationError(`${step}: the token's settings tags are invalid (${settings.reason}); the rotation ended without promoting anything: ${ended.note}. Fix the tag and rotate again.`);
      }
      const config = tokenRuntimeConfig(f, settings.value, described.arn, false);
      return await rotateSecret({ config, store: d.store, graph: d.graph, now: d.now, metrics: noPerTokenMetrics, logger: d.logger, rotations }, recognised.event, deadline);
    } finally {
      d.tally.flush();
    }
  }

  const e = (event ?? {}) as { token?: unknown; tags?: unknown };
  if (recognised.kind !== 'check' || typeof e.token !== 'string' || !TOKEN_NAME_PATTERN.test(e.token)) {
    d.logger.error('refused an unrecognised event', { reason: recognised.kind === 'unknown' ? recognised.reason : 'expected {"action":"check","token":"NAME"}' });
    throw new FleetRequestError(`Unrecognised event${recognised.kind === 'unknown' ? ` (${recognised.reason})` : ''}: this function takes Secrets Manager rotation steps and {"action":"check","token":"NAME"}.`);
  }
  const token = e.token;
  const check = recognised.event;
  const secretName = fleetSecretName(f, token);
  const described = await describeIfAny(d, secretName);

  let settings;
  if (e.tags !== undefined) {
    // Onboarding: the settings the secret will carry, checked exactly as the worker will read them.
    if (check.value === undefined) throw new FleetRequestError('"tags" come with a "value" only: they are the settings of a token that is not stored yet.');
    if (described) throw new FleetRequestError(`Token "${token}" already has a secret (${secretName}); its settings are its tags, not the request's.`);
    if (!e.tags || typeof e.tags !== 'object' || Array.isArray(e.tags) || Object.values(e.tags).some((v) => typeof v !== 'string')) throw new FleetRequestError('"tags" must be an object of string values.');
    settings = fleetTokenSettings(f, secretName, e.tags as Record<string, string>);
  } else {
    if (!described) throw new FleetRequestError(`No secret ${secretName}: token "${token}" is not in fleet "${f.fleetId}". Add it with \`npx --no-install whatsapp-token-guard fleet add ${token}\`.`);
    if (described.tags[FleetTag.Fleet] !== f.fleetId) throw new FleetRequestError(`The secret ${secretName} is not guarded by fleet "${f.fleetId}" (its ${FleetTag.Fleet} tag is ${described.tags[FleetTag.Fleet] ? `"${described.tags[FleetTag.Fleet].slice(0, 170)}"` : 'missing'}): it was removed from the fleet, or never added.`);
    settings = fleetTokenSettings(f, described.name, described.tags);
  }

  let source: TokenSource = check.versionId ? { versionId: check.versionId } : { stage: check.versionStage ?? AWSCURRENT };
  if (check.value !== undefined) {
    // A value the operator command validates before storing it; never logged, judged like a stored one.
    const parsed = parseTokenSecret(check.value);
    if (!parsed.ok) throw new FleetRequestError(`The token to check is malformed: ${parsed.reason}`);
    source = { token: parsed.value };
  }
  // Only the live token's verdict is recorded: checking a candidate or a token in hand must not move the ledger.
  const live = 'stage' in source && source.stage === AWSCURRENT;
  const secretArn = described?.arn ?? `${f.secretArnPrefix}${token}`;

  let report: CheckReport;
  let secrets: readonly string[] = [];
  if (!settings.ok) {
    report = { tokenName: token, checkedAt: d.now().toISOString(), outcome: 'unhealthy', graphApiVersion: f.graphApiVersion, problems: [problem('SettingsInvalid', settings.reason)], metrics: {} };
  } else {
    const result = await checkToken({ config: tokenRuntimeConfig(f, settings.value, secretArn, false), store: d.store, graph: d.graph, now: d.now }, source, deadline);
    report = result.report;
    secrets = result.secrets;
  }
  if (live && described) await d.outcomes.record({ name: token, key: fleetLedgerKey(f, token), secretId: described.arn }, report);
  d.tally.flush();
  const safe = JSON.parse(redact(JSON.stringify(live ? report : { ...report, metrics: {} }), secrets)) as CheckReport;
  d.logger.info('token checked on demand', { token, what: 'token' in source ? 'value in hand' : 'versionId' in source ? `version ${source.versionId}` : source.stage, outcome: safe.outcome, problemIds: safe.problems.map((p) => p.id).join(' ') });
  return safe;
}

/** The token's secret, or undefined when it does not exist; it must be the named secret itself, in this fleet's account and region. */
async function describeIfAny(d: FleetRouterDeps, secretName: string): Promise<DescribedSecret | undefined> {
  let described: DescribedSecret;
  try {
    described = await d.secrets.describe(secretName);
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return undefined;
    throw e;
  }
  // DescribeSecret also resolves a name that looks like a partial ARN to another secret: only the exact name counts.
  if (described.name !== secretName || !described.arn.startsWith(d.fleet.secretArnPrefix) || described.deleted) return undefined;
  return described;
}

/** Revokes what the guard holds in a token's secret before the operator deletes it (the secret itself stays). */
async function retire(d: FleetRouterDeps, e: Record<string, unknown>, deadline: number): Promise<Retirement> {
  const f = d.fleet;
  if (typeof e.token !== 'string' || !TOKEN_NAME_PATTERN.test(e.token) || (e.revokeCurrent !== undefined && typeof e.revokeCurrent !== 'boolean')) {
    throw new FleetRequestError('Expected {"action":"retire","token":"NAME","revokeCurrent":false}.');
  }
  const token = e.token;
  const described = await describeIfAny(d, fleetSecretName(f, token));
  // Only a secret of this fleet: guarded now, or removed from it by `fleet remove` (which leaves its own tag).
  if (!described || (described.tags[FleetTag.Fleet] !== f.fleetId && described.tags[FleetTag.RemovedFromFleet] !== f.fleetId)) {
    throw new FleetRequestError(`No secret ${fleetSecretName(f, token)} of fleet "${f.fleetId}": nothing was revoked.`);
  }
  const settings = fleetTokenSettings(f, described.name, described.tags);
  // Whatever its tags say now, the token's name and the fleet's app are all a revoke needs.
  const config = tokenRuntimeConfig(f, settings.ok ? settings.value : { name: token, secretId: described.arn, rotationMode: 'hand-made' }, described.arn, true);
  const result = await retireFleetToken({ config, store: d.store, graph: d.graph, now: d.now, metrics: noPerTokenMetrics, logger: d.logger }, described.arn, { revokeCurrent: e.revokeCurrent === true }, deadline);
  d.tally.flush();
  return result;
}
