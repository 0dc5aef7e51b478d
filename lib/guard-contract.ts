// The contract's identifiers for users of the package (dashboards, alarms, scripts), in forms every jsii language
// sees: enums and static members (jsii ignores `export const` and string-literal unions). The values are those of
// lambda/contract.ts, the one place the Lambda and the constructs share; test/lib/guard-contract.test.ts keeps
// both in step.
import { CONTRACT_VERSION, EVENT_DETAIL_VERSION, EVENT_SOURCE, EventDetailType, FLEET_DIMENSION, NAMESPACE, TOKEN_NAME_DIMENSION } from '../lambda/contract';

/** Identifiers of the metrics and secrets contract the guard keeps across minor versions. */
export class GuardContract {
  /** Contract version: changes only with a major package version (see CHANGELOG.md). */
  public static readonly VERSION: string = CONTRACT_VERSION;
  /** CloudWatch namespace of every metric the guard publishes. */
  public static readonly NAMESPACE: string = NAMESPACE;
  /** The single dimension of every per-token metric. */
  public static readonly TOKEN_NAME_DIMENSION: string = TOKEN_NAME_DIMENSION;
  /** The single dimension of every fleet metric. */
  public static readonly FLEET_DIMENSION: string = FLEET_DIMENSION;
  /** `source` of every event the guard puts on the account's default event bus. */
  public static readonly EVENT_SOURCE: string = EVENT_SOURCE;
  /** `detail.version` of the guard's events; a new major version changes or removes a field. */
  public static readonly EVENT_DETAIL_VERSION: string = EVENT_DETAIL_VERSION;

  private constructor() {}
}

/**
 * `detail-type` of each event the guard puts on the default bus (source `GuardContract.EVENT_SOURCE`), as strings for
 * EventBridge rule patterns in any language.
 */
export class GuardEventType {
  /** The token's status or set of problems changed since the last event. */
  public static readonly HEALTH_CHANGED: string = EventDetailType.HealthChanged;
  /** The token reached an expiry milestone (30, 14, 7, 3 or 1 days left). */
  public static readonly APPROACHING_EXPIRATION: string = EventDetailType.ApproachingExpiration;
  /** A rotation promoted a new token. */
  public static readonly ROTATED: string = EventDetailType.Rotated;
  /** A rotation failed; AWSCURRENT still holds the previous token. */
  public static readonly ROTATION_FAILED: string = EventDetailType.RotationFailed;

  private constructor() {}
}

/** How new tokens reach the token secret. */
export enum TokenRotationMode {
  /** An operator creates each token in Meta Business Settings and hands it in with `whatsapp-token-guard set-token`. */
  HAND_MADE = 'hand-made',
  /** The guard exchanges the 60-day token for a new one on a schedule. */
  REFRESH = 'refresh',
  /** The guard generates a new token for the system user on a schedule. */
  MINT = 'mint',
}

/** A per-token metric of the guard (namespace `WhatsAppTokenGuard`, dimension `TokenName`). */
export enum GuardMetric {
  /** 1 when Meta says the token is valid and belongs to the configured app, else 0. Only from completed checks. */
  TOKEN_VALID = 'TokenValid',
  /** Days (fractional) until the token expires. Only for tokens that expire. */
  DAYS_UNTIL_EXPIRY = 'DaysUntilExpiry',
  /** How many required permissions (scopes) the token lacks. */
  MISSING_SCOPES = 'MissingScopes',
  /** 1 when the token is a system-user token, else 0. */
  SYSTEM_USER_TOKEN = 'SystemUserToken',
  /** 1 when every configured asset probe succeeds and the number can send, else 0. Only where a probe is configured. */
  ASSET_ACCESS = 'AssetAccess',
  /** 1 when a check could not reach a verdict (Meta unreachable, configuration problem), 0 when it did. */
  CHECK_FAILED = 'CheckFailed',
  /** 1 per rotation that promoted a new token. */
  ROTATION_SUCCEEDED = 'RotationSucceeded',
  /** 1 per rotation step that failed (the token was not promoted). */
  ROTATION_FAILED = 'RotationFailed',
  /** 1 per check or rotation whose health ledger write or event put failed (emitted only then). */
  NOTIFICATION_FAILED = 'NotificationFailed',
  /** 1 per attempt to revoke a token at Meta that failed (refresh and mint modes; retried at the next check). */
  REVOKE_FAILED = 'RevokeFailed',
}

/** A per-token alarm of the guard. */
export enum GuardAlarm {
  /** Meta says the token is invalid, or it belongs to another app. */
  TOKEN_INVALID = 'TokenInvalid',
  /** The token expires within the warning window (or is a temporary token). */
  TOKEN_EXPIRING = 'TokenExpiring',
  /** The token lacks a required permission. */
  MISSING_SCOPES = 'MissingScopes',
  /** The token is not a system-user token. */
  NOT_SYSTEM_USER_TOKEN = 'NotSystemUserToken',
  /** A WABA or phone number probe failed, or the number cannot send (only with `wabaId` or `phoneNumberId`). */
  ASSET_UNREACHABLE = 'AssetUnreachable',
  /** Checks keep ending without a verdict (Meta unreachable, secret missing or unreadable). */
  CHECKS_FAILING = 'ChecksFailing',
  /** No check reported for two intervals: the checker itself is not running. */
  NO_CHECK_REPORTED = 'NoCheckReported',
  /** A rotation step failed; AWSCURRENT still holds the previous token. */
  ROTATION_FAILED = 'RotationFailed',
  /** Checks keep failing to update the health ledger or put their events: health messages are not being sent. */
  NOTIFICATIONS_FAILING = 'NotificationsFailing',
  /** A token the guard holds outside AWSCURRENT could not be revoked at Meta (every mode). */
  REVOKE_FAILED = 'RevokeFailed',
}

/** An aggregate metric of a token fleet (namespace `WhatsAppTokenGuard`, dimension `Fleet`). */
export enum FleetMetric {
  /** 1 per planner run (the "no sweep ran" heartbeat). */
  SWEEP_RUNS = 'SweepRuns',
  /** Tokens the planner queued for a check. */
  TOKENS_PLANNED = 'TokensPlanned',
  /** Checks that reached an outcome and were recorded. */
  TOKENS_CHECKED = 'TokensChecked',
  /** Checks whose verdict was unhealthy. */
  TOKENS_UNHEALTHY = 'TokensUnhealthy',
  /** Checks that found the token expiring within its warning window. */
  TOKENS_EXPIRING = 'TokensExpiring',
  /** Checks that gave up without a verdict after the queue's last retry. */
  CHECK_FAILURES = 'CheckFailures',
  /** Checks deferred or failed because Meta said to back off. */
  RATE_LIMITED = 'RateLimited',
  /** Seconds from the start of the sweep to a check's completion. */
  SWEEP_DURATION = 'SweepDuration',
  /** Highest Meta app usage percentage a worker saw. */
  APP_USAGE_PERCENT = 'AppUsagePercent',
  /** Checks whose ledger row or health event could not be written (the next check catches up). */
  NOTIFICATION_FAILED = 'NotificationFailed',
}

/** An alarm of a token fleet (`WhatsAppTokenFleet.alarm()`); the value is the end of its alarm name. */
export enum FleetAlarm {
  /** At least one token was unhealthy in the last sweep. */
  TOKENS_UNHEALTHY = 'FleetTokensUnhealthy',
  /** At least one token expires within its warning window. */
  TOKENS_EXPIRING = 'FleetTokensExpiring',
  /** Fewer than 90% of the queued checks were recorded over two sweeps. */
  SWEEP_INCOMPLETE = 'FleetSweepIncomplete',
  /** The planner did not run for two of its periods: no token is being checked. */
  NO_SWEEP = 'FleetNoSweep',
  /** Checks failed on every retry and wait in the dead-letter queue. */
  DEAD_LETTERS = 'FleetDeadLetters',
}
