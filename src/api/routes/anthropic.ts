// The operator connects an org to its Anthropic (Claude Team / Enterprise) organization:
// the Admin API key is checked with a read call, stored encrypted, and never answered.
import { z } from 'zod';
import { connectionView, connectOrg, disconnectOrg } from '../../anthropic/connection.js';
import { effectiveLimitsOf } from '../../anthropic/effective-limits.js';
import { setMemberLimit } from '../../anthropic/member-limits.js';
import { adminApiKey } from '../../domain/fields.js';
import { parseUsd } from '../../domain/money.js';
import { requireAdmin } from '../../ledger/actors.js';
import { memberRef } from '../schemas.js';
import { AnthropicUnavailable } from '../../anthropic/errors.js';
import { OPERATOR_ACTOR } from '../../ledger/actors.js';
import { HttpError } from '../errors.js';
import { orgBySlug, slugParams } from '../org-params.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from '../server.js';

const connectionResponse = z.object({
  connected: z.boolean(),
  anthropicOrganization: z.object({ id: z.string(), name: z.string() }).nullable(),
  connectedAt: z.string().nullable(),
  lastSyncedAt: z.string().nullable(),
  lastError: z.string().nullable(),
});

export function anthropicRoutes(deps: ApiDeps) {
  const settings = () => {
    if (!deps.anthropic) throw new HttpError(503, 'unavailable', 'SECRETS_KEY is not set, so no Admin API key can be stored: set it (docs/claude.md) and restart');
    return deps.anthropic;
  };
  return [
    defineRoute({
      method: 'PUT', url: '/v1/operator/orgs/:slug/anthropic', tag: 'operator', auth: 'operator',
      summary: 'Connect the org to its Anthropic organization with an Admin API key (checked with a read call, stored encrypted, never returned); sending a new key replaces the old one',
      params: slugParams,
      body: z.object({ adminApiKey }).strict(),
      response: connectionResponse,
      refusals: { 404: 'No organisation has this slug', 422: 'Anthropic refused the key (field adminApiKey): nothing stored', 503: 'SECRETS_KEY is not set, or Anthropic could not be reached: nothing stored' },
      async handler({ params, body }) {
        const anthropic = settings();
        const org = await orgBySlug(deps.db, params.slug);
        return unavailableIs503('Nothing was stored', () => connectOrg(deps.db, anthropic, org.id, body.adminApiKey, OPERATOR_ACTOR));
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/orgs/:slug/anthropic', tag: 'operator', auth: 'operator',
      summary: 'Whether the org is connected to Anthropic, to which organization, and its last poll (never the key)',
      params: slugParams, response: connectionResponse,
      refusals: { 404: 'No organisation has this slug' },
      async handler({ params }) {
        return connectionView(deps.db, (await orgBySlug(deps.db, params.slug)).id);
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/claude/limits', tag: 'claude', auth: 'person',
      summary: 'A connected org: each member\'s effective spend limit per period as Anthropic last reported it, where it comes from (their own, seat tier, group, organization) and their spend so far (admins and owners)',
      response: z.object({ connection: connectionResponse, members: z.array(z.object({
        memberId: z.string(), externalId: z.string(), name: z.string(), period: z.string(), limit: z.string().nullable(), spent: z.string(),
        source: z.string(), sourceRef: z.string().nullable(), sourceEditableHere: z.boolean(), fetchedAt: z.string(),
      })) }),
      async handler({ auth }) {
        requireAdmin(auth.actor!);
        return { connection: await connectionView(deps.db, auth.org!.id), members: await effectiveLimitsOf(deps.db, auth.org!.id) };
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/claude/members/:member/limit', tag: 'claude', auth: 'person',
      summary: 'A connected org: "Edit limit" (amount) or "Set to unlimited" (amount null) for one member\'s own spend limit in a period, written at Anthropic and audited (owners). Seat-tier, group and organization limits are changed in claude.ai',
      params: z.object({ member: memberRef }),
      body: z.object({
        amount: z.string().regex(/^\d{1,9}(\.\d{1,2})?$/, 'must be a USD amount with at most 2 decimals, e.g. "100.00"').nullable().describe('USD; null: no limit of their own for this period'),
        period: z.enum(['daily', 'weekly', 'monthly']),
      }).strict(),
      refusals: {
        404: 'member names no active member',
        409: 'The org is not connected, or Anthropic has not enabled spend limit writes through the Admin API for it (the message says what to do)',
        422: 'The member is not a user of the Claude organization, or Anthropic refused the amount',
        503: 'SECRETS_KEY is not set, or Anthropic could not be reached: nothing changed',
      },
      async handler({ auth, params, body }) {
        return unavailableIs503('Nothing was changed', () => setMemberLimit(deps.db, settings(), auth.org!.id, auth.actor!, params.member, { amountNanos: body.amount === null ? null : parseUsd(body.amount, 2)!, period: body.period, via: auth.actor!.via, at: deps.now() }));
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/v1/operator/orgs/:slug/anthropic', tag: 'operator', auth: 'operator',
      summary: 'Disconnect the org from Anthropic: the key is deleted, polling stops, and each request from Claude pending here ends as untracked (no longer tracked here: decided in claude.ai; admins\' chat copies say so, the member is not told)',
      params: slugParams, response: connectionResponse,
      refusals: { 404: 'No organisation has this slug, or it is not connected' },
      async handler({ params }) {
        return disconnectOrg(deps.db, (await orgBySlug(deps.db, params.slug)).id, OPERATOR_ACTOR);
      },
    }),
  ];
}

/** Anthropic out of reach is a 503 saying that nothing happened, so the caller may simply try again. */
async function unavailableIs503<T>(nothing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AnthropicUnavailable) throw new HttpError(503, 'unavailable', `${err.message}. ${nothing}; try again.`);
    throw err;
  }
}
