// The health ledger in DynamoDB: per token one state item (current status, problem ids, expiry, last check,
// last announcement, last rotation) and history items that expire by TTL. It maps; it never decides.
// Keys: pk = `<scope>/<tokenName>` so IAM can scope a role to one token (dynamodb:LeadingKeys) or a fleet
// (`<fleet>/*`); sk = `STATE` or `H#<time>#<kind>`. Failures come back as values: the caller logs and
// counts them, and the next check catches up. No token or secret is ever written here.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { HealthStatus, LEDGER_HISTORY_DAYS, LedgerAttribute, ProblemId } from '../contract';
import { NotifiedHealth } from '../core/diff-health';

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export const STATE_SK = 'STATE';
const HISTORY_PREFIX = 'H#';
const DAY_S = 86_400;

/** What one check tells the ledger. */
export interface CheckObservation {
  readonly tokenName: string;
  readonly status: HealthStatus;
  readonly problemIds: readonly ProblemId[];
  readonly checkedAt: string;
  readonly expiresAt?: string;
}

/** The state item as stored. */
export interface LedgerState {
  readonly tokenName: string;
  readonly status?: HealthStatus;
  readonly problemIds?: readonly ProblemId[];
  readonly expiresAt?: string;
  readonly lastCheckAt?: string;
  /** Checks without a verdict in a row, the latest included. */
  readonly failedInARow?: number;
  readonly notified?: NotifiedHealth;
  readonly lastRotationAt?: string;
  readonly lastRotationOutcome?: 'rotated' | 'failed';
  readonly lastRotationReason?: string;
  /** The version (ClientRequestToken) of the last rotation recorded, so a reader can tell whose reason it is. */
  readonly lastRotationVersionId?: string;
}

/** One line of history: a change the ledger announced, or a rotation. */
export interface HistoryEntry {
  readonly at: string;
  readonly kind: 'health' | 'rotation';
  readonly from?: string;
  readonly to: string;
  /** Titles and details of the problems (or the rotation's reason); never a secret. */
  readonly cause: string;
  readonly problemIds?: readonly ProblemId[];
}

export type MarkResult = 'marked' | 'already-marked';

const errorText = (e: unknown): string => {
  const err = e as Error & { $metadata?: { httpStatusCode?: number } };
  return `${err.name ?? 'Error'}${err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : ''}`;
};

export class HealthLedger {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } }),
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Records a check on the state item and returns the item as it was before (undefined for the first
   * check). One UpdateItem: the old image comes back with the write, so no separate read is billed.
   */
  async saveCheck(key: string, o: CheckObservation): Promise<Outcome<LedgerState | undefined>> {
    const failed = o.status === 'check-failed';
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [LedgerAttribute.PartitionKey]: key, [LedgerAttribute.SortKey]: STATE_SK },
          UpdateExpression: `SET tokenName = :name, #status = :status, problemIds = :ids, lastCheckAt = :at, failedInARow = ${failed ? 'if_not_exists(failedInARow, :zero) + :one' : ':zero'}${o.expiresAt ? ', expiresAt = :exp' : ''}${o.expiresAt ? '' : ' REMOVE expiresAt'}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':name': o.tokenName, ':status': o.status, ':ids': [...o.problemIds], ':at': o.checkedAt, ':zero': 0, ...(failed ? { ':one': 1 } : {}), ...(o.expiresAt ? { ':exp': o.expiresAt } : {}) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { ok: true, value: out.Attributes as LedgerState | undefined };
    } catch (e) {
      return { ok: false, error: `saveCheck: ${errorText(e)}` };
    }
  }

  /**
   * Records an announcement, unless another check already recorded one since `expectedSeq` was read.
   * The put succeeds when:
   *  - nothingNotifiedYet: the item has no `notified` (the first announcement), or
   *  - stillTheStateWeRead: `notified.seq` is the one this check diffed against.
   * Otherwise DynamoDB answers ConditionalCheckFailedException, mapped to 'already-marked': a concurrent
   * check announced first and its event is out; this one's event was a duplicate consumers may see.
   */
  async markNotified(key: string, next: NotifiedHealth, expectedSeq: number | undefined, history: readonly HistoryEntry[]): Promise<Outcome<MarkResult>> {
    const nothingNotifiedYet = 'attribute_not_exists(notified)';
    const stillTheStateWeRead = 'notified.seq = :expected';
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [LedgerAttribute.PartitionKey]: key, [LedgerAttribute.SortKey]: STATE_SK },
          UpdateExpression: 'SET notified = :next',
          ConditionExpression: expectedSeq === undefined ? nothingNotifiedYet : stillTheStateWeRead,
          ExpressionAttributeValues: { ':next': next, ...(expectedSeq === undefined ? {} : { ':expected': expectedSeq }) },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return { ok: true, value: 'already-marked' };
      return { ok: false, error: `markNotified: ${errorText(e)}` };
    }
    for (const h of history) {
      const r = await this.addHistory(key, h);
      if (!r.ok) return r;
    }
    return { ok: true, value: 'marked' };
  }

  /** Records a rotation's outcome on the state item and in the history. */
  async saveRotation(key: string, tokenName: string, r: { at: string; outcome: 'rotated' | 'failed'; reason: string; versionId?: string }): Promise<Outcome<void>> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [LedgerAttribute.PartitionKey]: key, [LedgerAttribute.SortKey]: STATE_SK },
          UpdateExpression: 'SET tokenName = :name, lastRotationAt = :at, lastRotationOutcome = :outcome, lastRotationReason = :reason, lastRotationVersionId = :version',
          ExpressionAttributeValues: { ':name': tokenName, ':at': r.at, ':outcome': r.outcome, ':reason': r.reason, ':version': r.versionId ?? '' },
        }),
      );
    } catch (e) {
      return { ok: false, error: `saveRotation: ${errorText(e)}` };
    }
    return this.addHistory(key, { at: r.at, kind: 'rotation', to: r.outcome, cause: r.reason });
  }

  async read(key: string): Promise<Outcome<LedgerState | undefined>> {
    try {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [LedgerAttribute.PartitionKey]: key, [LedgerAttribute.SortKey]: STATE_SK }, ConsistentRead: true }));
      return { ok: true, value: out.Item as LedgerState | undefined };
    } catch (e) {
      return { ok: false, error: `read: ${errorText(e)}` };
    }
  }

  /** The newest history entries first. */
  async history(key: string, limit: number): Promise<Outcome<HistoryEntry[]>> {
    try {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': LedgerAttribute.PartitionKey, '#sk': LedgerAttribute.SortKey },
          ExpressionAttributeValues: { ':pk': key, ':prefix': HISTORY_PREFIX },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return { ok: true, value: (out.Items ?? []).map(({ at, kind, from, to, cause, problemIds }) => ({ at, kind, from, to, cause, ...(problemIds ? { problemIds } : {}) }) as HistoryEntry) };
    } catch (e) {
      return { ok: false, error: `history: ${errorText(e)}` };
    }
  }

  private async addHistory(key: string, h: HistoryEntry): Promise<Outcome<void>> {
    const expires = Math.floor(Date.parse(h.at) / 1000) + LEDGER_HISTORY_DAYS * DAY_S;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [LedgerAttribute.PartitionKey]: key, [LedgerAttribute.SortKey]: `${HISTORY_PREFIX}${h.at}#${h.kind}`, ...h, [LedgerAttribute.ExpiresAt]: expires },
        }),
      );
      return { ok: true, value: undefined };
    } catch (e) {
      return { ok: false, error: `history: ${errorText(e)}` };
    }
  }
}
