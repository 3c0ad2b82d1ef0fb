// How amounts, seats and times read in a card.
import { localTime } from '../../../src/domain/alerts.js';

/** "1234.5" → "$1,234.50" (exact: the ledger's decimal string, never a float). */
export function usd(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${grouped}.${frac.padEnd(2, '0')}`;
}

export const capText = (cap: string | null | undefined): string => (cap === null || cap === undefined ? 'Unlimited' : usd(cap));

export const seatName = (tier: 'standard' | 'premium'): string => (tier === 'premium' ? 'Premium' : 'Standard');

/** "2026-12-01 00:00 (Europe/Paris)": the org's own time. */
export const when = (iso: string | Date, timeZone: string): string => localTime(typeof iso === 'string' ? new Date(iso) : iso, timeZone);

export const planName = (plan: 'team' | 'enterprise'): string => (plan === 'enterprise' ? 'Enterprise' : 'Team');
