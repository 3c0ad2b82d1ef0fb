// Seat prices (entered by the operator, audited) and the seat advice built on them
// (GET /v1/reports/seat-advice and the console's Seat advice page): for every active
// member, the rule of src/domain/seat-advice.ts over the last 3 complete months in
// the org's timezone, from their priced usage and each tier's included allowance.
import type { Db } from '../../db/client.js';
import type { SeatTier } from '../../domain/caps.js';
import { formatUsd, type Nanos } from '../../domain/money.js';
import { parsePeriod, periodOf } from '../../domain/periods.js';
import { adviseFromExtra, otherTier, replayExtra, type TierAllowance, type UsageCost } from '../../domain/seat-advice.js';
import { OPERATOR_ACTOR } from '../actors.js';
import { writeAudit } from '../audit.js';
import type { OrgWithTiers } from '../limits-state.js';
import { tierConfigOf } from '../limits-state.js';
import { inTransaction } from '../transactions.js';

export const ADVICE_MONTHS = 3;

export type SeatPrices = Record<SeatTier, Nanos>;

/** The operator's seat prices, or null until both tiers have one. */
export async function seatPricesOf(db: Db, orgId: string): Promise<SeatPrices | null> {
  const rows = await db.seatPrice.findMany({ where: { orgId } });
  const of = (tier: SeatTier) => rows.find((r) => r.tier === tier)?.priceNanos;
  const standard = of('standard');
  const premium = of('premium');
  return standard === undefined || premium === undefined ? null : { standard, premium };
}

export const seatPricesView = (p: SeatPrices | null) => (p ? { standard: formatUsd(p.standard), premium: formatUsd(p.premium) } : null);

/** Sets both seat prices (the operator), audited with what they were. */
export async function setSeatPrices(db: Db, orgId: string, prices: SeatPrices): Promise<SeatPrices> {
  return inTransaction(db, async (tx) => {
    const before = await seatPricesOf(tx as unknown as Db, orgId);
    const now = new Date();
    for (const tier of ['standard', 'premium'] as const) {
      await tx.seatPrice.upsert({
        where: { orgId_tier: { orgId, tier } },
        create: { orgId, tier, priceNanos: prices[tier], updatedAt: now },
        update: { priceNanos: prices[tier], updatedAt: now },
      });
    }
    if (!before || before.standard !== prices.standard || before.premium !== prices.premium) {
      await writeAudit(tx, orgId, [{ actor: OPERATOR_ACTOR, action: 'seat_prices.set', subject: `org:${orgId}`, before: seatPricesView(before), after: seatPricesView(prices) }]);
    }
    return prices;
  });
}

/** The `n` complete months before the one `at` falls in (org timezone), oldest first. */
export function completeMonthsBefore(at: Date, timeZone: string, n: number): string[] {
  const { year, month } = parsePeriod(periodOf(at, timeZone));
  const out: string[] = [];
  for (let i = n; i >= 1; i--) {
    const index = year * 12 + (month - 1) - i;
    out.push(`${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}

export interface SeatAdviceRow {
  memberId: string;
  externalId: string;
  name: string;
  currentTier: SeatTier;
  suggestedTier: SeatTier;
  /** Over the months looked at: seat price × months + the extra usage that seat would have incurred. */
  currentCost: string;
  suggestedCost: string;
  currentExtra: string;
  suggestedExtra: string;
  saving: string;
  /** The saving a month, whole cents. */
  savingPerMonth: string;
}

const allowanceOf = (org: OrgWithTiers, tier: SeatTier): TierAllowance => {
  const c = tierConfigOf(org, tier);
  return { includedAllowanceNanos: c.includedAllowanceNanos, windowMinutes: c.windowMinutes };
};

const NO_EXTRA: Record<SeatTier, Nanos> = { standard: 0n, premium: 0n };

// Replaying every member's usage through both tiers is the costly part, and its answer
// depends only on the months' priced usage and the tiers' allowances: kept per org
// under a fingerprint of those (how many priced events, their total cost, included and
// extra, from the rollup the database keeps per member and month, so a view reads a
// few rows per member instead of every event of three months; and the allowances).
// Usage priced late or recorded late into those months changes the fingerprint, so
// the answer is redone (events are never changed otherwise, nor deleted but with
// their org).
const replays = new Map<string, { fingerprint: string; extras: Map<string, Record<SeatTier, Nanos>> }>();

async function replayedExtras(db: Db, orgId: string, months: string[], tiers: Record<SeatTier, TierAllowance>): Promise<{ fingerprint: string; extras: Map<string, Record<SeatTier, Nanos>> }> {
  const [agg] = await db.$queryRaw<{ n: bigint | number | string | null; cost: bigint | string | null; included: bigint | string | null; extra: bigint | string | null }[]>`
    SELECT SUM("events")::text AS "n", SUM("costNanos")::text AS "cost", SUM("includedNanos")::text AS "included", SUM("extraNanos")::text AS "extra"
    FROM "MemberSpendRollup" WHERE "orgId" = ${orgId} AND "period" IN (${months[0]}, ${months[1]}, ${months[2]})`;
  const fingerprint = [months.join(','), String(agg?.n ?? 0), String(agg?.cost ?? 0), String(agg?.included ?? 0), String(agg?.extra ?? 0),
    tiers.standard.includedAllowanceNanos, tiers.standard.windowMinutes, tiers.premium.includedAllowanceNanos, tiers.premium.windowMinutes].join('|');
  const hit = replays.get(orgId);
  if (hit && hit.fingerprint === fingerprint) return hit;
  const events = await db.usageEvent.findMany({
    where: { orgId, period: { in: months }, costNanos: { not: null } },
    select: { memberId: true, occurredAt: true, costNanos: true },
    orderBy: [{ memberId: 'asc' }, { occurredAt: 'asc' }, { createdAt: 'asc' }],
  });
  const usage = new Map<string, UsageCost[]>();
  for (const e of events) {
    let list = usage.get(e.memberId);
    if (!list) usage.set(e.memberId, (list = []));
    list.push({ at: e.occurredAt, costNanos: e.costNanos! });
  }
  const extras = new Map<string, Record<SeatTier, Nanos>>();
  for (const [memberId, list] of usage) {
    extras.set(memberId, { standard: replayExtra(list, tiers.standard).extraNanos, premium: replayExtra(list, tiers.premium).extraNanos });
  }
  replays.set(orgId, { fingerprint, extras });
  return { fingerprint, extras };
}

/** Members who would cost less on the other tier, biggest saving first. */
export async function seatAdviceReport(db: Db, org: OrgWithTiers, at: Date) {
  const months = completeMonthsBefore(at, org.timezone, ADVICE_MONTHS);
  const prices = await seatPricesOf(db, org.id);
  const base = { months, prices: seatPricesView(prices), rule: 'seat price × months + the extra usage that seat would have incurred (its included allowance replayed over the usage); advice when the other tier costs strictly less' };
  if (!prices) return { ...base, advice: [] as SeatAdviceRow[] };
  const tiers = { standard: allowanceOf(org, 'standard'), premium: allowanceOf(org, 'premium') };
  const [{ fingerprint, extras }, roster] = await Promise.all([replayedExtras(db, org.id, months, tiers), rosterFingerprint(db, org.id)]);
  // The advice itself is kept too, under the usage's fingerprint, the prices and the
  // members' (an Apply, a seat change or a new member gives a new one).
  const key = [fingerprint, roster, prices.standard, prices.premium].join('|');
  const kept = advised.get(org.id);
  if (kept && kept.key === key) return { ...base, advice: kept.advice };
  const members = await db.member.findMany({ where: { orgId: org.id, removedAt: null }, select: { id: true, externalId: true, name: true, seatTier: true } });
  const rows: (SeatAdviceRow & { savingNanos: bigint })[] = [];
  for (const m of members) {
    const a = adviseFromExtra({ currentTier: m.seatTier, months: ADVICE_MONTHS, prices, extra: extras.get(m.id) ?? NO_EXTRA });
    if (!a.move) continue;
    rows.push({
      memberId: m.id, externalId: m.externalId, name: m.name, currentTier: m.seatTier, suggestedTier: otherTier(m.seatTier),
      currentCost: formatUsd(a.current.totalNanos), suggestedCost: formatUsd(a.other.totalNanos),
      currentExtra: formatUsd(a.current.extraNanos), suggestedExtra: formatUsd(a.other.extraNanos),
      saving: formatUsd(a.savingNanos), savingPerMonth: formatUsd(a.savingPerMonthNanos), savingNanos: a.savingNanos,
    });
  }
  rows.sort((x, y) => (x.savingNanos !== y.savingNanos ? (x.savingNanos > y.savingNanos ? -1 : 1) : x.name < y.name ? -1 : x.name > y.name ? 1 : x.memberId < y.memberId ? -1 : 1));
  const advice = rows.map(({ savingNanos: _s, ...r }) => r);
  advised.set(org.id, { key, advice });
  return { ...base, advice };
}

const advised = new Map<string, { key: string; advice: SeatAdviceRow[] }>();

/**
 * What the advice depends on of the members: who is active, on which seat, named how.
 * Every change to those goes through the Prisma client, which sets updatedAt (the
 * record path's raw updates touch only the allowance window).
 */
async function rosterFingerprint(db: Db, orgId: string): Promise<string> {
  const [r] = await db.$queryRaw<{ n: number; premium: number; changed: Date | null }[]>`
    SELECT count(*)::int AS "n", count(*) FILTER (WHERE "seatTier" = 'premium')::int AS "premium", max("updatedAt") AS "changed"
    FROM "Member" WHERE "orgId" = ${orgId} AND "removedAt" IS NULL`;
  return `${r?.n ?? 0}:${r?.premium ?? 0}:${r?.changed ? new Date(r.changed).toISOString() : ''}`;
}

export type SeatAdviceReport = Awaited<ReturnType<typeof seatAdviceReport>>;
