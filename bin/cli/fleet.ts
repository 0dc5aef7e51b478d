// `whatsapp-token-guard fleet ...`: onboard, replace, remove, list and check the tokens of a WhatsAppTokenFleet without
// a deploy. Settings go through the same validator as the worker and the rotation function (core/token-settings.ts).
// Tokens are judged by the fleet's own function ({"action":"check","token":...,"value":...}), so neither a client's
// token nor the Meta app secret is read on the operator's machine; only what the operator types in passes through it.
// Every command checks what it is given before any AWS call, and every mutation checks ownership before it touches
// anything: the token name's pattern, the secret's exact name and the fleet's tag.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  DescribeSecretCommandOutput,
  RotateSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { CheckReport, FleetNamespace, FleetTag } from '../../lambda/contract';
import type { Retirement } from '../../lambda/app/retire-fleet-token';
import { AWSCURRENT, AWSPENDING } from '../../lambda/core/labels';
import { parseTokenSecret, formatTokenSecret } from '../../lambda/core/parse-secret';
import { fleetLedgerKey, fleetSecretName, tagsForSettings, TOKEN_NAME_PATTERN, TokenSettings, validateTokenSettings } from '../../lambda/core/token-settings';
import type { FleetManifest, GuardManifest } from '../../lib/whatsapp-token-guard-stack';
import { Target } from './aws';
import { setToken } from './commands';
import { CliError } from './errors';
import { InputStream, readSecretValue } from './input';
import { renderProblems, renderReport } from './render';
import type { Session } from './session';

/** Finds the fleet in the stack's Manifest output. */
export async function locateFleet(cloudformation: CloudFormationClient, stack: string, fleet?: string): Promise<FleetManifest> {
  const out = await cloudformation.send(new DescribeStacksCommand({ StackName: stack }));
  const raw = out.Stacks?.[0]?.Outputs?.find((x) => x.OutputKey === 'Manifest')?.OutputValue;
  if (!raw) throw new CliError(`Stack "${stack}" has no Manifest output: it is not a whatsapp-token-guard stack, or an old version. Redeploy with "npx cdk deploy".`);
  const m = JSON.parse(raw) as GuardManifest;
  if (!m.fleet) throw new CliError(`Stack "${stack}" has no token fleet. Add a "tokenFleet" section to cdk.json (docs/fleet.md) and deploy.`);
  if (fleet && fleet !== m.fleet.name) throw new CliError(`Stack "${stack}" holds fleet "${m.fleet.name}", not "${fleet}". Pass --fleet ${m.fleet.name} or the right --stack.`);
  if (!m.fleet.fleetId) throw new CliError(`Stack "${stack}" was deployed by a version whose fleet namespace is not unique per stack. Redeploy it with "npx cdk deploy" first (CHANGELOG "Fleet namespaces").`);
  return m.fleet;
}

const namespaceOf = (f: FleetManifest): FleetNamespace => ({ fleetName: f.name, fleetId: f.fleetId, secretNamePrefix: f.secretNamePrefix });

/** A token name is checked before anything else: it becomes part of a secret name, and `../` or `/` must never reach one. */
export function checkTokenName(name: string): void {
  if (!TOKEN_NAME_PATTERN.test(name)) {
    throw new CliError(`NAME must be 1-64 letters, digits, "-" or "_", got ${name.length > 24 ? `a ${name.length}-character value` : JSON.stringify(name)}. Nothing was changed. Use a name such as "client-acme".`, 2);
  }
}

type OwnedSecret = DescribeSecretCommandOutput & { readonly ARN: string; readonly Name: string };

/**
 * The fleet's secret of token `name`, or a refusal: it must exist under exactly this name (a name that looks like a
 * partial ARN can resolve to another secret), not be scheduled for deletion, and carry this fleet's tag (or, where
 * `removedToo`, the tag `fleet remove` leaves). A foreign, untagged or deleted secret is never touched.
 */
async function ownedSecret(s: Session, f: FleetManifest, name: string, removedToo: boolean): Promise<OwnedSecret> {
  const secretName = fleetSecretName(namespaceOf(f), name);
  const d = await s.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretName })).catch((e: Error) => {
    throw e.name === 'ResourceNotFoundException' ? new CliError(`Token "${name}" is not in fleet "${f.fleetId}" (no secret ${secretName}). Run "fleet list" to see the fleet's tokens. Nothing was changed.`, 2) : e;
  });
  if (d.Name !== secretName || !d.ARN) throw new CliError(`Secrets Manager resolved ${secretName} to another secret (${d.Name ?? 'no name'}). Nothing was changed.`, 2);
  if (d.DeletedDate) throw new CliError(`The secret ${secretName} is already scheduled for deletion. Nothing was changed; "aws secretsmanager restore-secret --secret-id ${secretName}" brings it back.`, 2);
  const tags = Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  if (tags[FleetTag.Fleet] === f.fleetId || (removedToo && tags[FleetTag.RemovedFromFleet] === f.fleetId)) return d as OwnedSecret;
  const found = tags[FleetTag.Fleet] ? `tagged ${FleetTag.Fleet}=${tags[FleetTag.Fleet].slice(0, 170)}` : `not tagged ${FleetTag.Fleet}=${f.fleetId}`;
  throw new CliError(`The secret ${secretName} is ${found}, so it is not a token of fleet "${f.fleetId}" and this command does not touch it. Nothing was changed.`, 2);
}

/** Invokes the fleet's function and returns its answer; a function error becomes one line with its message. */
async function invokeFleet<T>(s: Session, f: FleetManifest, payload: Record<string, unknown>): Promise<T> {
  const out = await s.clients.lambda.send(new InvokeCommand({ FunctionName: f.routerFunctionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(payload)) }));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    let body: { errorMessage?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    throw new CliError(`The fleet function ${f.routerFunctionName} failed: ${(body.errorMessage ?? text).slice(0, 400)}`);
  }
  return JSON.parse(text) as T;
}

export interface FleetAddOptions {
  readonly waba?: string;
  readonly phone?: string;
  readonly rotation?: string;
  readonly systemUser?: string;
  readonly scopes?: string;
  readonly expiryWarningDays?: string;
  readonly revokePreviousAfterHours?: string;
  readonly file?: string;
  readonly stdin: InputStream;
  readonly prompt: NodeJS.WritableStream;
}

/** What `fleet add` reads and checks on the operator's machine, before any AWS call. */
export interface FleetAddInput {
  readonly name: string;
  readonly settings: TokenSettings;
  readonly token: string;
}

const exitFor = (r: CheckReport): number => (r.outcome === 'healthy' ? 0 : r.outcome === 'unhealthy' ? 1 : 2);

/** The flags through the same validator as the worker's, then the token from stdin (or --file): no AWS call yet. */
export async function readFleetAddInput(name: string, o: FleetAddOptions): Promise<FleetAddInput> {
  checkTokenName(name);
  const settings = validateTokenSettings(
    { name, secretId: name, wabaId: o.waba, phoneNumberId: o.phone, rotationMode: o.rotation, systemUserId: o.systemUser, requiredScopes: o.scopes, expiryWarningDays: o.expiryWarningDays, revokePreviousAfterHours: o.revokePreviousAfterHours },
    'flags',
  );
  if (!settings.ok) throw new CliError(`${settings.reason} Nothing was changed.`, 2);
  const token = await readSecretValue({ file: o.file, stdin: o.stdin, prompt: o.prompt, label: 'token', parse: parseTokenSecret });
  return { name, settings: settings.value, token };
}

/**
 * fleet add: the fleet's function judges the token with Meta (the same check as the worker, with the tags the secret
 * will carry), and only then is the secret created: its first version is AWSCURRENT whatever VersionStages says, so
 * nothing unvalidated is ever written. Then rotation by the fleet's function, and the first verdict in the ledger.
 */
export async function fleetAdd(s: Session, f: FleetManifest, input: FleetAddInput): Promise<number> {
  const { name, token } = input;
  const ns = namespaceOf(f);
  const secretName = fleetSecretName(ns, name);
  const settings = { ...input.settings, secretId: secretName };
  const tags = tagsForSettings(ns, settings);
  const existing = await s.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretName })).catch((e: Error) => (e.name === 'ResourceNotFoundException' ? undefined : Promise.reject(e)));
  if (existing) {
    throw new CliError(
      `Token "${name}" already has a secret (${existing.Name}${existing.DeletedDate ? ', scheduled for deletion: restore it with `aws secretsmanager restore-secret`' : ''}). ` +
        `fleet add only onboards new tokens, so a live token is never overwritten. To hand in a new token for it, run "npx --no-install whatsapp-token-guard fleet set-token ${name}".`,
      2,
    );
  }

  const report = await invokeFleet<CheckReport>(s, f, { action: 'check', token: name, value: token, tags });
  if (report.outcome !== 'healthy') {
    if (s.json) s.out(JSON.stringify({ outcome: 'refused', report }, null, 2));
    else {
      s.out(s.style.bad(`✗ Token "${name}" was not stored: ${report.outcome === 'unhealthy' ? 'Meta says it is not fit for use' : 'Meta could not be asked'}.`));
      s.out([s.style.bold('Why'), ...renderProblems(report.problems, s.style)].join('\n'));
      s.out('Nothing was created. Fix the cause and run the command again.');
    }
    return report.outcome === 'unhealthy' ? 1 : 2;
  }

  const created = await s.clients.secrets.send(
    new CreateSecretCommand({
      Name: secretName,
      Description: `WhatsApp Cloud API token of "${name}" in fleet "${f.fleetId}": {"accessToken":"..."}. Guarded by whatsapp-token-guard.`,
      SecretString: formatTokenSecret(token),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      ...(f.kmsKeyArn ? { KmsKeyId: f.kmsKeyArn } : {}),
    }),
  );
  // Rotation by the fleet's one rotation function. Not now (RotateImmediately false): the token was just validated.
  const automatic = settings.rotationMode !== 'hand-made';
  await s.clients.secrets.send(
    new RotateSecretCommand({ SecretId: created.ARN, RotationLambdaARN: f.rotationFunctionArn, RotateImmediately: false, ...(automatic ? { RotationRules: { ScheduleExpression: 'rate(30 days)' } } : {}) }),
  );
  // The first verdict in the ledger, now rather than at the token's slot of the next sweep.
  const first = await invokeFleet<CheckReport>(s, f, { action: 'check', token: name });
  if (s.json) s.out(JSON.stringify({ outcome: 'added', secretArn: created.ARN, tags, report: first }, null, 2));
  else {
    s.out(s.style.ok(`✓ Token "${name}" validated with Meta and stored as ${secretName} (AWSCURRENT); rotation by the fleet's function${automatic ? ', every 30 days' : ' when a new token is handed in'}.`));
    s.out(renderReport(first, s.style));
  }
  return exitFor(first);
}

/**
 * fleet set-token: hands a new token in for a fleet token exactly as `set-token` does for a single guard (bound to its
 * own rotation, validated by the fleet's function before anything is promoted).
 */
export async function fleetSetToken(s: Session, f: FleetManifest, name: string, token: string, timeoutSeconds: number): Promise<number> {
  const secret = await ownedSecret(s, f, name, false);
  if (secret.RotationEnabled && secret.RotationLambdaARN && secret.RotationLambdaARN !== f.rotationFunctionArn) {
    throw new CliError(`The secret ${secret.Name} rotates with another function (${secret.RotationLambdaARN}), not the fleet's (${f.rotationFunctionArn}). Nothing was changed: point its rotation at the fleet's function, or hand the token in through that function.`, 2);
  }
  if (!secret.RotationEnabled) {
    // Onboarding code may have created the secret without rotation: the hand-in needs the fleet's rotation function.
    await s.clients.secrets.send(new RotateSecretCommand({ SecretId: secret.ARN, RotationLambdaARN: f.rotationFunctionArn, RotateImmediately: false }));
  }
  const tags = Object.fromEntries((secret.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const target: Target = {
    tokenName: name,
    tokenSecretArn: secret.ARN,
    appSecretArn: f.appSecretArn,
    functionName: f.routerFunctionName,
    rotationMode: tags[FleetTag.RotationMode] ?? 'hand-made',
    alarmNames: [],
    ledgerTableName: f.ledgerTableName,
    ledgerKey: fleetLedgerKey(namespaceOf(f), name),
    environment: {},
    checkPayload: { token: name },
  };
  return setToken(s, target, token, timeoutSeconds);
}

export interface FleetRemoveOptions {
  readonly deleteSecret?: boolean;
  readonly recoveryDays?: number;
  /** Also revoke the live AWSCURRENT token at Meta (only with --delete-secret). */
  readonly revokeCurrent?: boolean;
}

/**
 * fleet remove: stop guarding (the fleet tag comes off, `token-guard:removed-from-fleet` records where it was, rotation
 * is cancelled and a pending rotation cleared); the secret stays unless asked. With --delete-secret, the fleet's
 * function first revokes every token the guard obtained or parked in it (never the live one unless --revoke-current),
 * and the secret is scheduled for deletion only once nothing of that kind is left live.
 */
export async function fleetRemove(s: Session, f: FleetManifest, name: string, o: FleetRemoveOptions): Promise<number> {
  if (o.revokeCurrent && !o.deleteSecret) throw new CliError('--revoke-current is only used with --delete-secret: a kept secret keeps its live token. Nothing was changed.', 2);
  const secret = await ownedSecret(s, f, name, true);
  const done: string[] = [];
  if ((secret.Tags ?? []).some((t) => t.Key === FleetTag.Fleet)) {
    // The new tag first: whatever happens next, the secret stays recognisably this fleet's.
    await s.clients.secrets.send(new TagResourceCommand({ SecretId: secret.ARN, Tags: [{ Key: FleetTag.RemovedFromFleet, Value: f.fleetId }] }));
    await s.clients.secrets.send(new UntagResourceCommand({ SecretId: secret.ARN, TagKeys: [FleetTag.Fleet] }));
    done.push(`took the ${FleetTag.Fleet} tag off (the next sweep skips it; ${FleetTag.RemovedFromFleet}=${f.fleetId} records where it was)`);
  }
  if (secret.RotationEnabled) {
    await s.clients.secrets.send(new CancelRotateSecretCommand({ SecretId: secret.ARN }));
    done.push('turned rotation off');
  }

  if (!o.deleteSecret) {
    // CancelRotateSecret leaves AWSPENDING behind (API_CancelRotateSecret.html): take it off, or a later rotation is refused.
    const pending = Object.entries(secret.VersionIdsToStages ?? {}).find(([, st]) => st.includes(AWSPENDING) && !st.includes(AWSCURRENT))?.[0];
    if (pending) {
      await s.clients.secrets.send(new UpdateSecretVersionStageCommand({ SecretId: secret.ARN, VersionStage: AWSPENDING, RemoveFromVersionId: pending }));
      done.push(`cleared the pending rotation (AWSPENDING off version ${pending}; its token stays under its other labels)`);
    }
    if (s.json) s.out(JSON.stringify({ outcome: 'removed', secretArn: secret.ARN, deleted: false, done }, null, 2));
    else {
      s.out(`Token "${name}" is no longer guarded by fleet "${f.fleetId}".`);
      for (const d of done) s.out(`  - ${d}`);
      s.out(`The secret ${secret.Name} is kept (consumers can still read it); delete it on purpose with "fleet remove ${name} --delete-secret".`);
    }
    return 0;
  }

  const retirement = await invokeFleet<Retirement>(s, f, { action: 'retire', token: name, revokeCurrent: o.revokeCurrent === true });
  const lines = retirement.versions.map((v) =>
    v.outcome === 'revoked' || v.outcome === 'already-invalid'
      ? `version ${v.versionId} (${v.labels.join(', ')}): ${v.outcome === 'revoked' ? 'revoked at Meta' : 'already invalid at Meta'}`
      : `version ${v.versionId} (${v.labels.join(', ')}): ${v.outcome === 'kept' ? 'not revoked' : 'NOT revoked'}: ${'reason' in v ? v.reason : ''}`,
  );
  if (retirement.pendingCleared) lines.push(`cleared the pending rotation (AWSPENDING off version ${retirement.pendingCleared})`);
  if (!retirement.clean) {
    const failed = retirement.versions.filter((v) => v.outcome === 'failed').length;
    if (s.json) s.out(JSON.stringify({ outcome: 'not-deleted', secretArn: secret.ARN, done, retirement }, null, 2));
    else {
      s.out(s.style.bad(`✗ The secret ${secret.Name} was not deleted: ${failed} token(s) the guard holds in it could not be revoked, and deleting it would leave them live and stored nowhere.`));
      for (const d of [...done, ...lines]) s.out(`  - ${d}`);
      s.out(`Run "fleet remove ${name} --delete-secret" again once Meta answers: what was revoked stays revoked.`);
    }
    return 2;
  }
  const days = o.recoveryDays ?? 30;
  await s.clients.secrets.send(new DeleteSecretCommand({ SecretId: secret.ARN, RecoveryWindowInDays: days }));
  if (s.json) s.out(JSON.stringify({ outcome: 'removed', secretArn: secret.ARN, deleted: true, recoveryDays: days, done, retirement }, null, 2));
  else {
    s.out(`Token "${name}" is no longer guarded by fleet "${f.fleetId}".`);
    for (const d of [...done, ...lines]) s.out(`  - ${d}`);
    if (retirement.versions.length === 0) s.out('  - no token the guard obtained or parked was left in the secret');
    s.out(
      `The secret is scheduled for deletion in ${days} days${o.revokeCurrent ? ' (its live token was revoked as asked)' : '; its live AWSCURRENT token was not revoked (--revoke-current does)'}; until then "aws secretsmanager restore-secret --secret-id ${secret.Name}" brings it back.`,
    );
  }
  return 0;
}

export interface FleetRow {
  readonly token: string;
  readonly status: string;
  readonly problems: readonly string[];
  readonly expiresAt?: string;
  readonly lastCheckAt?: string;
  readonly lastChangeAt?: string;
}

const SORTS = ['status', 'name', 'expiry', 'checked'] as const;
const STATUS_ORDER: Record<string, number> = { unhealthy: 0, 'check-failed': 1, 'not-set': 2, healthy: 3 };

/** fleet list: every token's status, problems, expiry and last check, from the ledger (no Meta call). */
export async function fleetList(s: Session, f: FleetManifest, o: { sort?: string; status?: string; dynamodb: DynamoDBClient }): Promise<number> {
  const sort = o.sort ?? 'status';
  if (!(SORTS as readonly string[]).includes(sort)) throw new CliError(`--sort must be one of ${SORTS.join(', ')}, got "${sort}".`, 2);
  const doc = DynamoDBDocumentClient.from(o.dynamodb);
  const rows: FleetRow[] = [];
  const prefix = `${f.fleetId}/`;
  for await (const page of paginateScan({ client: doc }, { TableName: f.ledgerTableName, FilterExpression: 'begins_with(pk, :p) AND sk = :state', ExpressionAttributeValues: { ':p': prefix, ':state': 'STATE' } })) {
    for (const i of page.Items ?? []) {
      rows.push({
        token: String(i.pk).slice(prefix.length),
        status: String(i.status ?? 'not-set'),
        problems: (i.problemIds as string[] | undefined) ?? [],
        expiresAt: i.expiresAt as string | undefined,
        lastCheckAt: i.lastCheckAt as string | undefined,
        lastChangeAt: (i.notified as { at?: string } | undefined)?.at,
      });
    }
  }
  const shown = rows.filter((r) => !o.status || r.status === o.status);
  const expiry = (r: FleetRow): number => (r.expiresAt && r.expiresAt !== 'never' ? Date.parse(r.expiresAt) : Infinity);
  shown.sort((a, b) =>
    sort === 'name' ? a.token.localeCompare(b.token) : sort === 'expiry' ? expiry(a) - expiry(b) : sort === 'checked' ? (a.lastCheckAt ?? '').localeCompare(b.lastCheckAt ?? '') : (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) || a.token.localeCompare(b.token),
  );
  if (s.json) {
    s.out(JSON.stringify({ fleet: f.name, fleetId: f.fleetId, tokens: shown }, null, 2));
  } else {
    const paint = (st: string): string => (st === 'healthy' ? s.style.ok(st) : st === 'unhealthy' ? s.style.bad(st) : s.style.warn(st));
    s.out(s.style.bold(`Fleet "${f.fleetId}": ${rows.length} token(s) in the ledger, ${rows.filter((r) => r.status === 'unhealthy').length} unhealthy, ${rows.filter((r) => r.status === 'check-failed').length} not checkable`));
    for (const r of shown) s.out(`  ${r.token.padEnd(32)} ${paint(r.status.padEnd(12))} ${(r.expiresAt ?? '-').padEnd(24)} ${(r.lastCheckAt ?? '-').padEnd(24)} ${r.problems.join(' ')}`);
    if (shown.length === 0) s.out('  (none)');
  }
  return shown.some((r) => r.status === 'unhealthy') ? 1 : 0;
}

/** fleet check: one token now, through the fleet's function (the verdict goes to the ledger too). */
export async function fleetCheck(s: Session, f: FleetManifest, name: string): Promise<number> {
  const report = await invokeFleet<CheckReport>(s, f, { action: 'check', token: name });
  s.out(s.json ? JSON.stringify(report, null, 2) : renderReport(report, s.style));
  return exitFor(report);
}
