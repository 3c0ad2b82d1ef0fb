// Which workflow each outbox event goes to.
import { startOnce, type OutboxRoute } from './outbox-relay.js';
import type { OutboxRow } from '../ledger/outbox.js';
import type { AutoReloadInput } from '../../workflows/auto-reload.js';
import { extraUsageAvailable } from '../domain/caps.js';
import { ensureOrgSchedules } from './schedules.js';

const memberIdOf = (payload: unknown) => (payload as { memberId: string }).memberId;

/** Cap and threshold alerts: one capAlert workflow per event; it dedupes per (subject, threshold, period, cap). */
const alertOf = (e: OutboxRow) => ({ orgId: e.orgId, eventId: String(e.id), event: { ...(e.payload as object), type: e.type } });
// The org is in the id too, so event ids restarting (a fresh database) cannot collide with old runs.
const capAlertRoute: OutboxRoute = (e, ctx) => startOnce(ctx, 'capAlert', `alert/${e.orgId}/${e.id}`, [alertOf(e)]);

export interface OutboxRouteOptions {
  /** Payment retry policy of auto-reloads (defaults in workflows/auto-reload.ts). */
  autoReload?: Pick<AutoReloadInput, 'maximumAttempts' | 'initialIntervalMs'>;
}

export function outboxRoutes(opts: OutboxRouteOptions = {}): Record<string, OutboxRoute> {
  return {
    seat_limit_reached: capAlertRoute,
    member_cap_reached: capAlertRoute,
    tier_cap_reached: capAlertRoute,
    org_cap_threshold: capAlertRoute,
    // One reload per crossing: the id (and the payment's idempotency key) come from the event.
    balance_below_threshold: async (e, ctx) => {
      const input: AutoReloadInput = { orgId: e.orgId, triggerEventId: String(e.id), ...opts.autoReload };
      await startOnce(ctx, 'autoReload', `auto-reload/${e.orgId}/${e.id}`, [input]);
      await capAlertRoute(e, ctx);
    },
    // Digest hour and timezone may have changed: bring the org's schedules up to date.
    org_provisioned: async (e, ctx) => {
      const org = await ctx.db.organization.findUnique({ where: { id: e.orgId } });
      if (org) await ensureOrgSchedules(ctx.client, org, ctx.taskQueue, ctx.schedules);
    },
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
