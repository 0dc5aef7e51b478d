// The public enums (lib/guard-contract.ts) to the contract's wire strings (lambda/contract.ts) and back, by
// table: typed both ways, so a member added on one side and not the other fails `tsc`.
import { FleetMetricName, MetricName, RotationMode } from '../../lambda/contract';
import { FleetMetric, GuardMetric, TokenRotationMode } from '../guard-contract';

const ROTATION_MODE: { readonly [m in TokenRotationMode]: RotationMode } = {
  [TokenRotationMode.HAND_MADE]: 'hand-made',
  [TokenRotationMode.REFRESH]: 'refresh',
  [TokenRotationMode.MINT]: 'mint',
};

const FROM_WIRE: { readonly [m in RotationMode]: TokenRotationMode } = {
  'hand-made': TokenRotationMode.HAND_MADE,
  refresh: TokenRotationMode.REFRESH,
  mint: TokenRotationMode.MINT,
};

const METRIC: { readonly [m in GuardMetric]: MetricName } = {
  [GuardMetric.TOKEN_VALID]: 'TokenValid',
  [GuardMetric.DAYS_UNTIL_EXPIRY]: 'DaysUntilExpiry',
  [GuardMetric.MISSING_SCOPES]: 'MissingScopes',
  [GuardMetric.SYSTEM_USER_TOKEN]: 'SystemUserToken',
  [GuardMetric.ASSET_ACCESS]: 'AssetAccess',
  [GuardMetric.CHECK_FAILED]: 'CheckFailed',
  [GuardMetric.ROTATION_SUCCEEDED]: 'RotationSucceeded',
  [GuardMetric.ROTATION_FAILED]: 'RotationFailed',
  [GuardMetric.NOTIFICATION_FAILED]: 'NotificationFailed',
  [GuardMetric.REVOKE_FAILED]: 'RevokeFailed',
};

const FLEET_METRIC: { readonly [m in FleetMetric]: FleetMetricName } = {
  [FleetMetric.SWEEP_RUNS]: 'SweepRuns',
  [FleetMetric.TOKENS_PLANNED]: 'TokensPlanned',
  [FleetMetric.TOKENS_CHECKED]: 'TokensChecked',
  [FleetMetric.TOKENS_UNHEALTHY]: 'TokensUnhealthy',
  [FleetMetric.TOKENS_EXPIRING]: 'TokensExpiring',
  [FleetMetric.CHECK_FAILURES]: 'CheckFailures',
  [FleetMetric.RATE_LIMITED]: 'RateLimited',
  [FleetMetric.SWEEP_DURATION]: 'SweepDuration',
  [FleetMetric.APP_USAGE_PERCENT]: 'AppUsagePercent',
  [FleetMetric.NOTIFICATION_FAILED]: 'NotificationFailed',
};

export const rotationModeWire = (mode: TokenRotationMode): RotationMode => ROTATION_MODE[mode];
export const rotationModeFromWire = (mode: RotationMode): TokenRotationMode => FROM_WIRE[mode];
export const metricNameWire = (metric: GuardMetric): MetricName => METRIC[metric];
export const fleetMetricNameWire = (metric: FleetMetric): FleetMetricName => FLEET_METRIC[metric];
