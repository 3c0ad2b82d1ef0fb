// The audit log: who changed which setting, from what, to what. Append-only.
import type { Db } from '../db/client.js';
import type { Tx } from './transactions.js';

export interface AuditRecord {
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
}

/** A value as it will read back from JSON: bigints become decimal strings. */
export const jsonSafe = (v: unknown) => (v === undefined ? undefined : (JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))) as object));

export async function writeAudit(tx: Tx, orgId: string, records: AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  await tx.auditEntry.createMany({
    data: records.map((r) => ({ orgId, actor: r.actor, action: r.action, subject: r.subject, before: jsonSafe(r.before) ?? undefined, after: jsonSafe(r.after) ?? undefined })),
  });
}

/** Narrows the log (the console's filters): all given conditions hold. */
export interface AuditFilter {
  /** Part of the actor label, any case ("owner-1" finds "member:… (owner-1) via console"). */
  actor?: string;
  /** One action exactly ("cap.org.set"). */
  action?: string;
  /** Actions left out (the console hides sign-in entries unless asked). */
  hideActions?: readonly string[];
  /** Entries at or after `from` and before `to`. */
  from?: Date;
  to?: Date;
}

/**
 * One page of the audit log, newest first. `before` is the cursor of the previous
 * page (an entry id); `nextCursor` is null on the last page, which ends at the first
 * entry (of those the filter keeps).
 */
export async function auditLog(db: Db, orgId: string, limit = 100, before?: bigint, filter: AuditFilter = {}) {
  const rows = await db.auditEntry.findMany({
    where: {
      orgId,
      ...(before !== undefined ? { id: { lt: before } } : {}),
      ...(filter.actor ? { actor: { contains: filter.actor, mode: 'insensitive' as const } } : {}),
      ...(filter.action ? { action: filter.action } : filter.hideActions?.length ? { action: { notIn: [...filter.hideActions] } } : {}),
      ...(filter.from || filter.to ? { createdAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit + 1,
  });
  const page = await withRefusalCounts(db, rows.slice(0, limit));
  return { entries: page, nextCursor: rows.length > limit ? String(page.at(-1)!.id) : null };
}

/**
 * A sign-in link's refusals are audited once (src/identity/sign-in-links.ts): that
 * entry shows how many there have been so far (`refusals`) and the last one's time.
 */
async function withRefusalCounts<T extends { action: string; subject: string; after: unknown }>(db: Db, entries: T[]): Promise<T[]> {
  const ids = entries.filter((e) => e.action === 'sign_in_link.refuse').map((e) => e.subject.replace(/^sign_in_link:/, ''));
  if (ids.length === 0) return entries;
  const links = new Map((await db.signInLink.findMany({ where: { id: { in: ids } }, select: { id: true, refusedCount: true, lastRefusedAt: true } })).map((l) => [l.id, l]));
  return entries.map((e) => {
    const link = e.action === 'sign_in_link.refuse' ? links.get(e.subject.replace(/^sign_in_link:/, '')) : undefined;
    if (!link || link.refusedCount === 0) return e;
    const after = e.after && typeof e.after === 'object' ? e.after : {};
    return { ...e, after: { ...after, refusals: link.refusedCount, ...(link.lastRefusedAt ? { lastRefusedAt: link.lastRefusedAt.toISOString() } : {}) } };
  });
}

/** The actions the org's log holds, for the console's filter. */
export async function auditActions(db: Db, orgId: string): Promise<string[]> {
  const rows = await db.auditEntry.findMany({ where: { orgId }, distinct: ['action'], select: { action: true }, orderBy: { action: 'asc' } });
  return rows.map((r) => r.action);
}
