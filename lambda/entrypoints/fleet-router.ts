// Entry point: the fleet's one rotation function (Secrets Manager passes the SecretId of any fleet secret) and the
// on-demand check of one token (`{"action":"check","token":"NAME"}` from `token-guard fleet check`). The token's
// settings come from its secret's tags (DescribeSecret), checked by the same validator as the worker and the CLI.
import { CheckReport } from '../contract';
import { checkToken } from '../app/check-token';
import { tokenRuntimeConfig } from '../app/check-fleet-token';
import { rotateSecret, RotationError } from '../app/rotate-secret';
import { problem } from '../core/assess-token';
import { AWSCURRENT } from '../core/labels';
import { recogniseEvent } from '../core/recognise-event';
import { redact } from '../core/redact';
import { fleetSecretName, fleetSecretPrefix, fleetTokenSettings, TOKEN_NAME_PATTERN } from '../core/token-settings';
import { MetricsPublisher } from '../adapters/metrics-publisher';
import { fleetRouterDeps } from '../wiring-fleet';

const SAFETY_MARGIN_MS = 2_000;
const DEFAULT_BUDGET_MS = 30_000;

/** Rotation steps publish no per-token metric in a fleet: the metrics port of rotateSecret is a sink. */
const noPerTokenMetrics = { publish: () => undefined } as unknown as MetricsPublisher;

export async function handler(event: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<CheckReport | void> {
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? DEFAULT_BUDGET_MS) - SAFETY_MARGIN_MS;
  const d = fleetRouterDeps();
  const fleet = d.fleet.fleetName;
  const recognised = recogniseEvent(event);

  if (recognised.kind === 'rotation') {
    const { Step: step, SecretId: secretId } = recognised.event;
    const described = await d.secrets.describe(secretId);
    // The role reaches only the fleet's prefix; say so plainly instead of failing on AccessDenied.
    if (!described.name.startsWith(fleetSecretPrefix(fleet)) || (secretId !== described.arn && secretId !== described.name)) {
      throw new RotationError(`${step}: this function rotates only the secrets of fleet "${fleet}" (${fleetSecretPrefix(fleet)}*), not ${secretId}.`);
    }
    const settings = fleetTokenSettings(fleet, described.name, described.tags);
    if (!settings.ok) throw new RotationError(`${step}: ${settings.reason}`);
    const config = tokenRuntimeConfig(d.fleet, settings.value, secretId, false);
    try {
      return await rotateSecret({ config, store: d.store, graph: d.graph, now: d.now, metrics: noPerTokenMetrics, logger: d.logger, rotations: d.rotations(settings.value.rotationMode, described.arn) }, recognised.event, deadline);
    } finally {
      d.tally.flush();
    }
  }

  const token = (event as { token?: unknown } | null)?.token;
  if (recognised.kind !== 'check' || typeof token !== 'string' || !TOKEN_NAME_PATTERN.test(token)) {
    d.logger.error('refused an unrecognised event', { reason: recognised.kind === 'unknown' ? recognised.reason : 'expected {"action":"check","token":"NAME"}' });
    throw new Error('Unrecognised event: this function takes Secrets Manager rotation steps and {"action":"check","token":"NAME"}.');
  }
  const secretName = fleetSecretName(fleet, token);
  let described;
  try {
    described = await d.secrets.describe(secretName);
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') throw new Error(`No secret ${secretName}: token "${token}" is not in fleet "${fleet}". Add it with \`npx --no-install whatsapp-token-guard fleet add ${token}\`.`);
    throw e;
  }
  const settings = fleetTokenSettings(fleet, described.name, described.tags);
  let report: CheckReport;
  let secrets: readonly string[] = [];
  if (!settings.ok) {
    report = { tokenName: token, checkedAt: d.now().toISOString(), outcome: 'unhealthy', graphApiVersion: d.fleet.graphApiVersion, problems: [problem('SettingsInvalid', settings.reason)], metrics: {} };
  } else {
    const result = await checkToken({ config: tokenRuntimeConfig(d.fleet, settings.value, described.arn, false), store: d.store, graph: d.graph, now: d.now }, { stage: AWSCURRENT }, deadline);
    report = result.report;
    secrets = result.secrets;
  }
  await d.outcomes.record({ name: token, key: `${fleet}/${token}`, secretId: described.arn }, report);
  d.tally.flush();
  const safe = JSON.parse(redact(JSON.stringify(report), secrets)) as CheckReport;
  d.logger.info('token checked on demand', { token, outcome: safe.outcome, problemIds: safe.problems.map((p) => p.id).join(' ') });
  return safe;
}
