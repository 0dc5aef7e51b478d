import { expiryMilestone } from '../../../lambda/core/expiry-milestone';

const EXP = '2027-01-31T00:00:00.000Z';

describe('expiryMilestone', () => {
  it('announces nothing above 30 days, for tokens that never expire, and for expired tokens', () => {
    expect(expiryMilestone(31, EXP, undefined)).toBeUndefined();
    expect(expiryMilestone(undefined, 'never', undefined)).toBeUndefined();
    expect(expiryMilestone(5, 'never', undefined)).toBeUndefined();
    expect(expiryMilestone(0, EXP, undefined)).toBeUndefined();
    expect(expiryMilestone(-2, EXP, undefined)).toBeUndefined();
  });

  it('announces the most urgent crossed milestone only, and records the larger ones as done', () => {
    // GIVEN a guard that first sees the token at 6.5 days
    const due = expiryMilestone(6.5, EXP, undefined);
    // THEN 7 is due, and 30 and 14 never follow
    expect(due).toEqual({ milestoneDays: 7, announced: { expiresAt: EXP, days: [30, 14, 7] } });
    expect(expiryMilestone(6.4, EXP, due!.announced)).toBeUndefined();
  });

  it('announces each milestone once across many checks as the days run down', () => {
    // GIVEN checks every 15 minutes from 40 days to expiry
    let announced;
    const fired: number[] = [];
    for (let days = 40; days > 0; days -= 15 / 1440) {
      const due = expiryMilestone(days, EXP, announced);
      if (due) {
        fired.push(due.milestoneDays);
        announced = due.announced;
      }
    }
    // THEN
    expect(fired).toEqual([30, 14, 7, 3, 1]);
  });

  it('starts afresh for a new token (another expiry time)', () => {
    const first = expiryMilestone(29, EXP, undefined)!;
    expect(expiryMilestone(29, '2027-03-31T00:00:00.000Z', first.announced)?.milestoneDays).toBe(30);
  });
});
