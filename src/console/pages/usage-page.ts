// Usage (Admin settings > Usage): owners change the switch and every cap; admins see
// the same page read-only. Numbers come from the same reports as GET /v1/settings/usage
// and GET /v1/reports/seat-limits, and changes go through the same ledger functions
// as the settings API, so a refusal here is the API's refusal.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { text, usdAmount } from '../../domain/fields.js';
import { formatUsd, formatUsdOrNull, parseUsd } from '../../domain/money.js';
import type { Member, Organization } from '../../generated/prisma/client.js';
import { setBalanceWarning } from '../../ledger/settings/balance-warning.js';
import { isAdmin, isOwner } from '../../ledger/actors.js';
import { LedgerError } from '../../ledger/errors.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { usageOverview } from '../../ledger/reports/reports.js';
import { MEMBER_SORTS, seatLimitsPage, type MemberSort } from '../../ledger/reports/seat-limits-page.js';
import { setAutoReload, setExtraUsage, setMemberCap, setMemberExtraUsage, setMemberSeatTier, setOrgCap, setTierCap } from '../../ledger/settings/settings.js';
import { whenText } from '../../notify/email-format.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField, ErrorSlots, fieldId, FormError, parseForm, type FieldErrors } from '../forms.js';
import { messagePage, refusalPage, runForm, signedIn, withSaved, type PageContext } from '../guard.js';
import { confirmAddress, confirmationPage, postedFields, seatConfirmation, type Confirmation } from '../confirm.js';
import { findMember } from '../../ledger/settings/members.js';
import { html, type Html } from '../html.js';
import { layout, roleName, sendPage } from '../layout.js';
import { safeNext } from '../session.js';
import { connectionView } from '../../anthropic/connection.js';
import { limitsPortFor } from '../../anthropic/limits-port.js';
import type { LimitLine } from '../../domain/member-limits.js';
import { durationWords, formatDay, monthName, tierName, usdCents, usdExact, usdWithExact } from '../../domain/display.js';
import { moneyInput, normalisedMoney, readAmount } from '../../domain/money-input.js';
import { capBar, capRowClass } from '../cap-bar.js';
import { AnthropicUnavailable } from '../../anthropic/errors.js';
import { setMemberLimit } from '../../anthropic/member-limits.js';
import { noBalanceWords } from '../../domain/alerts.js';
import { onWithoutBalance } from '../../domain/balance-watch.js';
import { formatDayTime } from '../../domain/display.js';
import { balanceHistory, type BalanceHistoryRow } from '../../ledger/reports/balance-history.js';
import type { SavedCard } from '../../payments/purchases.js';
import { setContinueDefault } from '../../ledger/settings/continue-choice.js';

/** An amount as people read it: cents with thousands separators; no amount is Unlimited. */
const money = (usd: string | null | undefined) => (usd === null || usd === undefined ? 'Unlimited' : usdCents(usd));
/** nanos of a ledger decimal (a cap, a spend); null stays null (no cap). */
const nanosOf = (usd: string | null | undefined): bigint | null => (usd === null || usd === undefined ? null : parseUsd(usd) ?? 0n);
/** A spend in cents, the exact figure in its title when cents hide part of it ("$3.70", title "$3.703701"). */
const spendCell = (usd: string) => (usdExact(usd) === usdCents(usd) ? html`${usdCents(usd)}` : html`<span title="${usdExact(usd)} exactly">${usdCents(usd)}</span>`);

const listQuery = z.object({
  // A filter with control characters (a NUL the database cannot take) is no filter.
  q: z.string().max(100).regex(/^[^\u0000-\u001f\u007f]*$/).optional().catch(undefined),
  sort: z.enum(MEMBER_SORTS).catch('spend_desc').default('spend_desc'),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1).default(1),
  saved: z.string().max(40).optional().catch(undefined),
});
type ListQuery = z.infer<typeof listQuery>;

const SAVED: Record<string, string> = {
  'extra-usage': 'Extra usage settings saved.',
  'continue-default': 'Saved: what members do by default when their included usage runs out.',
  'org-cap': 'Spending cap saved.',
  'tier-cap': 'Seat tier spending cap saved.',
  'member-cap': 'Member limit saved.',
  'member-extra-usage': 'Member extra usage saved.',
  'member-seat': 'Seat changed.',
  'members-bulk': 'The selected members were changed.',
  'auto-reload': 'Auto-reload saved.',
  'balance-warning': 'Low-balance warning saved.',
  'claude-limit': 'Saved: the member\'s limit is set in Claude.',
  purchase: 'Balance bought: it is added below.',
  // Extra usage just turned on with nothing to spend: straight on to buying (the Buy form is open below).
  'extra-usage-pay': 'Extra usage is on, but nobody can use it until there is a balance: buy balance below.',
  'purchase-paid': 'Thank you: your payment was received. The balance is credited as soon as Stripe confirms it (usually within seconds).',
  'purchase-cancelled': 'The purchase was cancelled: nothing was charged or credited.',
};

/** A cap form's amount: required unless the form sets Unlimited. */
const capFields = z.object({
  action: z.enum(['set', 'unlimited'], { error: 'choose Set cap or Set to unlimited' }),
  // As people type it: "1,500", "$1,500.00" and "1500" are one amount.
  cap: z.string().trim().max(20).optional().transform(normalisedMoney),
  back: z.string().optional(),
});
const capRule = (v: { action: 'set' | 'unlimited'; cap?: string }, ctx: z.RefinementCtx) => {
  if (v.action === 'set' && !usdAmount.safeParse(v.cap ?? '').success) {
    ctx.addIssue({ code: 'custom', path: ['cap'], message: 'Enter an amount in US dollars, such as 1,500 or 12.50 (at most 2 decimals), or choose "Set to unlimited".' });
  }
};

const capOf = (v: { action: 'set' | 'unlimited'; cap?: string }) => (v.action === 'unlimited' ? null : parseUsd(v.cap!)!);

const usagePath = (q: ListQuery, over: Partial<ListQuery> = {}) => {
  const p = new URLSearchParams();
  const merged = { ...q, ...over };
  if (merged.q) p.set('q', merged.q);
  if (merged.sort !== 'spend_desc') p.set('sort', merged.sort);
  if (merged.page !== 1) p.set('page', String(merged.page));
  const s = p.toString();
  return `/usage${s ? `?${s}` : ''}`;
};

const backOf = (v: { back?: string }) => {
  const back = safeNext(v.back, '/usage');
  return back.startsWith('/usage') ? back : '/usage';
};

interface RenderState {
  errors?: FieldErrors;
  /** The details panels to show open (the one whose form has an error). */
  open?: Set<string>;
  /** What was typed into the form that failed, by field key: shown again, not the stored value. */
  values?: Record<string, string>;
  /** Members ticked in the table when a bulk change failed: ticked again. */
  chosen?: string[];
}

export async function renderUsage(deps: ConsoleDeps, ctx: PageContext, q: ListQuery, state: RenderState = {}): Promise<Html> {
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const at = deps.now();
  const [overview, page, claude, port] = await Promise.all([usageOverview(deps.db, org, at), seatLimitsPage(deps.db, org, { q: q.q, sort: q.sort, page: q.page }, at), connectionView(deps.db, org.id), limitsPortFor(deps.db, org, at)]);
  // Each member's limits through the org's port: our ledger's caps, or Claude's effective limits.
  const limits = await port.linesOf(page.members.map((m) => m.id));
  const canEdit = isOwner(ctx.viewer.member);
  const errors = new ErrorSlots(state.errors);
  const open = (key: string) => (state.open?.has(key) ? html` open` : '');
  const typed = (key: string, stored: string | null | undefined) => state.values?.[key] ?? stored ?? '';
  const back = usagePath(q);
  const hidden = html`${csrfField(ctx.csrf)}<input type="hidden" name="back" value="${back}">`;

  const capPanel = (key: string, action: string, label: string, extra: Html, current: string | null) => html`
<details${open(key)}><summary>Adjust limit<span class="visually-hidden"> (${label})</span></summary><div class="panel">
<form method="post" action="${action}" class="inline">${hidden}${extra}<input type="hidden" name="action" value="set">
<label for="${fieldId(`${key}.cap`)}">${label} in USD</label>
<input id="${fieldId(`${key}.cap`)}" name="cap" inputmode="decimal" size="10" value="${typed(`${key}.cap`, current)}"${errors.attrs(`${key}.cap`)}>
<button type="submit">Set cap</button></form>
<form method="post" action="${action}" class="inline">${hidden}${extra}<input type="hidden" name="action" value="unlimited"><button type="submit" class="secondary">Set to unlimited</button></form>
${errors.text(`${key}.cap`)}</div></details>`;

  const saved = q.saved && SAVED[q.saved] ? html`<p class="notice" role="status">${SAVED[q.saved]}</p>` : '';
  const readOnly = canEdit ? '' : html`<p class="muted">You are ${roleName(ctx.viewer.member.role).toLowerCase()}: you can see these settings; only owners change them.</p>`;

  const ex = overview.extraUsage;
  const extraSection = html`<section class="card" aria-labelledby="h-extra"><h2 id="h-extra">Extra usage</h2>
<p>Extra usage is <strong>${ex.enabled ? 'on' : 'off'}</strong>${ex.enabled ? html` for <strong>${ex.scope === 'all_members' ? 'all members' : 'selected members'}</strong>` : ''}.${onWithoutBalance(org) ? html` <strong>${noBalanceWords(org.balanceNanos - org.heldBalanceNanos)}</strong>: <a href="#buy">buy balance</a>.` : ''}</p>
${canEdit ? html`<form method="post" action="/usage/extra-usage">${hidden}
<fieldset><legend>Extra usage</legend>
<label><input type="radio" name="enabled" value="on"${ex.enabled ? html` checked` : ''}> On</label>
<label><input type="radio" name="enabled" value="off"${ex.enabled ? '' : html` checked`}> Off</label>
<label for="${fieldId('extra.scope')}">Scope</label>
<select id="${fieldId('extra.scope')}" name="scope"${errors.attrs('extra.scope')}><option value="all_members"${ex.scope === 'all_members' ? html` selected` : ''}>All members</option><option value="selected_members"${ex.scope === 'selected_members' ? html` selected` : ''}>Selected members</option></select>
<button type="submit">Save</button></fieldset>${errors.text('extra.enabled')}${errors.text('extra.scope')}</form>` : ''}
<p data-testid="continue-default">When a member's included usage runs out, by default they <strong>${org.continueOnExtraUsageDefault ? 'continue on extra usage' : 'stop at their seat\'s limit'}</strong>; each member may choose otherwise on their own page.</p>
${canEdit ? html`<form method="post" action="/usage/continue-default">${hidden}
<fieldset><legend>By default, when a member's included usage runs out</legend>
<label><input type="radio" name="enabled" value="on"${org.continueOnExtraUsageDefault ? html` checked` : ''}> Continue on extra usage</label>
<label><input type="radio" name="enabled" value="off"${org.continueOnExtraUsageDefault ? '' : html` checked`}> Stop at the seat's limit</label>
<button type="submit">Use as default</button></fieldset>${errors.text('continueDefault.enabled')}</form>` : ''}
</section>`;

  const capSection = html`<section class="card" aria-labelledby="h-cap"><h2 id="h-cap">Spending cap</h2>
<p>The organisation's extra usage each month stops at: <span class="big" data-testid="org-cap">${money(overview.orgCap.cap)}</span></p>
<p>MTD Spend: <strong data-testid="org-mtd">${spendCell(overview.orgCap.monthToDateExtra)}</strong> ${capBar(nanosOf(overview.orgCap.monthToDateExtra)!, nanosOf(overview.orgCap.cap), 'Spending cap')} <span class="muted">(included usage: ${money(overview.orgCap.monthToDateIncluded)}; resets ${whenText(overview.resetsAt, org.timezone)})</span></p>
${canEdit ? capPanel('orgCap', '/usage/org-cap', 'Organisation spending cap', html``, overview.orgCap.cap) : ''}
</section>`;

  // Each tier says its own window ("per 5 hours"): tiers may differ.
  const tierSection = org.plan === 'enterprise' ? html`<section class="card" aria-labelledby="h-tiers"><h2 id="h-tiers">Spending cap per seat tier</h2>
<table tabindex="0"><thead><tr><th scope="col">Seat</th><th scope="col" class="num">Included usage</th><th scope="col" class="num">Spending cap</th><th scope="col" class="num">MTD Spend</th>${canEdit ? html`<th scope="col">Change</th>` : ''}</tr></thead><tbody>
${overview.seatTiers.map((t) => html`<tr class="${capRowClass(nanosOf(t.monthToDateExtra)!, nanosOf(t.cap))}"><th scope="row">${tierName(t.tier)}</th><td class="num">${money(t.includedAllowance)}${t.windowMinutes === null ? "" : ` per ${durationWords(t.windowMinutes)}`}</td><td class="num"><span data-testid="tier-cap-${t.tier}">${money(t.cap)}</span><br>${capBar(nanosOf(t.monthToDateExtra)!, nanosOf(t.cap), `${tierName(t.tier)} seats' spending cap`)}</td><td class="num" data-testid="tier-mtd-${t.tier}">${spendCell(t.monthToDateExtra)}</td>
${canEdit ? html`<td>${capPanel(`tier-${t.tier}`, '/usage/tier-cap', `${tierName(t.tier)} seats' spending cap`, html`<input type="hidden" name="tier" value="${t.tier}">`, t.cap ?? null)}</td>` : ''}</tr>`)}
</tbody></table></section>` : '';

  const prepaid = overview.prepaid;
  const noBalance = onWithoutBalance(org);
  const balanceSection = prepaid
    ? teamBalanceSection({
      prepaid, warning: formatUsdOrNull(org.balanceWarningNanos), viewer: ctx.viewer.member, hidden, errors, typed, timezone: org.timezone, noBalance,
      // Straight into buying when extra usage was just turned on with nothing to spend.
      open: (key: string) => (key === 'buy' && q.saved === 'extra-usage-pay' ? html` open` : open(key)),
      history: await balanceHistory(deps.db, org.id),
      card: deps.purchases.paymentMethod ? await savedCard(deps, org) : undefined,
    })
    : '';

  const selected = ex.enabled && ex.scope === 'selected_members';
  const sortLink = (sort: MemberSort, label: string) => (q.sort === sort ? html`<strong>${label}</strong>` : html`<a href="${usagePath(q, { sort, page: 1 })}">${label}</a>`);
  const memberActions = (m: (typeof page.members)[number]) => {
    const key = `member-${m.id}`;
    const memberHidden = html`${hidden}<input type="hidden" name="member" value="${m.id}">`;
    return html`<details${open(key)}><summary aria-label="Actions for ${m.name}">…</summary><div class="panel">
<form method="post" action="/usage/member-cap" class="inline">${memberHidden}<input type="hidden" name="action" value="set">
<label for="${fieldId(`${key}.cap`)}">Edit limit (USD)</label><input id="${fieldId(`${key}.cap`)}" name="cap" inputmode="decimal" size="8" value="${typed(`${key}.cap`, m.cap)}"${errors.attrs(`${key}.cap`)}>
<button type="submit">Set cap</button></form>
<form method="post" action="/usage/member-cap" class="inline">${memberHidden}<input type="hidden" name="action" value="unlimited"><button type="submit" class="secondary">Set to unlimited</button></form>
${errors.text(`${key}.cap`)}
${selected ? html`<form method="post" action="/usage/member-extra-usage" class="inline">${memberHidden}<input type="hidden" name="enabled" value="${m.extraUsageEnabled ? 'off' : 'on'}"><button type="submit" class="secondary">Turn extra usage ${m.extraUsageEnabled ? 'off' : 'on'}</button></form>` : ''}
<form method="post" action="/usage/member-seat" class="inline">${memberHidden}<label for="${fieldId(`${key}.seatTier`)}">Seat</label>
<select id="${fieldId(`${key}.seatTier`)}" name="seatTier"${errors.attrs(`${key}.seatTier`)}><option value="standard"${m.seatTier === 'standard' ? html` selected` : ''}>${tierName('standard')}</option><option value="premium"${m.seatTier === 'premium' ? html` selected` : ''}>${tierName('premium')}</option></select>
<button type="submit" class="secondary">Change seat</button></form>${errors.text(`${key}.seatTier`)}
</div></details>`;
  };
  const filterAndSort = html`<form method="get" action="/usage" class="inline" role="search"><label for="member-filter">Filter by name</label><input id="member-filter" name="q" value="${q.q ?? ''}"><input type="hidden" name="sort" value="${q.sort}"><button type="submit" class="secondary">Filter</button></form>
<p class="muted">Sort: ${sortLink('spend_desc', 'highest spend')} · ${sortLink('spend_asc', 'lowest spend')} · ${sortLink('name', 'name')} — ${page.total} member${page.total === 1 ? '' : 's'}</p>`;
  const pager = html`<nav class="pager" aria-label="Pages of members">${page.page > 1 ? html`<a href="${usagePath(q, { page: page.page - 1 })}">Previous page</a>` : ''}<span>Page ${page.page} of ${page.pages}</span>${page.page < page.pages ? html`<a href="${usagePath(q, { page: page.page + 1 })}">Next page</a>` : ''}</nav>`;
  // Several members at once: the rows' checkboxes belong to this form (form="bulk-members"), so no script is needed.
  const chosen = new Set(state.chosen ?? []);
  const bulkOp = typed('bulk.op', selected ? 'extra-on' : 'cap');
  const bulkOps: [string, string][] = [...(selected ? [['extra-on', 'Turn extra usage on'], ['extra-off', 'Turn extra usage off']] as [string, string][] : []), ['cap', 'Set cap'], ['unlimited', 'Set to unlimited']];
  const bulkForm = html`<form method="post" action="/usage/members-bulk" id="bulk-members" class="bulk" data-testid="bulk">${hidden}
<label for="${fieldId('bulk.op')}">For the selected members</label>
<select id="${fieldId('bulk.op')}" name="op"${errors.attrs('bulk.op')}>${bulkOps.map(([value, label]) => html`<option value="${value}"${bulkOp === value ? html` selected` : ''}>${label}</option>`)}</select>
<label for="${fieldId('bulk.cap')}">Limit in USD (for Set cap)</label>
<input id="${fieldId('bulk.cap')}" name="cap" inputmode="decimal" size="8" value="${typed('bulk.cap', '')}"${errors.attrs('bulk.cap')}>
<button type="submit">Apply to selected</button></form>${errors.text('bulk.member')}${errors.text('bulk.op')}${errors.text('bulk.cap')}`;
  const membersSection = port.authority === 'claude'
    ? claudeMembersSection(page.members, limits, { canEdit, hidden, errors, open, typed, org: claude.anthropicOrganization?.name ?? 'Claude', filterAndSort, pager })
    : html`<section class="card" aria-labelledby="h-members"><h2 id="h-members">Individual seat limits</h2>
${filterAndSort}
<table tabindex="0" data-testid="members" id="${fieldId('bulk.member')}"><thead><tr>${canEdit ? html`<th scope="col"><span class="visually-hidden">Select</span></th>` : ''}<th scope="col">Member</th><th scope="col">Seat</th><th scope="col" class="num">Limit</th><th scope="col" class="num">MTD Spend</th><th scope="col">Extra usage</th><th scope="col">Status</th>${canEdit ? html`<th scope="col">Actions</th>` : ''}</tr></thead><tbody>
${page.members.map((m) => {
    const own = limits.get(m.id)?.[0];
    const cap = own ? formatUsdOrNull(own.limitNanos) : m.cap;
    const spent = own ? formatUsd(own.spentNanos) : m.monthToDateExtra;
    // The status says what stops them: off is off (whatever their limit), a reached limit pauses them until the month ends.
    const status = !m.extraUsageEnabled
      ? html`<span class="badge">Extra usage off</span>`
      : m.paused
        ? html`<span class="badge paused">Paused until ${formatDay(overview.resetsAt, org.timezone)}</span>`
        : noBalance
          ? html`<span class="badge paused">On — no balance</span>`
          : html`<span class="badge">Active</span>`;
    return html`<tr data-member="${m.externalId}" class="${m.extraUsageEnabled ? capRowClass(nanosOf(spent)!, nanosOf(cap)) : ''}">${canEdit ? html`<td><input type="checkbox" name="member" value="${m.id}" form="bulk-members" aria-label="Select ${m.name}"${chosen.has(m.id) ? html` checked` : ''}></td>` : ''}<th scope="row">${m.name} <span class="muted">(${roleName(m.role)})</span></th><td>${tierName(m.seatTier)}</td><td class="num"><span data-col="limit">${money(cap)}</span>${m.extraUsageEnabled ? html`<br>${capBar(nanosOf(spent)!, nanosOf(cap), `${m.name}'s limit`)}` : ''}</td><td class="num" data-col="mtd">${spendCell(spent)}</td><td>${m.extraUsageEnabled ? 'On' : 'Off'}</td><td data-col="status">${status}</td>${canEdit ? html`<td>${memberActions(m)}</td>` : ''}</tr>`;
  })}
</tbody></table>
${canEdit ? bulkForm : ''}
${pager}
</section>`;


  return layout({
    title: 'Usage',
    viewer: ctx.viewer,
    csrf: ctx.csrf,
    current: '/usage',
    body: html`<h1>Usage</h1><p class="muted">${org.name} · ${org.plan === 'enterprise' ? 'Enterprise' : 'Team'} plan · ${monthName(overview.period)} (${org.timezone})</p>
${saved}${errors.leftover()}${readOnly}${extraSection}${capSection}${tierSection}${balanceSection}${membersSection}`,
  });
}

const PERIOD_WORDS: Record<string, string> = { daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly' };
const SOURCE_WORD: Record<string, string> = { user: 'Their own limit', member: 'Their own limit', seat_tier: 'Seat tier', rbac_group: 'Group', organization: 'Organization' };

/**
 * "Individual seat limits" of an org connected to Claude: each member's effective limit
 * per period as Anthropic last reported it (through the limits port), where it comes
 * from and their spend this period, in cents. Owners give a member a limit of their own
 * (Edit limit / Set to unlimited: spendLimits.set on the user scope, audited); seat-tier,
 * group and organization limits are read-only: changed in claude.ai.
 */
function claudeMembersSection(
  members: { id: string; externalId: string; name: string; role: Member['role'] }[],
  limits: Map<string, LimitLine[]>,
  v: { canEdit: boolean; hidden: Html; errors: ErrorSlots; open: (key: string) => Html | ''; typed: (key: string, stored: string | null | undefined) => string; org: string; filterAndSort: Html; pager: Html },
): Html {
  const { errors } = v;
  const actions = (m: { id: string; name: string }, l: LimitLine) => {
    const key = `claude-${m.id}-${l.period}`;
    const extra = html`${v.hidden}<input type="hidden" name="member" value="${m.id}"><input type="hidden" name="period" value="${l.period}">`;
    return html`<details${v.open(key)}><summary>Edit limit<span class="visually-hidden"> (${m.name}, ${l.period})</span></summary><div class="panel">
<form method="post" action="/usage/claude-limit" class="inline">${extra}<input type="hidden" name="action" value="set">
<label for="${fieldId(`${key}.cap`)}">${m.name}'s own ${l.period} limit in USD</label>
<input id="${fieldId(`${key}.cap`)}" name="cap" inputmode="decimal" size="8" value="${v.typed(`${key}.cap`, l.limitNanos === null ? null : formatUsd(l.limitNanos))}"${errors.attrs(`${key}.cap`)}>
<button type="submit">Set cap</button></form>
<form method="post" action="/usage/claude-limit" class="inline">${extra}<input type="hidden" name="action" value="unlimited"><button type="submit" class="secondary">Set to unlimited</button></form>
${errors.text(`${key}.cap`)}</div></details>`;
  };
  const row = (m: (typeof members)[number], l: LimitLine | null, first: boolean, span: number) => {
    const who = first ? html`<th scope="row" rowspan="${span}">${m.name} <span class="muted">(${roleName(m.role)})</span></th>` : '';
    if (!l) return html`<tr data-member="${m.externalId}">${who}<td colspan="${v.canEdit ? 6 : 5}" class="muted">No limit reported by Claude yet</td></tr>`;
    const reached = l.limitNanos !== null && l.spentNanos >= l.limitNanos;
    return html`<tr data-member="${m.externalId}" data-claude-member="${m.externalId}" data-period="${l.period}">${who}<td>${PERIOD_WORDS[l.period] ?? l.period}</td><td class="num">${l.limitNanos === null ? 'No limit' : usdCents(l.limitNanos)}</td><td>${SOURCE_WORD[l.source] ?? l.source}${l.sourceRef ? html` <span class="muted">(${l.sourceRef})</span>` : ''}${l.editableHere ? '' : html` <span class="muted">· change this in claude.ai</span>`}</td><td class="num" title="${usdWithExact(l.spentNanos)}">${usdCents(l.spentNanos)}</td><td>${reached ? html`<span class="badge paused">Reached</span>` : html`<span class="badge">Below</span>`}</td>${v.canEdit ? html`<td>${actions(m, l)}</td>` : ''}</tr>`;
  };
  return html`<section class="card" aria-labelledby="h-members"><h2 id="h-members">Individual seat limits</h2>
<p class="muted">Limits in Claude, as ${v.org} reports them to us (refreshed every few minutes). Seat tier, group and organization limits are changed in claude.ai${v.canEdit ? '; you can give a member a limit of their own here' : ''}.</p>
${v.filterAndSort}
<table tabindex="0" data-testid="claude-limits"><thead><tr><th scope="col">Member</th><th scope="col">Period</th><th scope="col" class="num">Limit</th><th scope="col">From</th><th scope="col" class="num">Spent this period</th><th scope="col">Status</th>${v.canEdit ? html`<th scope="col">Change</th>` : ''}</tr></thead><tbody>
${members.map((m) => {
    const lines = limits.get(m.id) ?? [];
    return lines.length === 0 ? row(m, null, true, 1) : lines.map((l, i) => row(m, l, i === 0, lines.length));
  })}
</tbody></table>
${v.pager}
</section>`;
}

/** The saved card from Stripe; null when none is saved; a sentence when Stripe did not answer. */
async function savedCard(deps: ConsoleDeps, org: Parameters<NonNullable<ConsoleDeps['purchases']['paymentMethod']>>[0]): Promise<SavedCard | null | string> {
  try {
    return await deps.purchases.paymentMethod!(org);
  } catch {
    return 'Stripe did not answer just now, so the saved card cannot be shown; reload the page to try again.';
  }
}

const BRANDS: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover', diners: 'Diners Club', jcb: 'JCB', unionpay: 'UnionPay' };
const KIND_WORDS: Record<BalanceHistoryRow['kind'], string> = { purchase: 'Purchase', reload: 'Auto-reload', adjustment: 'Adjustment' };

/**
 * Team plan: the prepaid balance, "Buy" (owners), auto-reload (the primary owner: it
 * charges the payment method unattended), the low-balance warning (owners), the saved
 * card (Stripe) and the recent purchases and reloads.
 */
function teamBalanceSection(v: {
  prepaid: { balance: string; autoReload: { enabled: boolean; threshold: string | null; amount: string | null; monthlyMax: string | null } };
  warning: string | null;
  viewer: Member;
  hidden: Html;
  errors: ErrorSlots;
  open: (key: string) => Html | string;
  typed: (key: string, stored: string | null | undefined) => string;
  timezone: string;
  noBalance: boolean;
  history: BalanceHistoryRow[];
  /** undefined: payments without Stripe (no card to show). */
  card: SavedCard | null | string | undefined;
}): Html {
  const { prepaid, errors, hidden } = v;
  const ar = prepaid.autoReload;
  const owner = isOwner(v.viewer);
  const primary = v.viewer.role === 'primary_owner';
  const field = (key: string, name: string, label: string, value: string | null | number, hint = '') => html`<div class="field"><label for="${fieldId(`${key}.${name}`)}">${label}</label>
<input id="${fieldId(`${key}.${name}`)}" name="${name}" inputmode="decimal" size="10" value="${v.typed(`${key}.${name}`, value === null ? null : String(value))}"${errors.attrs(`${key}.${name}`)}>${hint ? html` <span class="muted">${hint}</span>` : ''}${errors.text(`${key}.${name}`)}</div>`;
  const dollars = (usd: string | null) => (usd === null ? 'none' : usdCents(usd));

  const buy = owner ? html`<details id="buy"${v.open('buy')}><summary>Buy</summary><div class="panel">
<form method="post" action="/usage/buy">${hidden}<input type="hidden" name="idempotencyKey" value="${randomUUID()}">
${field('buy', 'amount', 'Amount in USD', null, 'such as 50, 12.50 or $1,500.00')}
<button type="submit">Buy</button>${errors.text('buy.idempotencyKey')}</form></div></details>` : '';

  const reloadText = ar.enabled
    ? html`<strong>on</strong>: reload when balance reaches <strong>${dollars(ar.threshold)}</strong> with <strong>${dollars(ar.amount)}</strong>${ar.monthlyMax ? html`, at most <strong>${usdCents(ar.monthlyMax)}</strong> of reloads a month` : html`, no monthly limit`}`
    : html`<strong>off</strong>`;
  const reloadOn = (v.typed('autoReload.enabled', ar.enabled ? 'on' : 'off')) === 'on';
  const reloadForm = primary ? html`<details${v.open('autoReload')}><summary>Change auto-reload</summary><div class="panel">
<form method="post" action="/usage/auto-reload">${hidden}
<fieldset><legend>Auto-reload</legend>
<label><input type="radio" name="enabled" value="on"${reloadOn ? html` checked` : ''}> On</label>
<label><input type="radio" name="enabled" value="off"${reloadOn ? '' : html` checked`}> Off</label>${errors.text('autoReload.enabled')}
${field('autoReload', 'threshold', 'Reload when balance reaches (USD)', ar.threshold)}
${field('autoReload', 'amount', 'with (USD)', ar.amount)}
${field('autoReload', 'monthlyMax', 'Reload at most this much a month (USD)', ar.monthlyMax, 'blank: no limit')}
<button type="submit">Save auto-reload</button></fieldset></form></div></details>`
    : owner ? html`<p class="muted">Only the primary owner changes auto-reload: it charges the payment method unattended.</p>` : '';

  // The warning is sent only while auto-reload is off (with it on, reloads top the balance up).
  const warningText = v.warning === null ? html`no warning`
    : ar.enabled ? html`<strong>${usdCents(v.warning)}</strong>, not sent while auto-reload is on (reloads top the balance up instead); owners are told below it once auto-reload is off`
    : html`owners are told when the balance falls below <strong>${usdCents(v.warning)}</strong>`;
  const warningForm = owner ? html`<details${v.open('warning')}><summary>Change the warning</summary><div class="panel">
<form method="post" action="/usage/balance-warning">${hidden}
${field('warning', 'level', 'Warn owners below (USD)', v.warning, 'blank: no warning')}
<button type="submit">Save warning</button></form></div></details>` : '';

  const card = v.card === undefined ? ''
    : typeof v.card === 'string' ? html`<p>Payment method: <span class="muted" data-testid="payment-method">${v.card}</span></p>`
    : v.card === null ? html`<p>Payment method: <span data-testid="payment-method">none saved yet: the card used for the first purchase through Stripe Checkout is kept for auto-reload</span>.</p>`
    : html`<p>Payment method: <strong data-testid="payment-method">${BRANDS[v.card.brand] ?? v.card.brand} ending in ${v.card.last4}</strong>${v.card.expMonth && v.card.expYear ? html` <span class="muted">(expires ${String(v.card.expMonth).padStart(2, '0')}/${v.card.expYear})</span>` : ''}. <span class="muted">To use another card, buy once with it: the card paid with last is the one auto-reload charges.</span></p>`;

  const stripeUsed = v.card !== undefined || v.history.some((r) => r.stripe !== null);
  const history = v.history.length === 0 ? html`<p class="muted" data-testid="balance-history">No purchases or reloads yet.</p>`
    : html`<div class="table-box"><table data-testid="balance-history" tabindex="0"><caption class="visually-hidden">Recent purchases and reloads, newest first</caption><thead><tr><th scope="col">When (${v.timezone})</th><th scope="col">What</th><th scope="col">Who</th><th scope="col" class="num">Amount</th><th scope="col">${stripeUsed ? 'Stripe' : 'Status'}</th></tr></thead><tbody>
${v.history.map((r) => html`<tr><td>${formatDayTime(r.at, v.timezone) ?? ''}</td><td>${KIND_WORDS[r.kind]}</td><td>${r.who}</td><td class="num">${r.amountNanos === null ? '—' : usdCents(r.amountNanos)}</td><td>${r.stripe ?? (r.credited ? 'Credited' : 'Not credited')}</td></tr>`)}
</tbody></table></div>`;

  const noBalance = v.noBalance ? html`<p class="alert" data-testid="no-balance"><strong>${noBalanceWords(prepaid.balance)}.</strong> ${owner ? 'Buy balance to let members use extra usage.' : 'An owner can add funds.'}</p>` : '';

  return html`<section class="card" aria-labelledby="h-balance"><h2 id="h-balance">Team balance</h2>
${noBalance}<p>Prepaid balance: <span class="big" data-testid="balance">${money(prepaid.balance)}</span></p>
${buy}
${card}
<p>Auto-reload: <span data-testid="auto-reload">${reloadText}</span>.</p>
${reloadForm}
<p>Low-balance warning: <span data-testid="balance-warning">${warningText}</span>.</p>
${warningForm}
<h3>Recent purchases and reloads</h3>
${history}
</section>`;
}

/** "Alice, Bob and Carol" (the first ten, then how many more). */
function listOfNames(names: string[]): string {
  const shown = names.slice(0, 10);
  const more = names.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  return shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** The text fields a failed form sent, keyed as its error slots are (`<form key>.<field>`). */
const typedValues = (key: string, body: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length <= 200 && e[0] !== '_csrf').map(([n, v]) => [`${key}.${n}`, v]));

/** A ledger refusal as a sentence beside its field ("the monthly…" → "The monthly…."). */
const sentence = (message: string) => `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`;

/** A typed amount ("1,500", "$1,500.00", "1500"); blank is "none" when `blank` says what that means. */
const typedUsd = (opts: { positive?: boolean; blank?: string } = {}) => z.string().trim().max(40).optional().transform((v, ctx) => {
  if (!v) {
    if (opts.blank !== undefined) return null;
    ctx.addIssue({ code: 'custom', message: 'Enter an amount in dollars, such as 50 or 12.50.' });
    return z.NEVER;
  }
  const read = readAmount(v, { positive: opts.positive });
  if (!read.ok) {
    ctx.addIssue({ code: 'custom', message: opts.blank ? `${read.message} Or leave it blank for ${opts.blank}.` : read.message });
    return z.NEVER;
  }
  return read.nanos;
});

export function usagePage(app: FastifyInstance, deps: ConsoleDeps) {
  const csrf = { preHandler: app.csrfProtection };

  app.get('/usage', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    // A member's own page is where a member belongs.
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    return sendPage(reply, await renderUsage(deps, ctx, listQuery.parse(request.query ?? {})));
  });

  /** Forms whose changes are confirmed first, by their address: how to read them and what to say. */
  const confirmers = new Map<string, { schema: z.ZodType<unknown>; confirmOf: (ctx: PageContext, v: unknown) => Promise<Confirmation | null> }>();

  /**
   * One settings form: parse, check the role in the ledger, change, come back. With
   * `confirmOf`, a change it describes (hard to undo) is first confirmed on /usage/confirm.
   * `saved`: the notice shown after it, or a function of what the change returned (a path
   * suffix such as "#buy" may follow).
   */
  const form = <T>(url: string, schema: z.ZodType<T>, key: (v: Record<string, unknown>) => string, field: string, change: (ctx: PageContext, v: T) => Promise<unknown>, saved: string | ((result: unknown) => [string, string]), confirmOf?: (ctx: PageContext, v: T) => Promise<Confirmation | null>) => {
    if (confirmOf) confirmers.set(url, { schema, confirmOf: confirmOf as (ctx: PageContext, v: unknown) => Promise<Confirmation | null> });
    app.post(url, csrf, async (request, reply) => {
      const ctx = await signedIn(deps, request, reply);
      if (!ctx) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const back = backOf({ back: typeof body.back === 'string' ? body.back : undefined });
      const q = listQuery.parse(Object.fromEntries(new URL(back, 'http://x').searchParams));
      // The key names which form failed, from what the page sent (a member id, a tier).
      const guessKey = () => {
        try {
          return key(body);
        } catch {
          return 'form';
        }
      };
      const k = guessKey();
      let confirmAt: string | null = null;
      let result: unknown;
      return runForm(reply, ctx, {
        field: `${k}.${field}`,
        back: () => {
          if (confirmAt) return confirmAt;
          const [notice, suffix] = typeof saved === 'string' ? [saved, ''] : saved(result);
          return `${withSaved(back, notice)}${suffix}`;
        },
        page: back,
        action: async () => {
          const v = parseForm(schema, body, `${k}.`);
          // Only an owner is asked (anyone else is refused by the change itself).
          if (confirmOf && body.confirm !== 'yes' && isOwner(ctx.viewer.member) && (await confirmOf(ctx, v))) {
            confirmAt = confirmAddress('/usage/confirm', url, postedFields(body));
            return;
          }
          result = await change(ctx, v);
        },
        rerender: (errors) => renderUsage(deps, ctx, q, { errors, open: new Set([k]), values: typedValues(k, body), chosen: k !== 'bulk' ? [] : postedFields(body).filter(([n]) => n === 'member').map(([, v]) => v) }),
      });
    });
  };

  // The confirmation of a change to Usage: built from its address, so reloading it is safe.
  app.get('/usage/confirm', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    const query = { ...((request.query ?? {}) as Record<string, unknown>) };
    const to = typeof query.to === 'string' ? query.to : '';
    delete query.to;
    const back = backOf({ back: typeof query.back === 'string' ? query.back : undefined });
    const entry = confirmers.get(to);
    if (!entry) return reply.redirect(back, 303);
    const m = ctx.viewer.member;
    if (!isOwner(m)) return refusalPage(reply, ctx, 403, `${m.name} is ${roleName(m.role).toLowerCase()}: only owners change extra usage, caps and seats`);
    const parsed = entry.schema.safeParse(query);
    const c = parsed.success ? await entry.confirmOf(ctx, parsed.data) : null;
    // Nothing (any more) to confirm: back to the page, nothing changed.
    if (!c) return reply.redirect(back, 303);
    return sendPage(reply, confirmationPage(ctx, c, { to, fields: postedFields(query), cancel: back, current: '/usage' }));
  });

  /** Active members counted for what a change takes from them. */
  const activeMembers = (orgId: string, extra: { extraUsageEnabled?: boolean } = {}) => deps.db.member.count({ where: { orgId, removedAt: null, ...extra } });
  const members = (n: number) => `${n} member${n === 1 ? '' : 's'}`;
  const memberOf = async (ctx: PageContext, ref: string) => {
    const found = await findMember(deps.db, ctx.viewer.org.id, ref);
    return found && !found.removedAt ? found : null;
  };

  form('/usage/extra-usage', z.object({ enabled: z.enum(['on', 'off'], { error: 'choose On or Off' }), scope: z.enum(['all_members', 'selected_members'], { error: 'choose all members or selected members' }), back: z.string().optional() }),
    () => 'extra', 'enabled',
    (ctx, v) => setExtraUsage(deps.db, ctx.viewer.org, ctx.viewer.member, { enabled: v.enabled === 'on', scope: v.scope }),
    // Team: on with nothing to spend leads straight into buying balance.
    (after) => (onWithoutBalance(after as Organization) ? ['extra-usage-pay', '#buy'] : ['extra-usage', '']),
    async (ctx, v) => {
      const org = await loadOrg(deps.db, ctx.viewer.org.id);
      if (!org.extraUsageEnabled) return null; // nobody has extra usage to lose
      const having = org.extraUsageScope === 'all_members' ? await activeMembers(org.id) : await activeMembers(org.id, { extraUsageEnabled: true });
      if (v.enabled === 'off') {
        return { title: 'Turn extra usage off?', button: 'Turn extra usage off', effect: html`<p><strong>${members(having)} lose extra usage.</strong> Extra usage turns off for the whole organisation: everyone stops at their seat's included usage and waits for it to reset. Caps are kept, so turning it on again restores them.</p>` };
      }
      if (v.scope === 'selected_members' && org.extraUsageScope === 'all_members') {
        const losing = await activeMembers(org.id, { extraUsageEnabled: false });
        if (losing === 0) return null;
        return { title: 'Switch extra usage to selected members?', button: 'Switch to selected members', effect: html`<p><strong>${members(losing)} lose extra usage.</strong> With "Selected members", only members whose extra usage is turned on keep it (${members(having - losing)} now); the others stop at their seat's included usage. You can turn it on for them in Individual seat limits, one by one or several at once.</p>` };
      }
      return null;
    });

  form('/usage/continue-default', z.object({ enabled: z.enum(['on', 'off'], { error: 'choose continue or stop' }), back: z.string().optional() }),
    () => 'continueDefault', 'enabled',
    (ctx, v) => setContinueDefault(deps.db, ctx.viewer.org, ctx.viewer.member, v.enabled === 'on', 'console'), 'continue-default');

  form('/usage/org-cap', capFields.superRefine(capRule), () => 'orgCap', 'cap',
    (ctx, v) => setOrgCap(deps.db, ctx.viewer.org, ctx.viewer.member, capOf(v)), 'org-cap',
    async (ctx, v) => {
      const org = await loadOrg(deps.db, ctx.viewer.org.id);
      if (v.action !== 'unlimited' || org.orgMonthlyCapNanos === null) return null;
      return { title: 'Set the organisation\'s spending cap to unlimited?', button: 'Set to unlimited', effect: html`<p><strong>The organisation's monthly cap of ${usdCents(org.orgMonthlyCapNanos)} is removed.</strong> Extra usage is no longer stopped at an organisation-wide amount and is billed as it is used. Seat-tier and member limits still apply.</p>` };
    });

  form('/usage/tier-cap', capFields.extend({ tier: z.enum(['standard', 'premium'], { error: 'choose a seat tier' }) }).superRefine(capRule), (v) => `tier-${z.enum(['standard', 'premium']).parse(v.tier)}`, 'cap',
    (ctx, v) => setTierCap(deps.db, ctx.viewer.org, ctx.viewer.member, v.tier, capOf(v)), 'tier-cap',
    async (ctx, v) => {
      const org = await loadOrg(deps.db, ctx.viewer.org.id);
      const cap = v.tier === 'premium' ? org.premiumTierCapNanos : org.standardTierCapNanos;
      if (v.action !== 'unlimited' || cap === null) return null;
      const seats = tierName(v.tier);
      return { title: `Set the spending cap of ${seats} seats to unlimited?`, button: 'Set to unlimited', effect: html`<p><strong>The spending cap of ${usdCents(cap)} for ${seats} seats is removed.</strong> Their extra usage together is no longer stopped at that amount. Member limits and the organisation's cap still apply.</p>` };
    });

  const memberField = { member: text(200) };
  const memberKey = (v: Record<string, unknown>) => `member-${text(200).parse(v.member)}`;
  form('/usage/member-cap', capFields.extend(memberField).superRefine(capRule), memberKey, 'cap',
    (ctx, v) => setMemberCap(deps.db, ctx.viewer.org, ctx.viewer.member, v.member, capOf(v)), 'member-cap',
    async (ctx, v) => {
      const m = v.action === 'unlimited' ? await memberOf(ctx, v.member) : null;
      if (!m || m.extraUsageCapNanos === null) return null;
      return { title: `Set ${m.name}'s limit to unlimited?`, button: 'Set to unlimited', effect: html`<p><strong>${m.name}'s monthly limit of ${usdCents(m.extraUsageCapNanos)} is removed.</strong> Their extra usage is then stopped only by the seat-tier and organisation caps.</p>` };
    });

  // A connected org: a member's own limit at Anthropic (beta spendLimits.set on the user scope).
  form('/usage/claude-limit', capFields.extend({ ...memberField, period: z.enum(['daily', 'weekly', 'monthly'], { error: 'choose a period' }) }).superRefine(capRule),
    (v) => `claude-${text(200).parse(v.member)}-${z.enum(['daily', 'weekly', 'monthly']).parse(v.period)}`, 'cap',
    async (ctx, v) => {
      if (!deps.anthropic) throw new FormError({ [`claude-${v.member}-${v.period}.cap`]: 'SECRETS_KEY is not set on this service, so nothing can be changed at Anthropic. Nothing was changed.' }, 503);
      try {
        return await setMemberLimit(deps.db, deps.anthropic, ctx.viewer.org.id, ctx.viewer.member, v.member, { amountNanos: capOf(v), period: v.period, via: 'console', at: deps.now() });
      } catch (err) {
        if (err instanceof AnthropicUnavailable) throw new FormError({ [`claude-${v.member}-${v.period}.cap`]: `${err.message}. Nothing was changed; try again.` }, 503);
        throw err;
      }
    }, 'claude-limit',
    async (ctx, v) => {
      const m = v.action === 'unlimited' ? await memberOf(ctx, v.member) : null;
      if (!m) return null;
      return { title: `Set ${m.name}'s ${v.period} limit in Claude to unlimited?`, button: 'Set to unlimited', effect: html`<p><strong>${m.name} gets no ${v.period} limit in Claude.</strong> Their own "no limit" takes the place of any seat-tier, group or organization limit for that period (docs/claude.md), so nothing stops their spend in Claude for it until you set a limit again.</p>` };
    });

  form('/usage/member-extra-usage', z.object({ ...memberField, enabled: z.enum(['on', 'off'], { error: 'choose on or off' }), back: z.string().optional() }), memberKey, 'enabled',
    (ctx, v) => setMemberExtraUsage(deps.db, ctx.viewer.org, ctx.viewer.member, v.member, v.enabled === 'on'), 'member-extra-usage',
    async (ctx, v) => {
      const m = v.enabled === 'off' ? await memberOf(ctx, v.member) : null;
      if (!m || !m.extraUsageEnabled) return null;
      return { title: `Turn extra usage off for ${m.name}?`, button: 'Turn extra usage off', effect: html`<p><strong>${m.name} loses extra usage.</strong> They stop at their seat's included usage and wait for it to reset. Their limit is kept for when it is turned on again.</p>` };
    });

  form('/usage/member-seat', z.object({ ...memberField, seatTier: z.enum(['standard', 'premium'], { error: 'choose Standard or Premium' }), back: z.string().optional() }), memberKey, 'seatTier',
    (ctx, v) => setMemberSeatTier(deps.db, ctx.viewer.org, ctx.viewer.member, v.member, v.seatTier), 'member-seat',
    async (ctx, v) => {
      const m = await memberOf(ctx, v.member);
      if (!m || m.seatTier === v.seatTier) return null;
      return seatConfirmation(await loadOrg(deps.db, ctx.viewer.org.id), m.name, v.seatTier);
    });

  // Several members at once (the checkboxes of Individual seat limits): always confirmed,
  // then each member changed by the same ledger function as one at a time (each
  // authorised and audited on its own).
  const bulkForm = z.object({
    member: z.union([z.string(), z.array(z.string())], { error: 'select at least one member' }).transform((v) => [...new Set(Array.isArray(v) ? v : [v])])
      .pipe(z.array(text(200)).min(1, 'select at least one member').max(500, 'select at most 500 members at once')),
    op: z.enum(['extra-on', 'extra-off', 'cap', 'unlimited'], { error: 'choose what to change' }),
    cap: z.string().trim().max(20).optional(),
    back: z.string().optional(),
  }).superRefine((v, ctx) => {
    if (v.op === 'cap' && !usdAmount.safeParse(v.cap ?? '').success) ctx.addIssue({ code: 'custom', path: ['cap'], message: 'Enter the limit in US dollars, such as 250 or 12.50 (at most 2 decimals, no $ sign).' });
  });
  const selectedMembers = async (ctx: PageContext, refs: string[]) => {
    const found = await Promise.all(refs.map((ref) => memberOf(ctx, ref)));
    if (found.some((m) => !m)) throw new FormError({ 'bulk.member': 'One of the selected members is no longer in the organisation. Nothing was changed; select them again.' }, 404);
    return found as Member[];
  };
  form('/usage/members-bulk', bulkForm, () => 'bulk', 'member',
    async (ctx, v) => {
      const chosen = await selectedMembers(ctx, v.member);
      for (const m of chosen) {
        if (v.op === 'extra-on' || v.op === 'extra-off') await setMemberExtraUsage(deps.db, ctx.viewer.org, ctx.viewer.member, m.id, v.op === 'extra-on');
        else await setMemberCap(deps.db, ctx.viewer.org, ctx.viewer.member, m.id, v.op === 'unlimited' ? null : parseUsd(v.cap!)!);
      }
    }, 'members-bulk',
    async (ctx, v) => {
      const chosen = await selectedMembers(ctx, v.member);
      const names = listOfNames(chosen.map((m) => m.name));
      const what = v.op === 'extra-on' ? 'get extra usage' : v.op === 'extra-off' ? 'lose extra usage' : v.op === 'unlimited' ? 'get an unlimited monthly limit (seat-tier and organisation caps still apply)' : `get a monthly limit of ${usdCents(parseUsd(v.cap!)!)}`;
      const title = v.op === 'extra-on' ? 'Turn extra usage on' : v.op === 'extra-off' ? 'Turn extra usage off' : v.op === 'unlimited' ? 'Set to unlimited' : 'Set cap';
      return { title: `${title} for ${members(chosen.length)}?`, button: `${title} for ${members(chosen.length)}`, gives: v.op === 'extra-on', effect: html`<p><strong>${members(chosen.length)} change:</strong> ${names} ${chosen.length === 1 ? 'will' : 'will each'} ${what}.</p>` };
    });

  form('/usage/auto-reload', z.object({
    enabled: z.enum(['on', 'off'], { error: 'choose On or Off' }),
    threshold: typedUsd({ blank: 'none' }),
    amount: typedUsd({ blank: 'none' }),
    monthlyMax: typedUsd({ positive: true, blank: 'no limit' }),
    back: z.string().optional(),
  }), () => 'autoReload', 'enabled',
  async (ctx, v) => {
    try {
      return await setAutoReload(deps.db, ctx.viewer.org, ctx.viewer.member, { enabled: v.enabled === 'on', thresholdNanos: v.threshold, amountNanos: v.amount, monthlyMaxNanos: v.monthlyMax });
    } catch (err) {
      // "On" without a threshold or an amount, a monthly limit below one reload: said next to that field.
      if (err instanceof LedgerError && err.status === 422 && (err.field === 'threshold' || err.field === 'amount' || err.field === 'monthlyMax')) throw new FormError({ [`autoReload.${err.field}`]: sentence(err.message) });
      throw err;
    }
  }, 'auto-reload');

  form('/usage/balance-warning', z.object({ level: typedUsd({ blank: 'no warning' }), back: z.string().optional() }), () => 'warning', 'level',
    (ctx, v) => setBalanceWarning(deps.db, ctx.viewer.org, ctx.viewer.member, v.level), 'balance-warning');

  // Buying: the ledger provider credits at once; Stripe answers with its Checkout page, where the owner is sent.
  app.post('/usage/buy', csrf, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const back = backOf({ back: typeof body.back === 'string' ? body.back : undefined });
    const q = listQuery.parse(Object.fromEntries(new URL(back, 'http://x').searchParams));
    let checkout: { url: string; amountNanos: bigint } | null = null;
    return runForm(reply, ctx, {
      field: 'buy.amount',
      back: withSaved(back, 'purchase'),
      action: async () => {
        const v = parseForm(z.object({ amount: typedUsd({ positive: true }), idempotencyKey: text(200, { min: 1 }), back: z.string().optional() }), body, 'buy.');
        let outcome;
        try {
          outcome = await deps.purchases.buy(ctx.viewer.org, ctx.viewer.member, { amountNanos: v.amount!, idempotencyKey: v.idempotencyKey });
        } catch (err) {
          if (err instanceof LedgerError && err.status === 422) throw new FormError({ 'buy.amount': sentence(err.message) });
          throw err;
        }
        if (outcome.kind === 'checkout') checkout = { url: outcome.checkoutUrl, amountNanos: outcome.amountNanos };
      },
      // Stripe: a page with the way to pay. A link, not a redirect: the console's pages
      // send forms only to this site (CSP form-action), and sending it again (a reload)
      // answers the same Checkout link (the purchase's idempotency key).
      answer: () => (checkout ? messagePage('Pay at Stripe', html`<p>Your purchase of <strong>${usdCents(checkout.amountNanos)}</strong> is ready to pay at Stripe.</p>
<p><a class="button" href="${checkout.url}" data-testid="checkout">Continue to Stripe Checkout</a></p>
<p class="muted">The balance is credited when Stripe confirms the payment. <a href="${back}">Back to Usage</a></p>`, ctx) : null),
      rerender: (errors) => renderUsage(deps, ctx, q, { errors, open: new Set(['buy']), values: typedValues('buy', body) }),
    });
  });

}
