// The one page shell every console page shares: a header with what the viewer may
// open (by their stored role), the page, and a footer with privacy and terms.
import type { FastifyReply } from 'fastify';
import { isAdmin, isOwner } from '../ledger/actors.js';
import { html, type Html } from './html.js';
import type { Viewer } from './session.js';
import { noBalanceBanner } from './no-balance-banner.js';

export interface PageInput {
  title: string;
  viewer?: Viewer | null;
  /** The signed-in viewer's CSRF token, for the sign-out form. */
  csrf?: string;
  /** Which nav entry is this page. */
  current?: '/usage' | '/requests' | '/me' | '/billing' | '/audit' | '/spend' | '/seats' | '/notices' | '/claude' | '/inbox';
  body: Html;
}

const ROLE_NAMES = { primary_owner: 'Primary owner', owner: 'Owner', admin: 'Admin', member: 'Member' } as const;

export const roleName = (role: keyof typeof ROLE_NAMES) => ROLE_NAMES[role];

function nav(p: PageInput): Html {
  if (!p.viewer) return html``;
  // A Team org has no requests to review: its members' extra usage is paid from the prepaid balance.
  const requests: [string, string][] = p.viewer.org.plan === 'team' ? [] : [['/requests', 'Requests']];
  const links: [string, string][] = isAdmin(p.viewer.member) ? [['/usage', 'Usage'], ...requests, ['/me', 'My usage']] : [['/me', 'My usage']];
  // Billing for admins and owners, as GET /v1/invoices; the audit log for owners, as GET /v1/reports/audit-log.
  if (isAdmin(p.viewer.member)) links.push(['/billing', 'Billing']);
  if (isOwner(p.viewer.member)) links.push(['/audit', 'Audit log']);
  if (isAdmin(p.viewer.member)) links.push(['/spend', 'Spend'], ['/seats', 'Seat advice']);
  // Notice choices: owners change them, admins read them (GET/PUT /v1/settings/notices).
  if (isAdmin(p.viewer.member)) links.push(['/notices', 'Notices']);
  // The Claude connection: owners connect and disconnect, admins see its state.
  if (isAdmin(p.viewer.member)) links.push(['/claude', 'Claude']);
  // Everyone's inbox: every notice they get, with how many they have not seen yet.
  const unread = p.viewer.unread ?? 0;
  const inbox = html`<li><a href="/inbox"${p.current === '/inbox' ? html` aria-current="page"` : ''}>Inbox${unread > 0 ? html` <span class="unread" data-testid="unread-count">(${unread} new)</span>` : ''}</a></li>`;
  return html`<nav aria-label="Console"><ul>${links.map(([href, label]) => html`<li><a href="${href}"${p.current === href ? html` aria-current="page"` : ''}>${label}</a></li>`)}${inbox}</ul></nav>
<div class="who"><span>${p.viewer.member.name} · ${roleName(p.viewer.member.role)} · ${p.viewer.org.name}</span>
<form method="post" action="/signout" class="inline"><input type="hidden" name="_csrf" value="${p.csrf ?? ''}"><button type="submit" class="secondary">Sign out</button></form></div>`;
}

export function layout(p: PageInput): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · Extra usage</title>
<link rel="stylesheet" href="/console/console.css">
</head>
<body>
<header class="top"><a class="brand" href="/">Extra usage</a>${nav(p)}</header>
<main id="main">
${p.viewer ? noBalanceBanner(p.viewer) : ''}${p.body}
</main>
<footer><a href="/privacy">Privacy</a><a href="/terms">Terms</a></footer>
</body>
</html>`;
}

/** Sends a page with the headers every console page carries. */
export function sendPage(reply: FastifyReply, page: Html, status = 200, csp?: string): FastifyReply {
  if (csp) reply.header('content-security-policy', csp);
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(page.value);
}
