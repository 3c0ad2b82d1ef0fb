// The owner's "Usage settings", mirroring the product's Admin settings > Usage page,
// as a short menu and one small card per area (a single card of every form was
// ~1,200 px tall): extra usage and who gets it, the org's and seat tiers' monthly
// limits, prepaid balance and auto-reload (Team), and members (their limit, seat and
// own extra-usage switch). A refused value comes back in the same card with the
// error under its input and what was typed still in it. "Set to unlimited" asks
// first: it removes a spending limit. "Audit log" opens the log of every change.
// For an org connected to Claude, Members shows each member's limits in Claude
// instead, read-only here: their own limit is edited in the console, the others in claude.ai.
import { usdCents } from '../../../src/domain/display.js';
import { noBalanceWords } from '../../../src/domain/alerts.js';
import { parseUsd } from '../../../src/domain/money.js';
import { consoleLimitLink, ownerClaudeLimitLines, type LimitLine } from '../../../src/domain/member-limits.js';
import type { seatLimits, usageOverview } from '../../../src/ledger/reports/reports.js';
import { INPUT, VERB, type SettingsScreen, type CapTarget } from '../actions.js';
import { actionSet, banner, card, columns, container, execute, factSet, heading, plainText, text, textInput, type AdaptiveCard, type CardAction, type CardElement, type Notice } from './card.js';
import { capText, planName, seatName, usd, when } from './format.js';

export type Overview = Awaited<ReturnType<typeof usageOverview>>;
export type SeatLimits = Awaited<ReturnType<typeof seatLimits>>;

export const MEMBERS_PAGE = 10;

/** A "Set to unlimited" waiting for the owner's yes. */
export interface UnlimitedConfirmation {
  target: CapTarget;
  /** Whose limit (target 'member'). */
  memberId?: string;
  /** "the organisation's monthly limit", "Bob's monthly limit", … */
  what: string;
}

export interface SettingsCardOptions {
  screen: SettingsScreen;
  page: number;
  notice?: Notice | undefined;
  /** Input id → error shown under it. */
  errors?: Record<string, string>;
  /** Input id → what the owner typed (kept when refused). */
  values?: Record<string, string>;
  /** Names the purchase "Get payment link" starts (Team): the same card clicked again is the same purchase. */
  purchaseKey?: string;
  /** A payment link just made for the owner (Stripe Checkout). */
  payment?: { url: string; amount: string };
  confirm?: UnlimitedConfirmation;
  /** Members' own extra-usage switch (used with "Selected members only"), by member id. */
  ownSwitch?: Record<string, boolean>;
  /** An org connected to Claude: each member's limit lines (the limits port) and the console's public address. */
  claude?: { lines: ReadonlyMap<string, readonly LimitLine[]>; publicUrl: string | null } | null;
}

const TITLES: Record<SettingsScreen, string> = {
  menu: 'Usage settings',
  extra: 'Extra usage',
  caps: 'Monthly limits',
  balance: 'Prepaid balance',
  members: 'Members',
};

const back = (): CardAction => execute('All settings', VERB.settingsShow, { screen: 'menu' }, { id: 'settings-menu', associatedInputs: 'none' });
const refresh = (screen: SettingsScreen, page: number): CardAction => execute('Refresh', VERB.settingsShow, { screen, page }, { id: 'refresh-settings', associatedInputs: 'none' });
const errorText = (o: SettingsCardOptions, id: string): CardElement[] => (o.errors?.[id] ? [text(o.errors[id]!, { color: 'Attention', size: 'Small', spacing: 'None', id: `error:${id}` })] : []);

function capEditor(target: CapTarget, inputId: string, page: number, o: SettingsCardOptions, label: string): CardElement[] {
  return [
    ...textInput(inputId, { label, placeholder: 'e.g. 500.00', value: o.values?.[inputId], error: o.errors?.[inputId] }),
    actionSet([
      execute('Set cap', VERB.settingsCap, { target, page }, { id: `set-cap:${target}` }),
      // Asks first (the confirmation names the member chosen, so the member's picker is sent along).
      execute('Set to unlimited', VERB.settingsCap, { target, page, unlimited: true }, { id: `set-unlimited:${target}`, associatedInputs: target === 'member' ? 'auto' : 'none' }),
    ]),
  ];
}

/** The question "Set to unlimited" asks, with the yes carrying everything the change needs. */
function confirmation(c: UnlimitedConfirmation, page: number, screen: SettingsScreen): CardElement {
  return container([
    text(`Remove ${c.what}?`, { weight: 'Bolder' }),
    text(c.target === 'member' ? 'Their extra usage is then limited only by their seat tier\'s and the organisation\'s limits.' : 'Extra usage is then not limited at this level: spending can grow until another limit or the balance stops it.', { size: 'Small', spacing: 'Small' }),
    actionSet([
      execute('Yes, set to unlimited', VERB.settingsCap, { target: c.target, page, unlimited: true, confirmed: true, ...(c.memberId ? { [INPUT.capMemberId]: c.memberId } : {}) }, { id: 'confirm-unlimited', style: 'destructive', associatedInputs: 'none' }),
      execute('Cancel', VERB.settingsShow, { screen, page }, { id: 'cancel-unlimited', associatedInputs: 'none' }),
    ]),
  ], { style: 'warning', bleed: true, id: 'confirm' });
}

/** "Buy balance": the amount only; the answer is a link to Stripe's page (card details never pass through Teams). */
function buyBalance(o: SettingsCardOptions, page: number): CardElement[] {
  if (o.payment) {
    return [
      text(`Pay ${usd(o.payment.amount)} on Stripe's secure page; the balance is credited as soon as the payment goes through, and the card is kept for auto-reload.`, { spacing: 'Medium', id: 'payment-link' }),
      actionSet([{ type: 'Action.OpenUrl', title: `Pay ${usd(o.payment.amount)}`, url: o.payment.url, id: 'pay', style: 'positive' }]),
    ];
  }
  if (!o.purchaseKey) return [];
  return [
    ...textInput(INPUT.buyAmount, { label: 'Buy balance (USD)', placeholder: 'e.g. 50.00', value: o.values?.[INPUT.buyAmount], error: o.errors?.[INPUT.buyAmount] }),
    actionSet([execute('Get payment link', VERB.settingsBuy, { page, purchaseKey: o.purchaseKey }, { id: 'buy-balance' })]),
  ];
}

/** Extra usage on with nothing to spend (Team): every screen says so. */
const noBalance = (overview: Overview) => overview.extraUsage.enabled && overview.prepaid !== undefined && (parseUsd(overview.prepaid.balance) ?? 0n) <= 0n;
const noBalanceLine = (overview: Overview): CardElement[] => (noBalance(overview) ? [text(`${noBalanceWords(overview.prepaid!.balance)}. An owner can buy balance under Balance.`, { color: 'Attention', weight: 'Bolder', id: 'no-balance' })] : []);

const scopeText = (overview: Overview) =>
  !overview.extraUsage.enabled ? 'Off' : overview.extraUsage.scope === 'all_members' ? 'On for all members' : 'On for selected members';

/** The menu: where things stand, one button per area. */
function menu(overview: Overview): { body: CardElement[]; actions: CardAction[] } {
  const tiers = overview.org.plan === 'enterprise' ? overview.seatTiers.map((t): [string, string] => [`${seatName(t.tier)} seats`, `${usd(t.monthToDateExtra)} of ${capText(t.cap)}`]) : [];
  const facts: [string, string][] = [
    ['Extra usage', scopeText(overview)],
    ['Organisation', `${usd(overview.orgCap.monthToDateExtra)} of ${capText(overview.orgCap.cap)} this month`],
    ...tiers,
    ...(overview.prepaid ? ([['Balance', usd(overview.prepaid.balance)], ['Auto-reload', overview.prepaid.autoReload.enabled ? 'On' : 'Off']] as [string, string][]) : []),
  ];
  const go = (title: string, screen: SettingsScreen) => execute(title, VERB.settingsShow, { screen }, { id: `open:${screen}`, associatedInputs: 'none' });
  return {
    body: [...noBalanceLine(overview), factSet(facts, { id: 'summary' })],
    actions: [
      go('Extra usage', 'extra'),
      go('Limits', 'caps'),
      ...(overview.prepaid ? [go('Balance', 'balance')] : []),
      go('Members', 'members'),
      execute('Audit log', VERB.auditShow, {}, { id: 'audit-log', associatedInputs: 'none' }),
    ],
  };
}

function extraScreen(overview: Overview, o: SettingsCardOptions): CardElement[] {
  const enabled = o.values?.[INPUT.extraUsageEnabled] ?? String(overview.extraUsage.enabled);
  const scope = o.values?.[INPUT.extraUsageScope] ?? overview.extraUsage.scope;
  return [
    ...noBalanceLine(overview),
    text('When members use up the usage included in their seat, they can continue on extra usage billed at standard API rates, within the limits.', { isSubtle: true, size: 'Small' }),
    { type: 'Input.Toggle', id: INPUT.extraUsageEnabled, title: 'Extra usage is on', value: enabled === 'true' ? 'true' : 'false', valueOn: 'true', valueOff: 'false' },
    {
      type: 'Input.ChoiceSet',
      id: INPUT.extraUsageScope,
      label: 'Who gets it',
      style: 'compact',
      value: scope,
      choices: [
        { title: 'All members', value: 'all_members' },
        { title: 'Selected members only', value: 'selected_members' },
      ],
    },
    ...errorText(o, INPUT.extraUsageScope),
    text('With "Selected members only", choose the members under Members (or approve their requests).', { isSubtle: true, size: 'Small', spacing: 'Small' }),
    actionSet([execute('Save', VERB.settingsExtraUsage, { page: 0 }, { id: 'save-extra-usage' })]),
  ];
}

function capsScreen(overview: Overview, o: SettingsCardOptions): CardElement[] {
  const body: CardElement[] = [
    text('Organisation', { weight: 'Bolder', spacing: 'Medium' }),
    text(`${usd(overview.orgCap.monthToDateExtra)} spent of ${capText(overview.orgCap.cap)} this month`, { id: 'org-cap-now', spacing: 'None' }),
    ...capEditor('org', INPUT.capOrg, 0, o, 'New organisation limit (USD)'),
  ];
  if (overview.org.plan === 'enterprise') {
    for (const t of overview.seatTiers) {
      body.push(
        container([
          text(`${seatName(t.tier)} seats`, { weight: 'Bolder' }),
          text(`${usd(t.monthToDateExtra)} spent of ${capText(t.cap)} this month`, { spacing: 'None', id: `tier-cap-now:${t.tier}` }),
          ...capEditor(t.tier, INPUT.capTier(t.tier), 0, o, `New ${t.tier} seat limit (USD)`),
        ], { separator: true, spacing: 'Medium', id: `tier:${t.tier}` }),
      );
    }
  }
  return body;
}

function balanceScreen(overview: Overview, o: SettingsCardOptions): CardElement[] {
  const prepaid = overview.prepaid;
  if (!prepaid) return [text('Only Team plans have a prepaid balance.', { isSubtle: true })];
  const ar = prepaid.autoReload;
  const arEnabled = o.values?.[INPUT.autoReloadEnabled] ?? String(ar.enabled);
  return [
    ...noBalanceLine(overview),
    text(`Balance: ${usd(prepaid.balance)}`, { weight: 'Bolder', id: 'balance' }),
    text(ar.enabled ? `Auto-reload is on: when the balance reaches ${capText(ar.threshold)}, ${capText(ar.amount)} is added.` : 'Auto-reload is off.', { isSubtle: true, size: 'Small' }),
    { type: 'Input.Toggle', id: INPUT.autoReloadEnabled, title: 'Auto-reload is on', value: arEnabled === 'true' ? 'true' : 'false', valueOn: 'true', valueOff: 'false' },
    ...textInput(INPUT.autoReloadThreshold, { label: 'Reload when the balance reaches (USD)', placeholder: 'e.g. 10.00', value: o.values?.[INPUT.autoReloadThreshold] ?? ar.threshold ?? undefined, error: o.errors?.[INPUT.autoReloadThreshold] }),
    ...textInput(INPUT.autoReloadAmount, { label: 'Reload amount (USD)', placeholder: 'e.g. 50.00', value: o.values?.[INPUT.autoReloadAmount] ?? ar.amount ?? undefined, error: o.errors?.[INPUT.autoReloadAmount] }),
    actionSet([execute('Save auto-reload', VERB.settingsAutoReload, { page: 0 }, { id: 'save-auto-reload' })]),
    ...buyBalance(o, 0),
  ];
}

/** Members of an org connected to Claude: their limits there, and where each is changed (the ledger's editor would change a cap that does not apply). */
function claudeMembers(rows: SeatLimits['members'], claude: NonNullable<SettingsCardOptions['claude']>, paging: CardElement[]): CardElement[] {
  const link = consoleLimitLink(claude.publicUrl);
  return [
    text('Limits in Claude, as Claude last reported them (refreshed every few minutes). Seat-tier, group and organization limits are changed in claude.ai; give a member a limit of their own in the console.', { isSubtle: true, size: 'Small' }),
    ...rows.map((m) => container([
      plainText([{ text: m.name, weight: 'Bolder' }]),
      ...ownerClaudeLimitLines(claude.lines.get(m.id) ?? [], usdCents).map((l) => plainText([l], { spacing: 'None' })),
    ], { separator: true, spacing: 'Small', id: `member-row:${m.id}` })),
    ...paging,
    link
      ? actionSet([{ type: 'Action.OpenUrl', title: 'Edit limit in the console', url: link, id: 'edit-in-console' }], { spacing: 'Medium' })
      : text('Edit limit in the console: its Usage page.', { size: 'Small', spacing: 'Medium' }),
  ];
}

function membersScreen(overview: Overview, limits: SeatLimits, o: SettingsCardOptions, page: number, pageCount: number): CardElement[] {
  const rows = limits.members.slice(page * MEMBERS_PAGE, (page + 1) * MEMBERS_PAGE);
  const selected = overview.extraUsage.scope === 'selected_members';
  const empty = noBalance(overview);
  const header = columns(
    [
      { items: [text('Member', { weight: 'Bolder' })] },
      { items: [text('Limit', { weight: 'Bolder' })], width: 'auto' },
      { items: [text('Spent', { weight: 'Bolder', horizontalAlignment: 'Right' })], width: '80px' },
    ],
    { spacing: 'Small' },
  );
  const table = rows.map((m) =>
    columns(
      [
        { items: [plainText([`${m.name} · ${seatName(m.seatTier)}${m.extraUsageEnabled ? (empty ? ' · on — no balance' : '') : ' · extra usage off'}`], { spacing: 'None' })] },
        { items: [text(`${capText(m.cap)}${m.paused ? ' · paused' : ''}`, { color: m.paused ? 'Attention' : 'Default' })], width: 'auto' },
        { items: [text(usd(m.monthToDateExtra), { horizontalAlignment: 'Right' })], width: '80px' },
      ],
      { spacing: 'Small', id: `member-row:${m.id}` },
    ),
  );
  const paging = pageCount > 1
    ? [
        text(`Members ${page * MEMBERS_PAGE + 1}–${page * MEMBERS_PAGE + rows.length} of ${limits.members.length}`, { isSubtle: true, size: 'Small' }),
        actionSet([
          ...(page > 0 ? [execute('Previous', VERB.settingsShow, { screen: 'members', page: page - 1 }, { id: 'page-previous', associatedInputs: 'none' })] : []),
          ...(page < pageCount - 1 ? [execute('Next', VERB.settingsShow, { screen: 'members', page: page + 1 }, { id: 'page-next', associatedInputs: 'none' })] : []),
        ]),
      ]
    : [];
  if (!rows.length) return [text('No members.', { isSubtle: true })];
  if (o.claude) return claudeMembers(rows, o.claude, paging);
  const chosen = o.values?.[INPUT.capMemberId] ?? rows[0]?.id;
  const switchLine = selected
    ? [
        text('Extra usage of the member chosen (the organisation gives it to selected members only):', { size: 'Small', spacing: 'Medium' }),
        actionSet([
          execute('Turn extra usage on', VERB.settingsMemberExtraUsage, { page, enabled: true }, { id: 'member-extra-on', style: 'positive' }),
          execute('Turn extra usage off', VERB.settingsMemberExtraUsage, { page, enabled: false }, { id: 'member-extra-off' }),
        ], { spacing: 'Small' }),
      ]
    : [text('Extra usage is for all members (or off for everyone): choose "Selected members only" under Extra usage to switch it per member.', { isSubtle: true, size: 'Small', spacing: 'Medium' })];
  return [
    header,
    ...table,
    ...paging,
    container([
      {
        type: 'Input.ChoiceSet',
        id: INPUT.capMemberId,
        label: 'Member',
        style: 'compact',
        ...(chosen ? { value: chosen } : {}),
        choices: rows.map((m) => ({ title: selected ? `${m.name} (extra usage ${o.ownSwitch?.[m.id] ? 'on' : 'off'})` : m.name, value: m.id })),
      },
      ...errorText(o, INPUT.capMemberId),
      ...switchLine,
      ...capEditor('member', INPUT.capMember, page, o, 'New member limit (USD)'),
      text('"Set to unlimited" removes the member\'s own limit; seat-tier and organisation limits still apply.', { isSubtle: true, size: 'Small', spacing: 'None' }),
      // No preset: the card cannot follow the member chosen above, so the owner picks the seat they mean.
      {
        type: 'Input.ChoiceSet',
        id: INPUT.seatMember,
        label: 'New seat',
        style: 'compact',
        placeholder: 'Choose a seat',
        ...(o.values?.[INPUT.seatMember] ? { value: o.values[INPUT.seatMember] } : {}),
        choices: [
          { title: 'Standard seat', value: 'standard' },
          { title: 'Premium seat', value: 'premium' },
        ],
      },
      ...errorText(o, INPUT.seatMember),
      actionSet([execute('Set seat', VERB.settingsSeat, { page }, { id: 'set-seat:member' })]),
    ], { separator: true, spacing: 'Large', id: 'member-editor' }),
  ];
}

export function settingsCard(overview: Overview, limits: SeatLimits, o: SettingsCardOptions): AdaptiveCard {
  const tz = overview.org.timezone;
  const pageCount = Math.max(1, Math.ceil(limits.members.length / MEMBERS_PAGE));
  const page = Math.min(Math.max(0, o.page), pageCount - 1);
  const screen = o.screen === 'balance' && !overview.prepaid ? 'menu' : o.screen;
  const subtitle = screen === 'menu'
    ? `${overview.org.name} · ${planName(overview.org.plan)} plan · ${overview.period} · limits reset ${when(overview.resetsAt, tz)}`
    : `Usage settings · ${overview.org.name} · ${planName(overview.org.plan)} plan`;
  const body: CardElement[] = [
    ...(o.notice ? [banner(o.notice)] : []),
    ...(o.confirm ? [confirmation(o.confirm, page, screen)] : []),
    ...heading(TITLES[screen], subtitle),
  ];
  let actions: CardAction[];
  if (screen === 'menu') {
    const m = menu(overview);
    body.push(...m.body);
    actions = m.actions;
  } else {
    if (screen === 'extra') body.push(...extraScreen(overview, o));
    if (screen === 'caps') body.push(...capsScreen(overview, o));
    if (screen === 'balance') body.push(...balanceScreen(overview, o));
    if (screen === 'members') body.push(...membersScreen(overview, limits, o, page, pageCount));
    actions = [back(), refresh(screen, page)];
  }
  return card(body, { actions });
}
