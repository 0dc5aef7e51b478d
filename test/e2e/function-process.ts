// Runs a function's uploaded bundle in its own Node process (a warm container), with the environment the
// template gives it, the AWS SDK pointed at a loopback Secrets Manager through the SDK's standard
// AWS_ENDPOINT_URL_SECRETS_MANAGER, and GRAPH_API_BASE_URL at the loopback Graph emulator.
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';
import { EnvVar } from '../../lambda/contract';
import { FunctionArtifact } from './cloud-assembly';

export interface Invocation {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly durationMs: number;
  /** Everything the function printed during this invocation. */
  readonly output: string;
  readonly emf: Record<string, unknown>[];
}

const RUNNER = path.join(__dirname, 'lambda-runner.js');

export class FunctionProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private pending = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (inv: Invocation) => void>();
  private ready: Promise<number>;
  /** All output of the process, for the canary check. */
  allOutput = '';

  constructor(fn: FunctionArtifact, env: Record<string, string>) {
    this.child = spawn(process.execPath, [RUNNER, fn.codeDir, fn.handler, String(fn.timeoutS)], { env, stdio: 'pipe' });
    let resolveReady!: (ms: number) => void;
    this.ready = new Promise((r) => (resolveReady = r));
    const onText = (text: string): void => {
      this.allOutput += text;
      this.buffer += text;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.startsWith('__READY__')) resolveReady(JSON.parse(line.slice(9)).initMs);
        else if (line.startsWith('__RESULT__')) {
          const r = JSON.parse(line.slice(10));
          const output = this.pending;
          this.pending = '';
          const emf = output.split('\n').filter((l) => l.startsWith('{') && l.includes('"_aws"')).map((l) => JSON.parse(l));
          this.waiting.get(r.id)?.({ ...r, output, emf });
          this.waiting.delete(r.id);
        } else this.pending += `${line}\n`;
      }
    };
    this.child.stdout.on('data', (c) => onText(String(c)));
    this.child.stderr.on('data', (c) => {
      this.allOutput += String(c);
      this.pending += String(c);
    });
    this.child.on('exit', (code) => {
      for (const [, resolve] of this.waiting) resolve({ ok: false, errorType: 'Runtime.ExitError', errorMessage: `process exited with ${code}`, durationMs: 0, output: this.pending, emf: [] });
      this.waiting.clear();
    });
  }

  /** Milliseconds from process start to a loaded handler. */
  initMs(): Promise<number> {
    return this.ready;
  }

  invoke(event: unknown): Promise<Invocation> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, event })}\n`);
    });
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** Where the loopback world is: the fake secrets standing in for the template's, and the two endpoints. */
export interface LoopbackWorld {
  readonly tokenSecretArn: string;
  readonly appSecretArn: string;
  readonly secretsEndpoint: string;
  readonly graphBaseUrl: string;
  /** The health ledger table (stands in for the template's table) and the DynamoDB and EventBridge endpoints. */
  readonly ledgerTable: string;
  readonly dynamodbEndpoint: string;
  readonly eventsEndpoint: string;
}

/**
 * The function's environment: the template's variables, with the Refs to the two secrets resolved to the
 * fakes, what Lambda itself sets, and the endpoints through the standard variables the deployed code reads.
 */
export function lambdaEnvironment(fn: FunctionArtifact, world: LoopbackWorld, extra: Record<string, string> = {}): Record<string, string> {
  const refOf = (name: string): string | undefined => (fn.environment[name] as { Ref?: string } | undefined)?.Ref;
  const refs: Record<string, string> = {
    [refOf(EnvVar.TokenSecretArn) ?? '']: world.tokenSecretArn,
    [refOf(EnvVar.AppSecretArn) ?? '']: world.appSecretArn,
    [refOf(EnvVar.LedgerTableName) ?? '']: world.ledgerTable,
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(fn.environment)) {
    const ref = (v as { Ref?: unknown } | undefined)?.Ref;
    if (typeof v === 'string') env[k] = v;
    else if (typeof ref === 'string' && refs[ref]) env[k] = refs[ref];
    else throw new Error(`environment ${k} holds an intrinsic this harness cannot resolve: ${JSON.stringify(v)}`);
  }
  return {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIALOOPBACKE2E',
    AWS_SECRET_ACCESS_KEY: 'loopback',
    AWS_SESSION_TOKEN: 'loopback',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
    ...env,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secretsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: world.dynamodbEndpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: world.eventsEndpoint,
    [EnvVar.GraphApiBaseUrl]: world.graphBaseUrl,
    ...extra,
  };
}
