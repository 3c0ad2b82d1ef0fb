// The core rule, "check before, record after", as the member sees it: which limit
// refuses them, when it resets, and how a recorded cost splits into included and
// extra. Amounts are in nanos ($1 = 1e9); reset instants are worked out by hand.
import { describe, expect, it } from 'vitest';
import { CAP_ORDER, decideAuthorize, effectiveTierCap, extraUsageAvailable, spendLimits, splitCost, type MemberLimitsState } from '../../src/domain/caps.js';

const usd = (dollars: number) => BigInt(dollars) * 1_000_000_000n;
const d = (iso: string) => new Date(iso);

// 2026-11-30 22:00Z is 23:00 on 30 November in Paris: the month ends at
// 1 Dec 00:00 CET = 2026-11-30T23:00Z. The 5-hour seat window started at 20:00Z
// and resets at 2026-12-01T01:00Z; the two resets are deliberately different.
const AT = d('2026-11-30T22:00:00Z');
const PARIS_MONTH_END = d('2026-11-30T23:00:00Z');
const WINDOW_START = d('2026-11-30T20:00:00Z');
const WINDOW_END = d('2026-12-01T01:00:00Z');

/** Enterprise member whose $5 allowance is used up, extra usage on, nothing near a cap. */
function enterprise(over: Partial<MemberLimitsState> = {}): MemberLimitsState {
  return {
    plan: 'enterprise',
    timezone: 'Europe/Paris',
    orgExtraUsageEnabled: true,
    extraUsageScope: 'all_members',
    memberExtraUsageEnabled: false,
    allowanceNanos: usd(5),
    windowMinutes: 300,
    window: { startedAt: WINDOW_START, usedNanos: usd(5) },
    memberCapNanos: usd(50),
    tierCapNanos: usd(500),
    orgCapNanos: usd(1000),
    memberSpendNanos: usd(10),
    tierSpendNanos: usd(100),
    orgSpendNanos: usd(200),
    balanceNanos: 0n,
    ...over,
  };
}

/** Team member in the same position, with $20 prepaid balance left. */
function team(over: Partial<MemberLimitsState> = {}): MemberLimitsState {
  return enterprise({ plan: 'team', tierCapNanos: null, balanceNanos: usd(20), ...over });
}

const EXTRA = { allowed: true, mode: 'extra' };
const INCLUDED = { allowed: true, mode: 'included' };
// An amount limit's refusal also carries the cap and spend it reached (asserted on its own below).
const refused = (reason: string, resetsAt: Date | null, canRequestExtraUsage: boolean) => expect.objectContaining({ allowed: false, reason, resetsAt, canRequestExtraUsage });

describe('included usage', () => {
  it('is allowed while the allowance has anything left, whatever the caps, balance or switches say', () => {
    const blocked = {
      window: { startedAt: WINDOW_START, usedNanos: usd(5) - 1n }, // one nano left
      orgExtraUsageEnabled: false,
      memberCapNanos: 0n,
      memberSpendNanos: usd(999),
      tierCapNanos: 0n,
      orgCapNanos: 0n,
      orgSpendNanos: usd(5000),
    };
    expect(decideAuthorize(enterprise(blocked), AT)).toEqual(INCLUDED);
    expect(decideAuthorize(team({ ...blocked, balanceNanos: -usd(3) }), AT)).toEqual(INCLUDED);
  });

  it('is allowed on the very first request (no window yet)', () => {
    expect(decideAuthorize(enterprise({ window: { startedAt: null, usedNanos: 0n } }), AT)).toEqual(INCLUDED);
  });

  it('is no longer available once the allowance is exactly used up', () => {
    expect(decideAuthorize(enterprise({ orgExtraUsageEnabled: false }), AT)).toEqual(refused('extra_usage_disabled', WINDOW_END, true));
  });

  it('comes back when the window expires: a new window restores the allowance', () => {
    const exhausted = enterprise({ orgExtraUsageEnabled: false, window: { startedAt: d('2026-11-30T17:00:00Z'), usedNanos: usd(7) } });
    // 17:00Z + 5h = 22:00Z: one millisecond before, still refused until 22:00Z
    expect(decideAuthorize(exhausted, d('2026-11-30T21:59:59.999Z'))).toEqual(refused('extra_usage_disabled', d('2026-11-30T22:00:00Z'), true));
    expect(decideAuthorize(exhausted, d('2026-11-30T22:00:00Z'))).toEqual(INCLUDED);
  });

  it('a seat with no allowance goes straight to extra usage', () => {
    expect(decideAuthorize(enterprise({ allowanceNanos: 0n, window: { startedAt: null, usedNanos: 0n } }), AT)).toEqual(EXTRA);
    expect(decideAuthorize(enterprise({ allowanceNanos: 0n, window: { startedAt: null, usedNanos: 0n }, orgExtraUsageEnabled: false }), AT)).toEqual(
      refused('extra_usage_disabled', null, true),
    );
  });
});

describe('extra usage allowed', () => {
  it('when the allowance is used up and every limit has room', () => {
    expect(decideAuthorize(enterprise(), AT)).toEqual(EXTRA);
    expect(decideAuthorize(team(), AT)).toEqual(EXTRA);
  });

  it('for a selected member when the org gives extra usage to selected members only', () => {
    expect(decideAuthorize(enterprise({ extraUsageScope: 'selected_members', memberExtraUsageEnabled: true }), AT)).toEqual(EXTRA);
  });
});

describe('every refusal reason, with its reset time', () => {
  it('extra_usage_disabled: owner turned extra usage off; wait for the seat window (Enterprise can ask for more)', () => {
    expect(decideAuthorize(enterprise({ orgExtraUsageEnabled: false }), AT)).toEqual(refused('extra_usage_disabled', WINDOW_END, true));
    expect(decideAuthorize(team({ orgExtraUsageEnabled: false }), AT)).toEqual(refused('extra_usage_disabled', WINDOW_END, false));
  });

  it('seat_limit_reached: extra usage is for selected members and this one is not selected', () => {
    const s = { extraUsageScope: 'selected_members' as const, memberExtraUsageEnabled: false };
    expect(decideAuthorize(enterprise(s), AT)).toEqual(refused('seat_limit_reached', WINDOW_END, true));
    expect(decideAuthorize(team(s), AT)).toEqual(refused('seat_limit_reached', WINDOW_END, false));
  });

  it('member_cap_reached: until the month ends in the org timezone', () => {
    expect(decideAuthorize(enterprise({ memberSpendNanos: usd(50) }), AT)).toEqual(refused('member_cap_reached', PARIS_MONTH_END, false));
    // The amounts go with it, for the words (src/domain/refusal-words.ts).
    expect(decideAuthorize(enterprise({ memberSpendNanos: usd(51) }), AT)).toMatchObject({ limit: { capNanos: usd(50), spentNanos: usd(51) } });
    expect(decideAuthorize(team({ memberSpendNanos: usd(50) }), AT)).toEqual(refused('member_cap_reached', PARIS_MONTH_END, false));
  });

  it('seat_tier_cap_reached (Enterprise): until the month ends', () => {
    expect(decideAuthorize(enterprise({ tierSpendNanos: usd(500) }), AT)).toEqual(refused('seat_tier_cap_reached', PARIS_MONTH_END, false));
  });

  it('org_cap_reached: until the month ends', () => {
    expect(decideAuthorize(enterprise({ orgSpendNanos: usd(1000) }), AT)).toEqual(refused('org_cap_reached', PARIS_MONTH_END, false));
    expect(decideAuthorize(team({ orgSpendNanos: usd(1000) }), AT)).toEqual(refused('org_cap_reached', PARIS_MONTH_END, false));
  });

  it('balance_exhausted (Team): no reset time, the balance needs topping up', () => {
    expect(decideAuthorize(team({ balanceNanos: 0n }), AT)).toEqual(refused('balance_exhausted', null, false));
    // an overshoot left the balance negative
    expect(decideAuthorize(team({ balanceNanos: -usd(2) }), AT)).toEqual(refused('balance_exhausted', null, false));
    // one nano left is "above zero"
    expect(decideAuthorize(team({ balanceNanos: 1n }), AT)).toEqual(EXTRA);
  });

  it('an Enterprise org (billed in arrears) is never refused for its balance', () => {
    expect(decideAuthorize(enterprise({ balanceNanos: 0n }), AT)).toEqual(EXTRA);
    expect(decideAuthorize(enterprise({ balanceNanos: -usd(100) }), AT)).toEqual(EXTRA);
  });

  it('the month end is in the org timezone (Los Angeles: 1 Dec 00:00 PST = 08:00Z)', () => {
    expect(decideAuthorize(team({ timezone: 'America/Los_Angeles', memberSpendNanos: usd(50) }), AT)).toEqual(
      refused('member_cap_reached', d('2026-12-01T08:00:00Z'), false),
    );
    // Same instant in Paris is 23:00 on the 30th: the reset is one hour away.
    expect(decideAuthorize(team({ memberSpendNanos: usd(50) }), AT)).toEqual(refused('member_cap_reached', PARIS_MONTH_END, false));
  });

  it('the December cap resets on 1 January of the next year', () => {
    const at = d('2026-12-15T12:00:00Z');
    const state = enterprise({ window: { startedAt: d('2026-12-15T10:00:00Z'), usedNanos: usd(5) }, orgSpendNanos: usd(1000) });
    // 1 Jan 2027 00:00 CET = 2026-12-31T23:00Z
    expect(decideAuthorize(state, at)).toEqual(refused('org_cap_reached', d('2026-12-31T23:00:00Z'), false));
  });
});

describe('the first failing reason wins', () => {
  const allReached = {
    memberSpendNanos: usd(50),
    tierSpendNanos: usd(500),
    orgSpendNanos: usd(1000),
    balanceNanos: 0n,
  };

  it('switched off beats everything', () => {
    expect(decideAuthorize(team({ ...allReached, orgExtraUsageEnabled: false }), AT)).toMatchObject({ reason: 'extra_usage_disabled' });
    expect(decideAuthorize(team({ ...allReached, extraUsageScope: 'selected_members' }), AT)).toMatchObject({ reason: 'seat_limit_reached' });
    // org switch before member selection
    expect(decideAuthorize(team({ orgExtraUsageEnabled: false, extraUsageScope: 'selected_members' }), AT)).toMatchObject({ reason: 'extra_usage_disabled' });
  });

  it('member before tier before org (Enterprise)', () => {
    expect(decideAuthorize(enterprise(allReached), AT)).toMatchObject({ reason: 'member_cap_reached' });
    expect(decideAuthorize(enterprise({ ...allReached, memberSpendNanos: usd(49) }), AT)).toMatchObject({ reason: 'seat_tier_cap_reached' });
    expect(decideAuthorize(enterprise({ ...allReached, memberSpendNanos: usd(49), tierSpendNanos: usd(499) }), AT)).toMatchObject({ reason: 'org_cap_reached' });
  });

  it('member before org before balance (Team)', () => {
    expect(decideAuthorize(team(allReached), AT)).toMatchObject({ reason: 'member_cap_reached' });
    expect(decideAuthorize(team({ ...allReached, memberSpendNanos: usd(49) }), AT)).toMatchObject({ reason: 'org_cap_reached' });
    expect(decideAuthorize(team({ ...allReached, memberSpendNanos: usd(49), orgSpendNanos: usd(999) }), AT)).toEqual(refused('balance_exhausted', null, false));
  });
});

describe('caps are checked before the request: the overshoot rule', () => {
  it('spend one nano below a cap is allowed; at the cap or past it is refused', () => {
    expect(decideAuthorize(enterprise({ memberSpendNanos: usd(50) - 1n }), AT)).toEqual(EXTRA);
    expect(decideAuthorize(enterprise({ memberSpendNanos: usd(50) }), AT)).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
    expect(decideAuthorize(enterprise({ memberSpendNanos: usd(73) }), AT)).toMatchObject({ allowed: false, reason: 'member_cap_reached' });

    expect(decideAuthorize(enterprise({ tierSpendNanos: usd(500) - 1n }), AT)).toEqual(EXTRA);
    expect(decideAuthorize(enterprise({ tierSpendNanos: usd(612) }), AT)).toMatchObject({ allowed: false, reason: 'seat_tier_cap_reached' });

    expect(decideAuthorize(enterprise({ orgSpendNanos: usd(1000) - 1n }), AT)).toEqual(EXTRA);
    expect(decideAuthorize(enterprise({ orgSpendNanos: usd(1000) + 1n }), AT)).toMatchObject({ allowed: false, reason: 'org_cap_reached' });
  });

  it('a $0 cap means no extra usage at all', () => {
    expect(decideAuthorize(enterprise({ memberCapNanos: 0n, memberSpendNanos: 0n }), AT)).toMatchObject({ reason: 'member_cap_reached' });
    expect(decideAuthorize(enterprise({ orgCapNanos: 0n, orgSpendNanos: 0n }), AT)).toMatchObject({ reason: 'org_cap_reached' });
  });

  it('a raised cap takes effect on the next check', () => {
    const paused = enterprise({ memberSpendNanos: usd(50) });
    expect(decideAuthorize(paused, AT)).toMatchObject({ reason: 'member_cap_reached' });
    expect(decideAuthorize({ ...paused, memberCapNanos: usd(75) }, AT)).toEqual(EXTRA);
  });

  it('"unlimited" on a member still leaves the tier and org caps in force', () => {
    const unlimited = { memberCapNanos: null, memberSpendNanos: usd(1_000_000) };
    expect(decideAuthorize(enterprise(unlimited), AT)).toEqual(EXTRA);
    expect(decideAuthorize(enterprise({ ...unlimited, tierSpendNanos: usd(500) }), AT)).toEqual(refused('seat_tier_cap_reached', PARIS_MONTH_END, false));
    expect(decideAuthorize(enterprise({ ...unlimited, orgSpendNanos: usd(1000) }), AT)).toEqual(refused('org_cap_reached', PARIS_MONTH_END, false));
    expect(decideAuthorize(team({ ...unlimited, orgSpendNanos: usd(1000) }), AT)).toEqual(refused('org_cap_reached', PARIS_MONTH_END, false));
  });

  it('unlimited tier and org caps never refuse', () => {
    expect(decideAuthorize(enterprise({ tierCapNanos: null, orgCapNanos: null, tierSpendNanos: usd(1e9), orgSpendNanos: usd(1e9) }), AT)).toEqual(EXTRA);
  });

  it('tier caps do not exist on the Team plan, even if a value is stored', () => {
    expect(decideAuthorize(team({ tierCapNanos: usd(10), tierSpendNanos: usd(500) }), AT)).toEqual(EXTRA);
    expect(effectiveTierCap('team', usd(10))).toBeNull();
    expect(effectiveTierCap('enterprise', usd(10))).toBe(usd(10));
    expect(effectiveTierCap('enterprise', null)).toBeNull();
  });
});

describe('extraUsageAvailable', () => {
  it('needs the org switch, and the member when only selected members get it', () => {
    expect(extraUsageAvailable({ orgExtraUsageEnabled: true, extraUsageScope: 'all_members', memberExtraUsageEnabled: false })).toBe(true);
    expect(extraUsageAvailable({ orgExtraUsageEnabled: true, extraUsageScope: 'selected_members', memberExtraUsageEnabled: true })).toBe(true);
    expect(extraUsageAvailable({ orgExtraUsageEnabled: true, extraUsageScope: 'selected_members', memberExtraUsageEnabled: false })).toBe(false);
    expect(extraUsageAvailable({ orgExtraUsageEnabled: false, extraUsageScope: 'all_members', memberExtraUsageEnabled: true })).toBe(false);
    expect(extraUsageAvailable({ orgExtraUsageEnabled: false, extraUsageScope: 'selected_members', memberExtraUsageEnabled: true })).toBe(false);
  });
});

describe('splitCost: what the allowance covers and what is extra', () => {
  const ALLOWANCE = usd(5);
  const MIN = 300;
  const start = d('2026-11-27T09:00:00Z');
  const at = d('2026-11-27T10:00:00Z');

  it('a first request opens the window at its own instant and is included', () => {
    expect(splitCost(usd(2), { startedAt: null, usedNanos: 0n }, ALLOWANCE, MIN, at, true)).toEqual({
      includedNanos: usd(2),
      extraNanos: 0n,
      window: { startedAt: at, usedNanos: usd(2) },
    });
  });

  it('a request that runs past the allowance is partly included, partly extra', () => {
    // $4 used of $5; a $3 request: $1 included, $2 extra
    expect(splitCost(usd(3), { startedAt: start, usedNanos: usd(4) }, ALLOWANCE, MIN, at, true)).toEqual({
      includedNanos: usd(1),
      extraNanos: usd(2),
      window: { startedAt: start, usedNanos: usd(5) },
    });
  });

  it('a request that exactly uses up the allowance is all included', () => {
    expect(splitCost(usd(1), { startedAt: start, usedNanos: usd(4) }, ALLOWANCE, MIN, at, true)).toEqual({
      includedNanos: usd(1),
      extraNanos: 0n,
      window: { startedAt: start, usedNanos: usd(5) },
    });
  });

  it('once the allowance is used up the whole cost is extra, to the nano', () => {
    expect(splitCost(81_797_750n, { startedAt: start, usedNanos: usd(5) }, ALLOWANCE, MIN, at, true)).toEqual({
      includedNanos: 0n,
      extraNanos: 81_797_750n,
      window: { startedAt: start, usedNanos: usd(5) },
    });
  });

  it('with extra usage off, what runs past the allowance is absorbed as included (the org is never billed for it)', () => {
    expect(splitCost(usd(3), { startedAt: start, usedNanos: usd(4) }, ALLOWANCE, MIN, at, false)).toEqual({
      includedNanos: usd(3),
      extraNanos: 0n,
      window: { startedAt: start, usedNanos: usd(7) },
    });
  });

  it('a request after the window ran out opens a new window: the allowance is back', () => {
    // window 09:00Z + 5h ends 14:00Z; the old window was used up
    const old = { startedAt: start, usedNanos: usd(5) };
    const later = d('2026-11-27T14:00:00Z');
    expect(splitCost(usd(2), old, ALLOWANCE, MIN, later, true)).toEqual({
      includedNanos: usd(2),
      extraNanos: 0n,
      window: { startedAt: later, usedNanos: usd(2) },
    });
    // a $6 request in the new window: $5 included, $1 extra
    expect(splitCost(usd(6), old, ALLOWANCE, MIN, later, true)).toEqual({
      includedNanos: usd(5),
      extraNanos: usd(1),
      window: { startedAt: later, usedNanos: usd(5) },
    });
    // one millisecond before the end it is still the old, used-up window
    const justBefore = d('2026-11-27T13:59:59.999Z');
    expect(splitCost(usd(2), old, ALLOWANCE, MIN, justBefore, true)).toEqual({ includedNanos: 0n, extraNanos: usd(2), window: old });
  });

  it('included + extra always equals the recorded cost', () => {
    for (const used of [0n, 1n, usd(4), usd(5) - 1n, usd(5), usd(9)]) {
      for (const cost of [0n, 1n, 999n, usd(1), usd(7) + 3n]) {
        for (const extraAvailable of [true, false]) {
          const s = splitCost(cost, { startedAt: start, usedNanos: used }, ALLOWANCE, MIN, at, extraAvailable);
          expect(s.includedNanos + s.extraNanos).toBe(cost);
          expect(s.includedNanos >= 0n && s.extraNanos >= 0n).toBe(true);
        }
      }
    }
  });
});

describe('the cap order with a product cap', () => {
  it('is one list: the access steps, then product, member, tier, org, balance', () => {
    expect(CAP_ORDER).toEqual([
      'extra_usage_disabled', 'seat_limit_reached', 'continue_on_extra_usage_off', 'product_not_enabled', 'product_cap_reached',
      'member_cap_reached', 'seat_tier_cap_reached', 'org_cap_reached', 'balance_exhausted',
    ]);
    // The amount limits come in the list's order.
    expect(spendLimits(team({ productCapNanos: usd(1) })).map((l) => l.reason)).toEqual(CAP_ORDER.slice(4));
    // An enterprise org has no balance to exhaust.
    expect(spendLimits(enterprise()).map((l) => l.reason)).toEqual(CAP_ORDER.slice(4, -1));
  });

  it('refuses a product that is off for the member after the access steps, until the seat window resets', () => {
    expect(decideAuthorize(enterprise({ memberExtraUsageEnabled: true, productCapNanos: 0n }), AT)).toEqual(refused('product_not_enabled', WINDOW_END, false));
    // The switches come first.
    expect(decideAuthorize(enterprise({ orgExtraUsageEnabled: false, productCapNanos: 0n }), AT)).toEqual(refused('extra_usage_disabled', WINDOW_END, true));
    // Included usage is never stopped by a product cap.
    expect(decideAuthorize(enterprise({ productCapNanos: 0n, window: { startedAt: WINDOW_START, usedNanos: usd(4) } }), AT)).toEqual(INCLUDED);
  });

  it('refuses at the product cap before the member cap, until the month ends', () => {
    const both = enterprise({ productCapNanos: usd(2), productSpendNanos: usd(2), memberCapNanos: usd(10), memberSpendNanos: usd(10) });
    expect(decideAuthorize(both, AT)).toEqual(refused('product_cap_reached', PARIS_MONTH_END, false));
    expect(decideAuthorize({ ...both, productSpendNanos: usd(2) - 1n }, AT)).toEqual(refused('member_cap_reached', PARIS_MONTH_END, false));
    // No product named (or no cap on it): nothing to check.
    expect(decideAuthorize(enterprise({ productCapNanos: null, productSpendNanos: usd(99) }), AT)).toEqual(EXTRA);
  });
});
