// Claude Code telemetry that names nobody, kept unattributed: listed to owners and
// operators, and attributed when a member claims their Claude Code user.id or an owner
// or operator maps it (docs/integrations.md#usage-that-names-nobody).
import { z } from 'zod';
import { actorLabel, requireAdmin, requireOwner } from '../../ledger/actors.js';
import { attributeClientUser, listUnattributed, unmapClientUser } from '../../ledger/metering/unattributed.js';
import { orgBySlug, slugParams } from '../org-params.js';
import { defineRoute } from '../route.js';
import { memberRef, text } from '../schemas.js';
import type { ApiDeps } from '../server.js';

const userId = text(200).describe('Claude Code\'s user.id (the `userID` of ~/.claude.json; a hash of the device)');
const listResponse = z.object({
  users: z.array(z.object({ userId: z.string().nullable(), events: z.number().int(), firstAt: z.string(), lastAt: z.string(), clientCost: z.string().describe('What Claude Code said they cost (not billed until attributed, then priced by the price book)') })),
  events: z.array(z.object({
    requestId: z.string(), userId: z.string().nullable(), sessionId: z.string().nullable(), model: z.string(), at: z.string(),
    usage: z.record(z.string(), z.unknown()), clientCost: z.string().nullable(),
  })),
});
const attributionResponse = z.object({
  userId: z.string(), memberId: z.string(), member: z.string(),
  created: z.boolean().describe('false: the user.id was this member\'s already, or was re-mapped'),
  previousMember: z.string().nullable().describe('Re-mapped by an owner or operator: the member it was mapped to before (their recorded usage stays theirs); else null'),
  attributed: z.number().int().describe('Kept events recorded as the member\'s now (each counted once)'),
  notRecorded: z.number().int().describe('Kept events the record path refused (e.g. a time before their model\'s first price): still listed'),
});
const unmapResponse = z.object({ userId: z.string(), member: z.string().describe('The member it was mapped to') });
const limit = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const view = (r: Awaited<ReturnType<typeof attributeClientUser>>) => ({ userId: r.clientUserId, memberId: r.memberId, member: r.member, created: r.created, previousMember: r.previousMember, attributed: r.attributed, notRecorded: r.notRecorded });

export function claudeCodeUserRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'GET', url: '/v1/usage/unattributed', tag: 'metering', auth: 'person',
      summary: 'Claude Code usage that names nobody, kept until attributed: per user.id, and the latest events (admins and owners)',
      query: limit, response: listResponse,
      async handler({ auth, query }) {
        requireAdmin(auth.actor!);
        return listUnattributed(deps.db, auth.org!.id, query.limit);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/claude-code-users/:userId', tag: 'metering', auth: 'person',
      summary: 'Map or re-map a Claude Code user.id to a member (owners; any user.id, seen or not): its kept usage is recorded as theirs, once, and later events from it are theirs; usage recorded already stays whose it was (audited)',
      params: z.object({ userId }), body: z.object({ member: memberRef }).strict(), response: attributionResponse,
      refusals: { 404: 'member names no active member' },
      async handler({ auth, params, body }) {
        requireOwner(auth.actor!);
        return view(await attributeClientUser(deps.db, auth.org!.id, params.userId, body.member, actorLabel(auth.actor!), deps.now(), 'admin'));
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/v1/claude-code-users/:userId', tag: 'metering', auth: 'person',
      summary: 'Remove a Claude Code user.id\'s mapping (owners): its later events are kept unattributed again; usage recorded already stays whose it was (audited)',
      params: z.object({ userId }), response: unmapResponse,
      refusals: { 404: 'The user.id is mapped to nobody' },
      async handler({ auth, params }) {
        requireOwner(auth.actor!);
        const r = await unmapClientUser(deps.db, auth.org!.id, params.userId, actorLabel(auth.actor!));
        return { userId: r.clientUserId, member: r.member };
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/me/claude-code-users/:userId', tag: 'metering', auth: 'person',
      summary: 'Claim a Claude Code user.id as yours (any member), one whose usage was kept here: its kept usage is recorded as yours, once, and later events from it are yours (audited)',
      params: z.object({ userId }), response: attributionResponse,
      refusals: { 404: 'No usage from this user.id was kept here yet', 409: 'The user.id is another member\'s already (an owner can re-map it)' },
      async handler({ auth, params }) {
        const a = auth.actor!;
        return view(await attributeClientUser(deps.db, auth.org!.id, params.userId, a.id, actorLabel(a), deps.now()));
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/orgs/:slug/usage/unattributed', tag: 'operator', auth: 'operator',
      summary: 'An organisation\'s Claude Code usage that names nobody, kept until attributed: per user.id, and the latest events',
      params: slugParams, query: limit, response: listResponse, refusals: { 404: 'No organisation has this slug' },
      async handler({ params, query }) {
        return listUnattributed(deps.db, (await orgBySlug(deps.db, params.slug)).id, query.limit);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/operator/orgs/:slug/claude-code-users/:userId', tag: 'operator', auth: 'operator',
      summary: 'Map or re-map a Claude Code user.id to a member (any user.id, seen or not): its kept usage is recorded as theirs, once, and later events from it are theirs; usage recorded already stays whose it was (audited)',
      params: slugParams.extend({ userId }), body: z.object({ member: memberRef }).strict(), response: attributionResponse,
      refusals: { 404: 'No organisation has this slug, or member names no active member' },
      async handler({ params, body }) {
        return view(await attributeClientUser(deps.db, (await orgBySlug(deps.db, params.slug)).id, params.userId, body.member, 'operator', deps.now(), 'admin'));
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/v1/operator/orgs/:slug/claude-code-users/:userId', tag: 'operator', auth: 'operator',
      summary: 'Remove a Claude Code user.id\'s mapping: its later events are kept unattributed again; usage recorded already stays whose it was (audited)',
      params: slugParams.extend({ userId }), response: unmapResponse,
      refusals: { 404: 'No organisation has this slug, or the user.id is mapped to nobody' },
      async handler({ params }) {
        const r = await unmapClientUser(deps.db, (await orgBySlug(deps.db, params.slug)).id, params.userId, 'operator');
        return { userId: r.clientUserId, member: r.member };
      },
    }),
  ];
}
