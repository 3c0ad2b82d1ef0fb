// Usage is never lost: a record whose model has no price is kept unpriced, counted
// nowhere, listed for the operator, and priced (month-to-date, reports, invoices)
// exactly once when a price for it arrives. Also: the org's fallback family, late
// records of removed members, and a cache breakdown that does not add up. On PGlite
// and the PostgreSQL server, through the real API.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMonth } from '../../src/ledger/reports/invoices.js';
import { recordBatcherOf } from '../../src/ledger/metering/record-batch.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, teamDoc, usageOfCents, type Harness } from '../support/fixtures.js';

const NOW = new Date('2026-11-15T12:00:00Z');
// $4.00 per million output tokens: 2,500 output tokens cost one cent.
const RATES = { input: '1.00', cacheWrite5m: '1.25', cacheWrite1h: '2.00', cacheRead: '0.10', output: '4.00' };
const centsOfNew = (cents: number) => ({ input_tokens: 0, output_tokens: cents * 2_500 });

describe.each(BACKENDS)('usage without a price on $kind', ({ kind, open }) => {
  let scratch: Scratch;
  let h: Harness;
  const db = () => scratch.db.prisma;
  const op = (method: string, url: string, body?: unknown) => h.call(method, url, { token: OPERATOR_TOKEN, body });
  const price = (model: string, effectiveFrom: string, extra: Record<string, unknown> = {}) =>
    op('POST', '/v1/operator/prices', { model, effectiveFrom, perMillionTokens: RATES, ...extra });

  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma, NOW);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  let n = 0;
  async function org(doc: unknown = enterpriseDoc()) {
    const slug = `org-${++n}-${randomUUID().slice(0, 8)}`;
    const { orgId } = await h.provision(slug, doc);
    const key = await h.issueKey(slug);
    const record = (member: string, model: string, usage: unknown, extra: Record<string, unknown> = {}) =>
      h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), member, model, usage, ...extra } });
    const authorize = (member: string, model: string, extra: Record<string, unknown> = {}) =>
      h.call('POST', '/v1/usage/authorize', { token: key, body: { member, model, ...extra } });
    const spend = async () => {
      const rows = await db().monthlySpend.findMany({ where: { orgId }, orderBy: [{ period: 'asc' }, { scope: 'asc' }, { subject: 'asc' }] });
      return rows.map((r) => `${r.period} ${r.scope}:${r.scope === 'member' ? 'm' : r.subject} extra=${r.extraNanos} included=${r.includedNanos} n=${r.eventCount}`).sort();
    };
    return { slug, orgId, key, record, authorize, spend };
  }
  const family = () => `claude-next-${randomUUID().slice(0, 8)}`;

  it('keeps the usage of a model without a price, counted nowhere and listed; prices it once its first price arrives, back-dated to its first usage', async () => {
    const o = await org();
    const model = family();
    // Bob (premium, $3.00 included) records $1.00 on haiku first: the window starts.
    expect((await o.record('bob', HAIKU, usageOfCents(100))).body).toMatchObject({ priced: true, included: '1.00', extra: '0.00' });
    const before = await o.spend();

    // Authorize refuses it with a reason of its own; a record that comes anyway is kept.
    expect((await o.authorize('bob', model)).body).toEqual({
      allowed: false, reason: 'model_unpriced', resetsAt: null, canRequestExtraUsage: false, memberId: expect.any(String),
      message: `The model ${model} has no price here yet, so its usage could not be counted; it lifts once a price is added for it (or a fallback model family is set for your organisation). Use another model, or ask whoever runs Extra usage for your organisation to add a price for it in the web console at /me`,
    });
    const first = { requestId: `req-${model}-1`, member: 'bob', model, usage: centsOfNew(250), at: '2026-11-15T11:00:00Z' };
    const kept = await h.call('POST', '/v1/usage/record', { token: o.key, body: first });
    expect(kept.status).toBe(200);
    expect(kept.body).toEqual({
      requestId: first.requestId, memberId: expect.any(String), model, family: model, period: '2026-11',
      priced: false, unpricedReason: 'model_unpriced', cost: '0.00', included: '0.00', extra: '0.00', memberMonthToDateExtra: '0.00',
    });
    // Through group commit too (the batcher's path), and a retry replays the same answer.
    const second = await o.record('bob', model, centsOfNew(50));
    expect(second.body).toMatchObject({ priced: false, cost: '0.00' });
    const again = await h.call('POST', '/v1/usage/record', { token: o.key, body: first });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(kept.body);
    // Nothing counted: month-to-date, window, balance all as before.
    expect(await o.spend()).toEqual(before);
    const member = await db().member.findFirstOrThrow({ where: { orgId: o.orgId, externalId: 'bob' } });
    expect(member.windowUsedNanos).toBe(1_000_000_000n);
    // The event is stored as it came, unpriced, and the operator is told.
    const event = await db().usageEvent.findUniqueOrThrow({ where: { orgId_requestId: { orgId: o.orgId, requestId: first.requestId } } });
    expect(event).toMatchObject({ model, family: model, costNanos: null, priceEntryId: null, includedNanos: 0n, extraNanos: 0n, outputTokens: 625_000 });
    const outbox = await db().outboxEvent.findMany({ where: { orgId: o.orgId, type: 'usage_unpriced' } });
    expect(outbox.map((e) => e.payload)).toEqual([
      { memberId: member.id, requestId: first.requestId, model, family: model, period: '2026-11', reason: 'model_unpriced' },
      { memberId: member.id, requestId: second.body.requestId, model, family: model, period: '2026-11', reason: 'model_unpriced' },
    ]);
    const listed = await op('GET', `/v1/operator/usage/unpriced?family=${model}`);
    expect(listed.status).toBe(200);
    expect(listed.body.families).toEqual([{ family: model, events: 2, firstAt: '2026-11-15T11:00:00.000Z', lastAt: '2026-11-15T12:00:00.000Z' }]);
    expect(listed.body.events[0]).toMatchObject({ eventId: event.id, org: o.slug, member: 'bob', requestId: first.requestId, model, family: model, reason: 'model_unpriced', at: '2026-11-15T11:00:00.000Z', period: '2026-11', tokens: { output: 625_000 } });

    // A new model's first price may reach back to its first usage: priced at once, counted once.
    const priced = await price(model, '2026-11-15T11:00:00Z');
    expect(priced.status).toBe(201);
    expect(priced.body.pricedUnpriced).toBe(2);
    // Oldest first: $2.50 then $0.50, on a window with $2.00 of allowance left: $2.00 included, $1.00 extra.
    expect(await o.spend()).toEqual([
      '2026-11 member:m extra=1000000000 included=3000000000 n=3',
      '2026-11 org:org extra=1000000000 included=3000000000 n=3',
      '2026-11 tier:premium extra=1000000000 included=3000000000 n=3',
    ]);
    const limits = await h.call('GET', '/v1/reports/seat-limits', { token: o.key, actor: 'owner-1' });
    expect(limits.body.members.find((m: any) => m.externalId === 'bob')).toMatchObject({ monthToDateExtra: '1.00', monthToDateIncluded: '3.00' });
    const events = await db().usageEvent.findMany({ where: { orgId: o.orgId, model }, include: { priceEntry: true } });
    expect(events.map((e) => [e.costNanos, e.priceEntry?.model, e.flags]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [500_000_000n, model, ['priced_late']],
      [2_500_000_000n, model, ['priced_late']],
    ]);
    expect(events.map((e) => e.extraNanos).sort()).toEqual([500_000_000n, 500_000_000n]);
    expect((await op('GET', `/v1/operator/usage/unpriced?family=${model}`)).body).toEqual({ families: [], events: [] });
    // A retry of the record now answers with its price.
    const retried = await h.call('POST', '/v1/usage/record', { token: o.key, body: first });
    expect(retried.body).toMatchObject({ priced: true, cost: '2.50', flags: ['priced_late'] });
    expect(retried.body.unpricedReason).toBeUndefined();
    // Pricing again (by hand, by another price or an alias) counts nothing more.
    expect((await op('POST', '/v1/operator/usage/unpriced/price')).body).toMatchObject({ priced: 0 });
    expect((await price(model, '2026-11-16T00:00:00Z')).body.pricedUnpriced).toBe(0);
    expect((await op('POST', '/v1/operator/models/aliases', { alias: `${model}-latest`, family: model })).body.pricedUnpriced).toBe(0);
    expect((await o.spend())[0]).toBe('2026-11 member:m extra=1000000000 included=3000000000 n=3');
    // And the invoice bills the extra once, on the family's line.
    const { invoice } = await closeMonth(db(), o.orgId, '2026-11', new Date('2026-12-01T00:00:00Z'));
    expect(invoice.lines.filter((l) => l.model === model).map((l) => [l.kind, l.amountNanos, l.eventCount])).toEqual([['usage', 1_000_000_000n, 2]]);
  });

  it('lets no price be back-dated once one is in force, nor over usage already charged', async () => {
    // A seeded family has had a price in force since 2025.
    const seeded = await price(HAIKU, '2026-11-15T11:00:00Z');
    expect([seeded.status, seeded.body.error.field]).toEqual([422, 'effectiveFrom']);
    const o = await org();
    const model = family();
    await o.record('alice', model, { input_tokens: 250_000, output_tokens: 10 }, { at: '2026-11-15T10:00:00Z' });
    expect((await price(model, '2026-11-15T10:00:00Z')).body.pricedUnpriced).toBe(1);
    // A long-context tier of the same first date would change the price of the long request charged already.
    const long = await price(model, '2026-11-15T10:00:00Z', { longContextAboveTokens: 200_000 });
    expect([long.status, long.body.error.field]).toEqual([422, 'effectiveFrom']);
    expect(long.body.error.message).toContain('priced already');
    // One that changes nothing charged (no request that long yet) is accepted.
    const other = family();
    await o.record('alice', other, { input_tokens: 1_000, output_tokens: 10 }, { at: '2026-11-15T10:00:00Z' });
    expect((await price(other, '2026-11-15T10:00:00Z')).status).toBe(201);
    expect((await price(other, '2026-11-15T10:00:00Z', { longContextAboveTokens: 200_000 })).status).toBe(201);
    // Another date, once a price is in force, is refused.
    expect((await price(other, '2026-11-15T11:00:00Z')).status).toBe(422);
  });

  it('prices late usage of a closed month on the next invoice, as an adjustment, once', async () => {
    const o = await org();
    const model = family();
    h.clock.now = new Date('2026-12-02T12:00:00Z');
    try {
      // Alice's $1.00 allowance used in December; then a November request of the new model arrives late.
      await o.record('alice', HAIKU, usageOfCents(100));
      expect((await o.record('alice', model, centsOfNew(40), { at: '2026-11-20T10:00:00Z' })).body).toMatchObject({ priced: false, period: '2026-11' });
      const nov = await closeMonth(db(), o.orgId, '2026-11', h.clock.now);
      expect(nov.invoice.lines).toEqual([]);
      expect((await price(model, '2026-11-20T10:00:00Z')).body.pricedUnpriced).toBe(1);
      // Counted in its own month (November's month-to-date), billed on December's invoice.
      expect(await o.spend()).toEqual([
        '2026-11 member:m extra=400000000 included=0 n=1',
        '2026-11 org:org extra=400000000 included=0 n=1',
        '2026-11 tier:standard extra=400000000 included=0 n=1',
        '2026-12 member:m extra=0 included=1000000000 n=1',
        '2026-12 org:org extra=0 included=1000000000 n=1',
        '2026-12 tier:standard extra=0 included=1000000000 n=1',
      ]);
      const dec = await closeMonth(db(), o.orgId, '2026-12', new Date('2027-01-01T00:00:00Z'));
      expect(dec.invoice.lines.map((l) => [l.kind, l.model, l.usagePeriod, l.amountNanos])).toEqual([['adjustment', model, '2026-11', 400_000_000n]]);
    } finally {
      h.clock.now = NOW;
    }
  });

  it('prices usage recorded under an unknown id once an alias names a priced family', async () => {
    const o = await org();
    const fam = family();
    const dated = `${fam}-20270101`;
    expect((await o.record('bob', dated, centsOfNew(10), { at: '2026-11-15T11:30:00Z' })).body).toMatchObject({ priced: false, family: dated });
    // The family's first price alone does not price it: the id names no family yet.
    expect((await price(fam, '2026-11-15T11:00:00Z')).body.pricedUnpriced).toBe(0);
    const alias = await op('POST', '/v1/operator/models/aliases', { alias: dated, family: fam });
    expect(alias.body).toMatchObject({ created: true, pricedUnpriced: 1 });
    const event = await db().usageEvent.findFirstOrThrow({ where: { orgId: o.orgId, model: dated } });
    expect(event).toMatchObject({ family: fam, costNanos: 100_000_000n, includedNanos: 100_000_000n });
  });

  it('counts each unpriced record once when records, a price and pricing passes race', async () => {
    const o = await org(enterpriseDoc({ extraUsage: { enabled: true, orgMonthlyCap: null, tierCaps: { standard: null, premium: null } } }));
    const model = family();
    const batcher = recordBatcherOf(db());
    const fallbacksBefore = batcher.stats.fallbacks;
    // 40 records of 10 cents for Alice: $4.00, of which her $1.00 allowance is included.
    const results = await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => o.record('alice', model, centsOfNew(10), { at: `2026-11-15T11:${String(10 + i).padStart(2, '0')}:00Z` })),
      (async () => {
        await new Promise((r) => setTimeout(r, 5));
        return price(model, '2026-11-15T11:00:00Z');
      })(),
      op('POST', '/v1/operator/usage/unpriced/price'),
      op('POST', '/v1/operator/usage/unpriced/price'),
    ]);
    expect(results.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    expect(batcher.stats.fallbacks - fallbacksBefore).toBe(0);
    await op('POST', '/v1/operator/usage/unpriced/price');
    const events = await db().usageEvent.findMany({ where: { orgId: o.orgId } });
    expect(events).toHaveLength(40);
    expect(events.every((e) => e.costNanos === 100_000_000n)).toBe(true);
    expect(await o.spend()).toEqual([
      '2026-11 member:m extra=3000000000 included=1000000000 n=40',
      '2026-11 org:org extra=3000000000 included=1000000000 n=40',
      '2026-11 tier:standard extra=3000000000 included=1000000000 n=40',
    ]);
    expect(await db().unpricedUsage.count({ where: { orgId: o.orgId, pricedAt: null } })).toBe(0);
    if (kind === 'postgres') expect(await db().unpricedUsage.count({ where: { orgId: o.orgId } })).toBeLessThanOrEqual(40);
  });

  it('gives a reservation back when its record has no price', async () => {
    const o = await org();
    const requestId = randomUUID();
    const held = await o.authorize('alice', HAIKU, { requestId, estimate: { input_tokens: 1_000, max_tokens: 1_000 } });
    expect(held.body).toMatchObject({ allowed: true, reservation: { held: '0.007' } });
    const member = () => db().member.findFirstOrThrow({ where: { orgId: o.orgId, externalId: 'alice' } });
    expect((await member()).windowHeldNanos).toBe(7_000_000n);
    const res = await h.call('POST', '/v1/usage/record', { token: o.key, body: { requestId, member: 'alice', model: family(), usage: centsOfNew(1) } });
    expect(res.body).toMatchObject({ priced: false });
    expect((await member()).windowHeldNanos).toBe(0n);
    expect((await db().reservation.findFirstOrThrow({ where: { orgId: o.orgId, requestId } })).settledAt).not.toBeNull();
  });

  describe('unknownModelFallback', () => {
    it('lets authorize and record price an unknown model at the family the org chose, flagged', async () => {
      const o = await org(enterpriseDoc({ unknownModelFallback: 'claude-sonnet-4-5-latest' } as never));
      const overview = await op('GET', `/v1/operator/orgs/${o.slug}`);
      expect(overview.body.unknownModelFallback).toBe('claude-sonnet-4-5'); // an alias is stored as its family
      const model = family();
      expect((await o.authorize('alice', model)).body).toMatchObject({ allowed: true, mode: 'included' });
      const held = await o.authorize('alice', model, { requestId: randomUUID(), estimate: { input_tokens: 1_000, max_tokens: 100 } });
      // Sonnet: 1,000 x 6,000 (1-hour write) + 100 x 15,000
      expect(held.body).toMatchObject({ allowed: true, reservation: { held: '0.0075' } });
      const res = await o.record('alice', model, { input_tokens: 1_000, output_tokens: 1_000 });
      // 1,000 x 3,000 + 1,000 x 15,000 = 18,000,000
      expect(res.body).toMatchObject({ model, family: model, priced: true, cost: '0.018', flags: ['fallback_price'] });
      const event = await db().usageEvent.findFirstOrThrow({ where: { orgId: o.orgId, model }, include: { priceEntry: true } });
      expect(event.priceEntry?.model).toBe('claude-sonnet-4-5');
      // Its own price, when it comes later, changes nothing already charged and prices what comes next.
      expect((await price(model, '2026-11-15T12:01:00Z')).status).toBe(201);
      h.clock.now = new Date('2026-11-15T12:02:00Z');
      try {
        expect((await o.record('alice', model, centsOfNew(1))).body).toMatchObject({ priced: true, cost: '0.01' });
        expect((await o.record('alice', model, centsOfNew(1))).body.flags).toBeUndefined();
      } finally {
        h.clock.now = NOW;
      }
      // null turns it off again.
      await h.provision(o.slug, enterpriseDoc({ unknownModelFallback: null } as never));
      expect((await o.authorize('alice', family())).body).toMatchObject({ allowed: false, reason: 'model_unpriced' });
    });

    it('must name a family with a price', async () => {
      const res = await op('PUT', `/v1/operator/orgs/fb-${randomUUID().slice(0, 8)}`, enterpriseDoc({ unknownModelFallback: 'gpt-9' } as never));
      expect([res.status, res.body.error.field]).toEqual([422, 'unknownModelFallback']);
    });
  });

  it('records and bills late usage of a member removed since, who may no longer start requests', async () => {
    const o = await org(teamDoc());
    await h.call('POST', '/v1/settings/balance/purchases', { token: o.key, actor: 'owner-1', body: { amount: '10.00', idempotencyKey: 'b1' } });
    await o.record('alice', HAIKU, usageOfCents(100)); // her allowance
    const doc = teamDoc();
    await h.provision(o.slug, { ...doc, members: doc.members.filter((m) => m.externalId !== 'alice') });
    expect((await o.authorize('alice', HAIKU)).status).toBe(404);
    const late = await o.record('alice', HAIKU, usageOfCents(150), { at: '2026-11-15T11:59:00Z' });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ priced: true, extra: '1.50', memberMonthToDateExtra: '1.50', balance: '8.50' });
    // Through the single-record path as well.
    const { recordUsage } = await import('../../src/ledger/metering/record.js');
    const single = await recordUsage(db(), { orgId: o.orgId, requestId: randomUUID(), member: 'alice', model: HAIKU, usage: usageOfCents(50) }, NOW);
    expect(single.response).toMatchObject({ extra: '0.50', memberMonthToDateExtra: '2.00', balance: '8.00' });
    const statement = await closeMonth(db(), o.orgId, '2026-11', new Date('2026-12-01T00:00:00Z'));
    expect(statement.invoice.lines.filter((l) => l.kind === 'usage').map((l) => [l.description, l.amountNanos])).toEqual([['Alice · claude-haiku-4-5', 2_000_000_000n]]);
  });

  it('keeps a usage whose cache breakdown does not add up, billing the total by the documented rule, flagged', async () => {
    const o = await org();
    const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 300, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 100 } };
    const res = await o.record('bob', 'claude-sonnet-4-5', usage);
    expect(res.status).toBe(200);
    // 10x3,000 + 200x3,750 (100 + the 100 unexplained, as 5-minute writes) + 100x6,000 + 5x15,000 = 1,455,000
    expect(res.body).toMatchObject({ priced: true, cost: '0.001455', flags: ['cache_breakdown_mismatch'] });
    const event = await db().usageEvent.findUniqueOrThrow({ where: { orgId_requestId: { orgId: o.orgId, requestId: res.body.requestId } } });
    expect(event).toMatchObject({ cacheWrite5mTokens: 200, cacheWrite1hTokens: 100, flags: ['cache_breakdown_mismatch'] });
  });
});
