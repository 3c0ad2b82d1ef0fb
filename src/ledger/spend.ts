// Spend reports (GET /v1/reports/spend and /v1/reports/spend/members/:member, and the
// console's Spend pages, which call these same functions): a month's priced usage per
// local day in the org's timezone, top members, by model and by product, and when
// the org cap is reached at the month's rate. Exact decimal strings; unpriced usage
// counts nowhere until priced, as everywhere.
import type { Db } from '../db/client.js';
import { forecastCapDay, localDay, type CapForecast } from '../domain/forecast.js';
import { formatUsd, formatUsdOrNull } from '../domain/money.js';
import { nextPeriod, parsePeriod, periodOf, periodStart } from '../domain/periods.js';
import { notFound } from './errors.js';
import type { OrgWithTiers } from './limits-state.js';
import { findMember } from './members.js';
import { productBreakdown } from './reports.js';

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

interface DayRow { day: string; cost: bigint | string | null; included: bigint | string | null; extra: bigint | string | null; n: bigint | number | string }

const big = (v: bigint | string | number | null | undefined) => BigInt(v ?? 0);

/** Every day of the month, with the priced usage that occurred on it (local days). */
async function daysOf(db: Db, org: OrgWithTiers, period: string, at: Date, memberId?: string): Promise<{ days: SpendDay[]; extraNanos: bigint; includedNanos: bigint; costNanos: bigint }> {
  const rows = memberId
    ? await db.$queryRaw<DayRow[]>`
      SELECT to_char((("occurredAt" AT TIME ZONE 'UTC') AT TIME ZONE ${org.timezone})::date, 'YYYY-MM-DD') AS "day",
        SUM("costNanos") AS "cost", SUM("includedNanos") AS "included", SUM("extraNanos") AS "extra", COUNT(*) AS "n"
      FROM "UsageEvent" WHERE "orgId" = ${org.id} AND "period" = ${period} AND "costNanos" IS NOT NULL AND "memberId" = ${memberId}
      GROUP BY 1`
    : await db.$queryRaw<DayRow[]>`
      SELECT to_char((("occurredAt" AT TIME ZONE 'UTC') AT TIME ZONE ${org.timezone})::date, 'YYYY-MM-DD') AS "day",
        SUM("costNanos") AS "cost", SUM("includedNanos") AS "included", SUM("extraNanos") AS "extra", COUNT(*) AS "n"
      FROM "UsageEvent" WHERE "orgId" = ${org.id} AND "period" = ${period} AND "costNanos" IS NOT NULL
      GROUP BY 1`;
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const { year, month } = parsePeriod(period);
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const today = localDay(at, org.timezone);
  let cumulative = 0n;
  let included = 0n;
  let cost = 0n;
  const days: SpendDay[] = [];
  for (let d = 1; d <= length; d++) {
    const date = `${period}-${String(d).padStart(2, '0')}`;
    const r = byDay.get(date);
    cumulative += big(r?.extra);
    included += big(r?.included);
    cost += big(r?.cost);
    days.push({ date, cost: formatUsd(big(r?.cost)), included: formatUsd(big(r?.included)), extra: formatUsd(big(r?.extra)), cumulativeExtra: formatUsd(cumulative), requests: Number(r?.n ?? 0), future: date > today });
  }
  return { days, extraNanos: cumulative, includedNanos: included, costNanos: cost };
}

const sums = { _sum: { costNanos: true, includedNanos: true, extraNanos: true }, _count: { _all: true } } as const;
type Sums = { _sum: { costNanos: bigint | null; includedNanos: bigint | null; extraNanos: bigint | null }; _count: { _all: number } };
const line = (g: Sums): SpendLine => ({ cost: formatUsd(g._sum.costNanos ?? 0n), included: formatUsd(g._sum.includedNanos ?? 0n), extra: formatUsd(g._sum.extraNanos ?? 0n), requests: g._count._all });
/** Highest extra first, then highest cost, then the key: a stable order. */
const byExtra = <T extends Sums>(key: (g: T) => string) => (a: T, b: T) => {
  const ea = a._sum.extraNanos ?? 0n, eb = b._sum.extraNanos ?? 0n;
  if (ea !== eb) return ea > eb ? -1 : 1;
  const ca = a._sum.costNanos ?? 0n, cb = b._sum.costNanos ?? 0n;
  if (ca !== cb) return ca > cb ? -1 : 1;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
};

const monthOf = (org: OrgWithTiers, at: Date, period?: string) => {
  const month = period ?? periodOf(at, org.timezone);
  return { month, start: periodStart(month, org.timezone), end: periodStart(nextPeriod(month), org.timezone), current: month === periodOf(at, org.timezone) };
};

function forecastView(f: CapForecast) {
  return f.kind === 'on' ? { kind: f.kind, at: f.at.toISOString(), day: f.day } : f.kind === 'not_this_month' ? { kind: f.kind } : { kind: f.kind };
}

/** The org's month: per day against the org cap, the forecast, top members, by model and by product. */
export async function spendReport(db: Db, org: OrgWithTiers, at: Date, period?: string) {
  const { month, start, end, current } = monthOf(org, at, period);
  const where = { orgId: org.id, period: month, costNanos: { not: null } };
  const [daily, byMember, byModel, products] = await Promise.all([
    daysOf(db, org, month, at),
    db.usageEvent.groupBy({ by: ['memberId'], where, ...sums }),
    db.usageEvent.groupBy({ by: ['family'], where, ...sums }),
    productBreakdown(db, org, month, at),
  ]);
  const top = byMember.sort(byExtra((g) => g.memberId)).slice(0, TOP_MEMBERS);
  const people = await db.member.findMany({ where: { id: { in: top.map((g) => g.memberId) } }, select: { id: true, externalId: true, name: true, seatTier: true } });
  const person = new Map(people.map((p) => [p.id, p]));
  const cap = org.orgMonthlyCapNanos;
  // The forecast is of the month in progress; a past month is what it was.
  const forecast = current ? forecastCapDay({ spentNanos: daily.extraNanos, capNanos: cap, monthStart: start, monthEnd: end, now: at, timeZone: org.timezone }) : cap !== null && daily.extraNanos >= cap ? { kind: 'reached' as const } : { kind: 'past_month' as const };
  return {
    period: month,
    timezone: org.timezone,
    cap: formatUsdOrNull(cap),
    monthToDate: { cost: formatUsd(daily.costNanos), included: formatUsd(daily.includedNanos), extra: formatUsd(daily.extraNanos) },
    forecast: forecast.kind === 'past_month' ? forecast : forecastView(forecast),
    days: daily.days,
    topMembers: top.map((g) => ({ memberId: g.memberId, externalId: person.get(g.memberId)?.externalId ?? null, name: person.get(g.memberId)?.name ?? null, seatTier: person.get(g.memberId)?.seatTier ?? null, ...line(g) })),
    models: byModel.sort(byExtra((g) => g.family)).map((g) => ({ model: g.family, ...line(g) })),
    products: products.products,
  };
}

/** One member's month: per day, by model and by product, with their own cap. */
export async function memberSpendReport(db: Db, org: OrgWithTiers, memberRef: string, at: Date, period?: string) {
  const member = await findMember(db, org.id, memberRef);
  if (!member) throw notFound(`member '${memberRef}'`, 'member');
  const { month } = monthOf(org, at, period);
  const where = { orgId: org.id, period: month, costNanos: { not: null }, memberId: member.id };
  const [daily, byModel, products] = await Promise.all([
    daysOf(db, org, month, at, member.id),
    db.usageEvent.groupBy({ by: ['family'], where, ...sums }),
    productBreakdown(db, org, month, at),
  ]);
  return {
    period: month,
    timezone: org.timezone,
    member: { memberId: member.id, externalId: member.externalId, name: member.name, seatTier: member.seatTier, cap: formatUsdOrNull(member.extraUsageCapNanos), removed: member.removedAt !== null },
    monthToDate: { cost: formatUsd(daily.costNanos), included: formatUsd(daily.includedNanos), extra: formatUsd(daily.extraNanos) },
    days: daily.days,
    models: byModel.sort(byExtra((g) => g.family)).map((g) => ({ model: g.family, ...line(g) })),
    products: products.members.find((m) => m.memberId === member.id)?.products ?? [],
  };
}

export type SpendReport = Awaited<ReturnType<typeof spendReport>>;
export type MemberSpendReport = Awaited<ReturnType<typeof memberSpendReport>>;
