// A member's own page: their seat's included usage and when it resets, every limit
// that applies with what they spent against it, which one stops them next, and
// "Request extra usage" (the one request rule decides whether it is offered and
// whether asking is accepted, as in chat and the API).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { text } from '../../domain/fields.js';
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS } from '../../domain/requests.js';
import type { RaiseScope } from '../../domain/limit-raise.js';
import { actorLabel } from '../../ledger/actors.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { attributeClientUser } from '../../ledger/metering/unattributed.js';
import { memberUsageView, type MemberUsageView } from '../../ledger/metering/member-usage.js';
import { whenText } from '../../notify/email-format.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField, ErrorSlots, fieldId, FormError, parseForm, type FieldErrors } from '../forms.js';
import { runForm, signedIn, withSaved, type PageContext } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, sendPage } from '../layout.js';

const money = (usd: string | null) => (usd === null ? 'Unlimited' : `$${usd}`);

/** Which limit stops the member next, in words, with when it lifts. */
function nextText(v: MemberUsageView, tz: string): Html {
  const n = v.next;
  if (n.allowed && n.mode === 'included') {
    return html`You are using your seat's included usage. When it runs out${v.allowance.resetsAt ? html` (it resets ${whenText(v.allowance.resetsAt, tz)})` : ''}, ${v.extraUsage.enabled ? 'you continue on extra usage, up to your limits below.' : 'you are stopped until it resets, unless you have extra usage.'}`;
  }
  if (n.allowed) {
    const firstCap = v.caps.find((c) => c.cap !== null && c.scope !== 'balance');
    return html`You are on extra usage. ${firstCap ? html`The next limit is <strong>${firstCap.label}</strong> (${money(firstCap.spent)} of ${money(firstCap.cap)} spent).` : 'No monthly limit applies to you.'} Monthly limits reset ${whenText(v.monthResetsAt, tz)}.`;
  }
  // The one wording every channel uses (src/domain/refusal-words.ts); its link is this page's own action below.
  const r = v.refusal!;
  return html`<strong>You are paused:</strong> <span data-testid="refusal">${r.stopped}; ${r.lifts}. ${r.next}.</span>`;
}

const askForm = z.object({ note: text(500, { min: 0, multiline: true }).optional() });
const raiseForm = z.object({
  amount: z.string().trim().regex(/^\d{1,12}(\.\d{1,2})?$/, 'Enter the new monthly limit in US dollars, such as 100 or 112.50 (at most 2 decimals, no $ sign).'),
  note: text(500, { min: 0, multiline: true }).optional(),
});

const RAISE_WORDS: Record<RaiseScope, string> = { member: 'your monthly extra usage limit', tier: 'your seat tier\'s monthly extra usage limit', org: 'the organisation\'s monthly extra usage limit' };

const claimForm = z.object({ userId: text(200) });

async function renderMe(deps: ConsoleDeps, ctx: PageContext, state: { errors?: FieldErrors; saved?: string } = {}): Promise<Html> {
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const v = await memberUsageView(deps.db, org, ctx.viewer.member, deps.now(), deps.requestCooldownAfterDenialMs ?? DEFAULT_COOLDOWN_AFTER_DENIAL_MS, deps.publicUrl ?? null);
  const tz = org.timezone;
  const errors = new ErrorSlots(state.errors);
  const sent = state.saved === 'request' || state.saved === 'raise' || v.requestOpen;
  const raise = sent ? null : v.raise;
  const claims = await deps.db.claudeCodeUser.findMany({ where: { orgId: org.id, memberId: ctx.viewer.member.id }, orderBy: { createdAt: 'asc' } });
  const request = sent
    ? v.openRequestIsRaise || state.saved === 'raise'
      ? html`<p class="notice" role="status" data-testid="request-sent">Request sent to owners. You will hear back in chat or by email.</p>`
      : html`<p class="notice" role="status" data-testid="request-sent">Request sent to admin. You will hear back in chat or by email.</p>`
    : raise
      ? html`<form method="post" action="/me/raise-limit">${csrfField(ctx.csrf)}
<p>You reached ${RAISE_WORDS[raise.scope]} of ${money(raise.from)}. Ask the owners to raise it (only owners change limits).</p>
<label for="${fieldId('raise.amount')}">New monthly limit in USD</label>
<input id="${fieldId('raise.amount')}" name="amount" inputmode="decimal" size="10" value="${raise.suggested}"${errors.attrs('raise.amount')}>${errors.text('raise.amount')}
<p class="muted">Suggested: your current limit plus your spending rate to the month's end, rounded up to whole dollars.</p>
<label for="${fieldId('raise.note')}">Note for the owners (optional)</label><br>
<textarea id="${fieldId('raise.note')}" name="note" rows="2" cols="40"${errors.attrs('raise.note')}></textarea>${errors.text('raise.note')}<br>
<button type="submit">Ask to raise my limit</button></form>`
    : v.canRequestExtraUsage
      ? html`<form method="post" action="/me/request">${csrfField(ctx.csrf)}
<label for="${fieldId('ask.note')}">Note for your admins (optional)</label><br>
<textarea id="${fieldId('ask.note')}" name="note" rows="2" cols="40"${errors.attrs('ask.note')}></textarea>${errors.text('ask.note')}<br>
<button type="submit">Request extra usage</button></form>`
      : html`<p class="muted">${v.requestRefusal ? `You cannot request extra usage now: ${v.requestRefusal.message}.` : ''}</p>${errors.text('ask.note')}${errors.text('raise.amount')}`;
  return layout({
    title: 'My usage', viewer: ctx.viewer, csrf: ctx.csrf, current: '/me',
    body: html`<h1>My usage</h1><p class="muted">${v.name} · ${v.seatTier === 'premium' ? 'Premium' : 'Standard'} seat · ${org.name} · ${v.period} (${tz})</p>
<section class="card" aria-labelledby="h-next"><h2 id="h-next">What stops you next</h2><p data-testid="next">${nextText(v, tz)}</p></section>
<section class="card" aria-labelledby="h-seat"><h2 id="h-seat">Included usage</h2>
<p>${money(v.allowance.used)} of ${money(v.allowance.included)} used in this ${v.allowance.windowMinutes}-minute window${v.allowance.resetsAt ? html`; resets ${whenText(v.allowance.resetsAt, tz)}` : ''}.</p></section>
<section class="card" aria-labelledby="h-limits"><h2 id="h-limits">Extra usage this month</h2>
<p>Extra usage is <strong>${v.extraUsage.enabled ? 'on' : 'off'}</strong> for you${!v.extraUsage.orgEnabled ? ' (off for the organisation)' : ''}. Monthly limits reset ${whenText(v.monthResetsAt, tz)}.</p>
<table tabindex="0"><thead><tr><th scope="col">Limit</th><th scope="col" class="num">Spent</th><th scope="col" class="num">Limit</th><th scope="col">Status</th></tr></thead><tbody>
${v.caps.map((c) => c.scope === 'balance'
  ? html`<tr><th scope="row">${c.label}</th><td class="num" colspan="2">${money(c.spent)} left</td><td>${c.reached ? 'Used up' : 'Available'}</td></tr>`
  : html`<tr><th scope="row">${c.label}</th><td class="num">${money(c.spent)}</td><td class="num">${money(c.cap)}</td><td>${c.reached ? 'Reached' : 'Below'}</td></tr>`)}
</tbody></table></section>
${v.plan === 'enterprise' || raise || v.openRequestIsRaise ? html`<section class="card" aria-labelledby="h-ask"><h2 id="h-ask">More usage</h2>${request}</section>` : ''}
<section class="card" aria-labelledby="h-claude-code"><h2 id="h-claude-code">Your Claude Code</h2>
${state.saved === 'claude-code' ? html`<p class="notice" role="status" data-testid="claude-code-claimed">Claimed: the usage it reported is yours now, and so is its usage from now on.</p>` : ''}
<p class="muted">Claude Code signed in with an API key reports usage without your name. Claim it by its user id: run <code>jq -r .userID ~/.claude.json</code> on each machine you use it on.</p>
${claims.length ? html`<p data-testid="claude-code-users">Yours: ${claims.map((c) => html`<code>${c.clientUserId}</code> `)}</p>` : ''}
<form method="post" action="/me/claude-code">${csrfField(ctx.csrf)}
<label for="${fieldId('claim.userId')}">Claude Code user id</label>
<input id="${fieldId('claim.userId')}" name="userId" size="70"${errors.attrs('claim.userId')}>${errors.text('claim.userId')}
<button type="submit">Claim</button></form></section>`,
  });
}

export function memberPage(app: FastifyInstance, deps: ConsoleDeps) {
  app.get('/me', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    const saved = (request.query as { saved?: unknown }).saved;
    return sendPage(reply, await renderMe(deps, ctx, { saved: typeof saved === 'string' ? saved : undefined }));
  });

  app.post('/me/claude-code', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    return runForm(reply, ctx, {
      field: 'claim.userId',
      back: withSaved('/me', 'claude-code'),
      action: async () => {
        const v = parseForm(claimForm, request.body, 'claim.');
        const m = ctx.viewer.member;
        await attributeClientUser(deps.db, ctx.viewer.org.id, v.userId.trim(), m.id, actorLabel({ ...m, via: 'console' }), deps.now());
      },
      rerender: (errors) => renderMe(deps, ctx, { errors }),
    });
  });

  app.post('/me/raise-limit', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    return runForm(reply, ctx, {
      field: 'raise.amount',
      back: withSaved('/me', 'raise'),
      action: async () => {
        const v = parseForm(raiseForm, request.body, 'raise.');
        if (!deps.requests) throw new FormError({ 'raise.amount': 'Requests need the request workflows, which are not running in this process. Nothing was sent.' }, 503);
        await deps.requests.askRaise(ctx.viewer.org.id, ctx.viewer.member.id, { amount: v.amount, note: v.note?.trim() ? v.note.trim() : null });
      },
      rerender: (errors) => renderMe(deps, ctx, { errors }),
    });
  });

  app.post('/me/request', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    return runForm(reply, ctx, {
      field: 'ask.note',
      back: withSaved('/me', 'request'),
      action: async () => {
        const v = parseForm(askForm, request.body, 'ask.');
        if (!deps.requests) throw new FormError({ 'ask.note': 'Requests need the request workflows, which are not running in this process. Nothing was sent.' }, 503);
        await deps.requests.ask(ctx.viewer.org.id, ctx.viewer.member.id, v.note?.trim() ? v.note.trim() : null);
      },
      rerender: (errors) => renderMe(deps, ctx, { errors }),
    });
  });
}
