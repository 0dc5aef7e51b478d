// Loopback Amazon SQS standard queues speaking the JSON protocol the SDK v3 uses (POST /, x-amz-target: AmazonSQS.<Op>,
// application/x-amz-json-1.0), plus the parts of the Lambda event source mapping the fleet relies on, driven by the test
// on a controllable clock. Service rules enforced, with their pages:
// - SendMessageBatch: 1-10 entries, unique Ids, per-entry DelaySeconds 0-900, per-entry failures in `Failed` with HTTP 200
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html)
// - a delayed message is invisible until its delay passes; a received one until its visibility timeout passes
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html)
// - a message received more than maxReceiveCount times moves to the dead-letter queue
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html)
// - Lambda delivers records in the shape of https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html ("Example standard
//   queue message event") and, with ReportBatchItemFailures, deletes every record not listed in batchItemFailures
//   (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
import { createHash, randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LoopbackJsonServer, parseJsonBody, readBody, sendAwsJsonError, sendJson } from './loopback-json-server';

export interface FakeMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  readonly delaySeconds: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  receiptHandle?: string;
}

export interface FakeQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  readonly redrive?: { readonly dlq: FakeQueue; readonly maxReceiveCount: number };
  readonly messages: FakeMessage[];
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

export class SqsFake extends LoopbackJsonServer {
  readonly queues = new Map<string, FakeQueue>();
  readonly calls: { op: string; input: Record<string, unknown> }[] = [];
  /** Seconds since the epoch; tests move it forward to let delays and visibility timeouts pass. */
  now = 1_800_000_000;
  createQueue(name: string, opts: { visibilityTimeoutSeconds?: number; deadLetter?: FakeQueue; maxReceiveCount?: number } = {}): FakeQueue {
    const q: FakeQueue = {
      name,
      url: `${this.endpoint}/111111111111/${name}`,
      arn: `arn:aws:sqs:us-east-1:111111111111:${name}`,
      visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds ?? 30,
      redrive: opts.deadLetter ? { dlq: opts.deadLetter, maxReceiveCount: opts.maxReceiveCount ?? 5 } : undefined,
      messages: [],
    };
    this.queues.set(q.url, q);
    return q;
  }

  private queue(url: unknown): FakeQueue {
    const q = this.queues.get(String(url));
    if (!q) throw new ServiceError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    return q;
  }

  private enqueue(q: FakeQueue, body: string, delaySeconds: number): FakeMessage {
    const m: FakeMessage = { messageId: randomUUID(), body, sentAt: this.now, delaySeconds, visibleAt: this.now + delaySeconds, receiveCount: 0 };
    q.messages.push(m);
    return m;
  }

  private op(op: string, input: Record<string, unknown>): unknown {
    switch (op) {
      case 'SendMessage': {
        const q = this.queue(input.QueueUrl);
        const delay = Number(input.DelaySeconds ?? 0);
        if (!Number.isInteger(delay) || delay < 0 || delay > 900) throw new ServiceError('InvalidParameterValue', 'Value for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.');
        const m = this.enqueue(q, String(input.MessageBody ?? ''), delay);
        return { MessageId: m.messageId, MD5OfMessageBody: md5(m.body) };
      }
      case 'SendMessageBatch': {
        const q = this.queue(input.QueueUrl);
        const entries = (input.Entries as { Id: string; MessageBody: string; DelaySeconds?: number }[] | undefined) ?? [];
        if (entries.length === 0) throw new ServiceError('AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
        if (entries.length > 10) throw new ServiceError('AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10.');
        if (new Set(entries.map((e) => e.Id)).size !== entries.length) throw new ServiceError('AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const e of entries) {
          const delay = e.DelaySeconds ?? 0;
          if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
            Failed.push({ Id: e.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: 'DelaySeconds must be between 0 and 900.' });
            continue;
          }
          const m = this.enqueue(q, e.MessageBody, delay);
          Successful.push({ Id: e.Id, MessageId: m.messageId, MD5OfMessageBody: md5(m.body) });
        }
        return { Successful, Failed };
      }
      case 'GetQueueAttributes': {
        const q = this.queue(input.QueueUrl);
        return { Attributes: { ApproximateNumberOfMessages: String(q.messages.length) } };
      }
      default:
        throw new ServiceError('UnsupportedOperation', `Operation ${op} is not supported by this fake.`);
    }
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.replace(/^AmazonSQS\./, '');
    try {
      const input = parseJsonBody(body);
      this.calls.push({ op, input });
      if (!target.startsWith('AmazonSQS.')) throw new ServiceError('UnknownOperationException', 'Missing x-amz-target');
      const out = this.op(op, input);
      sendJson(res, 200, { 'content-type': 'application/x-amz-json-1.0' }, out);
    } catch (e) {
      const err = e instanceof ServiceError ? e : new ServiceError('InternalError', (e as Error).message);
      sendAwsJsonError(res, 400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${err.type};Sender` }, `com.amazonaws.sqs#${err.type}`, err.message);
    }
  }

  // ---- The Lambda event source mapping, driven by the test ----

  /** Up to `max` visible messages, received: receive count up, hidden for the visibility timeout; over-received ones go to the DLQ. */
  receive(q: FakeQueue, max = 10): FakeMessage[] {
    const out: FakeMessage[] = [];
    for (const m of [...q.messages]) {
      if (out.length >= max) break;
      if (m.visibleAt > this.now) continue;
      if (q.redrive && m.receiveCount >= q.redrive.maxReceiveCount) {
        q.messages.splice(q.messages.indexOf(m), 1);
        q.redrive.dlq.messages.push({ ...m, visibleAt: this.now });
        continue;
      }
      m.receiveCount++;
      m.firstReceiveAt ??= this.now;
      m.receiptHandle = randomUUID();
      m.visibleAt = this.now + q.visibilityTimeoutSeconds;
      out.push(m);
    }
    return out;
  }

  /** A record as Lambda delivers it. */
  record(q: FakeQueue, m: FakeMessage): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle ?? '',
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt * 1000),
        SenderId: 'AROAEXAMPLE:fleet-planner',
        ApproximateFirstReceiveTimestamp: String((m.firstReceiveAt ?? this.now) * 1000),
      },
      messageAttributes: {},
      md5OfBody: md5(m.body),
      eventSource: 'aws:sqs',
      eventSourceARN: q.arn,
      awsRegion: 'us-east-1',
    };
  }

  /** Deletes what the function did not report as failed (ReportBatchItemFailures); a thrown invocation deletes nothing. */
  settle(q: FakeQueue, batch: readonly FakeMessage[], response: SQSBatchResponse | undefined | 'threw'): void {
    if (response === 'threw') return;
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    for (const m of batch) if (!failed.has(m.messageId)) q.messages.splice(q.messages.indexOf(m), 1);
  }

  /** Runs the queue dry: delivers batches to `invoke` (up to `concurrency` at once), moving the clock to the next visible message. */
  async drain(q: FakeQueue, invoke: (event: SQSEvent) => Promise<SQSBatchResponse>, opts: { batchSize?: number; concurrency?: number; maxRounds?: number; stepSeconds?: number } = {}): Promise<{ invocations: number }> {
    let invocations = 0;
    for (let round = 0; round < (opts.maxRounds ?? 500); round++) {
      if (q.messages.length === 0) break;
      const batches: FakeMessage[][] = [];
      for (let i = 0; i < (opts.concurrency ?? 5); i++) {
        const b = this.receive(q, opts.batchSize ?? 10);
        if (b.length) batches.push(b);
      }
      if (batches.length === 0) {
        if (q.messages.length === 0) break;
        // Lambda polls all the time; a test steps the clock so that messages arriving close together share a batch.
        this.now = Math.max(Math.min(...q.messages.map((m) => m.visibleAt)), this.now + (opts.stepSeconds ?? 0));
        continue;
      }
      await Promise.all(
        batches.map(async (b) => {
          invocations++;
          let response: SQSBatchResponse | 'threw';
          try {
            response = await invoke({ Records: b.map((m) => this.record(q, m)) });
          } catch {
            response = 'threw';
          }
          this.settle(q, b, response);
        }),
      );
    }
    return { invocations };
  }
}
