// A real DynamoDB engine on loopback: dynalite (npm), in memory, started by the tests themselves and reached
// by the real SDK through AWS_ENDPOINT_URL_DYNAMODB. Conditional writes, ReturnValues, queries and the TTL
// attribute behave as the engine implements them; nothing here mocks table semantics. The table is created
// from the template's own AWS::DynamoDB::Table properties when a test has one.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { EventBridgeRecorder } from './eventbridge-recorder';
import { closeLoopback, listenOnLoopback } from './loopback-json-server';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: Record<string, unknown>) => import('node:http').Server;

export interface TableDefinition {
  readonly KeySchema: { AttributeName: string; KeyType: string }[];
  readonly AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
}

export class DynamoDbLocal {
  private server?: import('node:http').Server;
  endpoint = '';
  client!: DynamoDBClient;
  /** Requests served, by operation (X-Amz-Target `DynamoDB_20120810.<Op>`), for cost figures. */
  readonly calls: Record<string, number> = {};

  async start(): Promise<this> {
    this.server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    this.server.on('request', (req: import('node:http').IncomingMessage) => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      this.calls[op] = (this.calls[op] ?? 0) + 1;
    });
    this.endpoint = await listenOnLoopback(this.server);
    this.client = new DynamoDBClient({ endpoint: this.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    return this;
  }

  /** Creates a table (on-demand) with the template's key schema. */
  async createTable(name: string, def: TableDefinition): Promise<string> {
    await this.client.send(new CreateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST', KeySchema: def.KeySchema as never, AttributeDefinitions: def.AttributeDefinitions as never }));
    return name;
  }

  /** Every item of a table, plain JSON. */
  async items(table: string): Promise<Record<string, unknown>[]> {
    const out = await DynamoDBDocumentClient.from(this.client).send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    return out.Items ?? [];
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    const server = this.server;
    this.server = undefined;
    await closeLoopback(server);
  }
}

/** The table definition of the first AWS::DynamoDB::Table in a template. */
export function tableDefinitionOf(resources: Record<string, { Type: string; Properties: Record<string, unknown> }>): TableDefinition {
  const t = Object.values(resources).find((r) => r.Type === 'AWS::DynamoDB::Table');
  if (!t) throw new Error('no AWS::DynamoDB::Table in the template');
  return { KeySchema: t.Properties.KeySchema as TableDefinition['KeySchema'], AttributeDefinitions: t.Properties.AttributeDefinitions as TableDefinition['AttributeDefinitions'] };
}

/** The key schema the guard's table has (pk/sk strings), for tests without a template. */
export const GUARD_TABLE: TableDefinition = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
};

/** The health ledger's engine and table plus the bus recorder, as one loopback world part. */
export interface LedgerFakes {
  readonly ddb: DynamoDbLocal;
  readonly table: string;
  readonly bus: EventBridgeRecorder;
  stop(): Promise<void>;
}

export async function startLedgerFakes(def: TableDefinition = GUARD_TABLE): Promise<LedgerFakes> {
  const ddb = await new DynamoDbLocal().start();
  const table = await ddb.createTable('health-ledger', def);
  const bus = await new EventBridgeRecorder().start();
  return {
    ddb,
    table,
    bus,
    async stop() {
      await ddb.stop();
      await bus.stop();
    },
  };
}
