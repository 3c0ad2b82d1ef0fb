// Closing a month as pure arithmetic. Every expected number is worked out by hand
// ($1 = 1,000,000,000 nanos; 1 cent = 10,000,000 nanos).
import { describe, expect, it } from 'vitest';
import { buildInvoice, buildStatement, previousPeriod, totalCentsOf, usageLines, type UsageRow } from '../../src/domain/invoices.js';

const row = (memberId: string, memberName: string, model: string, period: string, extraNanos: bigint, events?: number): UsageRow =>
  ({ memberId, memberName, model, period, extraNanos, ...(events === undefined ? {} : { events }) });

describe('previousPeriod', () => {
  it.each([
    ['2026-12', '2026-11'],
    ['2027-01', '2026-12'],
    ['2026-10', '2026-09'],
  ])('the month before %s is %s', (p, prev) => expect(previousPeriod(p)).toBe(prev));

  it('refuses what is not a month', () => {
    expect(() => previousPeriod('2026-13')).toThrow();
  });
});

describe('the rounding rule: the exact subtotal, rounded once to the cent, half away from zero', () => {
  it.each([
    [0n, 0n],
    [4_999_999n, 0n], // $0.004999999
    [5_000_000n, 1n], // $0.005 exactly: half goes up
    [15_000_000n, 2n], // $0.015
    [12_344_999_999n, 1234n], // $12.344999999
    [12_345_000_000n, 1235n], // $12.345
    [-5_000_000n, -1n], // a credit of half a cent: away from zero
  ])('%s nanos is %s cents', (nanos, cents) => expect(totalCentsOf(nanos)).toBe(cents));
});

describe('usage lines per member and model', () => {
  const rows = [
    row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 12_345_685_000n),
    row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 1_000_000n),
    row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 0n), // within the included allowance
    row('m-a', 'Alice', 'claude-sonnet-4-5', '2026-11', 4_999_995_000n),
    row('m-b', 'Bob', 'claude-haiku-4-5', '2026-11', 0n), // only included usage: no line
    row('m-b', 'Bob', 'claude-haiku-4-5', '2026-10', 5_000n), // late usage of a closed month
  ];

  it('sums exactly, drops groups without extra usage, and labels late usage as an adjustment of its own month', () => {
    expect(usageLines(rows, '2026-11')).toEqual([
      { kind: 'usage', memberId: 'm-a', model: 'claude-haiku-4-5', usagePeriod: '2026-11', description: 'Alice · claude-haiku-4-5', amountNanos: 12_346_685_000n, eventCount: 2 , product: null },
      { kind: 'usage', memberId: 'm-a', model: 'claude-sonnet-4-5', usagePeriod: '2026-11', description: 'Alice · claude-sonnet-4-5', amountNanos: 4_999_995_000n, eventCount: 1 , product: null },
      { kind: 'adjustment', memberId: 'm-b', model: 'claude-haiku-4-5', usagePeriod: '2026-10', description: 'Bob · claude-haiku-4-5 · late usage for 2026-10', amountNanos: 5_000n, eventCount: 1 , product: null },
    ]);
  });

  it('gives the same lines from rows already summed per group as from single events', () => {
    const summed = [
      row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 12_346_685_000n, 2),
      row('m-a', 'Alice', 'claude-sonnet-4-5', '2026-11', 4_999_995_000n, 1),
      row('m-b', 'Bob', 'claude-haiku-4-5', '2026-11', 0n, 0),
      row('m-b', 'Bob', 'claude-haiku-4-5', '2026-10', 5_000n, 1),
    ];
    expect(usageLines(summed.reverse(), '2026-11')).toEqual(usageLines(rows, '2026-11'));
  });

  it('splits lines by product only where the billed usage names more than one, with the same exact sum', () => {
    const one = [{ ...row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 3n), product: 'claude_code' }, { ...row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 4n), product: 'claude_code' }];
    // One product (an unbilled row of another does not count): one line, naming it.
    expect(usageLines([...one, { ...row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 0n), product: 'api' }], '2026-11').map((l) => [l.description, l.product, l.amountNanos]))
      .toEqual([['Alice · claude-haiku-4-5', null, 7n]]);
    expect(usageLines(one, '2026-11').map((l) => [l.description, l.product, l.amountNanos])).toEqual([['Alice · claude-haiku-4-5', 'claude_code', 7n]]);
    // Two (unspecified counts as one): a line each, labelled; the subtotal is unchanged.
    const two = [...one, row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 5n)];
    const lines = usageLines(two, '2026-11');
    expect(lines.map((l) => [l.description, l.product, l.amountNanos])).toEqual([
      ['Alice · claude-haiku-4-5 · claude_code', 'claude_code', 7n],
      ['Alice · claude-haiku-4-5 · unspecified', null, 5n],
    ]);
    expect(buildInvoice('2026-11', two).subtotalNanos).toBe(12n);
  });

  it('refuses usage of a later month than the one being closed', () => {
    expect(() => usageLines([row('m-a', 'Alice', 'claude-haiku-4-5', '2026-12', 1n)], '2026-11')).toThrow(/2026-12/);
  });

  it('an invoice: subtotal is the exact sum of the lines, total is the subtotal rounded once', () => {
    const invoice = buildInvoice('2026-11', rows);
    // 12.346685 + 4.999995 + 0.000005 = 17.346685
    expect(invoice.subtotalNanos).toBe(17_346_685_000n);
    expect(invoice.totalCents).toBe(1735n);
    expect(invoice.lines).toHaveLength(3);
  });

  it('rounds the subtotal, never the lines: three lines of $0.004 bill one cent, not zero', () => {
    const invoice = buildInvoice('2026-11', [
      row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 4_000_000n),
      row('m-b', 'Bob', 'claude-haiku-4-5', '2026-11', 4_000_000n),
      row('m-c', 'Carol', 'claude-haiku-4-5', '2026-11', 4_000_000n),
    ]);
    expect(invoice.subtotalNanos).toBe(12_000_000n);
    expect(invoice.totalCents).toBe(1n);
  });

  it('an empty month is an invoice of zero', () => {
    expect(buildInvoice('2026-11', [])).toEqual({ kind: 'invoice', period: '2026-11', lines: [], subtotalNanos: 0n, totalCents: 0n });
  });
});

describe('team statement', () => {
  const at = (iso: string) => new Date(iso);

  it('opening + purchases + reloads - consumption = closing, exact to the nano', () => {
    const s = buildStatement({
      period: '2026-11',
      previousClosingNanos: 20_000_000_000n,
      carriedCredits: [],
      credits: [
        { kind: 'reload', amountNanos: 50_000_000_000n, at: at('2026-11-20T08:00:00Z') },
        { kind: 'purchase', amountNanos: 100_000_000_000n, at: at('2026-11-02T10:00:00Z') },
        { kind: 'reload', amountNanos: 50_000_000_000n, at: at('2026-11-05T08:00:00Z') },
      ],
      usage: [
        row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 30_123_456_789n),
        row('m-a', 'Alice', 'claude-haiku-4-5', '2026-10', 1_000_000_000n),
      ],
    });
    expect(s).toMatchObject({
      openingBalanceNanos: 20_000_000_000n,
      purchasesNanos: 100_000_000_000n,
      reloadsNanos: 100_000_000_000n,
      adjustmentsNanos: 0n,
      consumptionNanos: 31_123_456_789n,
      // 20 + 100 + 100 - 31.123456789 = 188.876543211
      closingBalanceNanos: 188_876_543_211n,
      subtotalNanos: 31_123_456_789n,
      totalCents: 3112n,
    });
    expect(s.lines.map((l) => [l.kind, l.description, l.amountNanos])).toEqual([
      ['purchase', 'Prepaid purchase, 2026-11-02T10:00:00.000Z', 100_000_000_000n],
      ['reload', 'Auto-reload, 2026-11-05T08:00:00.000Z', 50_000_000_000n],
      ['reload', 'Auto-reload, 2026-11-20T08:00:00.000Z', 50_000_000_000n],
      ['usage', 'Alice · claude-haiku-4-5', 30_123_456_789n],
      ['adjustment', 'Alice · claude-haiku-4-5 · late usage for 2026-10', 1_000_000_000n],
    ]);
  });

  it('a first statement opens with the credits bought before its month, so none falls between statements', () => {
    const s = buildStatement({
      period: '2026-11',
      previousClosingNanos: null,
      carriedCredits: [{ kind: 'purchase', amountNanos: 25_000_000_000n, at: at('2026-10-20T00:00:00Z') }],
      credits: [],
      usage: [row('m-a', 'Alice', 'claude-haiku-4-5', '2026-11', 2_500_000_001n)],
    });
    // 25 - 2.500000001 = 22.499999999
    expect(s).toMatchObject({ openingBalanceNanos: 25_000_000_000n, purchasesNanos: 0n, consumptionNanos: 2_500_000_001n, closingBalanceNanos: 22_499_999_999n, totalCents: 250n });
    expect(s.lines).toHaveLength(1);
  });

  it('a month with nothing keeps the balance', () => {
    const s = buildStatement({ period: '2026-12', previousClosingNanos: 7n, carriedCredits: [], credits: [], usage: [] });
    expect(s).toMatchObject({ openingBalanceNanos: 7n, closingBalanceNanos: 7n, consumptionNanos: 0n, totalCents: 0n, lines: [] });
  });
});
