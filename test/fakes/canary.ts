// Recognisable fake secrets. Any test that finds these strings in output, errors, reports or the
// template has found a leak.
export const CANARY_TOKEN = 'EAAGcanaryTOKENx9Qm7ZtokenguardCANARY0001';
export const CANARY_APP_SECRET = 'c4n4ryAppSecret7f3c9e1b2a4d6e8f0011';
export const APP_ID = '1234567890123456';
export const WABA_ID = '102290129340398';
export const PHONE_ID = '106540352242922';
export const SYSTEM_USER_ID = '122098765432101234';

/** Every form in which a canary could leak: raw, the app token, JSON-escaped. */
export function canaryForms(extra: readonly string[] = []): string[] {
  return [CANARY_TOKEN, CANARY_APP_SECRET, `${APP_ID}|${CANARY_APP_SECRET}`, ...extra];
}

/** Any run of this many characters copied from a secret counts as a leak. */
export const LEAK_WINDOW = 12;

export function expectNoCanary(text: string, extra: readonly string[] = []): void {
  for (const c of canaryForms(extra)) {
    if (text.includes(c)) throw new Error(`canary leaked: output contains a secret (${c.slice(0, 8)}...)`);
  }
  expectNoSecretWindow(text, extra);
}

/**
 * Fails when the text holds any window of LEAK_WINDOW characters of a secret (the token, the app secret, or one
 * of `extra`), so a secret cut short by truncation is caught too, not only the whole value. The app token's app
 * id is public, so only its secret part counts.
 */
export function expectNoSecretWindow(text: string, extra: readonly string[] = []): void {
  for (const secret of [CANARY_TOKEN, CANARY_APP_SECRET, ...extra.map((e) => /^\d+\|(.+)$/.exec(e)?.[1] ?? e)]) {
    for (let i = 0; i + LEAK_WINDOW <= secret.length; i++) {
      const w = secret.slice(i, i + LEAK_WINDOW);
      if (text.includes(w)) throw new Error(`canary leaked: output contains ${LEAK_WINDOW} characters of a secret (${w.slice(0, 4)}...)`);
    }
  }
}
