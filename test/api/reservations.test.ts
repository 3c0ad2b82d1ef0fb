// Reservation mode: authorize holds an upper-bound estimate against every cap, so
// however many requests run at once, no cap is ever exceeded; the record settles the
// hold and an abandoned hold is released when it expires.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseExpiredReservations } from '../../src/ledger/reservations.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, teamDoc, type Harness } from '../support/fixtures.js';

// claude-haiku-4-5: prompt tokens are held at the 1-hour cache write rate ($2/MTok),
// output at $5/MTok. 10,000 prompt + 10,000 max output tokens hold exactly $0.07.
const ESTIMATE = { input_tokens: 10_000, max_tokens: 10_000 };
// A request that used all of it: 10,000 input ($0.01) + 10,000 output ($0.05) = $0.06.
const ACTUAL = { input_tokens: 10_000, output_tokens: 10_000 };

describe.each(BACKENDS)('reservations on $kind', ({ open }) => {
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
    const slug = `res-${++n}`;
    await h.provision(slug, doc);
    const key = await h.issueKey(slug);
    const authorize = (member: string, requestId: string, estimate: unknown = ESTIMATE) =>
      h.call('POST', '/v1/usage/authorize', { token: key, body: { member, model: HAIKU, requestId, estimate } });
    const record = (member: string, requestId: string, usage: unknown = ACTUAL) =>
      h.call('POST', '/v1/usage/record', { token: key, body: { requestId, member, model: HAIKU, usage } });
    const orgRow = () => scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug } });
    return { slug, key, authorize, record, orgRow };
  }

  // No allowance, so everything is extra usage; caps are what is tested.
  const noAllowance = { standard: { includedAllowance: '0.00', windowMinutes: 300 }, premium: { includedAllowance: '0.00', windowMinutes: 300 } };

  it('holds the estimate, answers a repeated authorize the same way, and settles on record', async () => {
    const o = await org(enterpriseDoc({ seatTiers: noAllowance }));
    const first = await o.authorize('alice', 'r1');
    expect(first.body).toMatchObject({ allowed: true, mode: 'extra', reservation: { requestId: 'r1', held: '0.07', includedHeld: '0.00', extraHeld: '0.07' } });
    expect((await o.authorize('alice', 'r1')).body).toEqual(first.body);
    const spend = () => scratch.db.prisma.monthlySpend.findMany({ where: { scope: 'member', subject: first.body.memberId } });
    expect((await spend())[0]).toMatchObject({ reservedNanos: 70_000_000n, extraNanos: 0n });
    const rec = await o.record('alice', 'r1');
    expect(rec.body).toMatchObject({ cost: '0.06', extra: '0.06' });
    expect((await spend())[0]).toMatchObject({ reservedNanos: 0n, extraNanos: 60_000_000n });
  });

  it('never lets concurrent requests take a member past their cap', async () => {
    // Alice's cap: $1.00. Each request holds $0.07 and costs $0.06.
    const doc = enterpriseDoc({ seatTiers: noAllowance });
    const o = await org({ ...doc, members: doc.members.map((m) => (m.externalId === 'alice' ? { ...m, extraUsageCap: '1.00' } : m)) });
    const clients = 64;
    let allowed = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      for (;;) {
        const id = randomUUID();
        const a = await o.authorize('alice', id);
        if (!a.body.allowed) {
          expect(a.body.reason).toBe('member_cap_reached');
          return;
        }
        allowed++;
        expect((await o.record('alice', id)).status).toBe(200);
      }
    }));
    const db = scratch.db.prisma;
    const orgRow = await o.orgRow();
    const events = await db.usageEvent.aggregate({ where: { orgId: orgRow.id }, _sum: { extraNanos: true }, _count: true });
    const rows = await db.monthlySpend.findMany({ where: { orgId: orgRow.id } });
    // 14 holds of $0.07 fit in $1.00 while each is open; as records settle at $0.06
    // more fit. Whatever the interleaving, spend stays within the cap.
    expect(events._sum.extraNanos!).toBeLessThanOrEqual(1_000_000_000n);
    expect(events._count).toBe(allowed);
    for (const r of rows) {
      expect(r.extraNanos).toBe(events._sum.extraNanos);
      expect(r.reservedNanos).toBe(0n);
    }
    // Nothing more fits: the next $0.07 hold would pass the cap.
    expect(1_000_000_000n - events._sum.extraNanos!).toBeLessThan(70_000_000n);
  });

  it('holds a Team balance, so it never goes below zero', async () => {
    const o = await org(teamDoc({ seatTiers: noAllowance, autoReload: { enabled: false } }));
    await h.call('POST', '/v1/settings/balance/purchases', { token: o.key, actor: 'owner-1', body: { amount: '0.50', idempotencyKey: 'buy' } });
    const results = await Promise.all(Array.from({ length: 20 }, async () => {
      const id = randomUUID();
      const a = await o.authorize('alice', id);
      if (a.body.allowed) await o.record('alice', id);
      return a.body;
    }));
    // Holds are $0.07 and settle at $0.06: 7 holds always fit in $0.50, and an 8th fits
    // when enough records settled before it arrived (how they interleave is the machine's).
    const allowed = results.filter((r) => r.allowed).length;
    expect(allowed).toBeGreaterThanOrEqual(7);
    expect(allowed).toBeLessThanOrEqual(8);
    expect(results.filter((r) => !r.allowed).every((r) => r.reason === 'balance_exhausted')).toBe(true);
    const orgRow = await o.orgRow();
    expect(orgRow.balanceNanos).toBe(500_000_000n - BigInt(allowed) * 60_000_000n);
    expect(orgRow.balanceNanos).toBeGreaterThanOrEqual(0n);
    expect(orgRow.heldBalanceNanos).toBe(0n);
  });

  it('releases a hold whose request never reported back, once it expires', async () => {
    const doc = enterpriseDoc({ seatTiers: noAllowance });
    const o = await org({ ...doc, members: doc.members.map((m) => (m.externalId === 'alice' ? { ...m, extraUsageCap: '0.10' } : m)) });
    expect((await o.authorize('alice', 'lost')).body.allowed).toBe(true);
    expect((await o.authorize('alice', 'next')).body).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
    expect(await releaseExpiredReservations(scratch.db.prisma, new Date(h.clock.now.getTime() + 60_000))).toBe(0);
    expect(await releaseExpiredReservations(scratch.db.prisma, new Date(h.clock.now.getTime() + 11 * 60_000))).toBeGreaterThanOrEqual(1);
    expect((await o.authorize('alice', 'after')).body).toMatchObject({ allowed: true });
  });

  it('holds included allowance first and refuses in a reservation org without an estimate', async () => {
    const o = await org(enterpriseDoc({ extraUsage: { enabled: true, enforcement: 'reserve' } }));
    const plain = await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'alice', model: HAIKU } });
    expect(plain.status).toBe(422);
    expect(plain.body.error.field).toBe('estimate');
    const noId = await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'alice', model: HAIKU, estimate: ESTIMATE } });
    expect(noId.body.error.field).toBe('requestId');
    // Alice's standard seat includes $1.00: a $0.07 hold is all included.
    expect((await o.authorize('alice', 'inc')).body).toMatchObject({ allowed: true, mode: 'included', reservation: { includedHeld: '0.07', extraHeld: '0.00' } });
    expect((await o.record('alice', 'inc')).body).toMatchObject({ included: '0.06', extra: '0.00' });
  });
});
