// Audit log (owners, as GET /v1/reports/audit-log): every settings change and
// decision, newest first, 50 at a time, paged by the same cursor as the API back to
// the first entry; filtered by actor, action and a date range in the org's timezone.
// Each entry reads as a sentence (src/domain/audit-words.ts: names, cents, local
// times); the raw entry is one click away, its amounts as the API's dollars (the
// ledger's `…Nanos` integers through withDollarAmounts). Sign-in entries are hidden
// unless asked for: there are many, and they would drown the changes.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { withDollarAmounts } from '../../api/amounts.js';
import { localMidnight } from '../../domain/periods.js';
import { roleWords, isOwner } from '../../ledger/actors.js';
import { auditActions, auditLog, type AuditFilter } from '../../ledger/audit.js';
import { actionWords, auditActor, auditSentence, memberRefsOf, SIGN_IN_ACTIONS } from '../../domain/audit-words.js';
import { formatDayTime } from '../../domain/display.js';
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
  signins: z.string().optional().transform((s) => (s === '1' ? '1' : undefined)),
}).superRefine((v, ctx) => {
  if (v.from && v.to && v.to < v.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'The end date is before the start date.' });
});
type Filters = Partial<Record<'actor' | 'action' | 'from' | 'to' | 'before' | 'signins', string>>;
const FILTER_KEYS = ['actor', 'action', 'from', 'to', 'before', 'signins'] as const;

const auditPath = (f: Filters) => {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k]) p.set(k, f[k]!);
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
    const asked: Filters = Object.fromEntries(Object.entries(raw).filter(([k, v]) => (FILTER_KEYS as readonly string[]).includes(k) && typeof v === 'string')) as Filters;
    const parsed = filterQuery.safeParse(asked);
    const errors: FieldErrors = {};
    if (!parsed.success) for (const issue of parsed.error.issues) errors[`audit.${String(issue.path[0] ?? 'form')}`] ??= issue.message;
    const slots = new ErrorSlots(errors);
    const f = parsed.success ? parsed.data : null;
    // Sign-in entries only when asked for (the box, or choosing a sign-in action).
    const signIns = f?.signins === '1';
    const filter: AuditFilter | null = f
      ? { ...(f.actor ? { actor: f.actor } : {}), ...(f.action ? { action: f.action } : {}), ...(signIns ? {} : { hideActions: SIGN_IN_ACTIONS }), ...(f.from ? { from: dayStart(f.from, org.timezone) } : {}), ...(f.to ? { to: dayStart(f.to, org.timezone, 1) } : {}) }
      : null;
    const [actions, page] = await Promise.all([
      auditActions(deps.db, org.id),
      filter ? auditLog(deps.db, org.id, AUDIT_PAGE_SIZE, f!.before === undefined ? undefined : BigInt(f!.before), filter) : null,
    ]);
    // Entries name members by id ("member:<id> (<external id>) via console"): today's names, looked up once per page.
    const refs = (page?.entries ?? []).map(memberRefsOf);
    const ids = [...new Set(refs.flatMap((r) => r.ids))];
    const externalIds = [...new Set(refs.flatMap((r) => r.externalIds))];
    const known = ids.length || externalIds.length
      ? await deps.db.member.findMany({ where: { orgId: org.id, OR: [{ id: { in: ids } }, { externalId: { in: externalIds } }] }, select: { id: true, externalId: true, name: true } })
      : [];
    const names = { byId: new Map(known.map((m) => [m.id, m.name])), byExternalId: new Map(known.map((m) => [m.externalId, m.name])) };
    const filters: Filters = { actor: asked.actor, action: asked.action, from: asked.from, to: asked.to, signins: signIns ? '1' : undefined };
    const filtered = !!(f && (f.actor || f.action || f.from || f.to || signIns));
    const input = (key: 'actor' | 'from' | 'to', label: string, extra: Html = html``) => html`<div class="field"><label for="${fieldId(`audit.${key}`)}">${label}</label>
<input id="${fieldId(`audit.${key}`)}" name="${key}" value="${asked[key] ?? ''}"${extra}${slots.attrs(`audit.${key}`)}>${slots.text(`audit.${key}`)}</div>`;
    const form = html`<form method="get" action="/audit" class="filters" role="search" aria-label="Filter the audit log">
${input('actor', 'Who (name, external id or label)')}
<div class="field"><label for="${fieldId('audit.action')}">Action</label>
<select id="${fieldId('audit.action')}" name="action"${slots.attrs('audit.action')}><option value="">Any action</option>${actions.map((a) => html`<option value="${a}"${a === asked.action ? html` selected` : ''}>${actionWords(a)}</option>`)}</select>${slots.text('audit.action')}</div>
${input('from', `From (YYYY-MM-DD, ${org.timezone})`, html` placeholder="YYYY-MM-DD" size="11"`)}
${input('to', 'To (inclusive)', html` placeholder="YYYY-MM-DD" size="11"`)}
<div class="field"><label><input type="checkbox" name="signins" value="1"${signIns ? html` checked` : ''}> Show sign-ins</label></div>
<div class="field"><button type="submit">Filter</button>${filtered ? html` <a href="/audit">Clear filters</a>` : ''}</div>
</form>`;

    const entries = page?.entries ?? [];
    const table = page === null
      ? html`<p>Correct the filter above to see entries.</p>`
      : entries.length === 0
        ? html`<p data-testid="no-entries">${filtered ? 'No entries match these filters.' : 'Nothing has been changed yet.'}</p>`
        : html`<table tabindex="0" data-testid="audit" aria-label="Audit log entries, newest first"><thead><tr><th scope="col">When (${org.timezone})</th><th scope="col">Who</th><th scope="col">What happened</th></tr></thead><tbody>
${entries.map((e) => html`<tr data-entry="${String(e.id)}"><td class="when">${formatDayTime(e.createdAt, org.timezone)}</td><td>${auditActor(e.actor, names)}</td><td><span data-sentence>${auditSentence(e, names, org.timezone)}</span>
<details><summary>Raw entry<span class="visually-hidden"> ${String(e.id)}</span></summary><div class="panel"><ul class="kv" data-raw>
<li><span class="muted">Action:</span> <code>${e.action}</code></li><li><span class="muted">By:</span> <code>${e.actor}</code></li><li><span class="muted">Subject:</span> <code>${e.subject}</code></li><li><span class="muted">At:</span> <code>${e.createdAt.toISOString()}</code></li>
<li><span class="muted">Before:</span> <span data-before>${changeText(e.before)}</span></li><li><span class="muted">After:</span> <span data-after>${changeText(e.after)}</span></li></ul></div></details></td></tr>`)}
</tbody></table>`;
    const pager = page && (f!.before || page.nextCursor)
      ? html`<nav class="pager" aria-label="Pages of the audit log">${f!.before ? html`<a href="${auditPath(filters)}">Newest entries</a>` : ''}${page.nextCursor ? html`<a href="${auditPath({ ...filters, before: page.nextCursor })}" rel="next">Older entries</a>` : html`<span data-testid="first-entry">This page ends at the first entry.</span>`}</nav>`
      : '';
    return sendPage(reply, layout({
      title: 'Audit log', viewer: ctx.viewer, csrf: ctx.csrf, current: '/audit',
      body: html`<h1>Audit log</h1><p class="muted">Every settings change and decision in ${org.name}, newest first, ${AUDIT_PAGE_SIZE} at a time, times in ${org.timezone}. ${signIns ? 'Sign-ins are shown.' : 'Sign-ins are hidden: tick "Show sign-ins" to see them.'}</p>
${slots.leftover()}${form}${table}${pager}`,
    }), parsed.success ? 200 : 400);
  });
}
