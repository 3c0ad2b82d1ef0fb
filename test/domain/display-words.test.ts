// Durations, days and seat tiers as people read them in the console.
import { describe, expect, it } from 'vitest';
import { durationWords, formatDay, monthName, tierName, usdCents, usdExact } from '../../src/domain/display.js';
import { capUse } from '../../src/domain/cap-use.js';

describe('durationWords', () => {
  it.each([[300, '5 hours'], [60, '1 hour'], [90, '1 hour 30 minutes'], [1, '1 minute'], [45, '45 minutes'], [1440, '1 day'], [1500, '1 day 1 hour'], [10080, '7 days']])('%i minutes read "%s"', (m, words) => {
    expect(durationWords(m)).toBe(words);
  });
});

describe('formatDay and monthName', () => {
  it('names the day in the org\'s timezone, the month by its name', () => {
    // Midnight in Paris on 1 January is still 31 December in UTC.
    expect(formatDay('2026-12-31T23:00:00Z', 'Europe/Paris')).toBe('1 Jan 2027');
    expect(formatDay('2026-12-31T23:00:00Z', 'UTC')).toBe('31 Dec 2026');
    expect(monthName('2026-12')).toBe('December 2026');
  });
});

describe('amounts', () => {
  it('have thousands separators, in cents and exactly', () => {
    expect(usdCents('1000')).toBe('$1,000.00');
    expect(usdCents('3.703701')).toBe('$3.70');
    expect(usdExact('3.703701')).toBe('$3.703701');
    expect(usdCents(1_234_567_000_000_000n)).toBe('$1,234,567.00');
  });
});

describe('tierName', () => {
  it('writes a tier one way', () => {
    expect([tierName('standard'), tierName('premium')]).toEqual(['Standard', 'Premium']);
  });
});

describe('capUse', () => {
  const usd = (n: number) => BigInt(Math.round(n * 100)) * 10_000_000n;
  it('is at risk from 80% and reached at 100%, exactly', () => {
    expect(capUse(usd(79.99), usd(100))).toEqual({ percent: 79, level: 'ok' });
    expect(capUse(usd(80), usd(100))).toEqual({ percent: 80, level: 'at_risk' });
    expect(capUse(usd(99.99), usd(100))).toEqual({ percent: 99, level: 'at_risk' });
    expect(capUse(usd(100), usd(100))).toEqual({ percent: 100, level: 'reached' });
    expect(capUse(usd(130), usd(100))).toEqual({ percent: 130, level: 'reached' });
    expect(capUse(0n, 0n)).toEqual({ percent: 100, level: 'reached' });
    expect(capUse(usd(5), null)).toBeNull();
  });
});
