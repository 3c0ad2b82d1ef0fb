// The metering hot path a model gateway calls around every model request.
import { z } from 'zod';
import { authorizeUsage } from '../../ledger/metering/authorize.js';
import { recordBatcherOf } from '../../ledger/metering/record-batch.js';
import { reserveUsage } from '../../ledger/metering/reservations.js';
import { invalid } from '../../ledger/errors.js';
import { refuseAtBeforePrices } from '../../ledger/metering/prices.js';
import { metricsOf } from '../../observability/metrics.js';
import { defineRoute } from '../route.js';
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS } from '../../domain/requests.js';
import { withRequestRule } from '../../ledger/requests/request-eligibility.js';
import { isoInstant, memberRef, modelName, requestInstant, text } from '../schemas.js';
import type { ApiDeps } from '../server.js';
import { productName } from './products.js';
import { REFUSAL_REASONS } from '../../domain/refusal-words.js';
import type { Plan } from '../../domain/caps.js';
import { refusalMessage, type RefusedDecision } from '../../ledger/metering/refusal-message.js';

const tokens = z.number().int().nonnegative().max(2_000_000_000);

// Fields the Messages API adds later pass through as plain values: a scalar, or arrays
// and objects of them up to three levels deep (the beta `iterations`, an array of
// per-iteration usage objects with their own cache_creation, is the deepest the SDK
// types): never unbounded nesting.
const usageScalar = z.union([z.number(), text(200, { min: 0 }), z.boolean(), z.null()]);
const nested = (inner: z.ZodType) => z.union([usageScalar, z.array(inner).max(100), z.record(text(100), inner)]);
const usageExtra = nested(nested(nested(usageScalar)));

export const usageObject = z.object({
  // Null as a streamed message_delta types them (counted as 0).
  input_tokens: tokens.nullable(),
  output_tokens: tokens.nullable(),
  cache_creation_input_tokens: tokens.nullable().optional(),
  cache_read_input_tokens: tokens.nullable().optional(),
  cache_creation: z.object({
    ephemeral_5m_input_tokens: tokens.nullable().optional(),
    ephemeral_1h_input_tokens: tokens.nullable().optional(),
  }).catchall(usageScalar).nullable().optional(),
  // Priced by the price book's fees and multipliers (docs/api.md, "Fees and multipliers").
  server_tool_use: z.object({
    web_search_requests: tokens.nullable().optional().describe('Billed per search (fee row web_search_requests)'),
    web_fetch_requests: tokens.nullable().optional().describe('Billed per fetch (fee row web_fetch_requests)'),
  }).catchall(usageScalar).nullable().optional(),
  service_tier: text(100).nullable().optional().describe('standard | priority | batch: a multiplier row of dimension service_tier'),
  inference_geo: text(100).nullable().optional().describe('e.g. global | us: a multiplier row of dimension inference_geo'),
  speed: text(100).nullable().optional().describe('standard | fast: a multiplier row of dimension speed'),
}).catchall(usageExtra).describe('The Messages API `usage` object, as the model returned it');

const estimate = z.object({
  input_tokens: tokens.describe('Every prompt token: input plus cache writes and reads'),
  max_tokens: tokens.describe('The max_tokens the model request asks for'),
  web_search_requests: tokens.nullable().optional().describe('At most this many web searches (the tool\'s max_uses): their fees are held too'),
  web_fetch_requests: tokens.nullable().optional().describe('At most this many web fetches'),
  service_tier: text(100).nullable().optional().describe('The tier asked for (e.g. batch): its multiplier applies to the hold'),
  inference_geo: text(100).nullable().optional().describe('The inference geography asked for (e.g. us)'),
  speed: text(100).nullable().optional().describe('The speed asked for (e.g. fast)'),
}).strict().describe('Reservation mode: an upper bound held against every cap until the record with the same requestId settles it');

export const authorizeBody = z.object({
  member: memberRef,
  model: modelName,
  at: isoInstant.optional(),
  requestId: text(200).optional().describe('Required with estimate: the record that settles the reservation carries the same id'),
  estimate: estimate.optional(),
  product: productName.optional(),
}).strict();
export const recordBody = z.object({
  requestId: text(200).describe('Unique per request; a retry with the same id counts once'),
  member: memberRef,
  model: modelName,
  usage: usageObject,
  at: isoInstant.optional(),
  product: productName.optional(),
}).strict();

const authorizeResponse = z.union([
  z.object({
    allowed: z.literal(true), mode: z.enum(['included', 'extra']), memberId: z.string(),
    reservation: z.object({ requestId: z.string(), held: z.string(), includedHeld: z.string(), extraHeld: z.string(), expiresAt: z.string() }).optional(),
  }),
  z.object({
    allowed: z.literal(false),
    reason: z.enum(REFUSAL_REASONS)
      .describe('The first limit that stops the member, in the cap order of docs/api.md (model_unpriced first, then the rest in that order). product_not_enabled: extra usage on this product is off for the member (resetsAt: the seat window\'s end); product_cap_reached: their cap on this product (resetsAt: the month\'s end). model_unpriced: the price book has no price for the model (or its family) and the org set no unknownModelFallback; resetsAt is null'),
    resetsAt: z.string().nullable(),
    message: z.string().describe('The refusal in words, for the person refused, as every channel says it (src/domain/refusal-words.ts): what stopped them, when it lifts in the org\'s timezone, and the next step with the console link where they act. Self-contained: a gateway shows it as it is'),
    canRequestExtraUsage: z.boolean(),
    memberId: z.string(),
  }),
]);

/** A refusal as the API answers it: the machine fields and the one wording of it. */
async function refusalAnswer(db: ApiDeps['db'], d: RefusedDecision, org: { plan: Plan; timezone: string }, facts: { consoleUrl: string | null; product?: string; model: string }) {
  const message = await refusalMessage(db, d, { ...facts, timezone: org.timezone, plan: org.plan });
  return { allowed: false as const, reason: d.reason, resetsAt: d.resetsAt?.toISOString() ?? null, message, canRequestExtraUsage: d.canRequestExtraUsage, memberId: d.memberId };
}

const recordResponse = z.object({
  requestId: z.string(), memberId: z.string(),
  model: z.string().describe('The model id as sent'),
  family: z.string().describe('The price-book family the id names (itself when it is no alias), whose rates priced it'),
  period: z.string(),
  product: z.string().optional().describe('The product the record named (left out: unspecified)'),
  priced: z.boolean().describe('false: no price for it yet; it is kept, counted nowhere (cost, included and extra are "0.00") and priced once a price for it exists'),
  unpricedReason: z.enum(['model_unpriced', 'fee_unpriced', 'modifier_unpriced']).optional()
    .describe('Why it is unpriced (priced: false only): no price for the model, for a fee it calls for (web search or fetch), or for its service tier, inference geography or speed'),
  cost: z.string(), included: z.string(), extra: z.string(), memberMonthToDateExtra: z.string(), balance: z.string().optional(),
  flags: z.array(z.enum(['cache_breakdown_mismatch', 'fallback_price', 'priced_late', 'over_product_cap', 'cost_differs_from_client'])).optional()
    .describe('cache_breakdown_mismatch: cache_creation did not add up to cache_creation_input_tokens (the total was billed, docs/api.md); fallback_price: priced at the org\'s unknownModelFallback family; priced_late: priced after it was recorded; over_product_cap: its extra usage took the member past their cap on its product (counted in full all the same); cost_differs_from_client: the client\'s own cost (Claude Code telemetry\'s cost_usd) differs from ours by more than $0.000001'),
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
        422: '`at` is more than 5 minutes ahead or before the first price (already in force) of the model\'s family, the org enforces reservations and estimate or requestId is missing, or `product` is neither built in nor declared by the org',
      },
      async handler({ body, auth }) {
        const now = deps.now();
        const at = requestInstant(body.at, now) ?? now;
        if (body.at) await refuseAtBeforePrices(deps.db, body.model, at, now);
        const org = auth.org!;
        const words = { consoleUrl: deps.consoleUrl ?? deps.console?.publicUrl ?? null, model: body.model, ...(body.product ? { product: body.product } : {}) };
        if (body.estimate || org.enforcementMode === 'reserve') {
          if (!body.estimate) throw invalid('estimate', 'this organisation enforces caps with reservations: send estimate {input_tokens, max_tokens} and a requestId');
          if (!body.requestId) throw invalid('requestId', 'a reservation needs the requestId its record will carry');
          const d = await withRequestRule(deps.db, await reserveUsage(deps.db, { orgId: org.id, requestId: body.requestId, member: body.member, model: body.model, at, estimate: body.estimate, ttlMs: deps.reservationTtlMs, product: body.product }, now), now, cooldown);
          return d.allowed ? d : refusalAnswer(deps.db, d, org, words);
        }
        const d = await withRequestRule(deps.db, await authorizeUsage(deps.db, { orgId: org.id, member: body.member, model: body.model, at, timezone: org.timezone, product: body.product }), now, cooldown);
        return d.allowed ? d : refusalAnswer(deps.db, d, org, words);
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/usage/record', tag: 'metering', auth: 'usage',
      summary: 'After a model request: record its usage, priced at API rates (kept unpriced, counted nowhere, until its model has a price). Idempotent on requestId.',
      body: recordBody, response: recordResponse,
      refusals: {
        404: 'member names no member of the organisation (a member removed since is still recorded and billed)',
        409: 'requestId was already recorded with a different body, or is another member\'s request',
        422: '`at` is more than 5 minutes ahead or before the first price (already in force) of the model\'s family, `product` is neither built in nor declared by the org, or the usage would take a month-to-date total past what the ledger holds. A model without a price is never refused: it is kept unpriced (priced: false)',
      },
      async handler({ body, auth, reply, request }) {
        const now = deps.now();
        const at = requestInstant(body.at, now);
        if (at) await refuseAtBeforePrices(deps.db, body.model, at, now);
        // Group commit: concurrent records share one transaction (src/ledger/metering/record-batch.ts).
        const result = await recordBatcherOf(deps.db).submit({ orgId: auth.org!.id, requestId: body.requestId, member: body.member, model: body.model, usage: body.usage, at, product: body.product }, now);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        // The operators' alert: usage the price book cannot price yet (listed at GET /v1/operator/usage/unpriced).
        else if (result.unpriced) request.log.warn({ org: auth.org!.slug, requestId: body.requestId, model: body.model, family: result.response.family, reason: result.unpriced.reason }, 'usage recorded without a price: add a price (or an alias) for it; it is counted once priced');
        // Counted once, after the commit: a replay carries the flag but counts nothing.
        if (result.overHold) metricsOf(deps).reservationExceeded(auth.org!.slug, result.overHold.excessNanos);
        return result.response;
      },
    }),
  ];
}
