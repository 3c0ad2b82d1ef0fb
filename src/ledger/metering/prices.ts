// The price book: immutable rows with effective dates. Past usage keeps the row it
// was priced with; a price change is a new row, scheduled at least a minute ahead.
//
// Rows are cached per model. A cached list loaded at L is used only while it is
// younger than CACHE_MS and for requests before L + PRICE_LEAD_MS: any row added after
// L takes effect after that, so the cache can never miss a price in force.
import type { Db } from '../../db/client.js';
import type { PriceModifierRow, PriceTier } from '../../domain/pricing.js';
import { invalid, type LedgerError } from '../errors.js';
import { cachedFamilyOf, familyOf, familyOfFresh } from './models.js';

/** How far ahead of its creation a new price must take effect. */
export const PRICE_LEAD_MS = 60_000;
const CACHE_MS = 30_000;

interface Cached {
  rows: PriceTier[];
  loadedAt: number;
}

const caches = new WeakMap<Db, Map<string, Cached>>();

function cacheOf(db: Db): Map<string, Cached> {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new Map()));
  return c;
}

export async function priceTiersOf(db: Db, model: string, at = new Date(), now = Date.now()): Promise<PriceTier[]> {
  const cache = cacheOf(db);
  const hit = cache.get(model);
  if (hit && now - hit.loadedAt < CACHE_MS && at.getTime() < hit.loadedAt + PRICE_LEAD_MS) return hit.rows;
  const rows = await db.priceEntry.findMany({ where: { model } });
  cache.set(model, { rows, loadedAt: now });
  return rows;
}

/** The price rows read again, unless this process read them under a second ago. */
async function priceTiersFresh(db: Db, model: string, now = Date.now()): Promise<PriceTier[]> {
  const hit = cacheOf(db).get(model);
  if (hit && now - hit.loadedAt < 1_000) return hit.rows;
  const rows = await db.priceEntry.findMany({ where: { model } });
  cacheOf(db).set(model, { rows, loadedAt: now });
  return rows;
}

const inForceAt = (rows: readonly PriceTier[], at: Date) => rows.some((r) => r.effectiveFrom.getTime() <= at.getTime());

export interface ModelPrices {
  /** The price-book family the model id names (itself when it is no alias). */
  family: string;
  /** The family's price rows. */
  tiers: PriceTier[];
}

/**
 * The family a model id names and its price rows, from this process's copies. A
 * family with no price in force at `at` is looked up again (alias and rows) before
 * the caller takes it as unknown: an alias or a first price just added by another
 * process is seen at once, at the cost of a round trip on that rare path only.
 */
export async function pricesForModel(db: Db, model: string, at: Date, now = Date.now()): Promise<ModelPrices> {
  const family = await familyOf(db, model, now);
  const tiers = await priceTiersOf(db, family, at, now);
  if (inForceAt(tiers, at)) return { family, tiers };
  const fresh = await familyOfFresh(db, model, now);
  return { family: fresh, tiers: await priceTiersFresh(db, fresh, now) };
}

/**
 * pricesForModel from this process's copies alone, without waiting (the hot path's
 * usual case); null when anything must be read, or the model has no price at `at`.
 */
export function pricesFromCache(db: Db, model: string, at: Date, now = Date.now()): ModelPrices | null {
  const family = cachedFamilyOf(db, model, now);
  if (family === undefined) return null;
  const hit = cacheOf(db).get(family);
  if (!hit || now - hit.loadedAt >= CACHE_MS || at.getTime() >= hit.loadedAt + PRICE_LEAD_MS || !inForceAt(hit.rows, at)) return null;
  return { family, tiers: hit.rows };
}

/** Whether the rows have a price in force at `at`. */
export const pricedAt = (m: ModelPrices, at: Date) => inForceAt(m.tiers, at);

/** Forget cached prices (after adding one in this process). */
export function forgetPrices(db: Db): void {
  cacheOf(db).clear();
  modifierCaches.delete(db);
}

// Fees and multipliers (PriceModifier): a small table, cached whole under the same
// rule as prices (a row takes effect at least PRICE_LEAD_MS after it is added).
const modifierCaches = new WeakMap<Db, { rows: PriceModifierRow[]; loadedAt: number }>();

async function loadModifiers(db: Db, now: number): Promise<PriceModifierRow[]> {
  const rows = await db.priceModifier.findMany();
  modifierCaches.set(db, { rows, loadedAt: now });
  return rows;
}

export async function priceModifiersOf(db: Db, at: Date, now = Date.now()): Promise<PriceModifierRow[]> {
  return modifiersFromCache(db, at, now) ?? loadModifiers(db, now);
}

/** The cached fees and multipliers when fresh, without waiting; null when they must be read. */
export function modifiersFromCache(db: Db, at: Date, now = Date.now()): PriceModifierRow[] | null {
  const hit = modifierCaches.get(db);
  return hit && now - hit.loadedAt < CACHE_MS && at.getTime() < hit.loadedAt + PRICE_LEAD_MS ? hit.rows : null;
}

/** Read again unless read under a second ago: before a fee or multiplier is called unpriced. */
export async function priceModifiersFresh(db: Db, now = Date.now()): Promise<PriceModifierRow[]> {
  const hit = modifierCaches.get(db);
  if (hit && now - hit.loadedAt < 1_000) return hit.rows;
  return loadModifiers(db, now);
}

/**
 * A model asked about before its first price, when that first price is already in force
 * (`now`): the fault is `at` (a gateway's clock), not the model. A model whose first
 * price is still ahead (just being priced) is no such fault: its usage is kept.
 */
export function noPriceAt(rows: PriceTier[], model: string, at: Date, now: Date): LedgerError | null {
  if (rows.length === 0 || rows.some((r) => r.effectiveFrom.getTime() <= at.getTime())) return null;
  const first = new Date(Math.min(...rows.map((r) => r.effectiveFrom.getTime())));
  if (first.getTime() > now.getTime()) return null;
  return invalid('at', `at (${at.toISOString()}) is before the first price of '${model}', which takes effect at ${first.toISOString()}`);
}

/** Refuses (422 naming `at`) a request time before the model's first price in force; other gaps are the ledger's to report. */
export async function refuseAtBeforePrices(db: Db, model: string, at: Date, now = new Date()): Promise<void> {
  const { family, tiers } = await pricesForModel(db, model, at);
  const problem = noPriceAt(tiers, family, at, now);
  if (problem) throw problem;
}

/**
 * A new row must take effect at least PRICE_LEAD_MS ahead, so every running service
 * sees it before it applies. The exception is a family's first prices: while none of
 * its rows other than ones of this very effectiveFrom is in force, every service asks
 * the database afresh about it (pricesForModel), so a row back-dated to its first
 * usage is seen at once. Even then it may change no price already charged: refused if
 * usage of the family it would price (since effectiveFrom, above its threshold) was
 * priced already. Returns the refusal, or null.
 */
export async function backDatingRefusal(db: Db, family: string, at: Date, minPromptTokensExclusive: number, now: Date): Promise<LedgerError | null> {
  if (at.getTime() >= now.getTime() + PRICE_LEAD_MS) return null;
  const lead = 'effectiveFrom must be at least a minute ahead: recorded usage keeps the price it was charged at, and running services pick the new price up in time';
  const inForce = await db.priceEntry.findFirst({ where: { model: family, effectiveFrom: { lte: now, not: at } }, select: { effectiveFrom: true } });
  if (inForce) return invalid('effectiveFrom', `${lead}. Only a model's first prices may be back-dated, and '${family}' has a price in force since ${inForce.effectiveFrom.toISOString()}`);
  const prompt = '("inputTokens" + "cacheWrite5mTokens" + "cacheWrite1hTokens" + "cacheReadTokens")';
  const charged = await db.$queryRawUnsafe<{ occurredAt: Date }[]>(
    `SELECT "occurredAt" FROM "UsageEvent" WHERE "family" = $1 AND "costNanos" IS NOT NULL AND "occurredAt" >= $2::timestamp
       ${minPromptTokensExclusive > 0 ? `AND ${prompt} > $3` : 'AND $3::int >= 0'} LIMIT 1`,
    family, at.toISOString().replace('Z', ''), minPromptTokensExclusive,
  );
  if (charged.length) return invalid('effectiveFrom', `${lead}. A back-dated price may change no price already charged, and usage of '${family}' it would price was priced already (at ${new Date(charged[0]!.occurredAt).toISOString()})`);
  return null;
}

/**
 * A fee or multiplier row takes effect at least PRICE_LEAD_MS ahead, like a price. The
 * first row for a fee or value (none for it, for the family nor for "*") may be
 * back-dated: usage that needed it was kept unpriced, so it changes no price charged,
 * and every service asks the database afresh before calling such usage unpriced.
 */
export async function modifierBackDatingRefusal(db: Db, family: string, dimension: string, value: string, at: Date, now: Date): Promise<LedgerError | null> {
  if (at.getTime() >= now.getTime() + PRICE_LEAD_MS) return null;
  const existing = await db.priceModifier.findFirst({ where: { dimension, value, family: { in: [family, '*'] } }, select: { family: true, effectiveFrom: true } });
  if (!existing) return null;
  return invalid('effectiveFrom', `effectiveFrom must be at least a minute ahead: ${dimension}${value ? ` ${value}` : ''} has a row already (${existing.family}, from ${existing.effectiveFrom.toISOString()}); only the first row for a fee or value may be back-dated`);
}
