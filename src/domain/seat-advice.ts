// Seat advice: would a member cost less on the other seat tier? The rule, exact in
// nanos: a tier's cost over the months looked at = its seat price × the months +
// the extra usage that seat would have incurred. That extra is found by replaying
// the member's priced usage, oldest first, through the tier's included allowance
// exactly as the ledger splits a recorded cost (splitCost: a window opens with the
// first request after the last one ran out; what the window's allowance does not
// cover is extra), with extra usage available. Advice is given only when the other
// tier's cost is strictly lower; the saving a month is the total saving divided by
// the months, rounded to whole cents (half away from zero) for people.
import { splitCost, type SeatTier } from './caps.js';
import { NANOS_PER_CENT, type Nanos } from './money.js';
import type { AllowanceWindow } from './periods.js';

export interface TierAllowance {
  includedAllowanceNanos: Nanos;
  windowMinutes: number;
}

export interface UsageCost {
  at: Date;
  costNanos: Nanos;
}

/** The extra usage a seat with this allowance would have incurred for these costs (in time order). */
export function replayExtra(usage: readonly UsageCost[], tier: TierAllowance): { includedNanos: Nanos; extraNanos: Nanos } {
  let window: AllowanceWindow = { startedAt: null, usedNanos: 0n };
  let included = 0n;
  let extra = 0n;
  for (const u of usage) {
    const split = splitCost(u.costNanos, window, tier.includedAllowanceNanos, tier.windowMinutes, u.at, true);
    window = split.window;
    included += split.includedNanos;
    extra += split.extraNanos;
  }
  return { includedNanos: included, extraNanos: extra };
}

export interface TierCost {
  tier: SeatTier;
  /** Seat price × months. */
  seatNanos: Nanos;
  extraNanos: Nanos;
  totalNanos: Nanos;
}

export interface SeatAdvice {
  current: TierCost;
  other: TierCost;
  /** True when the other tier costs strictly less. */
  move: boolean;
  /** current.total − other.total over the months (negative: the other tier costs more). */
  savingNanos: Nanos;
  /** The saving a month, rounded to whole cents. */
  savingPerMonthNanos: Nanos;
}

export const otherTier = (t: SeatTier): SeatTier => (t === 'standard' ? 'premium' : 'standard');

export function adviseSeat(input: {
  currentTier: SeatTier;
  months: number;
  prices: Record<SeatTier, Nanos>;
  tiers: Record<SeatTier, TierAllowance>;
  /** The member's priced usage over the months, oldest first. */
  usage: readonly UsageCost[];
}): SeatAdvice {
  const extra = { standard: replayExtra(input.usage, input.tiers.standard).extraNanos, premium: replayExtra(input.usage, input.tiers.premium).extraNanos };
  return adviseFromExtra({ currentTier: input.currentTier, months: input.months, prices: input.prices, extra });
}

/** The same rule from each tier's replayed extra usage (replayExtra) over the months. */
export function adviseFromExtra(input: { currentTier: SeatTier; months: number; prices: Record<SeatTier, Nanos>; extra: Record<SeatTier, Nanos> }): SeatAdvice {
  const months = BigInt(input.months);
  const costOf = (tier: SeatTier): TierCost => {
    const seatNanos = input.prices[tier] * months;
    const extraNanos = input.extra[tier];
    return { tier, seatNanos, extraNanos, totalNanos: seatNanos + extraNanos };
  };
  const current = costOf(input.currentTier);
  const other = costOf(otherTier(input.currentTier));
  const savingNanos = current.totalNanos - other.totalNanos;
  // The exact quotient saving / months rounded once, straight to whole cents.
  const savingPerMonthNanos = divRound(savingNanos, months * NANOS_PER_CENT) * NANOS_PER_CENT;
  return { current, other, move: savingNanos > 0n, savingNanos, savingPerMonthNanos };
}

/** a / b to the nearest integer, half away from zero (b > 0). */
function divRound(a: bigint, b: bigint): bigint {
  const neg = a < 0n;
  const abs = neg ? -a : a;
  const q = (abs * 2n + b) / (2n * b);
  return neg ? -q : q;
}
