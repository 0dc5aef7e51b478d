// Meta's pacing is not a token being bad: the fleet end to end on loopback with the app's X-App-Usage held at a steady
// 85%, and a batch whose first answer is a throttle. High usage must never dead-letter a healthy token (FleetDeadLetters
// would page someone for nothing), and once Meta asked one record of a batch to stop, no record of it calls again.
// Meta's page: "When the limit has been reached, stop making API calls" (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
import { FleetTag } from '../../lambda/contract';
import { PHONE_ID, WABA_ID } from '../fakes/canary';
import { Fleet, fleetMetricSums, logLines, startFleet } from './fleet-harness';

const tokenValue = (name: string): string => `EAAGpace${name.replace(/[^a-z0-9]/gi, '')}TOKENcanaryX7q${name.length}`;

function onboard(f: Fleet, n: number, prefix: string): string[] {
  f.graph.addWaba(WABA_ID, { id: PHONE_ID });
  return Array.from({ length: n }, (_, i) => {
    const name = `${prefix}-${i}`;
    f.graph.addToken(tokenValue(name), { wabas: [WABA_ID] });
    f.addToken(name, tokenValue(name), { [FleetTag.WabaId]: WABA_ID, [FleetTag.PhoneNumberId]: PHONE_ID });
    return name;
  });
}

describe('a steady 85% X-App-Usage', () => {
  let f: Fleet;
  let names: string[];

  beforeAll(async () => {
    // GIVEN 30 healthy tokens with WABA and phone probes, and Meta answering every call with X-App-Usage at 85%
    f = await startFleet({ name: 'steady', maxReceiveCount: 3 });
    names = onboard(f, 30, 'steady');
    f.proxy.appUsage = { call_count: 85, total_cputime: 31, total_time: 40 };
    // WHEN a sweep is planned and run dry through the worker (delays and visibility timeouts pass on the fake clock)
    await f.plan();
    await f.drain();
  }, 120_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('dead-letters nothing', () => {
    expect(f.dlq.messages.map((m) => JSON.parse(m.body).token)).toEqual([]);
    expect(f.queue.messages).toHaveLength(0);
  });

  it('ends with every healthy token healthy in the ledger, judged by debug_token without the optional probes', async () => {
    const rows = (await f.ddb.items(f.ledgerTable)).filter((i) => i.sk === 'STATE');
    expect(Object.fromEntries(names.map((n) => [n, rows.find((r) => r.pk === f.ledgerKey(n))?.status]))).toEqual(Object.fromEntries(names.map((n) => [n, 'healthy'])));
    const probes = f.proxy.paths.filter((p) => p.includes(WABA_ID) || p.includes(PHONE_ID));
    expect(probes).toEqual([]);
  });

  it('counts the checks it put back as RateLimited and every token as checked once', () => {
    const sums = fleetMetricSums(f.output);
    expect(sums.TokensChecked).toBe(names.length);
    expect(sums.CheckFailures ?? 0).toBe(0);
    expect(sums.RateLimited).toBeGreaterThan(0);
    expect(logLines(f.output, 'check put back').length).toBe(sums.RateLimited);
  });
});

describe('a throttle one record of a batch meets', () => {
  it('stops every other record of the batch from calling Meta: no probe after it, the throttled check put back', async () => {
    // GIVEN ten healthy tokens in one batch; Meta throttles the app (code 4) on the first debug_token, and the other
    // calls of the batch reach it a little later
    const f = await startFleet({ name: 'burst' });
    try {
      const names = onboard(f, 10, 'burst');
      f.graph.fault = { kind: 'throttle', code: 4 };
      f.graph.faultCount = 1;
      f.graph.faultPath = /debug_token$/;
      f.proxy.hold = (n) => (n === 1 ? undefined : 150);
      await f.plan();
      f.sqs.now += 900;
      const batch = f.sqs.receive(f.queue, 10);
      expect(batch).toHaveLength(names.length);
      // WHEN the worker runs the batch (its records in parallel)
      const response = await f.invokeWorker({ Records: batch.map((m) => f.sqs.record(f.queue, m)) });
      // THEN no call but the ten debug_token calls already under way reached Meta: no probe of any token
      expect(f.proxy.paths.filter((p) => !p.endsWith('/debug_token'))).toEqual([]);
      expect(f.proxy.paths.length).toBeLessThanOrEqual(names.length);
      // AND nothing failed towards the dead-letter queue: the throttled check is put back, the others are judged by debug_token
      expect(response.batchItemFailures).toEqual([]);
      const putBack = f.sqs.calls.filter((c) => c.op === 'SendMessage').map((c) => ({ delay: c.input.DelaySeconds, token: JSON.parse(String(c.input.MessageBody)).token }));
      expect(putBack.length).toBeGreaterThanOrEqual(1);
      for (const p of putBack) expect(p.delay).toBe(900);
      expect(logLines(f.output, 'token checked').every((l) => l.outcome === 'healthy')).toBe(true);
      expect(logLines(f.output, 'token checked').length + putBack.length).toBe(names.length);
    } finally {
      await f.stop();
    }
  });
});
