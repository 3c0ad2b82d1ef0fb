// What owners and admins read: the usage settings page and the individual seat
// limits table, with month-to-date spend.
import type { Db } from '../../db/client.js';
import { effectiveTierCap, type SeatTier } from '../../domain/caps.js';
import { formatUsd, formatUsdOrNull } from '../../domain/money.js';
import { monthResetsAt, periodOf } from '../../domain/periods.js';
import { UNSPECIFIED_PRODUCT } from '../../domain/products.js';
import type { OrgWithTiers } from '../limits-state.js';
import { seatLimitView } from './seat-limits-page.js';
import { tierCapOf } from '../limits-state.js';
import { reloadsAllowed } from '../settings/settings.js';

const TIERS: SeatTier[] = ['standard', 'premium'];

/** The org's and its tiers' month rows (not the members': thousands in a large org). */
async function spendRows(db: Db, orgId: string, period: string) {
  return db.monthlySpend.findMany({ where: { orgId, period, scope: { in: ['org', 'tier'] } } });
}

export async function usageOverview(db: Db, org: OrgWithTiers, at = new Date()) {
  const period = periodOf(at, org.timezone);
  const rows = await spendRows(db, org.id, period);
  const spend = (scope: string, subject: string) => rows.find((r) => r.scope === scope && r.subject === subject);
  const orgRow = spend('org', 'org');
  return {
    org: { id: org.id, slug: org.slug, name: org.name, plan: org.plan, timezone: org.timezone, digestHour: org.digestHourLocal },
    period,
    resetsAt: monthResetsAt(at, org.timezone).toISOString(),
    extraUsage: { enabled: org.extraUsageEnabled, scope: org.extraUsageScope, enforcement: org.enforcementMode },
    unknownModelFallback: org.unknownModelFallback,
    orgCap: { cap: formatUsdOrNull(org.orgMonthlyCapNanos), monthToDateExtra: formatUsd(orgRow?.extraNanos ?? 0n), monthToDateIncluded: formatUsd(orgRow?.includedNanos ?? 0n) },
    seatTiers: TIERS.map((tier) => {
      const config = org.seatTiers.find((t) => t.tier === tier);
      return {
        tier,
        includedAllowance: formatUsd(config?.includedAllowanceNanos ?? 0n),
        windowMinutes: config?.windowMinutes ?? null,
        cap: org.plan === 'enterprise' ? formatUsdOrNull(effectiveTierCap(org.plan, tierCapOf(org, tier))) : undefined,
        monthToDateExtra: formatUsd(spend('tier', tier)?.extraNanos ?? 0n),
      };
    }),
    ...(org.plan === 'team'
      ? {
          prepaid: {
            balance: formatUsd(org.balanceNanos),
            autoReload: {
              enabled: org.autoReloadEnabled,
              threshold: formatUsdOrNull(org.autoReloadThresholdNanos),
              amount: formatUsdOrNull(org.autoReloadAmountNanos),
              // At most this much reloaded a month; monthlyLimit: the whole reloads it allows (the older count form).
              monthlyMax: formatUsdOrNull(org.autoReloadMonthlyMaxNanos),
              monthlyLimit: reloadsAllowed(org),
            },
          },
        }
      : {}),
  };
}

/** The "Individual seat limits" table: every active member, their cap and MTD spend. */
export async function seatLimits(db: Db, org: OrgWithTiers, at = new Date()) {
  const period = periodOf(at, org.timezone);
  const [members, rows] = await Promise.all([
    // Only the columns shown (the console's Usage page reads one page of it: seat-limits-page.ts).
    db.member.findMany({
      where: { orgId: org.id, removedAt: null },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      select: { id: true, externalId: true, name: true, role: true, seatTier: true, extraUsageEnabled: true, extraUsageCapNanos: true },
    }),
    db.monthlySpend.findMany({ where: { orgId: org.id, period, scope: 'member' }, select: { subject: true, extraNanos: true, includedNanos: true } }),
  ]);
  const byMember = new Map(rows.map((r) => [r.subject, r]));
  return {
    period,
    members: members.map((m) => seatLimitView(org, { ...m, extra: byMember.get(m.id)?.extraNanos ?? 0n, included: byMember.get(m.id)?.includedNanos ?? 0n })),
  };
}

/** One product's month: its priced usage split into included and extra, and how many requests. */
export interface ProductSpendView {
  /** The product named, or "unspecified" for usage that named none. */
  product: string;
  cost: string;
  included: string;
  extra: string;
  requests: number;
}

/**
 * Spend per product for a month (default: the current one, in the org's timezone):
 * the org's total per product and each member's, from the priced usage events
 * (unpriced usage counts nowhere until priced, as everywhere). Exact amounts.
 */
export async function productBreakdown(db: Db, org: OrgWithTiers, period?: string, at = new Date()) {
  const month = period ?? periodOf(at, org.timezone);
  const where = { orgId: org.id, period: month, costNanos: { not: null } };
  const sums = { _sum: { costNanos: true, includedNanos: true, extraNanos: true }, _count: { _all: true } } as const;
  const [byProduct, byMember, members] = await Promise.all([
    db.usageEvent.groupBy({ by: ['product'], where, ...sums }),
    db.usageEvent.groupBy({ by: ['memberId', 'product'], where, ...sums }),
    db.member.findMany({ where: { orgId: org.id }, select: { id: true, externalId: true, name: true } }),
  ]);
  type Group = (typeof byProduct)[number] | (typeof byMember)[number];
  const view = (g: Group): ProductSpendView => ({
    product: g.product ?? UNSPECIFIED_PRODUCT,
    cost: formatUsd(g._sum.costNanos ?? 0n),
    included: formatUsd(g._sum.includedNanos ?? 0n),
    extra: formatUsd(g._sum.extraNanos ?? 0n),
    requests: g._count._all,
  });
  const byName = (a: { product: string }, b: { product: string }) => (a.product < b.product ? -1 : a.product > b.product ? 1 : 0);
  const person = new Map(members.map((m) => [m.id, m]));
  const perMember = new Map<string, ProductSpendView[]>();
  for (const g of byMember) perMember.set(g.memberId, [...(perMember.get(g.memberId) ?? []), view(g)]);
  return {
    period: month,
    products: byProduct.map(view).sort(byName),
    members: [...perMember.entries()]
      .map(([memberId, products]) => ({ memberId, externalId: person.get(memberId)?.externalId ?? null, name: person.get(memberId)?.name ?? null, products: products.sort(byName) }))
      .sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : a.memberId < b.memberId ? -1 : 1)),
  };
}
