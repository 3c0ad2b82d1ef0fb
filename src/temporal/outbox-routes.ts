// Which workflow each outbox event goes to.
import type { OutboxRoute } from './outbox-relay.js';
import { extraUsageAvailable } from '../domain/caps.js';

const memberIdOf = (payload: unknown) => (payload as { memberId: string }).memberId;

export function outboxRoutes(): Record<string, OutboxRoute> {
  return {
    // An open request is moot once the member left or got extra usage another way.
    member_removed: async (e, ctx) => {
      await ctx.requests.cancel(e.orgId, memberIdOf(e.payload), 'member_left');
    },
    member_extra_usage_enabled: async (e, ctx) => {
      await ctx.requests.cancel(e.orgId, memberIdOf(e.payload), 'extra_usage_enabled');
    },
    org_extra_usage_enabled: async (e, ctx) => {
      const org = await ctx.db.organization.findUniqueOrThrow({ where: { id: e.orgId } });
      const pending = await ctx.db.extraUsageRequest.findMany({ where: { orgId: e.orgId, status: 'pending' }, include: { member: true } });
      for (const r of pending) {
        const has = extraUsageAvailable({ orgExtraUsageEnabled: org.extraUsageEnabled, extraUsageScope: org.extraUsageScope, memberExtraUsageEnabled: r.member.extraUsageEnabled });
        if (has) await ctx.requests.cancel(e.orgId, r.memberId, 'extra_usage_enabled');
      }
    },
  };
}
