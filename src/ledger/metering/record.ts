// The record after a model request: price its usage, split it into included and
// extra, add it to month-to-date spend, all in one transaction with the usage event
// and any domain events. The same requestId twice counts once. In reservation mode
// the record settles its own member's hold (never another member's) and reports a
// cost past the hold. Usage is never refused for want of a price: a record whose
// model has none is stored unpriced, counted nowhere, and priced once a price for it
// exists (unpriced.ts). A member removed since the request is still billed.
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { billsExtraUsage, continuesOnExtraUsage, splitCost, type SeatTier } from '../../domain/caps.js';
import { eventsFor, ORG_CAP_THRESHOLDS, TIER_CAP_THRESHOLDS, type DomainEvent } from '../../domain/events.js';
import { storedPercents } from '../settings/notice-settings.js';
import { formatUsd } from '../../domain/money.js';
import { periodOf, windowResetsAt } from '../../domain/periods.js';
import type { MessagesUsage } from '../../domain/pricing.js';
import { overHoldFlag, overHoldOf, reservationExceeded, type OverHold } from '../../domain/reservations.js';
import { invalid, notFound } from '../errors.js';
import { productSpendSubject } from '../../domain/products.js';
import { productCapOfMember, requireKnownProduct } from './products.js';
import { loadOrg, tierCapOf, tierConfigOf, type OrgWithTiers } from '../limits-state.js';
import { findMember } from '../settings/members.js';
import { appendEvents } from '../outbox.js';
import { inTransaction, isOutOfRange, isUniqueViolation, type Tx } from '../transactions.js';
import { lockHoldOf, releaseHold, type OpenHold } from './reservations.js';
import { memberIdOf, repeatedWithDifferentBody, requestOfAnotherMember } from '../requests/request-owner.js';
import { priceUsage, reasonText, withClientCost, type EventFlag, type UnpricedReason, type UsagePrice } from './usage-pricing.js';
import { priceUnpricedUsage } from './unpriced.js';

export interface RecordInput {
  orgId: string;
  requestId: string;
  member: string;
  model: string;
  usage: MessagesUsage;
  /** When the request happened, if the gateway said so. */
  at?: Date;
  /** The product the request came from (claude, claude_code, api, or one the org declared); unset = unspecified. */
  product?: string | null;
  /** What the client said it cost (Claude Code's cost_usd): kept and compared, never billed. */
  clientCostNanos?: bigint;
}

export interface RecordResponse {
  requestId: string;
  memberId: string;
  /** The model id as sent. */
  model: string;
  /** The price-book family it names, whose rates priced it. */
  family: string;
  period: string;
  /** The product named, if any. */
  product?: string;
  /** False: no price for it yet; it is kept and counted nowhere (cost, included and extra are 0.00) until one exists. */
  priced: boolean;
  unpricedReason?: UnpricedReason;
  cost: string;
  included: string;
  extra: string;
  memberMonthToDateExtra: string;
  /** Team plans: the prepaid balance after this request. */
  balance?: string;
  /** Reservation mode: the request cost more than its hold (held, and the excess counted past it). */
  overHold?: { held: string; excess: string };
  /** What is unusual about it (e.g. cache_breakdown_mismatch, fallback_price, priced_late). */
  flags?: EventFlag[];
}

export interface RecordResult {
  response: RecordResponse;
  /** True when this requestId was recorded before and nothing was counted now. */
  replayed: boolean;
  /** Set when this call settled a hold the cost went past (not on a replay). */
  overHold?: OverHold;
  /** Set when the usage was stored unpriced (not on a replay). */
  unpriced?: { eventId: string; reason: UnpricedReason };
}

/** A stored answer as replayed: answers given before family and priced existed get them from the event. */
export function replayedAnswer(stored: unknown, family: string, priced: boolean): RecordResponse {
  const r = stored as RecordResponse;
  return { ...r, family: r.family ?? family, priced: r.priced ?? priced };
}

/** Fingerprint of the request as the gateway sent it: a retry must match it exactly. */
export function bodyHashOf(input: RecordInput): string {
  const canonical = JSON.stringify({
    member: input.member,
    model: input.model,
    usage: {
      input_tokens: input.usage.input_tokens,
      output_tokens: input.usage.output_tokens,
      cache_creation_input_tokens: input.usage.cache_creation_input_tokens ?? null,
      cache_read_input_tokens: input.usage.cache_read_input_tokens ?? null,
      ephemeral_5m_input_tokens: input.usage.cache_creation?.ephemeral_5m_input_tokens ?? null,
      ephemeral_1h_input_tokens: input.usage.cache_creation?.ephemeral_1h_input_tokens ?? null,
      // What is priced beyond tokens, only when said (so earlier records keep their fingerprint).
      ...extrasForHash(input.usage),
    },
    at: input.at?.toISOString() ?? null,
    // Only when said, so records without a product keep their fingerprint.
    ...(input.product ? { product: input.product } : {}),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

function extrasForHash(u: MessagesUsage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (u.server_tool_use?.web_search_requests) out.web_search_requests = u.server_tool_use.web_search_requests;
  if (u.server_tool_use?.web_fetch_requests) out.web_fetch_requests = u.server_tool_use.web_fetch_requests;
  if (u.service_tier != null) out.service_tier = u.service_tier;
  if (u.inference_geo != null) out.inference_geo = u.inference_geo;
  if (u.speed != null) out.speed = u.speed;
  return out;
}

/** The usage event columns of what a usage object says beyond tokens, and the rows that priced it. */
export function extrasColumns(price: UsagePrice) {
  const e = price.extras;
  return {
    webSearchRequests: e.webSearchRequests, webFetchRequests: e.webFetchRequests, serviceTier: e.serviceTier, inferenceGeo: e.inferenceGeo, speed: e.speed,
    priceModifierIds: price.priced && price.modifierIds.length ? price.modifierIds : null,
  };
}

/** The first answer for a repeated requestId; a different body is a 409 (`member` when another member's). */
async function earlierAnswer(db: Db | Tx, input: RecordInput, bodyHash: string, memberId?: string): Promise<RecordResult | null> {
  const prior = await db.usageEvent.findUnique({ where: { orgId_requestId: { orgId: input.orgId, requestId: input.requestId } } });
  if (!prior) return null;
  if (prior.bodyHash !== bodyHash) {
    throw repeatedWithDifferentBody(input.requestId, prior.memberId, memberId ?? (await memberIdOf(db, input.orgId, input.member)));
  }
  return { response: replayedAnswer(prior.response, prior.family, prior.costNanos !== null), replayed: true };
}

export interface LockedMember {
  seatTier: SeatTier;
  extraUsageEnabled: boolean;
  continueOnExtraUsage: boolean | null;
  extraUsageCapNanos: bigint | null;
  windowStartedAt: Date | null;
  windowUsedNanos: bigint;
  windowHeldNanos: bigint;
  removedAt: Date | null;
}

/** Locks a member's row: it serialises the member's records, holds and late pricing. */
export async function lockMember(tx: Tx, memberId: string): Promise<LockedMember | undefined> {
  return (await tx.$queryRaw<LockedMember[]>`
    SELECT "seatTier", "extraUsageEnabled", "continueOnExtraUsage", "extraUsageCapNanos", "windowStartedAt", "windowUsedNanos", "windowHeldNanos", "removedAt"
    FROM "Member" WHERE "id" = ${memberId} FOR UPDATE`)[0];
}

async function addSpend(tx: Tx, orgId: string, period: string, scope: 'member' | 'tier' | 'org' | 'product', subject: string, extra: bigint, included: bigint): Promise<bigint> {
  const rows = await tx.$queryRaw<{ extraNanos: bigint }[]>`
    INSERT INTO "MonthlySpend" ("orgId", "period", "scope", "subject", "extraNanos", "includedNanos", "eventCount")
    VALUES (${orgId}, ${period}, ${scope}::"SpendScope", ${subject}, ${extra}, ${included}, 1)
    ON CONFLICT ("orgId", "period", "scope", "subject") DO UPDATE SET
      "extraNanos" = "MonthlySpend"."extraNanos" + EXCLUDED."extraNanos",
      "includedNanos" = "MonthlySpend"."includedNanos" + EXCLUDED."includedNanos",
      "eventCount" = "MonthlySpend"."eventCount" + 1
    RETURNING "extraNanos"`;
  return BigInt(rows[0]!.extraNanos);
}

export interface Counted {
  includedNanos: bigint;
  extraNanos: bigint;
  memberAfter: bigint;
  /** The member's extra on the product after it, and their cap on it (a product named only). */
  product: { after: bigint; cap: bigint | null } | null;
  balance: { before: bigint; after: bigint; threshold: bigint | null } | null;
  /** Every limit the cost crossed. */
  events: DomainEvent[];
}

/**
 * Counts a priced cost for a locked member: the included/extra split against the
 * allowance window at `windowAt`, the window, the month-to-date rows of `period`
 * (member, org, tier, and the member's row of the product named), a held estimate
 * given back, and (Team) the balance. The one place a cost is counted for the
 * single-record path and late pricing. A product that is off for the member (cap 0)
 * is like extra usage off: what runs past the allowance is absorbed as included.
 */
export async function countCost(tx: Tx, org: OrgWithTiers, memberId: string, locked: LockedMember, period: string, windowAt: Date, cost: bigint, hold: OpenHold | null, now: Date, product: { name: string; capNanos: bigint | null } | null = null): Promise<Counted> {
  const tier = locked.seatTier;
  const config = tierConfigOf(org, tier);
  const extraAvailable = billsExtraUsage({
    orgExtraUsageEnabled: org.extraUsageEnabled,
    extraUsageScope: org.extraUsageScope,
    memberExtraUsageEnabled: locked.extraUsageEnabled,
    continueOnExtraUsage: continuesOnExtraUsage(locked.continueOnExtraUsage, org.continueOnExtraUsageDefault),
  }) && product?.capNanos !== 0n;
  // What other open reservations hold of the allowance is not this request's to use.
  const heldByOthers = BigInt(locked.windowHeldNanos) - (hold?.includedHeldNanos ?? 0n);
  const allowance = config.includedAllowanceNanos > heldByOthers ? config.includedAllowanceNanos - heldByOthers : 0n;
  const windowBefore = { startedAt: locked.windowStartedAt, usedNanos: BigInt(locked.windowUsedNanos) };
  const split = splitCost(cost, windowBefore, allowance, config.windowMinutes, windowAt, extraAvailable);
  await tx.$executeRaw`
    UPDATE "Member" SET "windowStartedAt" = ${split.window.startedAt}, "windowUsedNanos" = ${split.window.usedNanos}
    WHERE "id" = ${memberId}`;

  // Fixed lock order (member, org, tier, balance: the order group commit takes the
  // month-to-date rows in, by key) keeps concurrent records and batches deadlock-free.
  const memberAfter = await addSpend(tx, org.id, period, 'member', memberId, split.extraNanos, split.includedNanos);
  const orgAfter = await addSpend(tx, org.id, period, 'org', 'org', split.extraNanos, split.includedNanos);
  const productAfter = product ? await addSpend(tx, org.id, period, 'product', productSpendSubject(product.name, memberId), split.extraNanos, split.includedNanos) : null;
  const tierAfter = await addSpend(tx, org.id, period, 'tier', tier, split.extraNanos, split.includedNanos);
  if (hold) await releaseHold(tx, org.id, memberId, hold, 'settledAt', now);

  let balance: Counted['balance'] = null;
  if (org.plan === 'team') {
    const row = (await tx.$queryRaw<{ balanceNanos: bigint; autoReloadEnabled: boolean; autoReloadThresholdNanos: bigint | null }[]>`
      UPDATE "Organization" SET "balanceNanos" = "balanceNanos" - ${split.extraNanos}
      WHERE "id" = ${org.id}
      RETURNING "balanceNanos", "autoReloadEnabled", "autoReloadThresholdNanos"`)[0]!;
    const after = BigInt(row.balanceNanos);
    balance = {
      before: after + split.extraNanos,
      after,
      threshold: row.autoReloadEnabled && row.autoReloadThresholdNanos !== null ? BigInt(row.autoReloadThresholdNanos) : null,
    };
  }
  const events = eventsFor({
    memberId,
    tier,
    period,
    seat: { before: windowBefore.startedAt === split.window.startedAt ? windowBefore.usedNanos : 0n, after: split.window.usedNanos, allowance: config.includedAllowanceNanos, resetsAt: windowResetsAt(split.window, config.windowMinutes) },
    member: { before: memberAfter - split.extraNanos, after: memberAfter, cap: locked.extraUsageCapNanos === null ? null : BigInt(locked.extraUsageCapNanos) },
    tierSpend: { before: tierAfter - split.extraNanos, after: tierAfter, cap: org.plan === 'enterprise' ? tierCapOf(org, tier) : null, percents: storedPercents(org.noticeTierCapPercents, TIER_CAP_THRESHOLDS) },
    org: { before: orgAfter - split.extraNanos, after: orgAfter, cap: org.orgMonthlyCapNanos, percents: storedPercents(org.noticeOrgCapPercents, ORG_CAP_THRESHOLDS) },
    product: product && productAfter !== null ? { name: product.name, before: productAfter - split.extraNanos, after: productAfter, cap: product.capNanos } : null,
    balance,
  });
  return {
    includedNanos: split.includedNanos, extraNanos: split.extraNanos, memberAfter, balance, events,
    product: product && productAfter !== null ? { after: productAfter, cap: product.capNanos } : null,
  };
}

/** The record is past its product cap: it added extra usage and the member's spend on the product is over the cap. */
export function overProductCap(extraNanos: bigint, product: { after: bigint; cap: bigint | null } | null): boolean {
  return product !== null && product.cap !== null && extraNanos > 0n && product.after > product.cap;
}

/** The member's month-to-date extra, read (an unpriced record adds nothing to it). */
export async function memberExtraOf(tx: Tx | Db, orgId: string, period: string, memberId: string): Promise<bigint> {
  const row = await tx.monthlySpend.findUnique({ where: { orgId_period_scope_subject: { orgId, period, scope: 'member', subject: memberId } }, select: { extraNanos: true } });
  return row?.extraNanos ?? 0n;
}

export const flagsOrNull = (flags: readonly string[]) => (flags.length ? [...flags] : null);

export async function recordUsage(db: Db, input: RecordInput, now = new Date()): Promise<RecordResult> {
  const bodyHash = bodyHashOf(input);
  const replay = await earlierAnswer(db, input, bodyHash);
  if (replay) return replay;

  const at = input.at ?? now;
  await requireKnownProduct(db, input.orgId, input.product);
  const productName = input.product ?? null;
  // A removed member's late usage is still theirs, and billed.
  const [org, member] = await Promise.all([loadOrg(db, input.orgId), findMember(db, input.orgId, input.member)]);
  if (!member) throw notFound(`member '${input.member}'`, 'member');
  const price = withClientCost(await priceUsage(db, input.model, at, now, input.usage, async () => org.unknownModelFallback), input.clientCostNanos);
  const period = periodOf(at, org.timezone);
  const flags = flagsOrNull(price.flags);

  let result: RecordResult;
  try {
    result = await inTransaction(db, async (tx) => {
      // The member row lock serialises this member's records, so the allowance
      // window and a duplicate requestId are decided on settled values.
      const locked = await lockMember(tx, member.id);
      if (!locked) throw notFound(`member '${input.member}'`, 'member');
      const again = await earlierAnswer(tx, input, bodyHash, member.id);
      if (again) return again;

      // A reservation for this request is settled here, if it is this member's.
      const named = await lockHoldOf(tx, org.id, input.requestId);
      if (named && named.memberId !== member.id) throw requestOfAnotherMember(input.requestId);
      const hold = named?.open ? named : null;
      const base = { requestId: input.requestId, memberId: member.id, model: input.model, family: price.family, period, ...(productName ? { product: productName } : {}) };
      const eventId = randomUUID();
      const common = {
        id: eventId, orgId: org.id, memberId: member.id, requestId: input.requestId, bodyHash, model: input.model, family: price.family, product: productName,
        occurredAt: at, period, inputTokens: price.tokens.input, cacheWrite5mTokens: price.tokens.cacheWrite5m, cacheWrite1hTokens: price.tokens.cacheWrite1h,
        cacheReadTokens: price.tokens.cacheRead, outputTokens: price.tokens.output, ...(flags ? { flags } : {}),
        clientCostNanos: input.clientCostNanos ?? null,
      };
      const extras = extrasColumns(price);
      const { priceModifierIds, ...said } = extras;

      if (!price.priced) {
        // Kept, counted nowhere: the request is over, so its hold is given back.
        if (hold) await releaseHold(tx, org.id, member.id, hold, 'settledAt', now);
        const response: RecordResponse = {
          ...base, priced: false, unpricedReason: price.reason, cost: formatUsd(0n), included: formatUsd(0n), extra: formatUsd(0n),
          memberMonthToDateExtra: formatUsd(await memberExtraOf(tx, org.id, period, member.id)),
          ...(flags ? { flags: price.flags } : {}),
        };
        await tx.usageEvent.create({ data: { ...common, ...said, priceEntryId: null, costNanos: null, includedNanos: 0n, extraNanos: 0n, response: response as object } });
        await tx.unpricedUsage.create({ data: { usageEventId: eventId, orgId: org.id, memberId: member.id, requestId: input.requestId, model: input.model, family: price.family, reason: reasonText(price), occurredAt: at, createdAt: now } });
        await appendEvents(tx, org.id, [{ type: 'usage_unpriced', memberId: member.id, requestId: input.requestId, model: input.model, family: price.family, period, reason: reasonText(price) }]);
        return { response, replayed: false, unpriced: { eventId, reason: price.reason } };
      }

      const over = hold ? overHoldOf(hold.estimateNanos, price.cost) : null;
      const productCap = productName ? { name: productName, capNanos: await productCapOfMember(tx as unknown as Db, org.id, productName, member.id) } : null;
      const counted = await countCost(tx, org, member.id, locked, period, at, price.cost, hold, now, productCap);
      const allFlags: EventFlag[] = overProductCap(counted.extraNanos, counted.product) ? [...price.flags, 'over_product_cap'] : price.flags;
      const response: RecordResponse = {
        ...base,
        priced: true,
        cost: formatUsd(price.cost),
        included: formatUsd(counted.includedNanos),
        extra: formatUsd(counted.extraNanos),
        memberMonthToDateExtra: formatUsd(counted.memberAfter),
        ...(counted.balance ? { balance: formatUsd(counted.balance.after) } : {}),
        ...(over ? { overHold: overHoldFlag(over) } : {}),
        ...(allFlags.length ? { flags: allFlags } : {}),
      };
      await tx.usageEvent.create({
        data: { ...common, ...said, ...(allFlags.length ? { flags: [...allFlags] } : {}), ...(priceModifierIds ? { priceModifierIds } : {}), priceEntryId: price.tier.id, costNanos: price.cost, includedNanos: counted.includedNanos, extraNanos: counted.extraNanos, response: response as object },
      });
      if (allFlags.includes('cost_differs_from_client') && input.clientCostNanos !== undefined) {
        await tx.clientCostDifference.create({ data: { usageEventId: eventId, orgId: org.id, memberId: member.id, requestId: input.requestId, model: input.model, period, occurredAt: at, costNanos: price.cost, clientCostNanos: input.clientCostNanos, createdAt: now } });
      }
      await appendEvents(tx, org.id, counted.events.concat(over ? [reservationExceeded(member.id, input.requestId, period, over)] : []));
      return { response, replayed: false, ...(over ? { overHold: over } : {}) };
    });
  } catch (err) {
    // The same requestId raced in for another member: the unique index caught it.
    if (isUniqueViolation(err)) {
      const prior = await earlierAnswer(db, input, bodyHash, member.id);
      if (prior) return prior;
    }
    // No real request costs billions; a gateway sending such counts is broken. Refused
    // whole (nothing half-written), never a 500.
    if (isOutOfRange(err)) throw invalid('usage', 'recording this usage would take a month-to-date total past what the ledger can hold (about $9.2 billion); check the token counts and the price book. Nothing was recorded');
    throw err;
  }
  return afterUnpriced(db, result, now);
}

/**
 * An unpriced record is priced at once if a price for it arrived while it was being
 * written (the pass that price's arrival ran may have missed it): the answer is then
 * the priced one.
 */
export async function afterUnpriced(db: Db, result: RecordResult, now: Date): Promise<RecordResult> {
  if (!result.unpriced) return result;
  const priced = await priceUnpricedUsage(db, { eventIds: [result.unpriced.eventId], now });
  const response = priced.responses.get(result.unpriced.eventId);
  return response ? { response, replayed: false } : result;
}
