import { renderReport, PLAIN } from '../../../bin/cli/render';
import { CheckReport, Problem } from '../../../lambda/contract';

const base: CheckReport = { tokenName: 'primary', checkedAt: '2026-12-02T00:00:00.000Z', outcome: 'check-failed', graphApiVersion: 'v25.0', problems: [], metrics: {} };

describe('renderReport', () => {
  it("shows Meta's usage with the WABA and the wait when a check was throttled", () => {
    const text = renderReport({ ...base, graphUsage: { percent: 100, header: 'X-Business-Use-Case-Usage', objectId: '102290129340398', regainAccessMinutes: 19 }, problems: [{ id: 'GraphRateLimited', ...Problem.GraphRateLimited }] }, PLAIN);
    expect(text).toContain('Meta usage      100% (X-Business-Use-Case-Usage 102290129340398, access back in about 19 min)');
    expect(text).toContain('Meta rate limit reached');
  });

  it("lists each health_status entity line under the phone number, calling blocks included", () => {
    const text = renderReport(
      { ...base, outcome: 'healthy', assets: { phoneNumber: { id: 'P', outcome: 'ok', canSendMessage: 'AVAILABLE', health: ['PHONE_NUMBER P: can_receive_call_sip BLOCKED (calling only): error 138024'] } } },
      PLAIN,
    );
    expect(text).toMatch(/✓ phone number P, can_send_message AVAILABLE\n\s+PHONE_NUMBER P: can_receive_call_sip BLOCKED \(calling only\)/);
  });
});
