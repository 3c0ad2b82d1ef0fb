// What people type into a money field, read exactly (never through a float): "1500",
// "1,500", "$1,500.00" and " $ 12.5 " all name an amount; the answer is the plain
// decimal the ledger's field rules take ("1500", "1500.00", "12.5"). Pure (no I/O).
import { MAX_AMOUNT_NANOS, parseUsd, type Nanos } from './money.js';
import { usdCents } from './display.js';

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

export type AmountInput = { ok: true; nanos: Nanos } | { ok: false; message: string };

/** A typed amount in nano-dollars, or why not in words (the console's balance forms); `positive` refuses zero. */
export function readAmount(typed: string, opts: { positive?: boolean } = {}): AmountInput {
  const t = typed.trim().replace(/\s*dollars?$/i, '');
  if (t.startsWith('-')) return { ok: false, message: 'Enter an amount of zero or more (no minus sign).' };
  const plain = moneyInput(t);
  if (plain === null) {
    if (/\.\d{3,}$/.test(t)) return { ok: false, message: 'Enter the amount in whole cents: at most 2 digits after the point (such as 12.50).' };
    return { ok: false, message: `"${t.slice(0, 30)}" is not an amount in dollars: enter one such as 50, 12.50 or $1,500.00.` };
  }
  const nanos = plain.split('.')[0]!.length > 12 ? null : parseUsd(plain);
  if (nanos === null || nanos > MAX_AMOUNT_NANOS) return { ok: false, message: `Enter at most ${usdCents(MAX_AMOUNT_NANOS)}.` };
  if (opts.positive && nanos === 0n) return { ok: false, message: 'Enter an amount of more than $0.00, such as 50.' };
  return { ok: true, nanos };
}
