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
import { redirectWithPage } from './flash.js';
import { csrfUserInfo, viewerOf, type Viewer } from './session.js';

export interface PageContext {
  viewer: Viewer;
  csrf: string;
  /** What the page was given (a form's failure page is kept through the redirect with it). */
  deps: ConsoleDeps;
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
  return { viewer, csrf: csrfToken(request, reply), deps };
}

export function messagePage(title: string, body: Html, ctx?: PageContext): Html {
  return layout({ title, viewer: ctx?.viewer, csrf: ctx?.csrf, body: html`<h1>${title}</h1>${body}` });
}

/** A refused action or page: the server's own message, the status the API would answer. */
export function refusalPage(reply: FastifyReply, ctx: PageContext | undefined, status: number, message: string): FastifyReply {
  return sendPage(reply, refusalHtml(reply, ctx, status, message), status);
}

function refusalHtml(reply: FastifyReply, ctx: PageContext | undefined, status: number, message: string): Html {
  const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status === 401 ? 'Signed out' : 'Not done';
  // A page that was only looked at changed nothing: saying so would only worry people.
  const looked = reply.request.method === 'GET' || reply.request.method === 'HEAD';
  const home = ctx && !isAdmin(ctx.viewer.member) ? html`<a href="/me">Go to My usage</a>` : html`<a href="/">Back to the console</a>`;
  const sentence = `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`;
  return messagePage(title, html`<p class="alert" role="alert">${sentence}</p><p>${looked ? '' : 'Nothing was changed. '}${home}</p>`, ctx);
}

/**
 * Runs a form's action, then redirects (post-redirect-get: the address stays a page and a
 * reload never sends the form again). Success goes to `back`; bad input goes to the
 * form's page (`back` without its "saved" notice), shown once with each message next to
 * its field and the error summary on top, with the 4xx status; a role refusal is the 403
 * page, at that address too. `field`: where a ledger refusal without a field of ours is shown.
 */
export async function runForm(
  reply: FastifyReply,
  ctx: PageContext,
  opts: {
    field: string;
    back: string | (() => string);
    action: () => Promise<unknown>;
    rerender: (errors: FieldErrors, status: number) => Promise<Html>;
    /** A page to show (once, at the form's page) instead of going to `back` (null: `back`). */
    answer?: () => Html | null;
    /** The form's page, when it is not `back` without "saved". */
    page?: string;
  },
): Promise<FastifyReply> {
  const backPath = () => (typeof opts.back === 'string' ? opts.back : opts.back());
  const kept = async (page: Html, status: number) => redirectWithPage(ctx.deps, reply.request, reply, opts.page ?? withoutSaved(backPath()), page.value, status);
  try {
    await opts.action();
  } catch (err) {
    if (err instanceof FormError) return kept(await opts.rerender(err.errors, err.status), err.status);
    if (err instanceof LedgerError) {
      if (err.status === 403 || err.status === 401) return kept(refusalHtml(reply, ctx, err.status, err.message), err.status);
      return kept(await opts.rerender({ [opts.field]: err.message }, err.status), err.status);
    }
    throw err;
  }
  // An answer (Stripe's Checkout link) is shown at the page's address too.
  const page = opts.answer?.() ?? null;
  if (page) return kept(page, 200);
  return reply.redirect(backPath(), 303);
}

/** A page path without its "saved" notice. */
export function withoutSaved(path: string): string {
  const url = new URL(path, 'http://console.invalid');
  url.searchParams.delete('saved');
  return `${url.pathname}${url.search}`;
}

/** Adds `saved=<what>` to a page path, for the "Saved" notice after a redirect. */
export function withSaved(path: string, saved: string): string {
  const url = new URL(path, 'http://console.invalid');
  url.searchParams.set('saved', saved);
  return `${url.pathname}${url.search}`;
}
