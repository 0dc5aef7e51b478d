// One of the fleet's Lambda functions (planner, worker, rotation): a prebuilt entry point (GuardFunction), its own
// log group with bounded retention and its own role that may write only that log group.
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GuardEntry, GuardFunction } from './guard-function';

export interface FleetFunctionProps {
  readonly entry: GuardEntry;
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
    this.function = new GuardFunction(this, 'Function', {
      entry: props.entry,
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
    });
  }
}
