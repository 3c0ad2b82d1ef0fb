// Signing in to the console. A sign-in link (from chat or an email) opens a page with a
// button: only the POST uses the single-use token, so a link previewer fetching the
// URL (Slack, Teams, mail scanners) does not burn it. The session then lives in an
// HttpOnly, SameSite=Lax cookie (Secure over https). Signing out clears it.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isIdentityError } from '../../identity/errors.js';
import { redeemSignInLink } from '../../identity/sign-in-links.js';
import { SignInThrottled } from '../../identity/sign-in-throttle.js';
import { isAdmin } from '../../ledger/actors.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField } from '../forms.js';
import { csrfToken, messagePage } from '../guard.js';
import { html } from '../html.js';
import { layout, sendPage } from '../layout.js';

// The provider form's GET leads (by redirect) to the org's provider, which form-action 'self' would block.
const OIDC_FORM_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";
import { clearSessionCookie, safeNext, setSessionCookie, viewerOf } from '../session.js';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const signInBody = z.object({ token: z.string().max(100), next: z.string().max(500).optional() });

/** The ways to get a link that this service has (a chat app not set up is not offered). */
function howToGetALink(deps: ConsoleDeps) {
  const ways = deps.signInWays ?? { slack: false, teams: false, email: false };
  return html`<ul>
${ways.slack ? html`<li>In Slack: type <code>${deps.slackCommand ?? '/usage'} signin</code></li>` : ''}
${ways.teams ? html`<li>In Microsoft Teams: send <code>signin</code> to the Extra usage app</li>` : ''}
${ways.email ? html`<li>Open the link in an email from Extra usage (links last an hour)</li>` : ''}
<li>Ask whoever runs Extra usage for your organisation to send you a sign-in link</li>
</ul>`;
}

/** True when some org signs its people in through its own OpenID Provider (else the box would lead nowhere). */
const anyIdentityProvider = async (deps: ConsoleDeps) => (await deps.db.organization.count({ where: { oidcIssuer: { not: null } } })) > 0;

export function signInPage(app: FastifyInstance, deps: ConsoleDeps) {
  app.get('/', async (request, reply) => {
    const viewer = await viewerOf(deps, request);
    if (!viewer) return reply.redirect('/signin', 303);
    return reply.redirect(isAdmin(viewer.member) ? '/usage' : '/me', 303);
  });

  app.get('/signin', async (request, reply) => {
    const query = request.query as { token?: unknown; next?: unknown };
    const next = safeNext(query.next);
    const token = typeof query.token === 'string' ? query.token : undefined;
    const csrf = csrfToken(request, reply);
    if (token !== undefined) {
      // A confirm button, not an automatic sign-in: previews must not use the link.
      return sendPage(reply, layout({
        title: 'Sign in',
        body: html`<h1>Sign in to Extra usage</h1>
<p>This single-use link signs you in on this browser.</p>
<form method="post" action="/signin">${csrfField(csrf)}<input type="hidden" name="token" value="${token}"><input type="hidden" name="next" value="${next}">
<button type="submit">Sign in</button></form>`,
      }));
    }
    const viewer = await viewerOf(deps, request);
    if (viewer) return reply.redirect(next === '/' ? (isAdmin(viewer.member) ? '/usage' : '/me') : next, 303);
    return sendPage(reply, layout({
      title: 'Sign in',
      body: html`<h1>Sign in to Extra usage</h1>
${(await anyIdentityProvider(deps)) ? html`<section class="card" aria-labelledby="h-idp"><h2 id="h-idp">With your organisation's identity provider</h2>
<form method="get" action="/signin/oidc" class="inline"><label for="org-slug">Organisation (short name)</label><input id="org-slug" name="org" autocomplete="organization" required><input type="hidden" name="next" value="${next}"><button type="submit">Continue</button></form></section>` : ''}
<section class="card" aria-labelledby="h-link"><h2 id="h-link">With a sign-in link</h2><p>A single-use link made for you signs you in. To get one:</p>${howToGetALink(deps)}</section>`,
    }), 200, OIDC_FORM_CSP);
  });

  app.post('/signin', { preHandler: app.csrfProtection }, async (request, reply) => {
    const parsed = signInBody.safeParse(request.body ?? {});
    const token = parsed.success ? parsed.data.token : '';
    const next = safeNext(parsed.success ? parsed.data.next : undefined);
    try {
      await deps.signInThrottle.check(request.ip, token);
    } catch (err) {
      if (!(err instanceof SignInThrottled)) throw err;
      reply.header('retry-after', String(err.retryAfterSeconds));
      return sendPage(reply, messagePage('Too many sign-in attempts', html`<p class="alert" role="alert">Too many sign-in links were refused here. Try again in ${waitText(err.retryAfterSeconds)}.</p><p>Each link works once and for a short time. Get a new one:</p>${howToGetALink(deps)}`), 429);
    }
    try {
      if (!TOKEN.test(token)) throw Object.assign(new Error('this sign-in link is not valid'), { notALink: true });
      const redeemed = await redeemSignInLink(deps.db, deps.sessions, token, deps.now());
      setSessionCookie(deps, request, reply, redeemed.session);
      return reply.redirect(next === '/' ? (isAdmin(redeemed.member) ? '/usage' : '/me') : next, 303);
    } catch (err) {
      if (!isIdentityError(err) && !(err as { notALink?: boolean }).notALink) throw err;
      await deps.signInThrottle.refused(request.ip, token);
      return sendPage(reply, messagePage('Sign-in link not accepted', html`<p class="alert" role="alert">${(err as Error).message}.</p><p>Each link works once and for a short time. Get a new one:</p>${howToGetALink(deps)}`), 401);
    }
  });

  app.post('/signout', { preHandler: app.csrfProtection }, async (request, reply) => {
    // The session token itself is revoked, not only this browser's cookie: the member's
    // epoch moves on, which ends every session of theirs (a copied cookie included).
    const viewer = await viewerOf(deps, request);
    if (viewer) await deps.db.member.update({ where: { id: viewer.member.id }, data: { sessionEpoch: { increment: 1 } } });
    clearSessionCookie(deps, request, reply);
    return sendPage(reply, messagePage('Signed out', html`<p>You are signed out, in this browser and wherever else you were signed in.</p><p><a href="/signin">Sign in again</a></p>`));
  });
}

const waitText = (seconds: number) => (seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`);
