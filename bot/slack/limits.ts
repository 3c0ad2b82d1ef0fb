// The owner's limits as Slack shows and changes them: the org cap, a seat tier's
// cap (Enterprise), a member's cap and seat tier. Changes go through the ledger's
// settings functions, which check the actor is an owner and write the audit entry.
import { formatUsd } from '../../src/domain/money.js';
import { seatLimits, usageOverview } from '../../src/ledger/reports/reports.js';
import { setMemberCap, setMemberExtraUsage, setMemberSeatTier, setOrgCap, setTierCap } from '../../src/ledger/settings/settings.js';
import type { SlackDeps } from './deps.js';
import type { Linked } from './identity.js';
import { escText, seatName } from './views/blocks.js';
import type { LimitTarget } from './views/owner-settings.js';

export interface LimitDescription {
  label: string;
  current: string | null;
  spent: string;
  note?: string;
  /** A member's seat tier (member limits only): the modal offers to change it. */
  seatTier?: 'standard' | 'premium';
  /** A member's own extra-usage switch (member limits only), and whether the org's scope makes it count. */
  memberExtraUsage?: { enabled: boolean; scopeSelected: boolean };
}

export function parseTarget(value: unknown): LimitTarget | null {
  const v = value as { kind?: unknown; tier?: unknown; memberId?: unknown } | null;
  if (!v || typeof v !== 'object') return null;
  if (v.kind === 'org') return { kind: 'org' };
  if (v.kind === 'tier' && (v.tier === 'standard' || v.tier === 'premium')) return { kind: 'tier', tier: v.tier };
  if (v.kind === 'member' && typeof v.memberId === 'string' && v.memberId) return { kind: 'member', memberId: v.memberId };
  return null;
}

/** What the modal shows about a limit; null when the target is not in the actor's org. */
export async function describeLimit(deps: SlackDeps, who: Linked, target: LimitTarget): Promise<LimitDescription | null> {
  const now = deps.now();
  if (target.kind === 'member') {
    const member = await deps.db.member.findFirst({ where: { id: target.memberId, orgId: who.org.id, removedAt: null } });
    if (!member) return null;
    const row = (await seatLimits(deps.db, who.org, now)).members.find((m) => m.id === member.id);
    return {
      label: `${member.name}'s monthly limit`,
      current: row?.cap ?? null,
      spent: row?.monthToDateExtra ?? '0.00',
      note: '"Set to unlimited" removes this member\'s limit; seat-tier and organisation limits still apply.',
      seatTier: member.seatTier,
      memberExtraUsage: { enabled: member.extraUsageEnabled, scopeSelected: who.org.extraUsageScope === 'selected_members' },
    };
  }
  const o = await usageOverview(deps.db, who.org, now);
  if (target.kind === 'org') return { label: 'Organisation monthly limit', current: o.orgCap.cap, spent: o.orgCap.monthToDateExtra };
  if (who.org.plan !== 'enterprise') return null;
  const t = o.seatTiers.find((x) => x.tier === target.tier)!;
  return { label: `${seatName(target.tier)} seats' monthly limit`, current: t.cap ?? null, spent: t.monthToDateExtra };
}

/** Sets the limit (null = unlimited); the ledger refuses non-owners with a 403. */
export async function applyLimit(deps: SlackDeps, who: Linked, target: LimitTarget, capNanos: bigint | null): Promise<string> {
  const shown = capNanos === null ? 'unlimited' : `$${formatUsd(capNanos)}`;
  if (target.kind === 'org') {
    await setOrgCap(deps.db, who.org, who.member, capNanos);
    return `The organisation's monthly limit is now ${shown}.`;
  }
  if (target.kind === 'tier') {
    await setTierCap(deps.db, who.org, who.member, target.tier, capNanos);
    return `${seatName(target.tier)} seats' monthly limit is now ${shown}.`;
  }
  const member = await setMemberCap(deps.db, who.org, who.member, target.memberId, capNanos);
  return `${escText(member.name)}'s monthly limit is now ${shown}${capNanos === null ? ' (seat-tier and organisation limits still apply)' : ''}.`;
}

export const parseSeatTier = (value: unknown): 'standard' | 'premium' | null => (value === 'standard' || value === 'premium' ? value : null);

/** Moves a member to another seat tier; the ledger refuses non-owners with a 403. */
export async function applySeatTier(deps: SlackDeps, who: Linked, memberId: string, seatTier: 'standard' | 'premium'): Promise<string> {
  const member = await setMemberSeatTier(deps.db, who.org, who.member, memberId, seatTier);
  return `${escText(member.name)} now has a ${seatName(seatTier).toLowerCase()} seat.`;
}

/** Turns a member's own extra usage on or off (what counts when the org gives it to selected members); owners only, audited by the ledger. */
export async function applyMemberExtraUsage(deps: SlackDeps, who: Linked, memberId: string, enabled: boolean): Promise<string> {
  const member = await setMemberExtraUsage(deps.db, who.org, who.member, memberId, enabled);
  const org = await deps.db.organization.findUniqueOrThrow({ where: { id: who.org.id } });
  const scope = org.extraUsageScope === 'all_members' ? ' (your organisation gives extra usage to all members, so this counts once it is set to selected members only)' : '';
  return `${escText(member.name)}'s own extra usage is now ${enabled ? 'on' : 'off'}${scope}.`;
}
