// Spend (admins and owners): a month's extra spend per day against the org cap, the
// day the cap is reached at the month's rate, top members, and the split by model and
// by product; per member, their month. Every figure is from the same functions as
// GET /v1/reports/spend, /v1/reports/spend/members/:member and /v1/reports/products,
// shown to whole cents. Members have their own month on My usage.
import { tierName, usdExact } from '../../domain/display.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { text } from '../../domain/fields.js';
import { parseUsd } from '../../domain/money.js';
import { nextPeriod, periodOf, periodStart } from '../../domain/periods.js';
import { isAdmin } from '../../ledger/actors.js';
import { LedgerError } from '../../ledger/errors.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { memberSpendReport, spendReport, type SpendDay, type SpendLine } from '../../ledger/reports/spend.js';
import { whenText } from '../../notify/email-format.js';
import { cents, projectedEnd, spendChart } from '../charts.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField, ErrorSlots, fieldId } from '../forms.js';
import { listGatewayKeys, revokeGatewayKey } from '../../gateway/keys.js';
import { refusalPage, signedIn, type PageContext } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, sendPage } from '../layout.js';

const PRODUCT_NAMES: Record<string, string> = { claude: 'Claude', claude_code: 'Claude Code', api: 'API', unspecified: 'Unspecified' };
export const productLabel = (p: string) => PRODUCT_NAMES[p] ?? `${p} (declared)`;

const dayText = (date: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(`${date}T00:00:00Z`));
const monthText = (period: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'long', year: 'numeric' }).format(new Date(`${period}-01T00:00:00Z`));

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The month asked for: absent = this month; bad or not begun = a message for the field. */
function monthAsked(raw: unknown, current: string): { period?: string; error?: string; text: string } {
  if (raw === undefined || raw === '') return { text: '' };
  const text = typeof raw === 'string' ? raw.trim().slice(0, 20) : '';
  if (!PERIOD.test(text)) return { text, error: 'Enter a month as YYYY-MM, such as 2026-11.' };
  if (text > current) return { text, error: `${monthText(text)} has not begun: choose ${monthText(current)} or an earlier month.` };
  return { period: text, text };
}

const linesTable = (caption: string, key: string, rows: { label: Html | string; id: string; line: SpendLine }[], empty: string) =>
  rows.length === 0
    ? html`<p class="muted">${empty}</p>`
    : html`<table tabindex="0" data-testid="${key}"><caption class="visually-hidden">${caption}</caption><thead><tr><th scope="col">${key === 'models' ? 'Model' : 'Product'}</th><th scope="col" class="num">Extra</th><th scope="col" class="num">Included</th><th scope="col" class="num">Total cost</th><th scope="col" class="num">Requests</th></tr></thead><tbody>
${rows.map((r) => html`<tr data-${key === 'models' ? 'model' : 'product'}="${r.id}"><th scope="row">${r.label}</th><td class="num" data-col="extra">${cents(r.line.extra)}</td><td class="num" data-col="included">${cents(r.line.included)}</td><td class="num" data-col="cost">${cents(r.line.cost)}</td><td class="num" data-col="requests">${r.line.requests}</td></tr>`)}
</tbody></table>`;

function daysTable(days: readonly SpendDay[]): Html {
  return html`<details><summary>Table view (per day)</summary><table tabindex="0" data-testid="days"><thead><tr><th scope="col">Day</th><th scope="col" class="num">Extra that day</th><th scope="col" class="num">Extra so far</th><th scope="col" class="num">Included</th><th scope="col" class="num">Requests</th></tr></thead><tbody>
${days.filter((d) => !d.future).map((d) => html`<tr data-day="${d.date}"><th scope="row">${dayText(d.date)}</th><td class="num" data-col="extra">${cents(d.extra)}</td><td class="num" data-col="cumulative">${cents(d.cumulativeExtra)}</td><td class="num" data-col="included">${cents(d.included)}</td><td class="num" data-col="requests">${d.requests}</td></tr>`)}
</tbody></table></details>`;
}

function monthForm(action: string, asked: { text: string }, errors: ErrorSlots, period: string): Html {
  const id = fieldId('month.period');
  return html`<form method="get" action="${action}" class="inline"><label for="${id}">Month (YYYY-MM)</label><input id="${id}" name="period" size="8" value="${asked.text || period}"${errors.attrs('month.period')}><button type="submit" class="secondary">Show</button></form>${errors.text('month.period')}`;
}

async function renderSpend(deps: ConsoleDeps, ctx: PageContext, query: Record<string, unknown>): Promise<{ page: Html; status: number }> {
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const at = deps.now();
  const current = periodOf(at, org.timezone);
  const asked = monthAsked(query.period, current);
  const errors = new ErrorSlots(asked.error ? { 'month.period': asked.error } : {});
  const r = await spendReport(deps.db, org, at, asked.period);
  const capNanos = org.orgMonthlyCapNanos;
  const isCurrent = r.period === current;
  const spent = parseUsd(r.monthToDate.extra) ?? 0n;
  const start = periodStart(r.period, org.timezone);
  const end = periodStart(nextPeriod(r.period), org.timezone);
  const todayIndex = isCurrent ? r.days.findIndex((d) => d.future) : -1;
  const f = r.forecast;
  const forecastText =
    f.kind === 'on' ? html`At this month's rate, the cap is reached on <strong data-testid="forecast">${dayText(f.day)}</strong> <span class="muted">(at ${whenText(f.at, org.timezone)})</span>.`
      : f.kind === 'not_this_month' ? html`At this month's rate, <strong data-testid="forecast">the cap is not reached this month</strong>.`
        : f.kind === 'reached' ? html`<strong data-testid="forecast">The cap is reached</strong>: extra usage stops until the month ends.`
          : f.kind === 'no_cap' ? html`<span data-testid="forecast">No spending cap is set</span>: nothing to reach.`
            : f.kind === 'no_spend' ? html`<span data-testid="forecast">No extra usage yet this month</span>: no rate to forecast from.`
              : html`<span data-testid="forecast">A past month</span>.`;
  const rule = html`<p class="muted">Forecast rule: the month's extra spend so far divided by the time since the month began (${org.timezone}), carried on until the cap is spent.</p>`;
  const label = `Extra usage in ${monthText(r.period)}, running total by day: ${cents(r.monthToDate.extra)}${capNanos !== null ? ` of a ${cents(r.cap)} cap` : ' (no cap)'}. ${f.kind === 'on' ? `At this rate the cap is reached on ${dayText(f.day)}.` : f.kind === 'reached' ? 'The cap is reached.' : f.kind === 'not_this_month' ? 'At this rate the cap is not reached this month.' : ''} The table view below lists every day.`;
  const chart = spendChart({
    label,
    days: r.days,
    capNanos,
    projectedEndNanos: isCurrent && todayIndex !== 0 ? projectedEnd(spent, start, at, end) : null,
    todayIndex: isCurrent ? (todayIndex === -1 ? r.days.length - 1 : todayIndex - 1) : undefined,
  });

  const memberLink = (m: (typeof r.topMembers)[number]) => (m.externalId ? html`<a href="/spend/members/${encodeURIComponent(m.externalId)}?period=${r.period}">${m.name ?? m.externalId}</a>` : m.memberId);
  const body = html`<h1>Spend</h1><p class="muted">${org.name} · ${monthText(r.period)} · amounts to the cent, days in ${org.timezone}</p>
${monthForm('/spend', asked, errors, r.period)}${errors.leftover()}
<section class="card" aria-labelledby="h-month"><h2 id="h-month">Extra usage against the cap</h2>
<p>Extra usage: <span class="big" data-testid="mtd-extra">${cents(r.monthToDate.extra)}</span> of <span class="big" data-testid="org-cap">${cents(r.cap)}</span> <span class="muted">(included usage: <span data-testid="mtd-included">${cents(r.monthToDate.included)}</span>)</span></p>
<p>${forecastText}</p>${isCurrent ? rule : ''}
<figure>${chart}<figcaption class="muted">Bars: extra usage so far, by day (lighter: none that day). Line across: the cap.${isCurrent ? ' Dashed: the month\'s rate carried on to its end.' : ''}</figcaption></figure>
${daysTable(r.days)}
</section>
<section class="card" aria-labelledby="h-top"><h2 id="h-top">Top members</h2>
${r.topMembers.length === 0 ? html`<p class="muted">No usage this month.</p>` : html`<table tabindex="0" data-testid="top-members"><thead><tr><th scope="col">Member</th><th scope="col">Seat</th><th scope="col" class="num">Extra</th><th scope="col" class="num">Included</th><th scope="col" class="num">Total cost</th><th scope="col" class="num">Requests</th></tr></thead><tbody>
${r.topMembers.map((m) => html`<tr data-member="${m.externalId ?? m.memberId}"><th scope="row">${memberLink(m)}</th><td>${tierName(m.seatTier ?? 'standard')}</td><td class="num" data-col="extra">${cents(m.extra)}</td><td class="num" data-col="included">${cents(m.included)}</td><td class="num" data-col="cost">${cents(m.cost)}</td><td class="num" data-col="requests">${m.requests}</td></tr>`)}
</tbody></table>`}
</section>
<section class="card" aria-labelledby="h-models"><h2 id="h-models">By model</h2>
${linesTable('Spend by model', 'models', r.models.map((m) => ({ label: m.model, id: m.model, line: m })), 'No usage this month.')}
</section>
<section class="card" aria-labelledby="h-products"><h2 id="h-products">By product</h2>
${linesTable('Spend by product', 'products', r.products.map((p) => ({ label: productLabel(p.product), id: p.product, line: p })), 'No usage this month.')}
</section>${r.clientCostDifferences.events > 0 ? html`
<section class="card" aria-labelledby="h-client-cost"><h2 id="h-client-cost">Costs Claude Code puts otherwise</h2>
<p data-testid="client-cost-differences"><strong>${r.clientCostDifferences.events}</strong> request(s) this month were charged <strong>${usdExact(r.clientCostDifferences.cost)}</strong>, where Claude Code's own cost says <strong>${usdExact(r.clientCostDifferences.clientCost)}</strong> (flagged cost_differs_from_client). Claude Code's telemetry does not say whether a cache write was kept for 5 minutes or an hour, and is priced as 5 minutes; route Claude Code through the gateway to be charged exactly.</p>
</section>` : ''}`;
  return { page: layout({ title: 'Spend', viewer: ctx.viewer, csrf: ctx.csrf, current: '/spend', body }), status: asked.error ? 400 : 200 };
}

async function renderMemberSpend(deps: ConsoleDeps, ctx: PageContext, ref: string, query: Record<string, unknown>): Promise<{ page: Html; status: number }> {
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const at = deps.now();
  const current = periodOf(at, org.timezone);
  const asked = monthAsked(query.period, current);
  const errors = new ErrorSlots(asked.error ? { 'month.period': asked.error } : {});
  const r = await memberSpendReport(deps.db, org, ref, at, asked.period);
  const capNanos = r.member.cap === null ? null : parseUsd(r.member.cap);
  // Owners and admins revoke a member's gateway keys here (docs/gateway.md).
  const keys = (await listGatewayKeys(deps.db, ctx.viewer.member, r.member.memberId)).filter((k) => k.revokedAt === null);
  const label = `${r.member.name}'s extra usage in ${monthText(r.period)}, running total by day: ${cents(r.monthToDate.extra)}${capNanos !== null ? ` of their ${cents(r.member.cap)} limit` : ''}. The table view below lists every day.`;
  const body = html`<h1>${r.member.name}</h1><p class="muted"><a href="/spend?period=${r.period}">Spend</a> › ${r.member.name} (${r.member.externalId}) · ${tierName(r.member.seatTier)} seat${r.member.removed ? ' · removed' : ''} · ${monthText(r.period)} · days in ${org.timezone}</p>
${monthForm(`/spend/members/${encodeURIComponent(r.member.externalId)}`, asked, errors, r.period)}${errors.leftover()}
<section class="card" aria-labelledby="h-month"><h2 id="h-month">Their month</h2>
<p>Extra usage: <span class="big" data-testid="mtd-extra">${cents(r.monthToDate.extra)}</span>${r.member.cap !== null ? html` of their limit <span class="big" data-testid="member-cap">${cents(r.member.cap)}</span>` : html` <span class="muted">(no limit of their own)</span>`} <span class="muted">(included usage: <span data-testid="mtd-included">${cents(r.monthToDate.included)}</span>)</span></p>
<figure>${spendChart({ label, days: r.days, capNanos, capName: 'limit' })}<figcaption class="muted">Bars: their extra usage so far, by day (lighter: none that day).${capNanos !== null ? ' Line across: their limit.' : ''}</figcaption></figure>
${daysTable(r.days)}
</section>
<section class="card" aria-labelledby="h-models"><h2 id="h-models">By model</h2>
${linesTable('Their spend by model', 'models', r.models.map((m) => ({ label: m.model, id: m.model, line: m })), 'No usage this month.')}
</section>
<section class="card" aria-labelledby="h-gateway-keys"><h2 id="h-gateway-keys">Gateway keys</h2>
${keys.length ? html`<table data-testid="member-gateway-keys"><thead><tr><th scope="col">Key</th><th scope="col">Name</th><th scope="col">Made</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${keys.map((k) => html`<tr><td><code>${k.prefix}…</code></td><td>${k.name}</td><td>${whenText(k.createdAt, org.timezone)}</td><td>${k.expiresAt ? whenText(k.expiresAt, org.timezone) : 'Never'}</td>
<td><form method="post" action="/spend/members/${encodeURIComponent(r.member.externalId)}/gateway-keys/${k.id}/revoke">${csrfField(ctx.csrf)}<button type="submit" aria-label="Revoke key ${k.prefix}">Revoke</button></form></td></tr>`)}
</tbody></table>` : html`<p class="muted">No live gateway key: their Claude Code does not go through this service's gateway.</p>`}
</section>
<section class="card" aria-labelledby="h-products"><h2 id="h-products">By product</h2>
${linesTable('Their spend by product', 'products', r.products.map((p) => ({ label: productLabel(p.product), id: p.product, line: p })), 'No usage this month.')}
</section>`;
  return { page: layout({ title: `Spend: ${r.member.name}`, viewer: ctx.viewer, csrf: ctx.csrf, current: '/spend', body }), status: asked.error ? 400 : 200 };
}

export function spendPage(app: FastifyInstance, deps: ConsoleDeps) {
  const page = async (reply: FastifyReply, ctx: PageContext, render: () => Promise<{ page: Html; status: number }>) => {
    try {
      const out = await render();
      return sendPage(reply, out.page, out.status);
    } catch (err) {
      if (err instanceof LedgerError && err.status === 404) return refusalPage(reply, ctx, 404, err.message);
      throw err;
    }
  };

  app.get('/spend', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    // A member's own month is on My usage.
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    return page(reply, ctx, () => renderSpend(deps, ctx, (request.query ?? {}) as Record<string, unknown>));
  });

  app.get('/spend/members/:member', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    // A name no member can have (control characters, too long) is nobody: 404, not a database error.
    const ref = text(200).safeParse((request.params as { member?: unknown }).member);
    if (!ref.success) return refusalPage(reply, ctx, 404, 'No member of the organisation has this id.');
    return page(reply, ctx, () => renderMemberSpend(deps, ctx, ref.data, (request.query ?? {}) as Record<string, unknown>));
  });

  app.post('/spend/members/:member/gateway-keys/:id/revoke', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    const { member, id } = request.params as { member: string; id: string };
    try {
      await revokeGatewayKey(deps.db, { ...ctx.viewer.member, via: 'console' }, ctx.viewer.org.id, id);
    } catch (err) {
      if (err instanceof LedgerError && err.status === 404) return refusalPage(reply, ctx, 404, err.message);
      throw err;
    }
    return reply.redirect(`/spend/members/${encodeURIComponent(member)}`, 303);
  });
}
