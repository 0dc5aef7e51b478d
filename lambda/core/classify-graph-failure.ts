// Maps Meta's error `code`/`error_subcode` (never the HTTP status alone) to what it means for a check.
// Classes follow the reference table (meta-graph-tokens.md §2). "Meta down" must never read as "token bad".

/** A Graph failure as the adapter saw it. `code` is absent when no Graph error object came back. */
export interface GraphFailure {
  /** unavailable: network error, timeout, 5xx or a body that is not Graph JSON. error: Graph answered with an error object. */
  readonly kind: 'unavailable' | 'error';
  readonly httpStatus?: number;
  readonly code?: number;
  readonly subcode?: number;
  readonly isTransient?: boolean;
  readonly type?: string;
  /** Meta's message, redacted of secrets by the adapter. */
  readonly message: string;
  readonly fbtraceId?: string;
}

/**
 * transient: retry, then report a failed check. token: the token used is dead. access: alive but lacks permission
 * or asset access. not-found: wrong or unreachable object id. config: the request or app setup is wrong.
 */
export type FailureClass = 'transient' | 'token' | 'access' | 'not-found' | 'config';

const TRANSIENT_CODES = new Set([1, 2, 4, 17, 32, 341, 613, 80007, 80008, 130429, 131000, 131016, 131056, 131057]);
const TOKEN_CODES = new Set([0, 102, 190, 452]);
const ACCESS_CODES = new Set([3, 10, 131005]);
const CONFIG_CODES = new Set([368, 2500, 131031, 131042]);

export function classifyGraphFailure(f: GraphFailure): FailureClass {
  if (f.kind === 'unavailable') return 'transient';
  if (f.isTransient === true) return 'transient';
  const code = f.code;
  if (code === undefined) return f.httpStatus !== undefined && f.httpStatus >= 500 ? 'transient' : 'config';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (TOKEN_CODES.has(code)) return 'token';
  if (ACCESS_CODES.has(code) || (code >= 200 && code <= 299)) return 'access';
  if ((code === 100 && f.subcode === 33) || code === 33) return 'not-found';
  if (code === 100 || CONFIG_CODES.has(code)) return 'config';
  // An unknown code: a 5xx is Meta's trouble; anything else is no verdict either way.
  return f.httpStatus !== undefined && f.httpStatus >= 500 ? 'transient' : 'config';
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
