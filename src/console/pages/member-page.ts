// A member's own page: their seat's included usage and when it resets, every limit
// that applies with what they spent against it, which one stops them next, and
// "Request extra usage" (the one request rule decides whether it is offered and
// whether asking is accepted, as in chat and the API).
import { answerArrives } from '../../domain/notice-channels.js';
import { noticeChannelsOf } from '../../ledger/notices/notice-channels.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { text } from '../../domain/fields.js';
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS } from '../../domain/requests.js';
import type { RaiseScope } from '../../domain/limit-raise.js';
import { actorLabel } from '../../ledger/actors.js';
import { createGatewayKey, listGatewayKeys, revokeGatewayKey } from '../../gateway/keys.js';
import { claudeCodeLines } from '../../gateway/claude-code-lines.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { attributeClientUser } from '../../ledger/metering/unattributed.js';
import { memberUsageView, type MemberUsageView } from '../../ledger/metering/member-usage.js';
import { setOwnContinueChoice } from '../../ledger/settings/continue-choice.js';
import { whenText } from '../../notify/email-format.js';
import { limitsPortFor } from '../../anthropic/limits-port.js';
import { durationWords, monthName, tierName, usdCents, usdWithExact } from '../../domain/display.js';
import { moneyInput } from '../../domain/money-input.js';
import { parseUsd } from '../../domain/money.js';
import { capBar, capRowClass } from '../cap-bar.js';
import { claudeLimitWords, type LimitLine } from '../../domain/member-limits.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField, ErrorSlots, fieldId, FormError, parseForm, type FieldErrors } from '../forms.js';
import { redirectWithPage } from '../flash.js';
import { runForm, signedIn, withSaved, type PageContext } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, sendPage } from '../layout.js';

/** An amount as people read it: cents with thousands separators; no amount is Unlimited. */
const money = (usd: string | null) => (usd === null ? 'Unlimited' : usdCents(usd));

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

/** A connected org: the member's limits in Claude (the limits port) in the words chat uses, the one that stops them next first. */
function claudeNextText(lines: LimitLine[]): Html {
  const w = claudeLimitWords(lines, usdCents);
  return html`<p>${w.stopped ? html`<strong>${w.next}</strong>` : w.next}</p>${w.lines.length ? html`<ul data-testid="claude-limits">${w.lines.map((l) => html`<li data-period="${l.period}">${l.label}: ${l.text}</li>`)}</ul>` : ''}<p class="muted">As Claude last reported it (refreshed every few minutes).</p>`;
}

const askForm = z.object({ note: text(500, { min: 0, multiline: true }).optional() });
const keyForm = z.object({
  name: text(100, { min: 0 }).optional(),
  expiresInDays: z.union([z.literal(''), z.coerce.number().int().min(1, 'at least 1 day').max(3650, 'at most 3650 days')]).optional(),
});

/** "Use Claude Code": the member's gateway keys, a new one shown once with the lines to paste. */
async function claudeCodePanel(deps: ConsoleDeps, ctx: PageContext, origin: string, state: { errors?: FieldErrors; saved?: string; newKey?: string }, errors: ErrorSlots): Promise<Html> {
  const tz = ctx.viewer.org.timezone;
  const keys = (await listGatewayKeys(deps.db, ctx.viewer.member, ctx.viewer.member.id)).filter((k) => k.revokedAt === null);
  const gatewayUrl = `${(deps.publicUrl ?? origin).replace(/\/$/, '')}/anthropic`;
  const lines = state.newKey ? claudeCodeLines(gatewayUrl, state.newKey) : null;
  return html`<section class="card" aria-labelledby="h-use-claude-code"><h2 id="h-use-claude-code">Use Claude Code</h2>
<p>Point Claude Code at this service with a personal key: your usage is counted and your limits apply as you work.</p>
${lines ? html`<div class="notice" role="status" data-testid="gateway-key-made"><p><strong>Your new key is shown only now.</strong> Copy it before leaving this page.</p>
<p>In your shell (or your shell's profile):</p><pre data-testid="gateway-shell-lines">${lines.shell}</pre>
<p>Or in Claude Code's <code>~/.claude/settings.json</code>:</p><pre data-testid="gateway-settings-lines">${lines.settings}</pre></div>` : ''}
${state.saved === 'gateway-key-revoked' ? html`<p class="notice" role="status" data-testid="gateway-key-revoked">Key revoked: Claude Code using it is refused from now on.</p>` : ''}
${keys.length ? html`<table data-testid="gateway-keys"><thead><tr><th scope="col">Key</th><th scope="col">Name</th><th scope="col">Made</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${keys.map((k) => html`<tr><td><code>${k.prefix}…</code></td><td>${k.name}</td><td>${whenText(k.createdAt, tz)}</td><td>${k.expiresAt ? whenText(k.expiresAt, tz) : 'Never'}</td>
<td><form method="post" action="/me/gateway-keys/${k.id}/revoke">${csrfField(ctx.csrf)}<button type="submit" aria-label="Revoke key ${k.prefix}">Revoke</button></form></td></tr>`)}
</tbody></table>` : html`<p class="muted">You have no key yet.</p>`}
<form method="post" action="/me/gateway-keys">${csrfField(ctx.csrf)}
<label for="${fieldId('key.name')}">Key name</label> <input id="${fieldId('key.name')}" name="name" value="Claude Code" size="24"${errors.attrs('key.name')}>${errors.text('key.name')}
<label for="${fieldId('key.expiresInDays')}">Expires after (days, optional)</label> <input id="${fieldId('key.expiresInDays')}" name="expiresInDays" inputmode="numeric" size="5"${errors.attrs('key.expiresInDays')}>${errors.text('key.expiresInDays')}
<button type="submit">Make a key</button></form></section>`;
}
const raiseForm = z.object({
  // As people type it: "1,500", "$1,500.00" and "1500" are one amount.
  amount: z.string().trim().transform((v) => moneyInput(v) ?? v).pipe(z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'Enter the new monthly limit in US dollars, such as 1,500 or 112.50 (at most 2 decimals).')),
  note: text(500, { min: 0, multiline: true }).optional(),
});

const RAISE_WORDS: Record<RaiseScope, string> = { member: 'your monthly extra usage limit', tier: 'your seat tier\'s monthly extra usage limit', org: 'the organisation\'s monthly extra usage limit' };

const claimForm = z.object({ userId: text(200) });
const continueForm = z.object({ enabled: z.enum(['on', 'off'], { message: 'Choose on or off.' }) });

/** "Continue on extra usage when my seat's included usage runs out": the member's own choice, one button to change it. */
function continuePanel(v: MemberUsageView, ctx: PageContext, saved: string | undefined, errors: ErrorSlots): Html {
  const c = v.continueChoice;
  const whose = c.setBy === 'member' ? 'your choice' : `your organisation's default (owners chose ${c.orgDefault ? 'on' : 'off'})`;
  return html`<section class="card" aria-labelledby="h-continue"><h2 id="h-continue">When your included usage runs out</h2>
${saved === 'continue' ? html`<p class="notice" role="status" data-testid="continue-saved">Saved: ${c.enabled ? 'you continue on extra usage when your included usage runs out.' : 'you stop at your seat\'s limit when your included usage runs out.'}</p>` : ''}
<p data-testid="continue-choice">Continue on extra usage when my seat's included usage runs out: <strong>${c.enabled ? 'on' : 'off'}</strong> (${whose}).
${c.enabled ? 'Past your included usage you go on, billed at standard API rates, up to your limits.' : 'Past your included usage you stop until it comes back.'}
</p>
<form method="post" action="/me/continue">${csrfField(ctx.csrf)}<input type="hidden" name="enabled" value="${c.enabled ? 'off' : 'on'}">
<button type="submit">${c.enabled ? 'Stop at my seat\'s limit' : 'Continue on extra usage'}</button>${errors.text('continue.enabled')}</form></section>`;
}

async function renderMe(deps: ConsoleDeps, ctx: PageContext, origin: string, state: { errors?: FieldErrors; saved?: string; newKey?: string } = {}): Promise<Html> {
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const v = await memberUsageView(deps.db, org, ctx.viewer.member, deps.now(), deps.requestCooldownAfterDenialMs ?? DEFAULT_COOLDOWN_AFTER_DENIAL_MS, deps.publicUrl ?? null);
  const tz = org.timezone;
  const port = await limitsPortFor(deps.db, org, deps.now());
  const claudeLines = port.authority === 'claude' ? (await port.linesOf([ctx.viewer.member.id])).get(ctx.viewer.member.id) ?? [] : null;
  const errors = new ErrorSlots(state.errors);
  const sent = state.saved === 'request' || state.saved === 'raise' || v.requestOpen;
  const raise = sent ? null : v.raise;
  const claims = await deps.db.claudeCodeUser.findMany({ where: { orgId: org.id, memberId: ctx.viewer.member.id }, orderBy: { createdAt: 'asc' } });
  const request = sent
    ? v.openRequestIsRaise || state.saved === 'raise'
      ? html`<p class="notice" role="status" data-testid="request-sent">Request sent to owners. ${answerArrives(await noticeChannelsOf(deps.db, ctx.viewer.member, deps.signInWays))}</p>`
      : html`<p class="notice" role="status" data-testid="request-sent">Request sent to admin. ${answerArrives(await noticeChannelsOf(deps.db, ctx.viewer.member, deps.signInWays))}</p>`
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
      // Paused by their own choice: their next step is "Continue on extra usage" above, not a request.
      : html`<p class="muted">${v.requestRefusal && v.refusal?.reason !== 'continue_on_extra_usage_off' ? `You cannot request extra usage now: ${v.requestRefusal.message}.` : ''}</p>${errors.text('ask.note')}${errors.text('raise.amount')}`;
  const heading = html`<h1>My usage</h1><p class="muted">${v.name} · ${tierName(v.seatTier)} seat · ${org.name} · ${monthName(v.period)} (${tz})</p>`;
  // The page's cards first, so the error summary above them links to every field in error.
  const cards = html`<section class="card" aria-labelledby="h-next"><h2 id="h-next">What stops you next</h2><div data-testid="next">${claudeLines ? claudeNextText(claudeLines) : html`<p>${nextText(v, tz)}</p>`}</div></section>
<section class="card" aria-labelledby="h-seat"><h2 id="h-seat">Included usage</h2>
<p>${money(v.allowance.used)} of ${money(v.allowance.included)} used in this window of ${durationWords(v.allowance.windowMinutes)}${v.allowance.resetsAt ? html`; resets ${whenText(v.allowance.resetsAt, tz)}` : ''}.</p></section>
<section class="card" aria-labelledby="h-limits"><h2 id="h-limits">Extra usage this month</h2>
<p>Extra usage is <strong>${v.extraUsage.enabled ? 'on' : 'off'}</strong> for you${!v.extraUsage.orgEnabled ? ' (off for the organisation)' : ''}. Monthly limits reset ${whenText(v.monthResetsAt, tz)}.</p>
<table tabindex="0"><thead><tr><th scope="col">Limit</th><th scope="col" class="num">Spent</th><th scope="col" class="num">Amount</th><th scope="col">Status</th></tr></thead><tbody>
${v.caps.map((c) => c.scope === 'balance'
  ? html`<tr><th scope="row">${c.label}</th><td class="num" colspan="2">${money(c.spent)} left</td><td>${c.reached ? 'Used up' : 'Available'}</td></tr>`
  : html`<tr class="${capRowClass(parseUsd(c.spent) ?? 0n, c.cap === null ? null : parseUsd(c.cap))}"><th scope="row">${c.label}</th><td class="num">${usdWithExact(c.spent)}</td><td class="num">${money(c.cap)}</td><td>${c.cap === null ? 'No limit' : capBar(parseUsd(c.spent) ?? 0n, parseUsd(c.cap), c.label)}</td></tr>`)}
</tbody></table></section>
${claudeLines || !v.continueChoice.extraUsageAvailable ? '' : continuePanel(v, ctx, state.saved, errors)}
${v.plan === 'enterprise' || raise || v.openRequestIsRaise ? html`<section class="card" aria-labelledby="h-ask"><h2 id="h-ask">More usage</h2>${request}</section>` : ''}
${await claudeCodePanel(deps, ctx, origin, state, errors)}
<section class="card" aria-labelledby="h-claude-code"><h2 id="h-claude-code">Your Claude Code</h2>
${state.saved === 'claude-code' ? html`<p class="notice" role="status" data-testid="claude-code-claimed">Claimed: the usage it reported is yours now, and so is its usage from now on.</p>` : ''}
<p class="muted">Claude Code signed in with an API key reports usage without your name. Claim it by its user id: run <code>jq -r .userID ~/.claude.json</code> on each machine you use it on.</p>
${claims.length ? html`<p data-testid="claude-code-users">Yours: ${claims.map((c) => html`<code>${c.clientUserId}</code> `)}</p>` : ''}
<form method="post" action="/me/claude-code">${csrfField(ctx.csrf)}
<label for="${fieldId('claim.userId')}">Claude Code user id</label>
<input id="${fieldId('claim.userId')}" name="userId" size="70"${errors.attrs('claim.userId')}>${errors.text('claim.userId')}
<button type="submit">Claim</button></form></section>`;
  return layout({ title: 'My usage', viewer: ctx.viewer, csrf: ctx.csrf, current: '/me', body: html`${heading}${errors.summary()}${cards}` });
}

const originOf = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

export function memberPage(app: FastifyInstance, deps: ConsoleDeps) {
  app.get('/me', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    const saved = (request.query as { saved?: unknown }).saved;
    return sendPage(reply, await renderMe(deps, ctx, originOf(request), { saved: typeof saved === 'string' ? saved : undefined }));
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
      rerender: (errors) => renderMe(deps, ctx, originOf(request), { errors }),
    });
  });

  // The new key is never in a URL: the page showing it once is kept for the redirect to /me.
  app.post('/me/gateway-keys', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    let v: z.infer<typeof keyForm>;
    try {
      v = parseForm(keyForm, request.body, 'key.');
    } catch (err) {
      if (err instanceof FormError) return redirectWithPage(deps, request, reply, '/me', (await renderMe(deps, ctx, originOf(request), { errors: err.errors })).value, 400);
      throw err;
    }
    const m = ctx.viewer.member;
    const days = typeof v.expiresInDays === 'number' ? v.expiresInDays : null;
    const made = await createGatewayKey(deps.db, { ...m, via: 'console' }, { name: v.name?.trim() || 'Claude Code', expiresAt: days ? new Date(deps.now().getTime() + days * 86_400_000) : null });
    // Shown once at /me, kept encrypted with the cookie's token for at most a minute (src/console/flash.ts).
    return redirectWithPage(deps, request, reply, '/me', (await renderMe(deps, ctx, originOf(request), { newKey: made.key })).value, 200);
  });

  app.post('/me/gateway-keys/:id/revoke', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    const id = String((request.params as { id?: unknown }).id ?? '');
    await revokeGatewayKey(deps.db, { ...ctx.viewer.member, via: 'console' }, ctx.viewer.org.id, id);
    return reply.redirect(withSaved('/me', 'gateway-key-revoked'), 303);
  });

  // The member's own choice, for themselves only (the signed-in member); audited in the ledger.
  app.post('/me/continue', { preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    return runForm(reply, ctx, {
      field: 'continue.enabled',
      back: withSaved('/me', 'continue'),
      action: async () => {
        const v = parseForm(continueForm, request.body, 'continue.');
        await setOwnContinueChoice(deps.db, ctx.viewer.org.id, ctx.viewer.member, v.enabled === 'on', 'console');
      },
      rerender: (errors) => renderMe(deps, ctx, originOf(request), { errors }),
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
      rerender: (errors) => renderMe(deps, ctx, originOf(request), { errors }),
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
      rerender: (errors) => renderMe(deps, ctx, originOf(request), { errors }),
    });
  });
}
