// Requests ("Review requests"): admins and owners see open requests with who asked,
// their seat, when (in the org's timezone), their spend and limit, and decide with
// "Increase limit" (premium seat, or extra usage with a cap; for a request from Claude a
// new spend limit and period, docs/claude.md) or "Deny" with a reason,
// through the request service the API uses. The email links land here.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { text, usdAmount } from '../../domain/fields.js';
import { roleWords, isAdmin, isOwner } from '../../ledger/actors.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { seatLimitsOf } from '../../ledger/reports/seat-limits-page.js';
import { noticeChannelsOfId } from '../../ledger/notices/notice-channels.js';
import { memberToldWhere } from '../../domain/notice-channels.js';
import { orgRequest, pendingRequests } from '../../ledger/requests/requests.js';
import type { RequestView } from '../../notify/port.js';
import { waitingText, whenText } from '../../notify/email-format.js';
import { tierName, usdCents, usdWithExact } from '../../domain/display.js';
import { normalisedMoney } from '../../domain/money-input.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField, ErrorSlots, fieldId, FormError, parseForm, type FieldErrors } from '../forms.js';
import { refusalPage, runForm, signedIn, withSaved, type PageContext } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, sendPage } from '../layout.js';
import { confirmationPage, seatConfirmation } from '../confirm.js';
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS } from '../../domain/requests.js';

/** An amount as people read it: cents with thousands separators; no amount is Unlimited. */
const money = (usd: string | null | undefined) => (usd === null || usd === undefined ? 'Unlimited' : usdCents(usd));
const seatWords = (tier: 'standard' | 'premium') => `${tierName(tier)} seat`;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,100}$/;

const SAVED: Record<string, string> = {
  upgrade_seat: 'Approved: the member now has a Premium seat.',
  enable_extra_usage: 'Approved: extra usage is on for the member.',
  deny: 'Denied.',
  increase_limit: 'Approved: the member\'s spend limit in Claude is raised.',
  raise_limit: 'Approved: the limit is raised.',
};

/** The cap a raise request is about, for whoever decides it. */
const RAISE_WORD: Record<NonNullable<RequestView['raise']>['scope'], string> = { member: 'Their monthly limit', tier: 'Their seat tier\'s monthly limit', org: 'The organisation\'s monthly limit' };

const PERIOD_WORD: Record<string, string> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly' };
const SOURCE_WORD: Record<string, string> = { user: 'their own limit', seat_tier: 'their seat tier', rbac_group: 'their group', organization: 'the organization', organization_service: 'the organization' };

const decisionForm = z.object({
  decision: z.enum(['upgrade_seat', 'enable_extra_usage', 'deny', 'increase_limit'], { error: 'choose how to decide' }),
  // Amounts as people type them: "1,500", "$1,500.00" and "1500" are one amount.
  amount: z.string().trim().max(20).optional().transform(normalisedMoney),
  period: z.enum(['daily', 'weekly', 'monthly'], { error: 'choose when the limit resets' }).optional(),
  capMode: z.enum(['cap', 'unlimited']).optional(),
  cap: z.string().trim().max(20).optional().transform(normalisedMoney),
  reason: text(500, { min: 0, multiline: true }).optional(),
  turnOn: z.literal('on').optional(),
  back: z.string().optional(),
}).superRefine((v, ctx) => {
  if (v.decision === 'enable_extra_usage' && v.capMode !== 'unlimited' && !usdAmount.safeParse(v.cap ?? '').success) {
    ctx.addIssue({ code: 'custom', path: ['cap'], message: 'Enter the member\'s monthly limit in US dollars, such as 1,500 or 12.50 (at most 2 decimals), or choose Unlimited.' });
  }
  if (v.decision === 'increase_limit') {
    if (!usdAmount.safeParse(v.amount ?? '').success || /^0+(\.0+)?$/.test(v.amount ?? '')) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'Enter the new limit in US dollars, such as 1,500 or 12.50 (more than zero, at most 2 decimals).' });
    if (!v.period) ctx.addIssue({ code: 'custom', path: ['period'], message: 'Choose when the limit resets: monthly, weekly or daily.' });
  }
});

interface Row {
  view: RequestView;
  cap: string | null;
  spend: string;
  /** Extra usage on for the requester (the org's switch and scope, and theirs). */
  extraOn: boolean;
}

async function rowsOf(deps: ConsoleDeps, ctx: PageContext, views: RequestView[]): Promise<Row[]> {
  const limits = await seatLimitsOf(deps.db, await loadOrg(deps.db, ctx.viewer.org.id), views.map((v) => v.requester.memberId), deps.now());
  const byId = new Map(limits.map((m) => [m.id, m]));
  return views.map((view) => {
    const m = byId.get(view.requester.memberId);
    return { view, cap: m?.cap ?? null, spend: m?.monthToDateExtra ?? '0.00', extraOn: m?.extraUsageEnabled ?? false };
  });
}

function decideForms(ctx: PageContext, row: Row, errors: ErrorSlots, orgExtraOn: boolean): Html {
  const r = row.view;
  // A decided request says who decided and when in its card's "Decided" row.
  if (r.status !== 'pending') return html``;
  if (r.requester.memberId === ctx.viewer.member.id) return html`<p class="muted">Your own request: another admin or an owner decides it.</p>`;
  const k = `req-${r.requestId}`;
  const action = `/requests/${encodeURIComponent(r.requestId)}/decision`;
  const hidden = html`${csrfField(ctx.csrf)}<input type="hidden" name="back" value="/requests/${r.requestId}">`;
  // Denying is confirmed on a page of its own, where the reason is written (no script needed).
  const deny = html`<p><a class="button secondary" href="/requests/${r.requestId}/deny">Deny…</a></p>`;
  if (r.raise) {
    // A request to raise a limit: only owners change caps, so only owners decide it.
    if (!isOwner(ctx.viewer.member)) return html`<p class="muted" data-testid="owner-must-decide">Only an owner can change a limit, so an owner must decide this request.</p>`;
    return html`<details${errors.has(`${k}.amount`) || errors.has(`${k}.decision`) ? html` open` : ''}><summary>Increase limit</summary><div class="panel">
<form method="post" action="${action}">${hidden}<input type="hidden" name="decision" value="increase_limit"><input type="hidden" name="period" value="monthly">
<fieldset><legend>${RAISE_WORD[r.raise.scope]} (now ${money(r.raise.from)})</legend>
<div class="field"><label for="${fieldId(`${k}.amount`)}">New monthly limit in USD</label> <input id="${fieldId(`${k}.amount`)}" name="amount" inputmode="decimal" size="8" value="${r.raise.suggested}"${errors.attrs(`${k}.amount`)}>${errors.text(`${k}.amount`)}</div>
<p class="muted">Suggested: the current limit plus their spending rate to the month's end, rounded up to whole dollars.</p>
<button type="submit">Increase limit</button></fieldset>${errors.text(`${k}.decision`)}</form>
</div></details>
${deny}`;
  }
  if (r.anthropic) {
    // A request from Claude: a new spend limit and its period, written by Anthropic (docs/claude.md).
    const a = r.anthropic;
    const periods = (['monthly', 'weekly', 'daily'] as const).map((p) => html`<option value="${p}"${p === a.period ? html` selected` : ''}>${p[0]!.toUpperCase() + p.slice(1)}</option>`);
    return html`<details${errors.has(`${k}.amount`) || errors.has(`${k}.period`) || errors.has(`${k}.decision`) ? html` open` : ''}><summary>Increase limit</summary><div class="panel">
<form method="post" action="${action}">${hidden}<input type="hidden" name="decision" value="increase_limit">
<fieldset><legend>New spend limit for ${r.requester.name} in Claude</legend>
<div class="field"><label for="${fieldId(`${k}.amount`)}">Limit in USD</label> <input id="${fieldId(`${k}.amount`)}" name="amount" inputmode="decimal" size="8" value="${a.suggestedAmount}"${errors.attrs(`${k}.amount`)}>${errors.text(`${k}.amount`)}</div>
<div class="field"><label for="${fieldId(`${k}.period`)}">Resets</label> <select id="${fieldId(`${k}.period`)}" name="period"${errors.attrs(`${k}.period`)}>${periods}</select>${errors.text(`${k}.period`)}</div>
<p class="muted">Suggested: half as much again as the limit they hit. Anthropic writes it as their own limit and tells them.</p>
<button type="submit">Increase limit</button></fieldset>${errors.text(`${k}.decision`)}</form>
</div></details>
${deny}`;
  }
  return html`<details${errors.has(`${k}.cap`) || errors.has(`${k}.decision`) ? html` open` : ''}><summary>Increase limit</summary><div class="panel">
${r.requester.seatTier === 'standard' ? html`<form method="post" action="${action}" class="inline">${hidden}<input type="hidden" name="decision" value="upgrade_seat"><button type="submit">Upgrade to a Premium seat</button></form>` : ''}
<form method="post" action="${action}">${hidden}<input type="hidden" name="decision" value="enable_extra_usage">
<fieldset><legend>Enable extra usage for ${r.requester.name}</legend>
<div class="field"><label><input type="radio" name="capMode" value="cap" checked> With a monthly limit of</label>
<label for="${fieldId(`${k}.cap`)}" class="visually-hidden">Monthly limit in USD</label> <input id="${fieldId(`${k}.cap`)}" name="cap" inputmode="decimal" size="8" value="${row.cap ?? ''}"${errors.attrs(`${k}.cap`)}> USD</div>
<div class="field"><label><input type="radio" name="capMode" value="unlimited"> Unlimited (organisation and seat caps still apply)</label></div>
${!orgExtraOn && isOwner(ctx.viewer.member) ? html`<div class="field"><label><input type="checkbox" name="turnOn" value="on"> Extra usage is off for the organisation: turn it on for selected members</label></div>` : ''}
${!orgExtraOn && !isOwner(ctx.viewer.member) ? html`<p class="muted">Extra usage is off for the organisation: an owner must turn it on first.</p>` : ''}
<button type="submit">Enable extra usage</button></fieldset>${errors.text(`${k}.cap`)}${errors.text(`${k}.decision`)}</form>
</div></details>
${deny}`;
}

function statusText(r: RequestView, tz: string): string {
  const by = r.decidedBy ? ` by ${r.decidedBy.name}` : r.anthropic ? ' in claude.ai' : '';
  const when = r.decidedAt ? ` on ${whenText(r.decidedAt, tz)}` : '';
  if (r.status === 'approved' && r.decision === 'increase_limit' && r.raise) return `Approved${by}${when}: monthly limit raised to ${money(r.decisionCap)}.`;
  if (r.status === 'approved' && r.decision === 'increase_limit') return `Approved${by}${when}: spend limit ${r.decisionCap ? `${money(r.decisionCap)} ${PERIOD_WORD[r.decisionPeriod ?? ''] ?? ''}`.trim() : 'raised'}.`;
  if (r.status === 'approved') return `Approved${by}${when}: ${r.decision === 'upgrade_seat' ? 'a Premium seat' : `extra usage, limit ${money(r.decisionCap)}`}.`;
  if (r.status === 'denied') return `Denied${by}${when}${r.reason ? `: "${r.reason}"` : ''}.`;
  if (r.status === 'untracked') return 'No longer tracked here: this organisation disconnected from Claude, so decide this request in claude.ai (it is still open there).';
  return r.status === 'expired' ? 'Expired: nobody decided in time.' : 'Closed.';
}

function requestCard(ctx: PageContext, row: Row, errors: ErrorSlots, orgExtraOn: boolean, now: Date): Html {
  const r = row.view;
  const tz = ctx.viewer.org.timezone;
  return html`<section class="card" aria-labelledby="r-${r.requestId}" data-request="${r.requestId}">
<h2 id="r-${r.requestId}"><a href="/requests/${r.requestId}">${r.requester.name}</a></h2>
<table tabindex="0"><tbody>
<tr><th scope="row">Current seat</th><td>${seatWords(r.requester.seatTier)}${r.requester.seatTier !== r.seatTier ? html` <span class="muted">(asked from a ${seatWords(r.seatTier)})</span>` : ''}</td></tr>
<tr><th scope="row">Asked</th><td>${whenText(r.requestedAt, tz)}${r.status === 'pending' ? html` <span class="muted">(${waitingText(r.requestedAt, now)})</span>` : ''}</td></tr>
${r.status !== 'pending' ? html`<tr><th scope="row">Decided</th><td data-testid="decided">${statusText(r, tz)}</td></tr>` : ''}
${r.anthropic
    ? html`<tr><th scope="row">Their ${PERIOD_WORD[r.anthropic.period]} limit in Claude</th><td>${r.anthropic.limit === null ? 'None known' : money(r.anthropic.limit)}${r.anthropic.source ? html` <span class="muted">(${SOURCE_WORD[r.anthropic.source] ?? r.anthropic.source})</span>` : ''}</td></tr>
<tr><th scope="row">Spent this period</th><td>${r.anthropic.spent === null ? 'Not known' : usdWithExact(r.anthropic.spent)}</td></tr>`
    : html`<tr><th scope="row">MTD Spend</th><td>${usdWithExact(row.spend)}</td></tr>
<tr><th scope="row">Their limit</th><td data-testid="their-limit">${row.extraOn ? money(row.cap) : html`Extra usage off${row.cap !== null ? html` <span class="muted">(${money(row.cap)} once it is on)</span>` : ''}`}</td></tr>`}
${r.raise ? html`<tr><th scope="row">Asks to raise</th><td data-testid="raise">${RAISE_WORD[r.raise.scope]}, ${money(r.raise.from)}: suggested ${money(r.raise.suggested)}</td></tr>` : ''}
${r.note ? html`<tr><th scope="row">Note</th><td>${r.note}</td></tr>` : ''}
${r.previousDenial ? html`<tr><th scope="row">Denied before</th><td>${whenText(r.previousDenial.at, tz)}${r.previousDenial.by ? ` by ${r.previousDenial.by.name}` : ''}${r.previousDenial.reason ? `: "${r.previousDenial.reason}"` : ''}</td></tr>` : ''}
</tbody></table>
${decideForms(ctx, row, errors, orgExtraOn)}
</section>`;
}

async function renderList(deps: ConsoleDeps, ctx: PageContext, saved?: string): Promise<Html> {
  const rows = await rowsOf(deps, ctx, await pendingRequests(deps.db, ctx.viewer.org.id));
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  return layout({
    title: 'Requests', viewer: ctx.viewer, csrf: ctx.csrf, current: '/requests',
    body: html`<h1>Review requests</h1>${saved && SAVED[saved] ? html`<p class="notice" role="status">${SAVED[saved]}</p>` : ''}
<p class="muted">${rows.length === 0 ? 'No request is waiting for a decision.' : `${rows.length} request${rows.length === 1 ? '' : 's'} waiting, oldest first. Times in ${org.timezone}.`}</p>
${rows.map((row) => requestCard(ctx, row, new ErrorSlots(), org.extraUsageEnabled, deps.now()))}`,
  });
}

/** Denying a request: what the requester is told, and the reason to tell them. */
function denyPage(ctx: PageContext, view: RequestView, cooldownMs: number, errors: FieldErrors = {}): Html {
  const k = `req-${view.requestId}`;
  const slots = new ErrorSlots(errors);
  const hours = Math.round(cooldownMs / 3_600_000);
  const wait = hours >= 1 ? `${hours} hour${hours === 1 ? '' : 's'}` : `${Math.max(1, Math.round(cooldownMs / 60_000))} minutes`;
  const reason = html`<div class="field"><label for="${fieldId(`${k}.reason`)}">Reason (shown to ${view.requester.name}; optional)</label><br>
<textarea id="${fieldId(`${k}.reason`)}" name="reason" rows="3" cols="40"${slots.attrs(`${k}.reason`)}></textarea>${slots.text(`${k}.reason`)}</div>`;
  const c = { title: `Deny ${view.requester.name}'s request?`, button: 'Deny request', extra: reason,
    effect: html`${slots.summary()}<p><strong>${view.requester.name} is told their request was denied</strong>, with your reason if you give one, and cannot ask again for ${wait}. Nothing else changes: their seat and limits stay as they are.</p>` };
  return confirmationPage(ctx, c, { to: `/requests/${encodeURIComponent(view.requestId)}/decision`, fields: [['decision', 'deny']], cancel: `/requests/${view.requestId}`, current: '/requests' });
}

async function renderOne(deps: ConsoleDeps, ctx: PageContext, view: RequestView, errors: FieldErrors = {}, saved?: string): Promise<Html> {
  const [row] = await rowsOf(deps, ctx, [view]);
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const slots = new ErrorSlots(errors);
  // The card first: errors it has no field for (a request decided meanwhile) go above it.
  const card = requestCard(ctx, row!, slots, org.extraUsageEnabled, deps.now());
  return layout({
    title: `Request from ${view.requester.name}`, viewer: ctx.viewer, csrf: ctx.csrf, current: '/requests',
    body: html`<p><a href="/requests">All open requests</a></p><h1>Request from ${view.requester.name}</h1>
${saved && SAVED[saved] ? html`<p class="notice" role="status" data-testid="decision-notice">${SAVED[saved]} ${memberToldWhere(view.requester.name, (await noticeChannelsOfId(deps.db, view.orgId, view.requester.memberId, deps.signInWays)) ?? [])}</p>` : ''}${slots.leftover()}
${card}`,
  });
}

export function requestsPage(app: FastifyInstance, deps: ConsoleDeps) {
  const cooldownMs = deps.requestCooldownAfterDenialMs ?? DEFAULT_COOLDOWN_AFTER_DENIAL_MS;
  /** Admins only; a member is sent to their own page (where they ask). */
  const adminCtx = async (request: Parameters<typeof signedIn>[1], reply: Parameters<typeof signedIn>[2]) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return null;
    if (!isAdmin(ctx.viewer.member)) {
      if (request.method === 'GET') reply.redirect('/me', 303);
      else refusalPage(reply, ctx, 403, `${ctx.viewer.member.name} is ${roleWords(ctx.viewer.member.role)}: only an admin or owner can decide requests`);
      return null;
    }
    return ctx;
  };
  const savedOf = (query: unknown) => {
    const s = (query as { saved?: unknown } | undefined)?.saved;
    return typeof s === 'string' ? s : undefined;
  };

  // The alert email's "Request extra usage" link: the member's own page has the button.
  app.get('/requests/new', async (_request, reply) => reply.redirect('/me', 303));

  // The digest's "See all requests" (?orgId=…): the signed-in person's own org is shown.
  app.get('/requests', async (request, reply) => {
    const ctx = await adminCtx(request, reply);
    if (!ctx) return reply;
    return sendPage(reply, await renderList(deps, ctx, savedOf(request.query)));
  });

  app.get<{ Params: { id: string } }>('/requests/:id', async (request, reply) => {
    const ctx = await adminCtx(request, reply);
    if (!ctx) return reply;
    const view = REQUEST_ID.test(request.params.id) ? await orgRequest(deps.db, ctx.viewer.org.id, request.params.id) : null;
    if (!view) return refusalPage(reply, ctx, 404, 'No request of your organisation has this id.');
    return sendPage(reply, await renderOne(deps, ctx, view, {}, savedOf(request.query)));
  });

  app.post<{ Params: { id: string } }>('/requests/:id/decision', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await adminCtx(request, reply);
    if (!ctx) return reply;
    const view = REQUEST_ID.test(request.params.id) ? await orgRequest(deps.db, ctx.viewer.org.id, request.params.id) : null;
    if (!view) return refusalPage(reply, ctx, 404, 'No request of your organisation has this id.');
    const k = `req-${view.requestId}`;
    const body = (request.body ?? {}) as Record<string, unknown>;
    let decided = 'deny';
    // Deny and a seat upgrade are confirmed first, on a page of their own.
    let confirmAt: string | null = null;
    const denying = body.decision === 'deny';
    return runForm(reply, ctx, {
      field: `${k}.decision`,
      back: () => confirmAt ?? withSaved(`/requests/${view.requestId}`, decided),
      page: denying ? `/requests/${view.requestId}/deny` : `/requests/${view.requestId}`,
      action: async () => {
        const v = parseForm(decisionForm, request.body, `${k}.`);
        decided = view.raise && v.decision === 'increase_limit' ? 'raise_limit' : v.decision;
        if ((v.decision === 'deny' || v.decision === 'upgrade_seat') && body.confirm !== 'yes' && view.status === 'pending') {
          confirmAt = `/requests/${view.requestId}/${v.decision === 'deny' ? 'deny' : 'upgrade'}`;
          return;
        }
        if (!deps.requests) throw new FormError({ [`${k}.decision`]: 'Decisions need the request workflows, which are not running in this process. Nothing was changed.' }, 503);
        await deps.requests.decide(ctx.viewer.org.id, view.requestId, ctx.viewer.member.id, {
          decision: v.decision,
          ...(v.decision === 'enable_extra_usage' ? { cap: v.capMode === 'unlimited' ? null : v.cap!, ...(v.turnOn ? { turnOnForSelectedMembers: true } : {}) } : {}),
          ...(v.decision === 'deny' ? { reason: v.reason?.trim() ? v.reason.trim() : null } : {}),
          ...(v.decision === 'increase_limit' ? { amount: usdAmount.parse(v.amount), period: v.period! } : {}),
          via: 'console',
        });
      },
      rerender: async (errors) => {
        const now = (await orgRequest(deps.db, ctx.viewer.org.id, view.requestId)) ?? view;
        return denying && now.status === 'pending' ? denyPage(ctx, now, cooldownMs, errors) : renderOne(deps, ctx, now, errors);
      },
    });
  });

  // The confirmations: safe to reload (a GET); a request decided meanwhile shows as decided.
  for (const what of ['deny', 'upgrade'] as const) {
    app.get<{ Params: { id: string } }>(`/requests/:id/${what}`, async (request, reply) => {
      const ctx = await adminCtx(request, reply);
      if (!ctx) return reply;
      const view = REQUEST_ID.test(request.params.id) ? await orgRequest(deps.db, ctx.viewer.org.id, request.params.id) : null;
      if (!view) return refusalPage(reply, ctx, 404, 'No request of your organisation has this id.');
      const back = `/requests/${view.requestId}`;
      if (view.status !== 'pending' || view.requester.memberId === ctx.viewer.member.id) return reply.redirect(back, 303);
      if (what === 'deny') return sendPage(reply, denyPage(ctx, view, cooldownMs));
      if (view.raise || view.anthropic || view.requester.seatTier !== 'standard') return reply.redirect(back, 303);
      const c = seatConfirmation(await loadOrg(deps.db, ctx.viewer.org.id), view.requester.name, 'premium');
      return sendPage(reply, confirmationPage(ctx, { ...c, effect: html`${c.effect}<p>This approves ${view.requester.name}'s request; they are told.</p>` }, { to: `/requests/${encodeURIComponent(view.requestId)}/decision`, fields: [['decision', 'upgrade_seat'], ['back', back]], cancel: back, current: '/requests' }));
    });
  }
}
