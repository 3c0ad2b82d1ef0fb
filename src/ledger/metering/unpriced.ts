// Usage that arrived without a price: listed for the operator, and priced once a price
// for it exists. Pricing late is exactly-once per event: under the member's row lock,
// the event's UnpricedUsage row is claimed (pricedAt set while still null) in the same
// transaction that counts it, so two passes racing (a price and an alias added at
// once, two service instances) count it once.
//
// The one rule for what late pricing counts: the event is priced at the row in force
// at its own time (`occurredAt`), in its own month (`period`); the included/extra
// split is decided as if the request were recorded the moment its price arrived (the
// member's allowance window, extra-usage switch and seat tier as they are then). A
// member's included allowance is per window, and the window the request ran in is
// long gone; counting it in the current one is what a record arriving now would do.
import type { Db } from '../../db/client.js';
import { formatUsd } from '../../domain/money.js';
import type { PriceTier, TokenCounts, UsageExtras } from '../../domain/pricing.js';
import { loadOrg } from '../limits-state.js';
import { appendEvents } from '../outbox.js';
import { countCost, lockMember, overProductCap, replayedAnswer, type RecordResponse } from './record.js';
import { productCapOfMember } from './products.js';
import { inTransaction } from '../transactions.js';
import { costDiffersFromClient, priceCounts, reasonText, type EventFlag, type Priced } from './usage-pricing.js';

export interface UnpricedView {
  eventId: string;
  org: string;
  memberId: string;
  member: string;
  requestId: string;
  model: string;
  family: string;
  reason: string;
  at: string;
  period: string;
  recordedAt: string;
  tokens: TokenCounts;
  flags: string[];
}

export interface UnpricedFamily {
  family: string;
  events: number;
  /** The earliest `at`: a new model's first price may be back-dated to it. */
  firstAt: string;
  lastAt: string;
}

/** What is waiting for a price: the events (oldest first) and a summary per family. */
export async function listUnpricedUsage(db: Db, opts: { family?: string; limit?: number } = {}): Promise<{ families: UnpricedFamily[]; events: UnpricedView[] }> {
  const where = { pricedAt: null, ...(opts.family ? { family: opts.family } : {}) };
  const [groups, rows] = await Promise.all([
    db.unpricedUsage.groupBy({ by: ['family'], where, _count: { _all: true }, _min: { occurredAt: true }, _max: { occurredAt: true }, orderBy: { family: 'asc' } }),
    db.unpricedUsage.findMany({
      where, orderBy: [{ occurredAt: 'asc' }, { usageEventId: 'asc' }], take: opts.limit ?? 100,
      include: { org: { select: { slug: true } }, event: { include: { member: { select: { externalId: true } } } } },
    }),
  ]);
  return {
    families: groups.map((g) => ({ family: g.family, events: g._count._all, firstAt: g._min.occurredAt!.toISOString(), lastAt: g._max.occurredAt!.toISOString() })),
    events: rows.map((r) => ({
      eventId: r.usageEventId,
      org: r.org.slug,
      memberId: r.memberId,
      member: r.event.member.externalId,
      requestId: r.requestId,
      model: r.model,
      family: r.family,
      reason: r.reason,
      at: r.occurredAt.toISOString(),
      period: r.event.period,
      recordedAt: r.createdAt.toISOString(),
      tokens: { input: r.event.inputTokens, cacheWrite5m: r.event.cacheWrite5mTokens, cacheWrite1h: r.event.cacheWrite1hTokens, cacheRead: r.event.cacheReadTokens, output: r.event.outputTokens },
      flags: Array.isArray(r.event.flags) ? (r.event.flags as string[]) : [],
    })),
  };
}

export interface PricingPass {
  /** Events priced and counted by this pass. */
  priced: number;
  /** Events the pass looked at that still have no price. */
  stillUnpriced: number;
  /** The new answer of each event priced (a retry of its record gets it). */
  responses: Map<string, RecordResponse>;
}

const PAGE = 200;

/**
 * Prices every unpriced event that now has a price: those of one family (with the
 * aliases of it), of given events, or all. Reads aliases and price rows from the
 * database (never a cached copy: a price just added elsewhere must be seen). Each
 * event is priced in its own transaction.
 */
export async function priceUnpricedUsage(db: Db, opts: { family?: string; eventIds?: string[]; now?: Date } = {}): Promise<PricingPass> {
  const now = opts.now ?? new Date();
  const pass: PricingPass = { priced: 0, stillUnpriced: 0, responses: new Map() };
  const aliases = new Map((await db.modelAlias.findMany()).map((a) => [a.alias, a.family]));
  const familyOf = (model: string) => aliases.get(model) ?? model;
  const names = opts.family ? [opts.family, ...[...aliases].filter(([, f]) => f === opts.family).map(([a]) => a)] : null;
  const modifiers = await db.priceModifier.findMany();
  const books = new Map<string, PriceTier[]>();
  const bookOf = async (family: string) => books.get(family) ?? books.set(family, await db.priceEntry.findMany({ where: { model: family } })).get(family)!;

  // Oldest first (by when the requests happened), paged on (occurredAt, id).
  let after: { occurredAt: Date; usageEventId: string } | undefined;
  for (;;) {
    const page = await db.unpricedUsage.findMany({
      where: {
        pricedAt: null,
        ...(opts.eventIds ? { usageEventId: { in: opts.eventIds } } : {}),
        AND: [
          names ? { OR: [{ family: { in: names } }, { model: { in: names } }] } : {},
          after ? { OR: [{ occurredAt: { gt: after.occurredAt } }, { occurredAt: after.occurredAt, usageEventId: { gt: after.usageEventId } }] } : {},
        ],
      },
      orderBy: [{ occurredAt: 'asc' }, { usageEventId: 'asc' }],
      take: PAGE,
      include: { event: true },
    });
    if (page.length === 0) break;
    after = { occurredAt: page.at(-1)!.occurredAt, usageEventId: page.at(-1)!.usageEventId };
    for (const row of page) {
      const e = row.event;
      const family = familyOf(e.model);
      const tokens: TokenCounts = { input: e.inputTokens, cacheWrite5m: e.cacheWrite5mTokens, cacheWrite1h: e.cacheWrite1hTokens, cacheRead: e.cacheReadTokens, output: e.outputTokens };
      const extras: UsageExtras = { webSearchRequests: e.webSearchRequests, webFetchRequests: e.webFetchRequests, serviceTier: e.serviceTier, inferenceGeo: e.inferenceGeo, speed: e.speed };
      const price = priceCounts(family, { family, tiers: await bookOf(family) }, modifiers, e.occurredAt, tokens, extras, []);
      if (!price.priced) {
        pass.stillUnpriced++;
        // An alias added since, or a price for the model but not yet for a fee: listed as it now stands.
        const reason = reasonText(price);
        if (family !== row.family || reason !== row.reason) await db.unpricedUsage.updateMany({ where: { usageEventId: row.usageEventId, pricedAt: null }, data: { family, reason } });
        continue;
      }
      const response = await priceOne(db, row.usageEventId, price, now);
      if (response) {
        pass.priced++;
        pass.responses.set(row.usageEventId, response);
      }
    }
    if (page.length < PAGE) break;
  }
  return pass;
}

/** Prices and counts one event, once; null when another pass got there first. */
async function priceOne(db: Db, eventId: string, price: Priced, now: Date): Promise<RecordResponse | null> {
  const { family, tier, cost } = price;
  return inTransaction(db, async (tx) => {
    const e = await tx.usageEvent.findUniqueOrThrow({ where: { id: eventId } });
    const locked = await lockMember(tx, e.memberId);
    if (!locked) return null;
    const claimed = await tx.unpricedUsage.updateMany({ where: { usageEventId: eventId, pricedAt: null }, data: { pricedAt: now, family } });
    if (claimed.count !== 1) return null;
    const org = await loadOrg(tx as unknown as Db, e.orgId);
    // Its product's cap as it stands now, like the rest of late pricing's split.
    const product = e.product ? { name: e.product, capNanos: await productCapOfMember(tx as unknown as Db, e.orgId, e.product, e.memberId) } : null;
    const counted = await countCost(tx, org, e.memberId, locked, e.period, now, cost, null, now, product);
    const over: EventFlag[] = overProductCap(counted.extraNanos, counted.product) ? ['over_product_cap'] : [];
    const differs: EventFlag[] = costDiffersFromClient(cost, e.clientCostNanos) ? ['cost_differs_from_client'] : [];
    const flags = [...new Set([...((Array.isArray(e.flags) ? e.flags : []) as EventFlag[]), 'priced_late' as const, ...over, ...differs])];
    const { unpricedReason: _gone, ...before } = replayedAnswer(e.response, family, false);
    const response: RecordResponse = {
      ...before,
      family,
      priced: true,
      cost: formatUsd(cost),
      included: formatUsd(counted.includedNanos),
      extra: formatUsd(counted.extraNanos),
      memberMonthToDateExtra: formatUsd(counted.memberAfter),
      ...(counted.balance ? { balance: formatUsd(counted.balance.after) } : {}),
      flags,
    };
    await tx.usageEvent.update({
      where: { id: eventId },
      data: {
        family, priceEntryId: tier.id, costNanos: cost, includedNanos: counted.includedNanos, extraNanos: counted.extraNanos, flags, response: response as object,
        ...(price.modifierIds.length ? { priceModifierIds: price.modifierIds } : {}),
      },
    });
    if (differs.length) {
      await tx.clientCostDifference.create({ data: { usageEventId: e.id, orgId: e.orgId, memberId: e.memberId, requestId: e.requestId, model: e.model, period: e.period, occurredAt: e.occurredAt, costNanos: cost, clientCostNanos: e.clientCostNanos!, createdAt: now } });
    }
    await appendEvents(tx, e.orgId, counted.events);
    return response;
  });
}
