// Domain events the ledger emits when a recorded request crosses a limit. Each is
// derived from the values just before and just after the change, so a crossing is
// reported exactly once however many requests race for it.
import type { SeatTier } from './caps.js';

/** The percentages of the org cap and of a tier cap owners are told of, unless they choose others (GET /v1/settings/notices). */
export const ORG_CAP_THRESHOLDS = [50, 80, 100] as const;
export const TIER_CAP_THRESHOLDS = [50, 80, 100] as const;

export type DomainEvent =
  | { type: 'seat_limit_reached'; memberId: string; resetsAt: string | null }
  | { type: 'member_cap_reached'; memberId: string; period: string; capNanos: string; spendNanos: string }
  // A member's extra usage on one product reached their cap on it (docs/api.md "Products").
  | { type: 'product_cap_reached'; memberId: string; product: string; period: string; capNanos: string; spendNanos: string }
  // percent: the owners' threshold crossed; absent (events written before thresholds) or 100: the cap itself.
  | { type: 'tier_cap_reached'; tier: SeatTier; period: string; capNanos: string; spendNanos: string; percent?: number }
  | { type: 'org_cap_threshold'; percent: number; period: string; capNanos: string; spendNanos: string }
  | { type: 'balance_below_threshold'; thresholdNanos: string; balanceNanos: string }
  // Reservation mode: a record cost more than its hold, so the caps were not protected
  // by the estimate (a gateway sending low estimates is found from these).
  | { type: 'reservation_exceeded'; memberId: string; requestId: string; period: string; heldNanos: string; costNanos: string; excessNanos: string }
  // Usage that arrived without a price (its model has none at its time): kept, counted
  // nowhere until a price for it exists; the operator is told (GET /v1/operator/usage/unpriced).
  | { type: 'usage_unpriced'; memberId: string; requestId: string; model: string; family: string; period: string; reason: string }
  // Settings changes the workflows react to (cancel open requests, re-plan schedules).
  // A connected org (docs/claude.md): a member's spend crossed an owners' threshold of their effective limit at Anthropic.
  | { type: 'claude_limit_threshold'; memberId: string; period: string; window: number; percent: number; limitNanos: string; spendNanos: string; source: string }
  | { type: 'member_removed'; memberId: string }
  | { type: 'member_extra_usage_enabled'; memberId: string }
  | { type: 'org_extra_usage_enabled' }
  // An owner changed a cap or who gets extra usage: open raise requests it made moot are closed.
  | { type: 'limits_changed' }
  | { type: 'org_provisioned' }
  /** The org disconnected from Claude: its requests from Claude still pending here are no longer tracked. */
  | { type: 'anthropic_disconnected' };

const crossed = (before: bigint, after: bigint, limit: bigint) => before < limit && after >= limit;
/** spend >= cap * p / 100, kept in integers: spend * 100 >= cap * p */
const crossedPercent = (before: bigint, after: bigint, cap: bigint, percent: number) => crossed(before * 100n, after * 100n, cap * BigInt(percent));

export interface Crossings {
  memberId: string;
  tier: SeatTier;
  period: string;
  seat: { before: bigint; after: bigint; allowance: bigint; resetsAt: Date | null };
  member: { before: bigint; after: bigint; cap: bigint | null };
  /** percents: the owners' thresholds (sorted; default TIER_CAP_THRESHOLDS / ORG_CAP_THRESHOLDS). */
  tierSpend: { before: bigint; after: bigint; cap: bigint | null; percents?: readonly number[] };
  org: { before: bigint; after: bigint; cap: bigint | null; percents?: readonly number[] };
  /** The member's extra on the product the request named, when it named one. */
  product?: { name: string; before: bigint; after: bigint; cap: bigint | null } | null;
  /** Team only; threshold null when auto-reload is off. */
  balance: { before: bigint; after: bigint; threshold: bigint | null } | null;
}

export function eventsFor(c: Crossings): DomainEvent[] {
  const out: DomainEvent[] = [];
  if (c.seat.allowance > 0n && crossed(c.seat.before, c.seat.after, c.seat.allowance)) {
    out.push({ type: 'seat_limit_reached', memberId: c.memberId, resetsAt: c.seat.resetsAt?.toISOString() ?? null });
  }
  // A cap of 0 (the product off) is never "reached" by a record: nothing extra is counted on it.
  if (c.product && c.product.cap !== null && c.product.cap > 0n && crossed(c.product.before, c.product.after, c.product.cap)) {
    out.push({ type: 'product_cap_reached', memberId: c.memberId, product: c.product.name, period: c.period, capNanos: String(c.product.cap), spendNanos: String(c.product.after) });
  }
  if (c.member.cap !== null && crossed(c.member.before, c.member.after, c.member.cap)) {
    out.push({ type: 'member_cap_reached', memberId: c.memberId, period: c.period, capNanos: String(c.member.cap), spendNanos: String(c.member.after) });
  }
  const t = c.tierSpend;
  if (t.cap !== null && t.cap > 0n) {
    for (const percent of t.percents ?? TIER_CAP_THRESHOLDS) {
      if (crossedPercent(t.before, t.after, t.cap, percent)) {
        out.push({ type: 'tier_cap_reached', tier: c.tier, period: c.period, capNanos: String(t.cap), spendNanos: String(t.after), percent });
      }
    }
  }
  if (c.org.cap !== null && c.org.cap > 0n) {
    for (const percent of c.org.percents ?? ORG_CAP_THRESHOLDS) {
      if (crossedPercent(c.org.before, c.org.after, c.org.cap, percent)) {
        out.push({ type: 'org_cap_threshold', percent, period: c.period, capNanos: String(c.org.cap), spendNanos: String(c.org.after) });
      }
    }
  }
  const b = c.balance;
  if (b && b.threshold !== null && b.before > b.threshold && b.after <= b.threshold) {
    out.push({ type: 'balance_below_threshold', thresholdNanos: String(b.threshold), balanceNanos: String(b.after) });
  }
  return out;
}
