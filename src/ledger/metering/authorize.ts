// The check before a model request: may this member proceed, and on what terms?
// The hot path: one SQL round trip for the member, their org, seat tier and the three
// month-to-date rows, then the pure rules.
import type { Db } from '../../db/client.js';
import { big, bigOrNull, sqlOf } from '../../db/sql.js';
import { continuesOnExtraUsage, decideAuthorize, type AuthorizeDecision, type MemberLimitsState } from '../../domain/caps.js';
import { periodOf } from '../../domain/periods.js';
import { isBuiltInProduct, productCapOf } from '../../domain/products.js';
import { notFound } from '../errors.js';
import { undeclaredProduct } from './products.js';
import { pricedAt, pricesForModel, pricesFromCache } from './prices.js';

export interface AuthorizeInput {
  orgId: string;
  member: string;
  model: string;
  at: Date;
  /** The org's billing timezone, when the caller already knows it. */
  timezone?: string;
  /** The product the request comes from (its cap applies); unset = unspecified. */
  product?: string | null;
}

// For each (org, member reference, period) asked: the member by our id or the org's
// external id (our id first), with everything the rules need. Concurrent authorizes
// share one statement (see authorizeLoader). Each month-to-date row is a LATERAL
// primary-key look-up (LIMIT 1 keeps it one): as plain joins, the prepared statement's
// generic plan read and sorted every MonthlySpend row of the org per batch (4.6 ms
// instead of 0.6 ms for six authorizes, EXPLAIN ANALYZE with 1,000 members).
const AUTHORIZE_SQL = `
SELECT k.i, m."id", m."seatTier"::text AS "seatTier", m."extraUsageEnabled", m."extraUsageCapNanos", m."continueOnExtraUsage",
  (EXTRACT(EPOCH FROM m."windowStartedAt") * 1000)::bigint AS "windowStartedMs", m."windowUsedNanos", m."windowHeldNanos",
  o."plan"::text AS "plan", o."timezone", o."extraUsageEnabled" AS "orgExtraUsageEnabled", o."extraUsageScope"::text AS "extraUsageScope", o."continueOnExtraUsageDefault",
  o."orgMonthlyCapNanos", o."standardTierCapNanos", o."premiumTierCapNanos", o."balanceNanos", o."heldBalanceNanos", o."unknownModelFallback",
  t."includedAllowanceNanos", t."windowMinutes",
  ms."extraNanos" AS "memberExtra", ms."reservedNanos" AS "memberReserved",
  ts."extraNanos" AS "tierExtra", ts."reservedNanos" AS "tierReserved",
  os."extraNanos" AS "orgExtra", os."reservedNanos" AS "orgReserved",
  pd."product" IS NOT NULL AS "productDeclared", pd."memberCapNanos" AS "productDefaultCap",
  pm."memberId" IS NOT NULL AS "productMemberSet", pm."capNanos" AS "productMemberCap",
  ps."extraNanos" AS "productExtra", ps."reservedNanos" AS "productReserved"
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS k(org, ref, period, product, i)
JOIN LATERAL (
  SELECT * FROM "Member" mm WHERE mm."orgId" = k.org AND (mm."id" = k.ref OR mm."externalId" = k.ref) AND mm."removedAt" IS NULL
  ORDER BY (mm."id" = k.ref) DESC LIMIT 1
) m ON true
JOIN "Organization" o ON o."id" = m."orgId"
LEFT JOIN "SeatTierConfig" t ON t."orgId" = m."orgId" AND t."tier" = m."seatTier"
LEFT JOIN LATERAL (SELECT "extraNanos", "reservedNanos" FROM "MonthlySpend" WHERE "orgId" = m."orgId" AND "period" = k.period AND "scope" = 'member' AND "subject" = m."id" LIMIT 1) ms ON true
LEFT JOIN LATERAL (SELECT "extraNanos", "reservedNanos" FROM "MonthlySpend" WHERE "orgId" = m."orgId" AND "period" = k.period AND "scope" = 'tier' AND "subject" = m."seatTier"::text LIMIT 1) ts ON true
LEFT JOIN LATERAL (SELECT "extraNanos", "reservedNanos" FROM "MonthlySpend" WHERE "orgId" = m."orgId" AND "period" = k.period AND "scope" = 'org' AND "subject" = 'org' LIMIT 1) os ON true
LEFT JOIN "OrgProduct" pd ON pd."orgId" = m."orgId" AND pd."product" = k.product
LEFT JOIN "MemberProductCap" pm ON pm."orgId" = m."orgId" AND pm."product" = k.product AND pm."memberId" = m."id"
LEFT JOIN LATERAL (SELECT "extraNanos", "reservedNanos" FROM "MonthlySpend" WHERE "orgId" = m."orgId" AND "period" = k.period AND "scope" = 'product' AND "subject" = k.product || ':' || m."id" LIMIT 1) ps ON true`;

type Row = Record<string, unknown>;

/** The state the check-mode rules decide on; open reservations count as used or spent. */
function stateOf(r: Row): MemberLimitsState {
  const premium = r.seatTier === 'premium';
  return {
    plan: r.plan as MemberLimitsState['plan'],
    timezone: r.timezone as string,
    orgExtraUsageEnabled: r.orgExtraUsageEnabled as boolean,
    extraUsageScope: r.extraUsageScope as MemberLimitsState['extraUsageScope'],
    memberExtraUsageEnabled: r.extraUsageEnabled as boolean,
    continueOnExtraUsage: continuesOnExtraUsage(r.continueOnExtraUsage as boolean | null, r.continueOnExtraUsageDefault as boolean),
    allowanceNanos: big(r.includedAllowanceNanos),
    windowMinutes: r.windowMinutes === null || r.windowMinutes === undefined ? 300 : Number(r.windowMinutes),
    window: {
      startedAt: r.windowStartedMs === null || r.windowStartedMs === undefined ? null : new Date(Number(r.windowStartedMs)),
      usedNanos: big(r.windowUsedNanos) + big(r.windowHeldNanos),
    },
    memberCapNanos: bigOrNull(r.extraUsageCapNanos),
    tierCapNanos: bigOrNull(premium ? r.premiumTierCapNanos : r.standardTierCapNanos),
    orgCapNanos: bigOrNull(r.orgMonthlyCapNanos),
    memberSpendNanos: big(r.memberExtra) + big(r.memberReserved),
    tierSpendNanos: big(r.tierExtra) + big(r.tierReserved),
    orgSpendNanos: big(r.orgExtra) + big(r.orgReserved),
    balanceNanos: big(r.balanceNanos) - big(r.heldBalanceNanos),
    // The product's row and the member's own cap on it came in the same statement.
    productCapNanos: productCapOf(bigOrNull(r.productDefaultCap), { set: Boolean(r.productMemberSet), capNanos: bigOrNull(r.productMemberCap) }),
    productSpendNanos: big(r.productExtra) + big(r.productReserved),
  };
}

export async function authorizeUsage(db: Db, input: AuthorizeInput): Promise<AuthorizeDecision & { memberId: string }> {
  const timezone = input.timezone ?? (await db.organization.findUniqueOrThrow({ where: { id: input.orgId }, select: { timezone: true } })).timezone;
  // The model's family and prices come from this process's copies: still one round trip.
  const [row, prices] = await Promise.all([
    authorizeLoader(db).load(input.orgId, input.member, periodOf(input.at, timezone), input.product ?? null),
    pricesFromCache(db, input.model, input.at) ?? pricesForModel(db, input.model, input.at),
  ]);
  if (!row) throw notFound(`member '${input.member}'`, 'member');
  // An org-defined product must be declared (its OrgProduct row came with the member).
  if (input.product && !isBuiltInProduct(input.product) && !row.productDeclared) throw undeclaredProduct(input.product);
  if (!pricedAt(prices, input.at) && !(await fallbackPriced(db, row.unknownModelFallback as string | null, input.at))) {
    return { ...MODEL_UNPRICED, memberId: row.id as string };
  }
  return { ...decideAuthorize(stateOf(row), input.at), memberId: row.id as string };
}

/**
 * A model without a price is refused with its own reason: nothing could count what it
 * costs, so no cap could stop it. (A record that arrives anyway is kept unpriced.)
 */
export const MODEL_UNPRICED = { allowed: false, reason: 'model_unpriced', resetsAt: null, canRequestExtraUsage: false } as const satisfies AuthorizeDecision;

/** Whether the org's unknownModelFallback family (if it set one) has a price at `at`. */
export async function fallbackPriced(db: Db, fallback: string | null, at: Date): Promise<boolean> {
  return fallback !== null && pricedAt(await pricesForModel(db, fallback, at), at);
}

interface Asked {
  org: string;
  ref: string;
  period: string;
  product: string | null;
  resolve(row: Row | undefined): void;
  reject(err: unknown): void;
}

/**
 * Coalesces the authorizes that arrive in the same turn of the event loop (and while
 * earlier lookups are in flight) into one statement: a round trip per batch instead
 * of per request. A fresh read every time: no spend or cap is ever cached.
 */
class AuthorizeLoader {
  private queue: Asked[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly db: Db, private readonly maxInFlight = 2, private readonly maxBatch = 256) {}

  load(org: string, ref: string, period: string, product: string | null = null): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ org, ref, period, product, resolve, reject });
      this.schedule();
    });
  }

  private schedule() {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush() {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    try {
      const rows = await sqlOf(this.db).query<Row>(AUTHORIZE_SQL, [batch.map((a) => a.org), batch.map((a) => a.ref), batch.map((a) => a.period), batch.map((a) => a.product)], 'authorize');
      const byIndex = new Map(rows.map((r) => [Number(r.i), r]));
      batch.forEach((a, i) => a.resolve(byIndex.get(i + 1)));
    } catch (err) {
      for (const a of batch) a.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}

const loaders = new WeakMap<Db, AuthorizeLoader>();
function authorizeLoader(db: Db): AuthorizeLoader {
  let l = loaders.get(db);
  if (!l) loaders.set(db, (l = new AuthorizeLoader(db)));
  return l;
}
