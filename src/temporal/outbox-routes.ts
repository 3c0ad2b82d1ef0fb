// Which workflow each outbox event goes to.
import { startOnce, type OutboxRoute } from './outbox-relay.js';
import type { OutboxRow } from '../ledger/outbox.js';
import { requestAutoReload, type AutoReloadOptions } from './auto-reload.js';
import { extraUsageAvailable } from '../domain/caps.js';
import { raiseMadeMoot, type RaiseScope } from '../domain/limit-raise.js';
import { tierCapOf } from '../ledger/limits-state.js';
import { ensureOrgSchedules, type AnthropicPollOptions } from './schedules.js';
import { unpricedAlertRoute } from './unpriced-alert-route.js';
import { memberExternalIdOf, orgSlugOf } from './names.js';
import { orgAttributes, visibility } from './search-attributes.js';

const memberIdOf = (payload: unknown) => (payload as { memberId: string }).memberId;

/** Cap and threshold alerts: one capAlert workflow per event; it dedupes per (subject, threshold, period, cap). */
const alertOf = (e: OutboxRow) => ({ orgId: e.orgId, eventId: String(e.id), event: { ...(e.payload as object), type: e.type } });
/**
 * `alert/<org slug>/<kind>/<event id>`: the org is in the id so event ids restarting (a
 * fresh database) cannot collide with old runs; the kind so an operator reads what it is.
 */
export const alertWorkflowId = (orgSlug: string, kind: string, eventId: bigint | string) => `alert/${orgSlug}/${kind}/${eventId}`;
const capAlertRoute: OutboxRoute = async (e, ctx) => {
  const slug = await orgSlugOf(ctx.db, e.orgId);
  const memberId = (e.payload as { memberId?: unknown }).memberId;
  const member = typeof memberId === 'string' ? await memberExternalIdOf(ctx.db, memberId) : undefined;
  const attributes = orgAttributes(slug, { alertKind: e.type, ...(member !== undefined ? { member } : {}) });
  await startOnce(ctx, 'capAlert', alertWorkflowId(slug, e.type, e.id), [alertOf(e)], { perEvent: true, ...visibility(ctx.client, attributes, `${e.type} alert, ${slug}${member !== undefined ? `, ${member}` : ''}`) });
};

export interface OutboxRouteOptions {
  /** Payment policy of auto-reload episodes (defaults in workflows/team-auto-reload.ts). */
  autoReload?: AutoReloadOptions;
  /** Connected orgs' poll (docs/claude.md); unset: no poll schedule is made. */
  anthropicPoll?: AnthropicPollOptions;
}

export function outboxRoutes(opts: OutboxRouteOptions = {}): Record<string, OutboxRoute> {
  return {
    seat_limit_reached: capAlertRoute,
    member_cap_reached: capAlertRoute,
    product_cap_reached: capAlertRoute,
    tier_cap_reached: capAlertRoute,
    org_cap_threshold: capAlertRoute,
    // A connected org's member crossed an owners' threshold of their limit at Anthropic (docs/claude.md).
    claude_limit_threshold: capAlertRoute,
    // Usage kept unpriced: operators are told once per model (or fee) per day.
    usage_unpriced: unpricedAlertRoute(),
    // A record took the balance to the threshold: owners hear of it. The reload itself
    // comes from auto_reload_wanted, written in the same transaction by the balance watch.
    balance_below_threshold: capAlertRoute,
    // The balance watch (migration 20261205010000_balance_watch): one episode per org.
    auto_reload_wanted: async (e, ctx) => requestAutoReload(ctx.client, ctx.taskQueue, { id: e.orgId, slug: await orgSlugOf(ctx.db, e.orgId) }, opts.autoReload),
    // Auto-reload off: owners are told once per episode (re-armed when money comes in).
    balance_warning: capAlertRoute,
    balance_exhausted: capAlertRoute,
    // Digest hour and timezone may have changed: bring the org's schedules up to date.
    org_provisioned: async (e, ctx) => {
      const org = await ctx.db.organization.findUnique({ where: { id: e.orgId }, include: { anthropic: { select: { orgId: true } } } });
      if (org) await ensureOrgSchedules(ctx.client, { ...org, anthropicConnected: org.anthropic !== null }, ctx.taskQueue, ctx.schedules, opts.anthropicPoll);
    },
    // The org disconnected from Claude: each request from Claude pending here is no longer tracked (its workflow records it, admins' copies say so).
    anthropic_disconnected: async (e, ctx) => {
      await ctx.requests.untrackAnthropic(e.orgId);
    },
    // An open request is moot once the member left or got extra usage another way.
    member_removed: async (e, ctx) => {
      await ctx.requests.cancel(e.orgId, memberIdOf(e.payload), 'member_left');
    },
    member_extra_usage_enabled: async (e, ctx) => {
      await ctx.requests.cancel(e.orgId, memberIdOf(e.payload), 'extra_usage_enabled');
    },
    // An owner changed a cap or who gets extra usage: an open raise request it made moot is closed, the requester told why.
    limits_changed: async (e, ctx) => {
      const org = await ctx.db.organization.findUniqueOrThrow({ where: { id: e.orgId } });
      const pending = await ctx.db.extraUsageRequest.findMany({ where: { orgId: e.orgId, status: 'pending', raiseScope: { not: null } }, include: { member: true } });
      for (const r of pending) {
        const scope = r.raiseScope as RaiseScope;
        const capNanos = scope === 'member' ? r.member.extraUsageCapNanos : scope === 'org' ? org.orgMonthlyCapNanos : tierCapOf(org, r.member.seatTier);
        const extra = extraUsageAvailable({ orgExtraUsageEnabled: org.extraUsageEnabled, extraUsageScope: org.extraUsageScope, memberExtraUsageEnabled: r.member.extraUsageEnabled });
        const moot = raiseMadeMoot({ toNanos: r.raiseToNanos ?? 0n }, { capNanos, extraUsageAvailable: extra });
        if (moot) await ctx.requests.cancel(e.orgId, r.memberId, moot);
      }
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
