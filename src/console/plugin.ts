// The owners' web console, served by the API's own server (same process and port):
// server-rendered pages, one module each, in their own Fastify context so the
// cookie, form-body and CSRF plugins apply to the console only (the JSON API keeps
// refusing form bodies with 415).
import cookie from '@fastify/cookie';
import csrfProtection from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance } from 'fastify';
import { CONSOLE_CSS } from './assets.js';
import { CONSOLE_SECURITY_HEADERS } from './security-headers.js';
import { auditPage } from './pages/audit-page.js';
import { billingPage } from './pages/billing-page.js';
import { claudeConnectionPage } from './pages/claude-connection-page.js';
import type { ConsoleDeps } from './deps.js';
import { messagePage } from './guard.js';
import { FLASH_COOKIE, takePage } from './flash.js';
import { html, raw } from './html.js';
import { sendPage } from './layout.js';
import { legalPages } from './pages/legal-pages.js';
import { memberPage } from './pages/member-page.js';
import { noticesPage } from './pages/notices-page.js';
import { inboxPage } from './pages/inbox-page.js';
import { oidcSignIn } from './pages/oidc-signin.js';
import { requestsPage } from './pages/requests-page.js';
import { csrfUserInfo } from './session.js';
import { crossSiteForm } from './same-origin.js';
import { seatsPage } from './pages/seats-page.js';
import { signInPage } from './pages/signin-page.js';
import { spendPage } from './pages/spend-page.js';
import { usagePage } from './pages/usage-page.js';

/** The pages the console serves (for the API's 404/405 handler and the docs). */
export const CONSOLE_ROUTES = [
  { method: 'GET', url: '/' },
  { method: 'GET', url: '/console/console.css' },
  { method: 'GET', url: '/signin' }, { method: 'POST', url: '/signin' }, { method: 'POST', url: '/signout' },
  { method: 'GET', url: '/signin/oidc' }, { method: 'GET', url: '/signin/oidc/callback' },
  { method: 'GET', url: '/usage' },
  { method: 'POST', url: '/usage/extra-usage' }, { method: 'POST', url: '/usage/org-cap' }, { method: 'POST', url: '/usage/tier-cap' },
  { method: 'POST', url: '/usage/member-cap' }, { method: 'POST', url: '/usage/member-extra-usage' }, { method: 'POST', url: '/usage/member-seat' },
  { method: 'POST', url: '/usage/members-bulk' }, { method: 'GET', url: '/usage/confirm' },
  { method: 'POST', url: '/usage/buy' }, { method: 'POST', url: '/usage/auto-reload' }, { method: 'POST', url: '/usage/balance-warning' },
  { method: 'GET', url: '/requests' }, { method: 'GET', url: '/requests/new' }, { method: 'GET', url: '/requests/:id' }, { method: 'POST', url: '/requests/:id/decision' },
  { method: 'GET', url: '/requests/:id/deny' }, { method: 'GET', url: '/requests/:id/upgrade' },
  { method: 'GET', url: '/me' }, { method: 'POST', url: '/me/request' }, { method: 'POST', url: '/me/raise-limit' },
  { method: 'POST', url: '/me/gateway-keys' }, { method: 'POST', url: '/me/gateway-keys/:id/revoke' },
  { method: 'GET', url: '/privacy' }, { method: 'GET', url: '/terms' },
  { method: 'GET', url: '/spend' }, { method: 'GET', url: '/spend/members/:member' }, { method: 'POST', url: '/spend/members/:member/gateway-keys/:id/revoke' }, { method: 'GET', url: '/seats' }, { method: 'POST', url: '/seats/apply' }, { method: 'GET', url: '/seats/confirm' },
  { method: 'GET', url: '/billing' }, { method: 'GET', url: '/billing/:month' }, { method: 'GET', url: '/billing/:month/print' },
  { method: 'GET', url: '/audit' },
  { method: 'GET', url: '/claude' }, { method: 'POST', url: '/claude/connect' }, { method: 'POST', url: '/claude/replace' }, { method: 'GET', url: '/claude/disconnect' }, { method: 'POST', url: '/claude/disconnect' },
  { method: 'GET', url: '/inbox' },
  { method: 'GET', url: '/notices' }, { method: 'POST', url: '/notices/member-cap' }, { method: 'POST', url: '/notices/org-cap' }, { method: 'POST', url: '/notices/tier-cap' },
];

export function consolePlugin(deps: ConsoleDeps) {
  return async function console(app: FastifyInstance) {
    await app.register(cookie);
    await app.register(formbody, { bodyLimit: 64 * 1024 });
    await app.register(csrfProtection, {
      // The secret cookie is Lax so a form opened from an email link still posts; Secure
      // over https like the session cookie.
      cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: deps.publicUrl?.startsWith('https:') === true },
      getUserInfo: csrfUserInfo,
      csrfOpts: { hmacKey: deps.csrfKey },
    });
    // Forms posted from another site are refused before any handler runs (src/console/same-origin.ts).
    const publicOrigin = deps.publicUrl ? new URL(deps.publicUrl).origin.toLowerCase() : null;
    app.addHook('onRequest', async (request) => {
      if (request.method !== 'POST') return;
      const own = [`${request.protocol}://${request.host}`.toLowerCase(), ...(publicOrigin ? [publicOrigin] : [])];
      const header = (name: string) => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined);
      const why = crossSiteForm({ secFetchSite: header('sec-fetch-site'), origin: header('origin') }, own);
      if (why) throw Object.assign(new Error(`form from another site (${why})`), { statusCode: 403, code: 'FST_CSRF_CROSS_SITE' });
    });
    // Post-redirect-get: the page a form left for this address (its errors, what was typed), shown once.
    app.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'GET' || !request.cookies[FLASH_COOKIE]) return;
      const kept = await takePage(deps, request, reply);
      if (kept) return sendPage(reply, raw(kept.page), kept.status);
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
      return payload;
    });
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) request.log.error({ err }, 'console page failed');
      const message = err.code?.startsWith('FST_CSRF')
        ? 'This form has expired or did not come from this site. Reload the page and try again.'
        : status === 500 ? 'Something went wrong on our side. Nothing you need to do; try again in a moment.' : err.message;
      return sendPage(reply, messagePage(status === 403 ? 'Not allowed' : status === 500 ? 'Error' : 'Not done', html`<p class="alert" role="alert">${message}</p><p>Nothing was changed. <a href="/">Back to the console</a></p>`), status);
    });

    app.get('/console/console.css', async (_request, reply) => reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(CONSOLE_CSS));
    signInPage(app, deps);
    oidcSignIn(app, deps);
    usagePage(app, deps);
    requestsPage(app, deps);
    memberPage(app, deps);
    legalPages(app, deps);
    spendPage(app, deps);
    seatsPage(app, deps);
    billingPage(app, deps);
    auditPage(app, deps);
    noticesPage(app, deps);
    inboxPage(app, deps);
    claudeConnectionPage(app, deps);
  };
}
