// Which of the three callers invoked the function: Secrets Manager (a rotation step), the EventBridge
// schedule, or an operator (`{"action":"check"}`). Anything else is refused with a message that says why.
import { CheckEvent, ROTATION_STEPS, RotationEvent } from '../contract';

export type RecognisedEvent =
  | { readonly kind: 'rotation'; readonly event: RotationEvent }
  | { readonly kind: 'scheduled' }
  | { readonly kind: 'check'; readonly event: CheckEvent }
  | { readonly kind: 'unknown'; readonly reason: string };

const STAGE = /^[A-Za-z0-9_-]{1,256}$/;
/** Secrets Manager version ids (ClientRequestToken): 32-64 characters. */
const VERSION_ID = /^[A-Za-z0-9_-]{32,64}$/;

export function recogniseEvent(event: unknown): RecognisedEvent {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return { kind: 'unknown', reason: `expected a JSON object, got ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}` };
  }
  const e = event as Record<string, unknown>;
  if ('Step' in e || 'ClientRequestToken' in e) {
    if (typeof e.Step !== 'string' || !(ROTATION_STEPS as readonly string[]).includes(e.Step)) {
      return { kind: 'unknown', reason: `invalid rotation Step ${JSON.stringify(String(e.Step)).slice(0, 40)}; expected one of ${ROTATION_STEPS.join(', ')}` };
    }
    if (typeof e.SecretId !== 'string' || !e.SecretId || typeof e.ClientRequestToken !== 'string' || !e.ClientRequestToken) {
      return { kind: 'unknown', reason: 'a rotation event needs string SecretId and ClientRequestToken fields' };
    }
    return { kind: 'rotation', event: e as unknown as RotationEvent };
  }
  if (e.source === 'aws.events' || e['detail-type'] === 'Scheduled Event') return { kind: 'scheduled' };
  if ('action' in e) {
    if (e.action !== 'check') return { kind: 'unknown', reason: `unknown action ${JSON.stringify(String(e.action)).slice(0, 40)}; the only action is "check"` };
    if (e.versionStage !== undefined && (typeof e.versionStage !== 'string' || !STAGE.test(e.versionStage))) {
      return { kind: 'unknown', reason: 'versionStage must be a staging label such as AWSCURRENT or TOKENGUARD_CANDIDATE' };
    }
    if (e.versionId !== undefined && (typeof e.versionId !== 'string' || !VERSION_ID.test(e.versionId))) {
      return { kind: 'unknown', reason: 'versionId must be a secret version id (32-64 letters, digits, "-" or "_")' };
    }
    // A value to validate before it is stored; judged by the same parser as a stored one.
    if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length === 0 || e.value.length > 8192)) {
      return { kind: 'unknown', reason: 'value must be a non-empty string (the token to validate)' };
    }
    if ([e.versionStage, e.versionId, e.value].filter((x) => x !== undefined).length > 1) {
      return { kind: 'unknown', reason: 'give at most one of versionStage, versionId and value' };
    }
    return {
      kind: 'check',
      event: {
        action: 'check',
        ...(e.versionStage ? { versionStage: e.versionStage as string } : {}),
        ...(e.versionId ? { versionId: e.versionId as string } : {}),
        ...(e.value ? { value: e.value as string } : {}),
      },
    };
  }
  return { kind: 'unknown', reason: 'not a rotation step, a scheduled event or {"action":"check"}' };
}
