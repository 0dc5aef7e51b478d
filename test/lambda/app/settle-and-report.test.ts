// A revoke Meta does not confirm reaches a person in the single guard too: the scheduled check's report carries a
// RevokeFailed problem (Meta's answer, the fix), so the ledger has it and one Health Changed event announces it when it
// starts and one when it clears, never one per retry. Run through the single guard's router against the loopback world.
import { DEMOTED_LABEL_PREFIX, EnvVar, EventDetailType } from '../../../lambda/contract';
import { APP_ID, CANARY_TOKEN } from '../../fakes/canary';
import { startWorld, World } from '../../fakes/world';

const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
const OLD = 'EAAGsettleOLDtokenCanary00000000001';

async function world(): Promise<World> {
  // GIVEN a refresh token whose previous token was demoted two days ago, past its 1-hour revoke grace
  const w = await startWorld({ token: CANARY_TOKEN, env: { [EnvVar.RotationMode]: 'refresh', [EnvVar.RevokePreviousAfterHours]: '1' } });
  w.graph.addToken(CANARY_TOKEN);
  w.graph.addToken(OLD);
  const demotedAt = Math.floor(Date.now() / 1000) - 2 * 86_400;
  w.tokenSecret.versions.set('v-old-000000000000000000000000000001', { id: 'v-old-000000000000000000000000000001', value: JSON.stringify({ accessToken: OLD }), stages: new Set(['AWSPREVIOUS', `${DEMOTED_LABEL_PREFIX}${demotedAt}`]), created: 0 });
  return w;
}

const healthEvents = (w: World) => w.bus.events.filter((e) => e['detail-type'] === EventDetailType.HealthChanged);

describe('a revoke Meta does not confirm, in the single guard', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('is a RevokeFailed problem of the scheduled check, in the ledger and one Health Changed event with the cause and the fix', async () => {
    // WHEN Meta refuses the revoke
    w.graph.revokeRefusal = { appId: APP_ID, code: 200, message: '(#200) Permissions error' };
    await w.invoke(SCHEDULED);
    // THEN
    const state = (await w.ddb.items(w.table)).find((i) => i.pk === 'guard/primary' && i.sk === 'STATE');
    expect(state).toEqual(expect.objectContaining({ status: 'healthy', problemIds: ['RevokeFailed'] }));
    expect(healthEvents(w)).toHaveLength(1);
    const detail = healthEvents(w)[0].detail as { status: string; cause: string; fix: string; problems: { id: string }[] };
    expect(detail.problems.map((p) => p.id)).toEqual(['RevokeFailed']);
    expect(detail.cause).toMatch(/Old token not revoked \(1 revoke not confirmed by Meta: code 200: \(#200\) Permissions error\)/);
    expect(detail.fix).toMatch(/revoke the token by hand/);
  });

  it('is announced once, not at every check that tries again', async () => {
    await w.invoke(SCHEDULED);
    expect(healthEvents(w)).toHaveLength(1);
  });

  it('clears with one more event once Meta confirms the revoke', async () => {
    // WHEN Meta accepts again
    w.graph.revokeRefusal = undefined;
    await w.invoke(SCHEDULED);
    // THEN the old token is revoked and the problem is gone
    expect(w.graph.tokens.get(OLD)!.dead?.subcode).toBe(466);
    expect(healthEvents(w)).toHaveLength(2);
    expect((healthEvents(w)[1].detail as { problems: unknown[] }).problems).toEqual([]);
  });
});
