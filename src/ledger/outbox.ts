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

/** How long a claimed event is left to its relay before another may take it (a relay that died). */
export const CLAIM_LEASE_MS = 60_000;

/**
 * Claims up to `limit` events waiting for delivery (back-off over), oldest first, for
 * this relay alone: rows locked by another relay's claim are skipped, and a claimed
 * event is not offered again until its lease runs out. So any number of relays
 * deliver each event once (a relay that dies mid-batch leaves its events to the next
 * claim after the lease).
 */
export async function claimEvents(db: Db, limit = 100, now = new Date(), leaseMs = CLAIM_LEASE_MS): Promise<OutboxRow[]> {
  const rows = await db.$queryRaw<{ id: bigint | number | string; orgId: string; type: string; payload: unknown; createdAt: Date | string }[]>`
    UPDATE "OutboxEvent" SET "nextAttemptAt" = ${new Date(now.getTime() + leaseMs)}
    WHERE "id" IN (
      SELECT "id" FROM "OutboxEvent"
      WHERE "publishedAt" IS NULL AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= ${now})
      ORDER BY "id" LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING "id", "orgId", "type", "payload", "createdAt"`;
  // Drivers differ in how raw BIGINT, JSON and timestamps come back: normalise once.
  return rows
    .map((r) => ({ id: BigInt(r.id), orgId: r.orgId, type: r.type, payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload, createdAt: new Date(r.createdAt) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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

/**
 * Ends the back-off of every event that failed: what failed because Temporal was
 * unreachable goes out at the next pass once it is back, not up to 10 minutes later.
 * (An event claimed this instant may be offered twice: routes are idempotent.)
 */
export async function retryFailedNow(db: Db, now = new Date()): Promise<number> {
  return db.$executeRaw`
    UPDATE "OutboxEvent" SET "nextAttemptAt" = ${now}
    WHERE "publishedAt" IS NULL AND "attempts" > 0 AND "nextAttemptAt" > ${now}`;
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
