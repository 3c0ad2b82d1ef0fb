// A dollar amount as a person types it into a form ("1,500", "$1,500.00", "1500",
// " 12.5 "), turned into the ledger's exact string ("1500.00"), or a refusal in words.
// Pure: the console's forms use it; the API keeps its strict decimal strings.
import { MAX_AMOUNT_NANOS, parseUsd, type Nanos } from './money.js';
import { usdCents } from './display.js';

export type AmountInput = { ok: true; nanos: Nanos } | { ok: false; message: string };

// Digits grouped by commas in threes ("1,500,000") or not at all; at most 2 decimals.
const TYPED = /^\$?\s*((?:\d{1,3}(?:,\d{3})+)|\d+)(?:\.(\d*))?$/;

/** Reads a typed amount in dollars; `positive` refuses zero. */
export function readAmount(typed: string, opts: { positive?: boolean } = {}): AmountInput {
  const t = typed.trim().replace(/^US\s*/i, '').replace(/\s*(USD|dollars?)$/i, '');
  if (t.startsWith('-')) return { ok: false, message: 'Enter an amount of zero or more (no minus sign).' };
  const m = TYPED.exec(t);
  if (!m) return { ok: false, message: `"${typed.trim().slice(0, 30)}" is not an amount in dollars: enter one such as 50, 12.50 or $1,500.00.` };
  const whole = m[1]!.replace(/,/g, '').replace(/^0+(?=\d)/, '');
  const cents = m[2] ?? '';
  if (cents.length > 2) return { ok: false, message: 'Enter the amount in whole cents: at most 2 digits after the point (such as 12.50).' };
  if (whole.length > 12) return { ok: false, message: `Enter at most ${usdCents(MAX_AMOUNT_NANOS)}.` };
  const nanos = parseUsd(cents ? `${whole}.${cents}` : whole);
  if (nanos === null) return { ok: false, message: 'Enter an amount in dollars, such as 50 or 12.50.' };
  if (nanos > MAX_AMOUNT_NANOS) return { ok: false, message: `Enter at most ${usdCents(MAX_AMOUNT_NANOS)}.` };
  if (opts.positive && nanos === 0n) return { ok: false, message: 'Enter an amount of more than $0.00, such as 50.' };
  return { ok: true, nanos };
}

