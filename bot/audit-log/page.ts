// One page of the audit log for chat: the latest entries, AUDIT_PAGE_SIZE at a
// time, newest first, paged by the ledger's cursor (`before` = an entry id the
// page stays below; null = the latest page). Callers check that the reader is an
// owner before asking for a page.
import type { Db } from '../../src/db/client.js';
import { auditLog } from '../../src/ledger/audit.js';
import { describeEntry, memberIdsOf, type AuditLine } from './describe.js';

export const AUDIT_PAGE_SIZE = 10;

/** Where a page starts: below entry `before`, or the latest page (null). */
export interface PageRef {
  before: string | null;
}

export interface AuditPage {
  lines: AuditLine[];
  /** The page after this one (older entries); null on the page ending at the first entry. */
  older: PageRef | null;
  /** The page before this one (newer entries); null on the latest page. */
  newer: PageRef | null;
}

/** A cursor as it came back from a button: digits only, else the latest page. */
export function parseCursor(value: unknown): string | null {
  return typeof value === 'string' && /^\d{1,18}$/.test(value) ? value : null;
}

export async function auditPage(db: Db, org: { id: string; timezone: string }, before: string | null): Promise<AuditPage> {
  const { entries, nextCursor } = await auditLog(db, org.id, AUDIT_PAGE_SIZE, before === null ? undefined : BigInt(before));
  const ids = [...new Set(entries.flatMap(memberIdsOf))];
  const [members, newer] = await Promise.all([
    ids.length ? db.member.findMany({ where: { orgId: org.id, id: { in: ids } }, select: { id: true, name: true } }) : [],
    before === null ? null : newerPage(db, org.id, entries[0]?.id ?? BigInt(before) - 1n),
  ]);
  const names = new Map(members.map((m) => [m.id, m.name]));
  return {
    lines: entries.map((e) => describeEntry(e, names, org.timezone)),
    older: nextCursor === null ? null : { before: nextCursor },
    newer,
  };
}

/**
 * The page of the AUDIT_PAGE_SIZE entries just above entry `top`, as a cursor: the
 * ledger only pages downwards, so the cursor is one above the highest of them (the
 * latest page when fewer are left).
 */
async function newerPage(db: Db, orgId: string, top: bigint): Promise<PageRef | null> {
  const above = await db.auditEntry.findMany({ where: { orgId, id: { gt: top } }, orderBy: { id: 'asc' }, take: AUDIT_PAGE_SIZE + 1, select: { id: true } });
  if (above.length === 0) return null;
  if (above.length <= AUDIT_PAGE_SIZE) return { before: null };
  return { before: String(above[AUDIT_PAGE_SIZE - 1]!.id + 1n) };
}
