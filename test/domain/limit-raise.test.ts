// "Ask to raise my limit": the cap that stopped a member, the suggested new limit and
// the amounts a raise may not take.
import { describe, expect, it } from 'vitest';
import type { MemberLimitsState } from '../../src/domain/caps.js';
import { capStop, raiseAmountProblem, suggestedRaise } from '../../src/domain/limit-raise.js';
import { parseUsd } from '../../src/domain/money.js';

const usd = (s: string) => parseUsd(s)!;

describe('suggestedRaise', () => {
  it('adds the spend rate to month end to the cap, rounded up to whole dollars', () => {
    // 10 days of a 31-day December gone (UTC), $75 spent: $7.50 a day for 21 more days = $157.50.
    const at = new Date('2026-12-11T00:00:00Z');
    expect(suggestedRaise({ capNanos: usd('75'), spentNanos: usd('75'), at, timezone: 'UTC' })).toBe(usd('233'));
  });

  it('counts the month in the org\'s timezone', () => {
    // Midnight of 11 Dec in Paris is 10 Dec 23:00 UTC: 10 days gone there, 21 left.
    const at = new Date('2026-12-10T23:00:00Z');
    expect(suggestedRaise({ capNanos: usd('75'), spentNanos: usd('75'), at, timezone: 'Europe/Paris' })).toBe(usd('233'));
  });

  it('is at least a dollar above the cap, in whole dollars', () => {
    const lastMinute = new Date('2026-12-31T23:59:59.999Z');
    expect(suggestedRaise({ capNanos: usd('75'), spentNanos: usd('75.10'), at: lastMinute, timezone: 'UTC' })).toBe(usd('76'));
    expect(suggestedRaise({ capNanos: usd('12.40'), spentNanos: 0n, at: lastMinute, timezone: 'UTC' })).toBe(usd('13'));
  });
});

describe('raiseAmountProblem', () => {
  it('refuses an amount not above the cap, and a member limit above the org cap', () => {
    expect(raiseAmountProblem({ scope: 'member', amountNanos: usd('75'), capNanos: usd('75'), orgCapNanos: null })).toBe('amount must be above the current limit of $75.00');
    expect(raiseAmountProblem({ scope: 'member', amountNanos: usd('600'), capNanos: usd('75'), orgCapNanos: usd('500') })).toMatch(/\$600.00 is above the organisation's monthly limit of \$500.00/);
    expect(raiseAmountProblem({ scope: 'org', amountNanos: usd('600'), capNanos: usd('500'), orgCapNanos: usd('500') })).toBeNull();
    expect(raiseAmountProblem({ scope: 'member', amountNanos: usd('100'), capNanos: usd('75'), orgCapNanos: usd('500') })).toBeNull();
  });
});

describe('capStop', () => {
  const at = new Date('2026-12-11T00:00:00Z');
  const base: MemberLimitsState = {
    plan: 'enterprise', timezone: 'UTC', orgExtraUsageEnabled: true, extraUsageScope: 'all_members', memberExtraUsageEnabled: true,
    allowanceNanos: usd('1'), windowMinutes: 300, window: { startedAt: at, usedNanos: usd('1') },
    memberCapNanos: usd('75'), tierCapNanos: usd('1000'), orgCapNanos: usd('5000'),
    memberSpendNanos: usd('75'), tierSpendNanos: usd('100'), orgSpendNanos: usd('100'), balanceNanos: 0n,
  };
  it('names the cap that stops the member, in the cap order', () => {
    expect(capStop(base, at)).toEqual({ scope: 'member', capNanos: usd('75'), spentNanos: usd('75') });
    expect(capStop({ ...base, memberCapNanos: null, tierSpendNanos: usd('1000') }, at)?.scope).toBe('tier');
    expect(capStop({ ...base, memberCapNanos: null, orgSpendNanos: usd('5000') }, at)?.scope).toBe('org');
  });
  it('is null for a member not stopped by a cap', () => {
    expect(capStop({ ...base, memberSpendNanos: usd('10') }, at)).toBeNull();
    expect(capStop({ ...base, window: { startedAt: at, usedNanos: 0n } }, at)).toBeNull();
    expect(capStop({ ...base, memberExtraUsageEnabled: false, extraUsageScope: 'selected_members' }, at)).toBeNull();
  });
});
