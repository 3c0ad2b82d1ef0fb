// The metering hot path end to end through the HTTP API, on PGlite and on the
// PostgreSQL server: included vs extra usage, every refusal, the overshoot rule,
// idempotent records and concurrent records losing nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordBatcherOf } from '../../src/ledger/metering/record-batch.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, teamDoc, usageOfCents, type Harness } from '../support/fixtures.js';

describe.each(BACKENDS)('metering on $kind', ({ kind, open }) => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  let n = 0;
  async function org(doc: unknown) {
    const slug = `org-${++n}-${randomUUID().slice(0, 8)}`;
    await h.provision(slug, doc);
    const key = await h.issueKey(slug);
    const authorize = (member: string, extra: Record<string, unknown> = {}) =>
      h.call('POST', '/v1/usage/authorize', { token: key, body: { member, model: HAIKU, ...extra } });
    const record = (member: string, cents: number, extra: Record<string, unknown> = {}) =>
      h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), member, model: HAIKU, usage: usageOfCents(cents), ...extra } });
    const settings = (method: string, url: string, body?: unknown, actor = 'owner-1') => h.call(method, url, { token: key, actor, body });
    return { slug, key, authorize, record, settings };
  }

  it('uses the included allowance first, then extra usage, and reports the split', async () => {
    const o = await org(enterpriseDoc());
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: true, mode: 'included' });
    const first = await o.record('alice', 60);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ cost: '0.60', included: '0.60', extra: '0.00', memberMonthToDateExtra: '0.00', period: '2026-11' });
    const second = await o.record('alice', 60);
    expect(second.body).toMatchObject({ cost: '0.60', included: '0.40', extra: '0.20', memberMonthToDateExtra: '0.20' });
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: true, mode: 'extra' });
  });

  it('refuses with extra_usage_disabled when the owner turned extra usage off, resetting with the seat window', async () => {
    const o = await org(enterpriseDoc({ extraUsage: { enabled: false } }));
    await o.record('alice', 100);
    const res = await o.authorize('alice');
    // Window started at the first request (2026-11-15T12:00Z) and lasts 300 minutes.
    expect(res.body).toEqual({
      allowed: false, reason: 'extra_usage_disabled', resetsAt: '2026-11-15T17:00:00.000Z', canRequestExtraUsage: true, memberId: expect.any(String),
      // The words every channel shows (src/domain/refusal-words.ts), in the org's time (Europe/Paris).
      message: 'You have used the usage included in your seat, and extra usage is off for your organisation; it lifts 15 Nov 2026, 18:00 (Europe/Paris). To go on sooner, request extra usage (an owner decides, as it is off for everyone) in the web console at /me',
    });
    // Whatever ran past the allowance was absorbed as included: nothing billed as extra.
    const over = await o.record('alice', 30);
    expect(over.body).toMatchObject({ included: '0.30', extra: '0.00' });
  });

  it('refuses with seat_limit_reached for a member not selected for extra usage, until an owner selects them', async () => {
    const o = await org(enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
    await o.record('alice', 100);
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: false, reason: 'seat_limit_reached', canRequestExtraUsage: true });
    expect((await o.settings('PUT', '/v1/settings/members/alice/extra-usage', { enabled: true })).status).toBe(200);
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: true, mode: 'extra' });
  });

  it('lets one request take spend past the member cap, then pauses the member until the month ends in the org timezone', async () => {
    const o = await org(enterpriseDoc());
    await o.record('alice', 100); // allowance used up
    await o.record('alice', 4_990); // $49.90 extra: just below the $50 cap
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: true, mode: 'extra' });
    const over = await o.record('alice', 500); // the documented overshoot: $54.90
    expect(over.body.memberMonthToDateExtra).toBe('54.90');
    const refused = await o.authorize('alice');
    // Midnight on 1 December in Paris is 23:00 UTC on 30 November.
    expect(refused.body).toMatchObject({ allowed: false, reason: 'member_cap_reached', resetsAt: '2026-11-30T23:00:00.000Z', canRequestExtraUsage: false });
    expect(refused.body.message).toBe('You reached your monthly extra usage limit ($54.90 of $50.00); it lifts 1 Dec 2026, 00:00 (Europe/Paris); your included usage comes back 15 Nov 2026, 18:00 (Europe/Paris). To go on sooner, ask to raise your limit in the web console at /me');
    // Raising the cap takes effect at once.
    expect((await o.settings('PUT', '/v1/settings/caps/members/alice', { cap: '100.00' })).status).toBe(200);
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: true, mode: 'extra' });
    // Unlimited on the member still leaves the tier cap ($500 standard) in force.
    expect((await o.settings('PUT', '/v1/settings/caps/members/alice', { cap: null })).status).toBe(200);
    await o.settings('PUT', '/v1/settings/caps/tiers/standard', { cap: '54.90' });
    const tier = (await o.authorize('alice')).body;
    expect(tier).toMatchObject({ allowed: false, reason: 'seat_tier_cap_reached' });
    expect(tier.message).toMatch(/^Standard seats reached their monthly extra usage limit \(\$54\.90 of \$54\.90\); it lifts 1 Dec 2026, 00:00 \(Europe\/Paris\); your included usage comes back 15 Nov 2026, 18:00 \(Europe\/Paris\)\. Only an owner can raise a seat tier's limit/);
  });

  it('stops everyone at the org cap, reporting the member cap first when both are reached', async () => {
    const o = await org(enterpriseDoc({ extraUsage: { enabled: true, orgMonthlyCap: '10.00', tierCaps: { standard: null, premium: null } } }));
    await o.record('bob', 300 + 1_000); // bob: premium $3 allowance, then $10 extra = the org cap
    const bob = (await o.authorize('bob')).body;
    expect(bob).toMatchObject({ allowed: false, reason: 'org_cap_reached' });
    expect(bob.message).toContain('Your organisation reached its monthly extra usage limit ($10.00 of $10.00); it lifts 1 Dec 2026, 00:00 (Europe/Paris); your included usage comes back 15 Nov 2026, 18:00 (Europe/Paris). Only an owner can raise the organisation\'s limit');
    await o.record('alice', 100); // alice: allowance used, $0 extra of her own
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: false, reason: 'org_cap_reached' });
    await o.settings('PUT', '/v1/settings/caps/members/alice', { cap: '0.00' });
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
  });

  it('draws a Team prepaid balance down, lets the last request take it below zero, then refuses', async () => {
    const o = await org(teamDoc({ autoReload: { enabled: false } }));
    expect((await o.settings('POST', '/v1/settings/balance/purchases', { amount: '2.00', idempotencyKey: 'buy-1' })).status).toBe(201);
    await o.record('alice', 100);
    expect((await o.authorize('alice')).body).toMatchObject({ allowed: true, mode: 'extra' });
    const last = await o.record('alice', 250);
    expect(last.body).toMatchObject({ extra: '2.50', balance: '-0.50' });
    expect((await o.authorize('alice')).body).toEqual({
      allowed: false, reason: 'balance_exhausted', resetsAt: null, canRequestExtraUsage: false, memberId: expect.any(String),
      message: 'Your organisation\'s prepaid extra usage balance is used up ($0.00 left); it lifts when an owner adds funds; your included usage comes back 15 Nov 2026, 17:00 (UTC). An owner can add funds in the web console at /usage',
    });
  });

  it('returns the first answer for a repeated requestId and counts nothing; a different body is a 409', async () => {
    const o = await org(enterpriseDoc());
    const body = { requestId: 'req-42', member: 'alice', model: HAIKU, usage: usageOfCents(150) };
    const first = await h.call('POST', '/v1/usage/record', { token: o.key, body });
    const again = await h.call('POST', '/v1/usage/record', { token: o.key, body });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const different = await h.call('POST', '/v1/usage/record', { token: o.key, body: { ...body, usage: usageOfCents(151) } });
    expect(different.status).toBe(409);
    expect(different.body.error.field).toBe('requestId');
    const limits = await o.settings('GET', '/v1/reports/seat-limits');
    expect(limits.body.members.find((m: any) => m.externalId === 'alice')).toMatchObject({ monthToDateExtra: '0.50', monthToDateIncluded: '1.00' });
  });

  it('loses nothing when 200 records for one member arrive at once, and reports each org threshold once', async () => {
    const o = await org(enterpriseDoc({ extraUsage: { enabled: true, orgMonthlyCap: '50.00', tierCaps: { standard: null, premium: null } } }));
    // 200 requests of 37 cents each: $74.00 in all, $1.00 included and $73.00 extra.
    const batcher = recordBatcherOf(scratch.db.prisma);
    const before = { ...batcher.stats };
    const results = await Promise.all(Array.from({ length: 200 }, () => o.record('alice', 37)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    // Group commit wrote them in batches, none of which had to fall back.
    expect(batcher.stats.fallbacks - before.fallbacks, String(batcher.stats.lastFallbackError)).toBe(0);
    // On a server, records that arrive while a batch commits share the next one (PGlite
    // runs on this thread, so there they mostly go one by one).
    if (kind === 'postgres') expect(batcher.stats.batches - before.batches).toBeLessThan(200);
    const db = scratch.db.prisma;
    const org0 = await db.organization.findUniqueOrThrow({ where: { slug: o.slug } });
    const events = await db.usageEvent.aggregate({ where: { orgId: org0.id }, _sum: { costNanos: true, extraNanos: true, includedNanos: true }, _count: true });
    expect(events._count).toBe(200);
    expect(events._sum.costNanos).toBe(74_000_000_000n);
    expect(events._sum.includedNanos).toBe(1_000_000_000n);
    expect(events._sum.extraNanos).toBe(73_000_000_000n);
    const spend = await db.monthlySpend.findMany({ where: { orgId: org0.id } });
    for (const row of spend) {
      expect(row.extraNanos).toBe(73_000_000_000n);
      expect(row.eventCount).toBe(200);
    }
    expect(spend.map((r) => r.scope).sort()).toEqual(['member', 'org', 'tier']);
    const outbox = await db.outboxEvent.findMany({ where: { orgId: org0.id }, orderBy: { id: 'asc' } });
    const thresholds = outbox.filter((e) => e.type === 'org_cap_threshold').map((e) => (e.payload as any).percent).sort((a, b) => a - b);
    expect(thresholds).toEqual([50, 80, 100]);
    expect(outbox.filter((e) => e.type === 'seat_limit_reached')).toHaveLength(1);
    expect(outbox.filter((e) => e.type === 'member_cap_reached')).toHaveLength(1);
  });

  it('attributes usage to the month of `at` in the org timezone', async () => {
    const o = await org(enterpriseDoc());
    h.clock.now = new Date('2026-11-30T23:40:00Z');
    try {
      // 23:30 UTC on 30 November is already 1 December in Paris.
      const res = await o.record('bob', 400, { at: '2026-11-30T23:30:00Z' });
      expect(res.body).toMatchObject({ period: '2026-12', extra: '1.00', memberMonthToDateExtra: '1.00' });
      const nov = await o.record('bob', 100, { at: '2026-11-30T22:30:00Z' });
      expect(nov.body).toMatchObject({ period: '2026-11', memberMonthToDateExtra: '1.00' });
    } finally {
      h.clock.now = new Date('2026-11-15T12:00:00Z');
    }
  });

  it('prices with the rate in force at the time of the request', async () => {
    const o = await org(enterpriseDoc());
    const model = `test-model-${n}`;
    const price = (effectiveFrom: string, output: string) =>
      h.call('POST', '/v1/operator/prices', {
        token: 'test-operator-token-0123456789',
        body: { model, effectiveFrom, perMillionTokens: { input: '1.00', cacheWrite5m: '1.25', cacheWrite1h: '2.00', cacheRead: '0.10', output } },
      });
    expect((await price('2026-11-15T12:01:00Z', '5.00')).status).toBe(201);
    expect((await price('2026-11-16T00:00:00Z', '10.00')).status).toBe(201);
    const usage = { input_tokens: 0, output_tokens: 100_000 };
    h.clock.now = new Date('2026-11-15T12:02:00Z');
    // Once a model has a price in force, less than a minute ahead is refused: running
    // services might not see it in time.
    expect((await price('2026-11-15T12:02:30Z', '7.00')).status).toBe(422);
    const before = await h.call('POST', '/v1/usage/record', { token: o.key, body: { requestId: 'p1', member: 'bob', model, usage, at: '2026-11-15T12:01:00Z' } });
    h.clock.now = new Date('2026-11-16T01:00:00Z');
    try {
      const after = await h.call('POST', '/v1/usage/record', { token: o.key, body: { requestId: 'p2', member: 'bob', model, usage } });
      expect(before.body.cost).toBe('0.50');
      expect(after.body.cost).toBe('1.00');
      // A price may not be back-dated: recorded usage keeps the price it was charged at.
      expect((await price('2026-11-15T00:00:00Z', '1.00')).status).toBe(422);
    } finally {
      h.clock.now = new Date('2026-11-15T12:00:00Z');
    }
  });
});
