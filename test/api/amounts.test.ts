// Amounts people read: the ledger's nano-dollar fields become dollar decimal strings.
import { describe, expect, it } from 'vitest';
import { withDollarAmounts } from '../../src/api/amounts.js';

describe('withDollarAmounts', () => {
  it('renames every <name>Nanos integer to <name> as dollars, at any depth; null (Unlimited) stays null', () => {
    expect(withDollarAmounts({
      orgMonthlyCapNanos: '1500000000000', extraUsageCapNanos: null, amountNanos: 54_665_000_000n,
      members: [{ capNanos: 20_000_000_000, name: 'Alice' }], seatTier: 'premium', createdAt: '2026-12-01T10:00:00Z',
    })).toEqual({
      orgMonthlyCap: '1500.00', extraUsageCap: null, amount: '54.665',
      members: [{ cap: '20.00', name: 'Alice' }], seatTier: 'premium', createdAt: '2026-12-01T10:00:00Z',
    });
  });

  it('leaves what is not an integer amount as it is', () => {
    expect(withDollarAmounts({ noteNanos: 'n/a', Nanos: '5', cap: '1.00', list: null })).toEqual({ noteNanos: 'n/a', Nanos: '5', cap: '1.00', list: null });
  });
});
