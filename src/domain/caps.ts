// The authorize decision and the included/extra split: the product's core rule
// ("check before, record after") as pure functions.
import { currentWindow, monthResetsAt, windowResetsAt, type AllowanceWindow } from './periods.js';

export type Plan = 'team' | 'enterprise';
export type SeatTier = 'standard' | 'premium';
export type ExtraUsageScope = 'all_members' | 'selected_members';

export type RefusalReason =
  | 'seat_limit_reached'
  | 'extra_usage_disabled'
  | 'member_cap_reached'
  | 'seat_tier_cap_reached'
  | 'org_cap_reached'
  | 'balance_exhausted'
  // Authorize only: the model has no price (and the org set no unknownModelFallback).
  | 'model_unpriced';

export interface MemberLimitsState {
  plan: Plan;
  timezone: string;
  orgExtraUsageEnabled: boolean;
  extraUsageScope: ExtraUsageScope;
  memberExtraUsageEnabled: boolean;
  allowanceNanos: bigint;
  windowMinutes: number;
  window: AllowanceWindow;
  /** Caps on month-to-date extra spend; null = unlimited. */
  memberCapNanos: bigint | null;
  tierCapNanos: bigint | null;
  orgCapNanos: bigint | null;
  /** Month-to-date extra spend in the month of the request. */
  memberSpendNanos: bigint;
  tierSpendNanos: bigint;
  orgSpendNanos: bigint;
  /** Team prepaid balance (ignored for enterprise). */
  balanceNanos: bigint;
}

export type AuthorizeDecision =
  | { allowed: true; mode: 'included' | 'extra' }
  | { allowed: false; reason: RefusalReason; resetsAt: Date | null; canRequestExtraUsage: boolean };

/** Whether extra usage is on for this member at all (before any cap). */
export function extraUsageAvailable(s: Pick<MemberLimitsState, 'orgExtraUsageEnabled' | 'extraUsageScope' | 'memberExtraUsageEnabled'>): boolean {
  return s.orgExtraUsageEnabled && (s.extraUsageScope === 'all_members' || s.memberExtraUsageEnabled);
}

/** Tier caps exist on seat-based Enterprise plans only. */
export function effectiveTierCap(plan: Plan, tierCapNanos: bigint | null): bigint | null {
  return plan === 'enterprise' ? tierCapNanos : null;
}

const reached = (spend: bigint, cap: bigint | null) => cap !== null && spend >= cap;

/**
 * May the member send one more request at `at`? Included usage first; then extra
 * usage, refused with the first limit that stops it (member, tier, org, balance).
 */
export function decideAuthorize(s: MemberLimitsState, at: Date): AuthorizeDecision {
  const window = currentWindow(s.window, s.windowMinutes, at);
  if (window.usedNanos < s.allowanceNanos) return { allowed: true, mode: 'included' };

  const seatResetsAt = windowResetsAt(window, s.windowMinutes);
  // Requests exist for seat-based Enterprise (the brief's flow); a refused member
  // there can ask admins for a premium seat or for extra usage.
  const canRequest = s.plan === 'enterprise';
  if (!s.orgExtraUsageEnabled) {
    return { allowed: false, reason: 'extra_usage_disabled', resetsAt: seatResetsAt, canRequestExtraUsage: canRequest };
  }
  if (!extraUsageAvailable(s)) {
    return { allowed: false, reason: 'seat_limit_reached', resetsAt: seatResetsAt, canRequestExtraUsage: canRequest };
  }
  const monthEnd = monthResetsAt(at, s.timezone);
  if (reached(s.memberSpendNanos, s.memberCapNanos)) {
    return { allowed: false, reason: 'member_cap_reached', resetsAt: monthEnd, canRequestExtraUsage: false };
  }
  if (reached(s.tierSpendNanos, effectiveTierCap(s.plan, s.tierCapNanos))) {
    return { allowed: false, reason: 'seat_tier_cap_reached', resetsAt: monthEnd, canRequestExtraUsage: false };
  }
  if (reached(s.orgSpendNanos, s.orgCapNanos)) {
    return { allowed: false, reason: 'org_cap_reached', resetsAt: monthEnd, canRequestExtraUsage: false };
  }
  if (s.plan === 'team' && s.balanceNanos <= 0n) {
    return { allowed: false, reason: 'balance_exhausted', resetsAt: null, canRequestExtraUsage: false };
  }
  return { allowed: true, mode: 'extra' };
}

export interface CostSplit {
  includedNanos: bigint;
  extraNanos: bigint;
  window: AllowanceWindow;
}

/**
 * Splits a recorded cost into the part the seat's allowance covers and the extra
 * part. A window starts with the first request after the last one ran out. When
 * extra usage is off for the member, what one request runs past the allowance is
 * absorbed as included: the org is never billed for extra usage it did not turn on.
 */
export function splitCost(costNanos: bigint, window: AllowanceWindow, allowanceNanos: bigint, windowMinutes: number, at: Date, extraAvailable: boolean): CostSplit {
  const current = currentWindow(window, windowMinutes, at);
  const startedAt = current.startedAt ?? at;
  const remaining = allowanceNanos > current.usedNanos ? allowanceNanos - current.usedNanos : 0n;
  const includedNanos = extraAvailable ? (costNanos < remaining ? costNanos : remaining) : costNanos;
  return {
    includedNanos,
    extraNanos: costNanos - includedNanos,
    window: { startedAt, usedNanos: current.usedNanos + includedNanos },
  };
}
