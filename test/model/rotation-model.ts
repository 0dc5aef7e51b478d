// The model-based rotation test: fast-check draws a sequence of things a user, Secrets Manager, Meta or a fault can
// do (fc.commands), runs it against the real code (rotation-system.ts) with the scheduler reordering every call in
// flight (fc.scheduler), and asserts the invariants after every command. Used by the jest test (a fixed, seeded CI
// budget) and by `npm run fuzz` (long runs). A failure names the invariant and prints the labels per version.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand, RotateSecretCommand, UpdateSecretVersionStageCommand, CancelRotateSecretCommand, DescribeSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { startRotation } from '../../bin/cli/session';
import { FleetTag } from '../../lambda/contract';
import { handInVersionId, HANDIN_START_WINDOW_S, MAX_LABELS, MAX_PARKED, parkedVersions, rotationInFlight } from '../../lambda/core/plan-rotation';
import { CANARY_APP_SECRET, LEAK_WINDOW } from '../fakes/canary';
import { AwsFault, MetaFault, parseToken, RotationSystem, SystemOptions, TokenKind } from './rotation-system';

type Real = RotationSystem;
interface Model {
  sys?: RotationSystem;
}
type Cmd = fc.AsyncCommand<Model, Real>;

const ROTATION_FN = 'arn:aws:lambda:us-east-1:111111111111:function:model-guard';

/** Raised when an invariant breaks; the message names it and shows the secret's labels. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

function fail(sys: RotationSystem, after: string, what: string): never {
  const tail = process.env.MODEL_TRACE ? `\n  last output:\n    ${sys.output.slice(-8).map((l) => l.slice(0, 400)).join('\n    ')}` : '';
  throw new InvariantError(`${what}\n  after: ${after}\n  labels per version:\n    ${sys.describeLabels()}${tail}`);
}

/** Invariants that must hold after every command (I1, I2 and I5 as recorded, I4). */
export function assertInvariants(sys: RotationSystem, after: string): void {
  if (sys.violations.length) fail(sys, after, sys.violations.join('\n'));
  // I1: every token the guard held is AWSCURRENT, AWSPREVIOUS, under a label, or dead at Meta. Exceptions: a token
  // an invocation still running holds in memory, one Meta delivered to an invocation that then died (the window
  // between Meta's answer and the write), and one whose last label an operator's own call removed.
  const labelled = sys.labelledTokens();
  const inHand = sys.inHand();
  const lost = sys.lostWithDroppedInvocations();
  for (const [token, origin] of sys.held) {
    if (!sys.alive(token) || labelled.has(token) || inHand.has(token) || lost.has(token) || sys.releasedByOperator.has(token)) continue;
    fail(sys, after, `I1: a live token the guard held (${origin}, ${token.slice(0, 14)}...) is neither labelled nor revoked`);
  }
  // I4: the secret stays within Secrets Manager's label quota and the guard's parked budget (plus the one or two a
  // rotation in flight adds before it settles them).
  if (sys.retired) return;
  const versions = Object.fromEntries([...sys.secret.versions.values()].filter((v) => v.stages.size).map((v) => [v.id, [...v.stages]]));
  const labels = Object.values(versions).reduce((n, st) => n + st.length, 0);
  if (labels > MAX_LABELS) fail(sys, after, `I4: ${labels} staging labels, over the quota of ${MAX_LABELS}`);
}

/**
 * I4's budget: at most MAX_PARKED parked tokens whenever the guard has just settled with Meta and AWS healthy and
 * nothing else running: after a scheduled check, and after a promotion (assertLiveness). Between those, hand-ins an
 * operator writes and tokens a step parks may take the count above it, within the label quota checked above.
 */
function assertBudget(sys: RotationSystem, after: string): void {
  // A fleet token whose tags no longer make it one (removed and kept, or a settings tag broken) is not the guard's.
  const tags = sys.secret.tags ?? {};
  if (sys.opts.fleet && (tags[FleetTag.Fleet] === undefined || tags[FleetTag.RotationMode] !== sys.opts.mode)) return;
  const parked = parkedInBudget(sys);
  if (parked > MAX_PARKED) fail(sys, after, `I4: ${parked} parked tokens after the guard settled with Meta and AWS healthy, over the budget of ${MAX_PARKED}`);
}

/**
 * The parked tokens the budget counts: every parked label except those on AWSCURRENT, on the rotation in flight, on
 * its hand-in, or on a hand-in whose rotation may still start (planParked leaves those alone too).
 */
function parkedInBudget(sys: RotationSystem): number {
  const versions = Object.fromEntries([...sys.secret.versions.values()].filter((v) => v.stages.size).map((v) => [v.id, [...v.stages]]));
  const pending = rotationInFlight(versions);
  return parkedVersions(versions).filter((p) => {
    const stages = versions[p.versionId];
    if (stages.includes('AWSCURRENT') || stages.includes('AWSPENDING')) return false;
    if (p.kind !== 'handin') return true;
    const copy = Object.keys(versions).find((id) => handInVersionId(id) === p.versionId);
    if (copy !== undefined) return copy !== pending;
    return sys.t - p.at.getTime() / 1000 >= HANDIN_START_WINDOW_S;
  }).length;
}

/** I6: no text the system wrote holds LEAK_WINDOW characters of any token or of the app secret. */
export function assertNoLeak(sys: RotationSystem): void {
  const windows = new Set<string>();
  for (const secret of [...sys.graph.tokens.keys(), CANARY_APP_SECRET]) for (let i = 0; i + LEAK_WINDOW <= secret.length; i++) windows.add(secret.slice(i, i + LEAK_WINDOW));
  for (const line of sys.output) {
    for (let i = 0; i + LEAK_WINDOW <= line.length; i++) {
      if (windows.has(line.slice(i, i + LEAK_WINDOW))) throw new InvariantError(`I6: output holds ${LEAK_WINDOW} characters of a secret: ${line.slice(0, 60).replace(/EAAG\w+/g, 'EAAG…')}…`);
    }
  }
}

/**
 * I3: once Meta and AWS behave, every rotation started reaches a verdict within a bounded number of steps, the next
 * RotateSecret is accepted, and a good hand-in is promoted (the next rotation is always possible).
 */
export async function assertLiveness(sys: RotationSystem): Promise<void> {
  const after = 'the final phase (faults healed)';
  sys.heal();
  await sys.drain();
  if (sys.retired) {
    if (sys.violations.length) fail(sys, after, sys.violations.join('\n'));
    return assertNoLeak(sys);
  }
  const client = sys.operatorClient();
  if (sys.opts.fleet) {
    // The operator repairs the settings tag and, after a `fleet remove` that kept the secret, guards it again (as the
    // command's message says: tag it again).
    await sys.run(client.send(new TagResourceCommand({ SecretId: sys.secret.arn, Tags: [{ Key: FleetTag.RotationMode, Value: sys.opts.mode }, { Key: FleetTag.Fleet, Value: 'Model/clients' }] })));
  }
  const described = await sys.run(client.send(new DescribeSecretCommand({ SecretId: sys.secret.arn })));
  // An operator turns rotation back on where a command turned it off (redeploying does this). With a rotation still
  // pending, Secrets Manager answers "A previous rotation isn't complete. That rotation will be reattempted."
  if (!described.RotationEnabled) await sys.run(client.send(new RotateSecretCommand({ SecretId: sys.secret.arn, RotationLambdaARN: ROTATION_FN, RotateImmediately: false }))).catch((e: Error) => sys.output.push(`REENABLE ${e.message}`));
  const settle = async (what: string): Promise<void> => {
    for (let i = 0; i < 12 && (sys.rotation || sys.testRuns.length); i++) {
      if (sys.testRuns.length) await sys.run(sys.serviceTestRun());
      else await sys.run(sys.serviceStep());
      assertInvariants(sys, `${after}: ${what}, service step ${i + 1}`);
    }
    if (sys.rotation) fail(sys, after, `I3: ${what}: the rotation of version ${sys.rotation.versionId.slice(0, 8)} reached no verdict after 12 steps with Meta and AWS healthy`);
  };
  await settle('the rotation in flight');
  try {
    await sys.run(client.send(new RotateSecretCommand({ SecretId: sys.secret.arn }))).catch(async (e: Error) => {
      // Labels full with more than the budget kept (an earlier version's leftovers): the scheduled check, which runs
      // on its own, settles them; then the rotation is accepted.
      if (e.name !== 'LimitExceededException') throw e;
      await sys.run(sys.scheduledCheck());
      assertInvariants(sys, `${after}: the scheduled check before the next rotation`);
      await sys.run(client.send(new RotateSecretCommand({ SecretId: sys.secret.arn })));
    });
  } catch (e) {
    fail(sys, after, `I3: the next RotateSecret is refused: ${(e as Error).name}: ${(e as Error).message}`);
  }
  await settle('a fresh rotation');
  const fresh = sys.newToken('good');
  let h = await sys.run(sys.setToken(fresh));
  if (h instanceof Error && /has no room for another hand-in/.test(h.message)) {
    // The command's advice: run set-token again after the next scheduled check.
    await sys.run(sys.scheduledCheck());
    assertInvariants(sys, `${after}: the scheduled check set-token asked to wait for`);
    h = await sys.run(sys.setToken(fresh));
  }
  if (h instanceof Error) fail(sys, after, `I3: a good hand-in was refused by set-token: ${h.message}`);
  await settle('a good hand-in');
  assertInvariants(sys, after);
  if (sys.tokenAt('AWSCURRENT') !== fresh) fail(sys, after, `I3: a good hand-in was not promoted (${h.kind})`);
  // I4 at rest: the promotion (with Meta and AWS healthy) settled what it parked beyond the budget.
  assertBudget(sys, `${after}: the promotion of a good hand-in`);
  assertNoLeak(sys);
}

// ---- commands ------------------------------------------------------------------------------------------------------

abstract class Base implements Cmd {
  check(m: Readonly<Model>): boolean {
    return m.sys === undefined || (!m.sys.retired && this.applies(m.sys));
  }
  protected applies(_sys: RotationSystem): boolean {
    return true;
  }
  async run(m: Model, sys: Real): Promise<void> {
    m.sys = sys;
    if (process.env.MODEL_TRACE) console.log(`> ${this.toString()}`);
    await this.act(sys);
    assertInvariants(sys, this.toString());
  }
  protected abstract act(sys: RotationSystem): Promise<void>;
  abstract toString(): string;
}

/** Where a task runs: to its end now, or in the background while later commands run. */
type How = 'now' | 'background';
const start = (sys: RotationSystem, how: How, task: Promise<unknown>): Promise<unknown> => (how === 'now' ? sys.run(task) : (sys.inBackground(task), Promise.resolve()));

class SetToken extends Base {
  constructor(
    readonly kind: TokenKind | 'current' | 'previous',
    readonly how: How,
  ) {
    super();
  }
  protected async act(sys: RotationSystem): Promise<void> {
    const token = this.kind === 'current' ? sys.tokenAt('AWSCURRENT') : this.kind === 'previous' ? sys.tokenAt('AWSPREVIOUS') : sys.newToken(this.kind);
    if (token) await start(sys, this.how, sys.setToken(token));
  }
  toString(): string {
    return `setToken(${this.kind}${this.how === 'background' ? ', background' : ''})`;
  }
}

/** A rotation without a hand-in: the schedule, the console, or the command's `rotate`. */
class RotateNow extends Base {
  constructor(readonly how: How) {
    super();
  }
  protected async act(sys: RotationSystem): Promise<void> {
    const task = startRotation({ clients: { secrets: sys.operatorClient() } } as never, sys.target, randomUUID()).catch((e: Error) => sys.output.push(`ROTATE-ERROR ${e.message}`));
    await start(sys, this.how, task);
  }
  toString(): string {
    return `rotateSecret(${this.how})`;
  }
}

/** CloudFormation's RotationSchedule with rotateImmediatelyOnUpdate false: a test-only rotation on every deploy. */
class DeployTestRun extends Base {
  protected async act(sys: RotationSystem): Promise<void> {
    await sys.operatorCall('deploy', (c) => c.send(new RotateSecretCommand({ SecretId: sys.secret.arn, RotationLambdaARN: ROTATION_FN, RotateImmediately: false })));
  }
  toString(): string {
    return 'deployTestRun';
  }
}

class ServiceStep extends Base {
  constructor(
    readonly how: How,
    readonly twice: boolean,
    readonly dropAfter?: number,
  ) {
    super();
  }
  protected applies(sys: RotationSystem): boolean {
    // The service invokes no step while rotation is turned off (CancelRotateSecret); it reattempts once it is back on.
    return sys.rotation !== undefined && !sys.rotation.busy && sys.sm.find(sys.secret.arn).rotationEnabled;
  }
  protected async act(sys: RotationSystem): Promise<void> {
    await start(sys, this.how, sys.serviceStep({ twice: this.twice, dropAfter: this.dropAfter }));
  }
  toString(): string {
    return `serviceStep(${[this.how, this.twice ? 'twice' : '', this.dropAfter !== undefined ? `dropped after ${this.dropAfter} calls` : ''].filter(Boolean).join(', ')})`;
  }
}

/** The service runs the rotation in progress until it ends (a verdict, or the service giving up for this window). */
class ServiceRunToEnd extends Base {
  protected applies(sys: RotationSystem): boolean {
    return sys.rotation !== undefined && !sys.rotation.busy && sys.sm.find(sys.secret.arn).rotationEnabled;
  }
  protected async act(sys: RotationSystem): Promise<void> {
    for (let i = 0; i < 8 && sys.rotation && !sys.rotation.busy; i++) await sys.run(sys.serviceStep());
  }
  toString(): string {
    return 'serviceRunToEnd';
  }
}

class ServiceTestRun extends Base {
  protected applies(sys: RotationSystem): boolean {
    return sys.testRuns.length > 0;
  }
  protected async act(sys: RotationSystem): Promise<void> {
    await sys.run(sys.serviceTestRun());
  }
  toString(): string {
    return 'serviceTestRun';
  }
}

class ScheduledCheck extends Base {
  constructor(
    readonly how: How,
    readonly dropAfter?: number,
  ) {
    super();
  }
  protected async act(sys: RotationSystem): Promise<void> {
    const healthy = !sys.faulty && this.how === 'now' && this.dropAfter === undefined;
    await start(sys, this.how, sys.scheduledCheck(this.dropAfter));
    if (healthy && !sys.busy()) assertBudget(sys, this.toString());
  }
  toString(): string {
    return `scheduledCheck(${this.how}${this.dropAfter !== undefined ? `, dropped after ${this.dropAfter} calls` : ''})`;
  }
}

/** An operator's `aws secretsmanager put-secret-value` of a new token: AWSCURRENT moves to it. */
class ManualPut extends Base {
  constructor(readonly kind: TokenKind) {
    super();
  }
  protected async act(sys: RotationSystem): Promise<void> {
    const token = sys.newToken(this.kind);
    await sys.operatorCall('put-secret-value', (c) => c.send(new PutSecretValueCommand({ SecretId: sys.secret.arn, SecretString: JSON.stringify({ accessToken: token }) })));
    if (sys.labelledTokens().has(token)) sys.held.set(token, 'manual');
  }
  toString(): string {
    return `manualPut(${this.kind})`;
  }
}

/** An operator moves AWSCURRENT back onto AWSPREVIOUS. */
class Rollback extends Base {
  protected applies(sys: RotationSystem): boolean {
    return sys.versionWith('AWSPREVIOUS') !== undefined;
  }
  protected async act(sys: RotationSystem): Promise<void> {
    const to = sys.versionWith('AWSPREVIOUS');
    const from = sys.versionWith('AWSCURRENT');
    if (to) await sys.operatorCall('rollback', (c) => c.send(new UpdateSecretVersionStageCommand({ SecretId: sys.secret.arn, VersionStage: 'AWSCURRENT', MoveToVersionId: to, RemoveFromVersionId: from })));
  }
  toString(): string {
    return 'rollback';
  }
}

/** The command's printed advice for a rotation stuck on AWSPENDING: remove the label from that version. */
class ClearPending extends Base {
  protected applies(sys: RotationSystem): boolean {
    return sys.sm.allValues(sys.secret.arn).some((v) => v.stages.includes('AWSPENDING') && !v.stages.includes('AWSCURRENT'));
  }
  protected async act(sys: RotationSystem): Promise<void> {
    const v = sys.sm.allValues(sys.secret.arn).find((x) => x.stages.includes('AWSPENDING') && !x.stages.includes('AWSCURRENT'));
    if (v) await sys.operatorCall('clear-pending', (c) => c.send(new UpdateSecretVersionStageCommand({ SecretId: sys.secret.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: v.id })));
  }
  toString(): string {
    return 'clearPending (the advice the command prints)';
  }
}

class CancelRotation extends Base {
  protected async act(sys: RotationSystem): Promise<void> {
    await sys.operatorCall('cancel-rotate-secret', (c) => c.send(new CancelRotateSecretCommand({ SecretId: sys.secret.arn })));
  }
  toString(): string {
    return 'cancelRotateSecret';
  }
}

type TagEdit = 'break' | 'restore';
/** Fleet mode: an operator edits the token's rotation-mode tag (to something invalid, or back), possibly mid-rotation. */
class EditSettingsTag extends Base {
  constructor(readonly edit: TagEdit) {
    super();
  }
  protected applies(sys: RotationSystem): boolean {
    return sys.opts.fleet;
  }
  protected async act(sys: RotationSystem): Promise<void> {
    const value = this.edit === 'break' ? 'weekly' : sys.opts.mode;
    await sys.operatorCall('tag-resource', (c) => c.send(new TagResourceCommand({ SecretId: sys.secret.arn, Tags: [{ Key: FleetTag.RotationMode, Value: value }] })));
  }
  toString(): string {
    return `editSettingsTag(${this.edit})`;
  }
}

/** Fleet mode: `fleet remove`, keeping the secret or deleting it (then the sequence ends for this secret). */
class FleetRemove extends Base {
  constructor(
    readonly deleteSecret: boolean,
    readonly revokeCurrent: boolean,
  ) {
    super();
  }
  protected applies(sys: RotationSystem): boolean {
    return sys.opts.fleet;
  }
  protected async act(sys: RotationSystem): Promise<void> {
    await sys.run(sys.fleetRemove(this.deleteSecret, this.deleteSecret && this.revokeCurrent));
  }
  toString(): string {
    return `fleetRemove(${this.deleteSecret ? `--delete-secret${this.revokeCurrent ? ' --revoke-current' : ''}` : 'keep the secret'})`;
  }
}

class MetaFaultCmd extends Base {
  constructor(readonly fault: MetaFault) {
    super();
  }
  protected async act(sys: RotationSystem): Promise<void> {
    sys.armMeta(this.fault);
  }
  toString(): string {
    return `meta(${this.fault.kind} x${this.fault.count})`;
  }
}

class AwsFaultCmd extends Base {
  constructor(readonly fault: AwsFault) {
    super();
  }
  protected async act(sys: RotationSystem): Promise<void> {
    sys.armAws(this.fault);
  }
  toString(): string {
    return `aws(${this.fault.op} ${this.fault.kind})`;
  }
}

class Heal extends Base {
  protected async act(sys: RotationSystem): Promise<void> {
    sys.heal();
  }
  toString(): string {
    return 'heal';
  }
}

type Change = 'kill-current' | 'kill-previous' | 'kill-any' | 'waba-lost' | 'waba-back' | 'exchange-loses-scope';
/** Meta's facts change outside the guard: a token expires or is revoked elsewhere, the system user loses the WABA. */
class MetaChange extends Base {
  constructor(
    readonly change: Change,
    readonly pick: number,
  ) {
    super();
  }
  protected async act(sys: RotationSystem): Promise<void> {
    sys.metaEpoch++;
    const kill = (t: string | undefined): void => {
      const rec = t ? sys.graph.tokens.get(t) : undefined;
      if (rec && !rec.dead) rec.dead = { code: 190, subcode: 460, message: 'Error validating access token: The session has been invalidated because the user changed their password.' };
    };
    if (this.change === 'kill-current') kill(sys.tokenAt('AWSCURRENT'));
    if (this.change === 'kill-previous') kill(sys.tokenAt('AWSPREVIOUS'));
    if (this.change === 'kill-any') {
      const held = [...sys.held.keys()];
      kill(held[this.pick % Math.max(1, held.length)]);
    }
    if (this.change === 'waba-lost' || this.change === 'waba-back') for (const rec of sys.graph.tokens.values()) rec.wabas = this.change === 'waba-lost' ? [] : [...sys.graph.wabas.keys()];
    if (this.change === 'exchange-loses-scope') sys.graph.exchangeOverrides = { scopes: ['whatsapp_business_management', 'business_management'] };
  }
  toString(): string {
    return `metaChange(${this.change}${this.change === 'kill-any' ? ` #${this.pick}` : ''})`;
  }
}

class AdvanceTime extends Base {
  constructor(readonly hours: number) {
    super();
  }
  protected async act(sys: RotationSystem): Promise<void> {
    sys.t += this.hours * 3600;
    if (this.hours >= 24 * 20) sys.metaEpoch++; // expiries may have passed
  }
  toString(): string {
    return `advanceTime(${this.hours} h)`;
  }
}

class Drain extends Base {
  protected applies(sys: RotationSystem): boolean {
    return sys.backgroundCount > 0;
  }
  protected async act(sys: RotationSystem): Promise<void> {
    await sys.drain();
  }
  toString(): string {
    return 'drain';
  }
}

const how = fc.constantFrom<How>('now', 'now', 'background');
const tokenKind = fc.constantFrom<TokenKind>('good', 'good', 'good60', 'user', 'temporary', 'foreign', 'scope', 'dead');

/**
 * Every command, weighted towards hand-ins, rotations and their steps. `exclude` (command names, e.g. clearPending)
 * leaves some out, to look past a counterexample already known.
 */
export function commandArbitraries(exclude: readonly string[] = []): fc.Arbitrary<Cmd>[] {
  return allCommands().map((a) => (exclude.length ? a.filter((c) => !exclude.some((x) => c.toString().startsWith(x))) : a));
}

function allCommands(): fc.Arbitrary<Cmd>[] {
  const setToken = fc.record({ kind: fc.oneof(tokenKind, fc.constantFrom<'current' | 'previous'>('current', 'previous')), how }).map(({ kind, how: h }) => new SetToken(kind, h));
  const step = fc.record({ how, twice: fc.boolean(), drop: fc.option(fc.nat(14), { freq: 3 }) }).map(({ how: h, twice, drop }) => new ServiceStep(h, twice, drop ?? undefined));
  const plainStep = fc.constant(new ServiceStep('now', false));
  return [
    setToken,
    setToken,
    tokenKind.map((k) => new SetToken(k, 'now')),
    how.map((h) => new RotateNow(h)),
    how.map((h) => new RotateNow(h)),
    step,
    step,
    plainStep,
    plainStep,
    plainStep,
    fc.constant(new ServiceRunToEnd()),
    fc.constant(new ServiceRunToEnd()),
    fc.record({ how, drop: fc.option(fc.nat(14), { freq: 4 }) }).map(({ how: h, drop }) => new ScheduledCheck(h, drop ?? undefined)),
    fc.constant(new ScheduledCheck('now')),
    fc.constant(new DeployTestRun()),
    fc.constant(new ServiceTestRun()),
    tokenKind.map((k) => new ManualPut(k)),
    fc.constant(new Rollback()),
    fc.constant(new ClearPending()),
    fc.constant(new CancelRotation()),
    fc
      .record({ kind: fc.constantFrom<MetaFault['kind']>('down', 'throttle-app', 'throttle-waba', 'transient', 'lose-answer'), count: fc.constantFrom(1, 2, 5, Infinity) })
      .map((f) => new MetaFaultCmd(f)),
    fc
      .record({
        op: fc.constantFrom('GetSecretValue', 'PutSecretValue', 'UpdateSecretVersionStage', 'DescribeSecret'),
        kind: fc.constantFrom<AwsFault['kind']>('server-error', 'lost-after-apply', 'not-found', 'kms-denied', 'throttled'),
      })
      .filter(({ op, kind }) => (kind === 'not-found' ? op === 'GetSecretValue' : kind === 'kms-denied' ? op === 'PutSecretValue' : true))
      .map((f) => new AwsFaultCmd(f)),
    fc.constant(new Heal()),
    fc.record({ change: fc.constantFrom<Change>('kill-current', 'kill-previous', 'kill-any', 'waba-lost', 'waba-back', 'exchange-loses-scope'), pick: fc.nat(50) }).map(({ change, pick }) => new MetaChange(change, pick)),
    fc.constantFrom(1, 25, 24 * 10, 24 * 61).map((h) => new AdvanceTime(h)),
    fc.constant(new Drain()),
    fc.constantFrom<TagEdit>('break', 'restore').map((e) => new EditSettingsTag(e)),
    fc.record({ deleteSecret: fc.boolean(), revokeCurrent: fc.boolean() }).map(({ deleteSecret, revokeCurrent }) => new FleetRemove(deleteSecret, revokeCurrent)),
  ];
}

export const systemOptions: fc.Arbitrary<SystemOptions> = fc.record({
  mode: fc.constantFrom('hand-made', 'refresh', 'mint'),
  probes: fc.boolean(),
  graceHours: fc.option(fc.constantFrom(1, 48), { nil: undefined }),
  emptySecret: fc.boolean(),
  serviceClearsPending: fc.boolean(),
  testRunValue: fc.constantFrom('current', 'empty'),
  fleet: fc.boolean(),
  parkedAtStart: fc.constantFrom(0, 0, 0, 0, 9, 10, 16),
}).map((o) => ({ ...o, emptySecret: o.emptySecret && o.mode === 'hand-made' && !o.fleet }));

/**
 * The property: any sequence of commands keeps every invariant after every step and ends live. `size: 'max'` makes the
 * sequences as long as `maxCommands`: fast-check 4 otherwise caps a generated array at its default size ("small", at most
 * 10 commands) whatever the maximum says.
 */
export function rotationProperty(maxCommands = 30, replayPath?: string, exclude: readonly string[] = []): fc.IAsyncPropertyWithHooks<[SystemOptions, fc.Scheduler, Iterable<Cmd>]> {
  return fc.asyncProperty(systemOptions, fc.scheduler(), fc.commands(commandArbitraries(exclude), { maxCommands, size: 'max', ...(replayPath ? { replayPath } : {}) }), async (opts, s, cmds) => {
    const sys = new RotationSystem(s, opts);
    await fc.asyncModelRun(() => ({ model: {} as Model, real: sys }), cmds);
    await assertLiveness(sys);
  });
}

export { parseToken };
