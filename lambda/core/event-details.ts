// Event details from a check's report and the change it caused. Pure: the adapter only puts them on the bus.
// Each detail carries what a person needs to act (cause, fix, the command that confirms it), never a secret:
// the report's details are redacted before they get here.
import {
  ApproachingExpirationDetail,
  CheckReport,
  EVENT_DETAIL_VERSION,
  EventDetailType,
  EventDetailTypeName,
  EventProblem,
  GUARD_LEDGER_SCOPE,
  GuardEventDetail,
  HealthChangedDetail,
  Problem,
  ReportedProblem,
  RotatedDetail,
  RotationFailedDetail,
  RotationMode,
  RotationStep,
} from '../contract';
import { HealthChange } from './diff-health';
import { DueMilestone } from './expiry-milestone';

export interface GuardEvent {
  readonly detailType: EventDetailTypeName;
  readonly detail: GuardEventDetail;
}

/** EventBridge allows 256 KB per entry; a cause line stays short so a notification stays readable. */
const MAX_LINE = 900;
const clip = (s: string): string => (s.length <= MAX_LINE ? s : `${s.slice(0, MAX_LINE - 3)}...`);

export const checkCommand = (tokenName: string): string => `npx --no-install whatsapp-token-guard check --token ${tokenName}`;

/** The command that confirms a fix: a fleet token (ledger key `<stack>/<fleet>/<token>`) is checked with `fleet check`. */
export function confirmCommand(ledgerKey: string, tokenName: string): string {
  const scope = ledgerKey.slice(0, Math.max(0, ledgerKey.length - tokenName.length - 1));
  if (!scope || scope === GUARD_LEDGER_SCOPE) return checkCommand(tokenName);
  const [stack, fleet] = scope.includes('/') ? scope.split('/') : [undefined, scope];
  return `npx --no-install whatsapp-token-guard fleet check ${tokenName}${stack ? ` --stack ${stack}` : ''} --fleet ${fleet}`;
}

export const eventProblem = (p: ReportedProblem): EventProblem => ({ id: p.id, severity: p.severity, title: p.title, ...(p.detail ? { detail: p.detail } : {}), fix: p.fix });

/** One line naming every problem, with its detail. */
export function causeLine(problems: readonly ReportedProblem[]): string {
  if (problems.length === 0) return 'No problems: Meta reports the token valid, with every required permission and asset.';
  return clip(problems.map((p) => `${p.title}${p.detail ? ` (${p.detail})` : ''}`).join('; '));
}

/** The fix of the problem to act on first: the first critical one, else the first. */
export function fixLine(problems: readonly ReportedProblem[]): string {
  const first = problems.find((p) => p.severity === 'critical') ?? problems[0];
  return first ? clip(first.fix) : 'Nothing to do.';
}

export function healthChangedEvent(ledgerKey: string, change: HealthChange, report: CheckReport): GuardEvent {
  const detail: HealthChangedDetail = {
    version: EVENT_DETAIL_VERSION,
    tokenName: report.tokenName,
    ledgerKey,
    confirmCommand: confirmCommand(ledgerKey, report.tokenName),
    previousStatus: change.previousStatus,
    status: change.status,
    previousProblemIds: change.previousProblemIds,
    problems: report.problems.map(eventProblem),
    cause: causeLine(report.problems),
    fix: fixLine(report.problems),
    checkedAt: report.checkedAt,
    ...(report.token?.expiresAt ? { expiresAt: report.token.expiresAt } : {}),
  };
  return { detailType: EventDetailType.HealthChanged, detail };
}

export function approachingExpirationEvent(ledgerKey: string, due: DueMilestone, report: CheckReport): GuardEvent {
  const detail: ApproachingExpirationDetail = {
    version: EVENT_DETAIL_VERSION,
    tokenName: report.tokenName,
    ledgerKey,
    confirmCommand: confirmCommand(ledgerKey, report.tokenName),
    milestoneDays: due.milestoneDays,
    daysUntilExpiry: report.token?.daysUntilExpiry ?? due.milestoneDays,
    expiresAt: report.token?.expiresAt ?? '',
    fix: Problem.TokenExpiring.fix,
  };
  return { detailType: EventDetailType.ApproachingExpiration, detail };
}

export const statusCommand = (tokenName: string): string => `npx --no-install whatsapp-token-guard status --token ${tokenName}`;

export interface RotationFacts {
  readonly outcome: 'rotated' | 'failed';
  readonly versionId: string;
  readonly step?: RotationStep;
  readonly reason: string;
  readonly problems?: readonly ReportedProblem[];
  readonly expiresAt?: string;
}

/** `WhatsApp Token Rotated` or `WhatsApp Token Rotation Failed`, with the reason and (on failure) the fix. */
export function rotationEvent(ledgerKey: string, tokenName: string, rotationMode: RotationMode, r: RotationFacts): GuardEvent {
  const base = { version: EVENT_DETAIL_VERSION, tokenName, ledgerKey, rotationMode, versionId: r.versionId } as const;
  // A fleet token (`<stack>/<fleet>/<token>`) is confirmed with `fleet check`; a single guard's with check / status.
  const fleetConfirm = ledgerKey.split('/').length > 2 ? confirmCommand(ledgerKey, tokenName) : undefined;
  if (r.outcome === 'rotated') {
    const detail: RotatedDetail = { ...base, confirmCommand: fleetConfirm ?? checkCommand(tokenName), ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}) };
    return { detailType: EventDetailType.Rotated, detail };
  }
  const problems = r.problems ?? [];
  const detail: RotationFailedDetail = {
    ...base,
    confirmCommand: fleetConfirm ?? statusCommand(tokenName),
    step: r.step ?? 'createSecret',
    reason: clip(r.reason),
    problems: problems.map(eventProblem),
    fix: problems.length ? fixLine(problems) : 'Read the reason, fix its cause, and rotate again (`set-token` for a hand-made token, `rotate` otherwise); AWSCURRENT still holds the previous token.',
  };
  return { detailType: EventDetailType.RotationFailed, detail };
}
