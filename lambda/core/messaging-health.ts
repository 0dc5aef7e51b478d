// Reads a node's `health_status` and derives whether the number can SEND from its entities, not from the
// overall value. Source: "Messaging and Calling Health Status",
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/health-status :
// - WABA, BUSINESS and APP entities are always included (PHONE_NUMBER when the node is a number);
// - each entity has can_send_message (AVAILABLE, LIMITED, BLOCKED) and may have can_receive_call_sip;
// - a BLOCKED property comes with `errors[]` {error_code, error_description, possible_solution}, a LIMITED one
//   with `additional_info[]` strings;
// - the overall can_send_message is BLOCKED if ANY node is blocked, and Meta's own "blocked response for receiving
//   calls over SIP" example has overall BLOCKED while every entity's can_send_message is AVAILABLE. So "cannot send"
//   is derived from the entities' can_send_message; the overall value is used only when no entity carries one
//   (not documented to happen; designed for either answer).

export interface HealthError {
  readonly code?: number;
  readonly description?: string;
  readonly possibleSolution?: string;
}

export interface HealthEntity {
  readonly type: string;
  readonly id?: string;
  readonly canSendMessage?: string;
  readonly canReceiveCallSip?: string;
  readonly errors: readonly HealthError[];
  readonly additionalInfo: readonly string[];
}

export interface HealthStatus {
  /** health_status.can_send_message as Meta sent it. */
  readonly overall?: string;
  readonly entities: readonly HealthEntity[];
}

export interface MessagingHealth {
  /** AVAILABLE | LIMITED | BLOCKED derived from the entities, or the overall value when no entity says. */
  readonly canSendMessage?: string;
  /** One line per entity whose can_send_message is not AVAILABLE, with Meta's errors, solutions and info. */
  readonly messaging: readonly string[];
  /** One line per entity whose calling (can_receive_call_sip) is not AVAILABLE: informational, never an alarm. */
  readonly calling: readonly string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const MAX_TEXT = 300;
const cut = (s: string): string => (s.length <= MAX_TEXT ? s : `${s.slice(0, MAX_TEXT - 3)}...`);

/** Validates the untyped `health_status` object. Unknown shapes give an empty entity list, never a throw. */
export function readHealthStatus(raw: unknown): HealthStatus | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const h = raw as Record<string, unknown>;
  const entities = (Array.isArray(h.entities) ? h.entities : []).flatMap((e): HealthEntity[] => {
    if (e === null || typeof e !== 'object') return [];
    const r = e as Record<string, unknown>;
    const errors = (Array.isArray(r.errors) ? r.errors : []).flatMap((x): HealthError[] => {
      if (x === null || typeof x !== 'object') return [];
      const o = x as Record<string, unknown>;
      return [{ code: typeof o.error_code === 'number' ? o.error_code : undefined, description: str(o.error_description), possibleSolution: str(o.possible_solution) }];
    });
    const additionalInfo = (Array.isArray(r.additional_info) ? r.additional_info : []).filter((s): s is string => typeof s === 'string');
    return [{ type: str(r.entity_type) ?? 'ENTITY', id: str(r.id), canSendMessage: str(r.can_send_message), canReceiveCallSip: str(r.can_receive_call_sip), errors, additionalInfo }];
  });
  return { overall: str(h.can_send_message), entities };
}

function explain(e: HealthEntity): string {
  const parts = [
    ...e.errors.map((x) => `error ${x.code ?? '?'}${x.description ? ` ${x.description}` : ''}${x.possibleSolution ? `; possible solution: ${x.possibleSolution}` : ''}`),
    ...e.additionalInfo,
  ];
  return parts.length ? `: ${parts.join(' | ')}` : '';
}

const RANK: Record<string, number> = { AVAILABLE: 0, LIMITED: 1, BLOCKED: 2 };

export function assessMessagingHealth(h: HealthStatus): MessagingHealth {
  const judged = h.entities.filter((e) => e.canSendMessage !== undefined);
  let canSendMessage = h.overall;
  if (judged.length) {
    // The worst entity decides; an unknown value ranks as LIMITED (something Meta did not call AVAILABLE).
    const worst = judged.reduce((w, e) => Math.max(w, RANK[e.canSendMessage!] ?? 1), 0);
    canSendMessage = worst === 2 ? 'BLOCKED' : worst === 1 ? 'LIMITED' : 'AVAILABLE';
  }
  const messaging = judged.filter((e) => e.canSendMessage !== 'AVAILABLE').map((e) => cut(`${e.type}${e.id ? ` ${e.id}` : ''}: can_send_message ${e.canSendMessage}${explain(e)}`));
  if (!judged.length && canSendMessage && canSendMessage !== 'AVAILABLE') messaging.push(`health_status: can_send_message ${canSendMessage} (Meta named no entity)`);
  const calling = h.entities
    .filter((e) => e.canReceiveCallSip !== undefined && e.canReceiveCallSip !== 'AVAILABLE')
    .map((e) => cut(`${e.type}${e.id ? ` ${e.id}` : ''}: can_receive_call_sip ${e.canReceiveCallSip} (calling only)${e.canSendMessage === 'AVAILABLE' ? explain(e) : ''}`));
  return { canSendMessage, messaging, calling };
}
