// Owner settings for extra usage: the switch, every cap, members' seat tiers,
// prepaid balance and auto-reload. Each change applies at once, in one transaction
// with its audit entry.
import type { Db } from '../../db/client.js';
import type { Member, Organization } from '../../generated/prisma/client.js';
import type { ExtraUsageScope, SeatTier } from '../../domain/caps.js';
import { formatUsdOrNull } from '../../domain/money.js';
import { actorLabel, requireOwner, requirePrimaryOwner } from '../actors.js';
import { writeAudit } from '../audit.js';
import { appendEvents } from '../outbox.js';
import { invalid, notFound } from '../errors.js';
import { requireActiveMember } from './members.js';
import { inTransaction } from '../transactions.js';

const usd = formatUsdOrNull;
/** An owner's change that may make an open raise request moot (src/temporal/outbox-routes.ts closes those). */
const LIMITS_CHANGED = { type: 'limits_changed' } as const;

function requirePlan(org: Organization, plan: Organization['plan'], field: string, what: string) {
  if (org.plan !== plan) throw invalid(field, `${what} is only available on the ${plan} plan; this org is on ${org.plan}`);
}

export async function setExtraUsage(db: Db, org: Organization, actor: Member, change: { enabled: boolean; scope?: ExtraUsageScope }) {
  requireOwner(actor);
  return inTransaction(db, async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: org.id } });
    const after = await tx.organization.update({
      where: { id: org.id },
      data: { extraUsageEnabled: change.enabled, ...(change.scope ? { extraUsageScope: change.scope } : {}) },
    });
    await writeAudit(tx, org.id, [{
      actor: actorLabel(actor),
      action: 'extra_usage.set',
      subject: 'org',
      before: { enabled: before.extraUsageEnabled, scope: before.extraUsageScope },
      after: { enabled: after.extraUsageEnabled, scope: after.extraUsageScope },
    }]);
    const widened = after.extraUsageEnabled && (!before.extraUsageEnabled || (before.extraUsageScope !== 'all_members' && after.extraUsageScope === 'all_members'));
    if (widened) await appendEvents(tx, org.id, [{ type: 'org_extra_usage_enabled' }]);
    await appendEvents(tx, org.id, [LIMITS_CHANGED]);
    return after;
  });
}

export async function setOrgCap(db: Db, org: Organization, actor: Member, capNanos: bigint | null) {
  requireOwner(actor);
  return inTransaction(db, async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: org.id } });
    const after = await tx.organization.update({ where: { id: org.id }, data: { orgMonthlyCapNanos: capNanos } });
    await writeAudit(tx, org.id, [{ actor: actorLabel(actor), action: 'cap.org.set', subject: 'org', before: { cap: usd(before.orgMonthlyCapNanos) }, after: { cap: usd(capNanos) } }]);
    await appendEvents(tx, org.id, [LIMITS_CHANGED]);
    return after;
  });
}

export async function setTierCap(db: Db, org: Organization, actor: Member, tier: SeatTier, capNanos: bigint | null) {
  requireOwner(actor);
  requirePlan(org, 'enterprise', 'tier', 'A seat-tier cap');
  const column = tier === 'premium' ? 'premiumTierCapNanos' : 'standardTierCapNanos';
  return inTransaction(db, async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: org.id } });
    const after = await tx.organization.update({ where: { id: org.id }, data: { [column]: capNanos } });
    await writeAudit(tx, org.id, [{ actor: actorLabel(actor), action: 'cap.tier.set', subject: `tier:${tier}`, before: { cap: usd(before[column]) }, after: { cap: usd(capNanos) } }]);
    await appendEvents(tx, org.id, [LIMITS_CHANGED]);
    return after;
  });
}

export async function setMemberCap(db: Db, org: Organization, actor: Member, memberRef: string, capNanos: bigint | null) {
  requireOwner(actor);
  const member = await requireActiveMember(db, org.id, memberRef);
  return inTransaction(db, async (tx) => {
    const before = await tx.member.findUniqueOrThrow({ where: { id: member.id } });
    const after = await tx.member.update({ where: { id: member.id }, data: { extraUsageCapNanos: capNanos } });
    await writeAudit(tx, org.id, [{ actor: actorLabel(actor), action: 'cap.member.set', subject: `member:${member.id}`, before: { cap: usd(before.extraUsageCapNanos) }, after: { cap: usd(capNanos) } }]);
    await appendEvents(tx, org.id, [LIMITS_CHANGED]);
    return after;
  });
}

export async function setMemberExtraUsage(db: Db, org: Organization, actor: Member, memberRef: string, enabled: boolean) {
  requireOwner(actor);
  const member = await requireActiveMember(db, org.id, memberRef);
  return inTransaction(db, async (tx) => {
    const before = await tx.member.findUniqueOrThrow({ where: { id: member.id } });
    const after = await tx.member.update({ where: { id: member.id }, data: { extraUsageEnabled: enabled } });
    await writeAudit(tx, org.id, [{ actor: actorLabel(actor), action: 'extra_usage.member.set', subject: `member:${member.id}`, before: { enabled: before.extraUsageEnabled }, after: { enabled } }]);
    if (enabled && !before.extraUsageEnabled) await appendEvents(tx, org.id, [{ type: 'member_extra_usage_enabled', memberId: member.id }]);
    if (!enabled && before.extraUsageEnabled) await appendEvents(tx, org.id, [LIMITS_CHANGED]);
    return after;
  });
}

/**
 * Moves a member to another seat tier (up or down): their included allowance and
 * tier cap change at once. An open request of theirs stays open for admins to decide.
 */
export async function setMemberSeatTier(db: Db, org: Organization, actor: Member, memberRef: string, seatTier: SeatTier) {
  requireOwner(actor);
  const member = await requireActiveMember(db, org.id, memberRef);
  return inTransaction(db, async (tx) => {
    const before = await tx.member.findUniqueOrThrow({ where: { id: member.id } });
    if (before.removedAt) throw notFound(`member '${memberRef}'`, 'member');
    if (before.seatTier === seatTier) return before; // already so: nothing changes, nothing to audit
    const after = await tx.member.update({ where: { id: member.id }, data: { seatTier } });
    await writeAudit(tx, org.id, [{ actor: actorLabel(actor), action: 'member.seat_tier.set', subject: `member:${member.id}`, before: { seatTier: before.seatTier }, after: { seatTier } }]);
    return after;
  });
}

/**
 * The monthly reload limit as money from what a caller sent: `monthlyMaxNanos`, or (the
 * API before the limit became an amount) `monthlyLimit`, a count of reloads of `amount`.
 * undefined: leave the stored limit as it is.
 */
export function monthlyMaxOf(change: { amountNanos: bigint | null; monthlyMaxNanos?: bigint | null; monthlyLimit?: number | null }): bigint | null | undefined {
  if (change.monthlyMaxNanos !== undefined && change.monthlyLimit !== undefined && change.monthlyLimit !== null) {
    throw invalid('monthlyLimit', 'send monthlyMax (an amount) or monthlyLimit (a count of reloads, the older form), not both');
  }
  if (change.monthlyMaxNanos !== undefined) return change.monthlyMaxNanos;
  if (change.monthlyLimit === undefined || change.monthlyLimit === null) return change.monthlyLimit;
  if (change.amountNanos === null) throw invalid('monthlyLimit', 'a monthly limit counted in reloads needs the reload amount; send monthlyMax (an amount) instead');
  return BigInt(change.monthlyLimit) * change.amountNanos;
}

/** How many whole reloads of `amount` the monthly limit allows: the count the API answered before the limit became an amount. */
export const reloadsAllowed = (o: Pick<Organization, 'autoReloadMonthlyMaxNanos' | 'autoReloadAmountNanos'>): number | null =>
  o.autoReloadMonthlyMaxNanos === null || o.autoReloadAmountNanos === null || o.autoReloadAmountNanos <= 0n ? null : Number(o.autoReloadMonthlyMaxNanos / o.autoReloadAmountNanos);

export async function setAutoReload(db: Db, org: Organization, actor: Member, change: { enabled: boolean; thresholdNanos: bigint | null; amountNanos: bigint | null; monthlyMaxNanos?: bigint | null; monthlyLimit?: number | null }) {
  requirePrimaryOwner(actor, 'change auto-reload (it charges the payment method unattended)');
  requirePlan(org, 'team', 'autoReload', 'Auto-reload');
  if (change.enabled && (change.thresholdNanos === null || change.amountNanos === null)) {
    throw invalid(change.thresholdNanos === null ? 'threshold' : 'amount', 'auto-reload needs both a threshold and an amount when enabled');
  }
  const monthlyMax = monthlyMaxOf(change);
  const effectiveMax = monthlyMax === undefined ? org.autoReloadMonthlyMaxNanos : monthlyMax;
  if (change.enabled && effectiveMax !== null && change.amountNanos !== null && effectiveMax < change.amountNanos) {
    throw invalid(change.monthlyLimit !== undefined && change.monthlyMaxNanos === undefined ? 'monthlyLimit' : 'monthlyMax', `the monthly reload limit of $${usd(effectiveMax)} is less than one reload of $${usd(change.amountNanos)}, so no reload could happen: raise it, or leave it blank for no limit`);
  }
  return inTransaction(db, async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: org.id } });
    const after = await tx.organization.update({
      where: { id: org.id },
      data: {
        autoReloadEnabled: change.enabled,
        autoReloadThresholdNanos: change.thresholdNanos,
        autoReloadAmountNanos: change.amountNanos,
        ...(monthlyMax !== undefined ? { autoReloadMonthlyMaxNanos: monthlyMax } : {}),
      },
    });
    const view = (o: Organization) => ({ enabled: o.autoReloadEnabled, threshold: usd(o.autoReloadThresholdNanos), amount: usd(o.autoReloadAmountNanos), monthlyMax: usd(o.autoReloadMonthlyMaxNanos) });
    await writeAudit(tx, org.id, [{ actor: actorLabel(actor), action: 'auto_reload.set', subject: 'org', before: view(before), after: view(after) }]);
    return after;
  });
}
