// The day the org cap is reached at the current rate, worked out by hand: the rate
// is the month's extra spend over the time since the month began in the org's zone.
import { describe, expect, it } from 'vitest';
import { forecastCapDay, localDay } from '../../src/domain/forecast.js';

const usd = (dollars: number) => BigInt(dollars) * 1_000_000_000n;
// November 2026 in Paris (CET, UTC+1): 1 Nov 00:00 = 2026-10-31T23:00Z, ends 2026-11-30T23:00Z.
const MONTH = { monthStart: new Date('2026-10-31T23:00:00Z'), monthEnd: new Date('2026-11-30T23:00:00Z'), timeZone: 'Europe/Paris' };

describe('forecastCapDay', () => {
  it('10 days in, $100 spent of a $250 cap: reached 15 days later, at midnight starting 26 November local (25th in UTC)', () => {
    const now = new Date('2026-11-10T23:00:00Z'); // exactly 10 days after the month began
    const f = forecastCapDay({ ...MONTH, now, spentNanos: usd(100), capNanos: usd(250) });
    expect(f).toEqual({ kind: 'on', at: new Date('2026-11-25T23:00:00Z'), day: '2026-11-26' });
  });

  it('a cap reached exactly when the month ends is not this month; a dollar less is', () => {
    const now = new Date('2026-11-10T23:00:00Z');
    // $100 in 10 days; a $300 cap takes 20 more days = the month's end exactly.
    expect(forecastCapDay({ ...MONTH, now, spentNanos: usd(100), capNanos: usd(300) }).kind).toBe('not_this_month');
    const justBefore = forecastCapDay({ ...MONTH, now, spentNanos: usd(100), capNanos: usd(299) });
    expect(justBefore).toEqual({ kind: 'on', at: new Date('2026-11-30T20:36:00Z'), day: '2026-11-30' });
    expect((justBefore as { at: Date }).at.getTime()).toBeLessThan(MONTH.monthEnd.getTime());
  });

  it('rounds up to the next whole millisecond and names the local day across midnight', () => {
    // 1 day in, 3 nanos spent, cap 4 nanos: 1/3 day more = 28,800,000 ms exactly.
    const now = new Date('2026-11-01T23:00:00Z');
    const f = forecastCapDay({ ...MONTH, now, spentNanos: 3n, capNanos: 4n });
    expect(f).toEqual({ kind: 'on', at: new Date('2026-11-02T07:00:00Z'), day: '2026-11-02' });
    // 2 days in (172,800,000 ms), 7 nanos, cap 8: 172,800,000 / 7 = 24,685,714.28… → …715 ms.
    const g = forecastCapDay({ ...MONTH, now: new Date('2026-11-02T23:00:00Z'), spentNanos: 7n, capNanos: 8n });
    expect(g).toMatchObject({ kind: 'on', at: new Date(new Date('2026-11-02T23:00:00Z').getTime() + 24_685_715) });
    // 23:30Z on the 2nd is 00:30 on the 3rd in Paris.
    expect(localDay(new Date('2026-11-02T23:30:00Z'), 'Europe/Paris')).toBe('2026-11-03');
  });

  it('no cap, already reached, nothing spent', () => {
    const now = new Date('2026-11-10T23:00:00Z');
    expect(forecastCapDay({ ...MONTH, now, spentNanos: usd(5), capNanos: null })).toEqual({ kind: 'no_cap' });
    expect(forecastCapDay({ ...MONTH, now, spentNanos: usd(300), capNanos: usd(300) })).toEqual({ kind: 'reached' });
    expect(forecastCapDay({ ...MONTH, now, spentNanos: 0n, capNanos: usd(300) })).toEqual({ kind: 'no_spend' });
  });

  it('a huge cap at a tiny rate does not overflow a Date', () => {
    const now = new Date('2026-11-10T23:00:00Z');
    expect(forecastCapDay({ ...MONTH, now, spentNanos: 1n, capNanos: 999_999_999_990_000_000n }).kind).toBe('not_this_month');
  });
});
