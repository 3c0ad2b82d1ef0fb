// How amounts, seats and times read in a card.
// Amounts and instants through the one formatter shared with Slack and email (src/domain/display.ts).
import { formatWhen, usdCents, usdExact as exactOf, usdWithExact as withExact } from '../../../src/domain/display.js';

/** "1234.5" → "$1,234.50": every digit the ledger holds, grouped. */
export const usdExact = (amount: string): string => exactOf(amount);

/** "54.665" → "$54.67": cents, rounded half away from zero (the ledger's one rounding rule). */
export const usd = (amount: string): string => usdCents(amount);

/** Cents, with the exact figure after it when the ledger holds fractions of a cent: "$54.67 ($54.665 exactly)". */
export const usdWithExact = (amount: string): string => withExact(amount);

export const capText = (cap: string | null | undefined): string => (cap === null || cap === undefined ? 'Unlimited' : usd(cap));

export const seatName = (tier: 'standard' | 'premium'): string => (tier === 'premium' ? 'Premium' : 'Standard');

/** "1 Jan 2027, 00:00 (Europe/Paris)": the org's own time. */
export const when = (iso: string | Date, timeZone: string): string => formatWhen(iso, timeZone);

export const planName = (plan: 'team' | 'enterprise'): string => (plan === 'enterprise' ? 'Enterprise' : 'Team');
