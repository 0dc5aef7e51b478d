// Which "approaching expiration" milestone is due, if any. Pure: the ledger remembers which milestones
// were announced for which token (by its expiry time), so each fires once, and a new token starts afresh.
// Like ACM's "Certificate Approaching Expiration" events, but at fixed days rather than daily.
import { EXPIRY_MILESTONE_DAYS } from '../contract';

export interface AnnouncedMilestones {
  /** Expiry (ISO) of the token the milestones below belong to. */
  readonly expiresAt?: string;
  readonly days: readonly number[];
}

export interface DueMilestone {
  readonly milestoneDays: number;
  /** What the ledger records once the event is out: every milestone at or above the due one counts as announced. */
  readonly announced: AnnouncedMilestones;
}

/**
 * The most urgent milestone the token has crossed and that was not yet announced for this token. A guard
 * that first sees a token at 6 days announces 7, never 30 and 14 after it. An expired token has no milestone
 * (its health change says it all); a token that does not expire has none.
 */
export function expiryMilestone(daysUntilExpiry: number | undefined, expiresAt: string | undefined, announced: AnnouncedMilestones | undefined): DueMilestone | undefined {
  if (daysUntilExpiry === undefined || !expiresAt || expiresAt === 'never' || !(daysUntilExpiry > 0)) return undefined;
  const crossed = EXPIRY_MILESTONE_DAYS.filter((m) => daysUntilExpiry <= m);
  if (crossed.length === 0) return undefined;
  const due = Math.min(...crossed);
  const already = announced?.expiresAt === expiresAt ? announced.days : [];
  if (already.includes(due)) return undefined;
  const days = [...new Set([...already, ...crossed])].sort((a, b) => b - a);
  return { milestoneDays: due, announced: { expiresAt, days } };
}
