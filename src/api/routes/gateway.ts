// The built-in Claude gateway's settings (docs/gateway.md): the operator sets each org's
// upstream Anthropic API key (stored encrypted, never returned); members make their own
// personal gateway keys (shown once) and revoke them, as owners and admins may too.
import { z } from 'zod';
import { BUILT_IN_PRODUCTS } from '../../domain/products.js';
import { createGatewayKey, listGatewayKeys, revokeGatewayKey } from '../../gateway/keys.js';
import { clearUpstreamKey, setUpstreamKey, upstreamKeyView } from '../../gateway/upstream-key.js';
import { failurePolicyView, setFailurePolicy } from '../../gateway/failure-policy.js';
import { isAdmin, OPERATOR_ACTOR } from '../../ledger/actors.js';
import { forbidden, invalid } from '../../ledger/errors.js';
import { HttpError } from '../errors.js';
import { orgBySlug, slugParams } from '../org-params.js';
import { defineRoute } from '../route.js';
import { isoInstant, text } from '../schemas.js';
import type { ApiDeps } from '../server.js';

const upstreamView = z.object({ set: z.boolean(), updatedAt: z.string().nullable() });
const whenLedgerUnreachable = z.enum(['refuse', 'forward']).describe('refuse: 503 at once, nothing forwarded (the default); forward: the org\'s members\' requests go upstream unchecked (for keys this process has seen), each recorded once the ledger is back and audited as gateway.failed_open');
const policyView = z.object({ whenLedgerUnreachable });
const keyView = z.object({
  id: z.string(), memberId: z.string(), name: z.string(),
  prefix: z.string().describe('The key\'s first characters (eug_…), to tell keys apart'),
  product: z.string().nullable().describe('The product its usage is recorded under; null: by User-Agent (claude_code for Claude Code, else api)'),
  createdAt: z.string(), expiresAt: z.string().nullable(), revokedAt: z.string().nullable(),
});

export function gatewayRoutes(deps: ApiDeps) {
  const box = () => {
    if (!deps.anthropic) throw new HttpError(503, 'unavailable', 'SECRETS_KEY is not set, so no upstream key can be stored: set it (docs/gateway.md) and restart');
    return deps.anthropic.box;
  };
  return [
    defineRoute({
      method: 'PUT', url: '/v1/operator/orgs/:slug/gateway/upstream-key', tag: 'operator', auth: 'operator',
      summary: 'Set the org\'s Anthropic API key the Claude gateway forwards with (stored encrypted with SECRETS_KEY, never returned or logged; audited as set); a new key replaces the old one',
      params: slugParams,
      body: z.object({ apiKey: z.string().trim().min(20, 'must be an Anthropic API key (sk-ant-…)').max(500).regex(/^[\x21-\x7e]+$/, 'must be an Anthropic API key (sk-ant-…)') }).strict(),
      response: upstreamView,
      refusals: { 404: 'No organisation has this slug', 503: 'SECRETS_KEY is not set: nothing stored' },
      async handler({ params, body }) {
        const sealer = box();
        const org = await orgBySlug(deps.db, params.slug);
        return setUpstreamKey(deps.db, sealer, org.id, body.apiKey, OPERATOR_ACTOR);
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/orgs/:slug/gateway/upstream-key', tag: 'operator', auth: 'operator',
      summary: 'Whether the org has an upstream key for the Claude gateway (never the key)',
      params: slugParams, response: upstreamView, refusals: { 404: 'No organisation has this slug' },
      async handler({ params }) {
        return upstreamKeyView(deps.db, (await orgBySlug(deps.db, params.slug)).id);
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/v1/operator/orgs/:slug/gateway/upstream-key', tag: 'operator', auth: 'operator',
      summary: 'Delete the org\'s upstream key: its members\' gateway requests answer 503 until another is set (or the deployment-wide GATEWAY_UPSTREAM_API_KEY is used)',
      params: slugParams, response: upstreamView, refusals: { 404: 'No organisation has this slug, or it has no upstream key' },
      async handler({ params }) {
        return clearUpstreamKey(deps.db, (await orgBySlug(deps.db, params.slug)).id, OPERATOR_ACTOR);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/operator/orgs/:slug/gateway/failure-policy', tag: 'operator', auth: 'operator',
      summary: 'What the Claude gateway does for the org while the control plane\'s database is unreachable: refuse (the default) or forward unchecked and record once it is back (audited)',
      params: slugParams,
      body: z.object({ whenLedgerUnreachable }).strict(),
      response: policyView,
      refusals: { 404: 'No organisation has this slug' },
      async handler({ params, body }) {
        return setFailurePolicy(deps.db, (await orgBySlug(deps.db, params.slug)).id, body.whenLedgerUnreachable, OPERATOR_ACTOR);
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/orgs/:slug/gateway/failure-policy', tag: 'operator', auth: 'operator',
      summary: 'What the Claude gateway does for the org while the control plane\'s database is unreachable',
      params: slugParams, response: policyView, refusals: { 404: 'No organisation has this slug' },
      async handler({ params }) {
        return failurePolicyView(deps.db, (await orgBySlug(deps.db, params.slug)).id);
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/me/gateway-keys', tag: 'gateway', auth: 'person', status: 201,
      summary: 'Make a personal gateway key for yourself (any member): the key is in this answer only; Claude Code sends it as ANTHROPIC_API_KEY to <host>/anthropic (audited)',
      body: z.object({
        name: text(100).default('Claude Code'),
        expiresAt: isoInstant.nullable().optional().describe('After this instant the key is refused; unset: no expiry'),
        product: z.enum(BUILT_IN_PRODUCTS).nullable().optional().describe('Owners and admins: record its usage under this product whatever the client says'),
      }).strict(),
      response: keyView.extend({ key: z.string().describe('The key itself: shown once, stored only as a hash') }),
      refusals: { 422: 'expiresAt is not in the future', 403: 'product set by someone who is not an owner or admin' },
      async handler({ auth, body }) {
        const actor = auth.actor!;
        const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
        if (expiresAt && expiresAt <= deps.now()) throw invalid('expiresAt', 'expiresAt must be in the future');
        if (body.product && !isAdmin(actor)) throw forbidden('only owners and admins may fix the product of a key');
        return createGatewayKey(deps.db, actor, { name: body.name, expiresAt, product: body.product ?? null });
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/gateway-keys', tag: 'gateway', auth: 'person',
      summary: 'Gateway keys (never the keys themselves): your own; owners and admins see everyone\'s, or one member\'s with ?member=<member id>',
      query: z.object({ member: text(200).optional() }),
      response: z.object({ keys: z.array(keyView) }),
      async handler({ auth, query }) {
        return { keys: await listGatewayKeys(deps.db, auth.actor!, query.member) };
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/v1/gateway-keys/:id', tag: 'gateway', auth: 'person',
      summary: 'Revoke a gateway key: its member, owners and admins (audited; at once in this process, within 5 s in others)',
      params: z.object({ id: text(100) }), response: keyView,
      refusals: { 404: 'No gateway key of the organisation has this id' },
      async handler({ auth, params }) {
        return revokeGatewayKey(deps.db, auth.actor!, auth.org!.id, params.id);
      },
    }),
  ];
}
