// Judges a stored or pasted secret value. Shared by the Lambda and the operator CLI, so that
// `set-token` refuses exactly what the checker would refuse. Messages describe the value's shape
// (length, keys, quotes, spaces), never the value itself.
import { APP_SECRET_FIELD, TOKEN_SECRET_FIELD } from '../contract';

export type ParseResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

/** Tokens are opaque (Meta documents no format or length: https://developers.facebook.com/documentation/business-messaging/whatsapp/access-tokens): check only emptiness, quotes, whitespace and control characters. */
export function checkBareValue(value: string, what: string): string | undefined {
  if (value.length === 0) return `The ${what} is empty.`;
  if (/^["'`].*["'`]$/s.test(value)) return `The ${what} is wrapped in quotes (${value.length} characters); store it without them.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return `The ${what} contains control characters (line breaks or tabs inside it); copy it again as one line.`;
  if (/\s/.test(value)) return `The ${what} contains spaces inside it (${value.length} characters); a token or secret has none, so this is probably more than one value pasted together.`;
  if (value.length > 4096) return `The ${what} is ${value.length} characters long, far longer than any Meta token or secret; check what was pasted.`;
  return undefined;
}

function parseSecretString(raw: string | undefined, field: string, what: string): ParseResult {
  if (raw === undefined) return { ok: false, reason: `The ${what} secret has no value.` };
  const trimmed = raw.trim(); // copy-paste whitespace around the value is harmless: drop it
  if (trimmed.startsWith('[')) {
    return { ok: false, reason: `The ${what} secret is a JSON array (${trimmed.length} characters). Store {"${field}":"<value>"}.` };
  }
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { ok: false, reason: `The ${what} secret starts with "{" but is not valid JSON (${trimmed.length} characters). Store {"${field}":"<value>"}.` };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { ok: false, reason: `The ${what} secret is not a JSON object. Store {"${field}":"<value>"}.` };
    }
    const obj = parsed as Record<string, unknown>;
    if (!(field in obj)) {
      const keys = Object.keys(obj).slice(0, 10).map((k) => k.slice(0, 40));
      return { ok: false, reason: `The ${what} secret is JSON without a "${field}" field (found keys: ${keys.join(', ') || 'none'}). Store {"${field}":"<value>"}.` };
    }
    const value = obj[field];
    if (typeof value !== 'string') {
      return { ok: false, reason: `The "${field}" field of the ${what} secret is ${value === null ? 'null' : typeof value}, not a string. Store {"${field}":"<value>"}.` };
    }
    const inner = value.trim();
    const problem = checkBareValue(inner, what);
    return problem ? { ok: false, reason: `${problem} (in the "${field}" field)` } : { ok: true, value: inner };
  }
  const problem = checkBareValue(trimmed, what);
  return problem ? { ok: false, reason: problem } : { ok: true, value: trimmed };
}

/** `{"accessToken":"..."}` or a bare token string, with surrounding whitespace trimmed. */
export function parseTokenSecret(raw: string | undefined): ParseResult {
  return parseSecretString(raw, TOKEN_SECRET_FIELD, 'token');
}

/** `{"appSecret":"..."}` or a bare string, with surrounding whitespace trimmed. */
export function parseAppSecret(raw: string | undefined): ParseResult {
  return parseSecretString(raw, APP_SECRET_FIELD, 'app secret');
}

/** The canonical stored form of a token. */
export function formatTokenSecret(token: string): string {
  return JSON.stringify({ [TOKEN_SECRET_FIELD]: token });
}

export function formatAppSecret(secret: string): string {
  return JSON.stringify({ [APP_SECRET_FIELD]: secret });
}
