// Loopback Secrets Manager speaking the awsJson1_1 wire protocol (POST /, x-amz-target: secretsmanager.<Op>),
// with the version and staging-label rules the guard's design depends on. Each rule cites the AWS page it follows:
// - immutable versions, idempotent ClientRequestToken, one version per label, AWSPREVIOUS following AWSCURRENT:
//   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
// - RemoveFromVersionId required when a label moves:
//   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
// - the FIRST version written to a secret becomes AWSCURRENT whatever VersionStages says (API_PutSecretValue.html)
// - the empty AWSPENDING placeholder made before createSecret, and RotateSecret's refusal while AWSPENDING sits
//   on a version other than AWSCURRENT ("A previous rotation isn't complete"):
//   https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html and
//   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
// - a new version put during a rotation abandons it (AWSPENDING removed, RotationAbandoned logged):
//   https://docs.aws.amazon.com/secretsmanager/latest/userguide/cloudtrail_log_entries.html
// - RotateImmediately=false runs only testSecret, on an AWSPENDING version the service makes and then removes
//   (API_RotateSecret.html); what it holds is not documented, so `testRunValue` picks the current value or none
// - a failed rotation keeps AWSPENDING and is attempted again with the same ClientRequestToken
//   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html: "retries the entire
//   rotation process"); `rotationAttempts` sets how many times, `reattempt()` runs a later window by hand
// - RotateSecret with a RotationLambdaARN turns rotation on, with or without RotationRules (API_RotateSecret.html)
// - 20 staging labels across all versions of a secret, counting the AWSPREVIOUS a move of AWSCURRENT creates and the
//   AWSPENDING RotateSecret creates: https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html
// - DescribeSecret is eventually consistent: `describeLag` hides a new version from that many DescribeSecret
//   calls (https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html, "eventual consistency")
// Point the SDK at it with AWS_ENDPOINT_URL_SECRETS_MANAGER or `endpoint`.
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackJsonServer, parseJsonBody, readBody, sendAwsJsonError, sendJson } from './loopback-json-server';

interface Version {
  id: string;
  value?: string;
  stages: Set<string>;
  created: number;
  /** DescribeSecret calls still to answer without this version (eventual consistency). */
  hiddenFor?: number;
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

/** What the service would record in CloudTrail (non-API service events). */
export interface ServiceEvent {
  eventName: 'RotationStarted' | 'RotationSucceeded' | 'RotationFailed' | 'RotationAbandoned' | 'TestRotationStarted' | 'TestRotationSucceeded' | 'TestRotationFailed';
  versionId: string;
  errorMessage?: string;
}

/** A rotation step as Secrets Manager invokes the function. */
export interface StepEvent {
  Step: string;
  SecretId: string;
  ClientRequestToken: string;
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

/** Staging labels across all versions of a secret (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html). */
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
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

export class SecretsManagerFake extends LoopbackJsonServer {
  readonly secrets = new Map<string, FakeSecret>();
  readonly calls: { op: string; input: Record<string, unknown> }[] = [];
  readonly events: ServiceEvent[] = [];
  /** Called after RotateSecret created the AWSPENDING placeholder; drives the four steps itself (overrides `lambda`). */
  onRotate?: (secret: FakeSecret, versionId: string) => Promise<void>;
  /**
   * Called once RotateSecret made its AWSPENDING version; when set, nothing else drives the steps (the model-based
   * tests play the service themselves: which step runs next, retried, twice at once or dropped).
   */
  onRotationStarted?: (secret: FakeSecret, versionId: string, testOnly: boolean) => void;
  /** The rotation function: when set, RotateSecret invokes it step by step the way the service does. */
  lambda?: (event: StepEvent) => Promise<unknown>;
  /** Attempts of a whole rotation before the service gives up for this window (same ClientRequestToken each time). */
  rotationAttempts = 1;
  /** What the test-only rotation's AWSPENDING version holds (undocumented): the current value, or nothing. */
  testRunValue: 'current' | 'empty' = 'current';
  /** New versions stay out of DescribeSecret for this many calls. */
  describeLag = 0;
  /** Errors to answer the next call of an operation with, e.g. { GetSecretValue: { type: 'AccessDeniedException', message } }. */
  readonly failNext = new Map<string, { type: string; message: string; status?: number }>();
  /** Errors for calls that match, e.g. the UpdateSecretVersionStage that removes one label; `times` counts down. */
  readonly failWhen: { op: string; match: (input: Record<string, unknown>) => boolean; type: string; message: string; times: number; afterApply?: boolean }[] = [];
  clock: () => number = () => Date.now() / 1000;
  rotations: Promise<void>[] = [];
  override async stop(): Promise<void> {
    await Promise.allSettled(this.rotations);
    await super.stop();
  }

  /** Waits for every rotation the fake started. */
  async settle(): Promise<void> {
    for (let n = 0; n < this.rotations.length; n = this.rotations.length) await Promise.allSettled(this.rotations.slice(n));
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

  /** Every value ever stored in the secret, labelled or not. */
  allValues(id: string): { id: string; value?: string; stages: string[] }[] {
    return [...this.find(id).versions.values()].map((v) => ({ id: v.id, value: v.value, stages: [...v.stages] }));
  }

  private labelCount(s: FakeSecret): number {
    return [...s.versions.values()].reduce((n, v) => n + v.stages.size, 0);
  }

  /** Moves `stage` onto version `to` the way PutSecretValue does (taking it from whichever version has it). */
  private attach(s: FakeSecret, to: Version, stage: string): void {
    const holder = [...s.versions.values()].find((v) => v.stages.has(stage));
    if (holder === to) return;
    // The quota is checked before anything changes: the service rejects the call, it does not apply part of it.
    const grows = (holder ? 0 : 1) + (stage === 'AWSCURRENT' && holder && ![...s.versions.values()].some((v) => v.stages.has('AWSPREVIOUS')) ? 1 : 0);
    if (this.labelCount(s) + grows > MAX_LABELS) throw new ServiceError('LimitExceededException', 'You have exceeded the maximum number of staging labels for this secret.');
    if (holder) holder.stages.delete(stage);
    if (stage === 'AWSCURRENT' && holder) this.attach(s, holder, 'AWSPREVIOUS');
    to.stages.add(stage);
  }

  /** The version a rotation in progress works on: AWSPENDING on a version that is not AWSCURRENT. */
  private rotating(s: FakeSecret): Version | undefined {
    return [...s.versions.values()].find((v) => v.stages.has('AWSPENDING') && !v.stages.has('AWSCURRENT'));
  }

  private putValue(s: FakeSecret, token: string, value: string, stages: string[]): Version {
    const existing = s.versions.get(token);
    if (existing?.value !== undefined) {
      if (existing.value !== value) throw new ServiceError('ResourceExistsException', 'You can’t modify an existing version, you can only create a new version.');
      return existing; // idempotent retry
    }
    // API_PutSecretValue: "If this operation creates the first version for the secret, then Secrets Manager
    // automatically attaches the staging label AWSCURRENT to the new version."
    const first = ![...s.versions.values()].some((v) => v.value !== undefined);
    // The label quota is checked before anything is stored: a refused call leaves no value behind.
    const all = first && !stages.includes('AWSCURRENT') ? [...stages, 'AWSCURRENT'] : stages;
    const added = all.filter((l) => ![...s.versions.values()].some((v) => v.stages.has(l))).length;
    if (this.labelCount(s) + added > MAX_LABELS) throw new ServiceError('LimitExceededException', 'You have exceeded the maximum number of staging labels for this secret.');
    // A new version (not the rotation's own pending one) abandons a rotation in progress.
    const inProgress = this.rotating(s);
    if (!existing && inProgress) {
      inProgress.stages.delete('AWSPENDING');
      this.events.push({ eventName: 'RotationAbandoned', versionId: inProgress.id });
    }
    const v = existing ?? { id: token, stages: new Set<string>(), created: this.clock(), hiddenFor: this.describeLag };
    v.value = value;
    s.versions.set(token, v);
    for (const stage of all) this.attach(s, v, stage);
    s.lastChanged = this.clock();
    return v;
  }

  /** Drives one rotation of `versionId` the way the service does: every step in order, the whole rotation again on failure. */
  private async drive(s: FakeSecret, versionId: string, testOnly: boolean): Promise<void> {
    const lambda = this.lambda!;
    const v = s.versions.get(versionId)!;
    this.events.push({ eventName: testOnly ? 'TestRotationStarted' : 'RotationStarted', versionId });
    let error: Error | undefined;
    for (let attempt = 0; attempt < (testOnly ? 1 : this.rotationAttempts); attempt++) {
      error = undefined;
      try {
        for (const Step of testOnly ? ['testSecret'] : STEPS) await lambda({ Step, SecretId: s.arn, ClientRequestToken: versionId });
        break;
      } catch (e) {
        error = e as Error;
        // Only a rotation whose version still carries AWSPENDING is attempted again.
        if (!v.stages.has('AWSPENDING')) break;
      }
    }
    if (testOnly) {
      // The service removes the test version's AWSPENDING itself, pass or fail.
      v.stages.delete('AWSPENDING');
      this.events.push({ eventName: error ? 'TestRotationFailed' : 'TestRotationSucceeded', versionId, errorMessage: error?.message });
    } else if (error) {
      this.events.push({ eventName: 'RotationFailed', versionId, errorMessage: error.message });
    } else {
      s.lastRotated = this.clock();
      // The service clears AWSPENDING once finishSecret succeeded.
      if (v.stages.has('AWSCURRENT')) v.stages.delete('AWSPENDING');
      this.events.push({ eventName: 'RotationSucceeded', versionId });
    }
    if (error) throw error;
  }

  /** A later rotation window: the service attempts the incomplete rotation again with the same token. */
  async reattempt(id: string): Promise<Error | undefined> {
    const s = this.find(id);
    const v = this.rotating(s);
    if (!v) return undefined;
    try {
      await this.drive(s, v.id, false);
      return undefined;
    } catch (e) {
      return e as Error;
    }
  }

  private op(op: string, input: Record<string, unknown>): unknown {
    const fail = this.failNext.get(op);
    if (fail) {
      this.failNext.delete(op);
      throw new ServiceError(fail.type, fail.message, fail.status ?? 400);
    }
    const rule = this.failWhen.find((r) => r.op === op && r.times > 0 && r.match(input));
    if (rule) {
      rule.times--;
      // afterApply: the call took effect and only its answer was lost (a timeout after the service applied it).
      if (rule.afterApply) this.apply(op, input);
      throw new ServiceError(rule.type, rule.message, rule.type === 'InternalServiceError' ? 500 : 400);
    }
    return this.apply(op, input);
  }

  private apply(op: string, input: Record<string, unknown>): unknown {
    if (op === 'ListSecrets' || op === 'CreateSecret') return this.accountOp(op, input);
    const s = this.find(String(input.SecretId ?? ''));
    switch (op) {
      case 'DescribeSecret': {
        const stages: Record<string, string[]> = {};
        for (const v of s.versions.values()) {
          if (v.hiddenFor) {
            v.hiddenFor--;
            continue;
          }
          if (v.stages.size) stages[v.id] = [...v.stages];
        }
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
        // A RotationLambdaARN turns rotation on, with or without RotationRules.
        if (input.RotationLambdaARN) {
          s.rotationLambdaArn = String(input.RotationLambdaARN);
          s.rotationEnabled = true;
        }
        if (!s.rotationEnabled) throw new ServiceError('InvalidRequestException', 'Secrets Manager can’t rotate the secret because rotation is not enabled.');
        if (this.rotating(s)) throw new ServiceError('InvalidRequestException', "A previous rotation isn't complete. That rotation will be reattempted.");
        const testOnly = input.RotateImmediately === false;
        // Without a function wired to drive it, a test-only run leaves nothing behind (the service removes its placeholder).
        if (testOnly && !this.lambda && !this.onRotationStarted) return { ARN: s.arn, Name: s.name };
        const token = String(input.ClientRequestToken ?? randomUUID());
        if (s.versions.has(token)) throw new ServiceError('ResourceExistsException', `A version with ClientRequestToken ${token} already exists.`);
        // Its AWSPENDING is a staging label like any other, a test-only run's too: 20 across all versions of a secret (reference_limits.html).
        if (this.labelCount(s) + 1 > MAX_LABELS && ![...s.versions.values()].some((x) => x.stages.has('AWSPENDING'))) {
          throw new ServiceError('LimitExceededException', 'You have exceeded the maximum number of staging labels for this secret.');
        }
        const current = [...s.versions.values()].find((x) => x.stages.has('AWSCURRENT'));
        const pendingOnCurrent = [...s.versions.values()].find((x) => x.stages.has('AWSPENDING'));
        pendingOnCurrent?.stages.delete('AWSPENDING');
        // The placeholder has a label but no value (a test-only run's may carry the current value).
        const v: Version = { id: token, stages: new Set(['AWSPENDING']), created: this.clock(), ...(testOnly && this.testRunValue === 'current' && current ? { value: current.value } : {}) };
        s.versions.set(token, v);
        if (this.onRotationStarted) {
          this.onRotationStarted(s, token, testOnly);
          return { ARN: s.arn, Name: s.name, VersionId: token };
        }
        let run: Promise<void> | undefined;
        if (this.onRotate && !testOnly) {
          run = this.onRotate(s, token).then(() => {
            s.lastRotated = this.clock();
            if (v.stages.has('AWSCURRENT')) v.stages.delete('AWSPENDING');
          });
        } else if (this.lambda) run = this.drive(s, token, testOnly);
        if (run) this.rotations.push(run.catch(() => undefined));
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

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const answer = this.dispatch(String(req.headers['x-amz-target'] ?? ''), String(req.headers.authorization ?? ''), body.toString('utf8'));
    if (answer.type) sendAwsJsonError(res, answer.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': answer.type }, answer.type, answer.message ?? '');
    else sendJson(res, answer.status, { 'content-type': 'application/x-amz-json-1.1' }, answer.json);
  }

  /**
   * One awsJson1_1 request, answered synchronously: what the HTTP server sends, and what the in-process transport of
   * the model-based tests hands the SDK (test/fakes/in-process.ts). `type` is set for an error answer.
   */
  dispatch(target: string, authorization: string, body: string): { status: number; json?: unknown; type?: string; message?: string } {
    const op = target.replace(/^secretsmanager\./, '');
    let input: Record<string, unknown> = {};
    try {
      input = parseJsonBody(body);
      this.calls.push({ op, input });
      if (!target.startsWith('secretsmanager.')) throw new ServiceError('UnknownOperationException', 'Missing x-amz-target');
      if (!authorization.startsWith('AWS4-HMAC-SHA256')) throw new ServiceError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 403);
      return { status: 200, json: this.op(op, input) };
    } catch (e) {
      const err = e instanceof ServiceError ? e : new ServiceError('InternalServiceError', (e as Error).message, 500);
      return { status: err.status, type: err.type, message: err.message };
    }
  }
}
