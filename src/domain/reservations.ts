// Reservation mode: an upper-bound estimate is held against the allowance and every
// cap before the request runs, so concurrent requests cannot take spend past a cap
// (the check-before/record-after rule can, by the requests in flight).
import { extraAccessRefusal, limitRefusal, spendLimits, type AuthorizeDecision, type MemberLimitsState } from './caps.js';
import type { DomainEvent } from './events.js';
import { formatUsd } from './money.js';
import { currentWindow, windowResetsAt } from './periods.js';
import { priceExtras, selectPriceTier, type PriceModifierRow, type PriceTier } from './pricing.js';

/** What a gateway knows before the request: prompt size and the max_tokens it asked for. */
export interface UsageEstimate {
  /** Every prompt token: input plus any cache writes and reads. */
  input_tokens: number;
  max_tokens: number;
  /** At most this many web searches / fetches (the tools' max_uses). */
  web_search_requests?: number | null;
  web_fetch_requests?: number | null;
  /** The tier, geography and speed the request asks for (none: no multiplier). */
  service_tier?: string | null;
  inference_geo?: string | null;
  speed?: string | null;
}

/**
 * The most the request can cost: each prompt token at the dearest prompt rate (a 1-hour
 * cache write), max_tokens at the output rate, in the tier its prompt size selects;
 * times the multipliers of the tier, geography and speed it names, plus the fees of
 * the searches and fetches it may make. A fee or multiplier without a row adds nothing
 * (the record will be kept unpriced until it has one).
 */
export function estimateUpperBound(tiers: readonly PriceTier[], model: string, at: Date, e: UsageEstimate, modifiers: readonly PriceModifierRow[] = []): bigint | null {
  const tier = selectPriceTier(tiers, model, at, { input: e.input_tokens, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 });
  if (!tier) return null;
  const rates = [tier.inputNanosPerToken, tier.cacheWrite5mNanosPerToken, tier.cacheWrite1hNanosPerToken, tier.cacheReadNanosPerToken];
  const dearestPrompt = rates.reduce((a, b) => (a > b ? a : b));
  const tokens = BigInt(e.input_tokens) * dearestPrompt + BigInt(e.max_tokens) * tier.outputNanosPerToken;
  const total = priceExtras(tokens, {
    webSearchRequests: e.web_search_requests ?? 0, webFetchRequests: e.web_fetch_requests ?? 0,
    serviceTier: e.service_tier ?? null, inferenceGeo: e.inference_geo ?? null, speed: e.speed ?? null,
  }, modifiers, model, at);
  return total.priced ? total.cost : tokens;
}

export interface HeldState extends MemberLimitsState {
  /** Included allowance already held by this member's open reservations. */
  windowHeldNanos: bigint;
  memberReservedNanos: bigint;
  tierReservedNanos: bigint;
  orgReservedNanos: bigint;
  heldBalanceNanos: bigint;
  /** Held against the product cap by this member's open reservations on the product. */
  productReservedNanos?: bigint;
}

export type ReservationPlan =
  | { allowed: true; mode: 'included' | 'extra'; includedHold: bigint; extraHold: bigint }
  | Extract<AuthorizeDecision, { allowed: false }>;

const fits = (spent: bigint, reserved: bigint, hold: bigint, cap: bigint | null) => cap === null || spent + reserved + hold <= cap;

/**
 * Holds the estimate: first against the included allowance not yet used or held, the
 * rest as extra usage, which must fit under every cap together with what is already
 * spent and held. Refusals use the same reasons, in the same order, as check mode.
 */
export function planReservation(s: HeldState, at: Date, estimateNanos: bigint): ReservationPlan {
  const window = currentWindow(s.window, s.windowMinutes, at);
  const free = s.allowanceNanos - window.usedNanos - s.windowHeldNanos;
  const includedHold = free > 0n ? (estimateNanos < free ? estimateNanos : free) : 0n;
  const extraHold = estimateNanos - includedHold;
  if (extraHold === 0n) return { allowed: true, mode: 'included', includedHold, extraHold };

  const seatResetsAt = windowResetsAt(window, s.windowMinutes);
  const access = extraAccessRefusal(s, seatResetsAt);
  if (access) {
    // Without extra usage (at all, or on this product) nothing can be billed past the
    // seat: what the request runs over is absorbed as included (as in check mode), so
    // some allowance left is enough.
    if (includedHold > 0n) return { allowed: true, mode: 'included', includedHold, extraHold: 0n };
    return access;
  }
  // The same limits, in the same order (CAP_ORDER), as check mode.
  const reserved = { product: s.productReservedNanos ?? 0n, member: s.memberReservedNanos, tier: s.tierReservedNanos, org: s.orgReservedNanos, balance: s.heldBalanceNanos };
  for (const l of spendLimits(s, reserved)) {
    // Included usage comes back with the window only once none is left now (with some left, a smaller request fits).
    if (!fits(l.spentNanos, l.reservedNanos, extraHold, l.capNanos)) return limitRefusal(l, at, s.timezone, extraHold, includedHold === 0n ? seatResetsAt : null);
  }
  return { allowed: true, mode: 'extra', includedHold, extraHold };
}

/** A settled record that cost more than its hold: what was held and what ran past it. */
export interface OverHold {
  heldNanos: bigint;
  costNanos: bigint;
  excessNanos: bigint;
}

/**
 * The excess of a record over its hold, or null when the hold covered it. The record is
 * counted in full either way (usage that happened is never refused); the excess is
 * reported so a gateway sending low estimates is noticed.
 */
export function overHoldOf(heldNanos: bigint, costNanos: bigint): OverHold | null {
  return costNanos > heldNanos ? { heldNanos, costNanos, excessNanos: costNanos - heldNanos } : null;
}

/** The record response's flag: decimal strings, as every amount at the API edge. */
export const overHoldFlag = (o: OverHold) => ({ held: formatUsd(o.heldNanos), excess: formatUsd(o.excessNanos) });

export function reservationExceeded(memberId: string, requestId: string, period: string, o: OverHold): DomainEvent {
  return { type: 'reservation_exceeded', memberId, requestId, period, heldNanos: String(o.heldNanos), costNanos: String(o.costNanos), excessNanos: String(o.excessNanos) };
}
