// Loopback EventBridge that records PutEvents, speaking the awsJson1_1 wire protocol (POST /,
// x-amz-target: AWSEvents.PutEvents). It enforces the documented entry rules the guard could trip over
// (at most 10 entries per call; Source, DetailType and Detail required; Detail a JSON object; each entry at
// most 256 KB), https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html, and wraps
// each accepted entry in the envelope EventBridge delivers to rules
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
// Point the SDK at it with AWS_ENDPOINT_URL_EVENTBRIDGE.
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackJsonServer, readBody, sendAwsJsonError, sendJson } from './loopback-json-server';

export interface DeliveredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type RecorderFault =
  /** HTTP 200 with FailedEntryCount > 0, as PutEvents answers when entries fail. */
  | 'failed-entries'
  /** ThrottlingException (HTTP 400). */
  | 'throttled'
  /** HTTP 500 InternalException. */
  | 'internal';

const MAX_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;

export class EventBridgeRecorder extends LoopbackJsonServer {
  readonly events: DeliveredEvent[] = [];
  /** PutEvents calls received (accepted or not). */
  calls = 0;
  /** Raw request bodies, for canary scans. */
  readonly bodies: string[] = [];
  /** Faults to answer every call with while set. */
  fault?: RecorderFault;
  account = '111111111111';
  clock: () => Date = () => new Date();
  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    this.bodies.push(body);
    this.calls++;
    const headers = (): Record<string, string> => ({ 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    const send = (status: number, payload: unknown): void => sendJson(res, status, headers(), payload);
    const error = (type: string, message: string, status = 400): void => sendAwsJsonError(res, status, headers(), type, message);
    if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') return error('UnknownOperationException', `unsupported ${String(req.headers['x-amz-target'])}`);
    if (this.fault === 'throttled') return error('ThrottlingException', 'Rate exceeded');
    if (this.fault === 'internal') return error('InternalException', 'internal error', 500);
    const input = JSON.parse(body) as { Entries?: { Source?: string; DetailType?: string; Detail?: string; Resources?: string[]; Time?: number; EventBusName?: string }[] };
    const entries = input.Entries ?? [];
    if (entries.length < 1 || entries.length > MAX_ENTRIES) return error('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`);
    const results: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[] = [];
    for (const e of entries) {
      if (this.fault === 'failed-entries') {
        results.push({ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal Failure' });
        continue;
      }
      if (!e.Source || !e.DetailType || !e.Detail) {
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required' });
        continue;
      }
      let detail: unknown;
      try {
        detail = JSON.parse(e.Detail);
      } catch {
        detail = undefined;
      }
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
        continue;
      }
      if (Buffer.byteLength(JSON.stringify(e)) > MAX_ENTRY_BYTES) {
        results.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Entry exceeds 256 KB' });
        continue;
      }
      const id = randomUUID();
      this.events.push({ version: '0', id, 'detail-type': e.DetailType, source: e.Source, account: this.account, time: this.clock().toISOString().replace(/\.\d{3}Z$/, 'Z'), region: 'us-east-1', resources: e.Resources ?? [], detail: detail as Record<string, unknown> });
      results.push({ EventId: id });
    }
    send(200, { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results });
  }
}
