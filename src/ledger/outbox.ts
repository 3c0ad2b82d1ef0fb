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

/** Events waiting for delivery whose back-off (if any) is over, oldest first. */
export async function unpublishedEvents(db: Db, limit = 100, now = new Date()): Promise<OutboxRow[]> {
  return db.outboxEvent.findMany({
    where: { publishedAt: null, OR: [{ nextAttemptAt: null }, { nextAttemptAt: { lte: now } }] },
    orderBy: { id: 'asc' },
    take: limit,
  });
}

export async function markPublished(db: Db, ids: bigint[]): Promise<void> {
  if (ids.length) await db.outboxEvent.updateMany({ where: { id: { in: ids } }, data: { publishedAt: new Date() } });
}

/** Records a failed delivery: the event waits 1 s, 2 s, 4 s … (at most 10 minutes) before its next try. */
export async function markFailed(db: Db, id: bigint, error: string, now = new Date()): Promise<void> {
  await db.$executeRaw`
    UPDATE "OutboxEvent"
    SET "attempts" = "attempts" + 1, "lastError" = ${error.slice(0, 1000)},
        "nextAttemptAt" = ${now}::timestamp + make_interval(secs => LEAST(power(2, LEAST("attempts", 20)), 600))
    WHERE "id" = ${id}`;
}

/** Undelivered events that have failed at least once: what an operator looks at first. */
export async function failingEvents(db: Db): Promise<{ count: number; oldest: { id: string; type: string; orgId: string; attempts: number; lastError: string | null; createdAt: string } | null }> {
  const where = { publishedAt: null, attempts: { gt: 0 } };
  const [count, oldest] = await Promise.all([db.outboxEvent.count({ where }), db.outboxEvent.findFirst({ where, orderBy: { id: 'asc' } })]);
  return {
    count,
    oldest: oldest && { id: String(oldest.id), type: oldest.type, orgId: oldest.orgId, attempts: oldest.attempts, lastError: oldest.lastError, createdAt: oldest.createdAt.toISOString() },
  };
}
