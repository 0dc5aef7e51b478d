// One of the fleet's Lambda functions (planner, worker, rotation): the same bundling as the guard's checker
// (local esbuild, arm64, pinned SDK bundled), its own log group with bounded retention and its own role that
// may write only that log group. Each fleet entry point is a file in lambda/entrypoints/.
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const PROJECT_ROOT = path.join(__dirname, '..', '..');

export type FleetEntry = 'fleet-planner' | 'fleet-worker' | 'fleet-rotation';

export interface FleetFunctionProps {
  readonly entry: FleetEntry;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly memorySize?: number;
}

export class FleetFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FleetFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `whatsapp-token-guard ${props.entry}` });
    this.logGroup.grantWrite(this.role);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'lambda', 'entrypoints', `${props.entry}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // INFO, not higher: EMF lines have no level and Lambda files them as INFO.
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: props.environment,
      description: props.description,
      bundling: {
        minify: true,
        target: 'node24',
        format: nodejs.OutputFormat.CJS,
        // Bundle a pinned SDK rather than trust the runtime's copy.
        bundleAwsSDK: true,
        sourceMap: false,
        logLevel: nodejs.LogLevel.WARNING,
        forceDockerBundling: false,
        externalModules: [],
      },
    });
  }
}
