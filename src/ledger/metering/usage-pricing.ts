// What a recorded usage object costs, decided the same way by the single-record path
// (record.ts), group commit (record-batch.ts) and late pricing (unpriced.ts): the
// model id's family, the token row in force at the request's time, the fees and
// multipliers its usage object calls for (PriceModifier rows), and the rules for what
// has no price (the org's fallback family for the model, else kept unpriced).
import {
  extrasOf, priceExtras, priceTokens, readUsage, selectPriceTier,
  type MessagesUsage, type PriceModifierRow, type PriceTier, type TokenCounts, type UsageExtras,
} from '../../domain/pricing.js';
import type { Db } from '../../db/client.js';
import { modifiersFromCache, noPriceAt, priceModifiersFresh, priceModifiersOf, pricesForModel, pricesFromCache, type ModelPrices } from './prices.js';

/**
 * over_product_cap: its extra usage took (or kept) the member's spend on its product past their cap on it.
 * cost_differs_from_client: the client's own cost (Claude Code's cost_usd) differs from ours beyond rounding.
 */
export type EventFlag = 'cache_breakdown_mismatch' | 'fallback_price' | 'priced_late' | 'over_product_cap' | 'cost_differs_from_client';

/** A client's cost is rounded to the micro-dollar (cost_usd_micros): a difference up to this is rounding. */
export const CLIENT_COST_TOLERANCE_NANOS = 1_000n;

/** Whether a client's own cost differs from ours beyond rounding. */
export function costDiffersFromClient(ours: bigint, client: bigint | null | undefined): boolean {
  if (client === null || client === undefined) return false;
  const d = ours > client ? ours - client : client - ours;
  return d > CLIENT_COST_TOLERANCE_NANOS;
}

/** The price, flagged cost_differs_from_client when priced and the client said otherwise. */
export function withClientCost(price: UsagePrice, client: bigint | null | undefined): UsagePrice {
  if (!price.priced || !costDiffersFromClient(price.cost, client)) return price;
  return { ...price, flags: [...price.flags, 'cost_differs_from_client'] };
}

/** model_unpriced: no token price for the model; fee_unpriced / modifier_unpriced: a fee or a tier, geography or speed without a row. */
export type UnpricedReason = 'model_unpriced' | 'fee_unpriced' | 'modifier_unpriced';

export interface Priced {
  priced: true;
  /** The family the model id names (for a fallback price: still the model's own). */
  family: string;
  tier: PriceTier;
  cost: bigint;
  tokens: TokenCounts;
  extras: UsageExtras;
  /** The PriceModifier rows that priced it. */
  modifierIds: string[];
  flags: EventFlag[];
}

export interface Unpriced {
  priced: false;
  family: string;
  reason: UnpricedReason;
  /** What has no price: the model's family, `service_tier=priority`, `web_search_requests`, … */
  missing: string;
  tokens: TokenCounts;
  extras: UsageExtras;
  flags: EventFlag[];
}

export type UsagePrice = Priced | Unpriced;

/** The stored form of why: "model_unpriced" or, for a fee or multiplier, e.g. "modifier_unpriced:service_tier=priority". */
export const reasonText = (u: Unpriced) => (u.reason === 'model_unpriced' ? u.reason : `${u.reason}:${u.missing}`);

/**
 * Prices counted usage from the rows given: the token row of `pricedAs` (the model's
 * family, or the fallback family) in force at `at`, then its fees and multipliers.
 */
export function priceCounts(family: string, pricedAs: ModelPrices, modifiers: readonly PriceModifierRow[], at: Date, tokens: TokenCounts, extras: UsageExtras, flags: EventFlag[]): UsagePrice {
  const tier = selectPriceTier(pricedAs.tiers, pricedAs.family, at, tokens);
  if (!tier) return { priced: false, family, reason: 'model_unpriced', missing: family, tokens, extras, flags };
  const total = priceExtras(priceTokens(tokens, tier), extras, modifiers, pricedAs.family, at);
  if (!total.priced) return { priced: false, family, reason: total.reason, missing: total.missing, tokens, extras, flags };
  return { priced: true, family, tier, cost: total.cost, tokens, extras, modifierIds: total.modifierIds, flags };
}

/**
 * Prices a usage object at the model's family's rows in force at `at`. No token row
 * for it: the fallback family's rows price it (flagged `fallback_price`) when there is
 * one, else it is unpriced.
 */
export function priceWith(model: ModelPrices, fallback: ModelPrices | null, modifiers: readonly PriceModifierRow[], at: Date, usage: MessagesUsage): UsagePrice {
  const { tokens, flags } = readUsage(usage);
  const extras = extrasOf(usage);
  const own = priceCounts(model.family, model, modifiers, at, tokens, extras, [...flags]);
  if (own.priced || own.reason !== 'model_unpriced' || !fallback) return own;
  const stand = priceCounts(model.family, fallback, modifiers, at, tokens, extras, [...flags, 'fallback_price']);
  return stand.priced || stand.reason !== 'model_unpriced' ? stand : own;
}

/**
 * The price of a record. `fallbackOf` gives the org's unknownModelFallback, asked only
 * when the model has no price (the rare path). A model the price book knows, asked
 * about before its first price (already in force at `now`), is a 422 naming `at` (a
 * gateway's clock, not a model to price later). A fee or multiplier the cached copy
 * lacks is looked up again before the usage is called unpriced.
 */
export async function priceUsage(db: Db, modelId: string, at: Date, now: Date, usage: MessagesUsage, fallbackOf: () => Promise<string | null>): Promise<UsagePrice> {
  // Usually both from this process's copies, without waiting.
  const cachedModel = pricesFromCache(db, modelId, at);
  const cachedModifiers = modifiersFromCache(db, at);
  const [model, loadedModifiers] = cachedModel && cachedModifiers
    ? [cachedModel, cachedModifiers]
    : await Promise.all([cachedModel ?? pricesForModel(db, modelId, at), cachedModifiers ?? priceModifiersOf(db, at)]);
  let modifiers = loadedModifiers;
  let first = priceWith(model, null, modifiers, at, usage);
  if (!first.priced && first.reason !== 'model_unpriced') {
    modifiers = await priceModifiersFresh(db);
    first = priceWith(model, null, modifiers, at, usage);
  }
  if (first.priced || first.reason !== 'model_unpriced') return first;
  const early = noPriceAt(model.tiers, model.family, at, now);
  if (early) throw early;
  const fallbackFamily = await fallbackOf();
  if (!fallbackFamily) return first;
  return priceWith(model, await pricesForModel(db, fallbackFamily, at), modifiers, at, usage);
}
