import { parseAppSecret, parseTokenSecret } from '../../../lambda/core/parse-secret';

const TOKEN = 'EAAGsecretTOKENvalue123';

describe('parseTokenSecret', () => {
  it.each([
    ['JSON with accessToken', `{"accessToken":"${TOKEN}"}`],
    ['a bare token', TOKEN],
    ['a bare token with copy-paste whitespace', `  ${TOKEN}\n`],
    ['JSON whose value has stray whitespace', `{"accessToken":" ${TOKEN}\\n"}`],
    ['JSON with extra fields', `{"accessToken":"${TOKEN}","note":"prod"}`],
  ])('accepts %s', (_name, raw) => {
    // Act
    const result = parseTokenSecret(raw);
    // Assess
    expect(result).toEqual({ ok: true, value: TOKEN });
  });

  it.each([
    ['no value', undefined, /has no value/],
    ['an empty string', '   ', /is empty/],
    ['a quoted token', `"${TOKEN}"`, /wrapped in quotes/],
    ['two tokens pasted together', `${TOKEN} ${TOKEN}`, /spaces inside it/],
    ['a token with a line break inside', `EAAG\nabc`, /control characters|spaces/],
    ['truncated JSON', `{"accessToken":"${TOKEN}`, /not valid JSON/],
    ['JSON with the wrong key', `{"token":"${TOKEN}"}`, /without a "accessToken" field \(found keys: token\)/],
    ['JSON with a number', `{"accessToken":42}`, /is number, not a string/],
    ['a JSON array', `[1,2]`, /is a JSON array/],
    ['JSON null value', `{"accessToken":null}`, /is null/],
    ['a huge value', 'A'.repeat(5000), /far longer/],
  ])('rejects %s with a clear reason', (_name, raw, reason) => {
    // Act
    const result = parseTokenSecret(raw as string | undefined);
    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      expect(result.reason).not.toContain(TOKEN);
    }
  });
});

describe('parseAppSecret', () => {
  it('accepts {"appSecret": ...} and bare strings', () => {
    expect(parseAppSecret('{"appSecret":"abc123def"}')).toEqual({ ok: true, value: 'abc123def' });
    expect(parseAppSecret(' abc123def ')).toEqual({ ok: true, value: 'abc123def' });
  });

  it('names the expected field when it is missing', () => {
    const result = parseAppSecret('{"secret":"abc123def"}');
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('Store {"appSecret":"<value>"}') });
  });
});
