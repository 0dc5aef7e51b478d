// A loopback world for handler tests: the Graph emulator, the Secrets Manager fake, the two secrets the
// construct creates, and the environment the construct gives the function. The handler is loaded fresh
// per world, with the real SDK talking HTTP to the fake through AWS_ENDPOINT_URL_SECRETS_MANAGER.
import { EnvVar } from '../../lambda/contract';
import { APP_ID, CANARY_APP_SECRET } from './canary';
import { DynamoDbLocal, GUARD_TABLE } from './dynamodb-local';
import { EventBridgeRecorder } from './eventbridge-recorder';
import { GraphEmulator } from './graph-emulator';
import { invocationSandbox } from './invocation-sandbox';
import { FakeSecret, SecretsManagerFake } from './secrets-manager-fake';

type Handler = typeof import('../../lambda/entrypoints/router').handler;

export interface World {
  graph: GraphEmulator;
  sm: SecretsManagerFake;
  tokenSecret: FakeSecret;
  appSecret: FakeSecret;
  /** The health ledger's engine and table, and the bus recorder. */
  ddb: DynamoDbLocal;
  table: string;
  bus: EventBridgeRecorder;
  env: Record<string, string>;
  /** Everything the function wrote to stdout/stderr, across invocations. */
  output: string[];
  invoke(event: unknown, remainingMs?: number): Promise<unknown>;
  /** Drives a full rotation the way Secrets Manager does (RotateSecret, then the four steps in order). */
  rotate(input?: { ClientRequestToken?: string; RotateImmediately?: boolean }): Promise<{ versionId: string; error?: Error }>;
  /** From now on, every RotateSecret on the fake runs the four steps through the handler. */
  autoRotate(): { lastError(): Error | undefined; lastVersionId(): string };
  stop(): Promise<void>;
}

export interface WorldOptions {
  token?: string;
  appSecret?: string | null;
  env?: Record<string, string>;
  rotationEnabled?: boolean;
}


export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const graph = await new GraphEmulator({ appId: APP_ID, appSecret: CANARY_APP_SECRET }).start();
  const sm = await new SecretsManagerFake().start();
  const tokenSecret = sm.createSecret('whatsapp-token-guard/primary/token', {
    value: opts.token === undefined ? undefined : JSON.stringify({ accessToken: opts.token }),
    rotationEnabled: opts.rotationEnabled ?? true,
  });
  const ddb = await new DynamoDbLocal().start();
  const table = await ddb.createTable('health-ledger', GUARD_TABLE);
  const bus = await new EventBridgeRecorder().start();
  const appSecret = sm.createSecret('whatsapp-token-guard/app-secret', { value: opts.appSecret === null ? undefined : JSON.stringify({ appSecret: opts.appSecret ?? CANARY_APP_SECRET }) });
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
    AWS_SECRET_ACCESS_KEY: 'loopback',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
    AWS_MAX_ATTEMPTS: '1',
    [EnvVar.TokenName]: 'primary',
    [EnvVar.TokenSecretArn]: tokenSecret.arn,
    [EnvVar.AppSecretArn]: appSecret.arn,
    [EnvVar.AppId]: APP_ID,
    [EnvVar.GraphApiBaseUrl]: graph.baseUrl,
    [EnvVar.GraphApiVersion]: 'v25.0',
    [EnvVar.HttpTimeoutMs]: '1000',
    [EnvVar.LedgerTableName]: table,
    ...opts.env,
  };
  let handler: Handler | undefined;
  const output: string[] = [];

  const sandbox = invocationSandbox(env, output);
  const invoke = (event: unknown, remainingMs = 20_000): Promise<unknown> =>
    sandbox(async () => {
      if (!handler) jest.isolateModules(() => (handler = require('../../lambda/entrypoints/router').handler));
      return handler!(event, { getRemainingTimeInMillis: () => remainingMs });
    });

  const autoRotate = (): { lastError(): Error | undefined; lastVersionId(): string } => {
    let versionId = '';
    let error: Error | undefined;
    // Secrets Manager invokes the function for each step (the fake drives the order, retries and test-only runs).
    sm.onRotate = undefined;
    sm.lambda = async (event) => {
      // A new rotation, or the service attempting the same one again from createSecret, starts clean.
      if (event.ClientRequestToken !== versionId || event.Step === 'createSecret') error = undefined;
      versionId = event.ClientRequestToken;
      try {
        return await invoke(event);
      } catch (e) {
        error = e as Error;
        throw e;
      }
    };
    return { lastError: () => error, lastVersionId: () => versionId };
  };

  const rotate = async (input: { ClientRequestToken?: string; RotateImmediately?: boolean } = {}): Promise<{ versionId: string; error?: Error }> => {
    const { RotateSecretCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const run = autoRotate();
    const client = new SecretsManagerClient({ region: 'us-east-1', endpoint: sm.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    let started;
    try {
      started = await client.send(new RotateSecretCommand({ SecretId: tokenSecret.arn, ...input }));
    } catch (e) {
      return { versionId: run.lastVersionId(), error: e as Error };
    }
    await sm.settle();
    return { versionId: started.VersionId ?? run.lastVersionId(), error: run.lastError() };
  };

  return {
    graph,
    sm,
    tokenSecret,
    appSecret,
    ddb,
    table,
    bus,
    env,
    output,
    invoke,
    rotate,
    autoRotate,
    async stop() {
      await graph.stop();
      await sm.stop();
      await ddb.stop();
      await bus.stop();
    },
  };
}

/** The EMF blobs among captured lines. */
export function emfLines(output: readonly string[]): Record<string, unknown>[] {
  return output
    .join('')
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l));
}
