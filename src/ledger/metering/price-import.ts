// Imports LiteLLM's model map into the price book: prices, aliases and modifiers the
// map has and the book lacks are added; a changed rate is a new row from its effective
// date; nothing is ever deleted or overwritten. All or nothing, in one transaction.
//
// - A family the book has no price for gets the map's tiers from the effective date,
//   or from its first kept usage when that is earlier (so that usage is priced late).
// - A family whose rates (or tiers) differ gets a new group of rows: the map's tiers
//   plus any tier only ours has (kept, and reported), at least a minute ahead.
// - Dated ids and -latest aliases become aliases of their family (an existing alias
//   keeps its family).
// - Batch, web search, US inference and fast mode become family rows when they differ
//   from what the book already applies to the family (its own row or "*").
// Seed mode (the pinned map at start) only adds: anything that would change a price
// in the book is reported as a conflict instead.
import type { Db } from '../../db/client.js';
import { familyOfModelId, readAnthropicMap, MapError, type MapEntry, type MapModifier, type MapTier } from '../../domain/litellm-map.js';
import { nanosPerRequestToPerThousand, nanosPerTokenToRatePerMillion, millionthsToMultiplier, selectModifier, type PriceModifierRow, type PriceTier, type Rates } from '../../domain/pricing.js';
import { jsonSafe } from '../audit.js';
import { invalid } from '../errors.js';
import { inTransaction, type Tx } from '../transactions.js';
import { forgetModelAliases } from './models.js';
import { backDatingRefusal, forgetPrices, modifierBackDatingRefusal, PRICE_LEAD_MS } from './prices.js';
import { priceUnpricedUsage } from './unpriced.js';

export interface ImportOptions {
  /** When the new rows take effect; default now (a change: a minute from now). */
  effectiveFrom?: Date;
  dryRun?: boolean;
  /** seed: only add, never change a price (the pinned map at start). */
  mode?: 'import' | 'seed';
  now?: Date;
  /** Who imports, for the price book's audit log (default "operator"). */
  actor?: string;
  /** The field a bad map is named by in a refusal (the CLI's file, the API's map). */
  field?: string;
  /**
   * After the rows are committed, the usage kept unpriced is priced. Given this, the
   * import does not wait: it hands the pass over (the seed at start: start-up goes on).
   */
  deferPricing?: (pass: Promise<number>) => void;
  /** The pricing pass run after commit (tests give one that fails). */
  priceKept?: (db: Db, now: Date) => Promise<number>;
}

export interface PerMillion { input: string; cacheWrite5m: string; cacheWrite1h: string; cacheRead: string; output: string }

export interface PriceLine {
  family: string;
  longContextAboveTokens: number;
  effectiveFrom: string;
  perMillionTokens: PerMillion;
  /** Changed rates only: the rates in the book before. */
  was?: PerMillion;
}

export interface ModifierLine {
  family: string;
  dimension: string;
  value: string;
  effectiveFrom: string;
  multiplier?: string;
  perThousandRequests?: string;
  was?: string;
}

export interface ImportReport {
  dryRun: boolean;
  /** Families with no price before: priced now. */
  modelsAdded: PriceLine[];
  /** Families whose rates (or tiers) the map changes: a new row from its effective date. */
  ratesChanged: PriceLine[];
  aliasesAdded: { alias: string; family: string }[];
  modifiersAdded: ModifierLine[];
  /** Price tiers already as the map says. */
  unchanged: number;
  /** Families the book prices that the map no longer lists (never deleted). */
  notInMap: string[];
  /** Tiers the book has and the map lacks: ours stay. */
  keptOurs: { family: string; longContextAboveTokens: number }[];
  /** What the map says that was not taken, and why (never overwritten silently). */
  conflicts: string[];
  /** Entries or parts of entries not taken (e.g. a rate the book cannot hold). */
  skipped: { id: string; reason: string }[];
  /** Usage kept unpriced that the import priced (0 on a dry run). */
  pricedUnpriced: number;
}

const perMillion = (r: Rates): PerMillion => ({
  input: nanosPerTokenToRatePerMillion(r.inputNanosPerToken),
  cacheWrite5m: nanosPerTokenToRatePerMillion(r.cacheWrite5mNanosPerToken),
  cacheWrite1h: nanosPerTokenToRatePerMillion(r.cacheWrite1hNanosPerToken),
  cacheRead: nanosPerTokenToRatePerMillion(r.cacheReadNanosPerToken),
  output: nanosPerTokenToRatePerMillion(r.outputNanosPerToken),
});

const sameRates = (a: Rates, b: Rates) =>
  a.inputNanosPerToken === b.inputNanosPerToken && a.cacheWrite5mNanosPerToken === b.cacheWrite5mNanosPerToken &&
  a.cacheWrite1hNanosPerToken === b.cacheWrite1hNanosPerToken && a.cacheReadNanosPerToken === b.cacheReadNanosPerToken &&
  a.outputNanosPerToken === b.outputNanosPerToken;

const sameEntry = (a: MapEntry, b: MapEntry) =>
  a.tiers.length === b.tiers.length && a.tiers.every((t, i) => t.above === b.tiers[i]!.above && sameRates(t.rates, b.tiers[i]!.rates)) &&
  JSON.stringify(a.modifiers, (_, v) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(b.modifiers, (_, v) => (typeof v === 'bigint' ? String(v) : v));

const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');
const ratesOf = (t: PriceTier): Rates => ({
  inputNanosPerToken: t.inputNanosPerToken, cacheWrite5mNanosPerToken: t.cacheWrite5mNanosPerToken, cacheWrite1hNanosPerToken: t.cacheWrite1hNanosPerToken,
  cacheReadNanosPerToken: t.cacheReadNanosPerToken, outputNanosPerToken: t.outputNanosPerToken,
});
const modifierValue = (m: { multiplierMillionths?: bigint | null; nanosPerRequest?: bigint | null }) =>
  m.multiplierMillionths != null ? `x${millionthsToMultiplier(m.multiplierMillionths)}` : `${m.nanosPerRequest} nanos/request`;

interface Plan {
  report: ImportReport;
  prices: { family: string; effectiveFrom: Date; tier: MapTier }[];
  aliases: { alias: string; family: string }[];
  modifiers: { family: string; effectiveFrom: Date; m: MapModifier }[];
  /** New families whose back-dating plan() has judged already (seed mode): not asked again. */
  checkedFamilies: Set<string>;
}

/** Reads the map, or a 422 naming the entry at fault. */
function mapOf(text: string, field: string) {
  try {
    return readAnthropicMap(text);
  } catch (err) {
    if (err instanceof MapError) throw invalid(field, `the map cannot be imported, nothing was: ${err.message}`);
    throw err;
  }
}

async function plan(db: Db, text: string, opts: ImportOptions): Promise<Plan> {
  const map = mapOf(text, opts.field ?? 'file');
  const now = opts.now ?? new Date();
  const mode = opts.mode ?? 'import';
  const report: ImportReport = {
    dryRun: opts.dryRun ?? false, modelsAdded: [], ratesChanged: [], aliasesAdded: [], modifiersAdded: [], unchanged: 0,
    notInMap: [], keptOurs: [], conflicts: [], skipped: [...map.skipped], pricedUnpriced: 0,
  };
  const out: Plan = { report, prices: [], aliases: [], modifiers: [], checkedFamilies: new Set() };
  const [aliasRows, priceRows, modifierRows, firstUsage] = await Promise.all([
    db.modelAlias.findMany(),
    db.priceEntry.findMany(),
    db.priceModifier.findMany(),
    db.unpricedUsage.groupBy({ by: ['model'], where: { pricedAt: null }, _min: { occurredAt: true } }),
  ]);
  const aliasOf = new Map(aliasRows.map((a) => [a.alias, a.family]));
  const pricedFamilies = new Set(priceRows.map((r) => r.model));
  const modifiers: PriceModifierRow[] = [...modifierRows];

  // Each entry's family: an existing alias keeps its family; a priced family stays its own.
  const groups = new Map<string, MapEntry[]>();
  for (const e of map.entries) {
    const family = aliasOf.get(e.id) ?? (pricedFamilies.has(e.id) ? e.id : e.family);
    groups.set(family, [...(groups.get(family) ?? []), e]);
    for (const note of e.notes) report.skipped.push({ id: e.id, reason: note });
  }

  // When each family was first used, of the usage kept unpriced (by any of its names).
  const familyOfId = new Map([...groups].flatMap(([family, es]) => es.map((e) => [e.id, family] as const)));
  // A dated id or -latest alias seen in kept usage that the map does not list names its family too.
  for (const f of firstUsage) {
    const family = familyOfModelId(f.model);
    if (family !== f.model && !aliasOf.has(f.model) && !familyOfId.has(f.model) && !pricedFamilies.has(f.model) && groups.has(family)) {
      familyOfId.set(f.model, family);
      out.aliases.push({ alias: f.model, family });
    }
  }
  const firstKept = new Map<string, Date>();
  for (const f of firstUsage) {
    const family = aliasOf.get(f.model) ?? familyOfId.get(f.model) ?? f.model;
    const at = f._min.occurredAt;
    if (at && (!firstKept.has(family) || at < firstKept.get(family)!)) firstKept.set(family, at);
  }

  for (const [family, entries] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const chosen = entries.find((e) => e.id === family) ?? entries[0]!;
    for (const e of entries) {
      if (e !== chosen && !sameEntry(e, chosen)) report.conflicts.push(`${e.id}: its rates differ from ${chosen.id}'s; ${family} is priced at ${chosen.id}'s (${e.id} is an alias of it)`);
      if (e.id !== family && !aliasOf.has(e.id)) {
        if (aliasOf.get(family)) report.conflicts.push(`${e.id}: ${family} is itself an alias of ${aliasOf.get(family)}; no alias added`);
        else out.aliases.push({ alias: e.id, family });
      }
    }
    if (aliasOf.has(family)) {
      report.conflicts.push(`${chosen.id}: '${family}' is an alias of '${aliasOf.get(family)}' in the book; its prices were not taken`);
      continue;
    }

    // Prices: compared with the book's latest group of rows (a scheduled one included);
    // when that differs, with the group in force when a change would take effect (a
    // minute ahead, or the effective date asked): else each import would add another
    // group before a differing scheduled one (import twice ≠ once).
    const ours = priceRows.filter((r) => r.model === family);
    const changeAt = (mode === 'import' ? opts.effectiveFrom : undefined) ?? new Date(now.getTime() + PRICE_LEAD_MS);
    const dates = [...new Set(ours.map((r) => r.effectiveFrom.getTime()))];
    const groupOf = (at: number) => ours.filter((r) => r.effectiveFrom.getTime() === at);
    const sameAs = (group: typeof ours) => group.length > 0 && chosen.tiers.every((t) => {
      const row = group.find((r) => r.minPromptTokensExclusive === t.above);
      return row && sameRates(ratesOf(row), t.rates);
    });
    const latest = Math.max(...dates);
    const latestGroup = groupOf(latest);
    const inForce = Math.max(...dates.filter((d) => d <= changeAt.getTime()));
    // Only a group dated after the one in force is scheduled; compared by date, as each
    // groupOf() is a new array.
    const scheduledDiffers = !sameAs(latestGroup) && Number.isFinite(inForce) && inForce !== latest;
    const current = scheduledDiffers ? groupOf(inForce) : latestGroup;
    if (scheduledDiffers && mode === 'import') {
      report.conflicts.push(`${family}: a change the book has scheduled from ${latestGroup[0]!.effectiveFrom.toISOString()} differs from the map and stays; the map is compared with the prices in force before it`);
    }
    const oursOnly = current.filter((r) => !chosen.tiers.some((t) => t.above === r.minPromptTokensExclusive));
    for (const r of oursOnly) report.keptOurs.push({ family, longContextAboveTokens: r.minPromptTokensExclusive });
    let firstPriceAt: Date | null = null;
    if (current.length === 0) {
      const first = firstKept.get(family);
      let at = opts.effectiveFrom ?? (first && first < now ? first : now);
      // The seed back-dates; usage of the family already charged (e.g. at an org's
      // unknownModelFallback price) keeps its price, so the family is priced from a
      // minute ahead instead, and the rest of the seed still goes in.
      if (mode === 'seed' && at.getTime() < now.getTime() + PRICE_LEAD_MS) {
        const refused = await backDatingRefusal(db, family, at, 0, now);
        if (refused) {
          at = new Date(now.getTime() + PRICE_LEAD_MS);
          report.conflicts.push(`${family}: usage of it was charged already (e.g. at an organisation's fallback price), so the pinned map prices it from ${at.toISOString()}, not back-dated`);
        }
        out.checkedFamilies.add(family);
      }
      firstPriceAt = at;
      for (const tier of chosen.tiers) {
        out.prices.push({ family, effectiveFrom: at, tier });
        report.modelsAdded.push({ family, longContextAboveTokens: tier.above, effectiveFrom: at.toISOString(), perMillionTokens: perMillion(tier.rates) });
      }
    } else {
      const differs = chosen.tiers.filter((t) => {
        const row = current.find((r) => r.minPromptTokensExclusive === t.above);
        return !row || !sameRates(ratesOf(row), t.rates);
      });
      report.unchanged += chosen.tiers.length - differs.length;
      if (differs.length) {
        if (mode === 'seed') {
          for (const t of differs) report.conflicts.push(`${family}${t.above ? ` above ${t.above} tokens` : ''}: the pinned map says ${JSON.stringify(perMillion(t.rates))}, the book ${(() => { const r = current.find((x) => x.minPromptTokensExclusive === t.above); return r ? JSON.stringify(perMillion(ratesOf(r))) : 'has no such tier'; })()}; the book's stays (import the map to change it)`);
        } else {
          const at = opts.effectiveFrom ?? new Date(now.getTime() + PRICE_LEAD_MS);
          // The new group is whole: every tier of the map, and ours the map lacks (copied forward).
          const group: MapTier[] = [...chosen.tiers, ...oursOnly.map((r) => ({ above: r.minPromptTokensExclusive, rates: ratesOf(r) }))];
          for (const tier of group) {
            out.prices.push({ family, effectiveFrom: at, tier });
            const row = current.find((r) => r.minPromptTokensExclusive === tier.above);
            if (differs.includes(tier)) {
              report.ratesChanged.push({ family, longContextAboveTokens: tier.above, effectiveFrom: at.toISOString(), perMillionTokens: perMillion(tier.rates), ...(row ? { was: perMillion(ratesOf(row)) } : {}) });
            }
          }
        }
      }
    }

    // Modifiers: a family row only where the book would apply something else to it.
    for (const m of chosen.modifiers) {
      const inForce = selectModifier(modifiers, family, m.dimension, m.value, FAR_FUTURE);
      const same = inForce && (m.multiplierMillionths !== undefined ? inForce.multiplierMillionths === m.multiplierMillionths : inForce.nanosPerRequest === m.nanosPerRequest);
      if (same) continue;
      const firstOfItsKind = !modifiers.some((r) => r.dimension === m.dimension && r.value === m.value && (r.family === family || r.family === '*'));
      if (mode === 'seed' && !firstOfItsKind) {
        report.conflicts.push(`${family}: the pinned map says ${m.dimension}${m.value ? ` ${m.value}` : ''} ${modifierValue(m)}, the book ${modifierValue(inForce!)}; the book's stays`);
        continue;
      }
      const at = opts.effectiveFrom ?? (firstOfItsKind ? firstPriceAt ?? now : new Date(now.getTime() + PRICE_LEAD_MS));
      out.modifiers.push({ family, effectiveFrom: at, m });
      // Seen by the next families of this import, as the database will.
      modifiers.push({ id: 'new', family, dimension: m.dimension, value: m.value, effectiveFrom: at, nanosPerRequest: m.nanosPerRequest ?? null, multiplierMillionths: m.multiplierMillionths ?? null });
      report.modifiersAdded.push({
        family, dimension: m.dimension, value: m.value, effectiveFrom: at.toISOString(),
        ...(m.multiplierMillionths !== undefined ? { multiplier: millionthsToMultiplier(m.multiplierMillionths) } : {}),
        ...(m.nanosPerRequest !== undefined ? { perThousandRequests: nanosPerRequestToPerThousand(m.nanosPerRequest) } : {}),
        ...(inForce ? { was: modifierValue(inForce) } : {}),
      });
    }
  }
  report.aliasesAdded = out.aliases;
  const mapped = new Set(groups.keys());
  report.notInMap = [...pricedFamilies].filter((f) => !mapped.has(f)).sort();
  return out;
}

/** The refusals the price book's own rules give to the planned rows (back-dating, lead time). */
async function refusalOf(db: Db, p: Plan, now: Date) {
  // One question per family and date, at its lowest tier: the usage a higher tier would
  // price is part of what the lowest prices (each question scans the family's usage).
  const lowest = new Map<string, { family: string; at: Date; above: number }>();
  for (const row of p.prices) {
    if (p.checkedFamilies.has(row.family)) continue;
    const key = `${row.family}@${row.effectiveFrom.getTime()}`;
    const seen = lowest.get(key);
    if (!seen || row.tier.above < seen.above) lowest.set(key, { family: row.family, at: row.effectiveFrom, above: row.tier.above });
  }
  for (const { family, at, above } of lowest.values()) {
    const r = await backDatingRefusal(db, family, at, above, now);
    if (r) return r;
  }
  for (const row of p.modifiers) {
    const r = await modifierBackDatingRefusal(db, row.family, row.m.dimension, row.m.value, row.effectiveFrom, now);
    if (r) return r;
  }
  return null;
}

/** One audit entry per row added (who, what, before, after), in the import's transaction. */
async function audit(tx: Tx, p: Plan, actor: string): Promise<void> {
  const source = p.report.dryRun ? 'dry run' : 'import';
  const changed = new Map(p.report.ratesChanged.map((c) => [`${c.family}>${c.longContextAboveTokens}@${c.effectiveFrom}`, c.was]));
  const data = [
    ...p.prices.map(({ family, effectiveFrom, tier }) => ({
      actor, action: 'price.added', subject: `price:${family}>${tier.above}@${effectiveFrom.toISOString()}`,
      before: changed.get(`${family}>${tier.above}@${effectiveFrom.toISOString()}`) ?? undefined,
      after: { family, longContextAboveTokens: tier.above, effectiveFrom: effectiveFrom.toISOString(), perMillionTokens: perMillion(tier.rates), via: `price map ${source}` },
    })),
    ...p.aliases.map((a) => ({ actor, action: 'model_alias.added', subject: `model_alias:${a.alias}`, after: { alias: a.alias, family: a.family, via: `price map ${source}` } })),
    ...p.modifiers.map(({ family, effectiveFrom, m }) => {
      const line = p.report.modifiersAdded.find((l) => l.family === family && l.dimension === m.dimension && l.value === m.value);
      return {
        actor, action: 'price_modifier.added', subject: `price_modifier:${family}:${m.dimension}${m.value ? `=${m.value}` : ''}@${effectiveFrom.toISOString()}`,
        ...(line?.was ? { before: { value: line.was } } : {}),
        after: { family, dimension: m.dimension, value: m.value, effectiveFrom: effectiveFrom.toISOString(), ...(line?.multiplier ? { multiplier: line.multiplier } : {}), ...(line?.perThousandRequests ? { perThousandRequests: line.perThousandRequests } : {}), via: `price map ${source}` },
      };
    }),
  ];
  if (data.length) {
    await tx.priceBookAudit.createMany({ data: data.map((d) => ({ actor: d.actor, action: d.action, subject: d.subject, before: jsonSafe('before' in d ? d.before : undefined) ?? undefined, after: jsonSafe(d.after) ?? undefined })) });
  }
}

async function write(tx: Tx, p: Plan): Promise<void> {
  if (p.prices.length) {
    await tx.priceEntry.createMany({
      data: p.prices.map(({ family, effectiveFrom, tier }) => ({ model: family, effectiveFrom, minPromptTokensExclusive: tier.above, ...tier.rates })),
    });
  }
  if (p.aliases.length) await tx.modelAlias.createMany({ data: p.aliases, skipDuplicates: true });
  if (p.modifiers.length) {
    await tx.priceModifier.createMany({
      data: p.modifiers.map(({ family, effectiveFrom, m }) => ({
        family, dimension: m.dimension, value: m.value, effectiveFrom, nanosPerRequest: m.nanosPerRequest ?? null, multiplierMillionths: m.multiplierMillionths ?? null,
      })),
    });
  }
}

const defaultPriceKept = async (db: Db, now: Date) => (await priceUnpricedUsage(db, { now })).priced;

/**
 * Imports a map file's text (LiteLLM's format). A dry run reports the difference and
 * changes nothing. A map that cannot be read, or rows the price book's rules refuse
 * (e.g. a change dated less than a minute ahead), change nothing: a 422 naming why.
 */
export async function importPriceMap(db: Db, text: string, opts: ImportOptions = {}): Promise<ImportReport> {
  const now = opts.now ?? new Date();
  if (opts.dryRun) return (await plan(db, text, { ...opts, now })).report;
  const p = await inTransaction(db, async (tx) => {
    // One change of aliases (and of this import) at a time: the plan holds until commit.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(4242001)`;
    const txDb = tx as unknown as Db;
    const planned = await plan(txDb, text, { ...opts, now });
    const refusal = await refusalOf(txDb, planned, now);
    if (refusal) throw refusal;
    await write(tx, planned);
    await audit(tx, planned, opts.actor ?? 'operator');
    return planned;
  });
  if (p.prices.length || p.aliases.length || p.modifiers.length) {
    forgetPrices(db);
    forgetModelAliases(db);
    // Usage kept unpriced that the new rows price is priced now, from its first use. The
    // rows are committed already: a failure here is reported, never a failed import.
    const pass = (opts.priceKept ?? defaultPriceKept)(db, now);
    if (opts.deferPricing) {
      opts.deferPricing(pass);
      return p.report;
    }
    try {
      p.report.pricedUnpriced = await pass;
    } catch (err) {
      p.report.conflicts.push(`the rows were imported; pricing the usage kept unpriced failed (${err instanceof Error ? err.message : String(err)}): POST /v1/operator/usage/unpriced/price prices it`);
    }
  }
  return p.report;
}
