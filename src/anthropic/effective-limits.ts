// Each mirrored member's effective spend limits, from Anthropic's effective-limits
// report (every page): per period, the limit (null = none applies), where it comes from
// (the member's own, their seat tier, a group, the organization) and what they spent so
// far, exact. Brought up to date on each read, in one transaction with the owners'
// threshold alerts it causes.
import type { SpendSummary } from '@anthropic-ai/sdk/resources/organization/spend-limits/spend-limits';
import { APIError } from '@anthropic-ai/sdk';
import type { Db } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import { formatUsd, formatUsdOrNull } from '../domain/money.js';
import { minorToNanos } from '../domain/minor-units.js';
import { inTransaction } from '../ledger/transactions.js';
import { appendEvents } from '../ledger/outbox.js';
import type { DomainEvent } from '../domain/events.js';
import { nextThresholdState } from '../domain/claude-limits.js';
import type { AdminClient } from './client.js';

export async function listEffective(client: AdminClient): Promise<SpendSummary[]> {
  const rows: SpendSummary[] = [];
  for await (const r of client.organization.spendLimits.effective.list({ limit: 100 })) rows.push(r);
  return rows;
}

/** The seat tier or group a limit comes from, when it is one. */
function sourceRefOf(source: SpendSummary['source']): string | null {
  if (source.type === 'seat_tier') return source.seat_tier;
  if (source.type === 'rbac_group') return source.rbac_group_id;
  if (source.type === 'user') return source.user_id;
  return null;
}

/**
 * Stores the report for the org's mirrored members (rows of people we do not know are
 * skipped) and, in the same transaction, writes an outbox event for each member whose
 * spend crossed one of the owners' thresholds (the seat-limit percentages, 50/80/100 by
 * default) of their effective limit: owners are told once per member, period and limit.
 */
export async function mirrorEffectiveLimits(db: Db, orgId: string, rows: SpendSummary[], now: Date): Promise<number> {
  const [members, org] = await Promise.all([
    db.member.findMany({ where: { orgId, anthropicUserId: { not: null } }, select: { id: true, anthropicUserId: true } }),
    db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { noticeTierCapPercents: true } }),
  ]);
  const memberOf = new Map(members.map((m) => [m.anthropicUserId!, m.id]));
  const data: Prisma.AnthropicEffectiveLimitCreateManyInput[] = [];
  for (const r of rows) {
    if (r.actor.type !== 'user_actor') continue;
    // Amounts here are US dollars: another currency's limits are not shown as dollars (claude.ai has them).
    if (r.currency !== 'USD') continue;
    const memberId = memberOf.get(r.actor.user_id);
    if (!memberId) continue;
    data.push({
      orgId,
      memberId,
      period: r.period,
      amountNanos: r.amount === null ? null : minorToNanos(r.amount),
      // "0" when the spend reading is temporarily unavailable, as Anthropic says.
      spentNanos: minorToNanos(r.period_to_date_spend) ?? 0n,
      sourceType: r.source.type,
      sourceRef: sourceRefOf(r.source),
      currency: r.currency,
      fetchedAt: now,
    });
  }
  await inTransaction(db, async (tx) => {
    const before = new Map((await tx.anthropicEffectiveLimit.findMany({ where: { orgId } })).map((b) => [`${b.memberId}/${b.period}`, b]));
    const events: DomainEvent[] = [];
    const kept = new Set<string>();
    for (const row of data) {
      const key = `${row.memberId}/${row.period}`;
      kept.add(key);
      const stored = before.get(key);
      const prev = stored ? { limitNanos: stored.amountNanos, spentNanos: stored.spentNanos, window: stored.window, alertedPercent: stored.alertedPercent } : null;
      const reading = { limitNanos: (row.amountNanos ?? null) as bigint | null, spentNanos: row.spentNanos as bigint };
      const next = nextThresholdState(prev, reading, org.noticeTierCapPercents);
      if (next.tell !== null) {
        events.push({ type: 'claude_limit_threshold', memberId: row.memberId, period: row.period, window: next.window, percent: next.tell, limitNanos: String(reading.limitNanos), spendNanos: String(reading.spentNanos), source: row.sourceType });
      }
      const values = { ...row, window: next.window, alertedPercent: next.alertedPercent };
      await tx.anthropicEffectiveLimit.upsert({ where: { memberId_period: { memberId: row.memberId, period: row.period } }, create: values, update: values });
    }
    const gone = [...before.values()].filter((b) => !kept.has(`${b.memberId}/${b.period}`));
    for (const g of gone) await tx.anthropicEffectiveLimit.delete({ where: { memberId_period: { memberId: g.memberId, period: g.period } } });
    await appendEvents(tx, orgId, events);
    await tx.anthropicConnection.updateMany({ where: { orgId }, data: { limitsSyncedAt: now } });
  });
  return data.length;
}

/**
 * Reads and mirrors the report; null when Anthropic does not offer it to this kind of
 * organization (a Claude Team organization: organization_type_not_supported), so the
 * rest of the poll goes on. Other faults are thrown.
 */
export async function syncEffectiveLimits(db: Db, client: AdminClient, orgId: string, now: Date): Promise<number | null> {
  let rows: SpendSummary[];
  try {
    rows = await listEffective(client);
  } catch (err) {
    if (err instanceof APIError && err.errorCode === 'organization_type_not_supported') return null;
    throw err;
  }
  return mirrorEffectiveLimits(db, orgId, rows, now);
}

export interface EffectiveLimitView {
  memberId: string;
  externalId: string;
  name: string;
  period: string;
  /** USD; null = no limit for this period. */
  limit: string | null;
  spent: string;
  /** user (their own, editable here), seat_tier, rbac_group, organization … (change those in claude.ai). */
  source: string;
  sourceRef: string | null;
  /**
   * The limit comes from the member's own (user) limit, set here. Otherwise it is their
   * seat tier's, group's or the organization's, changed in claude.ai; an owner may still
   * give the member a limit of their own here, which then applies instead.
   */
  sourceEditableHere: boolean;
  fetchedAt: string;
}

export async function effectiveLimitsOf(db: Db, orgId: string): Promise<EffectiveLimitView[]> {
  const rows = await db.anthropicEffectiveLimit.findMany({ where: { orgId, member: { removedAt: null } }, include: { member: { select: { externalId: true, name: true } } }, orderBy: [{ member: { name: 'asc' } }, { period: 'asc' }] });
  return rows.map((r) => ({
    memberId: r.memberId,
    externalId: r.member.externalId,
    name: r.member.name,
    period: r.period,
    limit: formatUsdOrNull(r.amountNanos),
    spent: formatUsd(r.spentNanos),
    source: r.sourceType,
    sourceRef: r.sourceType === 'user' ? null : r.sourceRef,
    sourceEditableHere: r.sourceType === 'user',
    fetchedAt: r.fetchedAt.toISOString(),
  }));
}
