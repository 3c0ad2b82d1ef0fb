// Members' limits for an org connected to Claude, behind the same port as our ledger's
// (src/ledger/reports/member-limits-port.ts): each period's effective limit at Anthropic
// as the last report said (exact nano-dollars from its minor-unit strings), where it comes
// from, and the period-to-date spend. `limitsPortFor` picks the org's implementation.
import type { Db } from '../db/client.js';
import type { LimitLine, LimitPeriod, LimitSource } from '../domain/member-limits.js';
import { ledgerLimits, type MemberLimitsPort } from '../ledger/reports/member-limits-port.js';
import type { OrgWithTiers } from '../ledger/limits-state.js';

const PERIODS: readonly string[] = ['daily', 'weekly', 'monthly'];
const ORDER: Record<LimitPeriod, number> = { monthly: 0, weekly: 1, daily: 2 };

/** Anthropic's scope names, ours for people: organization_service is an organization default too. */
const sourceOf = (type: string): LimitSource => (type === 'user' || type === 'seat_tier' || type === 'rbac_group' ? type : 'organization');

export function claudeLimits(db: Db, orgId: string): MemberLimitsPort {
  return {
    authority: 'claude',
    async linesOf(memberIds) {
      const ids = [...new Set(memberIds)];
      const rows = await db.anthropicEffectiveLimit.findMany({ where: { orgId, memberId: { in: ids } } });
      const out = new Map<string, LimitLine[]>(ids.map((id) => [id, []]));
      for (const r of rows) {
        if (!PERIODS.includes(r.period)) continue;
        const source = sourceOf(r.sourceType);
        out.get(r.memberId)?.push({ period: r.period as LimitPeriod, limitNanos: r.amountNanos, spentNanos: r.spentNanos, source, sourceRef: source === 'user' ? null : r.sourceRef, editableHere: source === 'user' });
      }
      for (const lines of out.values()) lines.sort((a, b) => ORDER[a.period] - ORDER[b.period]);
      return out;
    },
  };
}

/** The org's limits port: Anthropic's when connected to Claude, our ledger's otherwise. */
export async function limitsPortFor(db: Db, org: OrgWithTiers, at: Date): Promise<MemberLimitsPort> {
  const connected = (await db.anthropicConnection.count({ where: { orgId: org.id } })) > 0;
  return connected ? claudeLimits(db, org.id) : ledgerLimits(db, org, at);
}
