// Entry point: the fleet's SQS worker. The only file that knows the SQS record shape. Powertools Batch runs the
// record handler for each record of the batch and returns the failed ones as batchItemFailures, so SQS retries
// only those (the event source must have ReportBatchItemFailures on; the construct sets it).
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { checkFleetToken, FleetBatch } from '../app/check-fleet-token';
import { parseSweepMessage } from '../core/plan-sweep';
import { fleetWorkerDeps } from '../wiring-fleet';

/** Time kept back from the Lambda timeout so every record reports instead of the function being killed. */
const SAFETY_MARGIN_MS = 3_000;

export class SweepMessageError extends Error {
  constructor(reason: string) {
    super(`Unreadable sweep message: ${reason}. It goes to the dead-letter queue; the planner queues the token again next sweep.`);
    this.name = 'SweepMessageError';
  }
}

const processor = new BatchProcessor(EventType.SQS);

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const d = fleetWorkerDeps();
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  // One per invocation: the records of this batch share Meta's word to stop (app/check-fleet-token.ts FleetBatch).
  const batch = new FleetBatch();
  const checkOne = async (record: SQSRecord): Promise<string> => {
    const message = parseSweepMessage(record.body);
    if (!message.ok) throw new SweepMessageError(message.reason);
    try {
      return await checkFleetToken(d, message.value, { receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1, maxReceiveCount: d.sweep.maxReceiveCount }, deadline, batch);
    } catch (e) {
      // Name and code location only: an unexpected error's message could quote a secret (JSON.parse does).
      const err = e as Error;
      const known = err.name === 'CheckNotConcludedError' || err.name === 'SweepMessageRefusedError';
      const where = known ? undefined : (err.stack ?? '').split('\n').find((l) => l.trim().startsWith('at '))?.trim();
      d.logger.error(err.name === 'SweepMessageRefusedError' ? 'sweep message refused' : 'check not concluded', { token: message.value.token, error: err.name, ...(where ? { where } : { reason: err.message }) });
      throw new Error(`${message.value.token}: ${err.name}`);
    }
  };
  try {
    return await processPartialResponse(event, checkOne, processor, { context, throwOnFullBatchFailure: false });
  } finally {
    d.tally.flush(['TokensChecked', 'TokensUnhealthy', 'TokensExpiring', 'CheckFailures', 'RateLimited']);
  }
}
