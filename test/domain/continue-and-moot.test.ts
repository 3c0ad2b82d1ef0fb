// The member's choice to continue on extra usage in the cap rules, the words of the
// refusal it gives, a monthly limit's words saying when included usage comes back, a
// denial in words (who, why, when to ask again, local time), and which owner changes
// make a raise request moot.
import { describe, expect, it } from 'vitest';
import { billsExtraUsage, continuesOnExtraUsage, decideAuthorize, type MemberLimitsState } from '../../src/domain/caps.js';
import { raiseMadeMoot } from '../../src/domain/limit-raise.js';
import { refusalWords } from '../../src/domain/refusal-words.js';
import { askRefusal, CANCEL_WORDS, denialWords, RAISE_MOOT_REASONS } from '../../src/domain/requests.js';

const USD = 1_000_000_000n;
const AT = new Date('2026-12-07T10:00:00Z');
const state = (over: Partial<MemberLimitsState> = {}): MemberLimitsState => ({
  plan: 'enterprise', timezone: 'Europe/Paris', orgExtraUsageEnabled: true, extraUsageScope: 'all_members', memberExtraUsageEnabled: false,
  allowanceNanos: USD, windowMinutes: 300, window: { startedAt: new Date('2026-12-07T09:00:00Z'), usedNanos: USD },
  memberCapNanos: 50n * USD, tierCapNanos: null, orgCapNanos: null, memberSpendNanos: 0n, tierSpendNanos: 0n, orgSpendNanos: 0n, balanceNanos: 0n,
  ...over,
});

describe('continue on extra usage', () => {
  it('the member\'s own choice wins over the owners\' default', () => {
    expect(continuesOnExtraUsage(null, true)).toBe(true);
    expect(continuesOnExtraUsage(null, false)).toBe(false);
    expect(continuesOnExtraUsage(true, false)).toBe(true);
    expect(continuesOnExtraUsage(false, true)).toBe(false);
  });

  it('stops a member who chose not to continue at the seat limit, until the window ends; included usage is unaffected', () => {
    expect(decideAuthorize(state({ continueOnExtraUsage: false }), AT)).toEqual({ allowed: false, reason: 'continue_on_extra_usage_off', resetsAt: new Date('2026-12-07T14:00:00Z'), canRequestExtraUsage: false });
    expect(decideAuthorize(state({ continueOnExtraUsage: false, window: { startedAt: null, usedNanos: 0n } }), AT)).toEqual({ allowed: true, mode: 'included' });
    expect(decideAuthorize(state({ continueOnExtraUsage: true }), AT)).toEqual({ allowed: true, mode: 'extra' });
    // Extra usage off for them: that is what stops them, not their choice.
    expect(decideAuthorize(state({ continueOnExtraUsage: false, orgExtraUsageEnabled: false }), AT)).toMatchObject({ reason: 'extra_usage_disabled' });
    expect(billsExtraUsage(state({ continueOnExtraUsage: false }))).toBe(false);
    expect(billsExtraUsage(state({}))).toBe(true);
  });

  it('words the refusal with the one step, nobody to ask', () => {
    const w = refusalWords({ reason: 'continue_on_extra_usage_off', resetsAt: '2026-12-07T14:00:00Z', timezone: 'Europe/Paris', plan: 'enterprise', canRequestExtraUsage: false, consoleUrl: 'https://usage.example.com' });
    expect(w.message).toBe('You have used the usage included in your seat, and you chose not to continue on extra usage; it lifts 7 Dec 2026, 15:00 (Europe/Paris). To go on now, choose "Continue on extra usage" (billed at standard API rates): https://usage.example.com/me');
  });
});

describe('a monthly limit and included usage', () => {
  it('says when included usage comes back when that is before the month\'s end', () => {
    const d = decideAuthorize(state({ memberSpendNanos: 50n * USD }), AT);
    expect(d).toMatchObject({ allowed: false, reason: 'member_cap_reached', includedBackAt: new Date('2026-12-07T14:00:00Z') });
    const words = (includedBackAt: string | null) => refusalWords({ reason: 'member_cap_reached', resetsAt: '2026-12-31T23:00:00Z', timezone: 'Europe/Paris', plan: 'enterprise', canRequestExtraUsage: false, consoleUrl: null, limit: { capNanos: 50n * USD, spentNanos: 50n * USD }, includedBackAt }).message;
    expect(words('2026-12-07T14:00:00Z')).toBe('You reached your monthly extra usage limit ($50.00 of $50.00); it lifts 1 Jan 2027, 00:00 (Europe/Paris); your included usage comes back 7 Dec 2026, 15:00 (Europe/Paris). To go on sooner, ask to raise your limit in the web console at /me');
    // Not before the limit lifts: not said.
    expect(words('2027-01-01T02:00:00Z')).not.toContain('included usage comes back');
    expect(words(null)).not.toContain('included usage comes back');
  });
});

describe('a denial in words', () => {
  it('says who decided, the reason given and when to ask again, in the org\'s timezone', () => {
    expect(denialWords({ deniedAt: new Date('2026-12-07T11:23:23Z'), by: 'Adam Admin', reason: 'Budget is tight this month', retryAt: new Date('2026-12-08T11:23:23Z'), timezone: 'Europe/Paris' }))
      .toBe('your last request was declined by Adam Admin on 7 Dec 2026, 12:23 (Europe/Paris), saying "Budget is tight this month"; you may ask again from 8 Dec 2026, 12:23 (Europe/Paris)');
    const r = askRefusal({ plan: 'enterprise', atSeatLimit: true, hasExtraUsage: false, lastDeniedAt: new Date('2026-12-07T09:00:00Z'), lastDenial: { by: 'Adam Admin', reason: null }, timezone: 'Europe/Paris', cooldownMs: 86_400_000, now: AT });
    expect(r?.message).toBe('your last request was declined by Adam Admin on 7 Dec 2026, 10:00 (Europe/Paris), without a reason; you may ask again from 8 Dec 2026, 10:00 (Europe/Paris)');
    expect(r?.message).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });
});

describe('a raise request made moot', () => {
  it('by the limit raised to at least what was asked, removed, or extra usage turned off; not by a smaller raise', () => {
    expect(raiseMadeMoot({ toNanos: 80n * USD }, { capNanos: 80n * USD, extraUsageAvailable: true })).toBe('limit_raised');
    expect(raiseMadeMoot({ toNanos: 80n * USD }, { capNanos: null, extraUsageAvailable: true })).toBe('limit_removed');
    expect(raiseMadeMoot({ toNanos: 80n * USD }, { capNanos: 60n * USD, extraUsageAvailable: false })).toBe('extra_usage_turned_off');
    expect(raiseMadeMoot({ toNanos: 80n * USD }, { capNanos: 60n * USD, extraUsageAvailable: true })).toBeNull();
    for (const reason of RAISE_MOOT_REASONS) expect(CANCEL_WORDS[reason]).toMatch(/^an owner /);
  });
});
