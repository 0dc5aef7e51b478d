// Puts the guard's events on the account's default EventBridge bus. PutEvents answers HTTP 200 even when
// entries fail (FailedEntryCount, per-entry ErrorCode), so that is turned into a failure value here:
// otherwise a lost event would look sent, and the ledger would record an announcement nobody received.
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from '../contract';
import { GuardEvent } from '../core/event-details';
import { Outcome } from './health-ledger';

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;

export class HealthEvents {
  constructor(
    /** ARNs the events name in `resources` (the token secret), so rules can match on them. */
    private readonly resources: readonly string[],
    private readonly client: EventBridgeClient = new EventBridgeClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } }),
  ) {}

  async put(events: readonly GuardEvent[]): Promise<Outcome<void>> {
    if (events.length === 0) return { ok: true, value: undefined };
    if (events.length > MAX_ENTRIES) return { ok: false, error: `PutEvents: ${events.length} entries, at most ${MAX_ENTRIES}` };
    try {
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: events.map((e) => ({ Source: EVENT_SOURCE, DetailType: e.detailType, Detail: JSON.stringify(e.detail), Resources: [...this.resources] })),
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = [...new Set((out.Entries ?? []).map((x) => x.ErrorCode).filter(Boolean))].join(', ');
        return { ok: false, error: `PutEvents: ${out.FailedEntryCount} of ${events.length} entries failed (${codes || 'no error code'})` };
      }
      return { ok: true, value: undefined };
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } };
      return { ok: false, error: `PutEvents: ${err.name}${err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : ''}` };
    }
  }
}
