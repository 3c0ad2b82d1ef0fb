// Seat advice worked out by hand: standard seats include $1 per 5-hour window and cost
// $25 a month, premium seats include $3 per window and cost $60 a month.
import { describe, expect, it } from 'vitest';
import { adviseSeat, replayExtra, type UsageCost } from '../../src/domain/seat-advice.js';

const usd = (dollars: number) => BigInt(Math.round(dollars * 100)) * 10_000_000n;
const TIERS = { standard: { includedAllowanceNanos: usd(1), windowMinutes: 300 }, premium: { includedAllowanceNanos: usd(3), windowMinutes: 300 } };
const PRICES = { standard: usd(25), premium: usd(60) };
const T0 = Date.parse('2026-08-01T08:00:00Z');
const at = (hours: number) => new Date(T0 + hours * 3_600_000);
/** n requests of `dollars` each, 6 hours apart (each in a window of its own). */
const apart = (n: number, dollars: number): UsageCost[] => Array.from({ length: n }, (_, i) => ({ at: at(i * 6), costNanos: usd(dollars) }));

describe('replayExtra', () => {
  it('splits like the ledger: a window opens with the first request and covers its allowance until it runs out', () => {
    const usage = [
      { at: at(0), costNanos: usd(2) }, // standard: $1 included, $1 extra; premium: $2 included
      { at: at(1), costNanos: usd(2) }, // same window. standard: $2 extra; premium: $1 included, $1 extra
      { at: at(5), costNanos: usd(0.5) }, // 5 hours after the window opened: a new window, all included
    ];
    expect(replayExtra(usage, TIERS.standard)).toEqual({ includedNanos: usd(1.5), extraNanos: usd(3) });
    expect(replayExtra(usage, TIERS.premium)).toEqual({ includedNanos: usd(3.5), extraNanos: usd(1) });
  });
});

describe('adviseSeat', () => {
  it('a heavy standard member costs less on premium: 100 windows of $4 over 3 months', () => {
    const a = adviseSeat({ currentTier: 'standard', months: 3, prices: PRICES, tiers: TIERS, usage: apart(100, 4) });
    // standard: 3 × $25 + 100 × $3 extra = $375; premium: 3 × $60 + 100 × $1 extra = $280.
    expect(a.current).toEqual({ tier: 'standard', seatNanos: usd(75), extraNanos: usd(300), totalNanos: usd(375) });
    expect(a.other).toEqual({ tier: 'premium', seatNanos: usd(180), extraNanos: usd(100), totalNanos: usd(280) });
    expect(a.move).toBe(true);
    expect(a.savingNanos).toBe(usd(95));
    // $95 / 3 = $31.666… → $31.67 a month.
    expect(a.savingPerMonthNanos).toBe(usd(31.67));
  });

  it('a lighter standard member stays: 30 windows of $4 ($165 against $210)', () => {
    const a = adviseSeat({ currentTier: 'standard', months: 3, prices: PRICES, tiers: TIERS, usage: apart(30, 4) });
    expect(a.current.totalNanos).toBe(usd(165));
    expect(a.other.totalNanos).toBe(usd(210));
    expect(a.move).toBe(false);
    expect(a.savingNanos).toBe(-usd(45));
    expect(a.savingPerMonthNanos).toBe(-usd(15));
  });

  it('a light premium member costs less on standard; equal costs give no advice', () => {
    const light = adviseSeat({ currentTier: 'premium', months: 3, prices: PRICES, tiers: TIERS, usage: apart(10, 1) });
    // premium: $180; standard: $75 and nothing extra.
    expect(light).toMatchObject({ move: true, savingNanos: usd(105), savingPerMonthNanos: usd(35), other: { tier: 'standard', extraNanos: 0n } });
    // standard $75 + 105 × $1 extra = $180 = premium's $180: no saving, no advice.
    const even = adviseSeat({ currentTier: 'premium', months: 3, prices: PRICES, tiers: TIERS, usage: apart(105, 2) });
    expect(even.savingNanos).toBe(0n);
    expect(even.move).toBe(false);
  });

  it('rounds the monthly saving once, straight to cents, half away from zero', () => {
    // A saving of 1.5 cents + 1 nano over 1 month rounds up; 1.5 cents − 1 nano rounds down.
    const base = { currentTier: 'standard' as const, months: 1, tiers: TIERS, usage: [] };
    const up = adviseSeat({ ...base, prices: { standard: 15_000_001n, premium: 0n } });
    expect(up.savingPerMonthNanos).toBe(20_000_000n);
    const down = adviseSeat({ ...base, prices: { standard: 14_999_999n, premium: 0n } });
    expect(down.savingPerMonthNanos).toBe(10_000_000n);
    // 14,999,999 nanos over 3 months = 4,999,999.67 nanos a month: 0.4999… cents → 0 (rounding to the
    // nano first would make it 5,000,000 and then a whole cent). Standard: 3 × 4,999,999 + 2 nanos extra.
    const thirds = adviseSeat({ ...base, months: 3, prices: { standard: 4_999_999n, premium: 0n }, usage: [{ at: at(0), costNanos: usd(1) + 2n }] });
    expect(thirds.savingNanos).toBe(14_999_999n);
    expect(thirds.savingPerMonthNanos).toBe(0n);
  });
});
