// The Spend report reads a rollup the database keeps itself (triggers on UsageEvent,
// migration 20261213020000_spend_rollup), not every event of the month. Whatever
// wrote the usage (group commit through the API, the single-record path, a replayed
// duplicate, late pricing when a price arrives, an invoice claiming the month, a
// plain UPDATE or DELETE), the report equals the same report computed by scanning
// the month's events, and its days are the org's local days, also in a half-hour
// timezone. On PGlite and the PostgreSQL server.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, readMigrations } from '../../../src/db/migrate.js';
import { closeMonth } from '../../../src/ledger/reports/invoices.js';
import { loadOrg } from '../../../src/ledger/limits-state.js';
import { recordBatcherOf } from '../../../src/ledger/metering/record-batch.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { spendReport, spendReportFromEvents } from '../../../src/ledger/reports/spend.js';
import { formatUsd } from '../../../src/domain/money.js';
import { BACKENDS, migrated, type Scratch } from '../../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, usageOfCents, type Harness } from '../../support/fixtures.js';

const NOW = new Date('2026-11-15T12:00:00Z');
const MODELS = [HAIKU, 'claude-sonnet-4-5', 'claude-opus-4-5', 'claude-haiku-3-5'];
const PRODUCTS = [undefined, 'claude', 'claude_code', 'api'];

describe.each(BACKENDS)('the Spend report from its rollup on $kind', ({ kind, open }) => {
  let scratch: Scratch;
  let h: Harness;
  const db = () => scratch.db.prisma;

  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma, NOW);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  let n = 0;
  async function org(doc: unknown = enterpriseDoc()) {
    const slug = `org-${++n}-${randomUUID().slice(0, 8)}`;
    const { orgId } = await h.provision(slug, doc);
    const key = await h.issueKey(slug);
    const record = (body: Record<string, unknown>) => h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), ...body } });
    /** The rollup's report and the event scan's, for a month. */
    const both = async (period?: string) => {
      const o = await loadOrg(db(), orgId);
      return { rollup: await spendReport(db(), o, h.clock.now, period), scan: await spendReportFromEvents(db(), o, h.clock.now, period) };
    };
    return { slug, orgId, key, record, both };
  }
  const expectEqual = async (o: Awaited<ReturnType<typeof org>>, period?: string) => {
    const { rollup, scan } = await o.both(period);
    expect(rollup).toEqual(scan);
    return rollup;
  };

  it('equals the scan of the events after group-commit records, single-path records and replayed duplicates', async () => {
    const o = await org();
    const members = ['owner-1', 'admin-1', 'alice', 'bob'];
    const bodies = Array.from({ length: 24 }, (_, i) => ({
      requestId: `batch-${i}`, member: members[i % 4], model: MODELS[i % 3], usage: usageOfCents(40 + 17 * i),
      at: new Date(Date.UTC(2026, 10, 1 + (i % 14), (i * 5) % 24, (i * 7) % 60)).toISOString(),
      ...(PRODUCTS[i % 4] ? { product: PRODUCTS[i % 4] } : {}),
    }));
    for (const res of await Promise.all(bodies.map((b) => o.record(b)))) expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (let i = 0; i < 6; i++) {
      await recordUsage(db(), { orgId: o.orgId, requestId: `single-${i}`, member: members[(i + 1) % 4]!, model: MODELS[i % 3]!, usage: usageOfCents(90 + i), at: new Date(Date.UTC(2026, 10, 3 + i, 10)), ...(i % 2 ? { product: 'api' } : {}) }, NOW);
    }
    const first = await expectEqual(o);
    expect(first.monthToDate.cost).not.toBe('0.00');
    expect(first.days.reduce((s, d) => s + d.requests, 0)).toBe(30);
    expect(first.topMembers.map((m) => m.externalId).sort()).toEqual([...members].sort());
    expect(first.products.map((p) => p.product)).toEqual(['api', 'claude', 'claude_code', 'unspecified']);

    // Replays, through the API (group commit) and the single path: answered again, counted once.
    for (const res of await Promise.all(bodies.slice(0, 8).map((b) => o.record(b)))) expect(res.headers['idempotent-replayed']).toBe('true');
    const again = await recordUsage(db(), { orgId: o.orgId, requestId: 'single-0', member: members[1]!, model: MODELS[0]!, usage: usageOfCents(90), at: new Date(Date.UTC(2026, 10, 3, 10)) }, NOW);
    expect(again.replayed).toBe(true);
    expect(await expectEqual(o)).toEqual(first);

    // The report's month-to-date is the ledger's month-to-date.
    const mtd = await db().monthlySpend.findUniqueOrThrow({ where: { orgId_period_scope_subject: { orgId: o.orgId, period: '2026-11', scope: 'org', subject: 'org' } } });
    expect(first.monthToDate.extra).toBe(formatUsd(mtd.extraNanos));
    expect(first.monthToDate.included).toBe(formatUsd(mtd.includedNanos));
    // By product, exactly as GET /v1/reports/products says.
    const products = await h.call('GET', '/v1/reports/products', { token: o.key, actor: 'owner-1' });
    expect(products.status).toBe(200);
    expect(first.products).toEqual(products.body.products);

    // An invoice claiming the month changes nothing the rollup sums.
    await closeMonth(db(), o.orgId, '2026-11', new Date('2026-12-01T00:00:00Z'));
    expect(await expectEqual(o)).toEqual(first);
  });

  it('counts usage recorded unpriced nowhere, then once, under its family, when its price arrives', async () => {
    const o = await org();
    const model = `claude-next-${randomUUID().slice(0, 8)}`;
    expect((await o.record({ member: 'bob', model: HAIKU, usage: usageOfCents(100), product: 'claude' })).body).toMatchObject({ priced: true });
    const unpriced = await Promise.all([
      o.record({ member: 'bob', model, usage: usageOfCents(250), at: '2026-11-15T11:00:00Z', product: 'claude_code' }),
      o.record({ member: 'alice', model, usage: usageOfCents(50), at: '2026-11-15T11:20:00Z' }),
    ]);
    for (const res of unpriced) expect(res.body).toMatchObject({ priced: false });
    const before = await expectEqual(o);
    expect(before.models.map((m) => m.model)).toEqual([HAIKU]);
    expect(before.days.reduce((s, d) => s + d.requests, 0)).toBe(1);

    const priced = await h.call('POST', '/v1/operator/prices', {
      token: OPERATOR_TOKEN,
      body: { model, effectiveFrom: '2026-11-15T11:00:00Z', perMillionTokens: { input: '1.00', cacheWrite5m: '1.25', cacheWrite1h: '2.00', cacheRead: '0.10', output: '4.00' } },
    });
    expect(priced.status).toBe(201);
    expect(priced.body.pricedUnpriced).toBe(2);
    const after = await expectEqual(o);
    expect(after.models.map((m) => m.model).sort()).toEqual([HAIKU, model].sort());
    expect(after.days.find((d) => d.date === '2026-11-15')!.requests).toBe(3);
    expect(after.topMembers.map((m) => m.externalId).sort()).toEqual(['alice', 'bob']);
  });

  it('puts usage on the local day of an org half an hour off the hour (Asia/Kolkata), on both sides of midnight and of the month', async () => {
    const o = await org(enterpriseDoc({ timezone: 'Asia/Kolkata' }));
    // Local midnight of 10 Nov is 9 Nov 18:30Z; of 1 Nov, 31 Oct 18:30Z.
    const times = [
      '2026-10-31T18:29:59.999Z', '2026-10-31T18:30:00.000Z', '2026-10-31T18:44:00Z',
      '2026-11-09T18:14:00Z', '2026-11-09T18:20:00Z', '2026-11-09T18:29:59.999Z', '2026-11-09T18:30:00.000Z', '2026-11-09T18:40:00Z', '2026-11-09T18:59:00Z',
      '2026-11-14T18:29:00Z', '2026-11-14T18:31:00Z',
    ];
    for (const [i, at] of times.entries()) {
      const res = await o.record({ member: i % 2 ? 'alice' : 'bob', model: MODELS[i % 2], usage: usageOfCents(10 + i), at });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    const nov = await expectEqual(o);
    const oct = await expectEqual(o, '2026-10');
    // Each day's sums, worked out here from the events and Intl's local dates.
    const events = await db().usageEvent.findMany({ where: { orgId: o.orgId } });
    const localDate = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
    const perDay = new Map<string, { cost: bigint; n: number }>();
    for (const e of events) {
      const day = localDate(e.occurredAt);
      const s = perDay.get(day) ?? { cost: 0n, n: 0 };
      perDay.set(day, { cost: s.cost + e.costNanos!, n: s.n + 1 });
    }
    expect([...perDay.keys()].sort()).toEqual(['2026-10-31', '2026-11-01', '2026-11-09', '2026-11-10', '2026-11-14', '2026-11-15']);
    for (const d of [...nov.days, ...oct.days]) {
      expect({ date: d.date, cost: d.cost, requests: d.requests }).toEqual({ date: d.date, cost: formatUsd(perDay.get(d.date)?.cost ?? 0n), requests: perDay.get(d.date)?.n ?? 0 });
    }
    expect(nov.days.find((d) => d.date === '2026-11-09')!.requests).toBe(3);
    expect(nov.days.find((d) => d.date === '2026-11-10')!.requests).toBe(3);
  });

  it('follows any other write to the events: an UPDATE moving an event to another product, a DELETE', async () => {
    const o = await org();
    for (const [i, product] of ['claude', 'api', undefined].entries()) {
      expect((await o.record({ member: 'alice', model: HAIKU, usage: usageOfCents(30 + i), ...(product ? { product } : {}) })).status).toBe(200);
    }
    await db().$executeRaw`UPDATE "UsageEvent" SET "product" = NULL WHERE "orgId" = ${o.orgId} AND "product" = 'claude'`;
    expect((await expectEqual(o)).products.map((p) => [p.product, p.requests])).toEqual([['api', 1], ['unspecified', 2]]);
    await db().$executeRaw`DELETE FROM "UsageEvent" WHERE "orgId" = ${o.orgId} AND "product" = 'api'`;
    const r = await expectEqual(o);
    expect(r.products.map((p) => [p.product, p.requests])).toEqual([['unspecified', 2]]);
    expect(r.topMembers.map((m) => m.requests)).toEqual([2]);
  });

  it.runIf(kind === 'postgres')('keeps every sum under 200 concurrent records of one org from many members and models, without a deadlock', async () => {
    const members = Array.from({ length: 40 }, (_, i) => ({ externalId: `m-${i}`, name: `Member ${i}`, role: 'member' as const, seatTier: i % 3 ? 'standard' as const : 'premium' as const }));
    const doc = enterpriseDoc();
    const o = await org({ ...doc, members: [...doc.members, ...members] });
    const fallbacksBefore = recordBatcherOf(db()).stats.fallbacks;
    // Most through the API (group commit), some on the single path at the same time:
    // separate transactions racing for the same rollup rows.
    const api = Array.from({ length: 170 }, (_, i) => o.record({
      member: `m-${(i * 7) % 40}`, model: MODELS[i % 4], usage: usageOfCents(5 + (i % 23)),
      at: new Date(NOW.getTime() - (i % 12) * 7 * 60_000).toISOString(), ...(PRODUCTS[i % 4] ? { product: PRODUCTS[i % 4] } : {}),
    }));
    const single = Array.from({ length: 30 }, (_, i) => recordUsage(db(), {
      orgId: o.orgId, requestId: randomUUID(), member: `m-${(i * 11) % 40}`, model: MODELS[(i + 1) % 4]!, usage: usageOfCents(7 + i),
      at: new Date(NOW.getTime() - (i % 5) * 11 * 60_000), ...(i % 2 ? { product: 'claude_code' } : {}),
    }, NOW));
    const [answers, singles] = await Promise.all([Promise.all(api), Promise.allSettled(single)]);
    for (const res of answers) expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const s of singles) expect(s.status === 'rejected' ? String(s.reason) : 'ok').toBe('ok');
    expect(recordBatcherOf(db()).stats.fallbacks).toBe(fallbacksBefore);
    const r = await expectEqual(o);
    expect(r.days.reduce((s, d) => s + d.requests, 0)).toBe(200);
    expect(r.models.reduce((s, m) => s + m.requests, 0)).toBe(200);
    const rows = await db().memberSpendRollup.findMany({ where: { orgId: o.orgId } });
    expect(rows.reduce((s, m) => s + m.events, 0)).toBe(200);
  }, 120_000);
});

describe.each(BACKENDS)('the rollup\'s migration on $kind', ({ open }) => {
  it('fills it from the events already there (the backfill): the report equals the scan', async () => {
    const scratch = await open();
    try {
      const db = scratch.db.prisma;
      // Every migration but the rollup's (today's code needs the later columns), then the rollup's alone.
      await applyMigrations(db, readMigrations().filter((m) => m.name !== '20261213020000_spend_rollup'));
      const h = await harness(db, NOW);
      try {
        await h.provision('kolkata', enterpriseDoc({ timezone: 'Asia/Kolkata' }));
        const key = await h.issueKey('kolkata');
        const at = ['2026-10-31T18:20:00Z', '2026-10-31T18:40:00Z', '2026-11-09T18:29:00Z', '2026-11-09T18:31:00Z', '2026-11-15T11:00:00Z'];
        for (const [i, when] of at.entries()) {
          const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `old-${i}`, member: i % 2 ? 'alice' : 'bob', model: MODELS[i % 3], usage: usageOfCents(20 + i), at: when, ...(i % 2 ? { product: 'api' } : {}) } });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
        }
        expect(await applyMigrations(db)).toEqual(['20261213020000_spend_rollup']);
        const orgId = (await db.organization.findUniqueOrThrow({ where: { slug: 'kolkata' } })).id;
        const o = await loadOrg(db, orgId);
        for (const period of ['2026-10', '2026-11']) {
          const rollup = await spendReport(db, o, NOW, period);
          expect(rollup).toEqual(await spendReportFromEvents(db, o, NOW, period));
          expect(rollup.days.reduce((s, d) => s + d.requests, 0)).toBe(period === '2026-10' ? 1 : 4);
        }
        // And the triggers count what comes after it.
        expect((await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'new-0', member: 'bob', model: HAIKU, usage: usageOfCents(30) } })).status).toBe(200);
        expect(await spendReport(db, o, NOW)).toEqual(await spendReportFromEvents(db, o, NOW));
      } finally {
        await h.close();
      }
    } finally {
      await scratch.dispose();
    }
  }, 120_000);
});
