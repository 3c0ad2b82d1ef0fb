// Claude connection (owners): connect the org to its Anthropic organization with an
// Admin API key, replace the key, or disconnect (after a confirmation page). The key is
// checked and stored by the same service function as the operator's
// PUT /v1/operator/orgs/:slug/anthropic (src/anthropic/connection.ts), audited there,
// and never shown again: the page shows which Anthropic organization, since when and
// who stored the key. Admins see the state read-only; every form checks the stored role.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { connectionView, connectOrg, disconnectOrg, keyStoredBy } from '../../anthropic/connection.js';
import { AnthropicUnavailable } from '../../anthropic/errors.js';
import { adminApiKey } from '../../domain/fields.js';
import { actorLabel, isAdmin, isOwner } from '../../ledger/actors.js';
import { forbidden } from '../../ledger/errors.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { whenText } from '../../notify/email-format.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField, ErrorSlots, fieldId, FormError, parseForm, type FieldErrors } from '../forms.js';
import { messagePage, runForm, signedIn, withSaved, type PageContext } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, roleName, sendPage } from '../layout.js';

export const CLAUDE_PAGE = '/claude';

const SAVED: Record<string, string> = {
  connected: 'Connected: the key was checked with Anthropic and stored encrypted. Requests and limits from Claude appear here within a minute.',
  disconnected: 'Disconnected: the key is deleted and nothing is read from or written to Anthropic any more.',
};

const NO_SECRETS_KEY = 'This service cannot store an Admin API key: the operator has not set SECRETS_KEY (the key that encrypts it). Ask your operator to set SECRETS_KEY and restart the service (docs/claude.md), then connect here.';

const keyForm = z.object({ adminApiKey });

/** Who an audit actor is, in words: a member's name, or the operator. */
async function actorName(deps: ConsoleDeps, orgId: string, actor: string): Promise<string> {
  const id = /^member:([^\s]+)/.exec(actor)?.[1];
  if (!id) return actor === 'operator' ? 'the operator' : actor;
  const m = await deps.db.member.findFirst({ where: { id, orgId }, select: { name: true } });
  return m?.name ?? 'a former member';
}

async function renderClaude(deps: ConsoleDeps, ctx: PageContext, state: { errors?: FieldErrors; saved?: string } = {}): Promise<Html> {
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const view = await connectionView(deps.db, org.id);
  const stored = view.connected ? await keyStoredBy(deps.db, org.id) : null;
  const owner = isOwner(ctx.viewer.member);
  const errors = new ErrorSlots(state.errors);
  const tz = org.timezone;
  const saved = state.saved && SAVED[state.saved] ? html`<p class="notice" role="status">${SAVED[state.saved]}</p>` : '';
  const readOnly = owner ? '' : html`<p class="muted" data-testid="read-only">You are ${roleName(ctx.viewer.member.role).toLowerCase()}: you can see the connection; only owners connect, replace the key or disconnect.</p>`;
  const noKey = deps.anthropic ? '' : html`<p class="alert" role="alert" data-testid="no-secrets-key">${NO_SECRETS_KEY}</p>`;

  const keyInput = (key: string, label: string, button: string) => html`<form method="post" action="${CLAUDE_PAGE}/${key}">${csrfField(ctx.csrf)}
<label for="${fieldId(`${key}.adminApiKey`)}">${label}</label>
<input id="${fieldId(`${key}.adminApiKey`)}" name="adminApiKey" type="password" autocomplete="off" spellcheck="false" size="50"${errors.attrs(`${key}.adminApiKey`)}>
<button type="submit">${button}</button>${errors.text(`${key}.adminApiKey`)}</form>`;

  const help = html`<p class="muted">Create the key in the Claude Console (Settings › Admin keys) as an owner of your Claude organization. It needs read access to the organization and its users, and read/write access to spend limits and spend limit increase requests. It is checked with Anthropic, stored encrypted and never shown again.</p>`;

  const body = view.connected
    ? html`<section class="card" aria-labelledby="h-state"><h2 id="h-state">Connected</h2>
<ul class="kv" data-testid="connection">
<li>Claude organization: <strong data-testid="anthropic-org">${view.anthropicOrganization!.name}</strong> <span class="muted">(${view.anthropicOrganization!.id})</span></li>
<li>Connected since ${whenText(view.connectedAt!, tz)}</li>
${stored ? html`<li data-testid="stored-by">Key stored ${whenText(stored.at, tz)} by ${await actorName(deps, org.id, stored.actor)}</li>` : ''}
<li>Last read from Anthropic: ${view.lastSyncedAt ? whenText(view.lastSyncedAt, tz) : 'not yet'}</li>
</ul>
${view.lastError ? html`<p class="alert" role="alert" data-testid="last-error">The last poll did not reach Anthropic: ${view.lastError}</p>` : ''}
</section>
${owner && deps.anthropic ? html`<section class="card" aria-labelledby="h-replace"><h2 id="h-replace">Replace the key</h2>${help}
<p class="muted">The new key must belong to the same Claude organization; to connect another one, disconnect first.</p>
${keyInput('replace', 'New Admin API key', 'Replace key')}</section>` : ''}
${owner ? html`<section class="card" aria-labelledby="h-disconnect"><h2 id="h-disconnect">Disconnect</h2>
<p>Disconnecting deletes the key. Requests from Claude still open here are no longer tracked: admins' copies in Slack and Teams say to decide them in claude.ai.</p>
<p><a class="button secondary" href="${CLAUDE_PAGE}/disconnect">Disconnect…</a></p></section>` : ''}`
    : html`<section class="card" aria-labelledby="h-connect"><h2 id="h-connect">Not connected</h2>
<p>Connect this organisation to its Claude Team or Enterprise organization: your members' "Request extra usage" clicks in Claude reach your admins here and in Slack and Teams, and members' spend limits in Claude are shown and edited here.</p>
${owner && deps.anthropic ? html`${help}${keyInput('connect', 'Admin API key', 'Connect')}` : ''}</section>`;

  return layout({
    title: 'Claude connection', viewer: ctx.viewer, csrf: ctx.csrf, current: CLAUDE_PAGE,
    body: html`<h1>Claude connection</h1><p class="muted">${org.name} · Anthropic Admin API</p>${saved}${errors.leftover()}${noKey}${readOnly}${body}`,
  });
}

/** Anthropic out of reach while checking a key: what happened, in words, beside the field. */
function unreachable(field: string, err: AnthropicUnavailable): FormError {
  const what = err.fault.kind === 'unreachable'
    ? 'Anthropic could not be reached (a network failure or a timeout)'
    : err.fault.kind === 'rate_limited' ? 'Anthropic asked us to slow down (429)' : 'Anthropic is not answering now (a server error)';
  return new FormError({ [field]: `${what}, so the key could not be checked. Nothing was stored; try again in a moment.` }, 503);
}

/** From the stored role of the member signed in, never from what the form says. */
function ownerOnly(ctx: PageContext): void {
  const m = ctx.viewer.member;
  if (!isOwner(m)) throw forbidden(`${m.name} is ${roleName(m.role).toLowerCase()}: only an owner connects the organisation to Claude, replaces its key or disconnects it`);
}

export function claudeConnectionPage(app: FastifyInstance, deps: ConsoleDeps) {
  const csrf = { preHandler: app.csrfProtection };

  app.get(CLAUDE_PAGE, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    const q = z.object({ saved: z.string().max(20).optional().catch(undefined) }).parse(request.query ?? {});
    return sendPage(reply, await renderClaude(deps, ctx, { saved: q.saved }));
  });

  // Connect and Replace key: the same check-then-store as the operator's route.
  for (const key of ['connect', 'replace'] as const) {
    app.post(`${CLAUDE_PAGE}/${key}`, csrf, async (request, reply) => {
      const ctx = await signedIn(deps, request, reply);
      if (!ctx) return reply;
      const field = `${key}.adminApiKey`;
      return runForm(reply, ctx, {
        field,
        back: withSaved(CLAUDE_PAGE, 'connected'),
        action: async () => {
          ownerOnly(ctx);
          const v = parseForm(keyForm, request.body, `${key}.`);
          if (!deps.anthropic) throw new FormError({ [field]: NO_SECRETS_KEY }, 503);
          try {
            await connectOrg(deps.db, deps.anthropic, ctx.viewer.org.id, v.adminApiKey, actorLabel(ctx.viewer.member));
          } catch (err) {
            if (err instanceof AnthropicUnavailable) throw unreachable(field, err);
            throw err;
          }
        },
        // The key typed is never written back into the page.
        rerender: (errors) => renderClaude(deps, ctx, { errors }),
      });
    });
  }

  // Disconnect asks first, on a page of its own (no script needed).
  app.get(`${CLAUDE_PAGE}/disconnect`, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isOwner(ctx.viewer.member)) return reply.redirect(CLAUDE_PAGE, 303);
    const view = await connectionView(deps.db, ctx.viewer.org.id);
    if (!view.connected) return reply.redirect(CLAUDE_PAGE, 303);
    return sendPage(reply, messagePage('Disconnect from Claude?', html`<p>This deletes the Admin API key of <strong>${view.anthropicOrganization!.name}</strong>. Nothing is read from or written to Anthropic any more: requests from Claude still open here are no longer tracked, and admins' copies in Slack and Teams say to decide them in claude.ai. Members' requests stay open in Claude.</p>
<form method="post" action="${CLAUDE_PAGE}/disconnect" class="inline">${csrfField(ctx.csrf)}<input type="hidden" name="confirm" value="yes"><button type="submit" class="danger">Disconnect from Claude</button></form>
<a href="${CLAUDE_PAGE}">Cancel</a>`, ctx));
  });

  app.post(`${CLAUDE_PAGE}/disconnect`, csrf, async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    return runForm(reply, ctx, {
      field: 'disconnect.confirm',
      back: withSaved(CLAUDE_PAGE, 'disconnected'),
      action: async () => {
        ownerOnly(ctx);
        parseForm(z.object({ confirm: z.literal('yes', { error: 'confirm on the Disconnect page' }) }), request.body, 'disconnect.');
        await disconnectOrg(deps.db, ctx.viewer.org.id, actorLabel(ctx.viewer.member));
      },
      rerender: (errors) => renderClaude(deps, ctx, { errors }),
    });
  });
}
