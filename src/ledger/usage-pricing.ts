// What a recorded usage object costs, decided the same way by the single-record path
// (record.ts), group commit (record-batch.ts) and late pricing (unpriced.ts): the
// model id's family, the row in force at the request's time, and the rules for a
// model without a price (the org's fallback family, else kept unpriced).
import { readUsage, selectPriceTier, priceTokens, type MessagesUsage, type PriceTier, type TokenCounts } from '../domain/pricing.js';
import type { Db } from '../db/client.js';
import { noPriceAt, pricesForModel, type ModelPrices } from './prices.js';

export type EventFlag = 'cache_breakdown_mismatch' | 'fallback_price' | 'priced_late';

export type UnpricedReason = 'model_unpriced';

export interface Priced {
  priced: true;
  /** The family the model id names (for a fallback price: still the model's own). */
  family: string;
  tier: PriceTier;
  cost: bigint;
  tokens: TokenCounts;
  flags: EventFlag[];
}

export interface Unpriced {
  priced: false;
  family: string;
  reason: UnpricedReason;
  tokens: TokenCounts;
  flags: EventFlag[];
}

export type UsagePrice = Priced | Unpriced;

/**
 * Prices a usage object at the model's family's row in force at `at`, from the price
 * rows given. No row for it: the fallback family's rows price it (flagged
 * `fallback_price`) when there is one, else it is unpriced.
 */
export function priceWith(model: ModelPrices, fallback: ModelPrices | null, at: Date, usage: MessagesUsage): UsagePrice {
  const { tokens, flags } = readUsage(usage);
  const own = selectPriceTier(model.tiers, model.family, at, tokens);
  if (own) return { priced: true, family: model.family, tier: own, cost: priceTokens(tokens, own), tokens, flags: [...flags] };
  const stand = fallback ? selectPriceTier(fallback.tiers, fallback.family, at, tokens) : null;
  if (stand) return { priced: true, family: model.family, tier: stand, cost: priceTokens(tokens, stand), tokens, flags: [...flags, 'fallback_price'] };
  return { priced: false, family: model.family, reason: 'model_unpriced', tokens, flags: [...flags] };
}

/**
 * The price of a record. `fallbackOf` gives the org's unknownModelFallback, asked only
 * when the model has no price (the rare path). A model the price book knows, asked
 * about before its first price (already in force at `now`), is a 422 naming `at` (a
 * gateway's clock, not a model to price later).
 */
export async function priceUsage(db: Db, modelId: string, at: Date, now: Date, usage: MessagesUsage, fallbackOf: () => Promise<string | null>): Promise<UsagePrice> {
  const model = await pricesForModel(db, modelId, at);
  const first = priceWith(model, null, at, usage);
  if (first.priced) return first;
  const early = noPriceAt(model.tiers, model.family, at, now);
  if (early) throw early;
  const fallbackFamily = await fallbackOf();
  if (!fallbackFamily) return first;
  return priceWith(model, await pricesForModel(db, fallbackFamily, at), at, usage);
}
