// The real side of the model-based rotation test: the guard's own code (the function's `route`, the operator
// command's hand-in) against the Secrets Manager fake and the Graph emulator, wired in-process through gates that
// fast-check's scheduler controls. The system also plays Secrets Manager's rotation service (which step runs next,
// a retry of the whole rotation, a step run twice at once or dropped) and the faults of both services. It knows no
// rotation rule; it only records facts the invariants need: which tokens the guard was handed or obtained, which
// invocations are still running, and every revoke Meta applied.
import type { Scheduler } from 'fast-check';
import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GraphClient } from '../../lambda/adapters/graph-client';
import { readRuntimeConfig, RuntimeConfig } from '../../lambda/adapters/runtime-config';
import { OutcomeDeps, RotationDeps } from '../../lambda/app/ports';
import { CheckReport, DEMOTED_LABEL_PREFIX, EnvVar, fleetNamespace, FleetEnvVar, REJECTED_LABEL_PREFIX, RotationMode, SWEEP_MESSAGE_VERSION, SweepMessage } from '../../lambda/contract';
import { route } from '../../lambda/entrypoints/router';
import { serve as serveFleet } from '../../lambda/entrypoints/fleet-router';
import type { FleetRouterDeps } from '../../lambda/wiring-fleet';
import { checkFleetToken, FleetBatch, FleetCheckDeps, UsageMemory } from '../../lambda/app/check-fleet-token';
import type { Retirement } from '../../lambda/app/retire-fleet-token';
import { FleetConfig, readFleetConfig } from '../../lambda/adapters/fleet-config';
import { FleetSecrets } from '../../lambda/adapters/fleet-secrets';
import type { FleetTally } from '../../lambda/adapters/fleet-tally';
import { fleetSecretName, tagsForSettings, validateTokenSettings } from '../../lambda/core/token-settings';
import { SecretsStore } from '../../lambda/adapters/secrets-store';
import { handInVersionId } from '../../lambda/core/plan-rotation';
import type { MetricsPublisher } from '../../lambda/adapters/metrics-publisher';
import type { Logger } from '@aws-lambda-powertools/logger';
import { handInToken, HandIn } from '../../bin/cli/hand-in';
import type { Session } from '../../bin/cli/session';
import type { Target } from '../../bin/cli/aws';
import { fleetRemove } from '../../bin/cli/fleet';
import type { FleetManifest } from '../../lib/whatsapp-token-guard-stack';
import { APP_ID, CANARY_APP_SECRET, PHONE_ID, SYSTEM_USER_ID, WABA_ID } from '../fakes/canary';
import { GraphEmulator, TokenRecord } from '../fakes/graph-emulator';
import { Answer, Gate, immediateRetries, inProcessFetch, networkError, secretsManagerHandler, WireCall } from '../fakes/in-process';
import { FakeSecret, SecretsManagerFake } from '../fakes/secrets-manager-fake';

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type Step = (typeof STEPS)[number];
const DAY = 86_400;

export interface SystemOptions {
  readonly mode: RotationMode;
  /** WABA and phone probes configured. */
  readonly probes: boolean;
  readonly graceHours?: number;
  /** Start with an empty secret (the first token comes through set-token). */
  readonly emptySecret: boolean;
  /** Whether the service takes AWSPENDING off the promoted version after finishSecret (the docs allow either). */
  readonly serviceClearsPending: boolean;
  /** What a test-only rotation's AWSPENDING version holds (undocumented). */
  readonly testRunValue: 'current' | 'empty';
  /**
   * Fleet mode: the token is one secret of a WhatsAppTokenFleet (settings in its tags), rotated and checked by the
   * fleet's function (fleet-router `serve`), swept by its worker (`checkFleetToken`, which settles kept tokens), handed
   * in with `fleet set-token` and retired with `fleet remove --delete-secret`.
   */
  readonly fleet: boolean;
  /**
   * Live tokens already kept under parked labels when the sequence starts (demoted ones and refused hand-ins of an
   * earlier version of the command, oldest first), so sequences start at the budget and label-quota boundaries
   * (MAX_PARKED, 20 labels) that random commands alone rarely reach.
   */
  readonly parkedAtStart: number;
}

/** The fleet of the model's fleet mode, and its one token. */
const FLEET_NS = fleetNamespace('Model', 'clients');
export const FLEET_TOKEN = 'acme';

export type TokenKind = 'good' | 'good60' | 'user' | 'temporary' | 'foreign' | 'scope' | 'dead';

/** How a Secrets Manager call fails once. */
export type AwsFault = { readonly op: string; readonly kind: 'server-error' | 'lost-after-apply' | 'not-found' | 'kms-denied' | 'throttled' };
/** How Meta fails, for the next `count` calls (Infinity: until healed). */
export type MetaFault = { readonly kind: 'down' | 'throttle-app' | 'throttle-waba' | 'transient' | 'lose-answer'; readonly count: number };

interface Invocation {
  readonly id: number;
  readonly label: string;
  /** Calls after which the invocation dies (a crash or a Lambda timeout): no further call, no answer. */
  readonly dropAfter?: number;
  calls: number;
  dropped: boolean;
  done: boolean;
  /** Tokens Meta delivered to this invocation. */
  readonly received: Set<string>;
  /** Where the Graph request log and Meta's facts stood when it started. */
  readonly graphIndex: number;
  readonly metaEpoch: number;
  /**
   * What the invocation saw at its last DescribeSecret (the labels in use holding each token then), and the calls it
   * made since: a revoke right after a fresh DescribeSecret acts on the newest view there is (see I5 in metaCall).
   */
  lastDescribe?: { readonly inUse: ReadonlyMap<string, readonly string[]>; readonly since: string[] };
  /** Resolves when the invocation dies: its caller (the service) sees a timeout, its own code never resumes. */
  readonly died: Promise<void>;
  die(): void;
}

export interface ServiceRotation {
  readonly versionId: string;
  next: number;
  /** A step of it is running right now. */
  busy: boolean;
  /** Index into the Graph request log when it started, for "judged in this rotation". */
  readonly graphIndex: number;
  readonly metaEpoch: number;
  attempts: number;
}

export class RotationSystem {
  readonly graph = new GraphEmulator({ appId: APP_ID, appSecret: CANARY_APP_SECRET });
  readonly sm = new SecretsManagerFake();
  readonly secret: FakeSecret;
  readonly appSecret: FakeSecret;
  readonly config: RuntimeConfig;
  /** Unix seconds, shared by Meta, Secrets Manager and the function. */
  t = 1_800_000_000;
  /** Every line the function, the command and the ledger/event stubs wrote, and every error message. */
  readonly output: string[] = [];
  /** Tokens the guard was handed (set-token, a manual put) or that Meta delivered to it (refresh, mint). */
  /** Every version AWSCURRENT was ever on (a demotion label naming one of them is a real demotion). */
  readonly everCurrent = new Set<string>();
  readonly held = new Map<string, 'initial' | 'hand-in' | 'manual' | 'obtained' | 'parked at start'>();
  /** Tokens whose last label an operator's own Secrets Manager call removed: the operator, not the guard, let them go. */
  readonly releasedByOperator = new Set<string>();
  /** Broken promises seen at the moment they happened (I5: a revoke of a token in use). */
  readonly violations: string[] = [];
  rotation?: ServiceRotation;
  /** Where the Graph request log and Meta's facts stood when each rotation (by version id) started. */
  readonly rotationStarts = new Map<string, { graphIndex: number; metaEpoch: number }>();
  /** Test-only rotations (RotateImmediately=false) the service still has to run. */
  readonly testRuns: string[] = [];
  /** Increments whenever Meta's facts about a token change outside the guard (expiry, revocation, access). */
  metaEpoch = 0;
  /** Fleet mode: the fleet function's configuration, and the retirement `fleet remove --delete-secret` ran (then the secret is gone). */
  readonly fleetConfig?: FleetConfig;
  retirement?: Retirement;
  private readonly awsFaults: AwsFault[] = [];
  private metaFault?: { kind: MetaFault['kind']; left: number };
  private readonly invocations: Invocation[] = [];
  private readonly background: Promise<unknown>[] = [];
  private counter = 0;

  constructor(
    readonly s: Scheduler,
    readonly opts: SystemOptions,
  ) {
    this.graph.now = () => this.t;
    this.sm.clock = () => this.t;
    this.graph.systemUsers.add(SYSTEM_USER_ID);
    if (opts.probes) this.graph.addWaba(WABA_ID, { id: PHONE_ID, canSendMessage: 'AVAILABLE' });
    this.sm.testRunValue = opts.testRunValue;
    this.sm.onRotationStarted = (_s, versionId, testOnly) => {
      if (process.env.MODEL_TRACE) console.log(`  rotation started: ${versionId.slice(0, 8)}${testOnly ? ' (test-only)' : ''}`);
      if (testOnly) this.testRuns.push(versionId);
      else {
        this.rotation = { versionId, next: 0, busy: false, graphIndex: this.graph.requests.length, metaEpoch: this.metaEpoch, attempts: 0 };
        this.rotationStarts.set(versionId, { graphIndex: this.graph.requests.length, metaEpoch: this.metaEpoch });
      }
    };
    // A refresh guard starts from a 60-day token (one that never expires is never refreshed).
    const initial = opts.emptySecret ? undefined : this.newToken(opts.mode === 'refresh' ? 'good60' : 'good');
    if (initial) this.held.set(initial, 'initial');
    const value = initial === undefined ? undefined : JSON.stringify({ accessToken: initial });
    if (opts.fleet) {
      // What `fleet add` writes: the secret under the fleet's prefix, its settings in its tags (validated as flags).
      const name = fleetSecretName(FLEET_NS, FLEET_TOKEN);
      const settings = validateTokenSettings(
        { name: FLEET_TOKEN, secretId: name, rotationMode: opts.mode, systemUserId: SYSTEM_USER_ID, ...(opts.probes ? { wabaId: WABA_ID, phoneNumberId: PHONE_ID } : {}), ...(opts.graceHours !== undefined && opts.mode !== 'hand-made' ? { revokePreviousAfterHours: String(opts.graceHours) } : {}) },
        'flags',
      );
      if (!settings.ok) throw new Error(settings.reason);
      this.secret = this.sm.createSecret(name, { value, rotationEnabled: true, tags: tagsForSettings(FLEET_NS, settings.value) });
    } else this.secret = this.sm.createSecret('whatsapp-token-guard/model/primary/token', { value, rotationEnabled: true });
    for (let i = 0; i < opts.parkedAtStart && initial !== undefined; i++) {
      const token = this.newToken(i % 2 ? 'user' : 'good');
      this.held.set(token, 'parked at start');
      const label = `${i % 2 ? REJECTED_LABEL_PREFIX : DEMOTED_LABEL_PREFIX}${this.t - 10_000 + i}`;
      const put = this.sm.dispatch('secretsmanager.PutSecretValue', 'AWS4-HMAC-SHA256 setup', JSON.stringify({ SecretId: this.secret.arn, ClientRequestToken: randomUUID(), SecretString: JSON.stringify({ accessToken: token }), VersionStages: [label] }));
      if (put.status !== 200) throw new Error(`setup: ${put.type}: ${put.message}`);
    }
    this.appSecret = this.sm.createSecret('whatsapp-token-guard/model/primary/app-secret', { value: JSON.stringify({ appSecret: CANARY_APP_SECRET }) });
    if (opts.fleet) {
      this.fleetConfig = readFleetConfig({
        [FleetEnvVar.FleetName]: FLEET_NS.fleetName,
        [FleetEnvVar.FleetId]: FLEET_NS.fleetId,
        [FleetEnvVar.SecretNamePrefix]: FLEET_NS.secretNamePrefix,
        [FleetEnvVar.SecretArnPrefix]: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${FLEET_NS.secretNamePrefix}`,
        [EnvVar.AppSecretArn]: this.appSecret.arn,
        [EnvVar.AppId]: APP_ID,
        [EnvVar.GraphApiBaseUrl]: 'http://graph.invalid',
        [EnvVar.HttpTimeoutMs]: '1000',
      });
    }
    this.config = readRuntimeConfig({
      [EnvVar.TokenName]: 'primary',
      [EnvVar.TokenSecretArn]: this.secret.arn,
      [EnvVar.AppSecretArn]: this.appSecret.arn,
      [EnvVar.AppId]: APP_ID,
      [EnvVar.GraphApiBaseUrl]: 'http://graph.invalid',
      [EnvVar.RotationMode]: opts.mode,
      [EnvVar.SystemUserId]: SYSTEM_USER_ID,
      [EnvVar.HttpTimeoutMs]: '1000',
      ...(opts.probes ? { [EnvVar.WabaId]: WABA_ID, [EnvVar.PhoneNumberId]: PHONE_ID } : {}),
      ...(opts.graceHours !== undefined ? { [EnvVar.RevokePreviousAfterHours]: String(opts.graceHours) } : {}),
    });
  }

  // ---- tokens at Meta ------------------------------------------------------------------------------------------

  /** A new token of the given kind, known to Meta (its text is long enough for the 12-character leak check). */
  newToken(kind: TokenKind): string {
    const token = `EAAG${kind}${++this.counter}x${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const rec: Partial<TokenRecord> = { issuedAt: this.t - DAY, wabas: this.opts.probes ? [WABA_ID] : [] };
    if (kind === 'good60') rec.expiresAt = this.t + 60 * DAY;
    if (kind === 'user') Object.assign(rec, { type: 'USER', expiresAt: this.t + 50 * DAY });
    if (kind === 'temporary') Object.assign(rec, { type: 'USER', expiresAt: this.t + 20 * 3600 });
    if (kind === 'foreign') rec.appId = '999999999';
    if (kind === 'scope') rec.scopes = ['whatsapp_business_management', 'business_management'];
    if (kind === 'dead') rec.dead = { code: 190, subcode: 463, message: 'Error validating access token: Session has expired on Friday.' };
    this.graph.addToken(token, rec);
    return token;
  }

  /** Whether Meta would still accept the token (not revoked, not expired). */
  alive(token: string): boolean {
    const rec = this.graph.tokens.get(token);
    return rec !== undefined && rec.dead === undefined && !(rec.expiresAt !== 0 && rec.expiresAt <= this.t);
  }

  tokenAt(label: string): string | undefined {
    return parseToken(this.sm.valueAt(this.secret.arn, label));
  }

  // ---- faults ----------------------------------------------------------------------------------------------------

  armAws(f: AwsFault): void {
    this.awsFaults.push(f);
  }

  armMeta(f: MetaFault): void {
    this.metaFault = { kind: f.kind, left: f.count };
  }

  heal(): void {
    this.awsFaults.length = 0;
    this.metaFault = undefined;
  }

  get faulty(): boolean {
    return this.awsFaults.length > 0 || this.metaFault !== undefined;
  }

  private takeAwsFault(call: WireCall): AwsFault | undefined {
    const i = this.awsFaults.findIndex((f) => f.op === call.op);
    return i < 0 ? undefined : this.awsFaults.splice(i, 1)[0];
  }

  private takeMetaFault(call: WireCall): MetaFault['kind'] | undefined {
    const f = this.metaFault;
    if (!f) return undefined;
    // A lost answer only matters for calls that change something at Meta.
    if (f.kind === 'lose-answer' && !/access_token|oauth\/revoke/.test(call.op)) return undefined;
    if (--f.left <= 0) this.metaFault = undefined;
    return f.kind;
  }

  // ---- the wire ----------------------------------------------------------------------------------------------------

  private gate(inv: Invocation): Gate {
    return async (call, apply) => {
      if (inv.dropped || (inv.dropAfter !== undefined && inv.calls >= inv.dropAfter)) {
        inv.dropped = true;
        inv.die();
        return new Promise<Answer>(() => undefined); // the invocation died: this call never answers
      }
      inv.calls++;
      inv.lastDescribe?.since.push(/oauth\/revoke/.test(call.op) ? `revoke ${String(call.input.revoke_token ?? '')}` : call.op);
      await this.s.schedule(Promise.resolve(), `${inv.label} > ${call.op}`);
      const answer = call.service === 'secretsmanager' ? await this.awsCall(inv, call, apply) : await this.metaCall(inv, call, apply);
      await this.s.schedule(Promise.resolve(), `${inv.label} < ${call.op}`);
      return answer;
    };
  }

  private async awsCall(inv: Invocation, call: WireCall, apply: () => Promise<Answer>): Promise<Answer> {
    const fault = this.takeAwsFault(call);
    const error = (status: number, type: string, message: string): Answer => ({ status, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type }, body: JSON.stringify({ __type: type, message }) });
    if (fault?.kind === 'server-error') return error(500, 'InternalServiceError', 'An error occurred on the server side.');
    if (fault?.kind === 'throttled') return error(400, 'ThrottlingException', 'Rate exceeded');
    // A read that finds nothing although the value is there (eventual consistency, a transient error).
    if (fault?.kind === 'not-found') return error(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
    // A customer managed key whose policy does not let this caller encrypt (kms:GenerateDataKey denied).
    if (fault?.kind === 'kms-denied') return error(400, 'AccessDeniedException', 'Access to KMS is not allowed');
    const currentBefore = this.versionWith('AWSCURRENT');
    const answer = await apply();
    const currentAfter = this.versionWith('AWSCURRENT');
    if (currentAfter) this.everCurrent.add(currentAfter);
    if (answer.status === 200 && call.op === 'DescribeSecret' && fault?.kind !== 'lost-after-apply') {
      const inUse = new Map<string, string[]>();
      for (const v of this.sm.find(this.secret.arn).versions.values()) {
        const token = parseToken(v.value);
        if (token !== undefined && !inUse.has(token)) inUse.set(token, this.holdersInUse(token));
      }
      inv.lastDescribe = { inUse, since: [] };
    }
    if (answer.status === 200) {
      const out = JSON.parse(answer.body) as { VersionId?: string; VersionStages?: string[] };
      if (call.op === 'UpdateSecretVersionStage' && call.input.VersionStage === 'AWSCURRENT' && call.input.MoveToVersionId !== currentBefore) this.recordMove(inv, String(call.input.MoveToVersionId), currentBefore);
      if (call.op === 'PutSecretValue' && out.VersionStages?.includes('AWSCURRENT') && out.VersionId !== currentBefore) this.recordMove(inv, String(out.VersionId), currentBefore);
    }
    if (fault?.kind === 'lost-after-apply') throw networkError('TimeoutError');
    return answer;
  }

  versionWith(label: string): string | undefined {
    return [...this.sm.find(this.secret.arn).versions.values()].find((v) => v.stages.has(label))?.id;
  }

  private valueOf(versionId: string | undefined): string | undefined {
    return versionId === undefined ? undefined : parseToken(this.sm.find(this.secret.arn).versions.get(versionId)?.value);
  }

  /**
   * I2, checked the moment AWSCURRENT moves: the guard moves it only onto a token it judged in that rotation (a
   * debug_token about it since the rotation, or the command's invocation, started), and, while Meta's facts stayed
   * as they were since then, never onto a token that is unusable or worse than the one it replaces.
   */
  private recordMove(inv: Invocation, to: string, from: string | undefined): void {
    if (inv.label.startsWith('operator:')) return;
    const token = this.valueOf(to);
    const old = this.valueOf(from);
    const started = this.rotationStarts.get(to) ?? { graphIndex: inv.graphIndex, metaEpoch: inv.metaEpoch };
    const where = `AWSCURRENT moved to version ${to.slice(0, 8)} by ${inv.label}`;
    if (token === undefined) {
      this.violations.push(`I2: ${where}, which holds no readable token`);
      return;
    }
    const judged = this.graph.requests.slice(started.graphIndex).some((r) => r.path.endsWith('/debug_token') && r.query.input_token === token);
    if (!judged) this.violations.push(`I2: ${where} without a debug_token about it since the rotation started`);
    if (started.metaEpoch === this.metaEpoch) {
      const why = worse(this, token, old);
      if (why) this.violations.push(`I2: ${where}: ${why}`);
    }
  }

  private async metaCall(inv: Invocation, call: WireCall, apply: () => Promise<Answer>): Promise<Answer> {
    const fault = this.takeMetaFault(call);
    if (fault === 'down') return { status: 503, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>Sorry, something went wrong.</h1></body></html>' };
    if (fault === 'throttle-app' || fault === 'throttle-waba' || fault === 'transient') {
      this.graph.fault = fault === 'transient' ? { kind: 'transient' } : { kind: 'throttle', code: fault === 'throttle-app' ? 4 : 80007 };
      this.graph.faultCount = 1;
    }
    // I5 holds for the guard's own settling; `fleet remove --delete-secret` revokes what the operator asked it to.
    const revoking = /oauth\/revoke/.test(call.op) && inv.label !== 'cli-retire' ? String(call.input.revoke_token ?? '') : undefined;
    let inUse = revoking ? this.holdersInUse(revoking) : [];
    // No lock spans Secrets Manager and Meta: an operator's label move can land between the guard's last read and its
    // revoke. What the guard answers for is that last read being fresh (only revokes of this token since) and its
    // decision on it; a move in that one round trip is the window no client can close.
    if (revoking && inUse.length && inv.lastDescribe) {
      const { inUse: then, since } = inv.lastDescribe;
      const fresh = since.slice(0, -1).every((op) => op === `revoke ${revoking}`);
      if (fresh && !(then.get(revoking) ?? []).length) inUse = [];
    }
    const answer = await apply();
    this.graph.fault = undefined;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(answer.body) as Record<string, unknown>;
    } catch {
      // an HTML page
    }
    if (revoking && (body.success === 'true' || body.success === true) && inUse.length) {
      this.violations.push(`I5: revoked a token that ${inUse.join(', ')} holds`);
    }
    if (fault === 'lose-answer') throw networkError('TimeoutError');
    if (answer.status === 200 && typeof body.access_token === 'string') {
      inv.received.add(body.access_token);
      this.held.set(body.access_token, 'obtained');
    }
    return answer;
  }

  /** Which labels in use hold `token`: AWSCURRENT, AWSPREVIOUS, a rotation in flight, or a label that is not the guard's. */
  holdersInUse(token: string): string[] {
    const out: string[] = [];
    const pending = [...this.sm.find(this.secret.arn).versions.values()].find((v) => v.stages.has('AWSPENDING') && !v.stages.has('AWSCURRENT'));
    for (const v of this.sm.find(this.secret.arn).versions.values()) {
      if (parseToken(v.value) !== token) continue;
      // The hand-in of the rotation still running.
      if (pending && v.id === handInVersionId(pending.id) && v.stages.size) out.push(`the hand-in of the rotation in flight (version ${v.id.slice(0, 8)})`);
      // revokePreviousAfterHours: the documented revoke of the demoted token once its grace has passed, AWSPREVIOUS or not.
      const demoted = [...v.stages].find((l) => l.startsWith('TOKENGUARD_DEMOTED_AT_'));
      // A demotion label counts from its time only when the promotion it names happened (AWSCURRENT was on that
      // version at some point, as the model saw it): a label left by a move that never happened demotes nothing.
      const [at, by] = demoted === undefined ? [] : demoted.slice('TOKENGUARD_DEMOTED_AT_'.length).split('_');
      const graceOver = demoted !== undefined && (by === undefined || this.everCurrent.has(by)) && this.opts.graceHours !== undefined && this.t - Number(at) >= this.opts.graceHours * 3600;
      for (const l of v.stages) {
        if (l === "AWSCURRENT" || (l === "AWSPREVIOUS" && !graceOver) || (l === "AWSPENDING" && v === pending) || (!l.startsWith("TOKENGUARD_") && !l.startsWith("AWS"))) out.push(`${l} (version ${v.id.slice(0, 8)}: ${[...v.stages].join(" ")}, t=${this.t}, grace ${this.opts.graceHours} over ${graceOver})`);
      }
    }
    return out;
  }

  // ---- the function ------------------------------------------------------------------------------------------------

  private newInvocation(label: string, dropAfter?: number): Invocation {
    let die = (): void => undefined;
    const died = new Promise<void>((resolve) => (die = resolve));
    const inv: Invocation = { id: this.invocations.length, label, dropAfter, calls: 0, dropped: false, done: false, received: new Set(), graphIndex: this.graph.requests.length, metaEpoch: this.metaEpoch, died, die };
    this.invocations.push(inv);
    return inv;
  }

  /** Tokens Meta delivered to an invocation that is still running: they are in its hands, not lost. */
  inHand(): Set<string> {
    return new Set(this.invocations.filter((i) => !i.done && !i.dropped).flatMap((i) => [...i.received]));
  }

  /** Tokens Meta delivered to an invocation that died before it finished. */
  lostWithDroppedInvocations(): Set<string> {
    return new Set(this.invocations.filter((i) => i.dropped).flatMap((i) => [...i.received]));
  }

  private clients(inv: Invocation): SecretsManagerClient {
    return new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: 'http://secretsmanager.invalid',
      credentials: { accessKeyId: 'AKIDMODEL', secretAccessKey: 'model' },
      requestHandler: secretsManagerHandler(this.sm, this.gate(inv)),
      retryStrategy: immediateRetries(),
    });
  }

  private capture(prefix: string): (message: string, ...rest: unknown[]) => void {
    return (message, ...rest) => this.output.push(`${prefix} ${message} ${JSON.stringify(rest)}`);
  }

  /** The function's adapters for one invocation: in-process wire, the model's clock, captured logs and metrics. */
  functionDeps(inv: Invocation): RotationDeps & OutcomeDeps {
    const logger = { info: this.capture('INFO'), warn: this.capture('WARN'), error: this.capture('ERROR'), debug: this.capture('DEBUG') } as unknown as Logger;
    const metrics = {
      publish: (name: string, values: Record<string, number>) => this.output.push(`METRIC ${name} ${JSON.stringify(values)}`),
      publishForApp: (appId: string, name: string, value: number) => this.output.push(`METRIC ${appId} ${name} ${value}`),
    } as unknown as MetricsPublisher;
    const fetchFn = inProcessFetch((this.graph as unknown as { handle: (req: never, res: never) => Promise<void> }).handle.bind(this.graph), this.gate(inv));
    const now = (): Date => new Date(this.t * 1000);
    const ok = <T>(value: T) => ({ ok: true as const, value });
    const deps: RotationDeps & OutcomeDeps = {
      config: this.config,
      store: new SecretsStore(this.clients(inv)),
      graph: (appSecret, deadline) => new GraphClient({ baseUrl: this.config.graphApiBaseUrl, version: this.config.graphApiVersion, appId: APP_ID, appSecret, timeoutMs: 1000, deadline, fetchFn, sleep: async () => undefined }),
      now,
      metrics,
      logger,
      rotations: { record: async (tokenName, r) => void this.output.push(`RECORD ${tokenName} ${JSON.stringify(r)}`) },
      ledger: {
        saveCheck: async (key, o) => (this.output.push(`LEDGER ${key} ${JSON.stringify(o)}`), ok(undefined)),
        markNotified: async () => ok('marked' as const),
        saveRotation: async (key, _t, r) => (this.output.push(`LEDGER ${key} ${JSON.stringify(r)}`), ok(undefined)),
      },
      events: { put: async (events) => (this.output.push(`EVENTS ${JSON.stringify(events)}`), ok(undefined)) },
      ledgerKey: (tokenName) => `guard/${tokenName}`,
      checkFailuresToNotify: 3,
    };
    return deps;
  }

  /** Invokes the function with `event`; its result, or the error it ended with (its message is output too). */
  private async invoke(label: string, event: unknown, dropAfter?: number): Promise<{ ok: boolean; value?: unknown; error?: Error; dropped: boolean }> {
    const inv = this.newInvocation(label, dropAfter);
    const DIED = Symbol('died');
    try {
      const run = this.fleetConfig ? serveFleet(this.fleetDeps(inv), event, Date.now() + 60_000) : route(this.functionDeps(inv), event, { getRemainingTimeInMillis: () => 60_000 });
      const value = await Promise.race([run, inv.died.then(() => DIED)]);
      if (value === DIED) {
        this.output.push(`DIED ${label} after ${inv.calls} calls`);
        return { ok: false, error: new Error(`${label} timed out`), dropped: true };
      }
      return { ok: true, value, dropped: inv.dropped };
    } catch (e) {
      this.output.push(`THROWN ${(e as Error).name}: ${(e as Error).message}`);
      return { ok: false, error: e as Error, dropped: inv.dropped };
    } finally {
      inv.done = true;
    }
  }

  /** Runs `task` to its end under the scheduler (other tasks in flight progress meanwhile, in the order it picks). */
  async run<T>(task: Promise<T>): Promise<T> {
    return this.s.waitFor(task);
  }

  /** Starts `task` without waiting: it progresses while later commands run, until `drain`. */
  inBackground(task: Promise<unknown>): void {
    this.background.push(task.catch(() => undefined));
  }

  /** Whether an invocation of the function or of the command is still running (not done, not dropped). */
  busy(): boolean {
    return this.invocations.some((i) => !i.done && !i.dropped);
  }

  /** Lets every background task finish (dropped invocations never do, and are not waited for). */
  async drain(): Promise<void> {
    const pending = this.background.splice(0);
    await this.s.waitFor(Promise.all(pending));
  }

  get backgroundCount(): number {
    return this.background.length;
  }

  // ---- Secrets Manager's rotation service -------------------------------------------------------------------------

  /** The next step of the rotation in progress, as the service invokes it. `twice`: invoked again while running. */
  async serviceStep(how: { twice?: boolean; dropAfter?: number } = {}): Promise<void> {
    const r = this.rotation;
    if (!r || r.busy || !this.sm.find(this.secret.arn).rotationEnabled) return;
    const step = STEPS[r.next];
    r.busy = true;
    const event = { Step: step, SecretId: this.secret.arn, ClientRequestToken: r.versionId };
    const runs = [this.invoke(`svc:${step}`, event, how.dropAfter)];
    if (how.twice) runs.push(this.invoke(`svc:${step}#2`, event));
    const results = await Promise.all(runs);
    r.busy = false;
    this.afterStep(r, results[results.length - 1].ok && !results[0].dropped);
  }

  private afterStep(r: ServiceRotation, ok: boolean): void {
    if (process.env.MODEL_TRACE) console.log(`  step ${STEPS[r.next]} of ${r.versionId.slice(0, 8)} ${ok ? 'ok' : 'failed'}${this.rotation !== r ? ' (superseded)' : ''}`);
    if (this.rotation !== r) return; // a newer rotation started meanwhile: this one is over for the service
    const stages = this.sm.find(this.secret.arn).versions.get(r.versionId)?.stages ?? new Set<string>();
    if (ok) r.next++;
    else {
      // "If any rotation step fails, Secrets Manager retries the entire rotation process", while the version keeps AWSPENDING.
      r.next = 0;
      r.attempts++;
    }
    if (ok && r.next === STEPS.length) {
      if (this.opts.serviceClearsPending && stages.has('AWSCURRENT')) stages.delete('AWSPENDING');
      this.rotation = undefined;
      return;
    }
    // A rotation whose version lost AWSPENDING (refused, abandoned, cleared by an operator) is over for the service.
    if (!stages.has('AWSPENDING') || stages.has('AWSCURRENT')) this.rotation = undefined;
  }

  /** A deploy-time test-only rotation: testSecret alone, then the service removes its version's AWSPENDING. */
  async serviceTestRun(): Promise<void> {
    const versionId = this.testRuns.shift();
    if (!versionId) return;
    await this.invoke('svc:testSecret(test-only)', { Step: 'testSecret', SecretId: this.secret.arn, ClientRequestToken: versionId });
    this.sm.find(this.secret.arn).versions.get(versionId)?.stages.delete('AWSPENDING');
  }

  /** The EventBridge schedule; in fleet mode, the worker's check of the token's sweep message. */
  async scheduledCheck(dropAfter?: number): Promise<unknown> {
    if (!this.fleetConfig) return this.invoke('schedule', { source: 'aws.events', 'detail-type': 'Scheduled Event' }, dropAfter);
    const inv = this.newInvocation('worker', dropAfter);
    const message: SweepMessage = { v: SWEEP_MESSAGE_VERSION, fleet: FLEET_NS.fleetId, token: FLEET_TOKEN, secretId: this.secret.arn, sweep: new Date(this.t * 1000).toISOString() };
    try {
      return await Promise.race([checkFleetToken(this.fleetDeps(inv), message, { receiveCount: 1, maxReceiveCount: 5 }, Date.now() + 60_000, new FleetBatch()), inv.died]);
    } catch (e) {
      this.output.push(`THROWN ${(e as Error).name}: ${(e as Error).message}`);
      return e;
    } finally {
      inv.done = true;
    }
  }

  /** The fleet function's and worker's adapters for one invocation (fleet-router FleetRouterDeps, worker FleetCheckDeps). */
  private fleetDeps(inv: Invocation): FleetRouterDeps & FleetCheckDeps {
    const base = this.functionDeps(inv);
    const client = this.clients(inv);
    const tally = { add: () => undefined, peak: () => undefined, snapshot: () => ({}), flush: () => undefined } satisfies Record<keyof FleetTally, unknown> as unknown as FleetTally;
    const outcomes = { record: async (token: { name: string }, report: CheckReport) => void this.output.push(`LEDGER ${token.name} ${JSON.stringify(report)}`) };
    return {
      fleet: this.fleetConfig!,
      secrets: new FleetSecrets(client),
      store: base.store,
      graph: base.graph,
      now: base.now,
      tally,
      outcomes,
      rotations: () => base.rotations!,
      logger: base.logger,
      queue: { defer: async (m: SweepMessage) => void this.output.push(`DEFER ${m.token}`) } as unknown as FleetCheckDeps['queue'],
      usage: new UsageMemory(),
    };
  }

  // ---- operators --------------------------------------------------------------------------------------------------

  /** The operator command's session: its Secrets Manager client on the same wire, its Lambda client invoking `route`. */
  private session(inv: Invocation): Session {
    const lambda = {
      send: async (cmd: { input: { Payload?: Uint8Array } }) => {
        const event = JSON.parse(Buffer.from(cmd.input.Payload ?? new Uint8Array()).toString('utf8')) as unknown;
        const r = await this.invoke(`cli-${String((event as { action?: unknown }).action)}`, event);
        if (!r.ok) return { FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify({ errorType: r.error?.name, errorMessage: r.error?.message })) };
        return { Payload: Buffer.from(JSON.stringify(r.value as CheckReport)) };
      },
    };
    const out = (line: string): void => void this.output.push(`CLI ${line}`);
    const identity = (x: string): string => x;
    return {
      clients: { secrets: this.clients(inv), lambda } as unknown as Session['clients'],
      out,
      progress: out,
      style: { ok: identity, bad: identity, warn: identity, dim: identity, bold: identity } as Session['style'],
      json: false,
      pollIntervalMs: 0,
      sleep: () => this.s.schedule(Promise.resolve()),
      now: () => this.t * 1000,
    };
  }

  get target(): Target {
    const fleet = this.fleetConfig ? { checkPayload: { token: FLEET_TOKEN } } : {};
    return { tokenName: this.fleetConfig ? FLEET_TOKEN : 'primary', tokenSecretArn: this.secret.arn, appSecretArn: this.appSecret.arn, functionName: 'model-guard', rotationMode: this.opts.mode, alarmNames: [], environment: {}, ...fleet };
  }

  /** `set-token`'s writes: the hand-in bound to its own rotation (or the first token of an empty secret). */
  async setToken(token: string): Promise<HandIn | Error> {
    const inv = this.newInvocation('cli:set-token');
    try {
      // The command holds the token from the moment the operator typed it in.
      return await handInToken(this.session(inv), this.target, token);
    } catch (e) {
      this.output.push(`CLI-ERROR ${(e as Error).message}`);
      return e as Error;
    } finally {
      inv.done = true;
      // Once the command wrote it, the guard holds it (whatever happened next).
      if (this.sm.allValues(this.secret.arn).some((v) => parseToken(v.value) === token)) this.held.set(token, 'hand-in');
    }
  }

  /** An operator's own Secrets Manager call (aws CLI), recording any token whose last label it removed. */
  async operatorCall(what: string, call: (client: SecretsManagerClient) => Promise<unknown>): Promise<void> {
    const before = this.labelledTokens();
    const inv = this.newInvocation(`operator:${what}`);
    try {
      await this.run(call(this.clients(inv)));
    } catch (e) {
      this.output.push(`OPERATOR-ERROR ${what}: ${(e as Error).name}: ${(e as Error).message}`);
    } finally {
      inv.done = true;
    }
    const after = this.labelledTokens();
    for (const t of before) if (!after.has(t)) this.releasedByOperator.add(t);
  }

  /** A Secrets Manager client for operators and the service's own calls (AWSCURRENT moves through it are not the guard's). */
  operatorClient(): SecretsManagerClient {
    const inv = this.newInvocation('operator:direct');
    inv.done = true;
    return this.clients(inv);
  }

  /** Whether `fleet remove --delete-secret` deleted the secret (nothing more can happen to it). */
  get retired(): boolean {
    return this.secret.deleted === true;
  }

  /** `fleet remove [--delete-secret]`, the command's own code: untag, cancel, and with deletion the fleet's retirement first. */
  async fleetRemove(deleteSecret: boolean, revokeCurrent: boolean): Promise<number | Error> {
    const inv = this.newInvocation('cli:fleet-remove');
    const before = this.labelledTokens();
    const manifest: FleetManifest = {
      name: FLEET_NS.fleetName,
      fleetId: FLEET_NS.fleetId,
      secretNamePrefix: FLEET_NS.secretNamePrefix,
      routerFunctionName: 'model-fleet-router',
      rotationFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:model-fleet-router',
      ledgerTableName: 'model-ledger',
      appId: APP_ID,
      appSecretArn: this.appSecret.arn,
      graphApiVersion: this.config.graphApiVersion,
      requiredScopes: this.config.requiredScopes,
      expiryWarningDays: this.config.expiryWarningDays,
      deadLetterQueueUrl: 'http://sqs.invalid/dlq',
    };
    const s = this.session(inv);
    const invoked: unknown[] = [];
    const lambda = s.clients.lambda as unknown as { send: (c: { input: { Payload?: Uint8Array } }) => Promise<{ Payload?: Uint8Array }> };
    const send = lambda.send.bind(lambda);
    lambda.send = async (c) => {
      const out = await send(c);
      invoked.push(JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8')));
      return out;
    };
    try {
      return await fleetRemove(s, manifest, FLEET_TOKEN, { deleteSecret, revokeCurrent });
    } catch (e) {
      this.output.push(`CLI-ERROR ${(e as Error).message}`);
      return e as Error;
    } finally {
      inv.done = true;
      const retirement = invoked.find((r): r is Retirement => typeof r === 'object' && r !== null && 'clean' in r);
      if (retirement) this.retirement = retirement;
      if (this.retired) {
        // Removal leaves no live token the guard obtained or parked: what the retirement kept (the live token unless
        // --revoke-current, the hand-in of a rotation in flight) goes with the secret, by the operator's decision.
        const kept = new Set((retirement?.versions ?? []).filter((v) => v.outcome === 'kept').map((v) => parseToken(this.secret.versions.get(v.versionId)?.value)));
        const current = [...this.secret.versions.values()].find((v) => v.stages.has('AWSCURRENT'));
        if (!revokeCurrent) kept.add(parseToken(current?.value));
        for (const t of before) {
          if (!this.alive(t)) continue;
          if (kept.has(t)) this.releasedByOperator.add(t);
          else this.violations.push(`I1: fleet remove --delete-secret deleted the secret while a token the guard held (${t.slice(0, 14)}...) is live`);
        }
      }
    }
  }

  /** Tokens some labelled version holds. */
  labelledTokens(): Set<string> {
    return new Set(
      [...this.secret.versions.values()]
        .filter((v) => v.stages.size > 0)
        .map((v) => parseToken(v.value))
        .filter((t): t is string => t !== undefined),
    );
  }

  /** Staging labels per version, for failure messages. */
  describeLabels(): string {
    return [...this.secret.versions.values()]
      .map((v) => `${v.id.slice(0, 8)} ${v.value === undefined ? '(no value)' : (parseToken(v.value) ?? '?').slice(0, 14)}${this.alive(parseToken(v.value) ?? '') ? '' : ' (dead)'}: ${[...v.stages].join(', ') || '-'}`)
      .join('\n    ');
  }
}

/** Why `token` is worse than `old` by Meta's facts now, or undefined. The model's own, deliberately blunt reading. */
export function worse(sys: RotationSystem, token: string, old: string | undefined): string | undefined {
  const facts = (t: string) => {
    const rec = sys.graph.tokens.get(t);
    if (!rec || !sys.alive(t)) return { unusable: 'dead at Meta' };
    if (rec.appId !== APP_ID) return { unusable: "another app's token" };
    const lifetime = rec.expiresAt === 0 ? Infinity : rec.expiresAt - rec.issuedAt;
    return {
      unusable: undefined,
      systemUser: rec.type === 'SYSTEM_USER' && lifetime > DAY,
      expiresAt: rec.expiresAt === 0 ? Infinity : rec.expiresAt,
      missing: ['whatsapp_business_messaging', 'whatsapp_business_management'].filter((sc) => !rec.scopes.includes(sc)),
      denied: sys.opts.probes && !rec.wabas.includes(WABA_ID),
    };
  };
  const n = facts(token);
  if (n.unusable) return `the new token is ${n.unusable}`;
  if (old === undefined) return undefined;
  const o = facts(old);
  if (o.unusable) return undefined;
  if (o.systemUser && !n.systemUser) return 'a USER or temporary token replaced a system-user token';
  if (!o.systemUser && !n.systemUser && (n.expiresAt ?? 0) < (o.expiresAt ?? 0)) return 'a personal token replaced one that lives longer';
  const lost = (n.missing ?? []).filter((sc) => !(o.missing ?? []).includes(sc));
  if (lost.length) return `the new token lacks ${lost.join(', ')}, which the old one had`;
  if (n.denied && !o.denied) return 'the new token cannot reach the WABA the old one reaches';
  return undefined;
}

export function parseToken(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = (JSON.parse(raw) as { accessToken?: unknown }).accessToken;
    return typeof v === 'string' ? v.trim() : undefined;
  } catch {
    return raw.trim() || undefined;
  }
}
