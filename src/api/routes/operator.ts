// Operator endpoints: provision organisations from a document, manage API keys,
// extend the price book.
import { z } from 'zod';
import { formatUsd } from '../../domain/money.js';
import {
  EVERY_FAMILY, FEE_DIMENSIONS, nanosPerRequestToPerThousand, millionthsToMultiplier, MULTIPLIER_DIMENSIONS, multiplierToMillionths, nanosPerTokenToRatePerMillion, ratePerMillionToNanosPerToken,
} from '../../domain/pricing.js';
import { API_KEY_SCOPES, issueApiKey, listApiKeys, revokeApiKey } from '../../ledger/settings/api-keys.js';
import { invalid } from '../../ledger/errors.js';
import { backDatingRefusal, forgetPrices, modifierBackDatingRefusal } from '../../ledger/metering/prices.js';
import { listUnpricedUsage, priceUnpricedUsage } from '../../ledger/metering/unpriced.js';
import { importPriceMap } from '../../ledger/metering/price-import.js';
import { listClientCostDifferences } from '../../ledger/reports/client-cost.js';
import { addModelAlias, listModelAliases, listModelFamilies, refuseAliasAsFamily } from '../../ledger/metering/models.js';
import { orgDocumentSchema } from '../../ledger/settings/org-document.js';
import { provisionOrg } from '../../ledger/settings/provisioning.js';
import { usageOverview } from '../../ledger/reports/reports.js';
import { orgBySlug as orgOfSlug, slugParams } from '../org-params.js';
import { defineRoute } from '../route.js';
import { isoInstant, modelName, text } from '../schemas.js';
import type { ApiDeps } from '../server.js';
import { withDollarAmounts } from '../amounts.js';

const keyParams = slugParams.extend({ keyId: text(200) });

const rate = z.string().regex(/^\d{1,6}(\.\d{1,3})?$/, 'must be USD per million tokens with at most 3 decimals, e.g. "3.75"');
const priceBody = z.object({
  model: modelName,
  effectiveFrom: isoInstant.describe('At least a minute after the call (refused with 422 otherwise), except a model\'s first prices, which may be back-dated to its first usage (see GET /v1/operator/usage/unpriced)'),
  // A whole number of prompt tokens, like the token counts the gateway records.
  longContextAboveTokens: z.number().int().min(0).max(2_000_000_000).default(0).describe('0 for the base rate; e.g. 200000 for a long-context tier'),
  perMillionTokens: z.object({ input: rate, cacheWrite5m: rate, cacheWrite1h: rate, cacheRead: rate, output: rate }).strict(),
}).strict();

const FEE = new Set<string>(FEE_DIMENSIONS);
const modifierBody = z.object({
  family: modelName.describe('A price-book family, or "*" for every family (a family\'s own row wins over "*")'),
  dimension: z.enum([...FEE_DIMENSIONS, ...MULTIPLIER_DIMENSIONS]).describe('web_search_requests / web_fetch_requests: a fee per request; service_tier / inference_geo / speed: a multiplier of the token cost'),
  value: text(100).optional().describe('Multipliers: the usage object\'s value it applies to (batch, priority, us, fast, …); fees: leave out'),
  effectiveFrom: isoInstant.describe('At least a minute after the call, except the first row for a fee or value (no row for it, for the family nor for "*"), which may be back-dated'),
  perThousandRequests: z.string().regex(/^\d{1,6}(\.\d{1,3})?$/, 'must be USD per 1,000 requests with at most 3 decimals, e.g. "10.00"').optional().describe('Fees: USD per 1,000 requests ("10.00" = $0.01 a request)'),
  multiplier: z.string().regex(/^\d{1,3}(\.\d{1,6})?$/, 'must be a multiplier with at most 6 decimals, e.g. "0.5"').optional().describe('Multipliers: e.g. "0.5" (half price), "1.1"'),
}).strict().superRefine((b, ctx) => {
  if (FEE.has(b.dimension)) {
    if (b.perThousandRequests === undefined) ctx.addIssue({ code: 'custom', path: ['perThousandRequests'], message: 'a fee needs perThousandRequests' });
    if (b.multiplier !== undefined) ctx.addIssue({ code: 'custom', path: ['multiplier'], message: 'a fee has no multiplier' });
    if (b.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a fee has no value' });
  } else {
    if (b.multiplier === undefined) ctx.addIssue({ code: 'custom', path: ['multiplier'], message: 'a multiplier needs multiplier' });
    if (b.perThousandRequests !== undefined) ctx.addIssue({ code: 'custom', path: ['perThousandRequests'], message: 'a multiplier has no fee' });
    if (b.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a multiplier needs the value it applies to' });
  }
});
const modifierView = z.object({
  id: z.string(), family: z.string(), dimension: z.string(), value: z.string(), effectiveFrom: z.string(),
  perThousandRequests: z.string().optional(), multiplier: z.string().optional(),
});
/** USD per 1,000 requests ("10.00") as nano-dollars per request: $1 per 1,000 = 1,000,000 nanos each. */
const perThousandToNanos = (usd: string) => {
  const [whole, frac = ''] = usd.split('.');
  return BigInt(whole!) * 1_000_000n + BigInt(frac.padEnd(3, '0')) * 1_000n;
};
const nanosToPerThousand = nanosPerRequestToPerThousand;
const viewOf = (r: { id: string; family: string; dimension: string; value: string; effectiveFrom: Date; nanosPerRequest: bigint | null; multiplierMillionths: bigint | null }) => ({
  id: r.id, family: r.family, dimension: r.dimension, value: r.value, effectiveFrom: r.effectiveFrom.toISOString(),
  ...(r.nanosPerRequest !== null ? { perThousandRequests: nanosToPerThousand(r.nanosPerRequest) } : {}),
  ...(r.multiplierMillionths !== null ? { multiplier: millionthsToMultiplier(r.multiplierMillionths) } : {}),
});

const aliasBody = z.object({
  alias: modelName.describe('The id as the Messages API or a gateway sends it, e.g. "claude-sonnet-4-5-20250929"'),
  family: modelName.describe('The price-book family that prices it, e.g. "claude-sonnet-4-5"'),
}).strict();
const aliasView = z.object({ alias: z.string(), family: z.string(), createdAt: z.string() });
const tokenCounts = z.object({ input: z.number(), cacheWrite5m: z.number(), cacheWrite1h: z.number(), cacheRead: z.number(), output: z.number() });
const unpricedResponse = z.object({
  families: z.array(z.object({ family: z.string(), events: z.number().int(), firstAt: z.string(), lastAt: z.string() })),
  events: z.array(z.object({
    eventId: z.string(), org: z.string(), memberId: z.string(), member: z.string(), requestId: z.string(), model: z.string(), family: z.string(),
    reason: z.string(), at: z.string(), period: z.string(), recordedAt: z.string(), tokens: tokenCounts, flags: z.array(z.string()),
  })),
});
const perMillionView = z.object({ input: z.string(), cacheWrite5m: z.string(), cacheWrite1h: z.string(), cacheRead: z.string(), output: z.string() });
const priceLine = z.object({ family: z.string(), longContextAboveTokens: z.number().int(), effectiveFrom: z.string(), perMillionTokens: perMillionView, was: perMillionView.optional() });
const importBody = z.object({
  map: z.string().min(1).max(3_900_000).describe('The text of a model map in LiteLLM\'s format (model_prices_and_context_window.json): its entries whose litellm_provider is "anthropic" are read, each rate as the exact decimal the text writes'),
  effectiveFrom: isoInstant.optional().describe('When the new rows take effect. Default: now for a model with no price (or its first kept usage, if earlier), a minute from now for a changed rate'),
  dryRun: z.boolean().default(false).describe('Report the difference and change nothing'),
}).strict();
const importResponse = z.object({
  dryRun: z.boolean(),
  modelsAdded: z.array(priceLine).describe('Families with no price before'),
  ratesChanged: z.array(priceLine).describe('A new row from its effective date; was: the rates before'),
  aliasesAdded: z.array(z.object({ alias: z.string(), family: z.string() })),
  modifiersAdded: z.array(z.object({ family: z.string(), dimension: z.string(), value: z.string(), effectiveFrom: z.string(), multiplier: z.string().optional(), perThousandRequests: z.string().optional(), was: z.string().optional() })),
  unchanged: z.number().int().describe('Price tiers already as the map says'),
  notInMap: z.array(z.string()).describe('Families the book prices that the map does not list (never deleted)'),
  keptOurs: z.array(z.object({ family: z.string(), longContextAboveTokens: z.number().int() })).describe('Tiers only the book has: kept'),
  conflicts: z.array(z.string()).describe('What the map says that was not taken, and why'),
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
  pricedUnpriced: z.number().int().describe('Usage kept unpriced that the import priced'),
});
const modelsResponse = z.object({ families: z.array(z.object({ family: z.string(), priced: z.boolean(), aliases: z.array(z.string()) })) });

export function operatorRoutes(deps: ApiDeps) {
  const orgBySlug = (slug: string) => orgOfSlug(deps.db, slug);
  return [
    defineRoute({
      method: 'PUT', url: '/v1/operator/orgs/:slug', tag: 'operator', auth: 'operator',
      summary: 'Create an organisation from its declarative document, or apply a re-sent one: only the fields it changes since the last one applied are written (idempotent)',
      params: slugParams, body: orgDocumentSchema,
      otherSuccess: { 201: 'The organisation was created' },
      refusals: {
        409: 'teamsTenantId belongs to another organisation, or a chat id the document gives one member is still another\'s, kept because the document leaves it as it is',
        422: 'Auto-reload would be on without a stored threshold or amount',
      },
      async handler({ params, body, reply }) {
        const result = await provisionOrg(deps.db, params.slug, body);
        reply.status(result.created ? 201 : 200);
        return { ...result, changes: result.changes.map((c) => withDollarAmounts(c)) };
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/orgs/:slug', tag: 'operator', auth: 'operator',
      summary: 'An organisation\'s settings and month-to-date spend',
      params: slugParams, refusals: { 404: 'No organisation has this slug' },
      async handler({ params }) {
        return usageOverview(deps.db, await orgBySlug(params.slug), deps.now());
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/operator/orgs/:slug/api-keys', tag: 'operator', auth: 'operator',
      summary: 'Issue an API key (shown once). Scope "usage" for gateways, "settings" for owner integrations.',
      params: slugParams,
      body: z.object({ name: text(100), scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).default(['usage']) }).strict(),
      status: 201, refusals: { 404: 'No organisation has this slug' },
      async handler({ params, body }) {
        const org = await orgBySlug(params.slug);
        return issueApiKey(deps.db, org.id, body.name, [...new Set(body.scopes)]);
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/orgs/:slug/api-keys', tag: 'operator', auth: 'operator',
      summary: 'List API keys (never the secrets)', params: slugParams, refusals: { 404: 'No organisation has this slug' },
      async handler({ params }) {
        return { keys: await listApiKeys(deps.db, (await orgBySlug(params.slug)).id) };
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/v1/operator/orgs/:slug/api-keys/:keyId', tag: 'operator', auth: 'operator',
      summary: 'Revoke an API key; it stops working at once', params: keyParams,
      refusals: { 404: 'No organisation has this slug, or it has no such key' },
      async handler({ params }) {
        const key = await revokeApiKey(deps.db, (await orgBySlug(params.slug)).id, params.keyId);
        return { id: key.id, revokedAt: key.revokedAt };
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/prices', tag: 'operator', auth: 'operator',
      summary: 'The price book',
      async handler() {
        const rows = await deps.db.priceEntry.findMany({ orderBy: [{ model: 'asc' }, { effectiveFrom: 'asc' }, { minPromptTokensExclusive: 'asc' }] });
        return {
          prices: rows.map((r) => ({
            id: r.id, model: r.model, effectiveFrom: r.effectiveFrom.toISOString(), longContextAboveTokens: r.minPromptTokensExclusive,
            perMillionTokens: {
              input: nanosPerTokenToRatePerMillion(r.inputNanosPerToken),
              cacheWrite5m: nanosPerTokenToRatePerMillion(r.cacheWrite5mNanosPerToken),
              cacheWrite1h: nanosPerTokenToRatePerMillion(r.cacheWrite1hNanosPerToken),
              cacheRead: nanosPerTokenToRatePerMillion(r.cacheReadNanosPerToken),
              output: nanosPerTokenToRatePerMillion(r.outputNanosPerToken),
            },
          })),
        };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/operator/prices', tag: 'operator', auth: 'operator', status: 201,
      summary: 'Add a price (rows are immutable; a change is a new row with a later effectiveFrom). Usage kept unpriced that it prices is priced and counted at once',
      body: priceBody,
      refusals: { 422: 'effectiveFrom is less than a minute ahead (a model\'s first prices excepted, as long as they change no price already charged), the same model, effectiveFrom and tier already has a price, or model is an alias (prices belong to its family)' },
      async handler({ body }) {
        await refuseAliasAsFamily(deps.db, body.model);
        const at = new Date(body.effectiveFrom);
        const now = deps.now();
        const refusal = await backDatingRefusal(deps.db, body.model, at, body.longContextAboveTokens, now);
        if (refusal) throw refusal;
        const r = body.perMillionTokens;
        const n = (v: string) => ratePerMillionToNanosPerToken(v)!;
        const row = await deps.db.priceEntry.create({
          data: {
            model: body.model, effectiveFrom: at, minPromptTokensExclusive: body.longContextAboveTokens,
            inputNanosPerToken: n(r.input), cacheWrite5mNanosPerToken: n(r.cacheWrite5m), cacheWrite1hNanosPerToken: n(r.cacheWrite1h),
            cacheReadNanosPerToken: n(r.cacheRead), outputNanosPerToken: n(r.output),
          },
        }).catch((err: unknown) => {
          if (/P2002|unique/i.test(String((err as Error).message) + String((err as { code?: string }).code))) {
            throw invalid('effectiveFrom', `a price for ${body.model} from ${body.effectiveFrom} above ${body.longContextAboveTokens} tokens already exists`);
          }
          throw err;
        });
        forgetPrices(deps.db);
        const pass = await priceUnpricedUsage(deps.db, { family: row.model, now });
        return {
          id: row.id, model: row.model, effectiveFrom: row.effectiveFrom.toISOString(), example: `1M input tokens cost ${formatUsd(row.inputNanosPerToken * 1_000_000n)}`,
          pricedUnpriced: pass.priced,
        };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/operator/prices/import', tag: 'operator', auth: 'operator',
      summary: 'Import LiteLLM\'s model map: models, tiers, aliases and fees the book lacks are added, a changed rate is a new row from its effective date, nothing is deleted or overwritten (the same map twice changes nothing). All or nothing',
      body: importBody, response: importResponse,
      refusals: { 422: 'The map is not JSON, has no Anthropic entry, or a rate is negative or not a number (named); or a changed rate would take effect less than a minute ahead. Nothing is imported' },
      async handler({ body }) {
        return importPriceMap(deps.db, body.map, {
          dryRun: body.dryRun, now: deps.now(), field: 'map', ...(body.effectiveFrom ? { effectiveFrom: new Date(body.effectiveFrom) } : {}),
        });
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/models', tag: 'operator', auth: 'operator',
      summary: 'Model families: each one the price book or an alias names, whether it has a price, and its aliases',
      response: modelsResponse,
      async handler() {
        return { families: await listModelFamilies(deps.db) };
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/models/aliases', tag: 'operator', auth: 'operator',
      summary: 'Model aliases: dated ids and aliases, each with the family that prices it',
      response: z.object({ aliases: z.array(aliasView) }),
      async handler() {
        return { aliases: await listModelAliases(deps.db) };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/operator/models/aliases', tag: 'operator', auth: 'operator', status: 201,
      summary: 'Add a model alias (a dated id or an alias such as "-latest") naming a price-book family. Aliases never change; the same pair again answers 200',
      body: aliasBody, response: aliasView.extend({
        created: z.boolean(),
        familyPriced: z.boolean().describe('Whether the family has a price yet; usage of an unpriced family is kept unpriced until it has one'),
        pricedUnpriced: z.number().int().describe('Unpriced usage this alias let the price book price (counted now)'),
      }),
      otherSuccess: { 200: 'The alias already names this family; nothing changed' },
      refusals: {
        409: 'The alias already names another family',
        422: 'The alias is the family itself, a family with prices, or the family of other aliases; or the family is itself an alias',
      },
      async handler({ body, reply }) {
        const result = await addModelAlias(deps.db, body.alias, body.family);
        reply.status(result.created ? 201 : 200);
        // Usage recorded under the alias before it named a family is priced now, if the family has a price.
        const pass = await priceUnpricedUsage(deps.db, { family: result.family, now: deps.now() });
        return { ...result, pricedUnpriced: pass.priced };
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/usage/unpriced', tag: 'operator', auth: 'operator',
      summary: 'Usage kept without a price, oldest first, with a summary per model family (firstAt: how far back its first price may be dated)',
      query: z.object({
        family: modelName.optional().describe('Only this family'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      response: unpricedResponse,
      async handler({ query }) {
        return listUnpricedUsage(deps.db, { family: query.family, limit: query.limit });
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/usage/cost-differences', tag: 'operator', auth: 'operator',
      summary: 'Usage whose client said another cost than ours beyond rounding (flagged cost_differs_from_client, e.g. Claude Code\'s cost_usd for a 1-hour cache write its telemetry does not tell apart), newest first. Charged at our price',
      query: z.object({
        org: text(100).optional().describe('Only this organisation (its slug)'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      response: z.object({
        events: z.array(z.object({
          eventId: z.string(), org: z.string(), memberId: z.string(), member: z.string(), requestId: z.string(), model: z.string(), family: z.string(),
          at: z.string(), period: z.string(), cost: z.string().describe('What we charged'), clientCost: z.string().describe('What the client said'), difference: z.string().describe('clientCost - cost'), tokens: tokenCounts,
        })),
      }),
      refusals: { 404: 'No organisation has this slug' },
      async handler({ query }) {
        const orgId = query.org ? (await orgBySlug(query.org)).id : undefined;
        return { events: await listClientCostDifferences(deps.db, { ...(orgId ? { orgId } : {}), limit: query.limit }) };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/operator/usage/unpriced/price', tag: 'operator', auth: 'operator',
      summary: 'Price every unpriced usage that now has a price (adding a price or an alias does this already; each event is counted once)',
      response: z.object({ priced: z.number().int(), stillUnpriced: z.number().int() }),
      async handler() {
        const pass = await priceUnpricedUsage(deps.db, { now: deps.now() });
        return { priced: pass.priced, stillUnpriced: pass.stillUnpriced };
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/price-modifiers', tag: 'operator', auth: 'operator',
      summary: 'Fees per request (web search, web fetch) and multipliers (service tier, inference geography, speed) of the price book',
      response: z.object({ modifiers: z.array(modifierView) }),
      async handler() {
        const rows = await deps.db.priceModifier.findMany({ orderBy: [{ dimension: 'asc' }, { value: 'asc' }, { family: 'asc' }, { effectiveFrom: 'asc' }] });
        return { modifiers: rows.map(viewOf) };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/operator/price-modifiers', tag: 'operator', auth: 'operator', status: 201,
      summary: 'Add a fee or a multiplier (rows are immutable; a change is a new row with a later effectiveFrom). Usage kept unpriced for want of it is priced at once',
      body: modifierBody, response: modifierView.extend({ pricedUnpriced: z.number().int() }),
      refusals: { 422: 'effectiveFrom is less than a minute ahead (the first row of a fee or value excepted), the same row already exists, or family is an alias' },
      async handler({ body }) {
        if (body.family !== EVERY_FAMILY) await refuseAliasAsFamily(deps.db, body.family, 'family');
        const at = new Date(body.effectiveFrom);
        const now = deps.now();
        const value = body.value ?? '';
        const refusal = await modifierBackDatingRefusal(deps.db, body.family, body.dimension, value, at, now);
        if (refusal) throw refusal;
        const row = await deps.db.priceModifier.create({
          data: {
            family: body.family, dimension: body.dimension, value, effectiveFrom: at,
            nanosPerRequest: body.perThousandRequests === undefined ? null : perThousandToNanos(body.perThousandRequests),
            multiplierMillionths: body.multiplier === undefined ? null : multiplierToMillionths(body.multiplier),
          },
        }).catch((err: unknown) => {
          if (/P2002|unique/i.test(String((err as Error).message) + String((err as { code?: string }).code))) {
            throw invalid('effectiveFrom', `a ${body.dimension}${value ? ` ${value}` : ''} row for ${body.family} from ${body.effectiveFrom} already exists`);
          }
          throw err;
        });
        forgetPrices(deps.db);
        const pass = await priceUnpricedUsage(deps.db, { ...(body.family === EVERY_FAMILY ? {} : { family: body.family }), now });
        return { ...viewOf(row), pricedUnpriced: pass.priced };
      },
    }),
  ];
}
