// Money is integer nano-dollars (1e-9 USD) in bigint everywhere; decimal strings
// only at the API edge. No floating point on the money path.

export const NANOS_PER_USD = 1_000_000_000n;
export const NANOS_PER_CENT = 10_000_000n;

export type Nanos = bigint;

/**
 * The most any one amount field may carry (caps, allowances, purchases, reloads):
 * $999,999,999.99, far inside what PostgreSQL BIGINT nanos hold (~$9.22 billion),
 * so sums of a few of them cannot overflow.
 */
export const MAX_AMOUNT_USD = '999999999.99';
export const MAX_AMOUNT_NANOS = 999_999_999_990_000_000n;
/** The most a prepaid balance may reach by purchases: a reload on top still fits. */
export const MAX_BALANCE_NANOS = 2n * MAX_AMOUNT_NANOS;

const DECIMAL = /^(-)?(\d{1,12})(?:\.(\d{1,9}))?$/;

/** Parses "12.50" into nano-dollars. Returns null when the text is not an exact USD amount. */
export function parseUsd(text: string, maxDecimals = 9): Nanos | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const [, sign, whole, frac = ''] = m;
  if (frac.length > maxDecimals) return null;
  const nanos = BigInt(whole!) * NANOS_PER_USD + BigInt(frac.padEnd(9, '0'));
  return sign ? -nanos : nanos;
}

/** Renders nano-dollars as a USD decimal string with at least two decimals and no trailing zeros beyond. */
export function formatUsd(nanos: Nanos): string {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const whole = abs / NANOS_PER_USD;
  let frac = (abs % NANOS_PER_USD).toString().padStart(9, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

export function formatUsdOrNull(nanos: Nanos | null): string | null {
  return nanos === null ? null : formatUsd(nanos);
}

/** Rounds to whole cents, half away from zero: the one rounding rule, used only on invoices. */
export function roundToCents(nanos: Nanos): Nanos {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const rounded = ((abs + NANOS_PER_CENT / 2n) / NANOS_PER_CENT) * NANOS_PER_CENT;
  return negative ? -rounded : rounded;
}

export function minNanos(a: Nanos, b: Nanos): Nanos {
  return a < b ? a : b;
}

export function maxNanos(a: Nanos, b: Nanos): Nanos {
  return a > b ? a : b;
}
