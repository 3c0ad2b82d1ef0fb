// The owner's "Usage settings" card, mirroring the product's Admin settings > Usage
// page: the extra-usage switch, the org's monthly cap, seat-tier caps (Enterprise),
// prepaid balance and auto-reload (Team), and the individual seat limits table
// with "Set cap" / "Set to unlimited" and "Set seat". A refused value comes back in
// the same card with the error under its input and what was typed still in it.
// "Audit log" opens the log of every change (owners only, as this card).
import type { seatLimits, usageOverview } from '../../../src/ledger/reports.js';
import { INPUT, VERB } from '../actions.js';
import { actionSet, banner, card, columns, container, execute, heading, text, textInput, type AdaptiveCard, type CardElement, type Notice } from './card.js';
import { capText, planName, seatName, usd, when } from './format.js';

export type Overview = Awaited<ReturnType<typeof usageOverview>>;
export type SeatLimits = Awaited<ReturnType<typeof seatLimits>>;

export const MEMBERS_PAGE = 10;

export interface SettingsCardOptions {
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
}

const section = (title: string, items: CardElement[], id: string): CardElement =>
  container([text(title, { weight: 'Bolder', size: 'Medium' }), ...items], { separator: true, spacing: 'Large', id });

function capEditor(target: 'org' | 'standard' | 'premium' | 'member', inputId: string, page: number, o: SettingsCardOptions, label: string): CardElement[] {
  return [
    ...textInput(inputId, { label, placeholder: 'e.g. 500.00', value: o.values?.[inputId], error: o.errors?.[inputId] }),
    actionSet([
      execute('Set cap', VERB.settingsCap, { target, page }, { id: `set-cap:${target}` }),
      execute('Set to unlimited', VERB.settingsCap, { target, page, unlimited: true }, { id: `set-unlimited:${target}`, associatedInputs: target === 'member' ? 'auto' : 'none' }),
    ]),
  ];
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

export function settingsCard(overview: Overview, limits: SeatLimits, o: SettingsCardOptions): AdaptiveCard {
  const tz = overview.org.timezone;
  const pageCount = Math.max(1, Math.ceil(limits.members.length / MEMBERS_PAGE));
  const page = Math.min(Math.max(0, o.page), pageCount - 1);
  const body: CardElement[] = [
    ...(o.notice ? [banner(o.notice)] : []),
    ...heading('Usage settings', `${overview.org.name} · ${planName(overview.org.plan)} plan · ${overview.period} · limits reset ${when(overview.resetsAt, tz)}`),
  ];

  const enabled = o.values?.[INPUT.extraUsageEnabled] ?? String(overview.extraUsage.enabled);
  const scope = o.values?.[INPUT.extraUsageScope] ?? overview.extraUsage.scope;
  body.push(
    section('Extra usage', [
      text('When members use up the usage included in their seat, they can continue on extra usage billed at standard API rates, within the limits below.', { isSubtle: true, size: 'Small' }),
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
      ...(o.errors?.[INPUT.extraUsageScope] ? [text(o.errors[INPUT.extraUsageScope]!, { color: 'Attention', size: 'Small' })] : []),
      actionSet([execute('Save', VERB.settingsExtraUsage, { page }, { id: 'save-extra-usage' })]),
    ], 'section:extra-usage'),
  );

  body.push(
    section('Organisation monthly limit', [
      text(`${usd(overview.orgCap.monthToDateExtra)} spent of ${capText(overview.orgCap.cap)} this month`, { id: 'org-cap-now' }),
      ...capEditor('org', INPUT.capOrg, page, o, 'New organisation limit (USD)'),
    ], 'section:org-cap'),
  );

  if (overview.org.plan === 'enterprise') {
    const tiers = overview.seatTiers.flatMap((t) => [
      text(`${seatName(t.tier)} seats: ${usd(t.monthToDateExtra)} spent of ${capText(t.cap)} this month`, { spacing: 'Medium', id: `tier-cap-now:${t.tier}` }),
      ...capEditor(t.tier, INPUT.capTier(t.tier), page, o, `New ${t.tier} seat limit (USD)`),
    ]);
    body.push(section('Seat-tier monthly limits', tiers, 'section:tier-caps'));
  }

  if (overview.prepaid) {
    const ar = overview.prepaid.autoReload;
    const arEnabled = o.values?.[INPUT.autoReloadEnabled] ?? String(ar.enabled);
    body.push(
      section('Prepaid balance', [
        text(`Balance: ${usd(overview.prepaid.balance)}`, { weight: 'Bolder', id: 'balance' }),
        text(ar.enabled ? `Auto-reload is on: when the balance reaches ${capText(ar.threshold)}, ${capText(ar.amount)} is added.` : 'Auto-reload is off.', { isSubtle: true, size: 'Small' }),
        { type: 'Input.Toggle', id: INPUT.autoReloadEnabled, title: 'Auto-reload is on', value: arEnabled === 'true' ? 'true' : 'false', valueOn: 'true', valueOff: 'false' },
        ...textInput(INPUT.autoReloadThreshold, { label: 'Reload when the balance reaches (USD)', placeholder: 'e.g. 10.00', value: o.values?.[INPUT.autoReloadThreshold] ?? ar.threshold ?? undefined, error: o.errors?.[INPUT.autoReloadThreshold] }),
        ...textInput(INPUT.autoReloadAmount, { label: 'Reload amount (USD)', placeholder: 'e.g. 50.00', value: o.values?.[INPUT.autoReloadAmount] ?? ar.amount ?? undefined, error: o.errors?.[INPUT.autoReloadAmount] }),
        actionSet([execute('Save auto-reload', VERB.settingsAutoReload, { page }, { id: 'save-auto-reload' })]),
        ...buyBalance(o, page),
      ], 'section:prepaid'),
    );
  }

  const rows = limits.members.slice(page * MEMBERS_PAGE, (page + 1) * MEMBERS_PAGE);
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
        { items: [text(`${m.name} · ${seatName(m.seatTier)}${m.extraUsageEnabled ? '' : ' · extra usage off'}`, { spacing: 'None' })] },
        { items: [text(`${capText(m.cap)}${m.paused ? ' · paused' : ''}`, { color: m.paused ? 'Attention' : 'Default' })], width: 'auto' },
        { items: [text(usd(m.monthToDateExtra), { horizontalAlignment: 'Right' })], width: '80px' },
      ],
      { spacing: 'Small', id: `member-row:${m.id}` },
    ),
  );
  const chosen = o.values?.[INPUT.capMemberId] ?? rows[0]?.id;
  const memberEditor: CardElement[] = rows.length
    ? [
        {
          type: 'Input.ChoiceSet',
          id: INPUT.capMemberId,
          label: 'Adjust the limit or seat of',
          style: 'compact',
          ...(chosen ? { value: chosen } : {}),
          choices: rows.map((m) => ({ title: m.name, value: m.id })),
        },
        ...(o.errors?.[INPUT.capMemberId] ? [text(o.errors[INPUT.capMemberId]!, { color: 'Attention', size: 'Small' })] : []),
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
        ...(o.errors?.[INPUT.seatMember] ? [text(o.errors[INPUT.seatMember]!, { color: 'Attention', size: 'Small', id: `error:${INPUT.seatMember}` })] : []),
        actionSet([execute('Set seat', VERB.settingsSeat, { page }, { id: 'set-seat:member' })]),
      ]
    : [text('No members.', { isSubtle: true })];
  const paging = pageCount > 1
    ? [
        text(`Members ${page * MEMBERS_PAGE + 1}–${page * MEMBERS_PAGE + rows.length} of ${limits.members.length}`, { isSubtle: true, size: 'Small' }),
        actionSet([
          ...(page > 0 ? [execute('Previous', VERB.settingsShow, { page: page - 1 }, { id: 'page-previous', associatedInputs: 'none' })] : []),
          ...(page < pageCount - 1 ? [execute('Next', VERB.settingsShow, { page: page + 1 }, { id: 'page-next', associatedInputs: 'none' })] : []),
        ]),
      ]
    : [];
  body.push(section('Individual seat limits', [header, ...table, ...paging, ...memberEditor], 'section:members'));

  return card(body, {
    actions: [
      execute('Audit log', VERB.auditShow, {}, { id: 'audit-log', associatedInputs: 'none' }),
      execute('Refresh', VERB.settingsShow, { page }, { id: 'refresh-settings', associatedInputs: 'none' }),
    ],
  });
}
