// The authorize decision and the included/extra split: the product's core rule
// ("check before, record after") as pure functions.
import { currentWindow, monthResetsAt, windowResetsAt, type AllowanceWindow } from './periods.js';

export type Plan = 'team' | 'enterprise';
export type SeatTier = 'standard' | 'premium';
export type ExtraUsageScope = 'all_members' | 'selected_members';

export type RefusalReason =
  | 'seat_limit_reached'
  | 'extra_usage_disabled'
  // The member chose not to continue on extra usage when their seat's included usage runs out.
  | 'continue_on_extra_usage_off'
  | 'product_not_enabled'
  | 'product_cap_reached'
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
  /**
   * The member's choice (else the org's default) to continue on extra usage once their
   * seat's included usage runs out. Absent: true (as before the choice existed).
   */
  continueOnExtraUsage?: boolean;
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
  /**
   * The product the request names: the member's monthly cap of extra usage on it (their
   * own, else the product's default; 0 = off) and their month-to-date extra on it.
   * Absent or null: no product cap applies (no product named, or none set).
   */
  productCapNanos?: bigint | null;
  productSpendNanos?: bigint;
}

/**
 * THE cap order: the one list of limits, first to last, that authorize (check mode),
 * reservation holds and docs/api.md ("reason is the first limit that stops the
 * member") all follow. The first three and product_not_enabled say whether this member
 * may go on as extra usage at all (on this product); the rest are amounts, checked by
 * spendLimits in this same order. model_unpriced comes before all of them (authorize only).
 */
export const CAP_ORDER = [
  'extra_usage_disabled',
  'seat_limit_reached',
  'continue_on_extra_usage_off',
  'product_not_enabled',
  'product_cap_reached',
  'member_cap_reached',
  'seat_tier_cap_reached',
  'org_cap_reached',
  'balance_exhausted',
] as const satisfies readonly RefusalReason[];

/** One amount limit: month-to-date spend (and what open holds take of it) against a cap. */
export interface SpendLimit {
  reason: 'product_cap_reached' | 'member_cap_reached' | 'seat_tier_cap_reached' | 'org_cap_reached' | 'balance_exhausted';
  spentNanos: bigint;
  /** Held by open reservations (0 in check mode, where the state already counts holds as spent). */
  reservedNanos: bigint;
  /** null: no limit. */
  capNanos: bigint | null;
  /** When it lifts: the month's end, or never by itself (a balance is topped up). */
  resets: 'month' | 'topped_up';
}

/** What open reservations hold against each limit, kept apart from spend (reservation mode). */
export interface Reserved {
  product: bigint;
  member: bigint;
  tier: bigint;
  org: bigint;
  balance: bigint;
}

const NOTHING_RESERVED: Reserved = { product: 0n, member: 0n, tier: 0n, org: 0n, balance: 0n };

/** The amount limits in CAP_ORDER (a team's balance is a limit whose cap is the balance). */
export function spendLimits(s: MemberLimitsState, reserved: Reserved = NOTHING_RESERVED): SpendLimit[] {
  const month = 'month' as const;
  const limits: SpendLimit[] = [
    { reason: 'product_cap_reached', spentNanos: s.productSpendNanos ?? 0n, reservedNanos: reserved.product, capNanos: s.productCapNanos ?? null, resets: month },
    { reason: 'member_cap_reached', spentNanos: s.memberSpendNanos, reservedNanos: reserved.member, capNanos: s.memberCapNanos, resets: month },
    { reason: 'seat_tier_cap_reached', spentNanos: s.tierSpendNanos, reservedNanos: reserved.tier, capNanos: effectiveTierCap(s.plan, s.tierCapNanos), resets: month },
    { reason: 'org_cap_reached', spentNanos: s.orgSpendNanos, reservedNanos: reserved.org, capNanos: s.orgCapNanos, resets: month },
  ];
  if (s.plan === 'team') limits.push({ reason: 'balance_exhausted', spentNanos: 0n, reservedNanos: reserved.balance, capNanos: s.balanceNanos, resets: 'topped_up' });
  return limits;
}

/** A product cap of zero: this member may not go on as extra usage on this product. */
export const productOff = (s: Pick<MemberLimitsState, 'productCapNanos'>) => s.productCapNanos === 0n;

/**
 * The access steps of CAP_ORDER (may this member go on as extra usage at all, on this
 * product?): the refusal, or null when they may. `resetsAt` is the seat window's end,
 * when included usage comes back.
 */
export function extraAccessRefusal(s: MemberLimitsState, seatResetsAt: Date | null): Extract<AuthorizeDecision, { allowed: false }> | null {
  // Requests exist for seat-based Enterprise (the brief's flow); a refused member
  // there can ask admins for a premium seat or for extra usage.
  const canRequest = s.plan === 'enterprise';
  if (!s.orgExtraUsageEnabled) return { allowed: false, reason: 'extra_usage_disabled', resetsAt: seatResetsAt, canRequestExtraUsage: canRequest };
  if (!extraUsageAvailable(s)) return { allowed: false, reason: 'seat_limit_reached', resetsAt: seatResetsAt, canRequestExtraUsage: canRequest };
  // Extra usage is there for them, but they chose to stop: one step of theirs turns it back on, nobody to ask.
  if (s.continueOnExtraUsage === false) return { allowed: false, reason: 'continue_on_extra_usage_off', resetsAt: seatResetsAt, canRequestExtraUsage: false };
  if (productOff(s)) return { allowed: false, reason: 'product_not_enabled', resetsAt: seatResetsAt, canRequestExtraUsage: false };
  return null;
}

/** The refusal of an amount limit reached, with when it lifts. */
export function limitRefusal(l: SpendLimit, at: Date, timezone: string, requestNanos?: bigint, includedBackAt: Date | null = null): Extract<AuthorizeDecision, { allowed: false }> {
  // The amounts go with it, so the refusal can say them (src/domain/refusal-words.ts).
  // Reservation mode: the hold this request needed, which may not fit although the limit is not reached.
  const limit = { capNanos: l.capNanos ?? 0n, spentNanos: l.spentNanos + l.reservedNanos, ...(requestNanos === undefined ? {} : { requestNanos }) };
  return { allowed: false, reason: l.reason, resetsAt: l.resets === 'month' ? monthResetsAt(at, timezone) : null, canRequestExtraUsage: false, limit, ...(includedBackAt ? { includedBackAt } : {}) };
}

export type AuthorizeDecision =
  | { allowed: true; mode: 'included' | 'extra' }
  | {
    allowed: false; reason: RefusalReason; resetsAt: Date | null; canRequestExtraUsage: boolean; limit?: RefusalLimit;
    /** An amount limit: when the seat's included usage comes back (the window's end), which lets them go on before the limit lifts. */
    includedBackAt?: Date;
  };

/** The amount limit a refusal reached: its cap (a Team's balance: what is left) and the spend (and holds) against it. */
export interface RefusalLimit { capNanos: bigint; spentNanos: bigint; requestNanos?: bigint }

/** Whether extra usage is on for this member at all (before any cap). */
export function extraUsageAvailable(s: Pick<MemberLimitsState, 'orgExtraUsageEnabled' | 'extraUsageScope' | 'memberExtraUsageEnabled'>): boolean {
  return s.orgExtraUsageEnabled && (s.extraUsageScope === 'all_members' || s.memberExtraUsageEnabled);
}

/**
 * Whether usage past the seat's allowance is billed as extra: extra usage on for them and
 * their choice to continue. Otherwise a request that overshot is absorbed as included.
 */
export function billsExtraUsage(s: Pick<MemberLimitsState, 'orgExtraUsageEnabled' | 'extraUsageScope' | 'memberExtraUsageEnabled' | 'continueOnExtraUsage'>): boolean {
  return extraUsageAvailable(s) && s.continueOnExtraUsage !== false;
}

/** The member's choice to continue on extra usage, else the org's default (owners choose it). */
export function continuesOnExtraUsage(memberChoice: boolean | null | undefined, orgDefault: boolean): boolean {
  return memberChoice ?? orgDefault;
}

/** Tier caps exist on seat-based Enterprise plans only. */
export function effectiveTierCap(plan: Plan, tierCapNanos: bigint | null): bigint | null {
  return plan === 'enterprise' ? tierCapNanos : null;
}

const reached = (spend: bigint, cap: bigint | null) => cap !== null && spend >= cap;

/**
 * May the member send one more request at `at`? Included usage first; then extra
 * usage, refused with the first limit that stops it, in CAP_ORDER.
 */
export function decideAuthorize(s: MemberLimitsState, at: Date): AuthorizeDecision {
  const window = currentWindow(s.window, s.windowMinutes, at);
  if (window.usedNanos < s.allowanceNanos) return { allowed: true, mode: 'included' };
  const seatResetsAt = windowResetsAt(window, s.windowMinutes);
  const access = extraAccessRefusal(s, seatResetsAt);
  if (access) return access;
  // Check mode: the state counts what open holds take as spent already.
  for (const l of spendLimits(s)) {
    if (reached(l.spentNanos + l.reservedNanos, l.capNanos)) return limitRefusal(l, at, s.timezone, undefined, seatResetsAt);
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
