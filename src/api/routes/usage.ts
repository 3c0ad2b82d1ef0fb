// The metering hot path a model gateway calls around every model request.
import { z } from 'zod';
import { authorizeUsage } from '../../ledger/authorize.js';
import { recordBatcherOf } from '../../ledger/record-batch.js';
import { reserveUsage } from '../../ledger/reservations.js';
import { invalid } from '../../ledger/errors.js';
import { refuseAtBeforePrices } from '../../ledger/prices.js';
import { metricsOf } from '../../observability/metrics.js';
import { defineRoute } from '../route.js';
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS } from '../../domain/requests.js';
import { withRequestRule } from '../../ledger/request-eligibility.js';
import { isoInstant, memberRef, modelName, requestInstant, text } from '../schemas.js';
import type { ApiDeps } from '../server.js';

const tokens = z.number().int().nonnegative().max(2_000_000_000);

// Fields the Messages API adds later pass through, as plain values only (a scalar, or
// an object of scalars such as server_tool_use): never unbounded nesting.
const usageScalar = z.union([z.number(), text(200, { min: 0 }), z.boolean(), z.null()]);
const usageExtra = z.union([usageScalar, z.record(text(100), usageScalar)]);

export const usageObject = z.object({
  input_tokens: tokens,
  output_tokens: tokens,
  cache_creation_input_tokens: tokens.nullable().optional(),
  cache_read_input_tokens: tokens.nullable().optional(),
  cache_creation: z.object({
    ephemeral_5m_input_tokens: tokens.nullable().optional(),
    ephemeral_1h_input_tokens: tokens.nullable().optional(),
  }).catchall(usageScalar).nullable().optional(),
}).catchall(usageExtra).describe('The Messages API `usage` object, as the model returned it');

const estimate = z.object({
  input_tokens: tokens.describe('Every prompt token: input plus cache writes and reads'),
  max_tokens: tokens.describe('The max_tokens the model request asks for'),
}).strict().describe('Reservation mode: an upper bound held against every cap until the record with the same requestId settles it');

export const authorizeBody = z.object({
  member: memberRef,
  model: modelName,
  at: isoInstant.optional(),
  requestId: text(200).optional().describe('Required with estimate: the record that settles the reservation carries the same id'),
  estimate: estimate.optional(),
}).strict();
export const recordBody = z.object({
  requestId: text(200).describe('Unique per request; a retry with the same id counts once'),
  member: memberRef,
  model: modelName,
  usage: usageObject,
  at: isoInstant.optional(),
}).strict();

const authorizeResponse = z.union([
  z.object({
    allowed: z.literal(true), mode: z.enum(['included', 'extra']), memberId: z.string(),
    reservation: z.object({ requestId: z.string(), held: z.string(), includedHeld: z.string(), extraHeld: z.string(), expiresAt: z.string() }).optional(),
  }),
  z.object({
    allowed: z.literal(false),
    reason: z.enum(['seat_limit_reached', 'extra_usage_disabled', 'member_cap_reached', 'seat_tier_cap_reached', 'org_cap_reached', 'balance_exhausted']),
    resetsAt: z.string().nullable(),
    canRequestExtraUsage: z.boolean(),
    memberId: z.string(),
  }),
]);

const recordResponse = z.object({
  requestId: z.string(), memberId: z.string(),
  model: z.string().describe('The model id as sent'),
  family: z.string().describe('The price-book family the id names (itself when it is no alias), whose rates priced it'),
  period: z.string(),
  cost: z.string(), included: z.string(), extra: z.string(), memberMonthToDateExtra: z.string(), balance: z.string().optional(),
  overHold: z.object({ held: z.string(), excess: z.string() }).optional()
    .describe('Reservation mode: the request cost more than its hold; all of it is counted, and the excess is reported (outbox reservation_exceeded, GET /metrics)'),
});

export function usageRoutes(deps: ApiDeps) {
  const cooldown = deps.requestCooldownAfterDenialMs ?? DEFAULT_COOLDOWN_AFTER_DENIAL_MS;
  return [
    defineRoute({
      method: 'POST', url: '/v1/usage/authorize', tag: 'metering', auth: 'usage',
      summary: 'Before a model request: may this member proceed, as included or extra usage?',
      body: authorizeBody, response: authorizeResponse,
      refusals: {
        404: 'member names no active member',
        409: 'requestId holds another member\'s reservation',
        422: 'The model has no price (at `at`), `at` is more than 5 minutes ahead or before the model\'s first price, or the org enforces reservations and estimate or requestId is missing',
      },
      async handler({ body, auth }) {
        const now = deps.now();
        const at = requestInstant(body.at, now) ?? now;
        if (body.at) await refuseAtBeforePrices(deps.db, body.model, at);
        const org = auth.org!;
        if (body.estimate || org.enforcementMode === 'reserve') {
          if (!body.estimate) throw invalid('estimate', 'this organisation enforces caps with reservations: send estimate {input_tokens, max_tokens} and a requestId');
          if (!body.requestId) throw invalid('requestId', 'a reservation needs the requestId its record will carry');
          const d = await withRequestRule(deps.db, await reserveUsage(deps.db, { orgId: org.id, requestId: body.requestId, member: body.member, model: body.model, at, estimate: body.estimate, ttlMs: deps.reservationTtlMs }, now), now, cooldown);
          return 'resetsAt' in d && d.resetsAt instanceof Date ? { ...d, resetsAt: d.resetsAt.toISOString() } : d;
        }
        const d = await withRequestRule(deps.db, await authorizeUsage(deps.db, { orgId: org.id, member: body.member, model: body.model, at, timezone: org.timezone }), now, cooldown);
        return d.allowed ? d : { ...d, resetsAt: d.resetsAt?.toISOString() ?? null };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/usage/record', tag: 'metering', auth: 'usage',
      summary: 'After a model request: record its usage, priced at API rates. Idempotent on requestId.',
      body: recordBody, response: recordResponse,
      refusals: {
        404: 'member names no active member',
        409: 'requestId was already recorded with a different body, or is another member\'s request',
        422: 'The model has no price at `at`, `at` is more than 5 minutes ahead or before the model\'s first price, or the usage breakdown does not add up',
      },
      async handler({ body, auth, reply }) {
        const now = deps.now();
        const at = requestInstant(body.at, now);
        if (at) await refuseAtBeforePrices(deps.db, body.model, at);
        // Group commit: concurrent records share one transaction (src/ledger/record-batch.ts).
        const result = await recordBatcherOf(deps.db).submit({ orgId: auth.org!.id, requestId: body.requestId, member: body.member, model: body.model, usage: body.usage, at }, now);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        // Counted once, after the commit: a replay carries the flag but counts nothing.
        if (result.overHold) metricsOf(deps).reservationExceeded(auth.org!.slug, result.overHold.excessNanos);
        return result.response;
      },
    }),
  ];
}
