// Notifications sent at most once per dedupe key: the first caller claims an
// AlertDelivery row (the unique (orgId, dedupeKey) settles races), sends, then marks it
// sent; a retry finds it marked and sends nothing more.
import type { Db } from '../../db/client.js';

export interface Delivery {
  id: string;
  payload: unknown;
  sentAt: Date | null;
}

/** The row for this key: created with `payload` if absent, else the one that claimed it first. */
export async function claimDelivery(db: Db, orgId: string, dedupeKey: string, kind: string, payload: object): Promise<Delivery> {
  await db.alertDelivery.createMany({ data: [{ orgId, dedupeKey, kind, payload }], skipDuplicates: true });
  return db.alertDelivery.findUniqueOrThrow({ where: { orgId_dedupeKey: { orgId, dedupeKey } } });
}

export async function markDelivered(db: Db, id: string, at: Date): Promise<void> {
  await db.alertDelivery.update({ where: { id }, data: { sentAt: at } });
}
