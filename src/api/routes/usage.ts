// The metering hot path a model gateway calls around every model request.
import { z } from 'zod';
import { authorizeUsage } from '../../ledger/authorize.js';
import { recordUsage } from '../../ledger/record.js';
import { defineRoute } from '../route.js';
import { isoInstant, memberRef, modelName, requestInstant } from '../schemas.js';
import type { ApiDeps } from '../server.js';

const tokens = z.number().int().nonnegative().max(2_000_000_000);

export const usageObject = z.looseObject({
  input_tokens: tokens,
  output_tokens: tokens,
  cache_creation_input_tokens: tokens.nullable().optional(),
  cache_read_input_tokens: tokens.nullable().optional(),
  cache_creation: z.looseObject({
    ephemeral_5m_input_tokens: tokens.nullable().optional(),
    ephemeral_1h_input_tokens: tokens.nullable().optional(),
  }).nullable().optional(),
}).describe('The Messages API `usage` object, as the model returned it');

export const authorizeBody = z.object({ member: memberRef, model: modelName, at: isoInstant.optional() }).strict();
export const recordBody = z.object({
  requestId: z.string().min(1).max(200).describe('Unique per request; a retry with the same id counts once'),
  member: memberRef,
  model: modelName,
  usage: usageObject,
  at: isoInstant.optional(),
}).strict();

const authorizeResponse = z.union([
  z.object({ allowed: z.literal(true), mode: z.enum(['included', 'extra']), memberId: z.string() }),
  z.object({
    allowed: z.literal(false),
    reason: z.enum(['seat_limit_reached', 'extra_usage_disabled', 'member_cap_reached', 'seat_tier_cap_reached', 'org_cap_reached', 'balance_exhausted']),
    resetsAt: z.string().nullable(),
    canRequestExtraUsage: z.boolean(),
    memberId: z.string(),
  }),
]);

const recordResponse = z.object({
  requestId: z.string(), memberId: z.string(), model: z.string(), period: z.string(),
  cost: z.string(), included: z.string(), extra: z.string(), memberMonthToDateExtra: z.string(), balance: z.string().optional(),
});

export function usageRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'POST', url: '/v1/usage/authorize', tag: 'metering', auth: 'usage',
      summary: 'Before a model request: may this member proceed, as included or extra usage?',
      body: authorizeBody, response: authorizeResponse,
      async handler({ body, auth }) {
        const now = deps.now();
        const at = requestInstant(body.at, now) ?? now;
        const d = await authorizeUsage(deps.db, { orgId: auth.org!.id, member: body.member, model: body.model, at });
        return d.allowed ? d : { ...d, resetsAt: d.resetsAt?.toISOString() ?? null };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/usage/record', tag: 'metering', auth: 'usage',
      summary: 'After a model request: record its usage, priced at API rates. Idempotent on requestId.',
      body: recordBody, response: recordResponse,
      async handler({ body, auth, reply }) {
        const now = deps.now();
        const at = requestInstant(body.at, now);
        const result = await recordUsage(deps.db, { orgId: auth.org!.id, requestId: body.requestId, member: body.member, model: body.model, usage: body.usage, at }, now);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return result.response;
      },
    }),
  ];
}
