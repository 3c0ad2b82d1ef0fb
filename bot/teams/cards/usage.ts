// The member's own usage card ("usage" in the personal chat, and what a refused
// member gets proactively): seat and allowance window, extra usage on or off, MTD
// extra spend against every cap that applies, what the next request will do, and
// "Request extra usage" where the plan allows it.
import type { MemberUsageView } from '../../../src/ledger/metering/member-usage.js';
import type { Role } from '../../../src/ledger/actors.js';
import { INPUT, NOTE_MAX, VERB } from '../actions.js';
import { banner, card, container, execute, factSet, heading, text, textInput, type AdaptiveCard, type CardAction, type CardElement, type Notice } from './card.js';
import { capText, planName, seatName, usd, when } from './format.js';
import { claudeLimitWords, type LimitLine } from '../../../src/domain/member-limits.js';
import { usdCents } from '../../../src/domain/display.js';

export interface UsageCardOptions {
  orgName: string;
  timezone: string;
  role: Role;
  /** The member has a request waiting for an admin. */
  requestOpen: boolean;
  notice?: Notice | undefined;
  /** A proactive alert shown above the usage (e.g. the seat limit was reached). */
  alert?: { title: string; text: string } | undefined;
  /** The member's Teams MRI, so their client refreshes the card when it is shown. */
  refreshUserIds?: string[];
  /** The note typed before, with what was wrong with it (too long), shown again under its input. */
  note?: { value: string; error: string } | undefined;
  /** An org connected to Claude: the member's limits there (the limits port); null: our ledger's caps only. */
  claude?: readonly LimitLine[] | null;
  /** The raise amount typed before, with what was wrong with it, shown again under its input. */
  raiseAmount?: { value: string; error: string } | undefined;
}

/** The member's limits in Claude: what stops them next, each period's limit, where it comes from and their spend, in cents. */
function claudeElements(lines: readonly LimitLine[]): CardElement[] {
  const w = claudeLimitWords(lines, usdCents);
  return [
    text('Your limits in Claude', { weight: 'Bolder', spacing: 'Medium' }),
    ...(w.lines.length ? [factSet(w.lines.map((l) => [l.label, l.text] as [string, string]), { id: 'claude-limits', spacing: 'Small' })] : []),
    text(w.next, { color: w.stopped ? 'Attention' : 'Accent', weight: w.stopped ? 'Bolder' : 'Default', id: 'claude-next', wrap: true }),
    text('As Claude last reported it (refreshed every few minutes).', { isSubtle: true, size: 'Small', spacing: 'Small' }),
  ];
}

function nextLine(v: MemberUsageView, tz: string): CardElement {
  const next = v.next;
  if (next.allowed) {
    return next.mode === 'included'
      ? text('Your next request uses the usage included in your seat.', { color: 'Good', id: 'next' })
      : text('Your next request uses extra usage, billed at standard API rates.', { color: 'Accent', id: 'next' });
  }
  // The one wording every channel uses (src/domain/refusal-words.ts), with its link.
  return text(`Paused: ${v.refusal!.message}`, { color: 'Attention', weight: 'Bolder', id: 'next' });
}

/** "Continue on extra usage when my seat's included usage runs out": the member's choice (the button that changes it is in the actions). */
function continueLine(v: MemberUsageView): CardElement {
  const c = v.continueChoice;
  const whose = c.setBy === 'member' ? 'your choice' : "your organisation's default";
  return text(`Continue on extra usage when your seat's included usage runs out: ${c.enabled ? 'on' : 'off'} (${whose}).`, { id: 'continue-choice', wrap: true, spacing: 'Small' });
}

export function usageCard(v: MemberUsageView, o: UsageCardOptions): AdaptiveCard {
  const tz = o.timezone;
  const extra = v.extraUsage.enabled ? 'On for you' : v.extraUsage.orgEnabled ? 'Not enabled for you' : 'Off for the organisation';
  const allowance = `${usd(v.allowance.used)} of ${usd(v.allowance.included)} used${v.allowance.exhausted ? ' (used up)' : ''}`;
  const resets = v.allowance.resetsAt ? when(v.allowance.resetsAt, tz) : `${Math.round(v.allowance.windowMinutes / 60 * 10) / 10} h after your next request`;
  // Their own limit reads "Extra usage off" when they have none: never "$0.00 of Unlimited".
  const capFacts: [string, string][] = v.caps.map((c) =>
    c.scope === 'balance' ? [c.label, `${usd(c.spent)} left`]
      : c.scope === 'member' && !v.extraUsage.enabled ? [c.label, 'Extra usage off']
      : [c.label, `${usd(c.spent)} of ${capText(c.cap)}${c.reached ? ' (reached)' : ''}`],
  );

  const body: CardElement[] = [
    ...(o.alert ? [container([text(o.alert.title, { weight: 'Bolder' }), text(o.alert.text, { spacing: 'Small' })], { style: 'attention', bleed: true, id: 'alert' })] : []),
    ...(o.notice ? [banner(o.notice)] : []),
    ...heading('Your usage', `${v.name} · ${o.orgName} · ${planName(v.plan)} plan`),
    ...(o.claude ? claudeElements(o.claude) : []),
    factSet([
      ['Seat', `${seatName(v.seatTier)} seat`],
      ['Included usage', allowance],
      ['Resets', resets],
      ['Extra usage', extra],
    ], { id: 'seat' }),
    text(`Extra usage this month (${v.period})`, { weight: 'Bolder', spacing: 'Medium' }),
    factSet(capFacts, { id: 'caps', spacing: 'Small' }),
    text(`Monthly limits reset ${when(v.monthResetsAt, tz)}.`, { isSubtle: true, size: 'Small', spacing: 'Small' }),
    nextLine(v, tz),
    ...(o.claude || !v.continueChoice.extraUsageAvailable ? [] : [continueLine(v)]),
    // Sent with "Request extra usage" (an Action.Execute collects the card's inputs): the admins see it on the request.
    ...(v.canRequestExtraUsage && !o.requestOpen
      ? textInput(INPUT.requestNote, { label: 'Note for your admins (optional)', placeholder: 'What it is for, e.g. the quarter-end report until Friday', multiline: true, maxLength: NOTE_MAX, value: o.note?.value, error: o.note?.error })
      : []),
    // "Ask to raise my limit": a member stopped by a cap; the amount is pre-filled with the suggestion.
    ...(v.raise && !o.requestOpen
      ? [
          ...textInput(INPUT.raiseAmount, { label: 'New monthly limit (USD)', placeholder: 'e.g. 100.00', value: o.raiseAmount?.value ?? v.raise.suggested, error: o.raiseAmount?.error }),
          text('Suggested: your current limit plus your spending rate to the month\'s end, rounded up to whole dollars. Only owners change limits.', { isSubtle: true, size: 'Small', spacing: 'None' }),
          ...textInput(INPUT.requestNote, { label: 'Note for the owners (optional)', placeholder: 'What it is for, e.g. launch week', multiline: true, maxLength: NOTE_MAX, value: o.note?.value, error: o.note?.error }),
        ]
      : []),
  ];

  const actions: CardAction[] = [];
  if (v.raise && !o.requestOpen) actions.push(execute('Ask to raise my limit', VERB.usageRaise, {}, { style: 'positive', id: 'ask-raise-limit' }));
  if (o.requestOpen && v.openRequestIsRaise) actions.push(execute('Request sent to owners', VERB.usageShow, {}, { isEnabled: false, id: 'request-sent' }));
  if (v.canRequestExtraUsage && !(o.requestOpen && v.openRequestIsRaise)) {
    actions.push(
      o.requestOpen
        ? execute('Request sent to admin', VERB.usageShow, {}, { isEnabled: false, id: 'request-sent' })
        : execute('Request extra usage', VERB.usageRequest, {}, { style: 'positive', id: 'request-extra-usage' }),
    );
  }
  // Only where extra usage is on for them: otherwise there is nothing to continue on.
  if (!o.claude && v.continueChoice.extraUsageAvailable) {
    actions.push(v.continueChoice.enabled
      ? execute("Stop at my seat's limit", VERB.usageContinue, { enabled: false }, { id: 'continue-off' })
      : execute('Continue on extra usage', VERB.usageContinue, { enabled: true }, { style: 'positive', id: 'continue-on' }));
  }
  actions.push(execute('Refresh', VERB.usageShow, {}, { id: 'refresh-usage' }));
  if (o.role !== 'member') actions.push(execute('Pending requests', VERB.requestsList, {}, { id: 'pending-requests' }));
  if (o.role === 'owner' || o.role === 'primary_owner') actions.push(execute('Usage settings', VERB.settingsShow, {}, { id: 'usage-settings' }));
  return card(body, { actions, refresh: { verb: VERB.usageShow, userIds: o.refreshUserIds ?? [] } });
}
