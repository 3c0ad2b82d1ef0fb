// Reservation mode's pure rules: the upper bound of a request's cost, and how a hold
// is split between allowance and extra usage and checked against every cap.
import { describe, expect, it } from 'vitest';
import type { MemberLimitsState } from '../../src/domain/caps.js';
import { estimateUpperBound, planReservation, type HeldState } from '../../src/domain/reservations.js';
import type { PriceTier } from '../../src/domain/pricing.js';

const at = new Date('2026-11-15T12:00:00Z');
const sonnet = (min: number, input: bigint, w5: bigint, w1: bigint, read: bigint, out: bigint): PriceTier => ({
  id: `s-${min}`, model: 'claude-sonnet-4-5', effectiveFrom: new Date('2025-01-01T00:00:00Z'), minPromptTokensExclusive: min,
  inputNanosPerToken: input, cacheWrite5mNanosPerToken: w5, cacheWrite1hNanosPerToken: w1, cacheReadNanosPerToken: read, outputNanosPerToken: out,
});
const TIERS = [sonnet(0, 3000n, 3750n, 6000n, 300n, 15000n), sonnet(200_000, 6000n, 7500n, 12000n, 600n, 22500n)];

describe('estimateUpperBound', () => {
  it('prices prompt tokens at the dearest prompt rate and max_tokens at the output rate', () => {
    // 1,000 prompt × $6/MTok (1h cache write) + 2,000 output × $15/MTok = $0.006 + $0.03
    expect(estimateUpperBound(TIERS, 'claude-sonnet-4-5', at, { input_tokens: 1_000, max_tokens: 2_000 })).toBe(36_000_000n);
  });
  it('uses the long-context tier when the prompt is over 200,000 tokens', () => {
    // 200,001 × $12/MTok + 1,000 × $22.50/MTok = 2,400,012,000 + 22,500,000 nanos
    expect(estimateUpperBound(TIERS, 'claude-sonnet-4-5', at, { input_tokens: 200_001, max_tokens: 1_000 })).toBe(2_422_512_000n);
  });
  it('has no bound for a model without a price', () => {
    expect(estimateUpperBound(TIERS, 'gpt-9', at, { input_tokens: 1, max_tokens: 1 })).toBeNull();
  });
});

const base: MemberLimitsState = {
  plan: 'enterprise', timezone: 'UTC', orgExtraUsageEnabled: true, extraUsageScope: 'all_members', memberExtraUsageEnabled: false,
  allowanceNanos: 1_000n, windowMinutes: 300, window: { startedAt: null, usedNanos: 0n },
  memberCapNanos: 10_000n, tierCapNanos: null, orgCapNanos: 100_000n,
  memberSpendNanos: 0n, tierSpendNanos: 0n, orgSpendNanos: 0n, balanceNanos: 0n,
};
const held = (over: Partial<HeldState> = {}): HeldState => ({ ...base, windowHeldNanos: 0n, memberReservedNanos: 0n, tierReservedNanos: 0n, orgReservedNanos: 0n, heldBalanceNanos: 0n, ...over });

describe('planReservation', () => {
  it('holds the allowance first and only the rest as extra usage', () => {
    expect(planReservation(held(), at, 600n)).toEqual({ allowed: true, mode: 'included', includedHold: 600n, extraHold: 0n });
    expect(planReservation(held({ windowHeldNanos: 700n }), at, 600n)).toEqual({ allowed: true, mode: 'extra', includedHold: 300n, extraHold: 300n });
  });
  it('refuses a hold that would take spend plus holds past a cap, exactly at the boundary', () => {
    const s = held({ allowanceNanos: 0n, memberSpendNanos: 9_000n, memberReservedNanos: 500n });
    expect(planReservation(s, at, 500n)).toMatchObject({ allowed: true, extraHold: 500n });
    expect(planReservation(s, at, 501n)).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
    expect(planReservation(held({ allowanceNanos: 0n, memberCapNanos: null, orgSpendNanos: 99_999n }), at, 2n)).toMatchObject({ allowed: false, reason: 'org_cap_reached' });
  });
  it('keeps a Team balance from going below zero', () => {
    const team = held({ plan: 'team', allowanceNanos: 0n, memberCapNanos: null, orgCapNanos: null, balanceNanos: 1_000n, heldBalanceNanos: 400n });
    expect(planReservation(team, at, 600n)).toMatchObject({ allowed: true });
    expect(planReservation(team, at, 601n)).toMatchObject({ allowed: false, reason: 'balance_exhausted', resetsAt: null });
  });
  it('without extra usage, lets what allowance is left cover the request, and refuses once none is', () => {
    const off = held({ orgExtraUsageEnabled: false });
    expect(planReservation(off, at, 5_000n)).toEqual({ allowed: true, mode: 'included', includedHold: 1_000n, extraHold: 0n });
    expect(planReservation(held({ orgExtraUsageEnabled: false, windowHeldNanos: 1_000n }), at, 1n)).toMatchObject({ allowed: false, reason: 'extra_usage_disabled' });
    expect(planReservation(held({ extraUsageScope: 'selected_members', window: { startedAt: at, usedNanos: 1_000n } }), at, 1n)).toMatchObject({ allowed: false, reason: 'seat_limit_reached', canRequestExtraUsage: true });
  });
});

describe('holds and the product cap', () => {
  it('holds against the product cap first, counting what other holds on it take', () => {
    const s = held({ allowanceNanos: 0n, productCapNanos: 100n, productSpendNanos: 50n, productReservedNanos: 30n });
    expect(planReservation(s, at, 20n)).toMatchObject({ allowed: true, mode: 'extra', extraHold: 20n });
    expect(planReservation(s, at, 21n)).toMatchObject({ allowed: false, reason: 'product_cap_reached' });
    // Off for the member: only what the allowance covers, as with extra usage off.
    expect(planReservation(held({ allowanceNanos: 0n, productCapNanos: 0n }), at, 1n)).toMatchObject({ allowed: false, reason: 'product_not_enabled' });
    expect(planReservation(held({ productCapNanos: 0n }), at, 1_500n)).toEqual({ allowed: true, mode: 'included', includedHold: 1_000n, extraHold: 0n });
  });
});
