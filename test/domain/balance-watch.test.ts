// The next step of an auto-reload episode, and what owners read about the balance:
// pure rules, no database.
import { describe, expect, it } from 'vitest';
import { alertFor } from '../../src/domain/alerts.js';
import { nextEpisodeStep, type BalanceState } from '../../src/domain/balance-watch.js';

const USD = 1_000_000_000n;
const team = (over: Partial<BalanceState> = {}): BalanceState => ({
  plan: 'team', timezone: 'America/Los_Angeles', balanceNanos: 5n * USD, heldBalanceNanos: 0n,
  autoReloadEnabled: true, autoReloadThresholdNanos: 10n * USD, autoReloadAmountNanos: 50n * USD, autoReloadMonthlyMaxNanos: null, ...over,
});
// 23:59 on 30 November in Los Angeles: already 1 December in UTC.
const NOW = new Date('2026-12-01T07:59:00Z');

describe('nextEpisodeStep', () => {
  it('reloads at or below the threshold, counting what holds take', () => {
    expect(nextEpisodeStep(team(), 0n, NOW)).toEqual({ action: 'reload', amountNanos: String(50n * USD), availableNanos: String(5n * USD) });
    expect(nextEpisodeStep(team({ balanceNanos: 10n * USD }), 0n, NOW)).toMatchObject({ action: 'reload' });
    expect(nextEpisodeStep(team({ balanceNanos: 10n * USD + 1n }), 0n, NOW)).toEqual({ action: 'done', reason: 'above_threshold' });
    expect(nextEpisodeStep(team({ balanceNanos: 12n * USD, heldBalanceNanos: 3n * USD }), 0n, NOW)).toMatchObject({ action: 'reload', availableNanos: String(9n * USD) });
  });

  it('is done when auto-reload is off, incomplete, or the org is not on the team plan', () => {
    expect(nextEpisodeStep(team({ autoReloadEnabled: false }), 0n, NOW)).toEqual({ action: 'done', reason: 'disabled' });
    expect(nextEpisodeStep(team({ autoReloadAmountNanos: null }), 0n, NOW)).toEqual({ action: 'done', reason: 'disabled' });
    expect(nextEpisodeStep(team({ autoReloadAmountNanos: 0n }), 0n, NOW)).toEqual({ action: 'done', reason: 'disabled' });
    expect(nextEpisodeStep(team({ autoReloadThresholdNanos: null }), 0n, NOW)).toEqual({ action: 'done', reason: 'disabled' });
    expect(nextEpisodeStep(team({ plan: 'enterprise' }), 0n, NOW)).toEqual({ action: 'done', reason: 'not_team' });
  });

  it('stops at the monthly limit (an amount of money) until the next month in the org timezone', () => {
    // $120 a month with $50 reloads: $50 and $100 fit, a third reload would make $150.
    expect(nextEpisodeStep(team({ autoReloadMonthlyMaxNanos: 120n * USD }), 50n * USD, NOW)).toMatchObject({ action: 'reload' });
    expect(nextEpisodeStep(team({ autoReloadMonthlyMaxNanos: 100n * USD }), 50n * USD, NOW)).toMatchObject({ action: 'reload' });
    expect(nextEpisodeStep(team({ autoReloadMonthlyMaxNanos: 120n * USD }), 100n * USD, NOW)).toEqual({
      action: 'limit_reached', period: '2026-11', limit: String(120n * USD), resumesAt: '2026-12-01T08:00:00.000Z', availableNanos: String(5n * USD),
    });
  });
});

describe('balance notices', () => {
  const ctx = { eventId: '42', org: { name: 'Small Team', plan: 'team' as const, timezone: 'UTC' } };
  it('tells owners the balance is below their level, once per event', () => {
    expect(alertFor({ type: 'balance_warning', balanceNanos: String(4n * USD), levelNanos: String(5n * USD) }, ctx)).toMatchObject({
      kind: 'balance_low', audience: 'owners', dedupeKey: 'balance_warning:event=42',
      title: "Small Team's prepaid balance is below $5.00", facts: { Balance: '$4.00', 'Warning level': '$5.00' },
    });
  });
  it('tells owners the balance is used up', () => {
    const a = alertFor({ type: 'balance_exhausted', balanceNanos: '0' }, ctx);
    expect(a).toMatchObject({ kind: 'balance_low', audience: 'owners', dedupeKey: 'balance_exhausted:event=42', facts: { Balance: '$0.00' } });
    expect(a!.title).toContain('used up');
    expect(a!.text).toContain('until an owner buys credit');
  });
  it('tells owners who turned extra usage on with no balance that nobody can use it yet', () => {
    const a = alertFor({ type: 'balance_exhausted', balanceNanos: '0', extraUsageTurnedOn: true }, ctx);
    expect(a).toMatchObject({ kind: 'balance_low', audience: 'owners', title: 'Balance $0.00: nobody can use extra usage yet', facts: { Balance: '$0.00' } });
    expect(a!.text).toContain('Buy balance');
  });
  it('says the monthly reload limit in dollars', () => {
    const a = alertFor({ type: 'reload_limit_reached', period: '2026-11', limit: String(120n * USD), balanceNanos: String(4n * USD) }, ctx);
    expect(a!.title).toBe('Small Team reached its limit of $120.00 of auto-reloads this month');
    expect(a!.facts['Monthly limit']).toBe('$120.00');
  });
});
