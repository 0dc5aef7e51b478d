// Composition root: reads the function's settings once per cold start and builds the adapters every
// entry point shares. Entry points call deps(); use cases in app/ take what they need as arguments.
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GraphClient } from './adapters/graph-client';
import { HealthEvents } from './adapters/health-events';
import { HealthLedger } from './adapters/health-ledger';
import { MetricsPublisher } from './adapters/metrics-publisher';
import { readLedgerConfig, readRuntimeConfig } from './adapters/runtime-config';
import { SecretsStore } from './adapters/secrets-store';
import { OutcomeDeps, RotationDeps } from './app/ports';
import { recordRotation } from './app/record-outcome';

export const logger = new Logger({ serviceName: 'whatsapp-token-guard' });
export type FunctionDeps = RotationDeps & OutcomeDeps & { readonly ledger: HealthLedger; readonly events: HealthEvents };
let cached: FunctionDeps | undefined;

/** Built once per cold start; a bad environment fails every invocation with the variable's name. */
export function deps(): FunctionDeps {
  if (cached) return cached;
  const config = readRuntimeConfig(process.env);
  const ledger = readLedgerConfig(process.env);
  cached = {
    config,
    store: new SecretsStore(new SecretsManagerClient({})),
    graph: (appSecret, deadline) =>
      new GraphClient({ baseUrl: config.graphApiBaseUrl, version: config.graphApiVersion, appId: config.appId, appSecret, timeoutMs: config.httpTimeoutMs, deadline }),
    now: () => new Date(),
    metrics: new MetricsPublisher(),
    logger,
    ledger: new HealthLedger(ledger.ledgerTableName),
    events: new HealthEvents([config.tokenSecretArn]),
    ledgerKey: (tokenName) => `${ledger.ledgerScope}/${tokenName}`,
    checkFailuresToNotify: ledger.checkFailuresToNotify,
    rotations: { record: (tokenName, r) => recordRotation(cached!, { name: tokenName, rotationMode: config.rotationMode }, r) },
  };
  return cached;
}
