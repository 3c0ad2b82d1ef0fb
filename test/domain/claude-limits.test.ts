// Owners' thresholds of a connected org's effective limits: each told once per member,
// period window and limit.
import { describe, expect, it } from 'vitest';
import { highestReached, nextThresholdState } from '../../src/domain/claude-limits.js';

const T = [50, 80, 100];
const usd = (n: number) => BigInt(Math.round(n * 100)) * 10_000_000n;
const reading = (limit: number | null, spent: number) => ({ limitNanos: limit === null ? null : usd(limit), spentNanos: usd(spent) });

describe('effective-limit thresholds', () => {
  it('reads the highest threshold reached, in integers; no limit is no threshold', () => {
    expect(highestReached(reading(100, 79.99), T)).toBe(50);
    expect(highestReached(reading(100, 80), T)).toBe(80);
    expect(highestReached(reading(100, 250), T)).toBe(100);
    expect(highestReached(reading(null, 250), T)).toBeNull();
    expect(highestReached(reading(0, 1), T)).toBeNull();
  });

  it('tells each threshold once as spend grows, again in a new period, and re-arms silently on a new limit', () => {
    let s = nextThresholdState(null, reading(100, 10), T);
    expect(s).toEqual({ window: 0, alertedPercent: null, tell: null });
    let prev = { ...reading(100, 10), ...s };
    s = nextThresholdState(prev, reading(100, 85), T);
    expect(s.tell).toBe(80); // 50 and 80 crossed at once: the highest is told
    prev = { ...reading(100, 85), ...s };
    s = nextThresholdState(prev, reading(100, 90), T);
    expect(s.tell).toBeNull();
    prev = { ...reading(100, 90), ...s };
    // A new period: spend starts again; 50% is told again in it.
    s = nextThresholdState(prev, reading(100, 5), T);
    expect(s).toEqual({ window: 1, alertedPercent: null, tell: null });
    prev = { ...reading(100, 5), ...s };
    s = nextThresholdState(prev, reading(100, 55), T);
    expect(s).toEqual({ window: 1, alertedPercent: 50, tell: 50 });
    prev = { ...reading(100, 55), ...s };
    // The limit raised to $200: nothing told for what is already past under it.
    s = nextThresholdState(prev, reading(200, 110), T);
    expect(s.tell).toBeNull();
    prev = { ...reading(200, 110), ...s };
    s = nextThresholdState(prev, reading(200, 170), T);
    expect(s.tell).toBe(80);
  });
});
