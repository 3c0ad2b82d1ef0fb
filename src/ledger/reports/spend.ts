// Spend reports (GET /v1/reports/spend and /v1/reports/spend/members/:member, and the
// console's Spend pages, which call these same functions): a month's priced usage per
// local day in the org's timezone, top members, by model and by product, and when
// the org cap is reached at the month's rate. The org's report reads the rollup the
// database keeps of its usage ("SpendRollup" per 15-minute UTC bucket, family and
// product; "MemberSpendRollup" per member; maintained by triggers on "UsageEvent",
// migration 20261213020000_spend_rollup): a few thousand rows whatever the month's
// number of events. One member's report scans that member's events (the memberId
// index: one person's month). Exact decimal strings; unpriced usage counts nowhere
// until priced, as everywhere.
import { clientCostSummary } from './client-cost.js';
import type { Db } from '../../db/client.js';
import { forecastCapDay, localDay, type CapForecast } from '../../domain/forecast.js';
import { formatUsd, formatUsdOrNull } from '../../domain/money.js';
import { nextPeriod, parsePeriod, periodOf, periodStart } from '../../domain/periods.js';
import { notFound } from '../errors.js';
import type { OrgWithTiers } from '../limits-state.js';
import { findMember } from '../settings/members.js';
import type { ProductSpendView } from './reports.js';
import { UNSPECIFIED_PRODUCT } from '../../domain/products.js';

export const TOP_MEMBERS = 10;

export interface SpendDay {
  /** YYYY-MM-DD in the org's timezone. */
  date: string;
  cost: string;
  included: string;
  extra: string;
  /** Extra spend from the month's first day to the end of this one. */
  cumulativeExtra: string;
  requests: number;
  /** After today (nothing can be spent yet). */
  future: boolean;
}

export interface SpendLine {
  cost: string;
  included: string;
  extra: string;
  requests: number;
}

/** One row of the month's one pass over its usage: a day, a member, a model or a product. */
interface GroupRow { g: number | bigint | string; day: string | null; memberId: string | null; family: string | null; product: string | null; cost: bigint | string | null; included: bigint | string | null; extra: bigint | string | null; n: bigint | number | string }

const big = (v: bigint | string | number | null | undefined) => BigInt(v ?? 0);

// GROUPING(day, memberId, family, product): 0 bits for the columns a row is grouped by.
const BY_DAY = 0b0111;
const BY_MEMBER = 0b1011;
const BY_MODEL = 0b1101;
const BY_PRODUCT = 0b1110;

/**
 * The month's priced usage in one scan of its events: per local day (org timezone), per member,
 * per model (price-book family) and per product, with sums of cost, included, extra.
 * Of the members only the top ones come back (ranked in the database as `byExtra`
 * ranks them): an org of 5,000 members reads ten rows for them, not 5,000.
 */
async function eventGroups(db: Db, org: OrgWithTiers, period: string, memberId?: string): Promise<GroupRow[]> {
  return db.$queryRaw<GroupRow[]>`
    WITH "groups" AS (
      SELECT GROUPING("day", "memberId", "family", "product") AS "g", "day", "memberId", "family", "product",
        SUM("costNanos") AS "cost", SUM("includedNanos") AS "included", SUM("extraNanos") AS "extra", COUNT(*) AS "n"
      FROM (
        SELECT to_char((("occurredAt" AT TIME ZONE 'UTC') AT TIME ZONE ${org.timezone})::date, 'YYYY-MM-DD') AS "day",
          "memberId", "family", "product", "costNanos", "includedNanos", "extraNanos"
        FROM "UsageEvent"
        WHERE "orgId" = ${org.id} AND "period" = ${period} AND "costNanos" IS NOT NULL AND (${memberId ?? null}::text IS NULL OR "memberId" = ${memberId ?? null})
      ) e
      GROUP BY GROUPING SETS (("day"), ("memberId"), ("family"), ("product"))
    )
    SELECT "g", "day", "memberId", "family", "product", "cost"::text AS "cost", "included"::text AS "included", "extra"::text AS "extra", "n"
    FROM (
      SELECT *, row_number() OVER (PARTITION BY "g" ORDER BY "extra" DESC, "cost" DESC, "memberId" COLLATE "C") AS "rank" FROM "groups"
    ) ranked
    WHERE "g" <> ${BY_MEMBER} OR "rank" <= ${TOP_MEMBERS}`;
}

/**
 * The same groups from the rollup: days, models and products from the org's 15-minute
 * buckets of the month (each bucket lies in one local day: every timezone offset in
 * use is a multiple of 15 minutes), the top members from its member rows, ranked as
 * `byExtra` ranks them. Keys whose events were all taken away (n = 0) are left out,
 * as a scan of the events would.
 */
async function rollupGroups(db: Db, org: OrgWithTiers, period: string): Promise<GroupRow[]> {
  return db.$queryRaw<GroupRow[]>`
    WITH "groups" AS (
      SELECT GROUPING("day", "family", "product") AS "g3", "day", "family", "product",
        SUM("costNanos") AS "cost", SUM("includedNanos") AS "included", SUM("extraNanos") AS "extra", SUM("events") AS "n"
      FROM (
        SELECT to_char((("bucket" AT TIME ZONE 'UTC') AT TIME ZONE ${org.timezone})::date, 'YYYY-MM-DD') AS "day",
          "family", NULLIF("product", '') AS "product", "costNanos", "includedNanos", "extraNanos", "events"
        FROM "SpendRollup"
        WHERE "orgId" = ${org.id} AND "period" = ${period}
      ) b
      GROUP BY GROUPING SETS (("day"), ("family"), ("product"))
      HAVING SUM("events") > 0
    )
    SELECT CASE "g3" WHEN 3 THEN ${BY_DAY}::int WHEN 5 THEN ${BY_MODEL}::int ELSE ${BY_PRODUCT}::int END AS "g", "day", NULL::text AS "memberId", "family", "product",
      "cost"::text AS "cost", "included"::text AS "included", "extra"::text AS "extra", "n"
    FROM "groups"
    UNION ALL
    SELECT * FROM (
      SELECT ${BY_MEMBER}::int AS "g", NULL::text AS "day", "memberId", NULL::text AS "family", NULL::text AS "product",
        "costNanos"::text AS "cost", "includedNanos"::text AS "included", "extraNanos"::text AS "extra", "events"::bigint AS "n"
      FROM "MemberSpendRollup"
      WHERE "orgId" = ${org.id} AND "period" = ${period} AND "events" > 0
      ORDER BY "extraNanos" DESC, "costNanos" DESC, "memberId" COLLATE "C"
      LIMIT ${TOP_MEMBERS}::int
    ) top`;
}

interface Sums { costNanos: bigint; includedNanos: bigint; extraNanos: bigint; requests: number }
const sumsOf = (r: GroupRow): Sums => ({ costNanos: big(r.cost), includedNanos: big(r.included), extraNanos: big(r.extra), requests: Number(r.n) });
const line = (g: Sums): SpendLine => ({ cost: formatUsd(g.costNanos), included: formatUsd(g.includedNanos), extra: formatUsd(g.extraNanos), requests: g.requests });
/** Highest extra first, then highest cost, then the key: a stable order. */
const byExtra = (a: Sums & { key: string }, b: Sums & { key: string }) => {
  if (a.extraNanos !== b.extraNanos) return a.extraNanos > b.extraNanos ? -1 : 1;
  if (a.costNanos !== b.costNanos) return a.costNanos > b.costNanos ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
};
const byName = (a: { product: string }, b: { product: string }) => (a.product < b.product ? -1 : a.product > b.product ? 1 : 0);

/** Every day of the month (local days), the groups of one scan split out. */
function split(rows: GroupRow[], org: OrgWithTiers, period: string, at: Date) {
  const days = new Map<string, Sums>();
  const members: (Sums & { key: string })[] = [];
  const models: (Sums & { key: string })[] = [];
  const products: ProductSpendView[] = [];
  for (const r of rows) {
    const g = Number(r.g);
    if (g === BY_DAY) days.set(r.day!, sumsOf(r));
    else if (g === BY_MEMBER) members.push({ ...sumsOf(r), key: r.memberId! });
    else if (g === BY_MODEL) models.push({ ...sumsOf(r), key: r.family! });
    else if (g === BY_PRODUCT) products.push({ product: r.product ?? UNSPECIFIED_PRODUCT, ...line(sumsOf(r)) });
  }
  const { year, month } = parsePeriod(period);
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const today = localDay(at, org.timezone);
  let cumulative = 0n;
  let included = 0n;
  let cost = 0n;
  const list: SpendDay[] = [];
  for (let d = 1; d <= length; d++) {
    const date = `${period}-${String(d).padStart(2, '0')}`;
    const r = days.get(date);
    cumulative += r?.extraNanos ?? 0n;
    included += r?.includedNanos ?? 0n;
    cost += r?.costNanos ?? 0n;
    list.push({ date, cost: formatUsd(r?.costNanos ?? 0n), included: formatUsd(r?.includedNanos ?? 0n), extra: formatUsd(r?.extraNanos ?? 0n), cumulativeExtra: formatUsd(cumulative), requests: r?.requests ?? 0, future: date > today });
  }
  return {
    days: list, extraNanos: cumulative, includedNanos: included, costNanos: cost,
    members: members.sort(byExtra),
    models: models.sort(byExtra).map((m) => ({ model: m.key, ...line(m) })),
    products: products.sort(byName),
  };
}

const monthOf = (org: OrgWithTiers, at: Date, period?: string) => {
  const month = period ?? periodOf(at, org.timezone);
  return { month, start: periodStart(month, org.timezone), end: periodStart(nextPeriod(month), org.timezone), current: month === periodOf(at, org.timezone) };
};

function forecastView(f: CapForecast) {
  return f.kind === 'on' ? { kind: f.kind, at: f.at.toISOString(), day: f.day } : f.kind === 'not_this_month' ? { kind: f.kind } : { kind: f.kind };
}

/** The org's month: per day against the org cap, the forecast, top members, by model and by product (from the rollup). */
export async function spendReport(db: Db, org: OrgWithTiers, at: Date, period?: string) {
  return orgReport(db, org, at, period, rollupGroups);
}

/**
 * The same report from a scan of every event of the month (what the Spend report read
 * before the rollup): the reference the rollup is tested equal to.
 */
export async function spendReportFromEvents(db: Db, org: OrgWithTiers, at: Date, period?: string) {
  return orgReport(db, org, at, period, (d, o, p) => eventGroups(d, o, p));
}

async function orgReport(db: Db, org: OrgWithTiers, at: Date, period: string | undefined, groups: (db: Db, org: OrgWithTiers, period: string) => Promise<GroupRow[]>) {
  const { month, start, end, current } = monthOf(org, at, period);
  const m = split(await groups(db, org, month), org, month, at);
  const top = m.members.slice(0, TOP_MEMBERS);
  const people = await db.member.findMany({ where: { id: { in: top.map((g) => g.key) } }, select: { id: true, externalId: true, name: true, seatTier: true } });
  const person = new Map(people.map((p) => [p.id, p]));
  const cap = org.orgMonthlyCapNanos;
  // The forecast is of the month in progress; a past month is what it was.
  const forecast = current ? forecastCapDay({ spentNanos: m.extraNanos, capNanos: cap, monthStart: start, monthEnd: end, now: at, timeZone: org.timezone }) : cap !== null && m.extraNanos >= cap ? { kind: 'reached' as const } : { kind: 'past_month' as const };
  return {
    period: month,
    timezone: org.timezone,
    cap: formatUsdOrNull(cap),
    monthToDate: { cost: formatUsd(m.costNanos), included: formatUsd(m.includedNanos), extra: formatUsd(m.extraNanos) },
    forecast: forecast.kind === 'past_month' ? forecast : forecastView(forecast),
    days: m.days,
    topMembers: top.map((g) => ({ memberId: g.key, externalId: person.get(g.key)?.externalId ?? null, name: person.get(g.key)?.name ?? null, seatTier: person.get(g.key)?.seatTier ?? null, ...line(g) })),
    models: m.models,
    /** As GET /v1/reports/products' `products` (tested equal). */
    products: m.products,
    /** Usage whose client (Claude Code's cost_usd) said another cost than ours: flagged cost_differs_from_client. */
    clientCostDifferences: await clientCostSummary(db, org.id, month),
  };
}

/** One member's month: per day, by model and by product, with their own cap. */
export async function memberSpendReport(db: Db, org: OrgWithTiers, memberRef: string, at: Date, period?: string) {
  const member = await findMember(db, org.id, memberRef);
  if (!member) throw notFound(`member '${memberRef}'`, 'member');
  const { month } = monthOf(org, at, period);
  const m = split(await eventGroups(db, org, month, member.id), org, month, at);
  return {
    period: month,
    timezone: org.timezone,
    member: { memberId: member.id, externalId: member.externalId, name: member.name, seatTier: member.seatTier, cap: formatUsdOrNull(member.extraUsageCapNanos), removed: member.removedAt !== null },
    monthToDate: { cost: formatUsd(m.costNanos), included: formatUsd(m.includedNanos), extra: formatUsd(m.extraNanos) },
    days: m.days,
    models: m.models,
    /** As this member's entry in GET /v1/reports/products (tested equal). */
    products: m.products,
  };
}

export type SpendReport = Awaited<ReturnType<typeof spendReport>>;
export type MemberSpendReport = Awaited<ReturnType<typeof memberSpendReport>>;
