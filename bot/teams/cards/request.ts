// An extra-usage request as admins see it: who asks (named once, in the title),
// their seat, when asked, note, and what the decider weighs (their extra usage this
// month, their limit, the organisation's budget left); while pending, the three decisions (upgrade to premium for a standard seat,
// enable extra usage with an optional cap, deny with an optional reason); once
// closed, the outcome and who decided.
//
// Three modes: 'base' is what is posted (and updated) in every admin's chat: the
// facts, a "Review request" button and a `refresh` naming the admins, so Teams asks
// the bot for each viewer's own card; 'admin' is that card for an admin or owner
// (with the decisions); 'readonly' is it for anyone else. The server decides the
// mode from the viewer's stored role; an admin or owner looking at their own request
// gets it read-only (nobody decides their own request). Names, notes and reasons are
// TextRuns (plainText): nothing people typed is read as markdown.
import type { RequestView } from '../../../src/notify/port.js';
import { INPUT, VERB } from '../actions.js';
import { actionSet, banner, card, container, execute, plainText, showCard, text, textInput, type AdaptiveCard, type CardAction, type CardElement, type Notice } from './card.js';
import { capText, seatName, usdWithExact, when } from './format.js';
import { CANCEL_WORDS, RAISE_MOOT_REASONS, type RaiseMootReason } from '../../../src/domain/requests.js';

export type CardMode = 'base' | 'admin' | 'readonly';

/** Said to an admin or owner instead of the decisions on their own request. */
export const OWN_REQUEST_TEXT = 'Your request: another admin or an owner decides it.';

/** Decisions for this viewer: an admin or owner, and not the requester. */
export const decidesIt = (r: RequestView, mode: CardMode, viewerMemberId: string | undefined) => mode === 'admin' && r.requester.memberId !== viewerMemberId;

/** What the admin typed and what was wrong with it, to show again in the card. */
export interface DecisionForm {
  requestId: string;
  decision: 'enable_extra_usage' | 'deny' | 'increase_limit';
  value: string;
  error: string;
}

const PERIOD_WORD: Record<string, string> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly' };
const PERIOD_NOUN: Record<string, string> = { daily: 'today', weekly: 'this week', monthly: 'this month' };
const SOURCE_WORD: Record<string, string> = { user: 'their own limit', seat_tier: 'their seat tier', rbac_group: 'their group', organization: 'the organization', organization_service: 'the organization' };
/** "$75.00 monthly": a limit written through Anthropic. */
const newLimit = (r: RequestView) => (r.decisionCap ? `${capText(r.decisionCap)} ${PERIOD_WORD[r.decisionPeriod ?? ''] ?? ''}`.trim() : 'raised');

export type RequestOrigin = { card: 'request'; reminder?: boolean } | { card: 'digest'; requestIds: string[]; list: 'digest' | 'pending' };

const STATUS: Record<RequestView['status'], { label: string; color: string }> = {
  pending: { label: 'Waiting for a decision', color: 'Warning' },
  approved: { label: 'Approved', color: 'Good' },
  denied: { label: 'Denied', color: 'Attention' },
  expired: { label: 'Expired', color: 'Default' },
  cancelled: { label: 'Cancelled', color: 'Default' },
  untracked: { label: 'No longer tracked here', color: 'Default' },
};

/** One line saying what happened to a closed request. */
export function outcomeText(r: RequestView, tz: string): string {
  const by = r.decidedBy ? ` by ${r.decidedBy.name}` : r.anthropic ? ' in claude.ai' : '';
  const at = r.decidedAt ? ` on ${when(r.decidedAt, tz)}` : '';
  switch (r.status) {
    case 'approved':
      if (r.decision === 'increase_limit') return `Approved${by}${at}: ${r.requester.name}'s spend limit is ${r.decisionCap ? `now ${newLimit(r)}` : 'raised'}.`;
      return r.decision === 'upgrade_seat'
        ? `Approved${by}${at}: ${r.requester.name} now has a premium seat.`
        : `Approved${by}${at}: extra usage is on for ${r.requester.name}, ${r.decisionCap ? `with a monthly limit of ${capText(r.decisionCap)}` : 'with no limit of their own (seat-tier and organisation limits still apply)'}.`;
    case 'denied':
      return `Denied${by}${at}${r.reason ? `: "${r.reason}"` : '.'}`;
    case 'expired':
      return 'Expired without a decision.';
    case 'cancelled':
      return `Cancelled${r.reason ? ` (${r.reason.replace(/_/g, ' ')})` : ''}.`;
    case 'untracked':
      return 'No longer tracked here: this organisation disconnected from Claude, so decide this request in claude.ai (it is still open there).';
    default:
      return '';
  }
}

/** "Label: value" lines; the value as typed (never markdown). */
export function plainFacts(facts: [string, string][], opts: Record<string, unknown> = {}): CardElement {
  return container(facts.map(([label, value], i) => plainText([{ text: `${label}: `, weight: 'Bolder' }, value], { spacing: i === 0 ? 'Default' : 'None' })), opts);
}

/** What a decider weighs: the member's extra usage this month, their own limit, the organisation's budget left. */
export function contextFacts(r: RequestView): [string, string][] {
  if (r.anthropic) {
    // A request from Claude: the limit they hit, where it comes from, and their spend, as Anthropic reported it.
    const a = r.anthropic;
    return [
      [`Their ${PERIOD_WORD[a.period]} limit`, `${a.limit === null ? 'None known' : usdWithExact(a.limit)}${a.source ? ` (${SOURCE_WORD[a.source] ?? a.source})` : ''}`],
      [`Spent ${PERIOD_NOUN[a.period]}`, a.spent === null ? 'Not known' : usdWithExact(a.spent)],
    ];
  }
  const c = r.context;
  if (!c) return [];
  return [
    ['Extra usage this month', usdWithExact(c.monthToDateExtra)],
    // Off, their cap means nothing: never "Unlimited" or "None of their own" then.
    ['Their monthly limit', c.extraUsage === false ? 'Extra usage off' : c.cap === null ? 'None of their own' : usdWithExact(c.cap)],
    ['Organisation budget left', c.orgRemaining === null ? 'No organisation limit' : usdWithExact(c.orgRemaining)],
  ];
}

/** "Alice asks for more usage", the requester named once; as typed. */
export const requestTitle = (r: RequestView, o: { reminder?: boolean; size?: 'Large' | 'Medium' } = {}): CardElement =>
  plainText([{ text: `${o.reminder && r.status === 'pending' ? 'Reminder: ' : ''}${r.requester.name} asks for more usage`, weight: 'Bolder', size: o.size ?? 'Large' }], { id: `title:${r.requestId}` });

/** Seat, when asked, note, earlier denial, the decider's context and the status: the part every mode shows. */
export function requestFacts(r: RequestView, tz: string, noteMax = 500, o: { context?: boolean } = {}): CardElement[] {
  const facts: [string, string][] = [
    ['Seat', `${seatName(r.requester.seatTier)}${r.requester.seatTier !== r.seatTier ? ` (was ${seatName(r.seatTier)} when asking)` : ''}`],
    ['Asked', when(r.requestedAt, tz)],
    ...(r.note ? ([['Note', r.note.length > noteMax ? `${r.note.slice(0, noteMax - 1)}…` : r.note]] as [string, string][]) : []),
    ...(r.previousDenial
      ? ([['Previously denied', `${when(r.previousDenial.at, tz)}${r.previousDenial.by ? ` by ${r.previousDenial.by.name}` : ''}${r.previousDenial.reason ? `: ${r.previousDenial.reason.slice(0, 300)}` : ''}`]] as [string, string][])
      : []),
    ...(o.context !== false && r.status === 'pending' ? contextFacts(r) : []),
  ];
  const status = STATUS[r.status];
  return [
    plainFacts(facts, { id: `facts:${r.requestId}` }),
    plainText([{ text: r.status === 'pending' ? status.label : outcomeText(r, tz), color: status.color, weight: 'Bolder' }], { id: `status:${r.requestId}` }),
  ];
}

/** The decision buttons for one pending request. A form with an error is shown open, under the buttons. */
export function decisionControls(r: RequestView, origin: RequestOrigin, form: DecisionForm | null): { actions: CardAction[]; open: CardElement[] } {
  const data = { requestId: r.requestId, ...origin };
  const name = r.requester.name;
  // Filled with their current limit, so keeping it is one click and an empty field is a choice made on purpose.
  const current = r.context?.cap ?? undefined;
  const capForm = (value?: string, error?: string) => [
    ...textInput(INPUT.cap(r.requestId), {
      label: `Monthly limit for ${name} (optional)`,
      placeholder: 'e.g. 25.00; empty = no limit of their own',
      value: value ?? current,
      error,
    }),
    text('Seat-tier and organisation limits still apply.', { isSubtle: true, size: 'Small', spacing: 'None' }),
  ];
  const reasonForm = (value?: string, error?: string) =>
    textInput(INPUT.reason(r.requestId), { label: `Reason, shown to ${name} (optional)`, multiline: true, maxLength: 500, value, error });
  const enable = execute('Enable extra usage', VERB.requestDecide, { ...data, decision: 'enable_extra_usage' }, { style: 'positive', id: `enable:${r.requestId}` });
  const deny = execute('Deny request', VERB.requestDecide, { ...data, decision: 'deny' }, { style: 'destructive', id: `deny:${r.requestId}` });

  const actions: CardAction[] = [];
  const open: CardElement[] = [];
  const denyControl = () => {
    if (form?.requestId === r.requestId && form.decision === 'deny') open.push(container([...reasonForm(form.value, form.error), actionSet([deny])], { style: 'emphasis', id: `form:${r.requestId}` }));
    else actions.push(showCard('Deny…', reasonForm(), [deny]));
  };
  if (r.raise) {
    // A request to raise a limit (owners decide): the new monthly limit, pre-filled with the suggestion.
    const raise = r.raise;
    const raiseForm = (value?: string, error?: string): CardElement[] => [
      ...textInput(INPUT.amount(r.requestId), { label: `New monthly limit (USD), now ${capText(raise.from)}`, placeholder: 'e.g. 100.00', value: value ?? raise.suggested, error }),
      text('Suggested: the current limit plus their spending rate to the month\'s end, rounded up to whole dollars.', { isSubtle: true, size: 'Small', spacing: 'None' }),
    ];
    const increase = execute('Increase limit', VERB.requestDecide, { ...data, decision: 'increase_limit' }, { style: 'positive', id: `increase:${r.requestId}` });
    if (form?.requestId === r.requestId && form.decision === 'increase_limit') open.push(container([...raiseForm(form.value, form.error), actionSet([increase])], { style: 'emphasis', id: `form:${r.requestId}` }));
    else actions.push(showCard('Increase limit…', raiseForm(), [increase]));
    denyControl();
    return { actions, open };
  }
  if (r.anthropic) {
    // A request from Claude: a new spend limit (pre-filled with a suggestion) and its period, written by Anthropic.
    const a = r.anthropic;
    const limitForm = (value?: string, error?: string): CardElement[] => [
      ...textInput(INPUT.amount(r.requestId), { label: `New spend limit for ${name} (USD)`, placeholder: 'e.g. 75.00', value: value ?? a.suggestedAmount, error }),
      {
        type: 'Input.ChoiceSet', id: INPUT.period(r.requestId), label: 'Resets', style: 'compact', value: a.period,
        choices: [{ title: 'Monthly', value: 'monthly' }, { title: 'Weekly', value: 'weekly' }, { title: 'Daily', value: 'daily' }],
      },
      text('Suggested: half as much again as the limit they hit. Anthropic writes it as their own limit.', { isSubtle: true, size: 'Small', spacing: 'None' }),
    ];
    const increase = execute('Increase limit', VERB.requestDecide, { ...data, decision: 'increase_limit' }, { style: 'positive', id: `increase:${r.requestId}` });
    if (form?.requestId === r.requestId && form.decision === 'increase_limit') open.push(container([...limitForm(form.value, form.error), actionSet([increase])], { style: 'emphasis', id: `form:${r.requestId}` }));
    else actions.push(showCard('Increase limit…', limitForm(), [increase]));
    denyControl();
    return { actions, open };
  }
  if (r.requester.seatTier === 'standard') {
    actions.push(execute('Upgrade to premium seat', VERB.requestDecide, { ...data, decision: 'upgrade_seat' }, { style: 'positive', id: `upgrade:${r.requestId}`, associatedInputs: 'none' }));
  }
  if (form?.requestId === r.requestId && form.decision === 'enable_extra_usage') {
    open.push(container([...capForm(form.value, form.error), actionSet([enable])], { style: 'emphasis', id: `form:${r.requestId}` }));
  } else {
    actions.push(showCard('Enable extra usage…', capForm(), [enable]));
  }
  denyControl();
  return { actions, open };
}

export interface RequestCardOptions {
  timezone: string;
  mode: CardMode;
  reminder?: boolean;
  notice?: Notice | undefined;
  form?: DecisionForm | null;
  /** Admins' Teams MRIs: their clients refresh the base card into their own view. */
  refreshUserIds?: string[];
  /** The member viewing the card ('admin' mode): their own request is read-only. */
  viewerMemberId?: string;
  /** False for an admin: a request to raise a limit reads "an owner must decide" (only owners change caps). */
  viewerIsOwner?: boolean;
}

/** Said instead of the buttons to an admin looking at a request to raise a limit. */
export const OWNER_DECIDES_TEXT = 'Only an owner can change a limit, so an owner must decide this request.';

export function requestCard(r: RequestView, o: RequestCardOptions): AdaptiveCard {
  const tz = o.timezone;
  const origin: RequestOrigin = { card: 'request', ...(o.reminder ? { reminder: true } : {}) };
  const body: CardElement[] = [
    ...(o.notice ? [banner(o.notice)] : []),
    requestTitle(r, { reminder: o.reminder ?? false }),
    plainText([{ text: `Extra usage request · ${r.orgName}`, isSubtle: true }], { spacing: 'None' }),
    // Only admins and owners weigh the context; anyone else sees the request itself.
    ...requestFacts(r, tz, 500, { context: o.mode !== 'readonly' }),
  ];
  const pending = r.status === 'pending';
  let actions: CardAction[] = [];
  if (pending && r.raise && o.mode === 'admin' && o.viewerIsOwner === false && r.requester.memberId !== o.viewerMemberId) {
    body.push(text(OWNER_DECIDES_TEXT, { isSubtle: true, id: `owner:${r.requestId}` }));
  } else if (pending && decidesIt(r, o.mode, o.viewerMemberId)) {
    const controls = decisionControls(r, origin, o.form ?? null);
    body.push(...controls.open);
    actions = controls.actions;
  } else if (pending && o.mode === 'admin') {
    body.push(text(OWN_REQUEST_TEXT, { isSubtle: true, id: `own:${r.requestId}` }));
  } else if (pending && o.mode === 'base') {
    actions = [execute('Review request', VERB.requestView, { requestId: r.requestId, ...origin }, { id: `review:${r.requestId}` })];
  } else if (pending) {
    body.push(text('Only admins and owners of the organisation can decide requests.', { isSubtle: true }));
  }
  // While pending, Teams refreshes the card into each viewer's own view; a closed request is final.
  const refresh = pending ? { verb: VERB.requestView, data: { requestId: r.requestId, ...origin }, userIds: o.refreshUserIds ?? [] } : null;
  return card(body, { actions, refresh });
}

/** What the requester is told when their request closes. */
export function outcomeForRequesterCard(r: RequestView, tz: string): AdaptiveCard {
  const lines: Record<RequestView['status'], string> = {
    pending: 'Your request is waiting for an admin.',
    approved:
      r.decision === 'upgrade_seat'
        ? 'Your request was approved: you now have a premium seat, with a larger included allowance.'
        : r.decision === 'increase_limit'
          ? `Your request was approved: your spend limit is ${r.decisionCap ? `now ${newLimit(r)}` : 'raised'}.`
          : `Your request was approved: extra usage is on for you${r.decisionCap ? `, up to ${capText(r.decisionCap)} a month` : ''}.`,
    denied: `Your request was denied${r.reason ? `: "${r.reason}"` : '.'}`,
    expired: 'Your request expired without a decision. You can ask again.',
    // Never sent (the requester is not told: the request is still open in Claude); here for completeness.
    untracked: 'Your request is still open in Claude.',
    cancelled: RAISE_MOOT_REASONS.includes(r.reason as RaiseMootReason) ? `Your request to raise your limit was closed: ${CANCEL_WORDS[r.reason as RaiseMootReason]}.` : 'Your request was cancelled.',
  };
  const tone = r.status === 'approved' ? 'good' : r.status === 'denied' ? 'attention' : 'accent';
  return card(
    [
      banner({ tone, text: lines[r.status] }),
      text('Your request for more usage', { size: 'Large', weight: 'Bolder', style: 'heading' }),
      plainText([{ text: r.orgName, isSubtle: true }], { spacing: 'None' }),
      plainFacts([
        ['Asked', when(r.requestedAt, tz)],
        ...(r.decidedBy ? ([['Decided by', r.decidedBy.name]] as [string, string][]) : []),
        ...(r.decidedAt ? ([['Decided', when(r.decidedAt, tz)]] as [string, string][]) : []),
        // A denial: when they may ask again (set when the requester is told, src/activities/inbox.ts).
        ...(r.status === 'denied' && r.mayAskAgainAt ? ([['May ask again from', when(r.mayAskAgainAt, tz)]] as [string, string][]) : []),
      ]),
    ],
    { actions: [execute('Show my usage', VERB.usageShow, {}, { id: 'show-usage' })] },
  );
}
