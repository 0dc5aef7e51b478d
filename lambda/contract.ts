// Public contract of whatsapp-token-guard, shared by the Lambda (bundled by esbuild) and the
// CDK construct (imported by lib/). No imports on purpose: nothing here may pull code into either side.
// Renaming a metric, dimension, label or field here is a BREAKING CHANGE for users' dashboards,
// alarms, consumers and scripts.

/**
 * Version of this contract as a user sees it: metric names, units and dimensions, the secret shapes, staging labels
 * and the on-demand check's report. An incompatible change to any of them bumps it, with a major package version and
 * a "Breaking" entry in CHANGELOG.md. The package exports it as `GuardContract.VERSION`.
 */
export const CONTRACT_VERSION = '1';

/** CloudWatch namespace of every metric the guard publishes. */
export const NAMESPACE = 'WhatsAppTokenGuard';

/** The one and only dimension of every metric: alarms match on exactly this dimension set. */
export const TOKEN_NAME_DIMENSION = 'TokenName';

/** Metric names. Units are fixed below; alarms filter on the same unit. */
export const Metric = {
  /** 1 when Meta says the token is valid and it belongs to the configured app, else 0. Only from completed checks. */
  TokenValid: 'TokenValid',
  /** Days (fractional) until `expires_at`. Only for tokens that expire. */
  DaysUntilExpiry: 'DaysUntilExpiry',
  /** How many required scopes are missing from `scopes`. */
  MissingScopes: 'MissingScopes',
  /** 1 when `type` is SYSTEM_USER, else 0. */
  SystemUserToken: 'SystemUserToken',
  /** 1 when every configured asset probe succeeds and the number can send, else 0. Only where a probe is configured. */
  AssetAccess: 'AssetAccess',
  /** 1 when a check could not reach a verdict (Meta unreachable, configuration problem), 0 when it did. Emitted by every check. */
  CheckFailed: 'CheckFailed',
  /** 1 per rotation that promoted a new token. */
  RotationSucceeded: 'RotationSucceeded',
  /** 1 per rotation step that failed (the token was not promoted). */
  RotationFailed: 'RotationFailed',
  /** 1 per check or rotation whose health ledger write or event put failed (emitted only then); the next check catches up. */
  NotificationFailed: 'NotificationFailed',
  /** 1 per attempt to revoke a token at Meta that failed (the guard tries again at the next check). */
  RevokeFailed: 'RevokeFailed',
} as const;
export type MetricName = (typeof Metric)[keyof typeof Metric];

/**
 * The one metric about the Meta app rather than a token, under the single dimension AppId: Meta's usage
 * headers describe the app's (X-App-Usage) and a business object's (X-Business-Use-Case-Usage) call quota, not a
 * token, so every token of an app shares one metric ($0.30 a month per app, not per token).
 */
export const APP_ID_DIMENSION = 'AppId';
export const AppMetric = {
  /** The highest usage Meta reported in a check's answers, in percent of the quota (a pending block counts as 100). */
  GraphUsagePercent: 'GraphUsagePercent',
} as const;
export type AppMetricName = (typeof AppMetric)[keyof typeof AppMetric];

/** EMF unit of each metric (CloudWatch `Unit`). Alarms filter on it, so it is part of the contract. */
export const METRIC_UNIT: Record<MetricName, 'Count' | 'None'> = {
  TokenValid: 'Count',
  DaysUntilExpiry: 'None',
  MissingScopes: 'Count',
  SystemUserToken: 'Count',
  AssetAccess: 'Count',
  CheckFailed: 'Count',
  RotationSucceeded: 'Count',
  RotationFailed: 'Count',
  NotificationFailed: 'Count',
  RevokeFailed: 'Count',
};

/** Environment variables the construct sets and the Lambda reads at cold start. */
export const EnvVar = {
  TokenName: 'TOKEN_NAME',
  TokenSecretArn: 'TOKEN_SECRET_ARN',
  AppSecretArn: 'APP_SECRET_ARN',
  AppId: 'META_APP_ID',
  WabaId: 'WABA_ID',
  PhoneNumberId: 'PHONE_NUMBER_ID',
  RequiredScopes: 'REQUIRED_SCOPES',
  GraphApiVersion: 'GRAPH_API_VERSION',
  GraphApiBaseUrl: 'GRAPH_API_BASE_URL',
  ExpiryWarningDays: 'EXPIRY_WARNING_DAYS',
  RotationMode: 'ROTATION_MODE',
  SystemUserId: 'SYSTEM_USER_ID',
  MintSixtyDayTokens: 'MINT_SIXTY_DAY_TOKENS',
  RevokePreviousAfterHours: 'REVOKE_PREVIOUS_AFTER_HOURS',
  HttpTimeoutMs: 'GRAPH_HTTP_TIMEOUT_MS',
  /** The health ledger's DynamoDB table. */
  LedgerTableName: 'LEDGER_TABLE_NAME',
  /** First part of the token's ledger key (`<scope>/<tokenName>`): `guard` for a single guard, the fleet's name in a fleet. */
  LedgerScope: 'LEDGER_SCOPE',
  /** Consecutive checks without a verdict before the ledger reports `check-failed` (same as the ChecksFailing alarm). */
  CheckFailuresToNotify: 'CHECK_FAILURES_TO_NOTIFY',
} as const;

export const DEFAULT_GRAPH_API_BASE_URL = 'https://graph.facebook.com';
/** v25.0 is the newest version confirmed on a Meta page (Meta's changelog: https://developers.facebook.com/docs/graph-api/changelog). */
export const DEFAULT_GRAPH_API_VERSION = 'v25.0';
export const DEFAULT_REQUIRED_SCOPES = ['whatsapp_business_messaging', 'whatsapp_business_management'] as const;
export const DEFAULT_EXPIRY_WARNING_DAYS = 14;

/** JSON field of the token secret: `{"accessToken": "..."}`. A bare token string is accepted too. */
export const TOKEN_SECRET_FIELD = 'accessToken';
/** JSON field of the app secret: `{"appSecret": "..."}`. A bare string is accepted too. */
export const APP_SECRET_FIELD = 'appSecret';

/**
 * Prefix of the label on each token handed in with `set-token`, followed by the hand-in time in unix seconds and the
 * first 8 characters of its rotation's ClientRequestToken: `TOKENGUARD_HANDIN_AT_<unix>_<rotation>`. The hand-in's
 * version id is derived from that rotation's ClientRequestToken (see `handInVersionId`), so a rotation only ever uses
 * its own hand-in; the label keeps the token findable whatever happens to the rotation (promoted: the label goes;
 * refused, abandoned or never started: it stays, and the token is parked like a refused one).
 */
export const HANDIN_LABEL_PREFIX = 'TOKENGUARD_HANDIN_AT_';
/**
 * The single hand-in label of versions before 0.4 (one label for every hand-in: a second hand-in took it off the
 * first). Still recognised on a secret written by an older command; never written any more.
 */
export const CANDIDATE_LABEL = 'TOKENGUARD_CANDIDATE';
/** Marks the version whose token the guard revoked at Meta last (a parked token, after its grace or beyond the budget). */
export const REVOKED_LABEL = 'TOKENGUARD_REVOKED';
/**
 * Prefix of the label on each refused hand-in, followed by the refusal time in unix seconds: the operator's token is
 * kept findable (a refused token the guard obtained is revoked instead). Parked like a demoted token (MAX_PARKED).
 */
export const REJECTED_LABEL_PREFIX = 'TOKENGUARD_REJECTED_AT_';
/**
 * Marks a token the guard obtained from Meta (refresh or mint) until it is settled: promoted (then AWSCURRENT
 * covers it) or revoked. A version that carries it without AWSCURRENT, AWSPREVIOUS or a live AWSPENDING is revoked.
 */
export const ISSUED_LABEL = 'TOKENGUARD_ISSUED';
/**
 * The mark of the token obtained for rotation `versionId`: TOKENGUARD_ISSUED_<version id>, one per rotation, since a
 * PutSecretValue that names a label another version carries moves it silently, and two rotations (one abandoned while
 * its createSecret still waited on Meta) may each store a token. The bare TOKENGUARD_ISSUED of 0.4 is still honoured.
 */
export function issuedLabel(versionId: string): string {
  return `${ISSUED_LABEL}_${versionId}`;
}
/** Whether `label` marks a token the guard obtained (this version's own mark, or 0.4's bare one). */
export function isIssuedLabel(label: string): boolean {
  return label === ISSUED_LABEL || label.startsWith(`${ISSUED_LABEL}_`);
}
/**
 * Prefix of the label finishSecret puts on the version it demoted, followed by the promotion time in unix
 * seconds: the revoke grace period is measured from it, and only a version demoted by the guard is revoked. The
 * label stays when the version later leaves AWSPREVIOUS, so no token the guard held is ever unlabelled and live.
 */
export const DEMOTED_LABEL_PREFIX = 'TOKENGUARD_DEMOTED_AT_';
/**
 * A demotion label names the rotation that demoted the version: `TOKENGUARD_DEMOTED_AT_<unix>_<version promoted>`.
 * finishSecret writes it before its move (DescribeSecret stops listing a version without labels), so a move that never
 * happens leaves one behind: it counts as a demotion (the revoke grace runs from <unix>) only once the version it names
 * was promoted; until then it only keeps the token findable, within the budget. A label without the suffix (0.4) is a
 * demotion as it stands.
 */
export function demotedLabel(at: number, promoted: string): string {
  return `${DEMOTED_LABEL_PREFIX}${at}_${promoted}`;
}

export const ROTATION_MODES = ['hand-made', 'refresh', 'mint'] as const;
export type RotationMode = (typeof ROTATION_MODES)[number];

/**
 * On-demand invocation: `{"action":"check"}` checks AWSCURRENT; `versionStage` or `versionId` checks another version;
 * `value` checks a token that is not stored yet (the operator command validates a first token before writing it).
 * Only the AWSCURRENT check publishes metrics.
 */
export interface CheckEvent {
  readonly action: 'check';
  readonly versionStage?: string;
  readonly versionId?: string;
  readonly value?: string;
}

/** Secrets Manager's rotation invocation (RotationToken is newer than @types/aws-lambda). */
export interface RotationEvent {
  readonly Step: RotationStep;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly RotationToken?: string;
}
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export type Severity = 'critical' | 'warning';

export interface ProblemDefinition {
  readonly title: string;
  readonly what: string;
  readonly fix: string;
  readonly severity: Severity;
}

// The runbook in one place: the Lambda's report and the alarm descriptions both quote these.
const GENERATE_TOKEN =
  'In Meta Business Settings > Users > System users: pick (or create) an admin system user, give it the app and ' +
  'Full control of the WhatsApp Business Account (Assign assets), click "Generate new token" for the app with ' +
  'whatsapp_business_messaging and whatsapp_business_management, then hand it in with `npx --no-install whatsapp-token-guard set-token` ' +
  '(it is validated before it becomes AWSCURRENT).';

export const Problem = {
  TokenNotSet: {
    title: 'Token not stored yet',
    what: 'The token secret has no value yet, so nothing can be checked.',
    fix: `Store the system-user token: ${GENERATE_TOKEN}`,
    severity: 'critical',
  },
  AppSecretNotSet: {
    title: 'App secret not stored yet',
    what: "The Meta app secret is not stored, so the guard cannot call debug_token (Meta answers it only to the app token 'app-id|app-secret').",
    fix: 'Copy the app secret from App Dashboard > App settings > Basic and run `npx --no-install whatsapp-token-guard set-app-secret`.',
    severity: 'critical',
  },
  SecretMalformed: {
    title: 'Secret value malformed',
    what: 'A secret value is not in a shape the guard accepts.',
    fix: 'Store {"accessToken":"<token>"} (or {"appSecret":"<secret>"}) or the bare value, without quotes or spaces, with `npx --no-install whatsapp-token-guard set-token` / `set-app-secret`.',
    severity: 'critical',
  },
  AppTokenRejected: {
    title: 'App secret or app id rejected by Meta',
    what: "Meta refused the app token built from the configured app id and stored app secret (wrong app id: code 101; wrong or reset app secret: \"Error validating client secret.\" or a refused appsecret_proof). This is not transient.",
    fix: "Check `appId` in cdk.json against the App Dashboard, then store the app's current secret with `npx --no-install whatsapp-token-guard set-app-secret`.",
    severity: 'critical',
  },
  SecretReadFailed: {
    title: 'Secret could not be read',
    what: 'The function could not read a secret from Secrets Manager (access denied, KMS key policy, or the service unavailable).',
    fix: "Check the detail: an AccessDenied names the missing permission on the function's role or the KMS key policy; a throttle or 5xx is transient.",
    severity: 'critical',
  },
  GraphConfig: {
    title: 'Graph API configuration problem',
    what: 'Meta refused the request itself (unknown API version, server IP allow list, or a malformed request), or something other than Graph answered (an HTTP 4xx without a Graph error: a wrong `graphApiBaseUrl`, a proxy), so no verdict on the token was possible.',
    fix: 'Check `graphApiVersion` (a live version such as v25.0) and `graphApiBaseUrl` in cdk.json, any egress proxy, and the app\'s Server IP allow list; the detail names Meta\'s code or the HTTP status.',
    severity: 'critical',
  },
  GraphUnavailable: {
    title: "Meta's Graph API unavailable",
    what: "Meta's Graph API did not answer usefully after bounded retries (outage, timeout, network error, HTTP 5xx). This says nothing about the token.",
    fix: 'Usually transient: check https://metastatus.com (WhatsApp Business API). If it persists for hours, check the function\'s network egress (VPC, NAT, proxy).',
    severity: 'critical',
  },
  GraphRateLimited: {
    title: 'Meta rate limit reached',
    what: "Meta answered with a rate-limit code (4, 17, 32, 341, 613, 80007, 80008, 130429 or HTTP 429): the app's or the WhatsApp Business Account's call quota is used up. It is shared with the business's own use of the same app. This is not an outage and says nothing about the token; the check made no further calls.",
    fix: "Nothing to fix on the token. Meta asks to stop calling until usage drops (https://developers.facebook.com/docs/graph-api/overview/rate-limiting); the detail gives Meta's estimated_time_to_regain_access when it sends one. If it repeats, find what else spends the app's quota (App Dashboard > Application Rate Limit) or raise `checkIntervalMinutes`.",
    severity: 'critical',
  },
  GraphUsageHigh: {
    title: "Meta call quota nearly used",
    what: "Meta's usage headers (X-App-Usage, X-Business-Use-Case-Usage) report 80% or more of the quota, so the check skipped its asset probes to leave the rest to the business's own app: asset access was not verified this time.",
    fix: "Nothing to fix on the token. The detail names the header, the business object and the usage; if it stays high, find what else spends the app's quota (App Dashboard > Application Rate Limit) or raise `checkIntervalMinutes`.",
    severity: 'warning',
  },
  TokenInvalid: {
    title: 'Token invalid',
    what: 'Meta says the token is no longer valid; WhatsApp sends with it fail.',
    fix: `Generate a new token: ${GENERATE_TOKEN}`,
    severity: 'critical',
  },
  WrongApp: {
    title: 'Token belongs to another app',
    what: 'The token was issued for a different Meta app than the configured app id.',
    fix: `Generate the token for the configured app (or fix \`appId\` in cdk.json): ${GENERATE_TOKEN}`,
    severity: 'critical',
  },
  TemporaryToken: {
    title: 'Temporary token in use',
    what: 'The token expires within hours: it is the temporary token from App Dashboard > WhatsApp > API Setup, which is never right for production.',
    fix: `Replace it with a system-user token: ${GENERATE_TOKEN}`,
    severity: 'critical',
  },
  NotSystemUserToken: {
    title: 'Not a system-user token',
    what: "The token is not a SYSTEM_USER token (for example a personal USER token): it dies with its owner's session, password or account.",
    fix: `Replace it with a system-user token: ${GENERATE_TOKEN}`,
    severity: 'critical',
  },
  TokenExpiring: {
    title: 'Token expiring soon',
    what: 'The token expires soon; after that every send fails and an expired token cannot be refreshed.',
    fix: 'Rotate now: refresh/mint mode `npx --no-install whatsapp-token-guard rotate`; hand-made mode generate a new token (60 days) for the system user and run `npx --no-install whatsapp-token-guard set-token`.',
    severity: 'warning',
  },
  MissingScopes: {
    title: 'Required permissions missing',
    what: 'The token lacks required permissions (read from `scopes`; `granular_scopes` is informational only).',
    fix: `Generate a new token with every required permission ticked: ${GENERATE_TOKEN}`,
    severity: 'critical',
  },
  AssetAccessDenied: {
    title: 'No access to the WhatsApp asset',
    what: "Meta refused a read-only probe of the WABA or phone number (code 200: the system user lacks asset access; code 10/3: permission missing).",
    fix: 'In Business Settings > System users > (user) > Assign assets, give the system user Full control of the WhatsApp Business Account, then run `npx --no-install whatsapp-token-guard check`.',
    severity: 'critical',
  },
  AssetNotFound: {
    title: 'WhatsApp asset not found',
    what: 'Meta says the configured WABA or phone number id does not exist or cannot be loaded (code 100/33).',
    fix: 'Check `wabaId` and `phoneNumberId` in cdk.json against WhatsApp Manager (IDs, not the phone number itself), and that the system user has access to that WABA.',
    severity: 'critical',
  },
  PhoneNotInWaba: {
    title: 'Phone number not in the WABA',
    what: "The configured phone number id is not among the WABA's phone numbers.",
    fix: 'Fix `phoneNumberId` or `wabaId` in cdk.json so the number belongs to the WABA, and redeploy.',
    severity: 'critical',
  },
  AppNotSubscribed: {
    title: 'App not subscribed to the WABA',
    what: "The configured app is not in the WABA's subscribed_apps: inbound messages and status webhooks do not reach you.",
    fix: 'Subscribe the app: POST /{waba-id}/subscribed_apps with the system-user token (or re-run Embedded Signup), then run `npx --no-install whatsapp-token-guard check`.',
    severity: 'critical',
  },
  MessagingBlocked: {
    title: 'Phone number cannot send',
    what: "An entity of the number's health_status (phone number, WABA, business or app) has can_send_message BLOCKED: Meta will not deliver messages from it.",
    fix: "Follow the possible_solution Meta gives in the detail for the blocking entity (also shown in WhatsApp Manager > Overview), then run `npx --no-install whatsapp-token-guard check`.",
    severity: 'critical',
  },
  SettingsInvalid: {
    title: 'Token settings invalid',
    what: "A fleet token's settings (the tags on its secret) are malformed, so it cannot be checked or rotated as configured; a rotation that meets them ends without promoting anything.",
    fix: 'Fix the tag named in the detail with `aws secretsmanager tag-resource --secret-id <the token\'s secret> --tags Key=<tag>,Value=<value>` (docs/fleet.md lists each tag and its values); the next sweep checks it again, then rotate again if a rotation ended.',
    severity: 'critical',
  },
  MessagingLimited: {
    title: 'Phone number limited',
    what: "An entity of the number's health_status has can_send_message LIMITED: it can send, within limits (for example a display name not approved yet).",
    fix: 'Follow the additional_info (or possible_solution) Meta gives in the detail, also shown in WhatsApp Manager > Overview.',
    severity: 'warning',
  },
  RevokeFailed: {
    title: 'Old token not revoked',
    what: "Meta did not confirm the revoke of a token the guard holds outside AWSCURRENT (a demoted, refused or obtained token nobody uses any more). Nothing is lost and the live token is not affected: the old one stays labelled in the secret and every check tries again.",
    fix: "If it repeats, act on Meta's answer in the detail: a refused app secret is fixed with `npx --no-install whatsapp-token-guard set-app-secret`; otherwise revoke the token by hand in Business Settings > System users and take its TOKENGUARD_* label off with `aws secretsmanager update-secret-version-stage`.",
    severity: 'warning',
  },
  TokenRefusedByProbe: {
    title: 'Token refused by a WhatsApp call',
    what: 'debug_token called the token valid, but a read-only WhatsApp call refused it with code 190 in the same check. No verdict this time: the token may have been invalidated between the two calls.',
    fix: 'Run `npx --no-install whatsapp-token-guard check` again: if debug_token now says invalid, TokenInvalid fires with the reason. If it repeats while debug_token says valid, generate a new token for the system user and hand it in with `npx --no-install whatsapp-token-guard set-token`.',
    severity: 'critical',
  },
} as const satisfies Record<string, ProblemDefinition>;
export type ProblemId = keyof typeof Problem;

/** One problem in a report: the catalog entry plus the detail of this case (never a secret). */
export interface ReportedProblem {
  readonly id: ProblemId;
  readonly severity: Severity;
  readonly title: string;
  readonly what: string;
  readonly fix: string;
  readonly detail?: string;
}

/** What Meta's Access Token Debugger would show, from debug_token's `data`. */
export interface TokenSummary {
  readonly valid: boolean;
  readonly type?: string;
  readonly appId?: string;
  readonly application?: string;
  readonly userId?: string;
  /** ISO time, when Meta gives `issued_at`. */
  readonly issuedAt?: string;
  /** ISO time, or 'never' for `expires_at: 0`. */
  readonly expiresAt?: string;
  readonly daysUntilExpiry?: number;
  readonly dataAccessExpiresAt?: string;
  readonly scopes: readonly string[];
  readonly missingScopes: readonly string[];
  readonly granularScopes: readonly { scope: string; targetIds?: readonly string[] }[];
  /** Meta's reason when the token is invalid, in plain language (code/subcode included). */
  readonly invalidReason?: string;
}

export type ProbeOutcome = 'ok' | 'denied' | 'not-found' | 'mismatch' | 'failed';

export interface AssetSummary {
  readonly phoneNumber?: {
    readonly id: string;
    readonly outcome: ProbeOutcome;
    readonly displayPhoneNumber?: string;
    readonly verifiedName?: string;
    readonly qualityRating?: string;
    /** Derived from the entities of health_status (PHONE_NUMBER, WABA, BUSINESS, APP), not only its overall value. */
    readonly canSendMessage?: string;
    /** One line per entity that is not AVAILABLE, with Meta's errors, possible_solution and additional_info. */
    readonly health?: readonly string[];
    readonly detail?: string;
  };
  readonly wabaPhoneNumbers?: { readonly wabaId: string; readonly outcome: ProbeOutcome; readonly detail?: string };
  readonly subscribedApps?: { readonly wabaId: string; readonly outcome: ProbeOutcome; readonly detail?: string };
}

/** One reading of Meta's usage headers (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). */
export interface GraphUsageSummary {
  /** The highest of call_count, total_cputime and total_time, in percent of the quota. */
  readonly percent: number;
  readonly header: 'X-App-Usage' | 'X-Business-Use-Case-Usage';
  /** The business object (e.g. a WABA id) of an X-Business-Use-Case-Usage entry. */
  readonly objectId?: string;
  readonly type?: string;
  /** estimated_time_to_regain_access, in minutes. */
  readonly regainAccessMinutes?: number;
}

/** healthy: no problem; unhealthy: a verdict with problems; check-failed: no verdict could be reached. */
export type CheckOutcome = 'healthy' | 'unhealthy' | 'check-failed';

/** The on-demand check's answer (`{"action":"check"}`) and the payload of the check log line. */
export interface CheckReport {
  readonly tokenName: string;
  readonly checkedAt: string;
  readonly outcome: CheckOutcome;
  readonly graphApiVersion: string;
  readonly token?: TokenSummary;
  readonly assets?: AssetSummary;
  readonly problems: readonly ReportedProblem[];
  /** The highest usage Meta's usage headers reported during this check, when any header came back. */
  readonly graphUsage?: GraphUsageSummary;
  /** The metric values this check published (rotation candidate checks publish none). */
  readonly metrics: Partial<Record<MetricName, number>>;
}

// ---------------------------------------------------------------------------------------------------------
// Fleet mode: many tokens of one Meta app, each its own secret under the fleet's name prefix.
// ---------------------------------------------------------------------------------------------------------

/**
 * Root of every fleet secret name: `<FLEET_SECRET_ROOT><stack>/<fleet>/<token>`. A root of its own, so no fleet's
 * names, IAM patterns or ListSecrets filter can reach a single guard's secrets (`whatsapp-token-guard/<stack>/...`),
 * and the stack's name in it keeps two stacks' fleets of the same name apart.
 */
export const FLEET_SECRET_ROOT = 'whatsapp-token-guard-fleet/';
/**
 * Secret names of fleets deployed before fleet namespaces were unique per stack: `<FLEET_SECRET_PREFIX><fleet>/<token>`.
 * Only a fleet that keeps its existing secrets (`legacySecretNames`) still uses it; see CHANGELOG "fleet namespaces".
 */
export const FLEET_SECRET_PREFIX = 'whatsapp-token-guard/fleet/';

/** Fleet names: part of the fleet's id, its alarm names and every secret name in the fleet. */
export const FLEET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128 characters. */
export const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** `<stack>/<fleet>`: a fleet's id. Neither part can hold a `/`, so two different fleets never share an id or a prefix. */
export const FLEET_ID_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}\/[A-Za-z0-9_-]{1,32}$/;

/**
 * Everything that must be unique per stack about one fleet, derived from the stack's and the fleet's names: its id
 * (the `token-guard:fleet` tag value, the ledger scope `<id>/<token>`, the `Fleet` metric dimension, the alarm names)
 * and the prefix of its secrets' names (what IAM, the planner's ListSecrets filter and the CLI scope to).
 */
export interface FleetNamespace {
  readonly fleetName: string;
  /** `<stack>/<fleet>`. */
  readonly fleetId: string;
  /** `whatsapp-token-guard-fleet/<stack>/<fleet>/`, or `whatsapp-token-guard/fleet/<fleet>/` for a fleet that kept its legacy names. */
  readonly secretNamePrefix: string;
}

/** A fleet's namespace. `legacySecretNames` keeps the secret names of fleets deployed before namespaces were per stack. */
export function fleetNamespace(stackName: string, fleetName: string, legacySecretNames = false): FleetNamespace {
  const fleetId = `${stackName}/${fleetName}`;
  return { fleetName, fleetId, secretNamePrefix: legacySecretNames ? `${FLEET_SECRET_PREFIX}${fleetName}/` : `${FLEET_SECRET_ROOT}${fleetId}/` };
}

/**
 * Why a stack and fleet name cannot make a fleet, or undefined: names that are not usable, or a fleet named like the
 * single guard's ledger scope (`guard`), whose ledger keys, events and messages would read as the single guards'.
 */
export function fleetNameProblem(stackName: string, fleetName: string): string | undefined {
  if (!STACK_NAME_PATTERN.test(stackName)) return `belongs to stack "${stackName.slice(0, 40)}", which is not a CloudFormation stack name (a letter, then letters, digits and "-")`;
  if (!FLEET_NAME_PATTERN.test(fleetName)) return `must be 1-32 letters, digits, "-" or "_", got "${fleetName.slice(0, 40)}"`;
  if (fleetName.toLowerCase() === GUARD_LEDGER_SCOPE) {
    return `must not be "${fleetName}": that is the single guard's ledger scope (its ledger keys, events and messages are "${GUARD_LEDGER_SCOPE}/<token>"), so the fleet's would read as single guards'`;
  }
  return undefined;
}

/** The one dimension of every fleet metric (no per-token dimension: each dimension set is a billed custom metric). */
export const FLEET_DIMENSION = 'Fleet';

/** Aggregate fleet metrics. Each worker invocation publishes one EMF line with its tally; Sum over the sweep interval is the sweep's count. */
export const FleetMetric = {
  /** 1 per planner run (the "no sweep ran" heartbeat). */
  SweepRuns: 'SweepRuns',
  /** Tokens the planner queued for a check. */
  TokensPlanned: 'TokensPlanned',
  /** Checks that reached an outcome and were recorded (healthy, unhealthy or a final check failure). */
  TokensChecked: 'TokensChecked',
  /** Checks whose verdict was unhealthy (a critical problem, including invalid settings tags). */
  TokensUnhealthy: 'TokensUnhealthy',
  /** Checks that found the token expiring within its warning window. */
  TokensExpiring: 'TokensExpiring',
  /** Checks that gave up without a verdict after the queue's last retry (Meta unreachable, secret unreadable). */
  CheckFailures: 'CheckFailures',
  /** Checks deferred or failed because Meta's usage headers or a throttling code said to back off. */
  RateLimited: 'RateLimited',
  /** Seconds from the start of the sweep to a check's completion; Maximum over the interval is the sweep's duration. */
  SweepDuration: 'SweepDuration',
  /** Highest X-App-Usage percentage (max of call_count, total_cputime, total_time) a worker saw. */
  AppUsagePercent: 'AppUsagePercent',
  /** Checks whose ledger row or health event could not be written (the next check catches up). */
  NotificationFailed: 'NotificationFailed',
} as const;
export type FleetMetricName = (typeof FleetMetric)[keyof typeof FleetMetric];

export const FLEET_METRIC_UNIT: Record<FleetMetricName, 'Count' | 'Seconds' | 'Percent'> = {
  SweepRuns: 'Count',
  TokensPlanned: 'Count',
  TokensChecked: 'Count',
  TokensUnhealthy: 'Count',
  TokensExpiring: 'Count',
  CheckFailures: 'Count',
  RateLimited: 'Count',
  SweepDuration: 'Seconds',
  AppUsagePercent: 'Percent',
  NotificationFailed: 'Count',
};

/**
 * Tags on a fleet secret: the token's settings. Secrets Manager tag values allow letters, digits, spaces and
 * `_ . : / = + - @` (no commas), at most 256 characters, so scopes are separated by spaces.
 */
export const FleetTag = {
  /** The fleet the secret belongs to (also in its name); the planner ignores secrets whose tag disagrees. */
  Fleet: 'token-guard:fleet',
  /** The token's name inside the fleet (also the last part of the secret name). */
  TokenName: 'token-guard:token',
  WabaId: 'token-guard:waba-id',
  PhoneNumberId: 'token-guard:phone-number-id',
  /** hand-made | refresh | mint */
  RotationMode: 'token-guard:rotation-mode',
  /** Space-separated scopes that override the fleet's required scopes. */
  RequiredScopes: 'token-guard:required-scopes',
  /** The system user whose tokens are minted (mint mode). */
  SystemUserId: 'token-guard:system-user-id',
  /** Whole days; overrides the fleet's expiry warning window. */
  ExpiryWarningDays: 'token-guard:expiry-warning-days',
  /** Whole hours (refresh and mint): revoke a demoted token this long after its rotation; overrides the fleet's default. */
  RevokePreviousAfterHours: 'token-guard:revoke-previous-after-hours',
  /** Set by `fleet remove` in place of the fleet tag: the fleet (`<stack>/<fleet>`) the secret was removed from. */
  RemovedFromFleet: 'token-guard:removed-from-fleet',
} as const;
export type FleetTagKey = (typeof FleetTag)[keyof typeof FleetTag];

/** Environment variables of the fleet planner and worker (the worker also reads the shared Graph variables above). */
export const FleetEnvVar = {
  FleetName: 'FLEET_NAME',
  /** `<stack>/<fleet>`: the fleet tag's value, the ledger scope and the `Fleet` metric dimension. */
  FleetId: 'FLEET_ID',
  /** Every token secret's name starts with it (`whatsapp-token-guard-fleet/<stack>/<fleet>/`). */
  SecretNamePrefix: 'FLEET_SECRET_NAME_PREFIX',
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name prefix>`: the only secrets the functions act on. */
  SecretArnPrefix: 'FLEET_SECRET_ARN_PREFIX',
  SweepQueueUrl: 'SWEEP_QUEUE_URL',
  SweepIntervalMinutes: 'SWEEP_INTERVAL_MINUTES',
  PlannerEveryMinutes: 'PLANNER_EVERY_MINUTES',
  /** The queue's redrive maxReceiveCount: on the last receive a failed check is recorded before it goes to the DLQ. */
  MaxReceiveCount: 'SWEEP_MAX_RECEIVE_COUNT',
} as const;

/**
 * Version of the sweep message the planner sends. 2 carries no settings: the worker reads them from the secret's tags.
 * The worker still reads version 1 (queued by a planner deployed before), whose `tags` must equal the secret's.
 */
export const SWEEP_MESSAGE_VERSION = 2 as const;

/** One queued check: what the planner sends and the worker reads. Never carries a token value, and is trusted for nothing. */
export interface SweepMessage {
  readonly v: typeof SWEEP_MESSAGE_VERSION | 1;
  /** The fleet's id `<stack>/<fleet>` (version 1: the fleet's name). */
  readonly fleet: string;
  readonly token: string;
  /** The secret's ARN as the planner listed it; the worker accepts only this account's, region's and fleet's. */
  readonly secretId: string;
  /** Version 1 only: the secret's tags as listed; the worker refuses a message whose tags differ from the secret's. */
  readonly tags?: Readonly<Record<string, string>>;
  /** ISO start of the sweep interval this check belongs to. */
  readonly sweep: string;
  /** How many times the worker put this check back because Meta asked to slow down. */
  readonly deferrals?: number;
}
// ---------- Health ledger and events (docs/events-and-ledger.md) ----------

/** Where a token stands, as the ledger and the events say it. not-set: no token stored yet. */
export const HEALTH_STATUSES = ['healthy', 'unhealthy', 'check-failed', 'not-set'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** `source` of every event the guard puts on the default bus. Not `aws.*`: EventBridge reserves that prefix. */
export const EVENT_SOURCE = 'whatsapp-token-guard';
/** `detail-type` of each event. Renaming one is a BREAKING CHANGE for users' rules. */
export const EventDetailType = {
  HealthChanged: 'WhatsApp Token Health Changed',
  ApproachingExpiration: 'WhatsApp Token Approaching Expiration',
  Rotated: 'WhatsApp Token Rotated',
  RotationFailed: 'WhatsApp Token Rotation Failed',
} as const;
export type EventDetailTypeName = (typeof EventDetailType)[keyof typeof EventDetailType];
/** `detail.version` of every event: a new major version adds a field's meaning change or removal; new fields keep it. */
export const EVENT_DETAIL_VERSION = '1';
/** Days before expiry at which `WhatsApp Token Approaching Expiration` fires, once each per token value. */
export const EXPIRY_MILESTONE_DAYS = [30, 14, 7, 3, 1] as const;
/** History items expire (DynamoDB TTL) this long after they were written. */
export const LEDGER_HISTORY_DAYS = 90;
/** Ledger scope of a single-token guard; a fleet uses its own name. */
export const GUARD_LEDGER_SCOPE = 'guard';
/** Attribute names of the ledger table (the construct and the adapter share them). */
export const LedgerAttribute = { PartitionKey: 'pk', SortKey: 'sk', ExpiresAt: 'ttl' } as const;

/** A problem as events carry it: what a person needs to act, never a secret. */
export interface EventProblem {
  readonly id: ProblemId;
  readonly severity: Severity;
  readonly title: string;
  readonly detail?: string;
  readonly fix: string;
}

/** Fields every event detail has. `ledgerKey` is `<scope>/<tokenName>` (the ledger's partition key). */
export interface EventDetailBase {
  readonly version: typeof EVENT_DETAIL_VERSION;
  readonly tokenName: string;
  readonly ledgerKey: string;
  /** The operator command that shows the current state. */
  readonly confirmCommand: string;
}

/** `WhatsApp Token Health Changed`: the status or the set of problems changed since the last event. */
export interface HealthChangedDetail extends EventDetailBase {
  /** `unknown` for the first check the ledger records. */
  readonly previousStatus: HealthStatus | 'unknown';
  readonly status: HealthStatus;
  readonly previousProblemIds: readonly ProblemId[];
  readonly problems: readonly EventProblem[];
  /** One line: the problems' titles and details (or "no problems" when healthy). */
  readonly cause: string;
  /** What to do: the most severe problem's fix (or "nothing to do"). */
  readonly fix: string;
  readonly checkedAt: string;
  /** ISO time, 'never', or absent when unknown. */
  readonly expiresAt?: string;
}

/** `WhatsApp Token Approaching Expiration`: the token crossed one of EXPIRY_MILESTONE_DAYS. */
export interface ApproachingExpirationDetail extends EventDetailBase {
  readonly milestoneDays: number;
  readonly daysUntilExpiry: number;
  readonly expiresAt: string;
  readonly fix: string;
}

/** `WhatsApp Token Rotated`: a rotation promoted a validated token to AWSCURRENT. */
export interface RotatedDetail extends EventDetailBase {
  readonly rotationMode: RotationMode;
  /** The Secrets Manager version now AWSCURRENT (an id, not a value). */
  readonly versionId: string;
  readonly expiresAt?: string;
}

/** `WhatsApp Token Rotation Failed`: a rotation step failed; AWSCURRENT still holds the previous token. */
export interface RotationFailedDetail extends EventDetailBase {
  readonly rotationMode: RotationMode;
  readonly versionId: string;
  readonly step: RotationStep;
  readonly reason: string;
  readonly problems: readonly EventProblem[];
  readonly fix: string;
}

export type GuardEventDetail = HealthChangedDetail | ApproachingExpirationDetail | RotatedDetail | RotationFailedDetail;
