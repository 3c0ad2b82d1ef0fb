// Month-end: closes a billing month into an invoice (Enterprise) or a statement
// (Team), once. The usage it bills is claimed by setting invoiceId on exactly the
// events it sums, so nothing is billed twice and nothing is lost: usage recorded
// late (or while the month was closing) stays un-invoiced and lands on the next one
// as an adjustment line.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.js';
import type { Invoice, InvoiceLine, Member, Organization } from '../../generated/prisma/client.js';
import { buildInvoice, buildStatement, compareLines, isPeriod, type CreditRow, type UsageRow } from '../../domain/invoices.js';
import { formatUsd, NANOS_PER_CENT } from '../../domain/money.js';
import { nextPeriod, periodStart } from '../../domain/periods.js';
import { conflict, invalid, notFound } from '../errors.js';
import { inTransaction, isUniqueViolation, type Tx } from '../transactions.js';

export type InvoiceWithLines = Invoice & { lines: InvoiceLine[] };

export interface CloseResult {
  invoice: InvoiceWithLines;
  /** False when the month was already closed and nothing changed. */
  created: boolean;
}

function requirePeriod(period: string): void {
  if (!isPeriod(period)) throw invalid('period', `period must be a month as YYYY-MM, got '${period}'`);
}

export async function getInvoice(db: Db | Tx, orgId: string, period: string): Promise<InvoiceWithLines | null> {
  const invoice = await db.invoice.findUnique({ where: { orgId_period: { orgId, period } }, include: { lines: true } });
  if (!invoice) return null;
  // Lines have no position column: give them one reading order every time.
  invoice.lines.sort(compareLines);
  return invoice;
}

/** Every closed month of the org, newest first. */
export async function listInvoices(db: Db, orgId: string): Promise<Invoice[]> {
  return db.invoice.findMany({ where: { orgId }, orderBy: { period: 'desc' } });
}

/**
 * Closes `period` for the org in one transaction. Closing a closed month returns
 * the stored invoice unchanged. A month is closed only after it has ended in the
 * org's timezone, and never before a later month (the statement chain would break).
 */
export async function closeMonth(db: Db, orgId: string, period: string, now = new Date()): Promise<CloseResult> {
  requirePeriod(period);
  const existing = await getInvoice(db, orgId, period);
  if (existing) return { invoice: existing, created: false };

  const org = await db.organization.findUnique({ where: { id: orgId } });
  if (!org) throw notFound(`organisation '${orgId}'`, 'orgId');
  const endsAt = periodStart(nextPeriod(period), org.timezone);
  if (now.getTime() < endsAt.getTime()) {
    throw invalid('period', `${period} has not ended in ${org.timezone} yet; it can be closed from ${endsAt.toISOString()}`);
  }

  let created = false;
  try {
    await inTransaction(db, async (tx) => {
      // One close per org at a time, so the checks below hold until commit.
      await tx.$queryRaw`SELECT "id" FROM "Organization" WHERE "id" = ${orgId} FOR UPDATE`;
      if (await tx.invoice.findUnique({ where: { orgId_period: { orgId, period } }, select: { id: true } })) return;
      const later = await tx.invoice.findFirst({ where: { orgId, period: { gt: period } }, select: { period: true } });
      if (later) throw conflict(`${later.period} is already closed, so ${period} can no longer be closed`, 'period');

      // The row must exist before events can point at it; totals are set below.
      const invoiceId = randomUUID();
      const kind = org.plan === 'team' ? 'statement' : 'invoice';
      await tx.invoice.create({ data: { id: invoiceId, orgId, period, kind, subtotalNanos: 0n, totalCents: 0n, closedAt: now } });
      const usage = await claimUsage(tx, orgId, period, invoiceId);
      const draft = kind === 'statement' ? buildStatement(await statementInput(tx, org, period, usage)) : buildInvoice(period, usage);
      if (draft.lines.length > 0) await tx.invoiceLine.createMany({ data: draft.lines.map((l) => ({ invoiceId, ...l })) });
      await tx.invoice.update({
        where: { id: invoiceId },
        data: {
          subtotalNanos: draft.subtotalNanos,
          totalCents: draft.totalCents,
          ...(draft.kind === 'statement' ? { openingBalanceNanos: draft.openingBalanceNanos, closingBalanceNanos: draft.closingBalanceNanos } : {}),
        },
      });
      created = true;
    });
  } catch (err) {
    // Another close of the same month won the race (PostgreSQL): theirs stands.
    if (!isUniqueViolation(err)) throw err;
  }
  const invoice = await getInvoice(db, orgId, period);
  if (!invoice) throw new Error(`closing ${period} of ${orgId} left no invoice`);
  return { invoice, created };
}

/**
 * Marks every un-invoiced event of the month or earlier as billed by this invoice
 * and returns exactly those events, summed per member, model family (a dated id
 * or alias is billed on its family's line), product and month (usageLines decides
 * whether lines are split by product). Unpriced usage waits: once
 * priced, it is billed by the next month closed (an adjustment line for its month). An event
 * committed after this statement ran keeps invoiceId NULL for the next invoice.
 */
async function claimUsage(tx: Tx, orgId: string, period: string, invoiceId: string): Promise<UsageRow[]> {
  const rows = await tx.$queryRaw<{ memberId: string; memberName: string; model: string; period: string; product: string | null; extraNanos: bigint | string; events: number }[]>`
    WITH claimed AS (
      UPDATE "UsageEvent" SET "invoiceId" = ${invoiceId}
      WHERE "orgId" = ${orgId} AND "invoiceId" IS NULL AND "period" <= ${period} AND "costNanos" IS NOT NULL
      RETURNING "memberId", "family", "period", "product", "extraNanos"
    )
    SELECT c."memberId", m."name" AS "memberName", c."family" AS "model", c."period", c."product",
           SUM(c."extraNanos")::bigint AS "extraNanos",
           (COUNT(*) FILTER (WHERE c."extraNanos" > 0))::int AS "events"
    FROM claimed c JOIN "Member" m ON m."id" = c."memberId"
    GROUP BY c."memberId", m."name", c."family", c."period", c."product"`;
  return rows.map((r) => ({ ...r, extraNanos: BigInt(r.extraNanos), events: Number(r.events) }));
}

/** The balance side of a Team statement: the previous closing and the credits around this month. */
async function statementInput(tx: Tx, org: Organization, period: string, usage: UsageRow[]) {
  const previous = await tx.invoice.findFirst({ where: { orgId: org.id, kind: 'statement', period: { lt: period } }, orderBy: { period: 'desc' } });
  const monthStart = periodStart(period, org.timezone);
  const monthEnd = periodStart(nextPeriod(period), org.timezone);
  // Credits after the previous statement's month (or ever, for a first statement) up to the end of this month.
  const from = previous ? periodStart(nextPeriod(previous.period), org.timezone) : undefined;
  const entries = await tx.balanceEntry.findMany({ where: { orgId: org.id, createdAt: { ...(from ? { gte: from } : {}), lt: monthEnd } } });
  const rows: CreditRow[] = entries.map((e) => ({ kind: e.kind, amountNanos: e.amountNanos, at: e.createdAt }));
  return {
    period,
    previousClosingNanos: previous?.closingBalanceNanos ?? null,
    carriedCredits: rows.filter((c) => c.at.getTime() < monthStart.getTime()),
    credits: rows.filter((c) => c.at.getTime() >= monthStart.getTime()),
    usage,
  };
}

// ---- API and workflow views: USD decimal strings (JSON-safe, no bigint) ----

export interface InvoiceLineView {
  kind: string;
  memberId: string | null;
  model: string | null;
  usagePeriod: string | null;
  description: string;
  /** Exact. */
  amount: string;
  eventCount: number;
  /** Usage lines: the product billed (null: unspecified, or the line was not split by product). */
  product: string | null;
}

export interface InvoiceSummary {
  id: string;
  period: string;
  kind: 'invoice' | 'statement';
  closedAt: string;
  /** Exact sum of the usage lines (for a statement: the consumption). */
  subtotal: string;
  /** The subtotal rounded once to the cent, half away from zero: "12.35". */
  total: string;
  /** Statements only. */
  openingBalance?: string;
  closingBalance?: string;
}

export interface InvoiceView extends InvoiceSummary {
  /** Statements only: credits of the month by kind, and the consumption. */
  purchases?: string;
  reloads?: string;
  balanceAdjustments?: string;
  consumption?: string;
  lines: InvoiceLineView[];
}

export function invoiceSummary(inv: Invoice): InvoiceSummary {
  return {
    id: inv.id,
    period: inv.period,
    kind: inv.kind,
    closedAt: inv.closedAt.toISOString(),
    subtotal: formatUsd(inv.subtotalNanos),
    total: formatUsd(inv.totalCents * NANOS_PER_CENT),
    ...(inv.kind === 'statement'
      ? { openingBalance: formatUsd(inv.openingBalanceNanos ?? 0n), closingBalance: formatUsd(inv.closingBalanceNanos ?? 0n) }
      : {}),
  };
}

export function invoiceView(inv: InvoiceWithLines): InvoiceView {
  const of = (kind: string) => formatUsd(inv.lines.filter((l) => l.kind === kind).reduce((s, l) => s + l.amountNanos, 0n));
  return {
    ...invoiceSummary(inv),
    ...(inv.kind === 'statement'
      ? { purchases: of('purchase'), reloads: of('reload'), balanceAdjustments: of('balance_adjustment'), consumption: formatUsd(inv.subtotalNanos) }
      : {}),
    lines: inv.lines.map((l) => ({
      kind: l.kind,
      memberId: l.memberId,
      model: l.model,
      usagePeriod: l.usagePeriod,
      description: l.description,
      amount: formatUsd(l.amountNanos),
      eventCount: l.eventCount,
      product: l.product,
    })),
  };
}

// ---- Members paused by their own cap in a closed month ----

export interface PausedMember {
  member: Member;
  capNanos: bigint;
  spentNanos: bigint;
}

/** Active members whose extra spend in `period` reached their own cap (as it stands now). */
export async function capPausedMembers(db: Db, orgId: string, period: string): Promise<PausedMember[]> {
  requirePeriod(period);
  const [members, spend] = await Promise.all([
    db.member.findMany({ where: { orgId, removedAt: null, extraUsageCapNanos: { not: null } }, orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
    db.monthlySpend.findMany({ where: { orgId, period, scope: 'member' } }),
  ]);
  const spent = new Map(spend.map((s) => [s.subject, s.extraNanos]));
  return members
    .map((member) => ({ member, capNanos: member.extraUsageCapNanos!, spentNanos: spent.get(member.id) ?? 0n }))
    // A cap of zero never let them start: nothing to tell.
    .filter((p) => p.spentNanos > 0n && p.spentNanos >= p.capNanos);
}
