// The price book: immutable rows with effective dates. Past usage keeps the row it
// was priced with; a price change is a new row.
import type { Db } from '../db/client.js';
import { selectPriceTier, type PriceTier, type TokenCounts } from '../domain/pricing.js';
import { invalid } from './errors.js';

export async function priceTiersOf(db: Db, model: string): Promise<PriceTier[]> {
  return db.priceEntry.findMany({ where: { model } });
}

/** The price tier for a request, or a 422 naming `model` when the model has no price. */
export async function priceFor(db: Db, model: string, at: Date, tokens: TokenCounts): Promise<PriceTier> {
  const tier = selectPriceTier(await priceTiersOf(db, model), model, at, tokens);
  if (!tier) throw invalid('model', `model '${model}' has no price in the price book at ${at.toISOString()}`);
  return tier;
}

export async function knownModel(db: Db, model: string, at: Date): Promise<boolean> {
  const n = await db.priceEntry.count({ where: { model, effectiveFrom: { lte: at } } });
  return n > 0;
}
