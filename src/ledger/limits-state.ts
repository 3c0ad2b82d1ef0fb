// Reads everything the cap rules need for one member at one instant.
import type { Db } from '../db/client.js';
import type { Member, Organization, SeatTierConfig } from '../generated/prisma/client.js';
import { continuesOnExtraUsage, type MemberLimitsState, type SeatTier } from '../domain/caps.js';
import type { HeldState } from '../domain/reservations.js';
import { periodOf } from '../domain/periods.js';
import { productSpendSubject } from '../domain/products.js';
import { productCapOfMember } from './metering/products.js';

export type OrgWithTiers = Organization & { seatTiers: SeatTierConfig[] };

export function tierCapOf(org: Organization, tier: SeatTier): bigint | null {
  return tier === 'premium' ? org.premiumTierCapNanos : org.standardTierCapNanos;
}

export function tierConfigOf(org: OrgWithTiers, tier: SeatTier): SeatTierConfig {
  const config = org.seatTiers.find((t) => t.tier === tier);
  // Provisioning always writes both tiers; a missing one means no allowance.
  return config ?? { orgId: org.id, tier, includedAllowanceNanos: 0n, windowMinutes: 300 };
}

/** Month-to-date extra spend, and what open reservations hold on top of it. */
export interface MonthSpend {
  member: bigint;
  tier: bigint;
  org: bigint;
  memberReserved: bigint;
  tierReserved: bigint;
  orgReserved: bigint;
  /** The member's extra on the product named (0 when none). */
  product: bigint;
  productReserved: bigint;
}

export async function monthSpendOf(db: Db, orgId: string, period: string, memberId: string, tier: SeatTier, product: string | null = null): Promise<MonthSpend> {
  const rows = await db.monthlySpend.findMany({
    where: {
      orgId,
      period,
      OR: [
        { scope: 'member', subject: memberId },
        { scope: 'tier', subject: tier },
        { scope: 'org', subject: 'org' },
        ...(product ? [{ scope: 'product' as const, subject: productSpendSubject(product, memberId) }] : []),
      ],
    },
  });
  const row = (scope: string) => rows.find((r) => r.scope === scope);
  const of = (scope: string) => row(scope)?.extraNanos ?? 0n;
  const held = (scope: string) => row(scope)?.reservedNanos ?? 0n;
  return {
    member: of('member'), tier: of('tier'), org: of('org'), memberReserved: held('member'), tierReserved: held('tier'), orgReserved: held('org'),
    product: of('product'), productReserved: held('product'),
  };
}

/**
 * The state the check-mode rules decide on. What open reservations hold counts as
 * used or spent, so a check-mode request never takes what a reservation holds.
 */
export async function loadLimitsState(db: Db, org: OrgWithTiers, member: Member, at: Date, product: string | null = null): Promise<MemberLimitsState> {
  const s = await loadHeldState(db, org, member, at, product);
  return {
    ...s,
    window: { startedAt: s.window.startedAt, usedNanos: s.window.usedNanos + s.windowHeldNanos },
    productSpendNanos: (s.productSpendNanos ?? 0n) + (s.productReservedNanos ?? 0n),
    memberSpendNanos: s.memberSpendNanos + s.memberReservedNanos,
    tierSpendNanos: s.tierSpendNanos + s.tierReservedNanos,
    orgSpendNanos: s.orgSpendNanos + s.orgReservedNanos,
    balanceNanos: s.balanceNanos - s.heldBalanceNanos,
  };
}

/** Spend and holds kept apart, as reservation mode needs them. */
export async function loadHeldState(db: Db, org: OrgWithTiers, member: Member, at: Date, product: string | null = null): Promise<HeldState> {
  const tier = member.seatTier;
  const config = tierConfigOf(org, tier);
  const [spend, productCapNanos] = await Promise.all([
    monthSpendOf(db, org.id, periodOf(at, org.timezone), member.id, tier, product),
    productCapOfMember(db, org.id, product, member.id),
  ]);
  return {
    plan: org.plan,
    timezone: org.timezone,
    orgExtraUsageEnabled: org.extraUsageEnabled,
    extraUsageScope: org.extraUsageScope,
    memberExtraUsageEnabled: member.extraUsageEnabled,
    continueOnExtraUsage: continuesOnExtraUsage(member.continueOnExtraUsage, org.continueOnExtraUsageDefault),
    allowanceNanos: config.includedAllowanceNanos,
    windowMinutes: config.windowMinutes,
    window: { startedAt: member.windowStartedAt, usedNanos: member.windowUsedNanos },
    memberCapNanos: member.extraUsageCapNanos,
    tierCapNanos: tierCapOf(org, tier),
    orgCapNanos: org.orgMonthlyCapNanos,
    memberSpendNanos: spend.member,
    tierSpendNanos: spend.tier,
    orgSpendNanos: spend.org,
    balanceNanos: org.balanceNanos,
    windowHeldNanos: member.windowHeldNanos,
    memberReservedNanos: spend.memberReserved,
    tierReservedNanos: spend.tierReserved,
    orgReservedNanos: spend.orgReserved,
    heldBalanceNanos: org.heldBalanceNanos,
    productCapNanos,
    productSpendNanos: spend.product,
    productReservedNanos: spend.productReserved,
  };
}

export async function loadOrg(db: Db, orgId: string): Promise<OrgWithTiers> {
  return db.organization.findUniqueOrThrow({ where: { id: orgId }, include: { seatTiers: true } });
}

// The metering routes need only who the org is and how it enforces caps (both change
// rarely); the caps themselves are always read fresh. A short-lived copy saves a
// query per call; changes made in this process drop it at once.
const SNAPSHOT_MS = 2_000;
// The load itself is kept, so the requests that arrive while a copy is read again share that one read.
const snapshots = new WeakMap<Db, Map<string, { org: Promise<OrgWithTiers>; at: number }>>();

export async function orgSnapshot(db: Db, orgId: string, now = Date.now()): Promise<OrgWithTiers> {
  let known = snapshots.get(db);
  if (!known) snapshots.set(db, (known = new Map()));
  const cache = known;
  const hit = cache.get(orgId);
  if (hit && now - hit.at < SNAPSHOT_MS) return hit.org;
  const entry = { org: loadOrg(db, orgId), at: now };
  // A failed load is not kept: the next request loads again.
  entry.org.catch(() => {
    if (cache.get(orgId) === entry) cache.delete(orgId);
  });
  cache.set(orgId, entry);
  return entry.org;
}

export function forgetOrgSnapshot(db: Db, orgId: string): void {
  snapshots.get(db)?.delete(orgId);
}

/** Drop every org's copy (an org changed in another process: cache-versions.ts). A load in flight then writes to the dropped map, never back. */
export function forgetOrgSnapshots(db: Db): void {
  snapshots.delete(db);
}
