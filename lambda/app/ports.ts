// The dependencies each use case takes as an argument. Entry points get them from wiring.ts; tests may
// build their own. Kept here so no use case imports its deps type from a sibling use case.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { RotationFacts } from '../core/event-details';
import type { GraphClient } from '../adapters/graph-client';
import type { HealthEvents } from '../adapters/health-events';
import type { HealthLedger } from '../adapters/health-ledger';
import type { MetricsPublisher } from '../adapters/metrics-publisher';
import type { RuntimeConfig } from '../adapters/runtime-config';
import type { SecretsStore } from '../adapters/secrets-store';

export interface CheckDeps {
  readonly config: RuntimeConfig;
  readonly store: SecretsStore;
  /** Builds a Graph client for this check's app secret and deadline. */
  readonly graph: (appSecret: string, deadline: number) => GraphClient;
  readonly now: () => Date;
}

/** A rotation's outcome, as the ledger and the events record it (never a token): the facts the event details are built from. */
export type RotationRecord = RotationFacts;

export interface RotationDeps extends CheckDeps {
  readonly metrics: MetricsPublisher;
  readonly logger: Logger;
  /** Records the outcome in the health ledger and as an event (app/record-outcome.ts recordRotation); absent where no ledger is wired. */
  readonly rotations?: { record(tokenName: string, r: RotationRecord): Promise<void> };
}

/** What recordOutcome needs: the same in every mode; the fleet passes its own ledger scope. */
export interface OutcomeDeps {
  readonly metrics: Pick<MetricsPublisher, 'publish'>;
  readonly ledger: Pick<HealthLedger, 'saveCheck' | 'markNotified' | 'saveRotation'>;
  readonly events: Pick<HealthEvents, 'put'>;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly now: () => Date;
  /** `<scope>/<tokenName>`: the token's partition key in the ledger. */
  readonly ledgerKey: (tokenName: string) => string;
  /** Checks without a verdict in a row before `check-failed` is announced. */
  readonly checkFailuresToNotify: number;
}
