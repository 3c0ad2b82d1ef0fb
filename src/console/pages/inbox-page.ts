// Inbox (everyone): every notice the signed-in person got (requests asked, reminded and
// decided, caps reached, balance low, statements ready, the daily digest), newest first,
// times in the org's timezone. Entries shown are marked read as the page is sent, so the
// header's "Inbox (n new)" counts only what they have not seen.
import type { FastifyInstance } from 'fastify';
import { alsoReachesYou } from '../../domain/notice-channels.js';
import { formatWhen } from '../../domain/display.js';
import { inboxOf, markRead } from '../../ledger/notices/inbox.js';
import { noticeChannelsOf } from '../../ledger/notices/notice-channels.js';
import type { ConsoleDeps } from '../deps.js';
import { signedIn } from '../guard.js';
import { html } from '../html.js';
import { layout, sendPage } from '../layout.js';

/** The most entries one page shows (older ones stay stored). */
export const INBOX_PAGE_SIZE = 100;

const PAGE_WORDS: Record<string, string> = { '/me': 'Go to My usage', '/usage': 'Go to Usage', '/billing': 'Go to Billing', '/claude': 'Go to Claude', '/requests': 'Go to Requests' };
const linkWords = (link: string) => PAGE_WORDS[link] ?? (link.startsWith('/requests/') ? 'Open the request' : 'Open');

export function inboxPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/inbox', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    const { member, org } = ctx.viewer;
    const entries = await inboxOf(deps.db, org.id, member.id, INBOX_PAGE_SIZE);
    const seen = await markRead(deps.db, org.id, member.id, entries.filter((e) => !e.readAt).map((e) => e.id), deps.now());
    const viewer = { ...ctx.viewer, unread: Math.max(0, (ctx.viewer.unread ?? 0) - seen) };
    const channels = await noticeChannelsOf(deps.db, member, deps.signInWays);
    const list = entries.length
      ? html`<ol class="inbox" data-testid="inbox">${entries.map((e) => html`<li${e.readAt ? '' : html` class="new"`} data-testid="inbox-entry" data-kind="${e.kind}">
<h2>${e.readAt ? '' : html`<span class="tag" data-testid="new">New: </span>`}${e.title}</h2>
<p class="muted">${formatWhen(e.createdAt, org.timezone)}</p>
<p class="body">${e.body}</p>${e.link ? html`<p><a href="${e.link}">${linkWords(e.link)}</a></p>` : ''}</li>`)}</ol>`
      : html`<p data-testid="inbox-empty">Nothing here yet. Requests, decisions, reminders and limit notices you get will be listed here.</p>`;
    return sendPage(reply, layout({
      title: 'Inbox', viewer, csrf: ctx.csrf, current: '/inbox',
      body: html`<h1>Inbox</h1><p class="muted" data-testid="channels">${alsoReachesYou(channels)} Times are in ${org.timezone}.</p>${list}`,
    }));
  });
}
