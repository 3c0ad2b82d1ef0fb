// Closing a billing month, as pure arithmetic: the lines of an invoice (Enterprise)
// or of a statement (Team) from the usage and credits the ledger hands in.
//
// Rounding rule (the only one): every line and the subtotal stay exact in
// nano-dollars; the subtotal alone is rounded, once, to whole cents, half away from
// zero (roundToCents). Lines are never rounded, so the lines always add up to the
// subtotal exactly and the total differs from it by less than half a cent.
import { NANOS_PER_CENT, roundToCents, type Nanos } from './money.js';
import { UNSPECIFIED_PRODUCT } from './products.js';

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isPeriod(text: string): boolean {
  return PERIOD.test(text);
}

/** The month before `period` ("2027-01" → "2026-12"). */
export function previousPeriod(period: string): string {
  const m = PERIOD.exec(period);
  if (!m) throw new Error(`not a period: ${period}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

/** Un-invoiced usage: one event, or events already summed per member, model and month. */
export interface UsageRow {
  memberId: string;
  memberName: string;
  model: string;
  /** The month the usage belongs to, in the org's timezone. */
  period: string;
  extraNanos: Nanos;
  /** How many billed requests the row stands for (1 when the row is one event). */
  events?: number;
  /** The product the usage named; null or absent: unspecified. */
  product?: string | null;
}

export type LineKind = 'usage' | 'adjustment' | 'purchase' | 'reload' | 'balance_adjustment';

export interface LineDraft {
  kind: LineKind;
  memberId: string | null;
  model: string | null;
  usagePeriod: string | null;
  description: string;
  amountNanos: Nanos;
  eventCount: number;
  /** The product of the usage it bills (null: unspecified, or not a usage line). */
  product: string | null;
}

/** Whole cents of an exact amount under the rounding rule above. */
export function totalCentsOf(nanos: Nanos): bigint {
  return roundToCents(nanos) / NANOS_PER_CENT;
}

/**
 * One line per member and model: kind 'usage' for the month being closed, kind
 * 'adjustment' (labelled with its own month) for usage of an earlier month that was
 * recorded after that month closed. Groups with no extra usage are dropped. Where the
 * usage billed (with extra usage) names more than one product (unspecified counting
 * as one), each line is one product's and says which; the amounts are the same
 * exact nanos, only grouped finer, so the subtotal does not change.
 */
export function usageLines(rows: readonly UsageRow[], period: string): LineDraft[] {
  const billed = rows.filter((r) => r.extraNanos !== 0n);
  const split = new Set(billed.map((r) => r.product ?? null)).size > 1;
  const groups = new Map<string, LineDraft & { memberName: string }>();
  for (const r of rows) {
    if (r.period > period) throw new Error(`usage of ${r.period} cannot be billed when closing ${period}`);
    const product = r.product ?? null;
    const key = JSON.stringify([r.period, r.memberId, r.model, split ? product : null]);
    let g = groups.get(key);
    if (!g) {
      const late = r.period < period;
      const label = `${r.memberName} · ${r.model}${split ? ` · ${product ?? UNSPECIFIED_PRODUCT}` : ''}`;
      // Not split: the line still names the product when all its usage named the same one.
      const same = new Set(rows.filter((x) => x.period === r.period && x.memberId === r.memberId && x.model === r.model).map((x) => x.product ?? null));
      g = {
        kind: late ? 'adjustment' : 'usage',
        memberId: r.memberId,
        memberName: r.memberName,
        model: r.model,
        usagePeriod: r.period,
        description: late ? `${label} · late usage for ${r.period}` : label,
        amountNanos: 0n,
        eventCount: 0,
        product: split || same.size === 1 ? product : null,
      };
      groups.set(key, g);
    }
    g.amountNanos += r.extraNanos;
    // Requests that stayed within the included allowance are not billed requests.
    g.eventCount += r.events ?? (r.extraNanos > 0n ? 1 : 0);
  }
  return [...groups.values()]
    .filter((g) => g.amountNanos !== 0n)
    .sort(compareLines)
    .map(({ memberName: _name, ...line }) => line);
}

const KIND_ORDER: Record<string, number> = { purchase: 0, reload: 1, balance_adjustment: 2, usage: 3, adjustment: 4 };
const rank = (kind: string) => KIND_ORDER[kind] ?? 9;

/** A line as drafted or as stored (a stored kind is a plain string). */
type SortableLine = { kind: string; usagePeriod: string | null; description: string; memberId: string | null; model: string | null; product?: string | null };

/** Stable reading order (lines have no position column): purchases, reloads, this month's usage, then late usage by month. */
export function compareLines(a: SortableLine, b: SortableLine): number {
  return (
    rank(a.kind) - rank(b.kind) ||
    cmp(a.usagePeriod ?? '', b.usagePeriod ?? '') ||
    cmp(a.description, b.description) ||
    cmp(a.memberId ?? '', b.memberId ?? '') ||
    cmp(a.model ?? '', b.model ?? '') ||
    cmp(a.product ?? '', b.product ?? '')
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const sum = (lines: readonly { amountNanos: Nanos }[]) => lines.reduce((s, l) => s + l.amountNanos, 0n);

export interface InvoiceDraft {
  kind: 'invoice';
  period: string;
  lines: LineDraft[];
  /** Exact sum of the lines. */
  subtotalNanos: Nanos;
  totalCents: bigint;
}

/** Enterprise: the month's extra usage, billed in arrears. */
export function buildInvoice(period: string, usage: readonly UsageRow[]): InvoiceDraft {
  const lines = usageLines(usage, period);
  const subtotalNanos = sum(lines);
  return { kind: 'invoice', period, lines, subtotalNanos, totalCents: totalCentsOf(subtotalNanos) };
}

/** Money into the prepaid balance (a BalanceEntry). */
export interface CreditRow {
  kind: 'purchase' | 'reload' | 'adjustment';
  amountNanos: Nanos;
  at: Date;
}

export interface StatementInput {
  period: string;
  /** The previous statement's closing balance; null for the org's first statement. */
  previousClosingNanos: Nanos | null;
  /**
   * Credits bought after the previous statement's month and before this month
   * (all earlier credits for a first statement): carried into the opening balance
   * so that no purchase falls between two statements.
   */
  carriedCredits: readonly CreditRow[];
  /** Credits whose time falls in the month being closed. */
  credits: readonly CreditRow[];
  usage: readonly UsageRow[];
}

export interface StatementDraft {
  kind: 'statement';
  period: string;
  lines: LineDraft[];
  openingBalanceNanos: Nanos;
  purchasesNanos: Nanos;
  reloadsNanos: Nanos;
  adjustmentsNanos: Nanos;
  /** Extra usage drawn from the balance: the sum of the usage and adjustment lines. */
  consumptionNanos: Nanos;
  closingBalanceNanos: Nanos;
  /** The consumption (what the balance paid for), exact. */
  subtotalNanos: Nanos;
  totalCents: bigint;
}

const CREDIT_LABEL: Record<CreditRow['kind'], { kind: LineKind; label: string }> = {
  purchase: { kind: 'purchase', label: 'Prepaid purchase' },
  reload: { kind: 'reload', label: 'Auto-reload' },
  adjustment: { kind: 'balance_adjustment', label: 'Balance adjustment' },
};

/** Team: opening balance, purchases and reloads, consumption, closing balance. */
export function buildStatement(input: StatementInput): StatementDraft {
  const creditLines: LineDraft[] = input.credits.map((c) => ({
    kind: CREDIT_LABEL[c.kind].kind,
    memberId: null,
    model: null,
    usagePeriod: null,
    // The instant in the text keeps lines of one kind in time order (see compareLines).
    description: `${CREDIT_LABEL[c.kind].label}, ${c.at.toISOString()}`,
    amountNanos: c.amountNanos,
    eventCount: 0,
    product: null,
  }));
  const consumption = usageLines(input.usage, input.period);
  const of = (kind: CreditRow['kind']) => sum(input.credits.filter((c) => c.kind === kind));
  const openingBalanceNanos = (input.previousClosingNanos ?? 0n) + sum(input.carriedCredits);
  const purchasesNanos = of('purchase');
  const reloadsNanos = of('reload');
  const adjustmentsNanos = of('adjustment');
  const consumptionNanos = sum(consumption);
  return {
    kind: 'statement',
    period: input.period,
    lines: [...creditLines, ...consumption].sort(compareLines),
    openingBalanceNanos,
    purchasesNanos,
    reloadsNanos,
    adjustmentsNanos,
    consumptionNanos,
    closingBalanceNanos: openingBalanceNanos + purchasesNanos + reloadsNanos + adjustmentsNanos - consumptionNanos,
    subtotalNanos: consumptionNanos,
    totalCents: totalCentsOf(consumptionNanos),
  };
}
