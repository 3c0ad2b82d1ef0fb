// Seat advice (owners act, admins read): which members would cost less on the other
// seat tier at their last 3 complete months' usage, from the operator's seat prices
// (the same report as GET /v1/reports/seat-advice), each with one "Apply" that moves
// the seat through the settings API's own setMemberSeatTier (owners only, audited).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { text } from '../../domain/fields.js';
import { isAdmin, isOwner } from '../../ledger/actors.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { seatAdviceReport } from '../../ledger/reports/seat-advice.js';
import { setMemberSeatTier } from '../../ledger/settings/settings.js';
import { cents } from '../charts.js';
import { tierName } from '../../domain/display.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField, ErrorSlots, parseForm, type FieldErrors } from '../forms.js';
import { runForm, signedIn, withSaved, type PageContext } from '../guard.js';
import { confirmAddress, confirmationPage, postedFields, seatConfirmation } from '../confirm.js';
import { findMember } from '../../ledger/settings/members.js';
import { html, type Html } from '../html.js';
import { layout, roleName, sendPage } from '../layout.js';

/** "a Premium seat": a tier written one way (src/domain/display.ts). */
const seatWords = (t: 'standard' | 'premium') => `a ${tierName(t)} seat`;
const monthText = (period: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'long', year: 'numeric' }).format(new Date(`${period}-01T00:00:00Z`));

const applyForm = z.object({
  member: text(200),
  seatTier: z.enum(['standard', 'premium'], { error: 'choose Standard or Premium' }),
});

export const ADVICE_PER_PAGE = 50;

async function renderSeats(deps: ConsoleDeps, ctx: PageContext, state: { errors?: FieldErrors; saved?: string; page?: number } = {}): Promise<Html> {
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const r = await seatAdviceReport(deps.db, org, deps.now());
  const canApply = isOwner(ctx.viewer.member);
  const errors = new ErrorSlots(state.errors);
  const span = `${monthText(r.months[0]!)} to ${monthText(r.months[r.months.length - 1]!)}`;
  const saved = state.saved === 'seat' ? html`<p class="notice" role="status">Seat changed.</p>` : '';
  const readOnly = canApply ? '' : html`<p class="muted">You are ${roleName(ctx.viewer.member.role).toLowerCase()}: you can see this advice; only owners apply it.</p>`;
  const prices = r.prices
    ? html`<p>Seat prices (entered by the operator): Standard seat <strong data-testid="price-standard">${cents(r.prices.standard)}</strong> a month, Premium seat <strong data-testid="price-premium">${cents(r.prices.premium)}</strong> a month.</p>`
    : html`<p class="alert" role="status" data-testid="no-prices">No seat prices yet: the operator enters them (<code>PUT /v1/operator/orgs/${org.slug}/seat-prices</code>), then advice appears here.</p>`;
  const rule = html`<p class="muted">Rule: for each member, a tier's cost over ${span} = its seat price × 3 + the extra usage that seat would have incurred, replaying their usage through that tier's included allowance as the ledger splits it. A member is listed when the other tier costs strictly less; the saving a month is the total saving ÷ 3, to the cent.</p>`;
  const pages = Math.max(1, Math.ceil(r.advice.length / ADVICE_PER_PAGE));
  const pageNo = Math.min(Math.max(1, state.page ?? 1), pages);
  const shown = r.advice.slice((pageNo - 1) * ADVICE_PER_PAGE, pageNo * ADVICE_PER_PAGE);
  const pager = pages > 1
    ? html`<nav class="pager" aria-label="Pages of advice">${pageNo > 1 ? html`<a href="/seats?page=${pageNo - 1}">Previous page</a>` : ''}<span>Page ${pageNo} of ${pages} (${r.advice.length} members)</span>${pageNo < pages ? html`<a href="/seats?page=${pageNo + 1}">Next page</a>` : ''}</nav>`
    : '';
  const rows = shown.map((a) => {
    const key = `apply-${a.memberId}`;
    return html`<tr data-member="${a.externalId}"><th scope="row">${a.name}</th>
<td><span data-testid="advice-text">Move ${a.name} to ${seatWords(a.suggestedTier)}: saves ${cents(a.savingPerMonth)} a month at their last 3 months' usage</span></td>
<td>${tierName(a.currentTier)}</td><td class="num" data-col="current">${cents(a.currentCost)}</td><td class="num" data-col="suggested">${cents(a.suggestedCost)}</td><td class="num" data-col="saving">${cents(a.savingPerMonth)}</td>
${canApply ? html`<td><form method="post" action="/seats/apply" class="inline">${csrfField(ctx.csrf)}<input type="hidden" name="member" value="${a.memberId}"><input type="hidden" name="seatTier" value="${a.suggestedTier}"${errors.attrs(`${key}.seatTier`)}><button type="submit" aria-label="Apply: move ${a.name} to ${seatWords(a.suggestedTier)}">Apply</button></form>${errors.text(`${key}.seatTier`)}${errors.text(`${key}.member`)}</td>` : ''}</tr>`;
  });
  const table = r.advice.length === 0
    ? html`<p class="muted" data-testid="no-advice">${r.prices ? 'Every member is on the tier that costs less at their usage.' : ''}</p>`
    : html`<table tabindex="0" data-testid="advice"><thead><tr><th scope="col">Member</th><th scope="col">Advice</th><th scope="col">Seat now</th><th scope="col" class="num">Cost now (3 months)</th><th scope="col" class="num">On the other tier</th><th scope="col" class="num">Saves a month</th>${canApply ? html`<th scope="col">Apply</th>` : ''}</tr></thead><tbody>${rows}</tbody></table>${pager}`;
  return layout({
    title: 'Seat advice',
    viewer: ctx.viewer,
    csrf: ctx.csrf,
    current: '/seats',
    body: html`<h1>Seat advice</h1><p class="muted">${org.name} · usage of ${span} (${org.timezone})</p>
${saved}${errors.leftover()}${readOnly}<section class="card" aria-labelledby="h-advice"><h2 id="h-advice">Members who would cost less on the other tier</h2>${prices}${table}${rule}</section>`,
  });
}

export function seatsPage(app: FastifyInstance, deps: ConsoleDeps) {
  app.get('/seats', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    const q = z.object({ saved: z.string().max(20).optional().catch(undefined), page: z.coerce.number().int().min(1).max(1_000_000).catch(1).default(1) }).parse(request.query ?? {});
    return sendPage(reply, await renderSeats(deps, ctx, { saved: q.saved, page: q.page }));
  });

  app.post('/seats/apply', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const k = `apply-${typeof body.member === 'string' ? body.member.slice(0, 200) : 'form'}`;
    let confirmAt: string | null = null;
    return runForm(reply, ctx, {
      field: `${k}.seatTier`,
      back: () => confirmAt ?? withSaved('/seats', 'seat'),
      page: '/seats',
      // The ledger checks the role (owners) from the stored member, as for the API.
      action: async () => {
        const v = parseForm(applyForm, body, `${k}.`);
        // A seat change is confirmed first (docs/console.md), by owners (others are refused below).
        if (body.confirm !== 'yes' && isOwner(ctx.viewer.member) && (await seatChange(deps, ctx, v))) {
          confirmAt = confirmAddress('/seats/confirm', '/seats/apply', postedFields(body));
          return;
        }
        return setMemberSeatTier(deps.db, ctx.viewer.org, ctx.viewer.member, v.member, v.seatTier);
      },
      rerender: (errors) => renderSeats(deps, ctx, { errors }),
    });
  });

  app.get('/seats/confirm', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isOwner(ctx.viewer.member)) return reply.redirect('/seats', 303);
    const query = { ...((request.query ?? {}) as Record<string, unknown>) };
    delete query.to;
    const parsed = applyForm.safeParse(query);
    const c = parsed.success ? await seatChange(deps, ctx, parsed.data) : null;
    if (!c) return reply.redirect('/seats', 303);
    return sendPage(reply, confirmationPage(ctx, c, { to: '/seats/apply', fields: postedFields(query), cancel: '/seats', current: '/seats' }));
  });
}

/** What moving the member's seat changes, or null when it would change nothing (a member gone, the same tier). */
async function seatChange(deps: ConsoleDeps, ctx: PageContext, v: z.infer<typeof applyForm>) {
  const m = await findMember(deps.db, ctx.viewer.org.id, v.member);
  if (!m || m.removedAt || m.seatTier === v.seatTier) return null;
  return seatConfirmation(await loadOrg(deps.db, ctx.viewer.org.id), m.name, v.seatTier);
}
