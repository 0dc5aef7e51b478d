// Composition root of the fleet's functions: reads each function's settings once per cold start and builds the
// adapters. The check itself is the same app/check-token.ts every entry point uses; only how tokens are found,
// paced, configured and reported differs, and that is decided here by which adapters are built.
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FleetConfig, readFleetConfig, readSweepConfig, SweepConfig } from './adapters/fleet-config';
import { FleetSecrets } from './adapters/fleet-secrets';
import { FleetTally } from './adapters/fleet-tally';
import { GraphClient } from './adapters/graph-client';
import { HealthEvents } from './adapters/health-events';
import { HealthLedger } from './adapters/health-ledger';
import { readLedgerConfig } from './adapters/runtime-config';
import { SecretsStore } from './adapters/secrets-store';
import { SweepQueue } from './adapters/sweep-queue';
import { FleetCheckDeps, ledgerOutcomes, OutcomeRecorder, UsageMemory } from './app/check-fleet-token';
import type { RotationDeps } from './app/ports';
import { recordRotation } from './app/record-outcome';
import type { RotationMode } from './contract';
import { fleetLedgerKey } from './core/token-settings';

export const fleetLogger = new Logger({ serviceName: 'whatsapp-token-guard-fleet' });

/** The health ledger and events of the fleet: items `<fleet>/<token>`, events naming the token's secret. */
function outcomeParts(fleet: FleetConfig, tally: Pick<FleetTally, 'add'>) {
  const ledger = readLedgerConfig(process.env);
  const bus = new EventBridgeClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } });
  return {
    ledger: new HealthLedger(ledger.ledgerTableName),
    events: (secretArn: string) => new HealthEvents([secretArn], bus),
    tally,
    logger: fleetLogger,
    now: () => new Date(),
    ledgerKey: (tokenName: string) => fleetLedgerKey(fleet, tokenName),
    checkFailuresToNotify: ledger.checkFailuresToNotify,
  };
}

function outcomes(fleet: FleetConfig, tally: Pick<FleetTally, 'add'>): OutcomeRecorder {
  return ledgerOutcomes(outcomeParts(fleet, tally));
}

function graphFactory(config: FleetConfig): FleetCheckDeps['graph'] {
  return (appSecret, deadline) => new GraphClient({ baseUrl: config.graphApiBaseUrl, version: config.graphApiVersion, appId: config.appId, appSecret, timeoutMs: config.httpTimeoutMs, deadline });
}

let worker: (FleetCheckDeps & { readonly sweep: SweepConfig }) | undefined;
/** The worker's adapters; the usage memory lives as long as the container, so pacing carries across batches. */
export function fleetWorkerDeps(): FleetCheckDeps & { readonly sweep: SweepConfig } {
  if (worker) return worker;
  const fleet = readFleetConfig(process.env);
  const sweep = readSweepConfig(process.env);
  const tally = new FleetTally(fleet.fleetId);
  const client = new SecretsManagerClient({});
  worker = {
    fleet,
    sweep,
    secrets: new FleetSecrets(client),
    store: new SecretsStore(client),
    graph: graphFactory(fleet),
    now: () => new Date(),
    tally,
    queue: new SweepQueue(sweep.queueUrl, new SQSClient({})),
    usage: new UsageMemory(),
    outcomes: outcomes(fleet, tally),
    logger: fleetLogger,
  };
  return worker;
}

export interface FleetPlannerDeps {
  readonly sweep: SweepConfig;
  readonly secrets: FleetSecrets;
  readonly queue: SweepQueue;
  readonly tally: FleetTally;
  readonly now: () => Date;
  readonly logger: Logger;
}
let planner: FleetPlannerDeps | undefined;
export function fleetPlannerDeps(): FleetPlannerDeps {
  if (planner) return planner;
  const sweep = readSweepConfig(process.env);
  planner = { sweep, secrets: new FleetSecrets(new SecretsManagerClient({})), queue: new SweepQueue(sweep.queueUrl, new SQSClient({})), tally: new FleetTally(sweep.fleetId), now: () => new Date(), logger: fleetLogger };
  return planner;
}

export interface FleetRouterDeps {
  readonly fleet: FleetConfig;
  readonly secrets: FleetSecrets;
  readonly store: SecretsStore;
  readonly graph: FleetCheckDeps['graph'];
  readonly now: () => Date;
  readonly tally: FleetTally;
  readonly outcomes: OutcomeRecorder;
  /** The rotation recorder of one token (its mode and secret). */
  readonly rotations: (mode: RotationMode, secretArn: string) => NonNullable<RotationDeps['rotations']>;
  readonly logger: Logger;
}
let router: FleetRouterDeps | undefined;
export function fleetRouterDeps(): FleetRouterDeps {
  if (router) return router;
  const fleet = readFleetConfig(process.env);
  const client = new SecretsManagerClient({});
  const tally = new FleetTally(fleet.fleetId);
  const parts = outcomeParts(fleet, tally);
  // A rotation's outcome goes to the token's ledger row and a Rotated / Rotation Failed event, as for a single guard.
  const rotations: FleetRouterDeps['rotations'] = (mode, secretArn) => ({
    record: (tokenName, r) =>
      recordRotation({ ...parts, events: parts.events(secretArn), metrics: { publish: (_t, v) => (v.NotificationFailed ? tally.add('NotificationFailed') : undefined) } }, { name: tokenName, rotationMode: mode }, r),
  });
  router = { fleet, secrets: new FleetSecrets(client), store: new SecretsStore(client), graph: graphFactory(fleet), now: () => new Date(), tally, outcomes: ledgerOutcomes(parts), rotations, logger: fleetLogger };
  return router;
}
