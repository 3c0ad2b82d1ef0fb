// Anthropic's minor-unit strings as exact money: no floats anywhere.
import { describe, expect, it } from 'vitest';
import { formatUsd, parseUsd } from '../../src/domain/money.js';
import { minorToNanos, nanosToWholeMinor, suggestedLimit } from '../../src/domain/minor-units.js';

describe('minor units', () => {
  it('reads cents with up to three decimals exactly', () => {
    expect(formatUsd(minorToNanos('7500')!)).toBe('75.00');
    expect(formatUsd(minorToNanos('12050.5')!)).toBe('120.505');
    expect(formatUsd(minorToNanos('0.001')!)).toBe('0.00001');
    expect(formatUsd(minorToNanos('999999999999999.999')!)).toBe('9999999999999.99999');
    for (const bad of ['', '-1', '1.2345', '1e3', '0x10', ' 1']) expect(minorToNanos(bad)).toBeNull();
  });

  it('writes a limit as whole cents, never a fraction of one', () => {
    expect(nanosToWholeMinor(parseUsd('75.00')!)).toBe('7500');
    expect(nanosToWholeMinor(parseUsd('0.10')!)).toBe('10');
    expect(nanosToWholeMinor(parseUsd('0.005')!)).toBeNull();
  });

  it('suggests half as much again as the limit hit, in whole dollars', () => {
    expect(formatUsd(suggestedLimit(parseUsd('50.00'), parseUsd('50.00')))).toBe('75.00');
    expect(formatUsd(suggestedLimit(parseUsd('33.33'), null))).toBe('50.00');
    expect(formatUsd(suggestedLimit(null, parseUsd('10.00')))).toBe('15.00');
    expect(formatUsd(suggestedLimit(null, null))).toBe('1.00');
  });
});
