// Loopback Secrets Manager speaking the awsJson1_1 wire protocol (POST /, x-amz-target: secretsmanager.<Op>),
// with the version and staging-label rules the guard relies on (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html and the API reference, https://docs.aws.amazon.com/secretsmanager/latest/apireference/):
// immutable versions, one version per label, AWSPREVIOUS following AWSCURRENT, RemoveFromVersionId required
// when a label moves, the empty AWSPENDING placeholder, and RotateSecret's refusal while AWSPENDING sits on a
// version other than AWSCURRENT. Point the SDK at it with AWS_ENDPOINT_URL_SECRETS_MANAGER or `endpoint`.
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

interface Version {
  id: string;
  value?: string;
  stages: Set<string>;
  created: number;
}

export interface FakeSecret {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  versions: Map<string, Version>;
  lastRotated?: number;
  lastChanged?: number;
  deleted?: boolean;
  tags?: Record<string, string>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const MAX_LABELS = 20;
/** Tag rules (https://docs.aws.amazon.com/secretsmanager/latest/userguide/managing-secrets_tagging.html): 50 tags, key 128, value 256 characters, letters, digits, spaces and _ . : / = + - @. */
const MAX_TAGS = 50;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function checkTags(tags: readonly { Key: string; Value: string }[]): void {
  for (const t of tags) {
    if (!t.Key || t.Key.length > 128 || !TAG_TEXT.test(t.Key)) throw new ServiceError('ValidationException', `Invalid tag key ${JSON.stringify(t.Key).slice(0, 40)}.`);
    if ((t.Value ?? '').length > 256 || !TAG_TEXT.test(t.Value ?? '')) throw new ServiceError('ValidationException', `Invalid tag value for key ${t.Key}.`);
  }
  if (tags.length > MAX_TAGS) throw new ServiceError('ValidationException', `A secret can have at most ${MAX_TAGS} tags.`);
}

const tagList = (tags: Record<string, string>): { Key: string; Value: string }[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export class SecretsManagerFake {
  readonly secrets = new Map<string, FakeSecret>();
  readonly calls: { op: string; input: Record<string, unknown> }[] = [];
  /** Called after RotateSecret created the AWSPENDING placeholder; drives the four steps like the service would. */
  onRotate?: (secret: FakeSecret, versionId: string) => Promise<void>;
  /** Errors to answer the next call of an operation with, e.g. { GetSecretValue: { type: 'AccessDeniedException', message } }. */
  readonly failNext = new Map<string, { type: string; message: string; status?: number }>();
  clock: () => number = () => Date.now() / 1000;
  rotations: Promise<void>[] = [];
  private server?: Server;
  endpoint = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.rotations);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Creates a secret the way the construct does: no value at all, or an initial AWSCURRENT value. */
  createSecret(name: string, opts: { value?: string; rotationEnabled?: boolean; rotationLambdaArn?: string; tags?: Record<string, string> } = {}): FakeSecret {
    const arn = `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name}-${randomUUID().slice(0, 6)}`;
    const secret: FakeSecret = { arn, name, rotationEnabled: opts.rotationEnabled ?? false, rotationLambdaArn: opts.rotationLambdaArn, versions: new Map(), tags: opts.tags ? { ...opts.tags } : undefined };
    this.secrets.set(arn, secret);
    if (opts.value !== undefined) this.putValue(secret, randomUUID(), opts.value, ['AWSCURRENT']);
    return secret;
  }

  find(id: string): FakeSecret {
    const s = this.secrets.get(id) ?? [...this.secrets.values()].find((x) => x.name === id);
    if (!s || s.deleted) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return s;
  }

  /** Label -> version id, for assertions. */
  labels(id: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of this.find(id).versions.values()) for (const s of v.stages) out[s] = v.id;
    return out;
  }

  valueAt(id: string, label: string): string | undefined {
    return [...this.find(id).versions.values()].find((v) => v.stages.has(label))?.value;
  }

  private labelCount(s: FakeSecret): number {
    return [...s.versions.values()].reduce((n, v) => n + v.stages.size, 0);
  }

  /** Moves `stage` onto version `to` the way PutSecretValue does (taking it from whichever version has it). */
  private attach(s: FakeSecret, to: Version, stage: string): void {
    const holder = [...s.versions.values()].find((v) => v.stages.has(stage));
    if (holder === to) return;
    if (holder) holder.stages.delete(stage);
    if (stage === 'AWSCURRENT' && holder) this.attach(s, holder, 'AWSPREVIOUS');
    to.stages.add(stage);
    if (this.labelCount(s) > MAX_LABELS) throw new ServiceError('LimitExceededException', 'You have exceeded the maximum number of staging labels for this secret.');
  }

  private putValue(s: FakeSecret, token: string, value: string, stages: string[]): Version {
    const existing = s.versions.get(token);
    if (existing?.value !== undefined) {
      if (existing.value !== value) throw new ServiceError('ResourceExistsException', 'You can’t modify an existing version, you can only create a new version.');
      return existing; // idempotent retry
    }
    const v = existing ?? { id: token, stages: new Set<string>(), created: this.clock() };
    v.value = value;
    s.versions.set(token, v);
    for (const stage of stages) this.attach(s, v, stage);
    s.lastChanged = this.clock();
    return v;
  }

  private op(op: string, input: Record<string, unknown>): unknown {
    const fail = this.failNext.get(op);
    if (fail) {
      this.failNext.delete(op);
      throw new ServiceError(fail.type, fail.message, fail.status ?? 400);
    }
    if (op === 'ListSecrets' || op === 'CreateSecret') return this.accountOp(op, input);
    const s = this.find(String(input.SecretId ?? ''));
    switch (op) {
      case 'DescribeSecret': {
        const stages: Record<string, string[]> = {};
        for (const v of s.versions.values()) if (v.stages.size) stages[v.id] = [...v.stages];
        return {
          ARN: s.arn,
          Name: s.name,
          RotationEnabled: s.rotationEnabled,
          RotationLambdaARN: s.rotationLambdaArn,
          VersionIdsToStages: stages,
          LastRotatedDate: s.lastRotated,
          LastChangedDate: s.lastChanged,
          ...(s.tags ? { Tags: tagList(s.tags) } : {}),
        };
      }
      case 'TagResource': {
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html: a key already there is overwritten.
        const tags = (input.Tags as { Key: string; Value: string }[] | undefined) ?? [];
        checkTags(tags);
        s.tags = { ...s.tags, ...Object.fromEntries(tags.map((t) => [t.Key, t.Value])) };
        if (Object.keys(s.tags).length > MAX_TAGS) throw new ServiceError('ValidationException', `A secret can have at most ${MAX_TAGS} tags.`);
        return {};
      }
      case 'UntagResource': {
        for (const k of (input.TagKeys as string[] | undefined) ?? []) delete s.tags?.[k];
        return {};
      }
      case 'CancelRotateSecret': {
        s.rotationEnabled = false;
        return { ARN: s.arn, Name: s.name };
      }
      case 'DeleteSecret': {
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html: a recovery window of 7-30 days unless forced.
        const days = input.RecoveryWindowInDays as number | undefined;
        if (input.ForceDeleteWithoutRecovery && days !== undefined) throw new ServiceError('InvalidParameterException', 'You can\'t use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.');
        if (days !== undefined && (days < 7 || days > 30)) throw new ServiceError('InvalidParameterException', 'RecoveryWindowInDays must be between 7 and 30 days.');
        s.deleted = true;
        return { ARN: s.arn, Name: s.name, DeletionDate: this.clock() + (input.ForceDeleteWithoutRecovery ? 0 : (days ?? 30) * 86400) };
      }
      case 'GetSecretValue': {
        const { VersionId, VersionStage } = input as { VersionId?: string; VersionStage?: string };
        const stage = VersionStage ?? (VersionId ? undefined : 'AWSCURRENT');
        const v = VersionId ? s.versions.get(VersionId) : [...s.versions.values()].find((x) => x.stages.has(stage!));
        if (!v || (stage && !v.stages.has(stage)) || v.value === undefined) {
          throw new ServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${stage ? `staging label: ${stage}` : `VersionId: ${VersionId}`}`);
        }
        return { ARN: s.arn, Name: s.name, VersionId: v.id, SecretString: v.value, VersionStages: [...v.stages], CreatedDate: v.created };
      }
      case 'PutSecretValue': {
        const token = String(input.ClientRequestToken ?? randomUUID());
        if (typeof input.SecretString !== 'string') throw new ServiceError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
        if (input.SecretString.length > 65536) throw new ServiceError('InvalidParameterException', 'The secret value is larger than 65536 bytes.');
        const v = this.putValue(s, token, input.SecretString, (input.VersionStages as string[] | undefined) ?? ['AWSCURRENT']);
        return { ARN: s.arn, Name: s.name, VersionId: v.id, VersionStages: [...v.stages] };
      }
      case 'UpdateSecretVersionStage': {
        const { VersionStage: stage, MoveToVersionId: to, RemoveFromVersionId: from } = input as { VersionStage: string; MoveToVersionId?: string; RemoveFromVersionId?: string };
        const holder = [...s.versions.values()].find((v) => v.stages.has(stage));
        if (from !== undefined && holder?.id !== from) throw new ServiceError('InvalidParameterException', `The staging label ${stage} is not attached to version ${from}.`);
        if (to === undefined) {
          if (!holder || from === undefined) throw new ServiceError('InvalidParameterException', 'You must specify MoveToVersionId or RemoveFromVersionId.');
          holder.stages.delete(stage);
        } else {
          const target = s.versions.get(to);
          if (!target) throw new ServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret version: ${to}.`);
          if (holder && holder !== target && from === undefined) {
            throw new ServiceError('InvalidParameterException', `The staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`);
          }
          this.attach(s, target, stage);
        }
        if (stage === 'AWSCURRENT') s.lastChanged = this.clock();
        return { ARN: s.arn, Name: s.name };
      }
      case 'ListSecretVersionIds': {
        const versions = [...s.versions.values()].filter((v) => v.stages.size > 0 || input.IncludeDeprecated === true);
        return { ARN: s.arn, Name: s.name, Versions: versions.map((v) => ({ VersionId: v.id, VersionStages: [...v.stages], CreatedDate: v.created })) };
      }
      case 'RotateSecret': {
        if (input.RotationLambdaARN) {
          s.rotationLambdaArn = String(input.RotationLambdaARN);
          s.rotationEnabled = true;
        }
        if (!s.rotationEnabled) throw new ServiceError('InvalidRequestException', 'Secrets Manager can’t rotate the secret because rotation is not enabled.');
        // RotateImmediately=false only tests the function (testSecret on a placeholder the service removes again,
        // RotateSecret reference); this fake does not drive that test run and leaves no placeholder behind.
        if (input.RotateImmediately === false) return { ARN: s.arn, Name: s.name };
        const pending = [...s.versions.values()].find((v) => v.stages.has('AWSPENDING'));
        if (pending && !pending.stages.has('AWSCURRENT')) throw new ServiceError('InvalidRequestException', "A previous rotation isn't complete. That rotation will be reattempted.");
        const token = String(input.ClientRequestToken ?? randomUUID());
        const v: Version = { id: token, stages: new Set(), created: this.clock() };
        s.versions.set(token, v);
        if (pending) pending.stages.delete('AWSPENDING');
        v.stages.add('AWSPENDING'); // the placeholder has a label but no value
        if (this.onRotate) {
          const run = this.onRotate(s, token).then(() => {
            s.lastRotated = this.clock();
            // The service clears AWSPENDING once finishSecret succeeded.
            if (v.stages.has('AWSCURRENT')) v.stages.delete('AWSPENDING');
          });
          this.rotations.push(run.catch(() => undefined));
        }
        return { ARN: s.arn, Name: s.name, VersionId: token };
      }
      default:
        throw new ServiceError('UnknownOperationException', `Operation ${op} is not supported by this fake.`);
    }
  }

  /** Operations on the account rather than one secret. */
  private accountOp(op: 'ListSecrets' | 'CreateSecret', input: Record<string, unknown>): unknown {
    if (op === 'CreateSecret') {
      // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html: the name must be new (a secret
      // pending deletion still holds it), and a SecretString given here becomes the first version, labelled AWSCURRENT.
      const name = String(input.Name ?? '');
      if ([...this.secrets.values()].some((x) => x.name === name)) throw new ServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      const tags = (input.Tags as { Key: string; Value: string }[] | undefined) ?? [];
      checkTags(tags);
      const secret = this.createSecret(name, { tags: tags.length ? Object.fromEntries(tags.map((t) => [t.Key, t.Value])) : undefined });
      if (typeof input.SecretString === 'string') {
        const v = this.putValue(secret, String(input.ClientRequestToken ?? randomUUID()), input.SecretString, ['AWSCURRENT']);
        return { ARN: secret.arn, Name: name, VersionId: v.id };
      }
      return { ARN: secret.arn, Name: name };
    }
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html: the `name` filter matches a prefix
    // of the name, ignoring case; secrets scheduled for deletion are left out unless IncludePlannedDeletion; pages of MaxResults.
    const filters = (input.Filters as { Key: string; Values: string[] }[] | undefined) ?? [];
    const prefixes = filters.filter((f) => f.Key === 'name').flatMap((f) => f.Values.map((v) => v.toLowerCase()));
    const all = [...this.secrets.values()]
      .filter((x) => (input.IncludePlannedDeletion ? true : !x.deleted))
      .filter((x) => prefixes.length === 0 || prefixes.some((p) => x.name.toLowerCase().startsWith(p)))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const max = Math.min(Number(input.MaxResults ?? 100), 100);
    const start = input.NextToken ? Number(Buffer.from(String(input.NextToken), 'base64').toString()) : 0;
    const page = all.slice(start, start + max);
    return {
      SecretList: page.map((x) => ({ ARN: x.arn, Name: x.name, RotationEnabled: x.rotationEnabled, ...(x.tags ? { Tags: tagList(x.tags) } : {}) })),
      ...(start + max < all.length ? { NextToken: Buffer.from(String(start + max)).toString('base64') } : {}),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.replace(/^secretsmanager\./, '');
    let input: Record<string, unknown> = {};
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      this.calls.push({ op, input });
      if (!target.startsWith('secretsmanager.')) throw new ServiceError('UnknownOperationException', 'Missing x-amz-target');
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) throw new ServiceError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 403);
      const out = this.op(op, input);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(out));
    } catch (e) {
      const err = e instanceof ServiceError ? e : new ServiceError('InternalServiceError', (e as Error).message, 500);
      res.writeHead(err.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': err.type });
      res.end(JSON.stringify({ __type: err.type, message: err.message }));
    }
  }
}
