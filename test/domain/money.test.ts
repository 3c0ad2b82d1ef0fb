// Money is integer nano-dollars; decimal strings only at the edge. Every expected
// value below is worked out by hand ($1 = 1,000,000,000 nanos; 1 cent = 10,000,000).
import { describe, expect, it } from 'vitest';
import { formatUsd, formatUsdOrNull, maxNanos, minNanos, NANOS_PER_CENT, NANOS_PER_USD, parseUsd, roundToCents } from '../../src/domain/money.js';

describe('units', () => {
  it('a dollar is 1e9 nanos and a cent is 1e7 nanos', () => {
    expect(NANOS_PER_USD).toBe(1_000_000_000n);
    expect(NANOS_PER_CENT).toBe(10_000_000n);
  });
});

describe('parseUsd', () => {
  it.each([
    ['0', 0n],
    ['0.00', 0n],
    ['1', 1_000_000_000n],
    ['12.50', 12_500_000_000n],
    ['12.5', 12_500_000_000n],
    ['0.01', 10_000_000n],
    ['0.000025', 25_000n],
    ['0.000000001', 1n],
    ['100.123456789', 100_123_456_789n],
    ['007.10', 7_100_000_000n],
    ['999999999999.999999999', 999_999_999_999_999_999_999n],
  ])('parses %s exactly', (text, nanos) => {
    expect(parseUsd(text)).toBe(nanos);
  });

  it('parses negative amounts (a Team balance can go below zero after an overshoot)', () => {
    expect(parseUsd('-0.50')).toBe(-500_000_000n);
    expect(parseUsd('-3.25')).toBe(-3_250_000_000n);
    expect(parseUsd('-0.000000001')).toBe(-1n);
    expect(parseUsd('-0')).toBe(0n);
  });

  it('rejects more decimals than a nano-dollar can hold', () => {
    expect(parseUsd('0.0000000001')).toBeNull();
    expect(parseUsd('1.0000000010')).toBeNull();
    expect(parseUsd('0.1234567891')).toBeNull();
  });

  it('rejects more decimals than the caller allows, instead of rounding', () => {
    expect(parseUsd('12.50', 2)).toBe(12_500_000_000n);
    expect(parseUsd('12.5', 2)).toBe(12_500_000_000n);
    expect(parseUsd('12.505', 2)).toBeNull();
    expect(parseUsd('0.001', 2)).toBeNull();
    expect(parseUsd('7', 0)).toBe(7_000_000_000n);
    expect(parseUsd('7.0', 0)).toBeNull();
  });

  it.each([
    '',
    ' ',
    'abc',
    '12.50 ',
    ' 12.50',
    '$12.50',
    '12,50',
    '1,000.00',
    '1e3',
    '1E-9',
    '+1.00',
    '.5',
    '5.',
    '--5',
    '0x10',
    'NaN',
    'Infinity',
    '1.2.3',
    '１２', // full-width digits
    '1000000000000', // 13 whole digits: more than a trillion dollars
  ])('rejects %j', (text) => {
    expect(parseUsd(text)).toBeNull();
  });
});

describe('formatUsd', () => {
  it.each([
    [0n, '0.00'],
    [1n, '0.000000001'],
    [25_000n, '0.000025'],
    [6_250n, '0.00000625'],
    [10_000_000n, '0.01'],
    [100_000_000n, '0.10'],
    [1_000_000_000n, '1.00'],
    [1_230_000_000n, '1.23'],
    [1_234_500_000n, '1.2345'],
    [12_500_000_000n, '12.50'],
    [81_797_750n, '0.08179775'],
    [1_000_000_000_000n, '1000.00'],
    [999_999_999_999_999_999_999n, '999999999999.999999999'],
  ])('formats %s nanos as %s', (nanos, text) => {
    expect(formatUsd(nanos)).toBe(text);
  });

  it('formats negative balances with a leading minus', () => {
    expect(formatUsd(-500_000_000n)).toBe('-0.50');
    expect(formatUsd(-3_250_000_000n)).toBe('-3.25');
    expect(formatUsd(-1n)).toBe('-0.000000001');
    expect(formatUsd(-12_000_000_000n)).toBe('-12.00');
  });

  it('formatUsdOrNull passes null through (an unlimited cap)', () => {
    expect(formatUsdOrNull(null)).toBeNull();
    expect(formatUsdOrNull(50_000_000_000n)).toBe('50.00');
  });
});

describe('round trips', () => {
  it.each(['0.00', '0.01', '0.10', '1.00', '12.34', '12.345', '0.000025', '0.000000001', '-0.50', '-7.000000009', '123456789012.123456789'])(
    'format(parse(%s)) gives the text back',
    (text) => {
      expect(formatUsd(parseUsd(text)!)).toBe(text);
    },
  );

  it.each([0n, 1n, -1n, 9n, 10n, 25_000n, 999_999_999n, 1_000_000_001n, -42_000_000_007n, 123_456_789_012_345_678_901n])(
    'parse(format(%s)) gives the nanos back',
    (nanos) => {
      expect(parseUsd(formatUsd(nanos))).toBe(nanos);
    },
  );

  it('a non-canonical input comes back canonical', () => {
    expect(formatUsd(parseUsd('12.5')!)).toBe('12.50');
    expect(formatUsd(parseUsd('3')!)).toBe('3.00');
    expect(formatUsd(parseUsd('0.500000000')!)).toBe('0.50');
    expect(formatUsd(parseUsd('007.10')!)).toBe('7.10');
  });
});

describe('roundToCents (invoices): half away from zero', () => {
  it.each([
    [0n, 0n],
    [10_000_000n, 10_000_000n], // $0.01 stays
    [4_999_999n, 0n], // just under half a cent
    [5_000_000n, 10_000_000n], // exactly half a cent rounds up
    [15_000_000n, 20_000_000n], // 1.5 cents -> 2 cents
    [25_000_000n, 30_000_000n], // 2.5 cents -> 3 cents (not banker's rounding to 2)
    [1_234_500_000n, 1_230_000_000n], // $1.2345 -> $1.23
    [1_235_000_000n, 1_240_000_000n], // $1.235 -> $1.24
    [1_234_999_999n, 1_230_000_000n], // $1.234999999 -> $1.23
    [81_797_750n, 80_000_000n], // $0.08179775 -> $0.08
    [999_995_000_000n, 1_000_000_000_000n], // $999.995 -> $1000.00
  ])('%s -> %s', (nanos, cents) => {
    expect(roundToCents(nanos)).toBe(cents);
  });

  it.each([
    [-4_999_999n, 0n],
    [-5_000_000n, -10_000_000n], // -half a cent -> -1 cent, away from zero
    [-15_000_000n, -20_000_000n],
    [-25_000_000n, -30_000_000n],
    [-1_235_000_000n, -1_240_000_000n],
    [-1_234_500_000n, -1_230_000_000n],
  ])('negative %s -> %s (mirror of the positive case)', (nanos, cents) => {
    expect(roundToCents(nanos)).toBe(cents);
  });

  it('renders rounded amounts with two decimals', () => {
    expect(formatUsd(roundToCents(parseUsd('41.005')!))).toBe('41.01');
    expect(formatUsd(roundToCents(parseUsd('-41.005')!))).toBe('-41.01');
    expect(formatUsd(roundToCents(parseUsd('41.004999999')!))).toBe('41.00');
  });
});

describe('minNanos / maxNanos', () => {
  it('pick the smaller and larger amount, including negatives', () => {
    expect(minNanos(3n, 5n)).toBe(3n);
    expect(minNanos(5n, 3n)).toBe(3n);
    expect(minNanos(-1n, 0n)).toBe(-1n);
    expect(maxNanos(3n, 5n)).toBe(5n);
    expect(maxNanos(-7n, -2n)).toBe(-2n);
    expect(maxNanos(4n, 4n)).toBe(4n);
  });
});
