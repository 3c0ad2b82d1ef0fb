// What the emails say: subjects, plain text and simple HTML, built from the
// notifier's views. Pure (no I/O, the clock is passed in) so it is unit-testable;
// src/notify/email.ts only sends what this returns.
import type { AlertView, DigestView, RequestView } from './port.js';
import { factText, formatWhen, localInstants, usdCents } from '../domain/display.js';
import { CANCEL_WORDS, RAISE_MOOT_REASONS, type RaiseMootReason } from '../domain/requests.js';

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

export interface FormatOptions {
  /** Base URL of this service; links are left out when unset. */
  publicUrl?: string;
  /**
   * The recipient's own single-use sign-in token (src/services/sign-in.ts): console
   * links then go through /signin?token=…&next=<page>, so one click signs them in.
   * The same token is in every link of one email; whichever is opened first uses it.
   */
  signInToken?: string;
  /** Timezone to show dates in (the org's); UTC when unknown. */
  timeZone?: string;
  /** "Now", for how long a request has been waiting. */
  now: Date;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "waiting 2 days 3 hours": the two largest units, so a glance says how urgent it is. */
export function waitingText(requestedAtIso: string, now: Date): string {
  const minutes = Math.floor((now.getTime() - Date.parse(requestedAtIso)) / 60_000);
  if (minutes < 1) return 'waiting less than a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `waiting ${plural(days, 'day')}${hours ? ` ${plural(hours, 'hour')}` : ''}`;
  if (hours > 0) return `waiting ${plural(hours, 'hour')}${mins ? ` ${plural(mins, 'minute')}` : ''}`;
  return `waiting ${plural(mins, 'minute')}`;
}

/** "14 Nov 2026, 09:30 (Europe/Paris)": the one date format of chat and email (src/domain/display.ts). */
export const whenText = (iso: string, timeZone = 'UTC'): string => formatWhen(iso, timeZone);

export const seatLabel = (tier: 'standard' | 'premium') => (tier === 'premium' ? 'premium seat' : 'standard seat');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function link(opts: FormatOptions, path: string): string | null {
  if (!opts.publicUrl) return null;
  const base = opts.publicUrl.replace(/\/+$/, '');
  return opts.signInToken ? `${base}/signin?token=${encodeURIComponent(opts.signInToken)}&next=${encodeURIComponent(path)}` : `${base}${path}`;
}

const requestLink = (opts: FormatOptions, r: RequestView) => link(opts, `/requests/${encodeURIComponent(r.requestId)}`);

const HOW_TO_DECIDE = 'Admins and owners decide with "Increase limit" or "Deny" in chat, or through the API.';

/** One request as the admins see it: who, current seat, asked when, how long waiting. */
function requestLines(r: RequestView, opts: FormatOptions): string[] {
  const lines = [
    `${r.requester.name} (${seatLabel(r.seatTier)})`,
    `  asked ${whenText(r.requestedAt, opts.timeZone)}, ${waitingText(r.requestedAt, opts.now)}`,
  ];
  if (r.note) lines.push(`  note: "${r.note}"`);
  const url = requestLink(opts, r);
  if (url) lines.push(`  decide: ${url}`);
  return lines;
}

function requestHtml(r: RequestView, opts: FormatOptions): string {
  const url = requestLink(opts, r);
  return [
    '<tr>',
    `<td><strong>${escapeHtml(r.requester.name)}</strong></td>`,
    `<td>${escapeHtml(seatLabel(r.seatTier))}</td>`,
    `<td>${escapeHtml(whenText(r.requestedAt, opts.timeZone))}</td>`,
    `<td>${escapeHtml(waitingText(r.requestedAt, opts.now))}</td>`,
    `<td>${r.note ? escapeHtml(r.note) : ''}</td>`,
    `<td>${url ? `<a href="${escapeHtml(url)}">Decide</a>` : ''}</td>`,
    '</tr>',
  ].join('');
}

const REQUEST_TABLE_HEAD = '<tr><th align="left">Who</th><th align="left">Current seat</th><th align="left">Asked</th><th align="left">Waiting</th><th align="left">Note</th><th></th></tr>';

function page(paragraphsHtml: string[]): string {
  return `<!doctype html><html><body style="font-family: sans-serif; font-size: 14px">${paragraphsHtml.join('\n')}</body></html>`;
}

export function digestEmail(d: DigestView, opts: FormatOptions): EmailContent {
  const n = d.requests.length;
  const subject = `${plural(n, 'extra usage request')} waiting — ${d.orgName}`;
  const intro = `${n === 1 ? 'This request for extra usage is' : `These ${n} requests for extra usage are`} waiting for a decision in ${d.orgName}:`;
  const all = link(opts, `/requests?orgId=${encodeURIComponent(d.orgId)}`);
  const text = [intro, '', ...d.requests.flatMap((r) => [...requestLines(r, opts), '']), HOW_TO_DECIDE, ...(all ? [`All requests: ${all}`] : []), ''].join('\n');
  const html = page([
    `<p>${escapeHtml(intro)}</p>`,
    `<table cellpadding="6" style="border-collapse: collapse">${REQUEST_TABLE_HEAD}${d.requests.map((r) => requestHtml(r, opts)).join('')}</table>`,
    `<p>${escapeHtml(HOW_TO_DECIDE)}</p>`,
    ...(all ? [`<p><a href="${escapeHtml(all)}">See all requests</a></p>`] : []),
  ]);
  return { subject, text, html };
}

const RAISE_OF = { member: 'their monthly extra usage limit', tier: "their seat tier's monthly extra usage limit", org: "the organisation's monthly extra usage limit" } as const;

export function requestOpenedEmail(r: RequestView, opts: FormatOptions): EmailContent {
  if (r.raise) {
    // Sent to owners only: only owners change limits.
    const subject = `${r.requester.name} asks to raise a limit — ${r.orgName}`;
    const intro = `${r.requester.name} reached ${RAISE_OF[r.raise.scope]} of ${usdCents(r.raise.from)} and asks an owner to raise it (suggested: ${usdCents(r.raise.suggested)}). Owners decide with "Increase limit" or "Deny".`;
    return requestEmail(subject, intro, r, opts);
  }
  const subject = `${r.requester.name} asks for extra usage — ${r.orgName}`;
  const intro = `${r.requester.name} reached the usage limit of their ${seatLabel(r.seatTier)} and asks for more: a premium seat, or extra usage.`;
  return requestEmail(subject, intro, r, opts);
}

export function requestReminderEmail(r: RequestView, opts: FormatOptions): EmailContent {
  const subject = `Reminder: ${r.requester.name}'s extra usage request is still waiting — ${r.orgName}`;
  const intro = `Nobody has decided ${r.requester.name}'s request for extra usage yet.`;
  return requestEmail(subject, intro, r, opts);
}

function requestEmail(subject: string, intro: string, r: RequestView, opts: FormatOptions): EmailContent {
  const text = [intro, '', ...requestLines(r, opts), '', HOW_TO_DECIDE, ''].join('\n');
  const html = page([
    `<p>${escapeHtml(intro)}</p>`,
    `<table cellpadding="6" style="border-collapse: collapse">${REQUEST_TABLE_HEAD}${requestHtml(r, opts)}</table>`,
    `<p>${escapeHtml(HOW_TO_DECIDE)}</p>`,
  ]);
  return { subject, text, html };
}

/** The outcome, written to the requester. */
export function requestClosedEmail(r: RequestView, opts: FormatOptions): EmailContent {
  const by = r.decidedBy ? ` by ${r.decidedBy.name}` : '';
  let subject: string;
  let body: string;
  if (r.status === 'approved' && r.decision === 'upgrade_seat') {
    subject = `Your extra usage request was approved — ${r.orgName}`;
    body = `Your request was approved${by}: you now have a premium seat, with a larger included allowance.`;
  } else if (r.status === 'approved' && r.decision === 'increase_limit' && r.raise) {
    subject = `Your request to raise your limit was approved — ${r.orgName}`;
    body = `Your request was approved${by}: ${RAISE_OF[r.raise.scope].replace('their', 'your')} is now ${r.decisionCap ? usdCents(r.decisionCap) : 'raised'}.`;
  } else if (r.status === 'approved' && r.decision === 'increase_limit') {
    subject = `Your extra usage request was approved — ${r.orgName}`;
    const limit = r.decisionCap ? ` is now $${r.decisionCap}${r.decisionPeriod ? ` ${r.decisionPeriod}` : ''}` : ' was raised';
    body = `Your request was approved${by}${r.decidedBy ? '' : ' in Claude'}: your spend limit in Claude${limit}.`;
  } else if (r.status === 'approved') {
    subject = `Your extra usage request was approved — ${r.orgName}`;
    const cap = r.decisionCap ? `, up to ${usdCents(r.decisionCap)} a month` : '';
    body = `Your request was approved${by}: extra usage is on for you${cap}. When your seat's allowance runs out you can keep working, billed at standard API rates.`;
  } else if (r.status === 'denied') {
    subject = `Your extra usage request was declined — ${r.orgName}`;
    const reason = r.reason ? ` Reason: "${r.reason}".` : '';
    // Who decided, the reason given and when they may ask again, in the org's time.
    const again = r.mayAskAgainAt ? ` You may ask again from ${whenText(r.mayAskAgainAt, opts.timeZone)}.` : '';
    body = `Your request was declined${by}.${reason}${again} Your seat's allowance resets on its usual schedule.`;
  } else if (r.status === 'expired') {
    subject = `Your extra usage request expired — ${r.orgName}`;
    body = 'Nobody decided your request in time, so it expired. You can ask again.';
  } else {
    subject = `Your extra usage request was closed — ${r.orgName}`;
    body = r.reason === 'extra_usage_enabled' ? 'Extra usage was turned on for you, so your request is no longer needed.'
      : RAISE_MOOT_REASONS.includes(r.reason as RaiseMootReason) ? `Your request to raise your limit was closed: ${CANCEL_WORDS[r.reason as RaiseMootReason]}.`
      : 'Your request was closed.';
  }
  const asked = `You asked ${whenText(r.requestedAt, opts.timeZone)} from a ${seatLabel(r.seatTier)}.`;
  return { subject, text: [body, '', asked, ''].join('\n'), html: page([`<p>${escapeHtml(body)}</p>`, `<p>${escapeHtml(asked)}</p>`]) };
}

export function alertEmail(a: AlertView, opts: FormatOptions): EmailContent {
  const subject = `${a.title} — ${a.orgName}`;
  // Machine-readable instants (the "Resets" fact) in the org's time, as in chat.
  const facts = Object.entries(a.facts).map(([k, v]): [string, string] => [k, factText(k, v, opts.timeZone ?? 'UTC')]);
  const ask = a.canRequestExtraUsage ? link(opts, '/requests/new') : null;
  const askText = a.canRequestExtraUsage ? `You can ask your admins for more: "Request extra usage"${ask ? ` at ${ask}` : ' in chat'}.` : null;
  // A refusal in the one wording (src/domain/refusal-words.ts) already gives that step and its link: said once.
  const saidAlready = /request extra usage from your admins/i.test(a.text);
  const text = [a.title, '', a.text, '', ...facts.map(([k, v]) => `${k}: ${v}`), ...(askText && !saidAlready ? ['', askText] : []), ''].join('\n');
  const html = page([
    `<p><strong>${escapeHtml(a.title)}</strong></p>`,
    `<p>${escapeHtml(a.text)}</p>`,
    // A fact that is a link (e.g. the payment link of a "buy credit" notice) is clickable.
    ...(facts.length ? [`<table cellpadding="4">${facts.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td><strong>${/^https?:\/\/\S+$/.test(v) ? `<a href="${escapeHtml(v)}">${escapeHtml(v)}</a>` : escapeHtml(v)}</strong></td></tr>`).join('')}</table>`] : []),
    ...(askText ? [ask ? `<p><a href="${escapeHtml(ask)}">Request extra usage</a></p>` : `<p>${escapeHtml(askText)}</p>`] : []),
  ]);
  return { subject, text, html };
}
