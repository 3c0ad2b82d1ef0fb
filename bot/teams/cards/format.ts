// How amounts, seats and times read in a card.
import { localTime } from '../../../src/domain/alerts.js';
import { formatUsd, parseUsd, roundToCents } from '../../../src/domain/money.js';

/** "1234.5" → "$1,234.50": every digit of the ledger's decimal string, grouped (never a float). */
export function usdExact(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${grouped}.${frac.padEnd(2, '0')}`;
}

/** "54.665" → "$54.67": cents, rounded half away from zero (the ledger's one rounding rule). */
export function usd(amount: string): string {
  const nanos = parseUsd(amount);
  if (nanos === null) return usdExact(amount);
  const cents = formatUsd(roundToCents(nanos));
  const [whole = '0', frac = ''] = cents.split('.');
  return usdExact(`${whole}.${frac.padEnd(2, '0').slice(0, 2)}`);
}

/** Cents, with the exact figure after it when the ledger holds fractions of a cent: "$54.67 (exactly $54.665)". */
export function usdWithExact(amount: string): string {
  const shown = usd(amount);
  const exact = usdExact(amount);
  return exact === shown ? shown : `${shown} (exactly ${exact})`;
}

export const capText = (cap: string | null | undefined): string => (cap === null || cap === undefined ? 'Unlimited' : usd(cap));

export const seatName = (tier: 'standard' | 'premium'): string => (tier === 'premium' ? 'Premium' : 'Standard');

/** "2026-12-01 00:00 (Europe/Paris)": the org's own time. */
export const when = (iso: string | Date, timeZone: string): string => localTime(typeof iso === 'string' ? new Date(iso) : iso, timeZone);

export const planName = (plan: 'team' | 'enterprise'): string => (plan === 'enterprise' ? 'Enterprise' : 'Team');
