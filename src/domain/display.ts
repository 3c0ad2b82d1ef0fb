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
  const day = formatDayTime(at, timeZone);
  return day === null ? String(at) : `${day} (${timeZone})`;
}

/** "1 Jan 2027, 00:00" in `timeZone`, for lists that say the zone once above them; null for an invalid instant. */
export function formatDayTime(at: Date | string, timeZone = 'UTC'): string | null {
  const t = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(t.getTime())) return null;
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(t)) p[part.type] = part.value;
  return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute}`;
}

const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/** Every machine-readable instant in a text (an alert's "Resets" fact), as formatWhen reads it. */
export const localInstants = (text: string, timeZone: string | undefined): string => (timeZone ? text.replace(ISO_INSTANT, (m) => formatWhen(m, timeZone)) : text);

/** "2026-11" → "November 2026": a calendar month as people name it. */
export function monthName(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) return period;
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'long', year: 'numeric' }).format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 15)));
}

/** A notice's fact as people read it: instants in the org's timezone, a month by its name. */
export const factText = (label: string, value: string, timeZone: string | undefined): string => (label === 'Month' ? monthName(value) : localInstants(value, timeZone));

const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** 300 → "5 hours", 90 → "1 hour 30 minutes", 1440 → "1 day": a window's length as people say it. */
export function durationWords(minutes: number): string {
  if (!Number.isFinite(minutes) || minutes <= 0) return unit(Math.max(0, Math.round(minutes)), 'minute');
  const m = Math.round(minutes);
  const days = Math.floor(m / 1440);
  const hours = Math.floor((m % 1440) / 60);
  const mins = m % 60;
  return [days ? unit(days, 'day') : '', hours ? unit(hours, 'hour') : '', mins ? unit(mins, 'minute') : ''].filter(Boolean).join(' ');
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** "1 Jan 2027": the day an instant falls on in `timeZone` (a pause's end, a month's reset). */
export function formatDay(at: Date | string, timeZone = 'UTC'): string {
  const t = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(t.getTime())) return String(at);
  let f = dayFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short', year: 'numeric' });
    dayFormatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(t)) p[part.type] = part.value;
  return `${p.day} ${p.month} ${p.year}`;
}

/** "Standard", "Premium": a seat tier, written one way everywhere. */
export const tierName = (tier: 'standard' | 'premium'): string => (tier === 'premium' ? 'Premium' : 'Standard');
