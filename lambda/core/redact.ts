// Defence in depth: Meta or a library could echo a value back in a message. Everything that leaves the
// function (logs, errors, reports) passes known secrets through here first.

const MIN_SECRET_LENGTH = 4; // shorter strings would redact ordinary words

export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= MIN_SECRET_LENGTH) out = out.split(s).join('[redacted]');
  }
  return out;
}
