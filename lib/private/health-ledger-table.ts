// The health ledger: one DynamoDB table per stack (or per fleet), shared by its tokens. On-demand (a few
// writes per token per hour cost far less than any provisioned minimum), encrypted with the AWS managed
// key, point-in-time recovery on, history items removed by TTL. It holds statuses, problem ids, times and
// reasons, never a token or a secret.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EVENT_SOURCE, LedgerAttribute } from '../../lambda/contract';

export class HealthLedgerTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: LedgerAttribute.PartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LedgerAttribute.SortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: LedgerAttribute.ExpiresAt,
      // Derived data: the next check rebuilds a token's state; only the history is lost with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}

/**
 * Lets `grantee` read and write only the items whose partition key is `leadingKey` (one token,
 * `<scope>/<tokenName>`) or matches it as a pattern (`<fleet>/*` with `like`). `dynamodb:LeadingKeys`
 * with ForAllValues is the documented way to scope a role to its own partition keys
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
 */
export function grantLedgerItems(table: dynamodb.ITable, grantee: iam.IGrantable, leadingKey: string, like = false): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OwnLedgerItemsOnly',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resources: [table.tableArn],
      conditions: { [like ? 'ForAllValues:StringLike' : 'ForAllValues:StringEquals']: { 'dynamodb:LeadingKeys': [leadingKey] } },
    }),
  );
}

/**
 * What recording a check's outcome needs (lambda/app/record-outcome.ts): the ledger items of `leadingKey` (see
 * grantLedgerItems) and PutEvents on the default bus for the guard's own source only (`events:source`).
 */
export function grantHealthOutcomes(table: dynamodb.ITable, role: iam.Role, leadingKey: string, like = false): void {
  grantLedgerItems(table, role, leadingKey, like);
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'PutOwnEventsOnDefaultBus',
      actions: ['events:PutEvents'],
      resources: [Stack.of(role).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
      conditions: { StringEquals: { 'events:source': EVENT_SOURCE } },
    }),
  );
}
