// Billing months and allowance windows. Months are calendar months in the org's
// billing timezone; a period is named "YYYY-MM".

const CANONICAL_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

/**
 * The canonical IANA name of a timezone, or null when it is not one: case and
 * aliases are normalised ("europe/paris" → "Europe/Paris", "utc" → "UTC",
 * "US/Pacific" → "America/Los_Angeles"). Only canonical names are stored, so
 * every consumer (Temporal Schedules included, whose server is case-sensitive and
 * may lack retired aliases) reads the same zone.
 */
export function canonicalTimeZone(tz: string): string | null {
  if (tz.length === 0 || tz.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(tz)) return null;
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    return CANONICAL_ZONES.has(name) ? name : null;
  } catch {
    return null;
  }
}

export function isValidTimeZone(tz: string): boolean {
  return canonicalTimeZone(tz) !== null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(tz: string, at: Date) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(at)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** Milliseconds the zone is ahead of UTC at that instant. */
function offsetMs(tz: string, at: Date): number {
  const p = partsIn(tz, at);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant at which the local wall-clock time in `tz` is the given date at midnight. */
export function localMidnight(tz: string, year: number, month1: number, day = 1): Date {
  const guess = Date.UTC(year, month1 - 1, day);
  let instant = guess - offsetMs(tz, new Date(guess));
  // A second pass settles the case where the offset differs at the candidate (DST).
  instant = guess - offsetMs(tz, new Date(instant));
  const p = partsIn(tz, new Date(instant));
  if (p.day !== day) {
    // Midnight was skipped (clocks jumped forward at 00:00): the day starts at the first instant after the gap.
    instant += ((24 - p.hour) * 3600 - p.minute * 60 - p.second) * 1000;
  } else {
    // Midnight happened twice (clocks went back at 00:00): the day starts at the first one.
    const hourEarlier = partsIn(tz, new Date(instant - 3_600_000));
    if (hourEarlier.day === day && hourEarlier.hour === 0 && hourEarlier.minute === 0) instant -= 3_600_000;
  }
  return new Date(instant);
}

// The hot path asks for the month of "now" thousands of times a second: remember the
// bounds of the last month seen per zone (a memo; the answer is the same).
const lastMonth = new Map<string, { period: string; from: number; to: number }>();

export function periodOf(at: Date, tz: string): string {
  const t = at.getTime();
  const hit = lastMonth.get(tz);
  if (hit && t >= hit.from && t < hit.to) return hit.period;
  const p = partsIn(tz, at);
  const period = `${p.year}-${String(p.month).padStart(2, '0')}`;
  lastMonth.set(tz, { period, from: periodStart(period, tz).getTime(), to: periodStart(nextPeriod(period), tz).getTime() });
  return period;
}

export function parsePeriod(period: string): { year: number; month: number } {
  const [y, m] = period.split('-').map(Number);
  return { year: y!, month: m! };
}

export function periodStart(period: string, tz: string): Date {
  const { year, month } = parsePeriod(period);
  return localMidnight(tz, year, month);
}

export function nextPeriod(period: string): string {
  const { year, month } = parsePeriod(period);
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
}

/** When month-to-date spend resets: the start of the next month in the org's timezone. */
export function monthResetsAt(at: Date, tz: string): Date {
  return periodStart(nextPeriod(periodOf(at, tz)), tz);
}

export interface AllowanceWindow {
  startedAt: Date | null;
  usedNanos: bigint;
}

/** The window in force at `at`: the stored one, or a fresh one if it has run out. */
export function currentWindow(window: AllowanceWindow, windowMinutes: number, at: Date): AllowanceWindow {
  if (window.startedAt && at.getTime() < window.startedAt.getTime() + windowMinutes * 60_000) return window;
  return { startedAt: null, usedNanos: 0n };
}

export function windowResetsAt(window: AllowanceWindow, windowMinutes: number): Date | null {
  return window.startedAt ? new Date(window.startedAt.getTime() + windowMinutes * 60_000) : null;
}
