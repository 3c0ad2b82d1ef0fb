// The ledger's columns count nano-dollars (`orgMonthlyCapNanos: '1500000000000'`);
// people and clients read dollars. Audit entries and provisioning changes keep the
// ledger's before/after as stored, so they are turned into decimal strings here, on
// the way out: `orgMonthlyCapNanos` → `orgMonthlyCap: "1500.00"`.
import { formatUsd } from '../domain/money.js';

const INTEGER = /^-?\d+$/;

/** A copy of `value` with every `<name>Nanos` integer as `<name>`: a USD decimal string (null stays null). */
export function withDollarAmounts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDollarAmounts);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const isAmountKey = key.endsWith('Nanos') && key.length > 'Nanos'.length;
    const isInteger = typeof v === 'bigint' || ((typeof v === 'string' || typeof v === 'number') && INTEGER.test(String(v)));
    // null is "Unlimited" for a cap: it keeps its meaning under the dollar name.
    if (isAmountKey && (isInteger || v === null)) out[key.slice(0, -'Nanos'.length)] = v === null ? null : formatUsd(BigInt(v as string | number | bigint));
    else out[key] = withDollarAmounts(v);
  }
  return out;
}
