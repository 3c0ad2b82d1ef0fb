// "Ask to raise my limit": which cap stopped a member (their own, their seat tier's or
// the organisation's), the suggested new limit, and whether a raise may be asked for.
// Pure: the caller reads the limits state and the clock.
import { decideAuthorize, type MemberLimitsState } from './caps.js';
import { usdCents } from './display.js';
import { NANOS_PER_USD } from './money.js';
import { monthResetsAt, periodOf, periodStart } from './periods.js';
import type { RaiseMootReason } from './requests.js';

export type RaiseScope = 'member' | 'tier' | 'org';

const SCOPE_OF = { member_cap_reached: 'member', seat_tier_cap_reached: 'tier', org_cap_reached: 'org' } as const;

/** The cap that stops the member now, with its amount and the spend against it; null when no cap stops them. */
export function capStop(s: MemberLimitsState, at: Date): { scope: RaiseScope; capNanos: bigint; spentNanos: bigint } | null {
  const d = decideAuthorize(s, at);
  if (d.allowed || !(d.reason in SCOPE_OF) || !d.limit) return null;
  return { scope: SCOPE_OF[d.reason as keyof typeof SCOPE_OF], capNanos: d.limit.capNanos, spentNanos: d.limit.spentNanos };
}

/**
 * Whether an owner's change made an open raise request moot (so it is closed, not left
 * open), and why: the cap it names raised to at least what was asked, removed, or extra
 * usage turned off for the member. null: the request still makes sense.
 */
export function raiseMadeMoot(asked: { toNanos: bigint }, now: { capNanos: bigint | null; extraUsageAvailable: boolean }): RaiseMootReason | null {
  if (!now.extraUsageAvailable) return 'extra_usage_turned_off';
  if (now.capNanos === null) return 'limit_removed';
  if (now.capNanos >= asked.toNanos) return 'limit_raised';
  return null;
}

/** Whole dollars, rounded up. */
const upToDollar = (nanos: bigint) => ((nanos + NANOS_PER_USD - 1n) / NANOS_PER_USD) * NANOS_PER_USD;

/**
 * The suggested new limit: the current cap plus what the member spends at this month's
 * rate until the month ends (in the org's timezone), rounded up to whole dollars, and
 * always at least a dollar above the cap. Integer nano-dollars and milliseconds only.
 */
export function suggestedRaise(f: { capNanos: bigint; spentNanos: bigint; at: Date; timezone: string }): bigint {
  const start = periodStart(periodOf(f.at, f.timezone), f.timezone).getTime();
  const end = monthResetsAt(f.at, f.timezone).getTime();
  const elapsed = BigInt(Math.max(1, f.at.getTime() - start));
  const left = BigInt(Math.max(0, end - f.at.getTime()));
  const spent = f.spentNanos > 0n ? f.spentNanos : 0n;
  const toMonthEnd = (spent * left + elapsed - 1n) / elapsed;
  const suggested = upToDollar(f.capNanos + toMonthEnd);
  return suggested > f.capNanos ? suggested : upToDollar(f.capNanos + 1n);
}

/**
 * Why an amount cannot be the new limit, or null when it can: above the cap it raises,
 * and a member's or tier's limit not above the organisation's own cap.
 */
export function raiseAmountProblem(f: { scope: RaiseScope; amountNanos: bigint; capNanos: bigint; orgCapNanos: bigint | null }, field = 'amount'): string | null {
  if (f.amountNanos <= f.capNanos) return `${field} must be above the current limit of ${usdCents(f.capNanos)}`;
  if (f.scope !== 'org' && f.orgCapNanos !== null && f.amountNanos > f.orgCapNanos) return `${field} ${usdCents(f.amountNanos)} is above the organisation's monthly limit of ${usdCents(f.orgCapNanos)}; an owner can raise that first`;
  return null;
}
