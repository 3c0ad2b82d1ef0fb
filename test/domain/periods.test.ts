// Billing months in the org's timezone and the included-allowance window. Every
// expected instant is worked out by hand from the zone's UTC offset on that date.
import { describe, expect, it } from 'vitest';
import {
  currentWindow,
  canonicalTimeZone,
  isValidTimeZone,
  localMidnight,
  monthResetsAt,
  nextPeriod,
  parsePeriod,
  periodOf,
  periodStart,
  windowResetsAt,
  type AllowanceWindow,
} from '../../src/domain/periods.js';

const d = (iso: string) => new Date(iso);

describe('periodOf: the calendar month in the org timezone', () => {
  it('2026-11-30T23:30Z is already December in Paris (UTC+1) but still November in UTC', () => {
    expect(periodOf(d('2026-11-30T23:30:00Z'), 'Europe/Paris')).toBe('2026-12');
    expect(periodOf(d('2026-11-30T23:30:00Z'), 'UTC')).toBe('2026-11');
  });

  it('2026-12-01T05:30Z is December in UTC but still November in Los Angeles (UTC-8)', () => {
    expect(periodOf(d('2026-12-01T05:30:00Z'), 'UTC')).toBe('2026-12');
    expect(periodOf(d('2026-12-01T05:30:00Z'), 'America/Los_Angeles')).toBe('2026-11');
  });

  it('switches at local midnight to the millisecond', () => {
    // Paris midnight 1 Dec 2026 = 2026-11-30T23:00Z
    expect(periodOf(d('2026-11-30T22:59:59.999Z'), 'Europe/Paris')).toBe('2026-11');
    expect(periodOf(d('2026-11-30T23:00:00.000Z'), 'Europe/Paris')).toBe('2026-12');
    // Los Angeles midnight 1 Dec 2026 = 2026-12-01T08:00Z
    expect(periodOf(d('2026-12-01T07:59:59.999Z'), 'America/Los_Angeles')).toBe('2026-11');
    expect(periodOf(d('2026-12-01T08:00:00.000Z'), 'America/Los_Angeles')).toBe('2026-12');
  });

  it('handles half-hour (Kolkata, UTC+5:30) and quarter-hour (Kathmandu, UTC+5:45) offsets', () => {
    expect(periodOf(d('2026-11-30T18:29:59.999Z'), 'Asia/Kolkata')).toBe('2026-11');
    expect(periodOf(d('2026-11-30T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-12');
    expect(periodOf(d('2026-11-30T18:14:59Z'), 'Asia/Kathmandu')).toBe('2026-11');
    expect(periodOf(d('2026-11-30T18:15:00Z'), 'Asia/Kathmandu')).toBe('2026-12');
  });

  it('handles a negative half-hour offset (St John\'s, UTC-3:30 in winter)', () => {
    // Midnight 1 Jan 2027 in Newfoundland (NST, -3:30) = 2027-01-01T03:30Z
    expect(periodOf(d('2027-01-01T03:29:59Z'), 'America/St_Johns')).toBe('2026-12');
    expect(periodOf(d('2027-01-01T03:30:00Z'), 'America/St_Johns')).toBe('2027-01');
  });

  it('rolls the year over at New Year in the org zone', () => {
    expect(periodOf(d('2026-12-31T23:59:59.999Z'), 'UTC')).toBe('2026-12');
    expect(periodOf(d('2027-01-01T00:00:00Z'), 'UTC')).toBe('2027-01');
    // Tokyo (UTC+9) is in 2027 from 2026-12-31T15:00Z
    expect(periodOf(d('2026-12-31T15:00:00Z'), 'Asia/Tokyo')).toBe('2027-01');
    // Honolulu (UTC-10) is still in 2026 until 2027-01-01T10:00Z
    expect(periodOf(d('2027-01-01T09:59:59Z'), 'Pacific/Honolulu')).toBe('2026-12');
  });
});

describe('monthResetsAt: when month-to-date spend resets', () => {
  it('is local midnight on the 1st of next month, in the org zone', () => {
    // In Paris it is already December; the reset is 1 Jan 2027 00:00 CET = 2026-12-31T23:00Z
    expect(monthResetsAt(d('2026-11-30T23:30:00Z'), 'Europe/Paris')).toEqual(d('2026-12-31T23:00:00Z'));
    // In UTC it is still November; the reset is 1 Dec 00:00 UTC
    expect(monthResetsAt(d('2026-11-30T23:30:00Z'), 'UTC')).toEqual(d('2026-12-01T00:00:00Z'));
    // In Los Angeles it is still November; the reset is 1 Dec 00:00 PST (UTC-8) = 08:00Z
    expect(monthResetsAt(d('2026-12-01T05:30:00Z'), 'America/Los_Angeles')).toEqual(d('2026-12-01T08:00:00Z'));
    // In UTC it is already December; the reset is 1 Jan 2027 00:00 UTC
    expect(monthResetsAt(d('2026-12-01T05:30:00Z'), 'UTC')).toEqual(d('2027-01-01T00:00:00Z'));
  });

  it('follows summer time: Paris March -> April 2027 resets at 2027-03-31T22:00Z (CEST, UTC+2)', () => {
    // Summer time starts 2027-03-28; 1 April 00:00 local is UTC+2.
    expect(monthResetsAt(d('2027-03-15T12:00:00Z'), 'Europe/Paris')).toEqual(d('2027-03-31T22:00:00Z'));
    // Just before the change, in a UTC+1 month that ends in UTC+2.
    expect(monthResetsAt(d('2027-03-01T00:00:00Z'), 'Europe/Paris')).toEqual(d('2027-03-31T22:00:00Z'));
    // February -> March is still winter time: 1 March 00:00 CET = 2027-02-28T23:00Z
    expect(monthResetsAt(d('2027-02-15T12:00:00Z'), 'Europe/Paris')).toEqual(d('2027-02-28T23:00:00Z'));
  });

  it('follows the end of summer time: Paris October -> November 2026 resets at 2026-10-31T23:00Z', () => {
    // Summer time ends 2026-10-25; 1 November 00:00 local is UTC+1.
    expect(monthResetsAt(d('2026-10-02T12:00:00Z'), 'Europe/Paris')).toEqual(d('2026-10-31T23:00:00Z'));
  });

  it('follows US daylight time in Los Angeles', () => {
    // DST starts 2027-03-14; 1 April 00:00 PDT (UTC-7) = 07:00Z
    expect(monthResetsAt(d('2027-03-01T12:00:00Z'), 'America/Los_Angeles')).toEqual(d('2027-04-01T07:00:00Z'));
    // DST ends 2026-11-01 at 02:00 local, after midnight: 1 Nov 00:00 is still PDT = 07:00Z
    expect(monthResetsAt(d('2026-10-20T12:00:00Z'), 'America/Los_Angeles')).toEqual(d('2026-11-01T07:00:00Z'));
    // and November then ends at 1 Dec 00:00 PST = 08:00Z
    expect(monthResetsAt(d('2026-11-01T07:00:00Z'), 'America/Los_Angeles')).toEqual(d('2026-12-01T08:00:00Z'));
  });

  it('rolls December over into January of the next year', () => {
    expect(monthResetsAt(d('2026-12-15T12:00:00Z'), 'UTC')).toEqual(d('2027-01-01T00:00:00Z'));
    expect(monthResetsAt(d('2026-12-31T23:59:59.999Z'), 'UTC')).toEqual(d('2027-01-01T00:00:00Z'));
    // At the reset instant itself the month is January; the next reset is 1 February.
    expect(monthResetsAt(d('2027-01-01T00:00:00Z'), 'UTC')).toEqual(d('2027-02-01T00:00:00Z'));
    // Tokyo (UTC+9): 1 Jan 2027 00:00 JST = 2026-12-31T15:00Z
    expect(monthResetsAt(d('2026-12-10T00:00:00Z'), 'Asia/Tokyo')).toEqual(d('2026-12-31T15:00:00Z'));
    // Los Angeles (UTC-8): 1 Jan 2027 00:00 PST = 2027-01-01T08:00Z
    expect(monthResetsAt(d('2027-01-01T07:59:59Z'), 'America/Los_Angeles')).toEqual(d('2027-01-01T08:00:00Z'));
  });

  it('handles half-hour and quarter-hour offsets', () => {
    // 1 Dec 2026 00:00 IST (UTC+5:30) = 2026-11-30T18:30Z
    expect(monthResetsAt(d('2026-11-15T00:00:00Z'), 'Asia/Kolkata')).toEqual(d('2026-11-30T18:30:00Z'));
    // 1 Jan 2027 00:00 IST = 2026-12-31T18:30Z, asked one second after the December reset
    expect(monthResetsAt(d('2026-11-30T18:30:01Z'), 'Asia/Kolkata')).toEqual(d('2026-12-31T18:30:00Z'));
    // 1 Jan 2027 00:00 NPT (UTC+5:45) = 2026-12-31T18:15Z
    expect(monthResetsAt(d('2026-12-20T00:00:00Z'), 'Asia/Kathmandu')).toEqual(d('2026-12-31T18:15:00Z'));
  });

  it('is always after the instant asked about, and in the next month', () => {
    for (const tz of ['UTC', 'Europe/Paris', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham']) {
      for (const iso of ['2026-03-29T01:30:00Z', '2026-10-25T00:59:59Z', '2026-12-31T23:59:59Z', '2027-04-05T15:45:00Z']) {
        const at = d(iso);
        const reset = monthResetsAt(at, tz);
        expect(reset.getTime()).toBeGreaterThan(at.getTime());
        expect(periodOf(reset, tz)).toBe(nextPeriod(periodOf(at, tz)));
        expect(periodOf(new Date(reset.getTime() - 1), tz)).toBe(periodOf(at, tz));
      }
    }
  });
});

describe('localMidnight / periodStart', () => {
  it('gives the instant of local midnight on any day', () => {
    expect(localMidnight('UTC', 2026, 11, 1)).toEqual(d('2026-11-01T00:00:00Z'));
    expect(localMidnight('Europe/Paris', 2026, 12)).toEqual(d('2026-11-30T23:00:00Z'));
    // The day of the spring change (02:00 -> 03:00): midnight is still CET (UTC+1)
    expect(localMidnight('Europe/Paris', 2027, 3, 28)).toEqual(d('2027-03-27T23:00:00Z'));
    // The day after: CEST (UTC+2)
    expect(localMidnight('Europe/Paris', 2027, 3, 29)).toEqual(d('2027-03-28T22:00:00Z'));
    expect(localMidnight('Asia/Kolkata', 2027, 1, 1)).toEqual(d('2026-12-31T18:30:00Z'));
    expect(localMidnight('Asia/Kathmandu', 2027, 1, 1)).toEqual(d('2026-12-31T18:15:00Z'));
    // Chatham Islands, summer time UTC+13:45: 1 Jan 2027 00:00 = 2026-12-31T10:15Z
    expect(localMidnight('Pacific/Chatham', 2027, 1, 1)).toEqual(d('2026-12-31T10:15:00Z'));
  });

  it('periodStart is the first instant of the named month in the zone', () => {
    expect(periodStart('2026-12', 'Europe/Paris')).toEqual(d('2026-11-30T23:00:00Z'));
    expect(periodStart('2027-04', 'Europe/Paris')).toEqual(d('2027-03-31T22:00:00Z'));
    expect(periodStart('2027-01', 'America/Los_Angeles')).toEqual(d('2027-01-01T08:00:00Z'));
    expect(periodStart('2026-12', 'Asia/Kolkata')).toEqual(d('2026-11-30T18:30:00Z'));
  });
});

describe('period names', () => {
  it('parsePeriod and nextPeriod', () => {
    expect(parsePeriod('2026-11')).toEqual({ year: 2026, month: 11 });
    expect(parsePeriod('2027-01')).toEqual({ year: 2027, month: 1 });
    expect(nextPeriod('2026-11')).toBe('2026-12');
    expect(nextPeriod('2026-12')).toBe('2027-01');
    expect(nextPeriod('2027-09')).toBe('2027-10');
    expect(nextPeriod('2027-01')).toBe('2027-02');
  });

  it('canonicalTimeZone normalises case and aliases, and refuses what is not a zone', () => {
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('Etc/UTC')).toBe('UTC');
    expect(canonicalTimeZone('US/Pacific')).toBe('America/Los_Angeles');
    expect(canonicalTimeZone('US/Pacific-New')).toBe('America/Los_Angeles');
    for (const bad of ['Mars/Olympus_Mons', 'Europe/Paris\u0000', '../../etc/passwd', '+01:00', '', 'x'.repeat(65)]) expect(canonicalTimeZone(bad), bad).toBeNull();
  });

  it('isValidTimeZone accepts IANA names and rejects others', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Asia/Kolkata')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('Europe/Pariss')).toBe(false);
    expect(isValidTimeZone('not a zone')).toBe(false);
  });
});

describe('the included-allowance window', () => {
  const started = d('2026-11-27T09:00:00Z');
  const win: AllowanceWindow = { startedAt: started, usedNanos: 4_000_000_000n };
  const FIVE_HOURS = 300;

  it('stays in force until its length has passed', () => {
    expect(currentWindow(win, FIVE_HOURS, started)).toEqual(win);
    expect(currentWindow(win, FIVE_HOURS, d('2026-11-27T13:59:59.999Z'))).toEqual(win);
  });

  it('expires exactly at start + length: a fresh, unused window follows', () => {
    expect(currentWindow(win, FIVE_HOURS, d('2026-11-27T14:00:00Z'))).toEqual({ startedAt: null, usedNanos: 0n });
    expect(currentWindow(win, FIVE_HOURS, d('2026-11-28T09:00:00Z'))).toEqual({ startedAt: null, usedNanos: 0n });
  });

  it('a window that never started is fresh', () => {
    expect(currentWindow({ startedAt: null, usedNanos: 0n }, FIVE_HOURS, started)).toEqual({ startedAt: null, usedNanos: 0n });
  });

  it('the window length is per configuration', () => {
    // a 90-minute window started at 09:00 runs out at 10:30
    expect(currentWindow(win, 90, d('2026-11-27T10:29:59Z'))).toEqual(win);
    expect(currentWindow(win, 90, d('2026-11-27T10:30:00Z'))).toEqual({ startedAt: null, usedNanos: 0n });
  });

  it('windowResetsAt is start + length, or null before the first request', () => {
    expect(windowResetsAt(win, FIVE_HOURS)).toEqual(d('2026-11-27T14:00:00Z'));
    expect(windowResetsAt(win, 90)).toEqual(d('2026-11-27T10:30:00Z'));
    // a window spanning the Paris DST change is measured in real hours, not wall-clock
    expect(windowResetsAt({ startedAt: d('2027-03-28T00:30:00Z'), usedNanos: 0n }, FIVE_HOURS)).toEqual(d('2027-03-28T05:30:00Z'));
    expect(windowResetsAt({ startedAt: null, usedNanos: 0n }, FIVE_HOURS)).toBeNull();
  });
});

// When a zone springs forward AT midnight on the 1st, local 00:00 does not exist
// and the month starts at 01:00 local; when it falls back at midnight, 00:00
// happens twice and the month starts at the first. No zone does either between
// 2026 and 2100 in Node 20's tzdata, but historical dates do (Paraguay 2000-10-01,
// Tunis 1978-10-01), and a government could adopt such a rule again.
describe('a zone whose clocks change at midnight on the 1st', () => {
  it('Asuncion 2000-10: the month starts at 2000-10-01T04:00Z (01:00 local), not 03:00Z (23:00 on 30 Sep)', () => {
    expect(periodOf(d('2000-10-01T03:59:59Z'), 'America/Asuncion')).toBe('2000-09');
    expect(periodOf(d('2000-10-01T04:00:00Z'), 'America/Asuncion')).toBe('2000-10');
    expect(localMidnight('America/Asuncion', 2000, 10, 1)).toEqual(d('2000-10-01T04:00:00Z'));
    expect(monthResetsAt(d('2000-09-15T12:00:00Z'), 'America/Asuncion')).toEqual(d('2000-10-01T04:00:00Z'));
  });

  it('Tunis 1978-10: midnight happens twice and the month starts at the first one (22:00Z)', () => {
    expect(localMidnight('Africa/Tunis', 1978, 10, 1)).toEqual(d('1978-09-30T22:00:00Z'));
    expect(periodOf(d('1978-09-30T21:59:59Z'), 'Africa/Tunis')).toBe('1978-09');
  });
});
