// The outbox relay with one event that keeps failing: every other event is still
// delivered, the failing one waits out a back-off instead of being retried (and
// logged) on every pass, its error is kept for the operator, and it is delivered
// once its cause is gone. On PGlite and the PostgreSQL server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvents, failingEvents } from '../../src/ledger/outbox.js';
import { startOutboxRelay, type OutboxRoute, type RelayContext } from '../../src/temporal/outbox-relay.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';

describe.each(BACKENDS)('outbox relay on $kind', ({ open }) => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await migrated(open);
  });
  afterAll(async () => {
    await scratch?.dispose();
  });

  it('delivers the rest, backs off the failing event, reports it, and delivers it once it can', async () => {
    const db = scratch.db.prisma;
    const { orgId } = await provision(db, 'relay', enterpriseDoc());
    await db.outboxEvent.updateMany({ data: { publishedAt: new Date() } });
    // 150 events, more than one batch; event "poison" fails until healed.
    await db.$transaction(async (tx) => appendEvents(tx as never, orgId, [
      { type: 'test_event', n: 0, poison: true } as never,
      ...Array.from({ length: 150 }, (_, i) => ({ type: 'test_event', n: i + 1 }) as never),
    ]));
    let healed = false;
    const delivered: number[] = [];
    const route: OutboxRoute = async (e) => {
      const p = e.payload as { n: number; poison?: boolean };
      if (p.poison && !healed) throw new Error('Temporal says no');
      delivered.push(p.n);
    };
    const logs: string[] = [];
    const relay = startOutboxRelay({ db } as RelayContext, { test_event: route }, { intervalMs: 3_600_000, log: (m) => logs.push(m) });
    try {
      const began = Date.now();
      await relay.drain();
      expect(delivered.sort((a, b) => a - b)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
      const first = await failingEvents(db);
      expect(first).toMatchObject({ count: 1, oldest: { type: 'test_event', orgId, attempts: 1, lastError: 'Temporal says no' } });
      const backedOff = (await db.outboxEvent.findUniqueOrThrow({ where: { id: BigInt(first.oldest!.id) } })).nextAttemptAt!.getTime();
      // Backed off a second from when it failed (at or after the drain began).
      expect(backedOff).toBeGreaterThanOrEqual(began + 1_000);
      await relay.drain();
      await relay.drain();
      // Every try is logged once, and none came before its back-off was over (on a busy
      // machine the back-off may be over by now, and one more try is then right).
      const failing = await failingEvents(db);
      const row = await db.outboxEvent.findUniqueOrThrow({ where: { id: BigInt(failing.oldest!.id) } });
      expect(logs.filter((l) => l.includes('not delivered'))).toHaveLength(row.attempts);
      if (Date.now() < backedOff) expect(row.attempts).toBe(1);

      healed = true;
      await db.outboxEvent.update({ where: { id: row.id }, data: { nextAttemptAt: new Date(Date.now() - 1) } });
      await relay.drain();
      expect(delivered).toContain(0);
      expect(delivered).toHaveLength(151);
      expect((await failingEvents(db)).count).toBe(0);
    } finally {
      await relay.stop();
    }
  });

  it('delivers each event once with three relays draining together', async () => {
    const db = scratch.db.prisma;
    const { orgId } = await provision(db, 'relays', enterpriseDoc());
    await db.outboxEvent.updateMany({ where: { publishedAt: null }, data: { publishedAt: new Date() } });
    await db.$transaction(async (tx) => appendEvents(tx as never, orgId, Array.from({ length: 300 }, (_, i) => ({ type: 'count_me', n: i }) as never)));
    const deliveries = new Map<number, number>();
    const route: OutboxRoute = async (e) => {
      const n = (e.payload as { n: number }).n;
      deliveries.set(n, (deliveries.get(n) ?? 0) + 1);
      await new Promise((r) => setImmediate(r)); // let the other relays interleave
    };
    const relays = [1, 2, 3].map(() => startOutboxRelay({ db } as RelayContext, { count_me: route }, { intervalMs: 3_600_000, log: () => {} }));
    try {
      await Promise.all(relays.map((r) => r.drain()));
      // Whatever the interleaving: every event delivered, none twice, none left waiting.
      expect(deliveries.size).toBe(300);
      expect([...deliveries.values()].every((c) => c === 1)).toBe(true);
      expect(await db.outboxEvent.count({ where: { orgId, publishedAt: null } })).toBe(0);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });
});
