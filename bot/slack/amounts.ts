// Amounts people type in modals: "25", "25.5", "$1,250.00". Exact (no floating
// point): parsed by the ledger's parseUsd, at most 2 decimals, never negative.
import { parseUsd, type Nanos } from '../../src/domain/money.js';

export function parseAmount(text: string | null | undefined): Nanos | null {
  if (typeof text !== 'string') return null;
  const cleaned = text.trim().replace(/^\$\s*/, '').replace(/,(?=\d{3}(\D|$))/g, '');
  const nanos = parseUsd(cleaned, 2);
  return nanos !== null && nanos >= 0n ? nanos : null;
}

export const AMOUNT_HINT = 'Enter an amount in US dollars with at most 2 decimals, e.g. 25.00';
