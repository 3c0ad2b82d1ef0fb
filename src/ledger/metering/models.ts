// Model ids as the Messages API sends them. The price book prices model families
// ("claude-sonnet-4-5"); a dated snapshot ("claude-sonnet-4-5-20250929") or an alias
// ("claude-sonnet-4-5-latest") names its family in the ModelAlias table. A name that
// is no alias is its own family.
//
// The table is small and read by every authorize and record, so each process keeps
// all of it in memory, reloaded every CACHE_MS (an alias added in this process drops
// the copy at once). A name the copy does not price is looked up again before it is
// called unknown (prices.ts, pricesForModel), so an alias added by another process
// is never missed.
import type { Db } from '../../db/client.js';
import { conflict, invalid } from '../errors.js';
import { inTransaction } from '../transactions.js';

const CACHE_MS = 30_000;
/** A fresh look-up for an unknown name happens at most this often per process. */
const FRESH_AT_MOST_EVERY_MS = 1_000;

interface Cached {
  byAlias: Map<string, string>;
  loadedAt: number;
}

const caches = new WeakMap<Db, Cached>();
const loading = new WeakMap<Db, Promise<Cached>>();

async function load(db: Db, now: number): Promise<Cached> {
  const pending = loading.get(db);
  if (pending) return pending;
  const p = db.modelAlias.findMany({ select: { alias: true, family: true } }).then((rows) => {
    const cached = { byAlias: new Map(rows.map((r) => [r.alias, r.family])), loadedAt: now };
    caches.set(db, cached);
    return cached;
  }).finally(() => loading.delete(db));
  loading.set(db, p);
  return p;
}

async function aliases(db: Db, now = Date.now()): Promise<Map<string, string>> {
  const hit = caches.get(db);
  if (hit && now - hit.loadedAt < CACHE_MS) return hit.byAlias;
  return (await load(db, now)).byAlias;
}

/** The family a model id names (itself when it is no alias), from the process's copy. */
export async function familyOf(db: Db, model: string, now = Date.now()): Promise<string> {
  return (await aliases(db, now)).get(model) ?? model;
}

/** The family from the copy when it is fresh, without waiting; undefined when it must be loaded. */
export function cachedFamilyOf(db: Db, model: string, now = Date.now()): string | undefined {
  const hit = caches.get(db);
  if (!hit || now - hit.loadedAt >= CACHE_MS) return undefined;
  return hit.byAlias.get(model) ?? model;
}

/**
 * The family, read again from the database unless the copy is under a second old:
 * for a name the copy does not price, before it is called unknown.
 */
export async function familyOfFresh(db: Db, model: string, now = Date.now()): Promise<string> {
  const hit = caches.get(db);
  if (hit && now - hit.loadedAt < FRESH_AT_MOST_EVERY_MS) return hit.byAlias.get(model) ?? model;
  return (await load(db, now)).byAlias.get(model) ?? model;
}

/** Drop this process's copy (after adding an alias here). */
export function forgetModelAliases(db: Db): void {
  caches.delete(db);
}

export interface AliasView {
  alias: string;
  family: string;
  createdAt: string;
}

export async function listModelAliases(db: Db): Promise<AliasView[]> {
  const rows = await db.modelAlias.findMany({ orderBy: [{ family: 'asc' }, { alias: 'asc' }] });
  return rows.map((r) => ({ alias: r.alias, family: r.family, createdAt: r.createdAt.toISOString() }));
}

/** Every family the price book or an alias names, with its aliases and whether it has a price. */
export async function listModelFamilies(db: Db): Promise<{ family: string; priced: boolean; aliases: string[] }[]> {
  const [priced, rows] = await Promise.all([
    db.priceEntry.findMany({ distinct: ['model'], select: { model: true } }),
    db.modelAlias.findMany({ orderBy: { alias: 'asc' } }),
  ]);
  const families = new Map<string, { family: string; priced: boolean; aliases: string[] }>();
  const entry = (family: string) => families.get(family) ?? families.set(family, { family, priced: false, aliases: [] }).get(family)!;
  for (const p of priced) entry(p.model).priced = true;
  for (const a of rows) entry(a.family).aliases.push(a.alias);
  return [...families.values()].sort((a, b) => (a.family < b.family ? -1 : 1));
}

export interface AddAliasResult extends AliasView {
  created: boolean;
  /** Whether the family has a price row yet (usage of an unpriced family is kept unpriced). */
  familyPriced: boolean;
}

/**
 * Adds an alias. Aliases never change: the same pair again is a no-op, another family
 * for a known alias is a 409. No chains: the family may not itself be an alias, and a
 * name that is a priced family, or the family of other aliases, may not become one.
 */
export async function addModelAlias(db: Db, alias: string, family: string): Promise<AddAliasResult> {
  if (alias === family) throw invalid('alias', `'${alias}' is the family itself; a name that is no alias already names its own family`);
  const result = await inTransaction(db, async (tx) => {
    // One alias change at a time, so the checks below hold until commit.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(4242001)`;
    const existing = await tx.modelAlias.findUnique({ where: { alias } });
    if (existing) {
      if (existing.family !== family) throw conflict(`'${alias}' is already an alias of '${existing.family}'; aliases never change (usage recorded under it keeps its family)`, 'family');
      return { row: existing, created: false };
    }
    const familyIsAlias = await tx.modelAlias.findUnique({ where: { alias: family } });
    if (familyIsAlias) throw invalid('family', `'${family}' is itself an alias of '${familyIsAlias.family}': name the family '${familyIsAlias.family}'`);
    if (await tx.priceEntry.findFirst({ where: { model: alias }, select: { id: true } })) {
      throw invalid('alias', `'${alias}' is a family with its own prices in the price book; it cannot become an alias`);
    }
    const dependents = await tx.modelAlias.findFirst({ where: { family: alias }, select: { alias: true } });
    if (dependents) throw invalid('alias', `'${alias}' is the family of the alias '${dependents.alias}'; it cannot become an alias itself`);
    const row = await tx.modelAlias.create({ data: { alias, family } });
    return { row, created: true };
  });
  forgetModelAliases(db);
  const familyPriced = (await db.priceEntry.findFirst({ where: { model: family }, select: { id: true } })) !== null;
  return { alias: result.row.alias, family: result.row.family, createdAt: result.row.createdAt.toISOString(), created: result.created, familyPriced };
}

/** A 422 when `model` is an alias: prices belong to families. */
export async function refuseAliasAsFamily(db: Db, model: string, field = 'model'): Promise<void> {
  const row = await db.modelAlias.findUnique({ where: { alias: model } });
  if (row) throw invalid(field, `'${model}' is an alias of '${row.family}': prices belong to the family ('${row.family}')`);
}
