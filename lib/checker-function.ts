// The guard's one Lambda: the prebuilt router bundle (lib/private/guard-function.ts), arm64, JSON logs with
// bounded retention, a role that may write only its own log group, and the EventBridge schedule.
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GuardEntry, GuardFunction } from './private/guard-function';

export interface CheckerFunctionProps {
  readonly environment: Record<string, string>;
  readonly checkIntervalMinutes: number;
  readonly logRetention: logs.RetentionDays;
}

/** A UTC-aligned cron, so every alarm period holds exactly one check (a rate() drifts against the periods). */
export function checkSchedule(intervalMinutes: number): events.Schedule {
  return intervalMinutes === 60 ? events.Schedule.cron({ minute: '0' }) : events.Schedule.cron({ minute: `0/${intervalMinutes}` });
}

export class CheckerFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: CheckerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    // Our own role instead of AWSLambdaBasicExecutionRole: logs only to this function's log group.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'whatsapp-token-guard checker and rotation function' });
    this.logGroup.grantWrite(this.role);

    this.function = new GuardFunction(this, 'Function', {
      entry: GuardEntry.ROUTER,
      memorySize: 256,
      // Retries stop well before this (see lambda/entrypoints/router.ts SAFETY_MARGIN_MS); rotation runs two checks.
      timeout: Duration.seconds(60),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // INFO, not higher: EMF lines have no level and Lambda files them as INFO.
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: props.environment,
      description: 'whatsapp-token-guard: checks the WhatsApp token on a schedule and rotates its secret',
    });
    // A failed scheduled check is reported by metrics; the next check is the retry.
    this.function.configureAsyncInvoke({ retryAttempts: 0 });

    // Check right after every successful deploy, so a new or changed guard reports at once instead of at
    // the next scheduled slot (CloudFormation sends stack status changes to EventBridge).
    new events.Rule(this, 'CheckAfterDeploy', {
      description: 'Checks the WhatsApp token when the stack finished deploying',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: { 'stack-id': [Stack.of(this).stackId], 'status-details': { status: ['CREATE_COMPLETE', 'UPDATE_COMPLETE'] } },
      },
      targets: [new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({ action: 'check' }), retryAttempts: 2 })],
    });

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Checks the WhatsApp token every ${props.checkIntervalMinutes} minutes`,
      schedule: checkSchedule(props.checkIntervalMinutes),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.minutes(5) })],
    });
  }
}
