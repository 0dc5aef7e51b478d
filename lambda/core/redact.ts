// Defence in depth: Meta or a library could echo a value back in a message, whole, URL-encoded, JSON-escaped
// or cut short. Everything that leaves the function (logs, errors, reports) passes known secrets through here
// first, and text is always redacted BEFORE it is truncated (a cut can leave a secret's start behind, which the
// whole-value match would no longer see).

const MIN_SECRET_LENGTH = 4; // shorter strings would redact ordinary words
/** Any run of at least this many characters copied from a secret is redacted (the canary tests scan for it). */
export const SECRET_WINDOW = 12;
const MASK = '[redacted]';

/** The forms in which a secret can appear in text we did not write: as is, URL-encoded, JSON-escaped. */
function forms(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...out];
}

/**
 * The part of a value that is secret. An app token is `{app-id}|{app-secret}`
 * (https://developers.facebook.com/docs/facebook-login/guides/access-tokens#apptokens): its app id is public and
 * appears in reports on purpose, so only the part after the bar is matched by windows.
 */
const secretPart = (value: string): string => /^\d+\|(.+)$/.exec(value)?.[1] ?? value;

export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  const given = secrets.filter((v): v is string => typeof v === 'string' && v.length >= MIN_SECRET_LENGTH);
  if (given.length === 0 || text.length === 0) return text;
  // Mark every character covered by the whole value or by a window of SECRET_WINDOW characters taken from its
  // secret part (in each form), then collapse each marked run into one mask. Short secrets are matched whole.
  const marked = new Uint8Array(text.length);
  const mark = (needle: string): void => {
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) marked.fill(1, at, at + needle.length);
  };
  for (const value of given) {
    for (const f of forms(value)) mark(f);
    for (const f of forms(secretPart(value))) {
      if (f.length <= SECRET_WINDOW) mark(f);
      else for (let i = 0; i + SECRET_WINDOW <= f.length; i++) mark(f.slice(i, i + SECRET_WINDOW));
    }
  }
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (!marked[i]) {
      out += text[i++];
      continue;
    }
    while (i < text.length && marked[i]) i++;
    out += MASK;
  }
  return out;
}

/** Redacts first, then truncates to `max` characters (with an ellipsis when cut). */
export function redactThenTruncate(text: string, secrets: readonly (string | undefined)[], max: number): string {
  const clean = redact(text, secrets);
  return clean.length <= max ? clean : `${clean.slice(0, Math.max(0, max - 3))}...`;
}
