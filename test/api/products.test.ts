// Product / surface: authorize and record name the product a request came from
// (claude, claude_code, api, or a name the org declared); it is stored on the event,
// reported and invoiced per product, and an owner may cap each member's extra usage
// on a product (0 = off), enforced in authorize (check and reservation mode) and
// flagged in record. On PGlite and the PostgreSQL server, through the real API.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, usageOfCents, type Harness } from '../support/fixtures.js';

const NOW = new Date('2026-11-15T12:00:00Z');
// Paris: November ends at 2026-11-30T23:00Z.
const MONTH_END = '2026-11-30T23:00:00.000Z';
// A 5-hour window started by the first record at NOW.
const WINDOW_END = '2026-11-15T17:00:00.000Z';

describe.each(BACKENDS)('products on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  const db = () => scratch.db.prisma;
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
    const slug = `prod-${++n}-${randomUUID().slice(0, 6)}`;
    const { orgId } = await h.provision(slug, doc);
    const key = await h.issueKey(slug);
    const record = (member: string, cents: number, extra: Record<string, unknown> = {}) =>
      h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), member, model: HAIKU, usage: usageOfCents(cents), ...extra } });
    const authorize = (member: string, extra: Record<string, unknown> = {}) =>
      h.call('POST', '/v1/usage/authorize', { token: key, body: { member, model: HAIKU, ...extra } });
    const as = (actor: string) => ({
      get: (url: string) => h.call('GET', url, { token: key, actor }),
      put: (url: string, body: unknown) => h.call('PUT', url, { token: key, actor, body }),
    });
    return { slug, orgId, key, record, authorize, as };
  }

  it('stores the product on each event and answers it; records without one keep working (unspecified)', async () => {
    const o = await org();
    const withProduct = await o.record('alice', 10, { product: 'claude_code' });
    expect(withProduct.status).toBe(200);
    expect(withProduct.body).toMatchObject({ product: 'claude_code', priced: true, cost: '0.10' });
    const without = await o.record('alice', 10);
    expect(without.status).toBe(200);
    expect(without.body.product).toBeUndefined();
    const events = await db().usageEvent.findMany({ where: { orgId: o.orgId }, orderBy: { product: 'asc' } });
    expect(events.map((e) => e.product)).toEqual(['claude_code', null]);
    // Authorize takes it too.
    expect((await o.authorize('alice', { product: 'api' })).body).toMatchObject({ allowed: true });
  });

  it('reports spend per product for the month, the org\'s and each member\'s, usage without one as unspecified', async () => {
    const o = await org();
    await o.record('alice', 100, { product: 'claude' }); // $1.00 included
    await o.record('alice', 30, { product: 'claude_code' }); // $0.30 extra
    await o.record('alice', 5); // $0.05 extra, unspecified
    await o.record('bob', 40, { product: 'claude_code' }); // $0.40 included (premium: $3.00)
    const report = await o.as('admin-1').get('/v1/reports/products');
    expect(report.status).toBe(200);
    expect(report.body.period).toBe('2026-11');
    expect(report.body.products).toEqual([
      { product: 'claude', cost: '1.00', included: '1.00', extra: '0.00', requests: 1 },
      { product: 'claude_code', cost: '0.70', included: '0.40', extra: '0.30', requests: 2 },
      { product: 'unspecified', cost: '0.05', included: '0.00', extra: '0.05', requests: 1 },
    ]);
    expect(report.body.members.map((m: any) => [m.externalId, m.products.map((p: any) => `${p.product}=${p.cost}/${p.extra}`)])).toEqual([
      ['alice', ['claude=1.00/0.00', 'claude_code=0.30/0.30', 'unspecified=0.05/0.05']],
      ['bob', ['claude_code=0.40/0.00']],
    ]);
    // Another month: nothing; members may not read it.
    expect((await o.as('owner-1').get('/v1/reports/products?period=2026-10')).body).toEqual({ period: '2026-10', products: [], members: [] });
    expect((await o.as('alice').get('/v1/reports/products')).status).toBe(403);
    expect((await o.as('owner-1').get('/v1/reports/products?period=2026-13')).status).toBe(400);
  });

  it('refuses a malformed product (400) and an undeclared one (422), naming product, and records nothing', async () => {
    const o = await org();
    for (const bad of ['Claude Code', '', 'x'.repeat(41), 'code!']) {
      const res = await o.record('alice', 10, { product: bad });
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe('product');
      expect((await o.authorize('alice', { product: bad })).body.error.field).toBe('product');
    }
    const undeclared = await o.record('alice', 10, { product: 'cowork' });
    expect(undeclared.status).toBe(422);
    expect(undeclared.body.error).toMatchObject({ field: 'product', message: expect.stringContaining("product 'cowork' is not declared") });
    const auth = await o.authorize('alice', { product: 'cowork' });
    expect(auth.status).toBe(422);
    expect(auth.body.error.field).toBe('product');
    expect(await db().usageEvent.count({ where: { orgId: o.orgId } })).toBe(0);

    // Once an owner declares it, it is accepted.
    expect((await o.as('owner-1').put('/v1/settings/products/cowork', { memberCap: null })).status).toBe(200);
    expect((await o.record('alice', 10, { product: 'cowork' })).body).toMatchObject({ product: 'cowork', priced: true });
    expect((await o.authorize('alice', { product: 'cowork' })).body).toMatchObject({ allowed: true });
  });

  it('lets owners cap a product (audited); admins and members are refused 403 and nothing changes', async () => {
    const o = await org();
    const before = (await o.as('owner-1').get('/v1/settings/products')).body;
    expect(before.products.map((p: any) => [p.product, p.memberCap])).toEqual([['claude', null], ['claude_code', null], ['api', null]]);
    for (const actor of ['admin-1', 'alice']) {
      const res = await o.as(actor).put('/v1/settings/products/claude_code', { memberCap: '0.00' });
      expect(res.status).toBe(403);
      expect((await o.as(actor).put('/v1/settings/products/claude_code/members/bob', { cap: null })).status).toBe(403);
    }
    expect((await o.as('owner-1').get('/v1/settings/products')).body).toEqual(before);
    expect(await db().orgProduct.count({ where: { orgId: o.orgId } })).toBe(0);
    // Admins may read them; members may not.
    expect((await o.as('admin-1').get('/v1/settings/products')).status).toBe(200);
    expect((await o.as('alice').get('/v1/settings/products')).status).toBe(403);

    // Claude Code off for everyone but Bob, who gets $0.50 a month on it.
    const off = await o.as('owner-1').put('/v1/settings/products/claude_code', { memberCap: '0.00' });
    expect(off.status).toBe(200);
    const bob = await o.as('owner-1').put('/v1/settings/products/claude_code/members/bob', { cap: '0.50' });
    expect(bob.body.products.find((p: any) => p.product === 'claude_code')).toMatchObject({
      memberCap: '0.00', members: [{ externalId: 'bob', name: 'Bob', cap: '0.50' }],
    });
    expect((await o.as('owner-1').put('/v1/settings/products/claude_code/members/bob', { cap: 'bogus' })).status).toBe(400);
    const log = await o.as('owner-1').get('/v1/reports/audit-log?limit=2');
    expect(log.body.entries.map((e: any) => [e.action, e.subject, e.before, e.after])).toEqual([
      ['cap.member_product.set', expect.stringMatching(/^member:/), { product: 'claude_code', cap: 'default', productDefault: '0.00' }, { product: 'claude_code', cap: '0.50' }],
      ['cap.product.set', 'product:claude_code', { declared: true, memberCap: null }, { declared: true, memberCap: '0.00' }],
    ]);
    // Back to the product's default: audited too; again is no change.
    await o.as('owner-1').put('/v1/settings/products/claude_code/members/bob', { cap: 'default' });
    await o.as('owner-1').put('/v1/settings/products/claude_code/members/bob', { cap: 'default' });
    const after = await o.as('owner-1').get('/v1/reports/audit-log?limit=1');
    expect(after.body.entries[0]).toMatchObject({ action: 'cap.member_product.set', before: { cap: '0.50' }, after: { cap: 'default' } });
    expect(await db().auditEntry.count({ where: { orgId: o.orgId, action: 'cap.member_product.set' } })).toBe(2);
    // An org-defined product must be declared before a member's cap on it.
    const undeclared = await o.as('owner-1').put('/v1/settings/products/cowork/members/bob', { cap: '1.00' });
    expect(undeclared.status).toBe(422);
    expect(undeclared.body.error.field).toBe('product');
  });

  it('refuses extra usage on a product that is off (product_not_enabled, until the seat window resets) or whose cap is reached (product_cap_reached, until month end); records past it are kept and flagged', async () => {
    const o = await org();
    await o.as('owner-1').put('/v1/settings/products/claude_code', { memberCap: '0.00' });
    await o.as('owner-1').put('/v1/settings/products/claude_code/members/bob', { cap: '0.50' });

    // Alice (standard, $1.00 included) uses her allowance: included usage is never stopped by a product cap.
    expect((await o.authorize('alice', { product: 'claude_code' })).body).toMatchObject({ allowed: true, mode: 'included' });
    expect((await o.record('alice', 100, { product: 'claude' })).body).toMatchObject({ included: '1.00', extra: '0.00' });
    expect((await o.authorize('alice', { product: 'claude_code' })).body).toEqual({
      allowed: false, reason: 'product_not_enabled', resetsAt: WINDOW_END, canRequestExtraUsage: false, memberId: expect.any(String),
      message: expect.stringMatching(/^You have used the usage included in your seat, and extra usage is not on for you on claude_code; it lifts .+ \(Europe\/Paris\)\. To go on sooner, ask an owner to turn on your extra usage on claude_code in the web console at \/me$/),
    });
    // Other products and unspecified usage go on as extra usage.
    expect((await o.authorize('alice', { product: 'claude' })).body).toMatchObject({ allowed: true, mode: 'extra' });
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: true, mode: 'extra' });
    // A Claude Code record that comes anyway is kept; what runs past the allowance is
    // absorbed as included (extra usage on it is off), as with the switch off.
    const absorbed = await o.record('alice', 20, { product: 'claude_code' });
    expect(absorbed.body).toMatchObject({ product: 'claude_code', cost: '0.20', included: '0.20', extra: '0.00' });

    // Bob (premium, $3.00 included) uses his allowance, then $0.50 of Claude Code extra usage.
    await o.record('bob', 300);
    expect((await o.authorize('bob', { product: 'claude_code' })).body).toMatchObject({ allowed: true, mode: 'extra' });
    expect((await o.record('bob', 40, { product: 'claude_code' })).body).toMatchObject({ extra: '0.40' });
    expect((await o.authorize('bob', { product: 'claude_code' })).body).toMatchObject({ allowed: true, mode: 'extra' });
    // Check mode: the request that was allowed may take him past the cap; it is counted in full and flagged.
    const past = await o.record('bob', 30, { product: 'claude_code' });
    expect(past.body).toMatchObject({ extra: '0.30', flags: ['over_product_cap'] });
    expect((await o.authorize('bob', { product: 'claude_code' })).body).toEqual({
      allowed: false, reason: 'product_cap_reached', resetsAt: MONTH_END, canRequestExtraUsage: false, memberId: expect.any(String),
      message: 'You reached your monthly extra usage limit on claude_code ($0.70 of $0.50); it lifts 1 Dec 2026, 00:00 (Europe/Paris); your included usage comes back 15 Nov 2026, 18:00 (Europe/Paris). Other products are not affected; an owner can raise this limit sooner in the web console at /me',
    });
    expect((await o.authorize('bob', { product: 'api' })).body).toMatchObject({ allowed: true, mode: 'extra' });
    const event = await db().usageEvent.findUniqueOrThrow({ where: { orgId_requestId: { orgId: o.orgId, requestId: past.body.requestId } } });
    expect(event.flags).toEqual(['over_product_cap']);
    // The crossing is announced once, in the outbox.
    const crossings = await db().outboxEvent.findMany({ where: { orgId: o.orgId, type: 'product_cap_reached' } });
    expect(crossings.map((c) => c.payload)).toEqual([{ memberId: past.body.memberId, product: 'claude_code', period: '2026-11', capNanos: '500000000', spendNanos: '700000000' }]);
  });

  it('puts the product cap in the one cap order: after the access steps, before the member cap', async () => {
    const doc = enterpriseDoc();
    const o = await org({ ...doc, members: doc.members.map((m) => (m.externalId === 'alice' ? { ...m, extraUsageCap: '0.10' } : m)) });
    await o.as('owner-1').put('/v1/settings/products/claude_code', { memberCap: '0.10' });
    await o.record('alice', 100);
    await o.record('alice', 20, { product: 'claude_code' });
    // Both the product cap and the member cap are reached: the product cap is named.
    expect((await o.authorize('alice', { product: 'claude_code' })).body.reason).toBe('product_cap_reached');
    expect((await o.authorize('alice', { product: 'claude' })).body.reason).toBe('member_cap_reached');
    // The org switch off comes first of all.
    await o.as('owner-1').put('/v1/settings/extra-usage', { enabled: false });
    expect((await o.authorize('alice', { product: 'claude_code' })).body.reason).toBe('extra_usage_disabled');
  });

  it('prices unpriced usage later on its product: the product row counted once, its cap crossing announced', async () => {
    const o = await org();
    await o.as('owner-1').put('/v1/settings/products/claude_code/members/bob', { cap: '0.10' });
    const model = `claude-next-${randomUUID().slice(0, 8)}`;
    await o.record('bob', 300); // bob's $3.00 allowance, used
    // $4.00 per million output tokens: 62,500 output tokens cost $0.25.
    const kept = await h.call('POST', '/v1/usage/record', { token: o.key, body: { requestId: randomUUID(), member: 'bob', model, usage: { input_tokens: 0, output_tokens: 62_500 }, product: 'claude_code', at: '2026-11-15T11:00:00Z' } });
    expect(kept.body).toMatchObject({ priced: false, product: 'claude_code' });
    const priced = await h.call('POST', '/v1/operator/prices', { token: OPERATOR_TOKEN, body: { model, effectiveFrom: '2026-11-15T11:00:00Z', perMillionTokens: { input: '1.00', cacheWrite5m: '1.25', cacheWrite1h: '2.00', cacheRead: '0.10', output: '4.00' } } });
    expect(priced.status).toBe(201);
    const event = await db().usageEvent.findUniqueOrThrow({ where: { orgId_requestId: { orgId: o.orgId, requestId: kept.body.requestId } } });
    expect(event).toMatchObject({ product: 'claude_code', costNanos: 250_000_000n, extraNanos: 250_000_000n, flags: ['priced_late', 'over_product_cap'] });
    const bob = await db().member.findFirstOrThrow({ where: { orgId: o.orgId, externalId: 'bob' } });
    const row = await db().monthlySpend.findUniqueOrThrow({ where: { orgId_period_scope_subject: { orgId: o.orgId, period: '2026-11', scope: 'product', subject: `claude_code:${bob.id}` } } });
    expect(row).toMatchObject({ extraNanos: 250_000_000n, eventCount: 1 });
    expect(await db().outboxEvent.count({ where: { orgId: o.orgId, type: 'product_cap_reached' } })).toBe(1);
    expect((await o.authorize('bob', { product: 'claude_code' })).body.reason).toBe('product_cap_reached');
  });

  it('reservation mode holds the product cap: concurrent authorizes never take a member past it', async () => {
    const noAllowance = { standard: { includedAllowance: '0.00', windowMinutes: 300 }, premium: { includedAllowance: '0.00', windowMinutes: 300 } };
    const o = await org(enterpriseDoc({ seatTiers: noAllowance }));
    await o.as('owner-1').put('/v1/settings/products/claude_code', { memberCap: '1.00' });
    // Each hold: 10,000 prompt tokens at $2/MTok + 10,000 output at $5/MTok = $0.07; each costs $0.06.
    const estimate = { input_tokens: 10_000, max_tokens: 10_000 };
    const actual = { input_tokens: 10_000, output_tokens: 10_000 };
    let allowed = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (;;) {
        const requestId = randomUUID();
        const a = await o.authorize('bob', { requestId, estimate, product: 'claude_code' });
        if (!a.body.allowed) {
          expect(a.body).toMatchObject({ reason: 'product_cap_reached', resetsAt: MONTH_END });
          return;
        }
        allowed++;
        const r = await h.call('POST', '/v1/usage/record', { token: o.key, body: { requestId, member: 'bob', model: HAIKU, usage: actual, product: 'claude_code' } });
        expect(r.status).toBe(200);
      }
    }));
    const bob = await db().member.findFirstOrThrow({ where: { orgId: o.orgId, externalId: 'bob' } });
    const spent = await db().usageEvent.aggregate({ where: { orgId: o.orgId, product: 'claude_code' }, _sum: { extraNanos: true }, _count: true });
    expect(spent._count).toBe(allowed);
    expect(spent._sum.extraNanos!).toBeLessThanOrEqual(1_000_000_000n);
    expect(1_000_000_000n - spent._sum.extraNanos!).toBeLessThan(70_000_000n);
    const row = await db().monthlySpend.findUniqueOrThrow({ where: { orgId_period_scope_subject: { orgId: o.orgId, period: '2026-11', scope: 'product', subject: `claude_code:${bob.id}` } } });
    expect(row).toMatchObject({ extraNanos: spent._sum.extraNanos, reservedNanos: 0n });
    // Other products still have room: the member cap is not the product cap.
    expect((await o.authorize('bob', { requestId: randomUUID(), estimate, product: 'api' })).body).toMatchObject({ allowed: true });
  });
});
