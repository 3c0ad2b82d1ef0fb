// Audit log (owners, as GET /v1/reports/audit-log): every settings change and
// decision, newest first, 50 at a time, paged by the same cursor as the API back to
// the first entry; filtered by actor, action and a date range in the org's timezone.
// Amounts read as dollars: the ledger's `…Nanos` integers through the API's own
// conversion (withDollarAmounts), decimal strings with a $.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { withDollarAmounts } from '../../api/amounts.js';
import { localMidnight } from '../../domain/periods.js';
import { roleWords, isOwner } from '../../ledger/actors.js';
import { auditActions, auditLog, type AuditFilter } from '../../ledger/audit.js';
import { whenText } from '../../notify/email-format.js';
import type { ConsoleDeps } from '../deps.js';
import { ErrorSlots, fieldId, type FieldErrors } from '../forms.js';
import { refusalPage, signedIn } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, sendPage } from '../layout.js';

export const AUDIT_PAGE_SIZE = 50;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date "YYYY-MM-DD" that exists, as [year, month, day]; else null. */
function calendarDate(s: string): [number, number, number] | null {
  const m = DATE.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d ? [y, mo, d] : null;
}

const dateField = z.string().trim().max(10).optional().transform((s) => (s ? s : undefined))
  .refine((s) => s === undefined || calendarDate(s) !== null, 'Enter a date as YYYY-MM-DD, such as 2026-11-30.');

const filterQuery = z.object({
  actor: z.string().trim().max(200, 'At most 200 characters.').optional().transform((s) => (s ? s : undefined)),
  action: z.string().trim().max(100).regex(/^[A-Za-z0-9_.:-]*$/, 'Choose an action from the list.').optional().transform((s) => (s ? s : undefined)),
  from: dateField,
  to: dateField,
  before: z.string().regex(/^\d{1,18}$/, 'That page link is not valid: start again from the newest entries.').optional(),
}).superRefine((v, ctx) => {
  if (v.from && v.to && v.to < v.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'The end date is before the start date.' });
});
type Filters = Partial<Record<'actor' | 'action' | 'from' | 'to' | 'before', string>>;

const auditPath = (f: Filters) => {
  const p = new URLSearchParams();
  for (const k of ['actor', 'action', 'from', 'to', 'before'] as const) if (f[k]) p.set(k, f[k]!);
  const s = p.toString();
  return `/audit${s ? `?${s}` : ''}`;
};

/** The instant a local day starts in `tz` ("to" is inclusive: its next day's start bounds it). */
function dayStart(date: string, tz: string, plusDays = 0): Date {
  const [y, m, d] = calendarDate(date)!;
  const next = new Date(Date.UTC(y, m - 1, d + plusDays));
  return localMidnight(tz, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
}

const DECIMAL_USD = /^-?\d+\.\d{2,9}$/;

/** A before/after value as text: amounts with a $, an unset cap as Unlimited. */
function valueText(key: string, v: unknown): Html {
  if (v === null || v === undefined) return html`${/cap$/i.test(key) ? 'Unlimited' : 'none'}`;
  if (typeof v === 'string') return html`${DECIMAL_USD.test(v) ? `$${v}` : v}`;
  if (typeof v !== 'object') return html`${String(v)}`;
  if (Array.isArray(v)) return html`${v.length ? v.map((x, i) => html`${i ? ', ' : ''}${valueText(key, x)}`) : 'none'}`;
  const entries = Object.entries(v);
  if (entries.length === 0) return html`none`;
  return html`<ul class="kv">${entries.map(([k, x]) => html`<li><span class="muted">${k}:</span> ${valueText(k, x)}</li>`)}</ul>`;
}

const changeText = (v: unknown) => (v === null || v === undefined ? html`<span class="muted">—</span>` : valueText('', withDollarAmounts(v)));

export function auditPage(app: FastifyInstance, deps: ConsoleDeps) {
  app.get('/audit', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isOwner(ctx.viewer.member)) return refusalPage(reply, ctx, 403, `${ctx.viewer.member.name} is ${roleWords(ctx.viewer.member.role)}: only an owner can read the audit log`);
    const org = ctx.viewer.org;
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const asked: Filters = Object.fromEntries(Object.entries(raw).filter(([k, v]) => ['actor', 'action', 'from', 'to', 'before'].includes(k) && typeof v === 'string')) as Filters;
    const parsed = filterQuery.safeParse(asked);
    const errors: FieldErrors = {};
    if (!parsed.success) for (const issue of parsed.error.issues) errors[`audit.${String(issue.path[0] ?? 'form')}`] ??= issue.message;
    const slots = new ErrorSlots(errors);
    const f = parsed.success ? parsed.data : null;
    const filter: AuditFilter | null = f
      ? { ...(f.actor ? { actor: f.actor } : {}), ...(f.action ? { action: f.action } : {}), ...(f.from ? { from: dayStart(f.from, org.timezone) } : {}), ...(f.to ? { to: dayStart(f.to, org.timezone, 1) } : {}) }
      : null;
    const [actions, page] = await Promise.all([
      auditActions(deps.db, org.id),
      filter ? auditLog(deps.db, org.id, AUDIT_PAGE_SIZE, f!.before === undefined ? undefined : BigInt(f!.before), filter) : null,
    ]);
    // Actors are stored as labels ("member:<id> (<external id>) via console"): add today's names.
    const ids = [...new Set((page?.entries ?? []).map((e) => /^member:(\S+)/.exec(e.actor)?.[1]).filter((id): id is string => !!id))];
    const names = new Map((ids.length ? await deps.db.member.findMany({ where: { orgId: org.id, id: { in: ids } }, select: { id: true, name: true } }) : []).map((m) => [m.id, m.name]));
    const who = (actor: string) => {
      const name = names.get(/^member:(\S+)/.exec(actor)?.[1] ?? '');
      return name ? html`<strong>${name}</strong><br><span class="muted">${actor}</span>` : html`${actor}`;
    };
    const filters: Filters = { actor: asked.actor, action: asked.action, from: asked.from, to: asked.to };
    const filtered = !!(f && (f.actor || f.action || f.from || f.to));
    const input = (key: 'actor' | 'from' | 'to', label: string, extra: Html = html``) => html`<div class="field"><label for="${fieldId(`audit.${key}`)}">${label}</label>
<input id="${fieldId(`audit.${key}`)}" name="${key}" value="${asked[key] ?? ''}"${extra}${slots.attrs(`audit.${key}`)}>${slots.text(`audit.${key}`)}</div>`;
    const form = html`<form method="get" action="/audit" class="filters" role="search" aria-label="Filter the audit log">
${input('actor', 'Who (name, external id or label)')}
<div class="field"><label for="${fieldId('audit.action')}">Action</label>
<select id="${fieldId('audit.action')}" name="action"${slots.attrs('audit.action')}><option value="">Any action</option>${actions.map((a) => html`<option${a === asked.action ? html` selected` : ''}>${a}</option>`)}</select>${slots.text('audit.action')}</div>
${input('from', `From (YYYY-MM-DD, ${org.timezone})`, html` placeholder="YYYY-MM-DD" size="11"`)}
${input('to', 'To (inclusive)', html` placeholder="YYYY-MM-DD" size="11"`)}
<div class="field"><button type="submit">Filter</button>${filtered ? html` <a href="/audit">Clear filters</a>` : ''}</div>
</form>`;

    const entries = page?.entries ?? [];
    const table = page === null
      ? html`<p>Correct the filter above to see entries.</p>`
      : entries.length === 0
        ? html`<p data-testid="no-entries">${filtered ? 'No entries match these filters.' : 'Nothing has been changed yet.'}</p>`
        : html`<table tabindex="0" data-testid="audit" aria-label="Audit log entries, newest first"><thead><tr><th scope="col">When (${org.timezone})</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>
${entries.map((e) => html`<tr data-entry="${String(e.id)}"><td>${whenText(e.createdAt.toISOString(), org.timezone)}</td><td>${who(e.actor)}</td><td><code>${e.action}</code></td><td>${e.subject}</td><td data-before>${changeText(e.before)}</td><td data-after>${changeText(e.after)}</td></tr>`)}
</tbody></table>`;
    const pager = page && (f!.before || page.nextCursor)
      ? html`<nav class="pager" aria-label="Pages of the audit log">${f!.before ? html`<a href="${auditPath(filters)}">Newest entries</a>` : ''}${page.nextCursor ? html`<a href="${auditPath({ ...filters, before: page.nextCursor })}" rel="next">Older entries</a>` : html`<span data-testid="first-entry">This page ends at the first entry.</span>`}</nav>`
      : '';
    return sendPage(reply, layout({
      title: 'Audit log', viewer: ctx.viewer, csrf: ctx.csrf, current: '/audit',
      body: html`<h1>Audit log</h1><p class="muted">Every settings change and decision in ${org.name}, newest first, ${AUDIT_PAGE_SIZE} at a time. Amounts in US dollars.</p>
${slots.leftover()}${form}${table}${pager}`,
    }), parsed.success ? 200 : 400);
  });
}
