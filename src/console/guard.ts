// Every page starts here: who is signed in (else to sign-in, coming back after), the
// CSRF token for its forms, and how refusals look (the same LedgerErrors the API
// answers with, rendered as a page with the same status).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAdmin } from '../ledger/actors.js';
import { LedgerError } from '../ledger/errors.js';
import type { ConsoleDeps } from './deps.js';
import { FormError, type FieldErrors } from './forms.js';
import { html, type Html } from './html.js';
import { layout, sendPage } from './layout.js';
import { csrfUserInfo, viewerOf, type Viewer } from './session.js';

export interface PageContext {
  viewer: Viewer;
  csrf: string;
}

export const csrfToken = (request: FastifyRequest, reply: FastifyReply) => reply.generateCsrf({ userInfo: csrfUserInfo(request) });

/**
 * The signed-in viewer, or null after answering: a page asked for while signed out
 * goes to sign-in and comes back; a form posted while signed out is a 401 page.
 */
export async function signedIn(deps: ConsoleDeps, request: FastifyRequest, reply: FastifyReply): Promise<PageContext | null> {
  const viewer = await viewerOf(deps, request);
  if (!viewer) {
    if (request.method === 'GET' || request.method === 'HEAD') {
      reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 303);
    } else {
      sendPage(reply, messagePage('Signed out', html`<p>Your session has ended, so nothing was changed. <a href="/signin">Sign in</a> and try again.</p>`), 401);
    }
    return null;
  }
  return { viewer, csrf: csrfToken(request, reply) };
}

export function messagePage(title: string, body: Html, ctx?: PageContext): Html {
  return layout({ title, viewer: ctx?.viewer, csrf: ctx?.csrf, body: html`<h1>${title}</h1>${body}` });
}

/** A refused action or page: the server's own message, the status the API would answer. */
export function refusalPage(reply: FastifyReply, ctx: PageContext | undefined, status: number, message: string): FastifyReply {
  const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status === 401 ? 'Signed out' : 'Not done';
  // A page that was only looked at changed nothing: saying so would only worry people.
  const looked = reply.request.method === 'GET' || reply.request.method === 'HEAD';
  const home = ctx && !isAdmin(ctx.viewer.member) ? html`<a href="/me">Go to My usage</a>` : html`<a href="/">Back to the console</a>`;
  const sentence = `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`;
  return sendPage(reply, messagePage(title, html`<p class="alert" role="alert">${sentence}</p><p>${looked ? '' : 'Nothing was changed. '}${home}</p>`, ctx), status);
}

/**
 * Runs a form's action. Success redirects (303) to `back`; bad input re-renders the
 * page with each message next to its field; a role refusal is a 403 page.
 * `field`: where a ledger refusal without a field of ours is shown.
 */
export async function runForm(
  reply: FastifyReply,
  ctx: PageContext,
  opts: {
    field: string;
    back: string | (() => string);
    action: () => Promise<unknown>;
    rerender: (errors: FieldErrors, status: number) => Promise<Html>;
    /** A page to answer with instead of the redirect to `back` (null: redirect). */
    answer?: () => Html | null;
  },
): Promise<FastifyReply> {
  try {
    await opts.action();
  } catch (err) {
    if (err instanceof FormError) return sendPage(reply, await opts.rerender(err.errors, err.status), err.status);
    if (err instanceof LedgerError) {
      if (err.status === 403 || err.status === 401) return refusalPage(reply, ctx, err.status, err.message);
      return sendPage(reply, await opts.rerender({ [opts.field]: err.message }, err.status), err.status);
    }
    throw err;
  }
  const page = opts.answer?.() ?? null;
  if (page) return sendPage(reply, page);
  return reply.redirect(typeof opts.back === 'string' ? opts.back : opts.back(), 303);
}

/** Adds `saved=<what>` to a page path, for the "Saved" notice after a redirect. */
export function withSaved(path: string, saved: string): string {
  const url = new URL(path, 'http://console.invalid');
  url.searchParams.set('saved', saved);
  return `${url.pathname}${url.search}`;
}
