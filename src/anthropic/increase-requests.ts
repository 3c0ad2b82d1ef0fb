// The poll of a connected org's spend limit increase requests: every pending one (pages
// followed) that has no request here yet is to be opened, and every request here still
// pending whose Anthropic request was decided (in claude.ai) is to be closed.
import type { SpendLimitIncreaseRequest } from '@anthropic-ai/sdk/resources/organization/spend-limits/increase-requests';
import type { SpendSummary } from '@anthropic-ai/sdk/resources/organization/spend-limits/spend-limits';
import type { Db } from '../db/client.js';
import { formatUsd } from '../domain/money.js';
import { minorToNanos } from '../domain/minor-units.js';
import type { AnthropicOpening } from '../ledger/requests/requests.js';
import type { AdminClient } from './client.js';
import { anthropicFault } from './errors.js';

export interface PendingToOpen {
  anthropic: AnthropicOpening;
  memberId: string;
  /** For the workflow's Member search attribute. */
  memberExternalId: string;
  requestedAt: string;
  /**
   * Picked up again after a reconnect (it was no longer tracked): the how-many-th
   * tracking, so its workflow id is a new one (`…/tracked-<n>`). Absent: the first.
   */
  tracking?: number;
}

export interface DecidedThere {
  /** Our request (ledger id) and the workflow that runs it. */
  requestId: string;
  workflowId: string;
  status: 'approved' | 'denied';
  resolvedBy: { userId: string | null; label: string };
  resolvedAt: string;
}

/** USD decimal strings from a spend summary (minor units, exact). */
export function summaryOf(s: SpendSummary | null): AnthropicOpening['summary'] {
  if (!s) return null;
  // Only USD amounts are shown as dollars; another currency's minor units are not cents of a dollar.
  if (s.currency !== 'USD') return { limit: null, spent: null, source: s.source?.type ?? null, currency: s.currency };
  const usd = (minor: string | null) => {
    if (minor === null) return null;
    const nanos = minorToNanos(minor);
    return nanos === null ? null : formatUsd(nanos);
  };
  return { limit: usd(s.amount), spent: usd(s.period_to_date_spend), source: s.source?.type ?? null, currency: s.currency };
}

export async function listPending(client: AdminClient): Promise<SpendLimitIncreaseRequest[]> {
  const out: SpendLimitIncreaseRequest[] = [];
  for await (const r of client.organization.spendLimits.increaseRequests.list({ status: ['pending'], limit: 100 })) out.push(r);
  return out;
}

function resolverOf(r: SpendLimitIncreaseRequest): DecidedThere['resolvedBy'] {
  const by = r.resolved_by;
  if (!by) return { userId: null, label: 'unknown' };
  if (by.type === 'user_actor') return { userId: by.user_id, label: by.name ?? by.email_address ?? by.user_id };
  return { userId: null, label: `Admin API key ${by.scoped_api_key_id}` };
}

/** Ours still pending whose Anthropic request is gone there (404): nothing will decide it, so it closes. */
export interface GoneThere {
  requestId: string;
  workflowId: string;
}

export async function pollIncreaseRequests(db: Db, client: AdminClient, orgId: string): Promise<{ open: PendingToOpen[]; decided: DecidedThere[]; gone: GoneThere[] }> {
  const pending = await listPending(client);
  const members = await db.member.findMany({ where: { orgId, removedAt: null, anthropicUserId: { not: null } }, select: { id: true, externalId: true, anthropicUserId: true } });
  const memberOf = new Map(members.map((m) => [m.anthropicUserId!, m]));
  const rows = await db.extraUsageRequest.findMany({ where: { orgId, anthropicRequestId: { in: pending.map((p) => p.id) } }, select: { anthropicRequestId: true, status: true, workflowId: true } });
  // Known here, unless no longer tracked (the org disconnected since): those are picked up again.
  const known = new Set(rows.filter((r) => r.status !== 'untracked').map((r) => r.anthropicRequestId!));
  const untracked = new Map(rows.filter((r) => r.status === 'untracked').map((r) => [r.anthropicRequestId!, r.workflowId]));
  const open: PendingToOpen[] = [];
  for (const r of pending) {
    if (known.has(r.id)) continue;
    // Requests by an Admin API key (not a person) have nobody to grant: left to claude.ai.
    if (r.actor.type !== 'user_actor') continue;
    const member = memberOf.get(r.actor.user_id);
    if (!member) continue; // a user the mirror does not know yet: next poll
    const before = untracked.get(r.id);
    const tracking = before === undefined ? undefined : Number(/\/tracked-(\d+)$/.exec(before)?.[1] ?? 1) + 1;
    open.push({ memberId: member.id, memberExternalId: member.externalId, requestedAt: r.created_at, anthropic: { requestId: r.id, period: r.period, summary: summaryOf(r.spend_summary) }, ...(tracking ? { tracking } : {}) });
  }

  // Ours still pending but no longer pending there: decided in claude.ai (or gone).
  const stillPending = new Set(pending.map((p) => p.id));
  const ours = await db.extraUsageRequest.findMany({ where: { orgId, status: 'pending', anthropicRequestId: { not: null } }, select: { id: true, workflowId: true, anthropicRequestId: true } });
  const decided: DecidedThere[] = [];
  const gone: GoneThere[] = [];
  for (const row of ours) {
    if (stillPending.has(row.anthropicRequestId!)) continue;
    let r: SpendLimitIncreaseRequest;
    try {
      r = await client.organization.spendLimits.increaseRequests.retrieve(row.anthropicRequestId!);
    } catch (err) {
      // Gone at Anthropic (the requester left, the request withdrawn): closed here, not left waiting.
      if (anthropicFault(err)?.kind === 'not_found') {
        gone.push({ requestId: row.id, workflowId: row.workflowId });
        continue;
      }
      throw err;
    }
    if (r.status === 'pending') continue;
    decided.push({ requestId: row.id, workflowId: row.workflowId, status: r.status, resolvedBy: resolverOf(r), resolvedAt: r.resolved_at ?? new Date().toISOString() });
  }
  return { open, decided, gone };
}
