// Each person's console inbox: every notice they get is kept here too, so the console
// alone is a complete channel. (memberId, noticeKey) is the natural key: a retried
// activity writes the same key and the entry is kept once.
import type { Db } from '../../db/client.js';

export interface InboxNotice {
  memberId: string;
  /** The notice's own key across retries ("request-closed:<id>", "alert:<delivery id>"). */
  noticeKey: string;
  kind: string;
  title: string;
  body: string;
  /** A console page the notice is about, or null. */
  link: string | null;
}

export interface InboxEntryView {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  createdAt: Date;
  readAt: Date | null;
}

/** Keeps each notice once per person; a notice already kept (a retry) is left as it is, read or not. */
export async function keepInInbox(db: Db, orgId: string, notices: InboxNotice[], at: Date): Promise<void> {
  if (notices.length === 0) return;
  await db.inboxEntry.createMany({ data: notices.map((n) => ({ orgId, ...n, createdAt: at })), skipDuplicates: true });
}

/**
 * A request closed: the deciders' entries about it (asked, reminded) say how it ended,
 * as the chat copies are updated in place. Setting the same title twice changes nothing.
 */
export async function retitleRequestEntries(db: Db, orgId: string, link: string, title: string, exceptMemberId: string): Promise<void> {
  await db.inboxEntry.updateMany({ where: { orgId, link, kind: { in: ['request_opened', 'request_reminder'] }, memberId: { not: exceptMemberId } }, data: { title } });
}

/** A person's entries, newest first. */
export async function inboxOf(db: Db, orgId: string, memberId: string, limit = 100): Promise<InboxEntryView[]> {
  return db.inboxEntry.findMany({
    where: { orgId, memberId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
    select: { id: true, kind: true, title: true, body: true, link: true, createdAt: true, readAt: true },
  });
}

export async function unreadCount(db: Db, orgId: string, memberId: string): Promise<number> {
  return db.inboxEntry.count({ where: { orgId, memberId, readAt: null } });
}

/** Marks these entries of this person read (seen on their Inbox page); others' ids are ignored. */
export async function markRead(db: Db, orgId: string, memberId: string, ids: string[], at: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const { count } = await db.inboxEntry.updateMany({ where: { orgId, memberId, id: { in: ids }, readAt: null }, data: { readAt: at } });
  return count;
}
