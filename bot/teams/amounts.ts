// Amounts people type in cards: "25", "25.5", "$1,250.00". Exact (no floating
// point): parsed by the ledger's parseUsd, at most 2 decimals, never negative.
import { parseUsd, type Nanos } from '../../src/domain/money.js';

export const AMOUNT_HINT = 'Enter an amount in US dollars with at most 2 decimals, e.g. 25.00';

export function parseAmount(input: string | null | undefined): Nanos | null {
  if (typeof input !== 'string') return null;
  const cleaned = input.trim().replace(/^\$\s*/, '').replace(/,(?=\d{3}(\D|$))/g, '');
  const nanos = parseUsd(cleaned, 2);
  return nanos !== null && nanos >= 0n ? nanos : null;
}

/** What the owner typed: empty, a valid amount, or an error to show under the input. */
export function readAmount(input: string | undefined): { kind: 'empty' } | { kind: 'amount'; nanos: Nanos } | { kind: 'invalid'; error: string } {
  const text = (input ?? '').trim();
  if (!text) return { kind: 'empty' };
  const nanos = parseAmount(text);
  if (nanos === null) return { kind: 'invalid', error: `"${text.slice(0, 40)}" is not an amount. ${AMOUNT_HINT}` };
  return { kind: 'amount', nanos };
}
