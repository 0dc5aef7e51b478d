// Thin adapter over the fleet's SQS queue: SendMessageBatch in chunks of ten (the API's maximum), each entry with
// its own DelaySeconds (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
// SendMessageBatch answers HTTP 200 even when entries fail; those come back as values, or a lost check looks queued.
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SweepMessage } from '../contract';

export interface QueuedCheck {
  readonly message: SweepMessage;
  readonly delaySeconds: number;
}

export interface SendResult {
  readonly sent: number;
  /** Tokens whose message SQS refused, with its code; they miss this sweep and are planned again next interval. */
  readonly failed: readonly { readonly token: string; readonly code: string }[];
}

const BATCH = 10;
/** Batches in flight at once: enough to queue 2,500 checks in a few seconds without a burst of thousands of requests. */
const PARALLEL_BATCHES = 8;

export class SweepQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {}

  async send(checks: readonly QueuedCheck[]): Promise<SendResult> {
    const batches: QueuedCheck[][] = [];
    for (let i = 0; i < checks.length; i += BATCH) batches.push(checks.slice(i, i + BATCH));
    let sent = 0;
    const failed: { token: string; code: string }[] = [];
    for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) {
      await Promise.all(
        batches.slice(i, i + PARALLEL_BATCHES).map(async (batch) => {
          try {
            const out = await this.client.send(
              new SendMessageBatchCommand({
                QueueUrl: this.queueUrl,
                Entries: batch.map((c, j) => ({ Id: String(j), MessageBody: JSON.stringify(c.message), DelaySeconds: c.delaySeconds })),
              }),
            );
            sent += out.Successful?.length ?? 0;
            for (const f of out.Failed ?? []) failed.push({ token: batch[Number(f.Id)]?.message.token ?? '?', code: f.Code ?? 'Unknown' });
          } catch (e) {
            for (const c of batch) failed.push({ token: c.message.token, code: (e as Error).name });
          }
        }),
      );
    }
    return { sent, failed };
  }

  /** Puts one check back for later (Meta asked the fleet to slow down); the queue's delay is the back-off, not a sleep of ours. */
  async defer(message: SweepMessage, delaySeconds: number): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds }));
  }
}
