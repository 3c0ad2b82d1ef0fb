// Usage whose client said another cost than ours (flagged cost_differs_from_client):
// e.g. Claude Code's cost_usd for a 1-hour cache write, which its telemetry cannot
// tell apart from a 5-minute one. Seen, never silent: the operator's list and the
// Spend report's line.
import type { Db } from '../../db/client.js';
import { formatUsd } from '../../domain/money.js';

export interface ClientCostSummary {
  events: number;
  /** What we charged for them, and what the client said they cost. */
  cost: string;
  clientCost: string;
}

export async function clientCostSummary(db: Db, orgId: string, period: string): Promise<ClientCostSummary> {
  const r = await db.clientCostDifference.aggregate({ where: { orgId, period }, _count: { _all: true }, _sum: { costNanos: true, clientCostNanos: true } });
  return { events: r._count._all, cost: formatUsd(r._sum.costNanos ?? 0n), clientCost: formatUsd(r._sum.clientCostNanos ?? 0n) };
}

export async function listClientCostDifferences(db: Db, opts: { orgId?: string; limit: number }) {
  const rows = await db.clientCostDifference.findMany({
    where: opts.orgId ? { orgId: opts.orgId } : {},
    orderBy: [{ occurredAt: 'desc' }, { usageEventId: 'asc' }],
    take: opts.limit,
    include: { org: { select: { slug: true } }, event: { select: { family: true, inputTokens: true, cacheWrite5mTokens: true, cacheWrite1hTokens: true, cacheReadTokens: true, outputTokens: true, member: { select: { externalId: true } } } } },
  });
  return rows.map((r) => ({
    eventId: r.usageEventId, org: r.org.slug, memberId: r.memberId, member: r.event.member.externalId, requestId: r.requestId, model: r.model, family: r.event.family,
    at: r.occurredAt.toISOString(), period: r.period, cost: formatUsd(r.costNanos), clientCost: formatUsd(r.clientCostNanos), difference: formatUsd(r.clientCostNanos - r.costNanos),
    tokens: { input: r.event.inputTokens, cacheWrite5m: r.event.cacheWrite5mTokens, cacheWrite1h: r.event.cacheWrite1hTokens, cacheRead: r.event.cacheReadTokens, output: r.event.outputTokens },
  }));
}
