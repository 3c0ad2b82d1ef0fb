// A person's browser asking for an address nobody serves gets a page in the console's
// layout with the way back, not the API's JSON error (programs still get JSON).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../html.js';
import { layout, sendPage } from '../layout.js';
import { CONSOLE_SECURITY_HEADERS } from '../security-headers.js';

/** True for a browser's page load: GET or HEAD, HTML accepted, and not an API path. */
export const wantsPage = (request: FastifyRequest): boolean =>
  (request.method === 'GET' || request.method === 'HEAD') && /text\/html/.test(request.headers.accept ?? '') && !/^\/v1(\/|$)/.test(request.url);

export function notFoundPage(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) reply.header(name, value);
  const body = html`<h1>Page not found</h1>
<p>There is no page at this address. It may have moved, or the link may be cut short.</p>
<p><a class="button" href="/">Go to the console</a></p>`;
  return sendPage(reply, layout({ title: 'Page not found', body }), 404);
}
