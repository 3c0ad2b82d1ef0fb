// When the org's monthly cap is reached at the current rate. The rule: the rate is
// the month's extra spend so far divided by the time elapsed since the month began
// (in the org's timezone); the cap is reached when the rest of the cap is spent at
// that rate. Exact: nanos and milliseconds in bigint, the instant rounded up to the
// next whole millisecond (the cap is not reached before it).
import type { Nanos } from './money.js';

export type CapForecast =
  /** No cap on the month: nothing to reach. */
  | { kind: 'no_cap' }
  /** Already spent the cap (or more). */
  | { kind: 'reached' }
  /** Nothing spent yet: no rate to go on. */
  | { kind: 'no_spend' }
  /** At this rate the month ends first. */
  | { kind: 'not_this_month'; at: Date }
  /** At this rate the cap is reached at `at`, on `day` (YYYY-MM-DD in the zone). */
  | { kind: 'on'; at: Date; day: string };

export interface ForecastInput {
  spentNanos: Nanos;
  capNanos: Nanos | null;
  /** When the month began and when it ends (local midnights, as instants). */
  monthStart: Date;
  monthEnd: Date;
  now: Date;
  timeZone: string;
}

/** The local calendar day of an instant in a zone, YYYY-MM-DD. */
export function localDay(at: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export function forecastCapDay(i: ForecastInput): CapForecast {
  if (i.capNanos === null) return { kind: 'no_cap' };
  if (i.spentNanos >= i.capNanos) return { kind: 'reached' };
  const elapsed = BigInt(i.now.getTime() - i.monthStart.getTime());
  if (i.spentNanos <= 0n || elapsed <= 0n) return { kind: 'no_spend' };
  const remaining = i.capNanos - i.spentNanos;
  // remaining / (spent / elapsed), rounded up.
  const msToCap = (remaining * elapsed + i.spentNanos - 1n) / i.spentNanos;
  const atMs = BigInt(i.now.getTime()) + msToCap;
  // Beyond any Date (±8.64e15 ms) or past the month's end: not this month.
  if (atMs >= BigInt(i.monthEnd.getTime())) return { kind: 'not_this_month', at: i.monthEnd };
  const at = new Date(Number(atMs));
  return { kind: 'on', at, day: localDay(at, i.timeZone) };
}
