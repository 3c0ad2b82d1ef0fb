// One page of the "Individual seat limits" table, filtered and sorted in the database:
// an org of 5,000 members reads 50 rows per view, not 5,000 (the console's Usage page).
// Rows carry the same fields as the seat-limits report, from the same tables.
import { Prisma, type Role, type SeatTier } from '../../generated/prisma/client.js';
import type { Db } from '../../db/client.js';
import { formatUsd, formatUsdOrNull } from '../../domain/money.js';
import { periodOf } from '../../domain/periods.js';
import type { OrgWithTiers } from '../limits-state.js';

export const MEMBER_SORTS = ['spend_desc', 'spend_asc', 'name'] as const;
export type MemberSort = (typeof MEMBER_SORTS)[number];
export const MEMBERS_PER_PAGE = 50;

export interface SeatLimitsPageQuery {
  /** Part of a name or external id, any case. */
  q?: string;
  sort: MemberSort;
  /** 1-based; past the last page shows the last page. */
  page: number;
  perPage?: number;
}

// Names sort case-insensitively, then exactly, then by id: a stable order in which
// every member appears once across pages.
const ORDER: Record<MemberSort, Prisma.Sql> = {
  spend_desc: Prisma.sql`"extra" DESC, lower(m."name"), m."name", m."id"`,
  spend_asc: Prisma.sql`"extra" ASC, lower(m."name"), m."name", m."id"`,
  name: Prisma.sql`lower(m."name"), m."name", m."id"`,
};

/**
 * The join of members to their month's spend is a hash join at any size; without
 * fresh statistics (PGlite runs no autovacuum; a freshly loaded org) PostgreSQL may
 * plan a nested loop that reads every spend row once per member: seconds for 5,000.
 */
const noNestedLoops = (db: Db) => db.$executeRaw`SET LOCAL enable_nestloop = off`;

/** Each member with this month's spend on their own row (none yet: zero). */
const SELECT = (period: string) => Prisma.sql`
    SELECT m."id", m."externalId", m."name", m."role"::text AS "role", m."seatTier"::text AS "seatTier", m."extraUsageEnabled", m."extraUsageCapNanos",
           COALESCE(s."extraNanos", 0)::bigint AS "extra", COALESCE(s."includedNanos", 0)::bigint AS "included"
    FROM "Member" m
    LEFT JOIN "MonthlySpend" s ON s."orgId" = m."orgId" AND s."period" = ${period} AND s."scope" = 'member' AND s."subject" = m."id"`;

export interface SeatLimitRow {
  id: string;
  externalId: string;
  name: string;
  role: Role;
  seatTier: SeatTier;
  extraUsageEnabled: boolean;
  extraUsageCapNanos: bigint | null;
  extra: bigint;
  included: bigint;
}

export async function seatLimitsPage(db: Db, org: OrgWithTiers, query: SeatLimitsPageQuery, at = new Date()) {
  const period = periodOf(at, org.timezone);
  const perPage = query.perPage ?? MEMBERS_PER_PAGE;
  const needle = query.q?.trim().toLowerCase() || null;
  const where = Prisma.sql`m."orgId" = ${org.id} AND m."removedAt" IS NULL
    AND (${needle}::text IS NULL OR strpos(lower(m."name"), ${needle}::text) > 0 OR strpos(lower(m."externalId"), ${needle}::text) > 0)`;
  const count = db.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS "total" FROM "Member" m WHERE ${where}`;
  const read = (page: number) => db.$queryRaw<SeatLimitRow[]>`${SELECT(period)}
    WHERE ${where}
    ORDER BY ${ORDER[query.sort]}
    LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`;
  const asked = Math.max(1, query.page);
  const [, counted, first] = await db.$transaction([noNestedLoops(db), count, read(asked)]);
  const total = counted[0]?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const page = Math.min(asked, pages);
  // Past the last page (a link from before members were removed): show the last one.
  const rows = page === asked ? first : (await db.$transaction([noNestedLoops(db), read(page)]))[1];
  return { period, total, page, pages, members: rows.map((m) => seatLimitView(org, m)) };
}

/** The same rows for the members named (the Requests page's requesters), in no order. */
export async function seatLimitsOf(db: Db, org: OrgWithTiers, memberIds: readonly string[], at = new Date()) {
  if (memberIds.length === 0) return [];
  const period = periodOf(at, org.timezone);
  const rows = await db.$queryRaw<SeatLimitRow[]>`${SELECT(period)}
    WHERE m."orgId" = ${org.id} AND m."removedAt" IS NULL AND m."id" IN (${Prisma.join([...new Set(memberIds)])})`;
  return rows.map((m) => seatLimitView(org, m));
}

/** One row of the table (the seat-limits report's too): its member, cap, month's spend, paused or not. */
export function seatLimitView(org: OrgWithTiers, m: SeatLimitRow) {
  // Drivers answer bigint columns as bigint or as a string: one form from here on.
  const spent = BigInt(m.extra);
  const cap = m.extraUsageCapNanos === null ? null : BigInt(m.extraUsageCapNanos);
  return {
    id: m.id,
    externalId: m.externalId,
    name: m.name,
    role: m.role,
    seatTier: m.seatTier,
    extraUsageEnabled: org.extraUsageEnabled && (org.extraUsageScope === 'all_members' || m.extraUsageEnabled),
    cap: formatUsdOrNull(cap),
    monthToDateExtra: formatUsd(spent),
    monthToDateIncluded: formatUsd(BigInt(m.included)),
    paused: cap !== null && spent >= cap,
  };
}
