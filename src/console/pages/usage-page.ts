// Usage (Admin settings > Usage): owners change the switch and every cap; admins see
// the same page read-only. Numbers come from the same reports as GET /v1/settings/usage
// and GET /v1/reports/seat-limits, and changes go through the same ledger functions
// as the settings API, so a refusal here is the API's refusal.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { positiveUsdAmount, text, usdAmount } from '../../domain/fields.js';
import { formatUsd, formatUsdOrNull, parseUsd } from '../../domain/money.js';
import type { Member } from '../../generated/prisma/client.js';
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
import { messagePage, runForm, signedIn, withSaved, type PageContext } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, roleName, sendPage } from '../layout.js';
import { safeNext } from '../session.js';
import { connectionView } from '../../anthropic/connection.js';
import { limitsPortFor } from '../../anthropic/limits-port.js';
import type { LimitLine } from '../../domain/member-limits.js';
import { durationWords, formatDay, monthName, tierName, usdCents, usdExact, usdWithExact } from '../../domain/display.js';
import { moneyInput, normalisedMoney } from '../../domain/money-input.js';
import { capBar, capRowClass } from '../cap-bar.js';
import { AnthropicUnavailable } from '../../anthropic/errors.js';
import { setMemberLimit } from '../../anthropic/member-limits.js';

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
  'org-cap': 'Spending cap saved.',
  'tier-cap': 'Seat tier spending cap saved.',
  'member-cap': 'Member limit saved.',
  'member-extra-usage': 'Member extra usage saved.',
  'member-seat': 'Seat changed.',
  'auto-reload': 'Auto-reload saved.',
  'balance-warning': 'Low-balance warning saved.',
  'claude-limit': 'Saved: the member\'s limit is set in Claude.',
  purchase: 'Balance bought: it is added below.',
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
<p>Extra usage is <strong>${ex.enabled ? 'on' : 'off'}</strong>${ex.enabled ? html` for <strong>${ex.scope === 'all_members' ? 'all members' : 'selected members'}</strong>` : ''}.</p>
${canEdit ? html`<form method="post" action="/usage/extra-usage">${hidden}
<fieldset><legend>Extra usage</legend>
<label><input type="radio" name="enabled" value="on"${ex.enabled ? html` checked` : ''}> On</label>
<label><input type="radio" name="enabled" value="off"${ex.enabled ? '' : html` checked`}> Off</label>
<label for="${fieldId('extra.scope')}">Scope</label>
<select id="${fieldId('extra.scope')}" name="scope"${errors.attrs('extra.scope')}><option value="all_members"${ex.scope === 'all_members' ? html` selected` : ''}>All members</option><option value="selected_members"${ex.scope === 'selected_members' ? html` selected` : ''}>Selected members</option></select>
<button type="submit">Save</button></fieldset>${errors.text('extra.enabled')}${errors.text('extra.scope')}</form>` : ''}
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
  const balanceSection = prepaid ? teamBalanceSection({ prepaid, warning: formatUsdOrNull(org.balanceWarningNanos), viewer: ctx.viewer.member, hidden, errors, open, typed }) : '';

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
  const membersSection = port.authority === 'claude'
    ? claudeMembersSection(page.members, limits, { canEdit, hidden, errors, open, typed, org: claude.anthropicOrganization?.name ?? 'Claude', filterAndSort, pager })
    : html`<section class="card" aria-labelledby="h-members"><h2 id="h-members">Individual seat limits</h2>
${filterAndSort}
<table tabindex="0" data-testid="members"><thead><tr><th scope="col">Member</th><th scope="col">Seat</th><th scope="col" class="num">Limit</th><th scope="col" class="num">MTD Spend</th><th scope="col">Extra usage</th><th scope="col">Status</th>${canEdit ? html`<th scope="col">Actions</th>` : ''}</tr></thead><tbody>
${page.members.map((m) => {
    const own = limits.get(m.id)?.[0];
    const cap = own ? formatUsdOrNull(own.limitNanos) : m.cap;
    const spent = own ? formatUsd(own.spentNanos) : m.monthToDateExtra;
    // The status says what stops them: off is off (whatever their limit), a reached limit pauses them until the month ends.
    const status = !m.extraUsageEnabled
      ? html`<span class="badge">Extra usage off</span>`
      : m.paused
        ? html`<span class="badge paused">Paused until ${formatDay(overview.resetsAt, org.timezone)}</span>`
        : html`<span class="badge">Active</span>`;
    return html`<tr data-member="${m.externalId}" class="${m.extraUsageEnabled ? capRowClass(nanosOf(spent)!, nanosOf(cap)) : ''}"><th scope="row">${m.name} <span class="muted">(${roleName(m.role)})</span></th><td>${tierName(m.seatTier)}</td><td class="num"><span data-col="limit">${money(cap)}</span>${m.extraUsageEnabled ? html`<br>${capBar(nanosOf(spent)!, nanosOf(cap), `${m.name}'s limit`)}` : ''}</td><td class="num" data-col="mtd">${spendCell(spent)}</td><td>${m.extraUsageEnabled ? 'On' : 'Off'}</td><td data-col="status">${status}</td>${canEdit ? html`<td>${memberActions(m)}</td>` : ''}</tr>`;
  })}
</tbody></table>
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

/**
 * Team plan: the prepaid balance, "Buy" (owners), auto-reload (the primary owner: it
 * charges the payment method unattended) and the low-balance warning (owners).
 */
function teamBalanceSection(v: {
  prepaid: { balance: string; autoReload: { enabled: boolean; threshold: string | null; amount: string | null; monthlyLimit: number | null } };
  warning: string | null;
  viewer: Member;
  hidden: Html;
  errors: ErrorSlots;
  open: (key: string) => Html | string;
  typed: (key: string, stored: string | null | undefined) => string;
}): Html {
  const { prepaid, errors, hidden } = v;
  const ar = prepaid.autoReload;
  const owner = isOwner(v.viewer);
  const primary = v.viewer.role === 'primary_owner';
  const field = (key: string, name: string, label: string, value: string | null | number, hint = '') => html`<div class="field"><label for="${fieldId(`${key}.${name}`)}">${label}</label>
<input id="${fieldId(`${key}.${name}`)}" name="${name}" inputmode="decimal" size="10" value="${v.typed(`${key}.${name}`, value === null ? null : String(value))}"${errors.attrs(`${key}.${name}`)}>${hint ? html` <span class="muted">${hint}</span>` : ''}${errors.text(`${key}.${name}`)}</div>`;

  const buy = owner ? html`<details${v.open('buy')}><summary>Buy</summary><div class="panel">
<form method="post" action="/usage/buy">${hidden}<input type="hidden" name="idempotencyKey" value="${randomUUID()}">
${field('buy', 'amount', 'Amount in USD', null, 'such as 1,500 or 12.50')}
<button type="submit">Buy</button>${errors.text('buy.idempotencyKey')}</form></div></details>` : '';

  const reloadText = ar.enabled
    ? html`<strong>on</strong>: reload when balance reaches <strong>${money(ar.threshold)}</strong> with <strong>${money(ar.amount)}</strong>${ar.monthlyLimit ? html`, at most ${ar.monthlyLimit} times a month` : ''}`
    : html`<strong>off</strong>`;
  const reloadOn = (v.typed('autoReload.enabled', ar.enabled ? 'on' : 'off')) === 'on';
  const reloadForm = primary ? html`<details${v.open('autoReload')}><summary>Change auto-reload</summary><div class="panel">
<form method="post" action="/usage/auto-reload">${hidden}
<fieldset><legend>Auto-reload</legend>
<label><input type="radio" name="enabled" value="on"${reloadOn ? html` checked` : ''}> On</label>
<label><input type="radio" name="enabled" value="off"${reloadOn ? '' : html` checked`}> Off</label>${errors.text('autoReload.enabled')}
${field('autoReload', 'threshold', 'Reload when balance reaches (USD)', ar.threshold)}
${field('autoReload', 'amount', 'with (USD)', ar.amount)}
${field('autoReload', 'monthlyLimit', 'At most this many reloads a month', ar.monthlyLimit, 'blank: no limit')}
<button type="submit">Save auto-reload</button></fieldset></form></div></details>`
    : owner ? html`<p class="muted">Only the primary owner changes auto-reload: it charges the payment method unattended.</p>` : '';

  const warningText = v.warning === null ? html`no warning` : html`owners are told when the balance falls below <strong>${money(v.warning)}</strong> while auto-reload is off`;
  const warningForm = owner ? html`<details${v.open('warning')}><summary>Change the warning</summary><div class="panel">
<form method="post" action="/usage/balance-warning">${hidden}
${field('warning', 'level', 'Warn owners below (USD)', v.warning, 'blank: no warning')}
<button type="submit">Save warning</button></form></div></details>` : '';

  return html`<section class="card" aria-labelledby="h-balance"><h2 id="h-balance">Team balance</h2>
<p>Prepaid balance: <span class="big" data-testid="balance">${money(prepaid.balance)}</span></p>
${buy}
<p>Auto-reload: <span data-testid="auto-reload">${reloadText}</span>.</p>
${reloadForm}
<p>Low-balance warning: <span data-testid="balance-warning">${warningText}</span>.</p>
${warningForm}
</section>`;
}

/** The text fields a failed form sent, keyed as its error slots are (`<form key>.<field>`). */
const typedValues = (key: string, body: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length <= 200 && e[0] !== '_csrf').map(([n, v]) => [`${key}.${n}`, v]));

/** A blank field is "none"; anything else must be an amount. */
const optionalUsd = (message: string) => z.string().trim().max(20).optional().transform((v, ctx) => {
  if (!v) return null;
  const plain = moneyInput(v);
  const nanos = plain !== null && usdAmount.safeParse(plain).success ? parseUsd(plain) : null;
  if (nanos === null) {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  return nanos;
});
const AMOUNT_HINT = 'Enter an amount in US dollars, such as 1,500 or 12.50 (at most 2 decimals)';

export function usagePage(app: FastifyInstance, deps: ConsoleDeps) {
  const csrf = { preHandler: app.csrfProtection };

  app.get('/usage', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    // A member's own page is where a member belongs.
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    return sendPage(reply, await renderUsage(deps, ctx, listQuery.parse(request.query ?? {})));
  });

  /** One settings form: parse, check the role in the ledger, change, come back. */
  const form = <T>(url: string, schema: z.ZodType<T>, key: (v: Record<string, unknown>) => string, field: string, change: (ctx: PageContext, v: T) => Promise<unknown>, saved: string) => {
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
      return runForm(reply, ctx, {
        field: `${k}.${field}`,
        back: withSaved(back, saved),
        action: async () => change(ctx, parseForm(schema, body, `${k}.`)),
        rerender: (errors) => renderUsage(deps, ctx, q, { errors, open: new Set([k]), values: typedValues(k, body) }),
      });
    });
  };

  form('/usage/extra-usage', z.object({ enabled: z.enum(['on', 'off'], { error: 'choose On or Off' }), scope: z.enum(['all_members', 'selected_members'], { error: 'choose all members or selected members' }), back: z.string().optional() }),
    () => 'extra', 'enabled',
    (ctx, v) => setExtraUsage(deps.db, ctx.viewer.org, ctx.viewer.member, { enabled: v.enabled === 'on', scope: v.scope }), 'extra-usage');

  form('/usage/org-cap', capFields.superRefine(capRule), () => 'orgCap', 'cap',
    (ctx, v) => setOrgCap(deps.db, ctx.viewer.org, ctx.viewer.member, capOf(v)), 'org-cap');

  form('/usage/tier-cap', capFields.extend({ tier: z.enum(['standard', 'premium'], { error: 'choose a seat tier' }) }).superRefine(capRule), (v) => `tier-${z.enum(['standard', 'premium']).parse(v.tier)}`, 'cap',
    (ctx, v) => setTierCap(deps.db, ctx.viewer.org, ctx.viewer.member, v.tier, capOf(v)), 'tier-cap');

  const memberField = { member: text(200) };
  const memberKey = (v: Record<string, unknown>) => `member-${text(200).parse(v.member)}`;
  form('/usage/member-cap', capFields.extend(memberField).superRefine(capRule), memberKey, 'cap',
    (ctx, v) => setMemberCap(deps.db, ctx.viewer.org, ctx.viewer.member, v.member, capOf(v)), 'member-cap');

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
    }, 'claude-limit');

  form('/usage/member-extra-usage', z.object({ ...memberField, enabled: z.enum(['on', 'off'], { error: 'choose on or off' }), back: z.string().optional() }), memberKey, 'enabled',
    (ctx, v) => setMemberExtraUsage(deps.db, ctx.viewer.org, ctx.viewer.member, v.member, v.enabled === 'on'), 'member-extra-usage');

  form('/usage/member-seat', z.object({ ...memberField, seatTier: z.enum(['standard', 'premium'], { error: 'choose Standard or Premium' }), back: z.string().optional() }), memberKey, 'seatTier',
    (ctx, v) => setMemberSeatTier(deps.db, ctx.viewer.org, ctx.viewer.member, v.member, v.seatTier), 'member-seat');

  form('/usage/auto-reload', z.object({
    enabled: z.enum(['on', 'off'], { error: 'choose On or Off' }),
    threshold: optionalUsd(`${AMOUNT_HINT}.`),
    amount: optionalUsd(`${AMOUNT_HINT}.`),
    monthlyLimit: z.string().trim().max(10).optional().transform((v, ctx) => {
      if (!v) return null;
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= 1000)) {
        ctx.addIssue({ code: 'custom', message: 'Enter a whole number from 1 to 1000, or leave it blank for no limit.' });
        return z.NEVER;
      }
      return n;
    }),
    back: z.string().optional(),
  }), () => 'autoReload', 'enabled',
  async (ctx, v) => {
    try {
      return await setAutoReload(deps.db, ctx.viewer.org, ctx.viewer.member, { enabled: v.enabled === 'on', thresholdNanos: v.threshold, amountNanos: v.amount, monthlyLimit: v.monthlyLimit });
    } catch (err) {
      // "On" without a threshold or an amount: said next to the one missing.
      if (err instanceof LedgerError && err.status === 422 && (err.field === 'threshold' || err.field === 'amount')) throw new FormError({ [`autoReload.${err.field}`]: err.message });
      throw err;
    }
  }, 'auto-reload');

  form('/usage/balance-warning', z.object({ level: optionalUsd(`${AMOUNT_HINT}, or leave it blank for no warning.`), back: z.string().optional() }), () => 'warning', 'level',
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
        const v = parseForm(z.object({ amount: z.preprocess((a) => (typeof a === 'string' ? normalisedMoney(a.trim()) : a), positiveUsdAmount), idempotencyKey: text(200), back: z.string().optional() }), body, 'buy.');
        const outcome = await deps.purchases.buy(ctx.viewer.org, ctx.viewer.member, { amountNanos: parseUsd(v.amount)!, idempotencyKey: v.idempotencyKey });
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
