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

/**
 * One page of the audit log, newest first. `before` is the cursor of the previous
 * page (an entry id); `nextCursor` is null on the last page, which ends at the first entry.
 */
export async function auditLog(db: Db, orgId: string, limit = 100, before?: bigint) {
  const rows = await db.auditEntry.findMany({
    where: { orgId, ...(before !== undefined ? { id: { lt: before } } : {}) },
    orderBy: { id: 'desc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return { entries: page, nextCursor: rows.length > limit ? String(page.at(-1)!.id) : null };
}
