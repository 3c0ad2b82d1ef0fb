// How people read amounts and instants, in every alert, card, digest and email:
// one formatter for each, so Slack, Teams and email never disagree. Pure (no I/O).
import { formatUsd, parseUsd, roundToCents, type Nanos } from './money.js';

/** A ledger amount: nano-dollars, or the ledger's exact decimal string ("54.665"). */
export type Amount = Nanos | string;

const nanosOf = (amount: Amount): Nanos | null => (typeof amount === 'bigint' ? amount : parseUsd(amount.trim()));

const grouped = (whole: string) => whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function dollarsOf(decimal: string): string {
  const negative = decimal.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  return `${negative ? '-' : ''}$${grouped(whole)}.${frac.padEnd(2, '0')}`;
}

/** "$1,250.00": whole cents, rounded half away from zero (the ledger's one rounding rule). */
export function usdCents(amount: Amount): string {
  const nanos = nanosOf(amount);
  if (nanos === null) return `$${String(amount)}`;
  const rounded = roundToCents(nanos);
  return dollarsOf(formatUsd(rounded === 0n ? 0n : rounded));
}

/** Every digit the ledger holds: "$6.003". */
export function usdExact(amount: Amount): string {
  const nanos = nanosOf(amount);
  return nanos === null ? `$${String(amount)}` : dollarsOf(formatUsd(nanos));
}

/**
 * Cents, and the exact figure after it only when cents hide part of it (a spend next to
 * its limit): "$6.00 ($6.003 exactly)"; "$6.00" when it is exactly that.
 */
export function usdWithExact(amount: Amount): string {
  const shown = usdCents(amount);
  const exact = usdExact(amount);
  return exact === shown ? shown : `${shown} (${exact} exactly)`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * "1 Jan 2027, 00:00 (Europe/Paris)": an instant as the org reads it. Assembled from
 * parts, so ICU versions that punctuate dates differently give the same text.
 */
export function formatWhen(at: Date | string, timeZone = 'UTC'): string {
  const t = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(t.getTime())) return String(at);
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(t)) p[part.type] = part.value;
  return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} (${timeZone})`;
}

const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/** Every machine-readable instant in a text (an alert's "Resets" fact), as formatWhen reads it. */
export const localInstants = (text: string, timeZone: string | undefined): string => (timeZone ? text.replace(ISO_INSTANT, (m) => formatWhen(m, timeZone)) : text);
