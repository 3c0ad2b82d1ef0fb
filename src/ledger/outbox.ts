// The outbox: domain events written in the same transaction as the change that
// caused them, read by the relay that hands them to the workflows.
import type { Db } from '../db/client.js';
import type { DomainEvent } from '../domain/events.js';
import type { Tx } from './transactions.js';

export async function appendEvents(tx: Tx, orgId: string, events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.outboxEvent.createMany({
    data: events.map(({ type, ...payload }) => ({ orgId, type, payload })),
  });
}

export interface OutboxRow {
  id: bigint;
  orgId: string;
  type: string;
  payload: unknown;
  createdAt: Date;
}

export async function unpublishedEvents(db: Db, limit = 100): Promise<OutboxRow[]> {
  return db.outboxEvent.findMany({ where: { publishedAt: null }, orderBy: { id: 'asc' }, take: limit });
}

export async function markPublished(db: Db, ids: bigint[]): Promise<void> {
  if (ids.length) await db.outboxEvent.updateMany({ where: { id: { in: ids } }, data: { publishedAt: new Date() } });
}
