// What the console inbox keeps of each notice: a title, a few sentences and the page it
// is about, built from the notifier's views. Pure (no I/O); dates in the org's timezone
// with the shared formatters, amounts in cents.
import { factText, formatWhen, usdCents } from '../domain/display.js';
import type { AlertView, DigestView, RequestView } from './port.js';

export interface InboxText {
  kind: string;
  title: string;
  body: string;
  link: string | null;
}

const seat = (tier: 'standard' | 'premium') => (tier === 'premium' ? 'premium seat' : 'standard seat');
const RAISE_OF = { member: 'their monthly extra usage limit', tier: "their seat tier's monthly extra usage limit", org: "the organisation's monthly extra usage limit" } as const;
const YOUR_RAISE = { member: 'your monthly extra usage limit', tier: "your seat tier's monthly extra usage limit", org: "the organisation's monthly extra usage limit" } as const;

export const requestPage = (r: RequestView) => `/requests/${encodeURIComponent(r.requestId)}`;

function asked(r: RequestView, tz: string): string {
  return `Asked ${formatWhen(r.requestedAt, tz)} from a ${seat(r.seatTier)}.${r.note ? ` Note: "${r.note}".` : ''}`;
}

/** To each decider: a member asks. */
export function requestOpenedText(r: RequestView, tz: string): InboxText {
  const title = r.raise ? `${r.requester.name} asks to raise a limit` : `${r.requester.name} asks for extra usage`;
  const what = r.raise
    ? `${r.requester.name} reached ${RAISE_OF[r.raise.scope]} of ${usdCents(r.raise.from)} and asks an owner to raise it (suggested: ${usdCents(r.raise.suggested)}).`
    : r.anthropic
      ? `${r.requester.name} reached their ${r.anthropic.period} spend limit in Claude and asks for more (suggested: ${usdCents(r.anthropic.suggestedAmount)}).`
      : `${r.requester.name} reached the usage limit of their ${seat(r.seatTier)} and asks for more: a premium seat, or extra usage.`;
  return { kind: 'request_opened', title, body: `${what} ${asked(r, tz)} Decide on its page: "Increase limit" or "Deny".`, link: requestPage(r) };
}

/** To each decider: still waiting. */
export function requestReminderText(r: RequestView, tz: string): InboxText {
  return { kind: 'request_reminder', title: `Reminder: ${r.requester.name}'s request is still waiting`, body: `Nobody has decided ${r.requester.name}'s request yet. ${asked(r, tz)}`, link: requestPage(r) };
}

const STATUS_WORD: Record<RequestView['status'], string> = { pending: 'waiting', approved: 'approved', denied: 'declined', expired: 'expired', cancelled: 'closed', untracked: 'no longer tracked here' };

/** The deciders' entries about a closed request take this title. */
export function requestOutcomeTitle(r: RequestView): string {
  return `${r.requester.name}'s request was ${STATUS_WORD[r.status]}${r.decidedBy ? ` by ${r.decidedBy.name}` : ''}`;
}

/**
 * To the requester: how it ended. A denial says who decided, the reason given and
 * when they may ask again (`mayAskAgainAt`), in the org's time.
 */
export function requestClosedText(r: RequestView, tz: string, mayAskAgainAt: string | null): InboxText {
  const by = r.decidedBy ? ` by ${r.decidedBy.name}` : '';
  const when = r.decidedAt ? ` on ${formatWhen(r.decidedAt, tz)}` : '';
  let title: string;
  let body: string;
  if (r.status === 'approved' && r.decision === 'upgrade_seat') {
    title = 'Your extra usage request was approved';
    body = `Approved${by}${when}: you now have a premium seat, with a larger included allowance.`;
  } else if (r.status === 'approved' && r.decision === 'increase_limit' && r.raise) {
    title = 'Your request to raise your limit was approved';
    body = `Approved${by}${when}: ${YOUR_RAISE[r.raise.scope]} is now ${r.decisionCap ? usdCents(r.decisionCap) : 'raised'}.`;
  } else if (r.status === 'approved' && r.decision === 'increase_limit') {
    title = 'Your extra usage request was approved';
    body = `Approved${by || ' in Claude'}${when}: your spend limit in Claude ${r.decisionCap ? `is now ${usdCents(r.decisionCap)}${r.decisionPeriod ? ` ${r.decisionPeriod}` : ''}` : 'was raised'}.`;
  } else if (r.status === 'approved') {
    title = 'Your extra usage request was approved';
    body = `Approved${by}${when}: extra usage is on for you${r.decisionCap ? `, up to ${usdCents(r.decisionCap)} a month` : ''}. When your seat's included usage runs out you can keep working, billed at standard API rates.`;
  } else if (r.status === 'denied') {
    title = r.raise ? 'Your request to raise your limit was declined' : 'Your extra usage request was declined';
    const reason = r.reason ? ` Reason given: "${r.reason}".` : ' No reason was given.';
    const again = mayAskAgainAt ? ` You may ask again from ${formatWhen(mayAskAgainAt, tz)}.` : ' You may ask again.';
    body = `Declined${by}${when}.${reason}${again}`;
  } else if (r.status === 'expired') {
    title = 'Your extra usage request expired';
    body = 'Nobody decided your request in time, so it expired. You can ask again.';
  } else if (r.status === 'untracked') {
    title = 'Your request is no longer tracked here';
    body = 'Your organisation disconnected this console from Claude: your request is decided in claude.ai now.';
  } else {
    title = 'Your extra usage request was closed';
    body = r.reason === 'extra_usage_enabled' ? 'Extra usage was turned on for you, so your request is no longer needed.' : 'Your request was closed.';
  }
  return { kind: 'request_closed', title, body: `${body} (You asked ${formatWhen(r.requestedAt, tz)}.)`, link: '/me' };
}

/** Where an alert's reader acts: their own usage, the org's usage, billing or the Claude connection. */
function alertPage(a: AlertView, forMember: boolean): string {
  if (forMember) return '/me';
  if (a.kind === 'invoice_ready') return '/billing';
  if (a.kind === 'claude_limit_threshold') return '/claude';
  return '/usage';
}

export function alertText(a: AlertView, tz: string, forMember: boolean): InboxText {
  const facts = Object.entries(a.facts)
    .filter(([, v]) => !/^https?:\/\//.test(v))
    .map(([k, v]) => `${k}: ${factText(k, v, tz)}`);
  const ask = a.canRequestExtraUsage && !/request extra usage/i.test(a.text) ? ' You can ask your admins for more with "Request extra usage" on My usage.' : '';
  return { kind: a.kind, title: a.title, body: `${a.text}${ask}${facts.length ? `\n${facts.join('\n')}` : ''}`, link: alertPage(a, forMember) };
}

export function digestText(d: DigestView, tz: string): InboxText {
  const n = d.requests.length;
  const lines = d.requests.map((r) => `${r.requester.name} (${seat(r.seatTier)}), asked ${formatWhen(r.requestedAt, tz)}`);
  return { kind: 'digest', title: `${n} request${n === 1 ? '' : 's'} waiting for a decision`, body: lines.join('\n'), link: '/requests' };
}
