// Anthropic's Admin API states money as decimal strings in the minor unit of the org's
// billing currency (cents for USD): limits as whole numbers ("7500" = $75.00), spend
// with up to three decimals ("12050.5"). Converted exactly to and from our nano-dollars.
import { NANOS_PER_CENT, type Nanos } from './money.js';

const MINOR = /^(\d{1,15})(?:\.(\d{1,3}))?$/;

/** "12050.5" (cents) → nano-dollars; null when it is not such a string. */
export function minorToNanos(text: string): Nanos | null {
  const m = MINOR.exec(text);
  if (!m) return null;
  const [, whole, frac = ''] = m;
  // One cent is 10,000,000 nanos; a thousandth of a cent is 10,000.
  return BigInt(whole!) * NANOS_PER_CENT + BigInt(frac.padEnd(3, '0')) * 10_000n;
}

/** Whole cents as the Admin API writes a limit ("7500"); null when `nanos` is not whole cents. */
export function nanosToWholeMinor(nanos: Nanos): string | null {
  if (nanos < 0n || nanos % NANOS_PER_CENT !== 0n) return null;
  return (nanos / NANOS_PER_CENT).toString();
}

export type LimitPeriod = 'daily' | 'weekly' | 'monthly';
export const LIMIT_PERIODS: readonly LimitPeriod[] = ['daily', 'weekly', 'monthly'];
export const isLimitPeriod = (v: unknown): v is LimitPeriod => typeof v === 'string' && (LIMIT_PERIODS as readonly string[]).includes(v);

const DOLLAR = 100n * NANOS_PER_CENT;

/**
 * The amount "Increase limit" is pre-filled with: half as much again as the limit the
 * member hit (or as they spent, with no limit), rounded up to whole dollars, at least $1.
 */
export function suggestedLimit(limitNanos: Nanos | null, spentNanos: Nanos | null): Nanos {
  const base = limitNanos ?? spentNanos ?? 0n;
  const raised = base + base / 2n;
  const dollars = (raised + DOLLAR - 1n) / DOLLAR;
  return (dollars < 1n ? 1n : dollars) * DOLLAR;
}
