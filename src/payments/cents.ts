// Stripe charges in whole cents (an integer); our amounts are nano-dollars. Pure.
import { formatUsd, NANOS_PER_CENT } from '../domain/money.js';

/** Stripe's largest amount for one USD payment: $999,999.99. */
export const STRIPE_MAX_CENTS = 99_999_999;

/** Why `nanos` cannot be one Stripe payment, or null when it can. */
export function centsProblem(nanos: bigint): string | null {
  if (nanos <= 0n) return 'must be more than zero';
  if (nanos % NANOS_PER_CENT !== 0n) return `${formatUsd(nanos)} is not a whole number of cents; card payments are in cents`;
  if (nanos / NANOS_PER_CENT > BigInt(STRIPE_MAX_CENTS)) return `${formatUsd(nanos)} is more than one card payment may be ($999,999.99)`;
  return null;
}

/** The amount in cents; throws when centsProblem() has one. */
export function centsOf(nanos: bigint): number {
  const problem = centsProblem(nanos);
  if (problem) throw new RangeError(problem);
  return Number(nanos / NANOS_PER_CENT);
}

export const nanosOfCents = (cents: number) => BigInt(cents) * NANOS_PER_CENT;
