// Billing (admins and owners): the closed months (Enterprise invoices, Team
// statements) as month-end stored them, one month's lines by model and product, a CSV
// download and a printable page. Amounts come from the same views as GET /v1/invoices
// (invoiceView), so the page, the CSV and the API show the same strings: line amounts
// exact, the total rounded once to the cent.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPeriod } from '../../domain/invoices.js';
import { formatUsd, parseUsd } from '../../domain/money.js';
import { roleWords, isAdmin } from '../../ledger/actors.js';
import { getInvoice, invoiceSummary, invoiceView, listInvoices, type InvoiceLineView, type InvoiceView } from '../../ledger/reports/invoices.js';
import { periodOf } from '../../domain/periods.js';
import { whenText } from '../../notify/email-format.js';
import { usdExact } from '../../domain/display.js';
import { textCell, toCsv } from '../csv.js';
import type { ConsoleDeps } from '../deps.js';
import { refusalPage, signedIn, type PageContext } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, sendPage } from '../layout.js';

/** Amounts as the invoice holds them (lines exact, totals in cents), with thousands separators. */
const usd = (s: string) => usdExact(s);
const KIND_NAMES = { invoice: 'Invoice', statement: 'Statement' } as const;
const CREDIT_KINDS: Record<string, string> = { purchase: 'Purchase', reload: 'Auto-reload', balance_adjustment: 'Balance adjustment' };

/** "2026-10" → "October 2026". */
export function monthName(period: string): string {
  const [y, m] = period.split('-').map(Number);
  return new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y!, m! - 1, 15)));
}

const nanos = (amount: string) => parseUsd(amount) ?? 0n;

export interface ModelProductRow {
  model: string;
  product: string | null;
  amount: string;
  requests: number;
}

/** Usage and late-usage lines summed per model and product (exact), largest first. */
export function byModelAndProduct(lines: readonly InvoiceLineView[]): ModelProductRow[] {
  const groups = new Map<string, { model: string; product: string | null; nanos: bigint; requests: number }>();
  for (const l of lines) {
    if (l.kind !== 'usage' && l.kind !== 'adjustment') continue;
    const key = JSON.stringify([l.model, l.product]);
    const g = groups.get(key) ?? { model: l.model ?? '', product: l.product, nanos: 0n, requests: 0 };
    g.nanos += nanos(l.amount);
    g.requests += l.eventCount;
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => (a.nanos === b.nanos ? `${a.model} ${a.product ?? ''}`.localeCompare(`${b.model} ${b.product ?? ''}`) : a.nanos > b.nanos ? -1 : 1))
    .map((g) => ({ model: g.model, product: g.product, amount: formatUsd(g.nanos), requests: g.requests }));
}

/** The month's CSV: one row per line, then the totals (kind says which row is which). */
export function invoiceCsv(orgName: string, v: InvoiceView): string {
  const rows: (string | number | null)[][] = [['month', 'document', 'kind', 'description', 'model', 'product', 'usage_month', 'requests', 'amount_usd']];
  const doc = KIND_NAMES[v.kind];
  for (const l of v.lines) rows.push([v.period, doc, l.kind, textCell(l.description), textCell(l.model), textCell(l.product), l.usagePeriod, l.eventCount, l.amount]);
  if (v.kind === 'statement') {
    rows.push([v.period, doc, 'opening_balance', textCell(`${orgName}: opening balance`), null, null, null, null, v.openingBalance ?? '0.00']);
    rows.push([v.period, doc, 'closing_balance', textCell(`${orgName}: closing balance`), null, null, null, null, v.closingBalance ?? '0.00']);
  }
  rows.push([v.period, doc, 'subtotal', textCell(`${orgName}: usage, exact`), null, null, null, null, v.subtotal]);
  rows.push([v.period, doc, 'total', textCell(`${orgName}: total, rounded to the cent`), null, null, null, null, v.total]);
  return toCsv(rows);
}

function monthBody(v: InvoiceView, orgName: string, tz: string, print: boolean): Html {
  const usage = v.lines.filter((l) => l.kind === 'usage');
  const late = v.lines.filter((l) => l.kind === 'adjustment');
  const credits = v.lines.filter((l) => CREDIT_KINDS[l.kind]);
  const groups = byModelAndProduct(v.lines);
  const lineRow = (l: InvoiceLineView) => html`<tr data-line><td>${l.description}</td>${l.kind === 'adjustment' ? html`<td>${l.usagePeriod ? monthName(l.usagePeriod) : ''}</td>` : ''}<td class="num">${l.eventCount}</td><td class="num" data-amount>${usd(l.amount)}</td></tr>`;
  const lineTable = (rows: InvoiceLineView[], label: string, withMonth = false) => html`<table tabindex="0" aria-label="${label}"><thead><tr><th scope="col">Line</th>${withMonth ? html`<th scope="col">Usage month</th>` : ''}<th scope="col" class="num">Requests</th><th scope="col" class="num">Amount (exact)</th></tr></thead><tbody>${rows.map(lineRow)}</tbody></table>`;

  const balance = v.kind === 'statement' ? html`<section class="card" aria-labelledby="h-balance"><h2 id="h-balance">Prepaid balance</h2>
<table tabindex="0" aria-label="Balance over the month"><tbody>
<tr><th scope="row">Opening balance</th><td class="num" data-testid="opening">${usd(v.openingBalance ?? '0.00')}</td></tr>
<tr><th scope="row">Purchases</th><td class="num">${usd(v.purchases ?? '0.00')}</td></tr>
<tr><th scope="row">Auto-reloads</th><td class="num">${usd(v.reloads ?? '0.00')}</td></tr>
<tr><th scope="row">Balance adjustments</th><td class="num">${usd(v.balanceAdjustments ?? '0.00')}</td></tr>
<tr><th scope="row">Consumption (extra usage)</th><td class="num">−${usd(v.consumption ?? v.subtotal)}</td></tr>
<tr><th scope="row">Closing balance</th><td class="num" data-testid="closing"><strong>${usd(v.closingBalance ?? '0.00')}</strong></td></tr>
</tbody></table>
${credits.length ? html`<h3>Credits</h3><table tabindex="0" aria-label="Credits"><thead><tr><th scope="col">Credit</th><th scope="col" class="num">Amount</th></tr></thead><tbody>${credits.map((l) => html`<tr><td>${CREDIT_KINDS[l.kind]}: ${l.description}</td><td class="num">${usd(l.amount)}</td></tr>`)}</tbody></table>` : ''}
</section>` : '';

  return html`<p class="muted">${orgName} · ${KIND_NAMES[v.kind]} ${v.id} · closed ${whenText(v.closedAt, tz)}</p>
<section class="card" aria-labelledby="h-total"><h2 id="h-total">${v.kind === 'invoice' ? 'Total due' : 'Extra usage this month'}</h2>
<p><span class="big" data-testid="total">${usd(v.total)}</span> <span class="muted">(exact: <span data-testid="subtotal">${usd(v.subtotal)}</span>, rounded once to the cent)</span></p>
${print ? '' : html`<p><a class="button secondary" href="/billing/${v.period}.csv" download>Download CSV</a> <a class="button secondary" href="/billing/${v.period}/print">Printable page</a></p>`}
</section>
${balance}
<section class="card" aria-labelledby="h-models"><h2 id="h-models">By model and product</h2>
${groups.length ? html`<table tabindex="0" aria-label="Extra usage by model and product" data-testid="by-model"><thead><tr><th scope="col">Model</th><th scope="col">Product</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Amount (exact)</th></tr></thead><tbody>
${groups.map((g) => html`<tr><td>${g.model}</td><td>${g.product ?? 'not specified'}</td><td class="num">${g.requests}</td><td class="num">${usd(g.amount)}</td></tr>`)}</tbody></table>` : html`<p>No extra usage was billed this month.</p>`}
</section>
<section class="card" aria-labelledby="h-lines"><h2 id="h-lines">Lines</h2>
${usage.length ? lineTable(usage, `Extra usage in ${monthName(v.period)}`) : html`<p>No usage lines.</p>`}
</section>
${late.length ? html`<section class="card" aria-labelledby="h-late"><h2 id="h-late">Adjustments</h2><p class="muted">Usage of earlier months recorded after those months closed, billed here.</p>${lineTable(late, 'Late usage of earlier months', true)}</section>` : ''}`;
}

export function billingPage(app: FastifyInstance, deps: ConsoleDeps) {
  /** Admins and owners (GET /v1/invoices's rule); a member is refused with 403. */
  const adminCtx = async (request: FastifyRequest, reply: FastifyReply): Promise<PageContext | null> => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return null;
    if (!isAdmin(ctx.viewer.member)) {
      refusalPage(reply, ctx, 403, `${ctx.viewer.member.name} is ${roleWords(ctx.viewer.member.role)}: only an admin or owner can see billing`);
      return null;
    }
    return ctx;
  };

  app.get('/billing', async (request, reply) => {
    const ctx = await adminCtx(request, reply);
    if (!ctx) return reply;
    const org = ctx.viewer.org;
    const months = (await listInvoices(deps.db, org.id)).map(invoiceSummary);
    const current = periodOf(deps.now(), org.timezone);
    const noun = org.plan === 'team' ? 'statement' : 'invoice';
    return sendPage(reply, layout({
      title: 'Billing', viewer: ctx.viewer, csrf: ctx.csrf, current: '/billing',
      body: html`<h1>Billing</h1><p class="muted">${org.name} · ${org.plan === 'enterprise' ? 'Enterprise plan: an invoice' : 'Team plan: a statement of the prepaid balance'} per month, made when the month ends in ${org.timezone}. ${monthName(current)} is still open.</p>
${months.length ? html`<table tabindex="0" aria-label="Closed months" data-testid="months"><thead><tr><th scope="col">Month</th><th scope="col">Document</th><th scope="col">Closed</th>${org.plan === 'team' ? html`<th scope="col" class="num">Closing balance</th>` : ''}<th scope="col" class="num">Total</th><th scope="col">Download</th></tr></thead><tbody>
${months.map((m) => html`<tr data-month="${m.period}"><th scope="row"><a href="/billing/${m.period}">${monthName(m.period)}</a></th><td>${KIND_NAMES[m.kind]}</td><td>${whenText(m.closedAt, org.timezone)}</td>${org.plan === 'team' ? html`<td class="num">${usd(m.closingBalance ?? '0.00')}</td>` : ''}<td class="num" data-amount>${usd(m.total)}</td><td><a href="/billing/${m.period}.csv" download>CSV<span class="visually-hidden"> for ${monthName(m.period)}</span></a></td></tr>`)}
</tbody></table>` : html`<p data-testid="no-months">No ${noun} yet: the first is made when a month ends.</p>`}`,
    }));
  });

  /** The closed month, or a 404 page saying why there is none (yet). */
  const monthOf = async (ctx: PageContext, reply: FastifyReply, period: string): Promise<InvoiceView | null> => {
    const org = ctx.viewer.org;
    if (!isPeriod(period)) {
      refusalPage(reply, ctx, 404, `"${period}" is not a month: billing months are written YYYY-MM, such as ${periodOf(deps.now(), org.timezone)}.`);
      return null;
    }
    const invoice = await getInvoice(deps.db, org.id, period);
    if (!invoice) {
      const open = period >= periodOf(deps.now(), org.timezone);
      const noun = org.plan === 'team' ? 'statement' : 'invoice';
      sendPage(reply, layout({
        title: `No ${noun} for ${monthName(period)}`, viewer: ctx.viewer, csrf: ctx.csrf, current: '/billing',
        body: html`<h1>No ${noun} for ${monthName(period)} yet</h1>
<p data-testid="not-closed">${open ? `${monthName(period)} has not ended in ${org.timezone}: its ${noun} is made when it ends.` : `${monthName(period)} has not been closed. Month-end closes each month shortly after it ends; if this stays, tell your operator.`}</p>
<p><a href="/billing">All ${noun}s</a></p>`,
      }), 404);
      return null;
    }
    return invoiceView(invoice);
  };

  app.get<{ Params: { month: string } }>('/billing/:month', async (request, reply) => {
    const ctx = await adminCtx(request, reply);
    if (!ctx) return reply;
    const csv = request.params.month.endsWith('.csv');
    const period = csv ? request.params.month.slice(0, -'.csv'.length) : request.params.month;
    const v = await monthOf(ctx, reply, period);
    if (!v) return reply;
    const org = ctx.viewer.org;
    if (csv) {
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${v.kind}-${(org.slug ?? 'org').replace(/[^A-Za-z0-9_-]/g, '_')}-${v.period}.csv"`)
        .header('cache-control', 'no-store')
        .send(invoiceCsv(org.name, v));
    }
    return sendPage(reply, layout({
      title: `${KIND_NAMES[v.kind]} ${monthName(v.period)}`, viewer: ctx.viewer, csrf: ctx.csrf, current: '/billing',
      body: html`<p><a href="/billing">All months</a></p><h1>${KIND_NAMES[v.kind]} for ${monthName(v.period)}</h1>${monthBody(v, org.name, org.timezone, false)}`,
    }));
  });

  // The same month without the console around it, for the browser's Print / Save as PDF.
  app.get<{ Params: { month: string } }>('/billing/:month/print', async (request, reply) => {
    const ctx = await adminCtx(request, reply);
    if (!ctx) return reply;
    const v = await monthOf(ctx, reply, request.params.month);
    if (!v) return reply;
    const org = ctx.viewer.org;
    return sendPage(reply, layout({
      title: `${KIND_NAMES[v.kind]} ${monthName(v.period)} (print)`,
      body: html`<div class="print-sheet"><p class="no-print"><a href="/billing/${v.period}">Back to the console</a> · Print this page with your browser (Ctrl+P or ⌘P) to save it as PDF.</p>
<h1>${org.name}: ${KIND_NAMES[v.kind].toLowerCase()} for ${monthName(v.period)}</h1>${monthBody(v, org.name, org.timezone, true)}</div>`,
    }));
  });
}
