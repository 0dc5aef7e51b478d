// Maps Meta's error `code`/`error_subcode` (never the HTTP status alone) to what it means for a check.
// Sources: Graph error handling https://developers.facebook.com/docs/graph-api/guides/error-handling ,
// rate limiting https://developers.facebook.com/docs/graph-api/overview/rate-limiting , WhatsApp error codes
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes .
// "Meta down" or "Meta throttling" must never read as "token bad".

/** A Graph failure as the adapter saw it. `code` is absent when no Graph error object came back. */
export interface GraphFailure {
  /**
   * unavailable: network error, timeout, a 5xx without a Graph error, or a 2xx body that is not JSON.
   * http: an HTTP error status (4xx, or 5xx with JSON) without a Graph `error` object.
   * error: Graph answered with an `error` object.
   */
  readonly kind: 'unavailable' | 'http' | 'error';
  readonly httpStatus?: number;
  readonly code?: number;
  readonly subcode?: number;
  readonly isTransient?: boolean;
  readonly type?: string;
  /** Meta's message, redacted of secrets by the adapter (then truncated). */
  readonly message: string;
  /** `error_user_title` / `error_user_msg`: Meta's text for a person, when it sends one. */
  readonly userTitle?: string;
  readonly userMessage?: string;
  /** `error_data.details` (WhatsApp endpoints): Meta says to handle errors on `code` plus `details`. */
  readonly details?: string;
  readonly fbtraceId?: string;
  /** The request was never sent: an earlier call of the same check was rate-limited (see GraphClient). */
  readonly notSent?: true;
}

/**
 * transient: retry within bounds, then report a failed check. rate-limited: Meta's quota is used up; no retry,
 * no further calls in this check, a failed check. token: the token used is dead. access: alive but lacks
 * permission or asset access. not-found: wrong or unreachable object id. app-secret: the app secret or app id
 * is wrong. config: the request or app setup is wrong.
 */
export type FailureClass = 'transient' | 'rate-limited' | 'token' | 'access' | 'not-found' | 'app-secret' | 'config';

/**
 * Throttling codes: 4 app, 17 user, 32 page, 341 app limit, 613 rate limit (Graph rate-limiting and error pages);
 * 80007 / 80008 WhatsApp Business Account / Business Management BUC limits; 130429 Cloud API throughput
 * (WhatsApp error-codes page). Meta: "When the limit has been reached, stop making API calls."
 */
export const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([4, 17, 32, 341, 613, 80007, 80008, 130429]);
const TRANSIENT_CODES = new Set([1, 2, 131000, 131016, 131057]);
const TOKEN_CODES = new Set([0, 102, 190, 452]);
const ACCESS_CODES = new Set([3, 10, 131005]);
const CONFIG_CODES = new Set([368, 2500, 131031, 131042]);

/** Meta's own wording for a failure on its side; seen with codes 1, 2, 101 and 190 (bk-rs/facebook-apis-rs, sns-sdks/python-facebook#271). */
export function isSystemError(code: number | undefined, message: string | undefined): boolean {
  return code === 1 || code === 2 || /system error|unexpected error|unknown error|temporarily unavailable/i.test(message ?? '');
}

/**
 * debug_token asked about a token issued for another app: Meta answers a top-level OAuthException
 * `(#100) The App_id in the input_token did not match the Viewing App` (firebase/quickstart-unity#1040).
 */
export function isForeignAppTokenError(f: GraphFailure): boolean {
  return f.kind === 'error' && f.code === 100 && /app_?id in the input_token did not match the viewing app/i.test(f.message);
}

export function classifyGraphFailure(f: GraphFailure): FailureClass {
  if (f.kind === 'unavailable') return 'transient';
  const code = f.code;
  if (code === undefined) {
    // No Graph error object: decide on the HTTP status. 429 is a throttle, 408/5xx Meta's or the path's
    // trouble; any other 4xx (a wrong graphApiBaseUrl answering 404, a proxy's 403) is our configuration.
    if (f.httpStatus === 429) return 'rate-limited';
    if (f.httpStatus === 408 || (f.httpStatus !== undefined && f.httpStatus >= 500)) return 'transient';
    return 'config';
  }
  if (RATE_LIMIT_CODES.has(code)) return 'rate-limited';
  // "Error validating client secret." is code 1 on the OAuth endpoints (facebookarchive/php-graph-sdk#538);
  // code 101 is "Error validating application. Invalid application ID." (diowa/icare#5) unless Meta says it
  // is its own system error (sns-sdks/python-facebook#271). Neither is transient.
  if (code === 1 && /client secret/i.test(f.message)) return 'app-secret';
  if (code === 101) return isSystemError(undefined, f.message) ? 'transient' : 'app-secret';
  if (f.isTransient === true || TRANSIENT_CODES.has(code)) return 'transient';
  if (TOKEN_CODES.has(code)) return 'token';
  if (ACCESS_CODES.has(code) || (code >= 200 && code <= 299)) return 'access';
  if ((code === 100 && f.subcode === 33) || code === 33) return 'not-found';
  if (code === 100 || CONFIG_CODES.has(code)) return 'config';
  // An unknown code: a 5xx is Meta's trouble; anything else is no verdict either way.
  return f.httpStatus !== undefined && f.httpStatus >= 500 ? 'transient' : 'config';
}

/** One line for reports and logs: Meta's code, message, details, text for people and trace id. */
export function describeFailure(f: GraphFailure): string {
  const head = f.code !== undefined ? `Meta code ${f.code}${f.subcode !== undefined ? `/${f.subcode}` : ''}` : f.httpStatus !== undefined ? `HTTP ${f.httpStatus}` : 'no answer';
  const extra = [
    f.details ? `details: ${f.details}` : undefined,
    // Not twice: a token endpoint's failure already carries it in its message (graph-client withUserText).
    f.userMessage && !f.message.includes(f.userMessage) ? `Meta says: ${f.userTitle ? `${f.userTitle}: ` : ''}${f.userMessage}` : undefined,
    f.fbtraceId ? `fbtrace_id ${f.fbtraceId}` : undefined,
  ].filter(Boolean);
  return `${head}: ${f.message}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

const SUBCODE_REASON: Record<number, string> = {
  458: 'the app is not installed for the user',
  459: 'the user is checkpointed (must log in to Facebook to resolve a security check)',
  460: "the owner's password changed or Meta reset the session for security",
  463: 'the token has expired',
  464: 'the user is not confirmed',
  466: 'the token was revoked (invalidated explicitly using an API call)',
  467: 'the token is invalid (logged out or invalidated)',
  492: 'the user has no role on the asset',
};

/** Plain-language reason for a dead token, from debug_token's `data.error` or a top-level OAuthException. */
export function describeTokenError(code: number | undefined, subcode: number | undefined, message: string | undefined): string {
  const tag = `code ${code ?? '?'}${subcode !== undefined ? `/${subcode}` : ''}`;
  if (subcode !== undefined && SUBCODE_REASON[subcode]) return `${SUBCODE_REASON[subcode]} (${tag})`;
  const m = (message ?? '').toLowerCase();
  if (m.includes('could not be decrypted')) return `the token could not be decrypted: it is not a token Meta issued, or it was truncated when copied (${tag})`;
  if (m.includes('cannot parse')) return `the token cannot be parsed: it was probably cut or altered when copied (${tag})`;
  if (m.includes('signature')) return `the token's signature is invalid: it was altered or belongs to another environment (${tag})`;
  if (m.includes('expired')) return `the token has expired (${tag})`;
  return `Meta reports the token as invalid (${tag})`;
}
