// Reservation mode in the database: authorize holds an upper-bound estimate against
// the allowance and every cap (conditional updates, so concurrent holds cannot
// together pass a cap); the record with the same requestId settles it; an unsettled
// hold is released when it expires. A hold belongs to one (org, member, requestId):
// the same id for another member is refused (request-owner.ts).
import type { Db } from '../../db/client.js';
import type { AuthorizeDecision } from '../../domain/caps.js';
import { effectiveTierCap } from '../../domain/caps.js';
import { formatUsd } from '../../domain/money.js';
import { monthResetsAt, periodOf } from '../../domain/periods.js';
import { estimateUpperBound, planReservation, type UsageEstimate } from '../../domain/reservations.js';
import { invalid, notFound } from '../errors.js';
import { loadHeldState, loadOrg, tierCapOf } from '../limits-state.js';
import { productSpendSubject } from '../../domain/products.js';
import { requireKnownProduct } from './products.js';
import { findMember, requireActiveMember } from '../settings/members.js';
import { priceModifiersOf, pricedAt, pricesForModel } from './prices.js';
import { MODEL_UNPRICED } from './authorize.js';
import { requestOfAnotherMember } from '../requests/request-owner.js';
import { inTransaction, isUniqueViolation, type Tx } from '../transactions.js';

export const DEFAULT_RESERVATION_TTL_MS = 10 * 60_000;

export interface ReserveInput {
  orgId: string;
  requestId: string;
  member: string;
  model: string;
  at: Date;
  estimate: UsageEstimate;
  ttlMs?: number;
  /** The product the request comes from: its cap is held against too. */
  product?: string | null;
}

export type ReserveDecision = (AuthorizeDecision & { memberId: string }) & {
  reservation?: { requestId: string; held: string; includedHeld: string; extraHeld: string; expiresAt: string };
};

type Refused = Extract<AuthorizeDecision, { allowed: false }>;
class HoldRefused extends Error {
  constructor(readonly decision: Refused) {
    super(decision.reason);
  }
}

const asJson = (d: ReserveDecision) => ({ ...d, ...('resetsAt' in d ? { resetsAt: d.resetsAt?.toISOString() ?? null } : {}) });

/** The answer given to an earlier authorize with this requestId: only its own member gets it again. */
async function earlierDecision(db: Db | Tx, orgId: string, requestId: string, memberId: string): Promise<ReserveDecision | null> {
  const prior = await db.reservation.findUnique({ where: { orgId_requestId: { orgId, requestId } }, select: { memberId: true, decision: true } });
  if (!prior) return null;
  if (prior.memberId !== memberId) throw requestOfAnotherMember(requestId);
  return prior.decision as unknown as ReserveDecision;
}

/**
 * Before anything is held: a repeated authorize gets its first answer, and a requestId
 * already held or recorded for another member is refused.
 */
async function replayOrRefuse(db: Db, input: ReserveInput): Promise<ReserveDecision | null> {
  const where = { orgId_requestId: { orgId: input.orgId, requestId: input.requestId } };
  const [held, recorded] = await Promise.all([
    db.reservation.findUnique({ where, select: { memberId: true } }),
    db.usageEvent.findUnique({ where, select: { memberId: true } }),
  ]);
  if (!held && !recorded) return null;
  // A removed member still gets their earlier answer back, as before.
  const asked = await findMember(db, input.orgId, input.member);
  if (!asked) throw notFound(`member '${input.member}'`, 'member');
  if (recorded && recorded.memberId !== asked.id) throw requestOfAnotherMember(input.requestId);
  return held ? earlierDecision(db, input.orgId, input.requestId, asked.id) : null;
}

/** Adds a hold to one month-to-date row, only while spent + held stays within the cap. */
async function holdAgainstCap(tx: Tx, orgId: string, period: string, scope: 'product' | 'member' | 'tier' | 'org', subject: string, hold: bigint, cap: bigint | null): Promise<boolean> {
  const rows = await tx.$queryRaw<{ ok: number }[]>`
    INSERT INTO "MonthlySpend" ("orgId", "period", "scope", "subject", "reservedNanos")
    VALUES (${orgId}, ${period}, ${scope}::"SpendScope", ${subject}, ${hold})
    ON CONFLICT ("orgId", "period", "scope", "subject") DO UPDATE SET
      "reservedNanos" = "MonthlySpend"."reservedNanos" + EXCLUDED."reservedNanos"
    WHERE ${cap}::bigint IS NULL OR "MonthlySpend"."extraNanos" + "MonthlySpend"."reservedNanos" + EXCLUDED."reservedNanos" <= ${cap}::bigint
    RETURNING 1 AS ok`;
  return rows.length === 1;
}

export async function reserveUsage(db: Db, input: ReserveInput, now = new Date()): Promise<ReserveDecision> {
  const replay = await replayOrRefuse(db, input);
  if (replay) return replay;
  await requireKnownProduct(db, input.orgId, input.product);
  const product = input.product ?? null;
  const [org, member, prices, modifiers] = await Promise.all([
    loadOrg(db, input.orgId),
    requireActiveMember(db, input.orgId, input.member),
    pricesForModel(db, input.model, input.at),
    priceModifiersOf(db, input.at),
  ]);
  // A model without a price is held at the org's fallback family's rates, or refused.
  const fallback = pricedAt(prices, input.at) || !org.unknownModelFallback ? null : await pricesForModel(db, org.unknownModelFallback, input.at);
  const estimate = estimateUpperBound(prices.tiers, prices.family, input.at, input.estimate, modifiers)
    ?? (fallback ? estimateUpperBound(fallback.tiers, fallback.family, input.at, input.estimate, modifiers) : null);
  if (estimate === null) return { ...MODEL_UNPRICED, memberId: member.id };
  const period = periodOf(input.at, org.timezone);
  const expiresAt = new Date(now.getTime() + (input.ttlMs ?? DEFAULT_RESERVATION_TTL_MS));

  try {
    return await inTransaction(db, async (tx) => {
      // The member's row lock orders this member's holds and records.
      await tx.$queryRaw`SELECT 1 FROM "Member" WHERE "id" = ${member.id} FOR UPDATE`;
      const again = await earlierDecision(tx, input.orgId, input.requestId, member.id);
      if (again) return again;
      const fresh = await tx.member.findUniqueOrThrow({ where: { id: member.id } });
      if (fresh.removedAt) throw notFound(`member '${input.member}'`, 'member');
      const orgNow = { ...(await tx.organization.findUniqueOrThrow({ where: { id: org.id } })), seatTiers: org.seatTiers };
      const state = await loadHeldState(tx as unknown as Db, orgNow, fresh, input.at, product);
      const plan = planReservation(state, input.at, estimate);
      if (!plan.allowed) return { ...plan, memberId: member.id };

      const monthEnd = monthResetsAt(input.at, org.timezone);
      const refuse = (reason: Refused['reason']): never => {
        throw new HoldRefused({ allowed: false, reason, resetsAt: reason === 'balance_exhausted' ? null : monthEnd, canRequestExtraUsage: false });
      };
      if (plan.includedHold > 0n) {
        await tx.$executeRaw`UPDATE "Member" SET "windowHeldNanos" = "windowHeldNanos" + ${plan.includedHold} WHERE "id" = ${member.id}`;
      }
      if (plan.extraHold > 0n) {
        const tier = fresh.seatTier;
        // Held in CAP_ORDER (src/domain/caps.ts): product, member, tier, org, balance.
        if (product && !(await holdAgainstCap(tx, org.id, period, 'product', productSpendSubject(product, member.id), plan.extraHold, state.productCapNanos ?? null))) refuse('product_cap_reached');
        if (!(await holdAgainstCap(tx, org.id, period, 'member', member.id, plan.extraHold, fresh.extraUsageCapNanos))) refuse('member_cap_reached');
        if (!(await holdAgainstCap(tx, org.id, period, 'tier', tier, plan.extraHold, effectiveTierCap(orgNow.plan, tierCapOf(orgNow, tier))))) refuse('seat_tier_cap_reached');
        if (!(await holdAgainstCap(tx, org.id, period, 'org', 'org', plan.extraHold, orgNow.orgMonthlyCapNanos))) refuse('org_cap_reached');
        if (orgNow.plan === 'team') {
          const held = await tx.$executeRaw`
            UPDATE "Organization" SET "heldBalanceNanos" = "heldBalanceNanos" + ${plan.extraHold}
            WHERE "id" = ${org.id} AND "balanceNanos" - "heldBalanceNanos" >= ${plan.extraHold}`;
          if (held !== 1) refuse('balance_exhausted');
        }
      }
      const decision: ReserveDecision = {
        allowed: true,
        mode: plan.mode,
        memberId: member.id,
        reservation: {
          requestId: input.requestId,
          held: formatUsd(estimate),
          includedHeld: formatUsd(plan.includedHold),
          extraHeld: formatUsd(plan.extraHold),
          expiresAt: expiresAt.toISOString(),
        },
      };
      await tx.reservation.create({
        data: {
          orgId: org.id, memberId: member.id, requestId: input.requestId, period, tier: fresh.seatTier, product,
          estimateNanos: estimate, includedHeldNanos: plan.includedHold, extraHeldNanos: plan.extraHold,
          decision: asJson(decision) as object, expiresAt,
        },
      });
      return decision;
    });
  } catch (err) {
    if (err instanceof HoldRefused) return { ...err.decision, memberId: member.id };
    if (isUniqueViolation(err)) {
      const raced = await earlierDecision(db, input.orgId, input.requestId, member.id);
      if (raced) return raced;
    }
    throw err;
  }
}

export interface OpenHold {
  id: string;
  period: string;
  tier: string;
  /** The product whose cap row it holds against, if any. */
  product: string | null;
  includedHeldNanos: bigint;
  extraHeldNanos: bigint;
}

/** The open hold of a request, locked for settling or releasing (member row already locked). */
export async function lockOpenHold(tx: Tx, orgId: string, requestId: string): Promise<OpenHold | null> {
  const rows = await tx.$queryRaw<OpenHold[]>`
    SELECT "id", "period", "tier"::text AS "tier", "product", "includedHeldNanos", "extraHeldNanos" FROM "Reservation"
    WHERE "orgId" = ${orgId} AND "requestId" = ${requestId} AND "settledAt" IS NULL AND "releasedAt" IS NULL
    FOR UPDATE`;
  const r = rows[0];
  return r ? { ...r, includedHeldNanos: BigInt(r.includedHeldNanos), extraHeldNanos: BigInt(r.extraHeldNanos) } : null;
}

export interface RequestHold extends OpenHold {
  memberId: string;
  estimateNanos: bigint;
  /** Neither settled nor released: the record settles it. */
  open: boolean;
}

/**
 * The hold a requestId names, in whatever state, locked (the recording member's row is
 * already locked): its member decides whether this record may settle it at all.
 */
export async function lockHoldOf(tx: Tx, orgId: string, requestId: string): Promise<RequestHold | null> {
  const rows = await tx.$queryRaw<(Omit<RequestHold, 'open'> & { open: boolean })[]>`
    SELECT "id", "memberId", "period", "tier"::text AS "tier", "product", "estimateNanos", "includedHeldNanos", "extraHeldNanos",
      ("settledAt" IS NULL AND "releasedAt" IS NULL) AS "open"
    FROM "Reservation" WHERE "orgId" = ${orgId} AND "requestId" = ${requestId}
    FOR UPDATE`;
  const r = rows[0];
  return r
    ? { ...r, estimateNanos: BigInt(r.estimateNanos), includedHeldNanos: BigInt(r.includedHeldNanos), extraHeldNanos: BigInt(r.extraHeldNanos), open: Boolean(r.open) }
    : null;
}

/** Gives a hold back: allowance, the month-to-date rows it holds (its product's too), and (team) the balance. */
export async function releaseHold(tx: Tx, orgId: string, memberId: string, hold: OpenHold, how: 'settledAt' | 'releasedAt', now: Date): Promise<void> {
  if (hold.includedHeldNanos > 0n) {
    await tx.$executeRaw`UPDATE "Member" SET "windowHeldNanos" = "windowHeldNanos" - ${hold.includedHeldNanos} WHERE "id" = ${memberId}`;
  }
  if (hold.extraHeldNanos > 0n) {
    await tx.$executeRaw`
      UPDATE "MonthlySpend" SET "reservedNanos" = "reservedNanos" - ${hold.extraHeldNanos}
      WHERE "orgId" = ${orgId} AND "period" = ${hold.period}
        AND (("scope" = 'member' AND "subject" = ${memberId}) OR ("scope" = 'tier' AND "subject" = ${hold.tier}) OR ("scope" = 'org' AND "subject" = 'org')
          OR ("scope" = 'product' AND "subject" = ${hold.product ? productSpendSubject(hold.product, memberId) : null}))`;
    await tx.$executeRaw`UPDATE "Organization" SET "heldBalanceNanos" = GREATEST("heldBalanceNanos" - ${hold.extraHeldNanos}, 0) WHERE "id" = ${orgId} AND "plan" = 'team'`;
  }
  if (how === 'settledAt') await tx.$executeRaw`UPDATE "Reservation" SET "settledAt" = ${now} WHERE "id" = ${hold.id}`;
  else await tx.$executeRaw`UPDATE "Reservation" SET "releasedAt" = ${now} WHERE "id" = ${hold.id}`;
}

/** Releases one request's open hold now (its model request used nothing: an upstream error). Whether there was one. */
export async function releaseReservation(db: Db, orgId: string, memberId: string, requestId: string, now: Date): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    // Member row first, as record and the sweeper lock them.
    await tx.$queryRaw`SELECT 1 FROM "Member" WHERE "id" = ${memberId} FOR UPDATE`;
    const hold = await lockOpenHold(tx, orgId, requestId);
    if (!hold) return false;
    await releaseHold(tx, orgId, memberId, hold, 'releasedAt', now);
    return true;
  });
}

/** Releases holds whose request never reported back. Returns how many. */
export async function releaseExpiredReservations(db: Db, now = new Date(), limit = 200): Promise<number> {
  const due = await db.reservation.findMany({ where: { settledAt: null, releasedAt: null, expiresAt: { lt: now } }, take: limit, orderBy: { expiresAt: 'asc' } });
  let released = 0;
  for (const r of due) {
    const done = await inTransaction(db, async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "Member" WHERE "id" = ${r.memberId} FOR UPDATE`;
      const hold = await lockOpenHold(tx, r.orgId, r.requestId);
      if (!hold) return false;
      await releaseHold(tx, r.orgId, r.memberId, hold, 'releasedAt', now);
      return true;
    });
    if (done) released++;
  }
  return released;
}
