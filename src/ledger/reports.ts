// What owners and admins read: the usage settings page and the individual seat
// limits table, with month-to-date spend.
import type { Db } from '../db/client.js';
import { effectiveTierCap, type SeatTier } from '../domain/caps.js';
import { formatUsd, formatUsdOrNull } from '../domain/money.js';
import { monthResetsAt, periodOf } from '../domain/periods.js';
import type { OrgWithTiers } from './limits-state.js';
import { tierCapOf } from './limits-state.js';

const TIERS: SeatTier[] = ['standard', 'premium'];

async function spendRows(db: Db, orgId: string, period: string) {
  return db.monthlySpend.findMany({ where: { orgId, period } });
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
            autoReload: { enabled: org.autoReloadEnabled, threshold: formatUsdOrNull(org.autoReloadThresholdNanos), amount: formatUsdOrNull(org.autoReloadAmountNanos), monthlyLimit: org.autoReloadMonthlyLimit },
          },
        }
      : {}),
  };
}

/** The "Individual seat limits" table: every active member, their cap and MTD spend. */
export async function seatLimits(db: Db, org: OrgWithTiers, at = new Date()) {
  const period = periodOf(at, org.timezone);
  const [members, rows] = await Promise.all([
    db.member.findMany({ where: { orgId: org.id, removedAt: null }, orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
    db.monthlySpend.findMany({ where: { orgId: org.id, period, scope: 'member' } }),
  ]);
  const byMember = new Map(rows.map((r) => [r.subject, r]));
  return {
    period,
    members: members.map((m) => {
      const spent = byMember.get(m.id)?.extraNanos ?? 0n;
      const cap = m.extraUsageCapNanos;
      return {
        id: m.id,
        externalId: m.externalId,
        name: m.name,
        role: m.role,
        seatTier: m.seatTier,
        extraUsageEnabled: org.extraUsageEnabled && (org.extraUsageScope === 'all_members' || m.extraUsageEnabled),
        cap: formatUsdOrNull(cap),
        monthToDateExtra: formatUsd(spent),
        monthToDateIncluded: formatUsd(byMember.get(m.id)?.includedNanos ?? 0n),
        paused: cap !== null && spent >= cap,
      };
    }),
  };
}
