// Reads Meta's usage headers, sent with Graph answers (https://developers.facebook.com/docs/graph-api/overview/rate-limiting):
//   X-App-Usage: {"call_count":28,"total_time":25,"total_cputime":25}            (percent of the app's quota)
//   X-Business-Use-Case-Usage: {"<business-object-id>":[{"type":"...","call_count":100,"total_cputime":25,
//     "total_time":25,"estimated_time_to_regain_access":19}]}                    (percent per business object; minutes)
// Meta: "When the limit has been reached, stop making API calls"; calls made meanwhile extend the block. Which
// header comes with which WhatsApp endpoint, and the BUC `type` for WhatsApp, are not documented: both headers
// are read on every answer and any type is accepted.

import { GraphUsageSummary } from '../contract';

/** At or above this usage (percent), optional calls are skipped to leave the quota to the business's own app. */
export const USAGE_SKIP_PERCENT = 80;

export type UsageReading = GraphUsageSummary;

const PERCENT_FIELDS = ['call_count', 'total_cputime', 'total_time'] as const;

function parseObject(raw: string | null | undefined): Record<string, unknown> | undefined {
  if (!raw) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined);

function highest(entry: Record<string, unknown>): number | undefined {
  const values = PERCENT_FIELDS.map((f) => num(entry[f])).filter((v): v is number => v !== undefined);
  return values.length ? Math.max(...values) : undefined;
}

/** Every usage reading in one answer's headers. Unreadable headers are ignored (they never fail a check). */
export function readUsageHeaders(get: (name: string) => string | null | undefined): UsageReading[] {
  const out: UsageReading[] = [];
  const app = parseObject(get('x-app-usage'));
  const appPercent = app && highest(app);
  if (appPercent !== undefined) out.push({ percent: appPercent, header: 'X-App-Usage' });
  const buc = parseObject(get('x-business-use-case-usage'));
  for (const [objectId, entries] of Object.entries(buc ?? {})) {
    for (const e of Array.isArray(entries) ? entries : []) {
      if (e === null || typeof e !== 'object') continue;
      const rec = e as Record<string, unknown>;
      const percent = highest(rec);
      const regain = num(rec.estimated_time_to_regain_access);
      if (percent === undefined && regain === undefined) continue;
      out.push({
        percent: percent ?? 0,
        header: 'X-Business-Use-Case-Usage',
        objectId,
        ...(typeof rec.type === 'string' ? { type: rec.type } : {}),
        ...(regain !== undefined ? { regainAccessMinutes: regain } : {}),
      });
    }
  }
  return out;
}

/** A reading is at its limit when Meta says access returns only later, whatever the percentages say. */
export const effectivePercent = (r: UsageReading): number => (r.regainAccessMinutes && r.regainAccessMinutes > 0 ? Math.max(100, r.percent) : r.percent);
const weight = effectivePercent;

/** The most constraining reading: the highest usage (a pending block counts as 100%), the longest wait on a tie. */
export function mostConstraining(readings: readonly UsageReading[]): UsageReading | undefined {
  let best: UsageReading | undefined;
  for (const r of readings) {
    if (!best || weight(r) > weight(best) || (weight(r) === weight(best) && (r.regainAccessMinutes ?? 0) > (best.regainAccessMinutes ?? 0))) best = r;
  }
  return best;
}

/** Whether optional calls should be skipped: usage at or above the threshold, or a block still pending. */
export function shouldSkipOptionalCalls(reading: UsageReading | undefined): boolean {
  return reading !== undefined && weight(reading) >= USAGE_SKIP_PERCENT;
}

/** One line for reports: "X-Business-Use-Case-Usage 102290129340398 (whatsapp_business_management) at 95%, access back in about 19 min". */
export function describeUsage(r: UsageReading): string {
  const where = r.objectId ? ` ${r.objectId}${r.type ? ` (${r.type})` : ''}` : '';
  const wait = r.regainAccessMinutes && r.regainAccessMinutes > 0 ? `, Meta estimates access returns in about ${r.regainAccessMinutes} min` : '';
  return `${r.header}${where} at ${r.percent}%${wait}`;
}
