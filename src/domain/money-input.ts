// What people type into a money field, read exactly (never through a float): "1500",
// "1,500", "$1,500.00" and " $ 12.5 " all name an amount; the answer is the plain
// decimal the ledger's field rules take ("1500", "1500.00", "12.5"). Pure (no I/O).
import { parseUsd, type Nanos } from './money.js';

// Digits grouped by commas in threes ("1,500", "12,345,678"), or not grouped at all; at most 2 decimals.
const TYPED = /^\$?\s*((?:\d{1,3}(?:,\d{3})+)|\d+)(?:\.(\d{1,2}))?$/;

/**
 * The plain decimal an amount typed by a person names, or null when it is not one: a
 * leading "$", thousands separators and leading zeros go; a sign, letters, a comma out
 * of place ("1,50") or more than 2 decimals make it no amount.
 */
export function moneyInput(typed: string): string | null {
  const m = TYPED.exec(typed.trim().replace(/^US\$/i, '$').replace(/\s*USD$/i, ''));
  if (!m) return null;
  const whole = m[1]!.replace(/,/g, '').replace(/^0+(?=\d)/, '');
  return m[2] === undefined ? whole : `${whole}.${m[2]}`;
}

/** The amount typed, in nano-dollars; null when it is not an amount. */
export function moneyInputNanos(typed: string): Nanos | null {
  const plain = moneyInput(typed);
  return plain === null ? null : parseUsd(plain, 2);
}

/** A form's money field as the ledger's rules read it: an amount normalised, anything else left as typed (so the rule names it). */
export const normalisedMoney = (typed: string | undefined): string | undefined => (typed === undefined ? undefined : (moneyInput(typed) ?? typed));
