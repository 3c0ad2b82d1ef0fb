// Money as people type it: "1,500", "$1,500.00" and "1500" name the same amount, read
// exactly; anything that is not plainly an amount is refused, never guessed at.
import { describe, expect, it } from 'vitest';
import { moneyInput, moneyInputNanos, normalisedMoney, readAmount } from '../../src/domain/money-input.js';

describe('moneyInput', () => {
  it.each([
    ['1500', '1500'],
    ['1,500', '1500'],
    ['$1,500.00', '1500.00'],
    ['$1500', '1500'],
    [' $ 12.5 ', '12.5'],
    ['12,345,678.90', '12345678.90'],
    ['0.01', '0.01'],
    ['0', '0'],
    ['007', '7'],
    ['00.50', '0.50'],
    ['1500 USD', '1500'],
    ['US$75', '75'],
  ])('reads %j as %j', (typed, plain) => {
    expect(moneyInput(typed)).toBe(plain);
  });

  it.each(['', '$', '1,50', '1,5000', ',500', '1.', '.5', '12.345', '-5', '+5', '1e3', '1 500', '12,50', 'abc', '$-1', '1,500,00', 'NaN', 'Infinity'])('refuses %j', (typed) => {
    expect(moneyInput(typed)).toBeNull();
  });

  it('is exact far past a float\'s precision', () => {
    expect(moneyInputNanos('$123,456,789.99')).toBe(123_456_789_990_000_000n);
    expect(moneyInputNanos('0.07')).toBe(70_000_000n);
    expect(moneyInputNanos('1,50')).toBeNull();
  });

  it('leaves what is not an amount as typed, for the field\'s rule to name', () => {
    expect(normalisedMoney('$1,500.00')).toBe('1500.00');
    expect(normalisedMoney('twelve')).toBe('twelve');
    expect(normalisedMoney(undefined)).toBeUndefined();
  });
});

describe('readAmount: a balance form amount, or why not in words', () => {
  it('reads what people type, exactly', () => {
    expect(readAmount('1,500')).toEqual({ ok: true, nanos: 1_500_000_000_000n });
    expect(readAmount('$1,500.00')).toEqual({ ok: true, nanos: 1_500_000_000_000n });
    expect(readAmount(' 12.5 dollars ')).toEqual({ ok: true, nanos: 12_500_000_000n });
  });
  it('says what to type instead', () => {
    expect(readAmount('-5')).toEqual({ ok: false, message: 'Enter an amount of zero or more (no minus sign).' });
    expect(readAmount('12.345')).toEqual({ ok: false, message: 'Enter the amount in whole cents: at most 2 digits after the point (such as 12.50).' });
    expect(readAmount('ten')).toMatchObject({ ok: false, message: expect.stringContaining('is not an amount in dollars') });
    expect(readAmount('0', { positive: true })).toEqual({ ok: false, message: 'Enter an amount of more than $0.00, such as 50.' });
    expect(readAmount('9999999999999')).toMatchObject({ ok: false, message: expect.stringMatching(/^Enter at most \$/) });
  });
});
