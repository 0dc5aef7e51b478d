import { describeUsage, mostConstraining, readUsageHeaders, shouldSkipOptionalCalls } from '../../../lambda/core/graph-usage';
import { appUsageHeader, businessUsageHeader } from '../../fakes/meta-shapes';

const headers = (h: Record<string, string>) => (name: string) => h[name.toLowerCase()];

describe('readUsageHeaders', () => {
  it('reads the highest of the three X-App-Usage percentages', () => {
    // GIVEN the rate-limiting page's sample {"call_count":28,"total_time":25,"total_cputime":25}
    const r = readUsageHeaders(headers({ 'x-app-usage': '{"call_count":28,"total_time":25,"total_cputime":25}' }));
    // THEN
    expect(r).toEqual([{ percent: 28, header: 'X-App-Usage' }]);
  });

  it('reads every X-Business-Use-Case-Usage entry with its object, type and estimated_time_to_regain_access', () => {
    const r = readUsageHeaders(headers({ 'x-business-use-case-usage': businessUsageHeader('102290129340398', 100, 19) }));
    expect(r).toEqual([{ percent: 100, header: 'X-Business-Use-Case-Usage', objectId: '102290129340398', type: 'whatsapp_business_management', regainAccessMinutes: 19 }]);
  });

  it.each([
    ['not JSON', '{not json'],
    ['an array', '[1,2]'],
    ['entries that are not lists', '{"1":"nope"}'],
    ['non-numeric fields', '{"1":[{"call_count":"lots"}]}'],
  ])('ignores an unreadable header (%s) instead of failing the check', (_n, value) => {
    expect(readUsageHeaders(headers({ 'x-business-use-case-usage': value, 'x-app-usage': value }))).toEqual([]);
  });
});

describe('mostConstraining and shouldSkipOptionalCalls', () => {
  it('picks the highest usage across both headers', () => {
    const r = mostConstraining([...readUsageHeaders(headers({ 'x-app-usage': appUsageHeader(12) })), ...readUsageHeaders(headers({ 'x-business-use-case-usage': businessUsageHeader('W', 85) }))]);
    expect(r).toMatchObject({ header: 'X-Business-Use-Case-Usage', percent: 85 });
    expect(shouldSkipOptionalCalls(r)).toBe(true);
  });

  it('treats a pending block (estimated_time_to_regain_access > 0) as at the limit whatever the percentages', () => {
    const r = mostConstraining(readUsageHeaders(headers({ 'x-app-usage': appUsageHeader(50), 'x-business-use-case-usage': businessUsageHeader('W', 10, 7) })));
    expect(r).toMatchObject({ objectId: 'W', regainAccessMinutes: 7 });
    expect(shouldSkipOptionalCalls(r)).toBe(true);
    expect(describeUsage(r!)).toBe('X-Business-Use-Case-Usage W (whatsapp_business_management) at 10%, Meta estimates access returns in about 7 min');
  });

  it('keeps optional calls below 80%', () => {
    expect(shouldSkipOptionalCalls(mostConstraining(readUsageHeaders(headers({ 'x-app-usage': appUsageHeader(79) }))))).toBe(false);
    expect(shouldSkipOptionalCalls(undefined)).toBe(false);
  });
});
