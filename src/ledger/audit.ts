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

export async function auditLog(db: Db, orgId: string, limit = 100, beforeId?: bigint) {
  return db.auditEntry.findMany({
    where: { orgId, ...(beforeId ? { id: { lt: beforeId } } : {}) },
    orderBy: { id: 'desc' },
    take: limit,
  });
}
