// Model ids as the Messages API sends them: dated snapshots and aliases are priced as
// the family they name, on PGlite and on the PostgreSQL server, through the real API.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';

// Every seeded dated id and alias, with the family whose rates price it.
const SEEDED: [id: string, family: string][] = [
  ['claude-opus-4-5-20251101', 'claude-opus-4-5'],
  ['claude-opus-4-5-latest', 'claude-opus-4-5'],
  ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
  ['claude-opus-4-1-latest', 'claude-opus-4-1'],
  ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
  ['claude-sonnet-4-5-latest', 'claude-sonnet-4-5'],
  ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
  ['claude-haiku-4-5-latest', 'claude-haiku-4-5'],
  ['claude-3-5-haiku-20241022', 'claude-haiku-3-5'],
  ['claude-3-5-haiku-latest', 'claude-haiku-3-5'],
];

// One request with every token kind; its cost per family, worked out by hand from the seed rates
// (input 1,000 + 5m writes 2,000 + 1h writes 500 + reads 10,000 + output 300):
const USAGE = {
  input_tokens: 1_000, output_tokens: 300, cache_read_input_tokens: 10_000, cache_creation_input_tokens: 2_500,
  cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 500 },
};
const COST: Record<string, string> = {
  // 1,000x5,000 + 2,000x6,250 + 500x10,000 + 10,000x500 + 300x25,000 = 5,000,000 + 12,500,000 + 5,000,000 + 5,000,000 + 7,500,000
  'claude-opus-4-5': '0.035',
  // 1,000x15,000 + 2,000x18,750 + 500x30,000 + 10,000x1,500 + 300x75,000 = 15,000,000 + 37,500,000 + 15,000,000 + 15,000,000 + 22,500,000
  'claude-opus-4-1': '0.105',
  // 1,000x3,000 + 2,000x3,750 + 500x6,000 + 10,000x300 + 300x15,000 = 3,000,000 + 7,500,000 + 3,000,000 + 3,000,000 + 4,500,000
  'claude-sonnet-4-5': '0.021',
  // 1,000x1,000 + 2,000x1,250 + 500x2,000 + 10,000x100 + 300x5,000 = 1,000,000 + 2,500,000 + 1,000,000 + 1,000,000 + 1,500,000
  'claude-haiku-4-5': '0.007',
  // 1,000x800 + 2,000x1,000 + 500x1,600 + 10,000x80 + 300x4,000 = 800,000 + 2,000,000 + 800,000 + 800,000 + 1,200,000
  'claude-haiku-3-5': '0.0056',
};

describe.each(BACKENDS)('model ids on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  let key: string;
  let orgId: string;
  const op = (method: string, url: string, body?: unknown) => h.call(method, url, { token: OPERATOR_TOKEN, body });

  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
    orgId = (await h.provision('acme', enterpriseDoc())).orgId;
    key = await h.issueKey('acme');
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  const record = (model: string, usage: unknown = USAGE, requestId = randomUUID()) =>
    h.call('POST', '/v1/usage/record', { token: key, body: { requestId, member: 'bob', model, usage } });

  it.each(SEEDED)('%s is authorized and priced exactly like %s, and stored as sent with its family', async (id, family) => {
    expect((await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'bob', model: id } })).body).toMatchObject({ allowed: true });
    const requestId = randomUUID();
    const viaAlias = await record(id, USAGE, requestId);
    expect(viaAlias.status).toBe(200);
    expect(viaAlias.body).toMatchObject({ model: id, family, cost: COST[family] });
    const viaFamily = await record(family);
    expect(viaFamily.body).toMatchObject({ model: family, family, cost: COST[family] });
    const event = await scratch.db.prisma.usageEvent.findUniqueOrThrow({ where: { orgId_requestId: { orgId, requestId } }, include: { priceEntry: true } });
    expect(event).toMatchObject({ model: id, family });
    expect(event.priceEntry?.model).toBe(family);
  });

  it('prices a dated id in reservation mode at its family\'s rates', async () => {
    const res = await h.call('POST', '/v1/usage/authorize', {
      token: key, body: { member: 'bob', model: 'claude-sonnet-4-5-20250929', requestId: randomUUID(), estimate: { input_tokens: 1_000, max_tokens: 100 } },
    });
    // 1,000 prompt tokens at the 1-hour write rate (6,000) + 100 output at 15,000 = 6,000,000 + 1,500,000
    expect(res.body).toMatchObject({ allowed: true, reservation: { held: '0.0075' } });
  });

  it('lets the operator add an alias, which authorize and record take at once', async () => {
    const family = `test-family-${randomUUID().slice(0, 8)}`;
    const alias = `${family}-20270101`;
    // Before: unknown.
    expect((await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'bob', model: alias } })).body).toMatchObject({ allowed: false, reason: 'model_unpriced' });
    const price = await op('POST', '/v1/operator/prices', {
      model: family, effectiveFrom: '2026-11-15T12:01:00Z', perMillionTokens: { input: '1.00', cacheWrite5m: '1.25', cacheWrite1h: '2.00', cacheRead: '0.10', output: '4.00' },
    });
    expect(price.status).toBe(201);
    const added = await op('POST', '/v1/operator/models/aliases', { alias, family });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ alias, family, created: true, familyPriced: true, pricedUnpriced: 0 });
    // The same pair again changes nothing.
    const again = await op('POST', '/v1/operator/models/aliases', { alias, family });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alias, family, created: false });

    h.clock.now = new Date('2026-11-15T12:05:00Z');
    try {
      expect((await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'bob', model: alias } })).body).toMatchObject({ allowed: true });
      const res = await record(alias, { input_tokens: 0, output_tokens: 1_000_000 });
      expect(res.body).toMatchObject({ model: alias, family, cost: '4.00' });
    } finally {
      h.clock.now = new Date('2026-11-15T12:00:00Z');
    }

    const list = await op('GET', '/v1/operator/models/aliases');
    expect(list.body.aliases).toContainEqual({ alias, family, createdAt: expect.any(String) });
    const families = await op('GET', '/v1/operator/models');
    expect(families.body.families).toContainEqual({ family, priced: true, aliases: [alias] });
    expect(families.body.families).toContainEqual({ family: 'claude-haiku-3-5', priced: true, aliases: ['claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest'] });
  });

  it('keeps aliases unchanging and never chained', async () => {
    const cases: [body: { alias: string; family: string }, status: number, field: string][] = [
      [{ alias: 'claude-sonnet-4-5-20250929', family: 'claude-opus-4-5' }, 409, 'family'], // already another family's
      [{ alias: 'claude-opus-4-5', family: 'claude-sonnet-4-5' }, 422, 'alias'], // a priced family
      [{ alias: 'my-sonnet', family: 'claude-sonnet-4-5-latest' }, 422, 'family'], // the family is an alias
      [{ alias: 'claude-haiku-4-5', family: 'claude-haiku-4-5' }, 422, 'alias'], // itself
    ];
    for (const [body, status, field] of cases) {
      const res = await op('POST', '/v1/operator/models/aliases', body);
      expect([res.status, res.body.error?.field], JSON.stringify(body)).toEqual([status, field]);
    }
    // An alias's family with aliases of its own cannot become an alias.
    expect((await op('POST', '/v1/operator/models/aliases', { alias: 'fam-x-1', family: 'fam-x' })).status).toBe(201);
    const chained = await op('POST', '/v1/operator/models/aliases', { alias: 'fam-x', family: 'claude-haiku-4-5' });
    expect([chained.status, chained.body.error.field]).toEqual([422, 'alias']);
    // Prices belong to families, never to aliases.
    const price = await op('POST', '/v1/operator/prices', {
      model: 'claude-haiku-4-5-20251001', effectiveFrom: '2027-01-01T00:00:00Z', perMillionTokens: { input: '1', cacheWrite5m: '1', cacheWrite1h: '1', cacheRead: '1', output: '1' },
    });
    expect([price.status, price.body.error.field]).toEqual([422, 'model']);
  });

  it('bills a dated id on its family\'s invoice line', async () => {
    const slug = `inv-${randomUUID().slice(0, 8)}`;
    const o = await h.provision(slug, enterpriseDoc());
    const k = await h.issueKey(slug);
    // Bob's $3.00 allowance first, then $1.00 extra each way.
    for (const [model, cents] of [['claude-haiku-4-5', 300], ['claude-haiku-4-5-20251001', 100], ['claude-haiku-4-5', 100]] as const) {
      const res = await h.call('POST', '/v1/usage/record', { token: k, body: { requestId: randomUUID(), member: 'bob', model, usage: { input_tokens: 0, output_tokens: cents * 2_000 } } });
      expect(res.status).toBe(200);
    }
    const { closeMonth } = await import('../../src/ledger/reports/invoices.js');
    const { invoice } = await closeMonth(scratch.db.prisma, o.orgId, '2026-11', new Date('2026-12-01T00:00:00Z'));
    expect(invoice.lines.map((l) => [l.model, l.amountNanos, l.eventCount])).toEqual([['claude-haiku-4-5', 2_000_000_000n, 2]]);
  });
});
