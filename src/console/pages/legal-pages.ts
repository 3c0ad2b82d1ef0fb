// Privacy notice and terms: the operator's own text (PRIVACY_TEXT / TERMS_TEXT, or
// files named by PRIVACY_FILE / TERMS_FILE), else a plain default. Public pages:
// the Teams manifest links to them.
import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../deps.js';
import { csrfToken } from '../guard.js';
import { html } from '../html.js';
import { layout, sendPage } from '../layout.js';
import { viewerOf } from '../session.js';

export const DEFAULT_PRIVACY = `This service meters the usage of AI models by the members of your organisation so that owners can set and enforce spending limits.

It stores, for each member: a name, an identifier chosen by your organisation, optionally an email address and chat account ids, their role and seat, and the usage recorded for them (model, tokens, cost, time). It stores the settings owners change and an audit log of every change and decision.

The data is used only to enforce limits, bill extra usage, notify people and answer owners' questions about spend. It is kept by the operator of this service, who is responsible for it; ask them to see, correct or delete your data.`;

export const DEFAULT_TERMS = `This service is operated by your organisation or its provider. Extra usage beyond a seat's included allowance is billed at the rates your organisation agreed, within the limits its owners set.

Sign-in links are personal: whoever uses one acts as you. Do not forward them.

The operator may change these terms; the version on this page applies.`;

const paragraphs = (text: string) => text.trim().split(/\n\s*\n/).map((p) => html`<p>${p.trim()}</p>`);

export function legalPages(app: FastifyInstance, deps: ConsoleDeps) {
  for (const [url, title, text] of [['/privacy', 'Privacy', deps.privacyText ?? DEFAULT_PRIVACY], ['/terms', 'Terms of use', deps.termsText ?? DEFAULT_TERMS]] as const) {
    app.get(url, async (request, reply) => {
      const viewer = await viewerOf(deps, request);
      return sendPage(reply, layout({ title, viewer, csrf: viewer ? csrfToken(request, reply) : undefined, body: html`<h1>${title}</h1><div class="legal">${paragraphs(text)}</div>` }));
    });
  }
}
