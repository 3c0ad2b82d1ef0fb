// Requests for more usage over HTTP: a member asks, admins list and decide. The
// decision goes through the request workflow's Update and is answered in place.
import { z } from 'zod';
import { isAdmin } from '../../ledger/actors.js';
import { listRequests } from '../../ledger/requests/requests.js';
import { defineRoute } from '../route.js';
import { capAmount, text } from '../schemas.js';
import { HttpError } from '../errors.js';
import type { ApiDeps } from '../server.js';
import { answerArrives, memberToldWhere } from '../../domain/notice-channels.js';
import { noticeChannelsOfId } from '../../ledger/notices/notice-channels.js';

const statusQuery = z.object({ status: z.enum(['pending', 'approved', 'denied', 'expired', 'cancelled', 'untracked']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });

export function requestRoutes(deps: ApiDeps) {
  const service = () => {
    if (!deps.requests) throw new HttpError(503, 'unavailable', 'requests need the Temporal worker, which is not running in this process');
    return deps.requests;
  };
  const ways = () => deps.console?.signInWays;
  /** Where the asking member will see the answer: only channels that reach them. */
  const arrives = async (auth: { actor?: { id: string } | null; org?: { id: string } | null }, to: 'admin' | 'owners') => {
    const channels = (await noticeChannelsOfId(deps.db, auth.org!.id, auth.actor!.id, ways())) ?? [];
    return `Request sent to ${to}. ${answerArrives(channels)}`;
  };
  return [
    defineRoute({
      method: 'POST', url: '/v1/requests', tag: 'requests', auth: 'person', status: 202,
      summary: 'The acting member asks admins for more usage (one open request per member; asking again answers 200 with the open one)',
      body: z.object({ note: text(500, { min: 0, multiline: true }).nullable().default(null) }).strict(),
      otherSuccess: { 200: 'The member already had an open request: that one, with alreadyOpen true' },
      refusals: { 409: 'The member was denied recently and must wait before asking again', 422: 'The member may not ask (e.g. they already have extra usage)', 503: 'The request workflows are not running in this process' },
      async handler({ auth, body, reply }) {
        const asked = await service().ask(auth.org!.id, auth.actor!.id, body.note);
        if (asked.alreadyOpen) reply.status(200);
        const r = asked.request;
        return { requestId: r.requestId, workflowId: asked.workflowId, alreadyOpen: asked.alreadyOpen, status: r.status, requestedAt: r.requestedAt, message: await arrives(auth, 'admin') };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/requests/raise-limit', tag: 'requests', auth: 'person', status: 202,
      summary: 'The acting member, stopped by a cap (their own, their seat tier\'s or the organisation\'s), asks owners to raise it; one open request per member',
      body: z.object({
        note: text(500, { min: 0, multiline: true }).nullable().default(null),
        amount: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a USD amount with at most 2 decimals, e.g. "100.00"').nullable().default(null).describe('The new monthly limit asked for; absent: the suggestion (the cap plus the spend rate to month end, whole dollars up)'),
      }).strict(),
      refusals: { 409: 'The member already has an open request, or was denied recently', 422: 'No cap stops the member, or the amount is not above the cap or is above the organisation\'s cap', 503: 'The request workflows are not running in this process' },
      async handler({ auth, body }) {
        const asked = await service().askRaise(auth.org!.id, auth.actor!.id, { note: body.note, amount: body.amount });
        const r = asked.request;
        return { requestId: r.requestId, workflowId: asked.workflowId, status: r.status, requestedAt: r.requestedAt, raise: r.raise, message: await arrives(auth, 'owners') };
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/requests', tag: 'requests', auth: 'person',
      summary: 'Requests of the org (admins and owners), or the acting member\'s own',
      query: statusQuery,
      async handler({ auth, query }) {
        const all = await listRequests(deps.db, auth.org!.id, query.status, query.limit);
        return { requests: isAdmin(auth.actor!) ? all : all.filter((r) => r.requester.memberId === auth.actor!.id) };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/requests/:requestId/decision', tag: 'requests', auth: 'person',
      summary: 'An admin or owner other than the requester decides: upgrade the seat, enable extra usage (optional cap), or deny; a request from Claude (a connected org, docs/claude.md): increase_limit with amount and period, or deny; a request to raise a limit: an owner, increase_limit with amount (the new monthly limit), or deny',
      params: z.object({ requestId: text(200) }),
      refusals: { 404: 'No request of this organisation has this id', 409: 'The request is already decided, or another admin is deciding it', 422: 'The decision does not apply (e.g. upgrading a premium seat)', 503: 'The request workflows are not running in this process' },
      body: z.object({
        decision: z.enum(['upgrade_seat', 'enable_extra_usage', 'deny', 'increase_limit']),
        cap: capAmount.optional().describe('With enable_extra_usage: the member cap, or null for unlimited'),
        reason: text(500, { min: 0, multiline: true }).nullable().optional().describe('With deny: shown to the member'),
        turnOnForSelectedMembers: z.boolean().optional().describe('With enable_extra_usage while the org\'s extra usage is off: an owner turns it on for selected members only, in the same audited step'),
        amount: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a USD amount with at most 2 decimals, e.g. "75.00"').optional().describe('With increase_limit: the member\'s new spend limit in USD (a request from Claude), or the new monthly limit (a request to raise a limit)'),
        period: z.enum(['daily', 'weekly', 'monthly']).optional().describe('With increase_limit: the period the new limit resets over'),
      }).strict(),
      async handler({ auth, params, body }) {
        const view = await service().decide(auth.org!.id, params.requestId, auth.actor!.id, { ...body, via: auth.actor!.via });
        // Where the member is told: their console inbox, and only the channels that reach them.
        const channels = (await noticeChannelsOfId(deps.db, view.orgId, view.requester.memberId, ways())) ?? [];
        return { ...view, message: memberToldWhere(view.requester.name, channels) };
      },
    }),
  ];
}
