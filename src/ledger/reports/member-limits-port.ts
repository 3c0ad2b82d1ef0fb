// The port every surface reads members' limits through ("Individual seat limits",
// "What stops you next", /usage and App Home in Slack, the usage card in Teams). This
// is our ledger's implementation: each member's own monthly cap and this month's extra
// spend. An org connected to Claude reads Anthropic's effective limits through the same
// port instead (src/anthropic/limits-port.ts).
import type { Db } from '../../db/client.js';
import type { LimitLine, LimitsAuthority } from '../../domain/member-limits.js';
import { periodOf } from '../../domain/periods.js';
import type { OrgWithTiers } from '../limits-state.js';

export interface MemberLimitsPort {
  authority: LimitsAuthority;
  /** Each member's limit lines (a member with none: an empty list). */
  linesOf(memberIds: readonly string[]): Promise<Map<string, LimitLine[]>>;
}

export function ledgerLimits(db: Db, org: OrgWithTiers, at: Date): MemberLimitsPort {
  return {
    authority: 'ledger',
    async linesOf(memberIds) {
      const ids = [...new Set(memberIds)];
      const [members, spend] = await Promise.all([
        db.member.findMany({ where: { orgId: org.id, id: { in: ids } }, select: { id: true, extraUsageCapNanos: true } }),
        db.monthlySpend.findMany({ where: { orgId: org.id, period: periodOf(at, org.timezone), scope: 'member', subject: { in: ids } }, select: { subject: true, extraNanos: true } }),
      ]);
      const spent = new Map(spend.map((s) => [s.subject, s.extraNanos]));
      return new Map(members.map((m) => [m.id, [{ period: 'monthly' as const, limitNanos: m.extraUsageCapNanos, spentNanos: spent.get(m.id) ?? 0n, source: 'member' as const, sourceRef: null, editableHere: true }]]));
    },
  };
}
