// `whatsapp-token-guard fleet ...`: onboard, remove, list and check the tokens of a WhatsAppTokenFleet without a
// deploy. Settings go through the same validator as the worker and the rotation function (core/token-settings.ts);
// a token is judged by the same checkToken as every check, with Meta, before anything is stored.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CancelRotateSecretCommand, CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, RotateSecretCommand, UntagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { CheckReport, FleetTag } from '../../lambda/contract';
import { checkToken } from '../../lambda/app/check-token';
import { tokenRuntimeConfig } from '../../lambda/app/check-fleet-token';
import { GraphClient } from '../../lambda/adapters/graph-client';
import { SecretsStore } from '../../lambda/adapters/secrets-store';
import { formatTokenSecret, parseTokenSecret } from '../../lambda/core/parse-secret';
import { fleetSecretName, tagsForSettings, validateTokenSettings } from '../../lambda/core/token-settings';
import type { FleetManifest, GuardManifest } from '../../lib/whatsapp-token-guard-stack';
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
  if (!m.fleet) throw new CliError(`Stack "${stack}" has no token fleet. Add a "tokenFleet" section to cdk.json (README "Fleet mode") and deploy.`);
  if (fleet && fleet !== m.fleet.name) throw new CliError(`Stack "${stack}" holds fleet "${m.fleet.name}", not "${fleet}". Pass --fleet ${m.fleet.name} or the right --stack.`);
  return m.fleet;
}

export interface FleetAddOptions {
  readonly waba?: string;
  readonly phone?: string;
  readonly rotation?: string;
  readonly systemUser?: string;
  readonly scopes?: string;
  readonly expiryWarningDays?: string;
  readonly file?: string;
  readonly stdin: InputStream;
  readonly prompt: NodeJS.WritableStream;
}

const exitFor = (r: CheckReport): number => (r.outcome === 'healthy' ? 0 : r.outcome === 'unhealthy' ? 1 : 2);

/**
 * fleet add: validate the settings, read the token, judge it with Meta (the same checkToken, here), and only then create
 * the secret: its first version is AWSCURRENT whatever VersionStages says, so nothing unvalidated is ever written.
 * Then enable rotation with the fleet's rotation function and ask the fleet for its first verdict (the ledger row).
 */
export async function fleetAdd(s: Session, f: FleetManifest, name: string, o: FleetAddOptions, fetchFn: typeof fetch = fetch): Promise<number> {
  const secretName = fleetSecretName(f.name, name);
  const settings = validateTokenSettings(
    { name, secretId: secretName, wabaId: o.waba, phoneNumberId: o.phone, rotationMode: o.rotation, systemUserId: o.systemUser, requiredScopes: o.scopes, expiryWarningDays: o.expiryWarningDays },
    'flags',
  );
  if (!settings.ok) throw new CliError(`${settings.reason} Nothing was changed.`, 2);
  const existing = await s.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretName })).catch((e: Error) => (e.name === 'ResourceNotFoundException' ? undefined : Promise.reject(e)));
  if (existing) {
    throw new CliError(
      `Token "${name}" already has a secret (${secretName}${existing.DeletedDate ? ', scheduled for deletion: restore it with `aws secretsmanager restore-secret`' : ''}). ` +
        `fleet add only onboards new tokens, so a live token is never overwritten. To hand in a new token for it, put it under the TOKENGUARD_CANDIDATE label and rotate (README "Fleet mode"); to re-guard a removed token, tag it again: aws secretsmanager tag-resource --secret-id ${secretName} --tags Key=${FleetTag.Fleet},Value=${f.name}.`,
      2,
    );
  }
  const token = await readSecretValue({ file: o.file, stdin: o.stdin, prompt: o.prompt, label: 'token', parse: parseTokenSecret });

  // Judge it with Meta first, exactly as the worker will.
  const config = tokenRuntimeConfig(
    { fleetName: f.name, appSecretArn: f.appSecretArn, appId: f.appId, requiredScopes: f.requiredScopes, graphApiVersion: f.graphApiVersion, graphApiBaseUrl: f.graphApiBaseUrl ?? 'https://graph.facebook.com', expiryWarningDays: f.expiryWarningDays, httpTimeoutMs: 5000 },
    settings.value,
    secretName,
    false,
  );
  const result = await checkToken(
    { config, store: new SecretsStore(s.clients.secrets), now: () => new Date(s.now()), graph: (appSecret, deadline) => new GraphClient({ baseUrl: config.graphApiBaseUrl, version: config.graphApiVersion, appId: config.appId, appSecret, timeoutMs: config.httpTimeoutMs, deadline, fetchFn }) },
    { token },
    s.now() + 30_000,
  );
  const report = result.report;
  if (report.outcome !== 'healthy') {
    if (s.json) s.out(JSON.stringify({ outcome: 'refused', report }, null, 2));
    else {
      s.out(s.style.bad(`✗ Token "${name}" was not stored: ${report.outcome === 'unhealthy' ? 'Meta says it is not fit for use' : 'Meta could not be asked'}.`));
      s.out([s.style.bold('Why'), ...renderProblems(report.problems, s.style)].join('\n'));
      s.out('Nothing was created. Fix the cause and run the command again.');
    }
    return report.outcome === 'unhealthy' ? 1 : 2;
  }

  const tags = tagsForSettings(f.name, settings.value);
  const created = await s.clients.secrets.send(
    new CreateSecretCommand({
      Name: secretName,
      Description: `WhatsApp Cloud API token of "${name}" in fleet "${f.name}": {"accessToken":"..."}. Guarded by whatsapp-token-guard.`,
      SecretString: formatTokenSecret(token),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      ...(f.kmsKeyArn ? { KmsKeyId: f.kmsKeyArn } : {}),
    }),
  );
  // Rotation by the fleet's one rotation function. Not now (RotateImmediately false): the token was just validated.
  const automatic = settings.value.rotationMode !== 'hand-made';
  await s.clients.secrets.send(
    new RotateSecretCommand({ SecretId: created.ARN, RotationLambdaARN: f.rotationFunctionArn, RotateImmediately: false, ...(automatic ? { RotationRules: { ScheduleExpression: 'rate(30 days)' } } : {}) }),
  );
  // The first verdict in the ledger, now rather than at the token's slot of the next sweep.
  const first = await invokeFleetCheck(s, f, name);
  if (s.json) s.out(JSON.stringify({ outcome: 'added', secretArn: created.ARN, tags, report: first }, null, 2));
  else {
    s.out(s.style.ok(`✓ Token "${name}" validated with Meta and stored as ${secretName} (AWSCURRENT); rotation by the fleet's function${automatic ? ', every 30 days' : ' when a new token is handed in'}.`));
    s.out(renderReport(first, s.style));
  }
  return exitFor(first);
}

/** fleet remove: stop guarding (the fleet tag comes off, rotation is cancelled); the secret stays unless asked. */
export async function fleetRemove(s: Session, f: FleetManifest, name: string, o: { deleteSecret?: boolean; recoveryDays?: number }): Promise<number> {
  const secretName = fleetSecretName(f.name, name);
  await s.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretName })).catch((e: Error) => {
    throw e.name === 'ResourceNotFoundException' ? new CliError(`Token "${name}" is not in fleet "${f.name}" (no secret ${secretName}). Run "fleet list" to see the fleet's tokens.`, 2) : e;
  });
  await s.clients.secrets.send(new UntagResourceCommand({ SecretId: secretName, TagKeys: [FleetTag.Fleet] }));
  await s.clients.secrets.send(new CancelRotateSecretCommand({ SecretId: secretName }));
  if (o.deleteSecret) {
    const days = o.recoveryDays ?? 30;
    await s.clients.secrets.send(new DeleteSecretCommand({ SecretId: secretName, RecoveryWindowInDays: days }));
    s.out(`Token "${name}" is no longer guarded. Its secret is scheduled for deletion in ${days} days; until then "aws secretsmanager restore-secret --secret-id ${secretName}" brings it back.`);
  } else {
    s.out(`Token "${name}" is no longer guarded: the next sweep skips it. The secret ${secretName} is kept (consumers can still read it); delete it on purpose with "fleet remove ${name} --delete-secret".`);
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
  const prefix = `${f.name}/`;
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
    s.out(JSON.stringify({ fleet: f.name, tokens: shown }, null, 2));
  } else {
    const paint = (st: string): string => (st === 'healthy' ? s.style.ok(st) : st === 'unhealthy' ? s.style.bad(st) : s.style.warn(st));
    s.out(s.style.bold(`Fleet "${f.name}": ${rows.length} token(s) in the ledger, ${rows.filter((r) => r.status === 'unhealthy').length} unhealthy, ${rows.filter((r) => r.status === 'check-failed').length} not checkable`));
    for (const r of shown) s.out(`  ${r.token.padEnd(32)} ${paint(r.status.padEnd(12))} ${(r.expiresAt ?? '-').padEnd(24)} ${(r.lastCheckAt ?? '-').padEnd(24)} ${r.problems.join(' ')}`);
    if (shown.length === 0) s.out('  (none)');
  }
  return shown.some((r) => r.status === 'unhealthy') ? 1 : 0;
}

async function invokeFleetCheck(s: Session, f: FleetManifest, name: string): Promise<CheckReport> {
  const out = await s.clients.lambda.send(new InvokeCommand({ FunctionName: f.routerFunctionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify({ action: 'check', token: name })) }));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    let body: { errorMessage?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    throw new CliError(`The fleet function ${f.routerFunctionName} failed: ${(body.errorMessage ?? text).slice(0, 300)}`);
  }
  return JSON.parse(text) as CheckReport;
}

/** fleet check: one token now, through the fleet's function (the verdict goes to the ledger too). */
export async function fleetCheck(s: Session, f: FleetManifest, name: string): Promise<number> {
  const report = await invokeFleetCheck(s, f, name);
  s.out(s.json ? JSON.stringify(report, null, 2) : renderReport(report, s.style));
  return exitFor(report);
}
