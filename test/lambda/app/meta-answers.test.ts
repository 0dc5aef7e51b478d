// Rotations against Meta's answers as third parties captured them, beyond the documented shapes: fb_exchange_token
// without expires_in, and the mint refused for two-factor authentication with the way out only in error_user_msg.
// The real rotation (lambda/app/rotate-secret.ts through the router) against the Graph emulator and the stateful
// Secrets Manager fake.
import { EnvVar } from '../../../lambda/contract';
import { CANARY_TOKEN, expectNoCanary, SYSTEM_USER_ID } from '../../fakes/canary';
import { MINT_TWO_FACTOR_REQUIRED } from '../../fakes/meta-shapes';
import { startWorld, World } from '../../fakes/world';

const DAY = 86_400;
const nowS = (): number => Math.floor(Date.now() / 1000);
let world: World;

afterEach(async () => {
  expectNoCanary(world.output.join(''), [...world.graph.tokens.keys()].filter((t) => t !== CANARY_TOKEN));
  await world.stop();
});

const currentToken = (w: World): string | undefined => {
  const raw = w.sm.valueAt(w.tokenSecret.arn, 'AWSCURRENT');
  return raw === undefined ? undefined : JSON.parse(raw).accessToken;
};

describe("Meta's answers to the rotation's own calls", () => {
  it('refreshes when fb_exchange_token answers without expires_in, taking the expiry from debug_token', async () => {
    // GIVEN a 60-day token with 20 days left, and Meta answering the exchange as pixelant/pxa_social_feed#105 captured it
    world = await startWorld({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'refresh' } });
    world.graph.addToken(CANARY_TOKEN, { expiresAt: nowS() + 20 * DAY, issuedAt: nowS() - 40 * DAY });
    world.graph.exchangeAnswerShape = 'without-expires-in';
    // WHEN
    const { error } = await world.rotate();
    // THEN the refreshed token is promoted, and the check after it reads its expiry from Meta ("never" here)
    expect(error).toBeUndefined();
    const refreshed = [...world.graph.tokens.keys()].find((t) => t.includes('refreshed'));
    expect(refreshed).toBeDefined();
    expect(currentToken(world)).toBe(refreshed);
    const report = (await world.invoke({ action: 'check' })) as { outcome: string; token?: { expiresAt?: string } };
    expect(report).toMatchObject({ outcome: 'healthy', token: { expiresAt: 'never' } });
  });

  it("ends a mint refused for two-factor authentication with Meta's way out in the reason", async () => {
    // GIVEN Meta refuses the mint as in facebook/facebook-java-business-sdk#437 (415/2859009)
    world = await startWorld({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'mint', [EnvVar.SystemUserId]: SYSTEM_USER_ID } });
    world.graph.addToken(CANARY_TOKEN);
    world.graph.systemUsers.add(SYSTEM_USER_ID);
    world.graph.mintRefusalAnswer = { status: 400, body: MINT_TWO_FACTOR_REQUIRED };
    const before = world.sm.labels(world.tokenSecret.arn).AWSCURRENT;
    // WHEN
    const { error } = await world.rotate();
    // THEN the step fails with a verdict naming the code and what Meta asks a person to do; nothing moved
    expect(error?.message).toMatch(/refused to mint a token for system user \d+ \(code 415: Two factor authentication required\..*Meta says: Two-factor authentication required: To continue working in your account, please refresh this page to authenticate/);
    expect(world.sm.labels(world.tokenSecret.arn)).toMatchObject({ AWSCURRENT: before });
    expect(world.sm.labels(world.tokenSecret.arn).AWSPENDING).toBeUndefined();
    const failed = world.bus.events.find((e) => e['detail-type'] === 'WhatsApp Token Rotation Failed');
    expect(String(failed?.detail.reason)).toContain('Meta says: Two-factor authentication required');
  });
});
