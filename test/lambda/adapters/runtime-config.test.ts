import { ConfigError, readRuntimeConfig } from '../../../lambda/adapters/runtime-config';

const base = { TOKEN_NAME: 'primary', TOKEN_SECRET_ARN: 'arn:t', APP_SECRET_ARN: 'arn:a', META_APP_ID: '1234567890123456' };

describe('readRuntimeConfig', () => {
  it('fills defaults and trims values', () => {
    const c = readRuntimeConfig({ ...base, TOKEN_NAME: ' primary ' });
    expect(c).toMatchObject({ tokenName: 'primary', graphApiBaseUrl: 'https://graph.facebook.com', graphApiVersion: 'v25.0', expiryWarningDays: 14, rotationMode: 'hand-made', httpTimeoutMs: 5000 });
  });

  it.each([
    [{ ...base, TOKEN_NAME: '' }, 'TOKEN_NAME', /is not set/],
    [{ ...base, ROTATION_MODE: 'auto' }, 'ROTATION_MODE', /must be one of hand-made, refresh, mint/],
    [{ ...base, EXPIRY_WARNING_DAYS: 'soon' }, 'EXPIRY_WARNING_DAYS', /positive number/],
    [{ ...base, GRAPH_API_BASE_URL: 'graph.facebook.com' }, 'GRAPH_API_BASE_URL', /absolute URL/],
  ])('throws a ConfigError naming %#', (env, variable, message) => {
    let error: unknown;
    try {
      readRuntimeConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(message);
  });
});
